import Foundation

/// A Kilosort / phy output folder: `spike_times.npy` (sample indices, sorted),
/// `spike_clusters.npy` (the cluster of each spike, same length) and `params.py`, whose
/// `sample_rate = 30000.0` line turns samples into seconds. Clusters become channels in
/// numeric order (`SpikeRecording.channelOrder`), named by their cluster number.
public enum KilosortFolder {
    public static let timesFile = "spike_times.npy"
    public static let clustersFile = "spike_clusters.npy"
    public static let paramsFile = "params.py"

    public static func read(_ directory: String) throws -> SpikeRecording {
        let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let rate = try sampleRate(dir + "/" + paramsFile)
        let times = try integers(dir + "/" + timesFile, what: "sample indices")
        let clusters = try integers(dir + "/" + clustersFile, what: "cluster numbers")
        guard times.count == clusters.count else {
            throw DataError(path: dir + "/" + clustersFile, field: "shape",
                            "expected one cluster per spike, \(times.count) as in \(timesFile), found \(clusters.count)")
        }
        guard !times.isEmpty else { throw DataError(path: dir + "/" + timesFile, field: "data", "expected spikes; the recording is empty") }
        for i in times.indices {
            if times[i] < 0 { throw DataError(path: dir + "/" + timesFile, field: "data", "expected sample indices ≥ 0, found \(times[i]) at index \(i)") }
            if clusters[i] < 0 { throw DataError(path: dir + "/" + clustersFile, field: "data", "expected cluster numbers ≥ 0, found \(clusters[i]) at index \(i)") }
            if i > 0 && times[i] < times[i - 1] {
                throw DataError(path: dir + "/" + timesFile, field: "data", "expected sorted sample indices, found \(times[i]) after \(times[i - 1]) at index \(i)")
            }
        }
        return SpikeRecording(units: clusters.map { String($0) }, times: times.map { Double($0) / rate })
    }

    private static func integers(_ path: String, what: String) throws -> [Int64] {
        let array = try NPYArray.read(path)
        guard case .integers(let values) = array.values else {
            throw DataError(path: path, field: "descr", "expected integer \(what) (<i4, <i8, <u4, <u8…), found '\(array.descr)'")
        }
        return values
    }

    /// The value of the `sample_rate = X` line: a finite rate > 0 in Hz.
    static func sampleRate(_ path: String) throws -> Double {
        let text = String(decoding: try FileBytes.read(path), as: UTF8.self)
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0] == "sample_rate" else { continue }
            let value = parts[1].split(separator: "#").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let rate = Double(value), rate.isFinite, rate > 0 else {
                throw DataError(path: path, field: "sample_rate", "expected a rate in Hz > 0 (sample_rate = 30000.0), found \(parts[1])")
            }
            return rate
        }
        throw DataError(path: path, field: "sample_rate", "expected a line sample_rate = <Hz> (as Kilosort writes: sample_rate = 30000.0), found none")
    }
}
