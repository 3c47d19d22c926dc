import Foundation

/// Axis ticks at "nice" values (1, 2 or 5 times a power of ten; Heckbert, Graphics Gems
/// 1990), so that a reader can interpolate between labels at a glance.
public struct Ticks: Equatable {
    /// The tick values, ascending; the first is at or below the data's lowest value and the
    /// last at or above its highest, so the axis spans them exactly.
    public let values: [Double]
    public let step: Double

    /// About `count` ticks covering `low…high`. A range of zero width is widened around its
    /// value; non-finite bounds give the ticks of 0…1.
    public init(low: Double, high: Double, count: Int = 5) {
        var (lo, hi) = low.isFinite && high.isFinite ? (min(low, high), max(low, high)) : (0, 1)
        if hi - lo < 1e-12 * max(1, abs(lo)) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            (lo, hi) = (lo - pad, hi + pad)
        }
        let step = Ticks.nice((hi - lo) / Double(max(1, count - 1)), round: true)
        let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
        values = stride(from: first, through: last + 0.5, by: 1).map { $0 * step }
        self.step = step
    }

    public var low: Double { values.first! }
    public var high: Double { values.last! }

    /// The nice number nearest `x` (`round`), or the smallest nice number at least `x`.
    static func nice(_ x: Double, round: Bool) -> Double {
        let exponent = (log10(x)).rounded(.down)
        let fraction = x / pow(10, exponent)
        let nice: Double
        if round {
            nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return nice * pow(10, exponent)
    }

    /// A tick's label: as many decimals as the step needs, thousands as `k` and millions as
    /// `M` when the step is a whole number of them (`20k` rather than `20000`).
    public func label(_ value: Double) -> String {
        let v = abs(value) < step * 1e-9 ? 0 : value
        for (unit, suffix) in [(1e6, "M"), (1e3, "k")] where step >= unit && abs(v) >= unit {
            let scaled = v / unit, stepScaled = step / unit
            return Ticks.fixed(scaled, decimals: Ticks.decimals(stepScaled)) + suffix
        }
        return Ticks.fixed(v, decimals: Ticks.decimals(step))
    }

    static func decimals(_ step: Double) -> Int {
        max(0, Int((-log10(step)).rounded(.up) + 1e-9))
    }

    /// Fixed-point text with a true minus sign (U+2212), easier to read than a hyphen.
    static func fixed(_ v: Double, decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", abs(v))
        return (v < 0 && Double(text) != 0 ? "\u{2212}" : "") + text
    }
}
