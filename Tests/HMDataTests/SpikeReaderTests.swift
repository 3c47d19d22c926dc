import Foundation
import Testing
@testable import HMData

/// `spikes:FILE.csv` and `spikes:DIR` (Kilosort) read back what was written, and a bad file
/// is an error naming the file, the line or field, and what was expected.
struct SpikeReaderTests {
    @Test func csvRowsReadBackInTimeOrderWithUnitsAsChannels() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/s.csv"
            try "unit,time_seconds\n10,0.5\n3, 0.25\r\n\n0,1.0\n3,0.125\n".write(toFile: path, atomically: true, encoding: .utf8)
            let r = try SpikeCSV.read(path)
            #expect(r.units == ["0", "3", "10"])   // by number: 10 after 3
            #expect(r.times == [0.125, 0.25, 0.5, 1.0] && r.channels == [1, 1, 2, 0])
            // Written and read back: the same recording; named units sort by name.
            try SpikeCSV.write(r, to: dir + "/t.csv")
            #expect(try SpikeCSV.read(dir + "/t.csv") == r)
            try "b,0.1\na,0.3\nb,0.2\n".write(toFile: path, atomically: true, encoding: .utf8)
            let named = try SpikeCSV.read(path)
            #expect(named.units == ["a", "b"] && named.channels == [1, 1, 0])
        }
    }

    @Test(arguments: [
        ("0,0.1\n1,0.2,7\n", ["line 2", "2 comma-separated fields", "found 3"]),
        ("0,0.1\n1,abc\n", ["line 2", "time in seconds", "abc"]),
        ("unit,time\n0,-0.5\n", ["line 2", "≥ 0", "-0.5"]),
        ("0,inf\n", ["line 1", "finite"]),
        ("0,0.1\n-2,0.3\n", ["line 2", "unit", "-2"]),
        (",0.3\n", ["line 1", "unit"]),
        ("unit,time_seconds\n", ["data", "no spikes"]),
        ("", ["data", "no spikes"]),
    ])
    func badCSVsNameTheLine(_ text: String, says: [String]) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/bad.csv"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(dataError { try DataSource.load(spec: "spikes:" + path) })
            #expect(error.path == path)
            for word in says { #expect(error.description.contains(word), "\(error)") }
        }
    }

    @Test func kilosortFolderReadsSamplesAsSeconds() throws {
        try withTemporaryDirectory { dir in
            try SpikeFiles.kilosort(dir, samples: [0, 300, 300, 45_000, 90_000], clusters: [7, 2, 12, 7, 2])
            let r = try KilosortFolder.read(dir)
            #expect(r.units == ["2", "7", "12"])
            #expect(r.times == [0, 0.01, 0.01, 1.5, 3] && r.channels == [1, 0, 2, 1, 0])
            // uint64 times of shape (N, 1), as Kilosort 2 writes them, and uint32 clusters.
            try writeBytes(SpikeFiles.npy(descr: "<u8", shape: "(5, 1)", payload: SpikeFiles.littleEndian([0, 300, 300, 45_000, 90_000] as [UInt64])),
                           to: dir + "/spike_times.npy")
            try writeBytes(SpikeFiles.npy(descr: "<u4", shape: "(5,)", payload: SpikeFiles.littleEndian([7, 2, 12, 7, 2] as [UInt32])),
                           to: dir + "/spike_clusters.npy")
            #expect(try KilosortFolder.read(dir) == r)
            #expect(try DataSource.load(spec: "spikes:" + dir, spikes: SpikeBinning(binMs: 100, window: 2)).imageShape == ImageShape(rows: 3, cols: 2))
        }
    }

    @Test func npyHeadersOfVersion2AndSignedSmallTypesDecode() throws {
        let v2 = SpikeFiles.npy(descr: "<i2", shape: "(3,)", version: 2, payload: SpikeFiles.littleEndian([-1, 5, -300] as [Int16]))
        #expect(try NPYArray.parse(v2, path: "a.npy").values == .integers([-1, 5, -300]))
        let reals = SpikeFiles.npy(descr: "<f8", shape: "(2,)", payload: SpikeFiles.littleEndian([Double(1.5).bitPattern, Double(-2).bitPattern]))
        #expect(try NPYArray.parse(reals, path: "b.npy").values == .reals([1.5, -2]))
    }

    enum Damage: CaseIterable { case unsorted, lengths, noRate, badRate, fortran, floats, bigEndian, truncated, twoD, magic, negative, empty }

    @Test(arguments: Damage.allCases)
    func badKilosortFoldersNameTheFileAndField(_ damage: Damage) throws {
        try withTemporaryDirectory { dir in
            var samples: [Int64] = [10, 20, 30], clusters: [Int32] = [1, 2, 1]
            var params = "sample_rate = 30000.0\n"
            switch damage {
            case .unsorted: samples = [10, 30, 20]
            case .lengths: clusters = [1, 2]
            case .noRate: params = "n_channels_dat = 4\n"
            case .badRate: params = "sample_rate = fast\n"
            case .negative: clusters = [1, -1, 1]
            case .empty: samples = []; clusters = []
            default: break
            }
            try SpikeFiles.kilosort(dir, samples: samples, clusters: clusters, params: params)
            let times = dir + "/spike_times.npy"
            let payload = SpikeFiles.littleEndian(samples)
            switch damage {
            case .fortran: try writeBytes(SpikeFiles.npy(descr: "<i8", shape: "(3,)", fortran: true, payload: payload), to: times)
            case .floats: try writeBytes(SpikeFiles.npy(descr: "<f8", shape: "(3,)", payload: payload), to: times)
            case .bigEndian: try writeBytes(SpikeFiles.npy(descr: ">i8", shape: "(3,)", payload: payload), to: times)
            case .truncated: try writeBytes(SpikeFiles.npy(descr: "<i8", shape: "(3,)", payload: Array(payload.dropLast(3))), to: times)
            case .twoD: try writeBytes(SpikeFiles.npy(descr: "<i8", shape: "(3, 2)", payload: payload + payload), to: times)
            case .magic: try writeBytes(Array("sample,cluster\n".utf8), to: times)
            default: break
            }
            let (file, field, words): (String, String, [String]) = switch damage {
            case .unsorted: ("spike_times.npy", "data", ["sorted", "index 2"])
            case .lengths: ("spike_clusters.npy", "shape", ["one cluster per spike", "3", "2"])
            case .noRate: ("params.py", "sample_rate", ["sample_rate = "])
            case .badRate: ("params.py", "sample_rate", ["fast"])
            case .negative: ("spike_clusters.npy", "data", ["≥ 0", "-1"])
            case .empty: ("spike_times.npy", "data", ["empty"])
            case .fortran: ("spike_times.npy", "fortran_order", ["C order"])
            case .floats: ("spike_times.npy", "descr", ["integer", "<f8"])
            case .bigEndian: ("spike_times.npy", "descr", ["little-endian", ">i8"])
            case .truncated: ("spike_times.npy", "data", ["24 bytes", "found 21"])
            case .twoD: ("spike_times.npy", "shape", ["one-dimensional", "(3, 2)"])
            case .magic: ("spike_times.npy", "header", ["magic"])
            }
            let error = try #require(dataError { try DataSource.load(spec: "spikes:" + dir) })
            #expect(error.path == dir + "/" + file && error.field == field, "\(error)")
            for word in words { #expect(error.message.contains(word), "\(error)") }
        }
    }

    @Test func aMissingPathIsAnErrorNamingIt() throws {
        let error = try #require(dataError { try DataSource.load(spec: "spikes:/nonexistent/spikes.csv") })
        #expect(error.path == "/nonexistent/spikes.csv" && error.message.contains("no such file"))
    }
}
