import Foundation

/// The learning rate of each step: a linear warm-up from 0 over `warmupSteps`, then constant,
/// or a cosine or linear decay from `base` to `final` at step `totalSteps`. A function of the
/// step alone, so a resumed run continues it exactly (and any world size sees the same rate).
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Shape: String, CaseIterable, Sendable { case constant, cosine, linear }

    public var shape: Shape
    public var base: Double
    public var final: Double
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(shape: Shape = .constant, base: Double, final: Double = 0, warmupSteps: Int = 0, totalSteps: Int) {
        self.shape = shape
        self.base = base
        self.final = final
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// True when every step has the rate `base` (no warm-up, no decay).
    public var isConstant: Bool { shape == .constant && warmupSteps == 0 }

    /// The rate of step `step` (0-based: the step about to be taken).
    public func rate(atStep step: Int) -> Double {
        if step < warmupSteps { return base * Double(step + 1) / Double(warmupSteps) }
        let span = totalSteps - warmupSteps
        guard shape != .constant, span > 0 else { return base }
        let t = min(max(Double(step - warmupSteps) / Double(span), 0), 1)   // 0 → 1 over the decay
        switch shape {
        case .constant: return base
        case .linear: return base + (final - base) * t
        case .cosine: return final + (base - final) * 0.5 * (1 + cos(Double.pi * t))
        }
    }
}
