import Foundation
import Testing
@testable import HMData

/// The rhythm rules of the free-energy experiment (Liu 2023) and a user's rule program.
@Suite struct PatternRuleTests {
    func bits(_ s: String) -> [Float] { s.map { $0 == "1" ? 1 : 0 } }

    /// 256 strings obey the rules; the paper's checker accepts 273 — the 17 more have 00100 or
    /// 0000 only in their last window.
    @Test func countsOfTheStrictAndTheLaxRule() throws {
        #expect(PatternRule.rhythm10.wellFormed(width: 10).count == 256)
        let lax = PatternRule.rhythm10Lax.wellFormed(width: 10), strict = PatternRule.rhythm10.wellFormed(width: 10)
        #expect(lax.count == 273)
        let extra = lax.filter { !strict.contains($0) }.map { String($0.map { $0 == 1 ? "1" : "0" }) }
        #expect(extra.count == 17 && extra.allSatisfy { $0.hasSuffix("00100") || $0.hasSuffix("0000") }, "\(extra)")
        #expect(Rhythm.dataset().trainCount == 256)
    }

    @Test func eachRuleByExample() throws {
        let cases: [(String, Bool)] = [("1010101010", true), ("0110110110", false), ("1001101101", false), ("1011011001", false),
                                       ("1101001001", false), ("1100001101", false), ("1101101101", true), ("1101100100", false)]
        for (s, want) in cases { #expect(try PatternRule.rhythm10.accepts([bits(s)]) == [want], "\(s)") }
        // 00100 in the last window: the lax checker misses it.
        #expect(try PatternRule.rhythm10Lax.accepts([bits("1101100100")]) == [true])
    }

    /// A rule program: patterns on stdin, one answer a line; a broken program is a clear error.
    @Test func commandRules() throws {
        let rule = try PatternRule(spec: "cmd:awk '{ print (substr($0, 1, 1) == \"1\") ? 1 : 0 }'")
        #expect(try rule.accepts([bits("1000000000"), bits("0111111111")]) == [true, false])
        #expect(throws: DataError.self) { _ = try PatternRule(spec: "cmd:echo 1").accepts([bits("10"), bits("01")]) }
        #expect(throws: DataError.self) { _ = try PatternRule(spec: "cmd:sed s/./x/").accepts([bits("10")]) }
        #expect(throws: DataError.self) { _ = try PatternRule(spec: "cmd:exit 3").accepts([bits("10")]) }
        #expect(throws: DataError.self) { _ = try PatternRule(spec: "rhythm11") }
    }
}

/// The spread of accepted samples over the well-formed set.
@Suite struct RuleScoreTests {
    @Test func klFromUniformAtItsExtremes() throws {
        let all = PatternRule.rhythm10.wellFormed(width: 10)
        let even = try RuleScore(rule: .rhythm10, patterns: all + all)
        #expect(even.acceptedFraction == 1 && even.distinctAccepted == 256 && even.wellFormed == 256)
        #expect(abs(even.klFromUniform!) < 1e-12, "\(even)")
        // One well-formed pattern three times and one rejected: KL = log 256, 3/4 accepted.
        let bad: [Float] = [0, 1, 1, 0, 1, 1, 0, 1, 1, 0]
        let one = try RuleScore(rule: .rhythm10, patterns: [all[5], all[5], all[5], bad])
        #expect(one.acceptedFraction == 0.75 && one.distinct == 2 && one.distinctAccepted == 1)
        #expect(abs(one.klFromUniform! - log(256)) < 1e-12)
        // Half on each of two patterns: log 256 − log 2.
        let two = try RuleScore(rule: .rhythm10, patterns: [all[0], all[1]])
        #expect(abs(two.klFromUniform! - log(128)) < 1e-12)
        #expect(try RuleScore(rule: .rhythm10, patterns: [bad]).klFromUniform == nil)
    }
}
