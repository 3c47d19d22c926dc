import HMComm

/// Brings every rank's step timelines to every rank (all of them collectively, as any
/// collective): each rank's timelines travel as doubles — per step its number, total and span
/// count, then per span the phase's index, start and end — padded to the longest rank's record.
public enum TimelineGather {
    /// `all[r]` is rank r's timelines, in its order.
    public static func gather(_ mine: [StepTimeline], comm: Communicator) throws -> [[StepTimeline]] {
        var record = encode(mine)
        var lengths = [Int64](repeating: 0, count: comm.size), length = Int64(record.count)
        try withUnsafeBytes(of: &length) { l in
            try lengths.withUnsafeMutableBytes { try comm.allgather(l.baseAddress!, bytes: 8, into: $0.baseAddress!) }
        }
        let slot = Int(lengths.max() ?? 0)
        record += [Double](repeating: 0, count: slot - record.count)
        var all = [Double](repeating: 0, count: slot * comm.size)
        if slot > 0 {
            try record.withUnsafeBytes { s in
                try all.withUnsafeMutableBytes { try comm.allgather(s.baseAddress!, bytes: s.count, into: $0.baseAddress!) }
            }
        }
        return (0..<comm.size).map { decode(all[$0 * slot..<$0 * slot + Int(lengths[$0])]) }
    }

    static func encode(_ timelines: [StepTimeline]) -> [Double] {
        var out: [Double] = []
        for t in timelines {
            out += [Double(t.step), t.total, Double(t.spans.count)]
            for s in t.spans { out += [Double(StepPhase.allCases.firstIndex(of: s.phase)!), s.start, s.end] }
        }
        return out
    }

    static func decode(_ record: ArraySlice<Double>) -> [StepTimeline] {
        var out: [StepTimeline] = [], i = record.startIndex
        while i < record.endIndex {
            let step = Int(record[i]), total = record[i + 1], n = Int(record[i + 2])
            i += 3
            let spans = (0..<n).map { k in
                let at = i + 3 * k
                return StepTimeline.Span(phase: StepPhase.allCases[Int(record[at])], start: record[at + 1], end: record[at + 2])
            }
            i += 3 * n
            out.append(StepTimeline(step: step, spans: spans, total: total))
        }
        return out
    }
}
