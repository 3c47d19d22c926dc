import Foundation
import HMTraining

/// `bench --timeline` as text: per rank, each phase's mean start and end over the timed steps
/// (ms since the step's start; a phase that runs once per share shows its first start and last
/// end), then the summary across ranks. The JSON keeps every step.
enum TimelineTable {
    static func lines(_ entries: [Bench.TimelineEntry], summary: TimelineSummary) -> [String] {
        var out: [String] = []
        let ranks = Set(entries.map(\.rank)).sorted()
        for r in ranks {
            let mine = entries.filter { $0.rank == r }
            let steps = Set(mine.map(\.step)).count
            out.append("rank \(r): mean over \(steps) step\(steps == 1 ? "" : "s") (ms since the step's start)")
            out.append("  " + pad("phase") + "    start      end   duration")
            var order: [String] = []
            for e in mine where !order.contains(e.phase) { order.append(e.phase) }
            for phase in order {
                let spans = mine.filter { $0.phase == phase }
                let byStep = Dictionary(grouping: spans, by: \.step)
                let start = byStep.values.map { $0.map(\.start).min()! }.reduce(0, +) / Double(byStep.count)
                let end = byStep.values.map { $0.map(\.end).max()! }.reduce(0, +) / Double(byStep.count)
                let busy = spans.reduce(0) { $0 + $1.end - $1.start } / Double(byStep.count)
                out.append("  " + pad(phase) + String(format: " %8.3f %8.3f %10.3f", 1e3 * start, 1e3 * end, 1e3 * busy))
            }
        }
        out.append("across ranks: mean over steps of the slowest rank's time in the phase and of the spread of its end")
        out.append("  " + pad("phase") + "   max ms  skew ms")
        for p in summary.phases {
            out.append("  " + pad(p.phase) + String(format: " %8.3f %8.3f", 1e3 * p.max_seconds, 1e3 * p.skew_seconds))
        }
        out.append(String(format: "step %.3f ms (slowest rank); %.1f %% of it in collectives (mean over ranks)",
                          1e3 * summary.step_seconds, 100 * summary.collective_fraction))
        return out
    }

    static func pad(_ s: String) -> String { s.padding(toLength: 17, withPad: " ", startingAt: 0) }
}
