import Foundation
import Testing
@testable import HMData

/// Binning against a straightforward recount: for every window, channel and bin, whether
/// some spike of that channel falls in that bin (bin b holds [b·width, (b + 1)·width)).
struct SpikeBinningTests {
    /// A recording of spikes at irregular times on 3 channels over about 2 s.
    static let recording: SpikeRecording = {
        var channels: [Int] = [], times: [Double] = []
        for i in 0..<400 {
            channels.append((i * 7) % 3)
            times.append(Double((i * 7919) % 2003) / 1000 + 0.0003)
        }
        return SpikeRecording(units: ["a", "b", "c"], channels: channels, times: times)
    }()

    /// The windows recounted: starts every `stride` bins from `from` while a window fits before `to`.
    static func recount(_ r: SpikeRecording, binSeconds: Double, window: Int, stride: Int, from: Int, to: Int) -> [Float] {
        var out: [Float] = []
        var start = from
        while start + window <= to {
            for c in 0..<r.units.count {
                for b in 0..<window {
                    let hit = zip(r.channels, r.times).contains { $0 == c && Int($1 / binSeconds) == start + b }
                    out.append(hit ? 1 : 0)
                }
            }
            start += stride
        }
        return out
    }

    @Test(arguments: [(2.0, 5, nil as Int?, nil as Double?), (3.0, 4, 1, nil), (1.0, 8, 3, 1.2), (10.0, 1, nil, 0.5)])
    func windowsMatchARecount(binMs: Double, window: Int, stride: Int?, validFrom: Double?) throws {
        let r = Self.recording, binning = SpikeBinning(binMs: binMs, window: window, stride: stride, validFrom: validFrom)
        let d = try binning.dataset(r, name: "t", source: "t")
        let bin = binMs / 1000
        let bins = Int(r.end / bin) + 1, split = Int((validFrom ?? 0.9 * r.end) / bin)
        #expect(d.imageShape == ImageShape(rows: 3, cols: window))
        #expect(d.train == Self.recount(r, binSeconds: bin, window: window, stride: stride ?? window, from: 0, to: split))
        #expect(d.valid == Self.recount(r, binSeconds: bin, window: window, stride: stride ?? window, from: split, to: bins))
        #expect(d.test == d.valid && d.validCount > 0 && d.trainCount > 0)
        // Every spike is in the raster, and the raster has no other ones.
        let raster = binning.raster(r)
        #expect(raster.values.reduce(0, +) == Float(Set(zip(r.channels, r.times).map { $0 * raster.bins + Int($1 / bin) }).count))
    }

    @Test(arguments: [
        (SpikeBinning(window: 5000), "window", "longer than the recording"),
        (SpikeBinning(validFrom: 5), "valid-from", "before the recording's last spike"),
        (SpikeBinning(validFrom: 0.001), "valid-from", "training part"),
        (SpikeBinning(window: 20, validFrom: 1.98), "valid-from", "held-out part"),
        (SpikeBinning(binMs: 1e-12), "bin-ms", "wider bins"),
    ])
    func binningThatLeavesNoWindowIsRefused(_ binning: SpikeBinning, field: String, says: String) throws {
        let error = try #require(dataError { try binning.dataset(Self.recording, name: "t", source: "rec.csv") })
        #expect(error.path == "rec.csv" && error.field == field && error.message.contains(says), "\(error)")
    }
}
