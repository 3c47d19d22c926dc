import CZstd
import FuzzSupport
@testable import HMCheckpoint

/// A shard's zstd frame: `Zstd.decompress` (one frame, checksum and content size required)
/// and `inspect`'s reading of the frame header, which must agree with libzstd's.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZstd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let head = Array(input.prefix(18))
    if let recorded = CheckpointSummary.frameContentSize(head: head) {
        let zstd = head.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        precondition(zstd >= UInt64.max - 1 || zstd == UInt64(recorded),
                     "frame header: inspect reads \(recorded), libzstd \(zstd)")
    }
    expectOnly(CheckpointError.self) {
        let output = try Zstd.decompress(input, source: "fuzz.zst")
        if let recorded = CheckpointSummary.frameContentSize(head: head) { precondition(recorded == output.count) }
    }
    return 0
}
