import Foundation
import HMCheckpoint

/// A fresh directory under the system temp directory, removed when the value dies.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "hmckpt-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ components: String...) -> String {
        ([path] + components).joined(separator: "/")
    }
}

/// Tensors of every dtype, including a scalar and an empty one, with distinct contents.
func sampleTensors(seed: Int = 1) -> [Tensor] {
    let s = Float(seed)
    return [
        Tensor(name: "generative.0.weight", shape: [30, 20], values: (0..<600).map { sin(Float($0) * 0.37 + s) }),
        Tensor(name: "generative.0.bias", shape: [30], values: (0..<30).map { Float($0) / 7 - s }),
        Tensor(name: "recognition.0.weight", shape: [20, 30], values: (0..<600).map { cos(Float($0) * 0.11 * s) }),
        Tensor(name: "generative.prior.logits", shape: [20], values: (0..<20).map { Double($0) * -0.25 * Double(s) }),
        Tensor(name: "optimizer.step", shape: [], values: [Int64(1200 * seed)]),
        Tensor(name: "counts", shape: [3], values: [Int32(-7), 0, Int32(seed)]),
        Tensor(name: "mask", shape: [5], values: [UInt8(1), 0, 1, 1, UInt8(seed & 0xFF)]),
        Tensor(name: "empty", shape: [0, 3], values: [Float]()),
    ]
}

func tensorsByName(_ tensors: [Tensor]) -> [String: Tensor] {
    Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0) })
}

func readBytes(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeBytes(_ bytes: [UInt8], _ path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// `zstd` on PATH, if any: used to check that shards open with the standard tool.
let zstdExecutable: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    .split(separator: ":")
    .map { "\($0)/zstd" }
    .first { FileManager.default.isExecutableFile(atPath: $0) }

/// Rewrites a step's manifest and the digest beside it, as a consistent (but altered) commit.
func writeManifest(_ manifest: Manifest, _ stepDirectory: String) throws {
    let bytes = try manifest.encoded()
    try writeBytes(bytes, stepDirectory + "/manifest.json")
    try writeBytes(Array((SHA256.hex(bytes) + "\n").utf8), stepDirectory + "/manifest.sha256")
}
