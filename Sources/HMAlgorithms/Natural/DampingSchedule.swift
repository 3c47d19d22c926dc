/// The damping α of (F + αI)⁻¹g as a function of the step: geometric from `start` to `final`
/// over `steps` steps, then constant (`final == start`: constant). A function of the step
/// alone, so a resumed run refactors with the very α the uninterrupted one used.
public struct DampingSchedule: Sendable, Equatable {
    public let start: Double
    public let final: Double
    public let steps: Int

    public init(start: Double, final: Double? = nil, steps: Int = 0) {
        precondition(start > 0 && start.isFinite && (final ?? start) > 0 && (final ?? start).isFinite && steps >= 0,
                     "damping schedule \(start) → \(final ?? start) over \(steps) steps")
        self.start = start
        self.final = final ?? start
        self.steps = steps
    }

    public static func constant(_ alpha: Double) -> DampingSchedule { DampingSchedule(start: alpha) }

    public func value(at step: Int) -> Double {
        guard steps > 0, final != start else { return step >= steps ? final : start }
        let t = Double(min(max(step, 0), steps)) / Double(steps)
        return start * Foundation.pow(final / start, t)
    }
}

import Foundation
