import Foundation

/// Writers of the spike inputs for the tests, written from the formats' descriptions rather
/// than from the readers, so that a reader and its writer cannot share a mistake.
enum SpikeFiles {
    /// A `.npy` file: magic, version (1.0 or 2.0), header length (2 or 4 bytes), a dict
    /// padded to a multiple of 64 bytes, the payload.
    static func npy(descr: String, shape: String, fortran: Bool = false, version: UInt8 = 1, payload: [UInt8]) -> [UInt8] {
        let prefix = version == 1 ? 10 : 12
        var dict = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
        while (prefix + dict.utf8.count + 1) % 64 != 0 { dict += " " }
        dict += "\n"
        let n = dict.utf8.count
        let length: [UInt8] = version == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : littleEndian([UInt32(n)])
        return [0x93] + Array("NUMPY".utf8) + [version, 0] + length + Array(dict.utf8) + payload
    }

    static func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { v in (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: v.littleEndian >> (8 * $0)) } }
    }

    /// A Kilosort folder: int64 spike times, int32 clusters, params.py.
    static func kilosort(_ dir: String, samples: [Int64], clusters: [Int32], params: String = "dat_path = 'x.bin'\nn_channels_dat = 4\nsample_rate = 30000.0\nhp_filtered = False\n") throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try writeBytes(npy(descr: "<i8", shape: "(\(samples.count),)", payload: littleEndian(samples)), to: dir + "/spike_times.npy")
        try writeBytes(npy(descr: "<i4", shape: "(\(clusters.count),)", payload: littleEndian(clusters)), to: dir + "/spike_clusters.npy")
        try params.write(toFile: dir + "/params.py", atomically: true, encoding: .utf8)
    }
}
