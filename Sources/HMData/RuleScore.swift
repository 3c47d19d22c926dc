import Foundation

/// How a set of samples fares under a rule: the measures of the free-energy experiment.
///
/// Besides the fraction accepted, how the accepted samples spread over the rule's well-formed
/// set W: `klFromUniform` = KL(f ‖ Uniform(W)) = log |W| − H(f), f the empirical distribution
/// of the accepted samples (nats; 0 when they cover W evenly, log |W| for one pattern only).
/// The plug-in estimate is biased upwards by about (|W| − 1)/(2·accepted).
public struct RuleScore: Sendable, Equatable {
    public let acceptedFraction: Double
    public let distinct: Int
    public let distinctAccepted: Int
    /// |W|, when the patterns are narrow enough to enumerate (≤ 20 units) and the rule runs on them.
    public let wellFormed: Int?
    public let klFromUniform: Double?

    public init(rule: PatternRule, patterns: [[Float]]) throws {
        let strings = patterns.map { String($0.map { $0 > 0.5 ? "1" : "0" }) }
        let accepted = try rule.accepts(patterns)
        var counts: [String: Int] = [:]
        for (s, ok) in zip(strings, accepted) where ok { counts[s, default: 0] += 1 }
        let n = counts.values.reduce(0, +)
        acceptedFraction = patterns.isEmpty ? 0 : Double(n) / Double(patterns.count)
        distinct = Set(strings).count
        distinctAccepted = counts.count
        let width = patterns.first?.count ?? 0
        let w = width > 0 && width <= 20 ? rule.wellFormed(width: width).count : 0
        wellFormed = w > 0 ? w : nil
        if w > 0 && n > 0 {
            let entropy = counts.values.reduce(0.0) { h, c in let f = Double(c) / Double(n); return h - f * log(f) }
            klFromUniform = log(Double(w)) - entropy
        } else {
            klFromUniform = nil
        }
    }
}
