import FuzzSupport
@testable import HMCheckpoint

/// `manifest.json` and its `manifest.sha256` as every checkpoint reader takes them. The first
/// byte chooses the sidecar: none, the right digest (so that the JSON is reached), or the
/// input's last 65 bytes as the sidecar's text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let mode = input.first else { return 0 }
    var manifest = Array(input.dropFirst())
    let digest: [UInt8]?
    switch mode % 3 {
    case 0: digest = nil
    case 1: digest = Array((SHA256.hex(manifest) + "\n").utf8)
    default:
        digest = Array(manifest.suffix(65))
        manifest.removeLast(digest!.count)
    }
    expectOnly(CheckpointError.self) {
        let (decoded, _) = try Manifest.decode(manifest, digestFile: digest, stepDirectory: "step-00000001")
        _ = try Manifest.decode(decoded.encoded(), source: "round-trip")
    }
    return 0
}
