import FuzzSupport
import HMCheckpoint

/// A safetensors file (a decompressed shard): header length, JSON header, offsets. What
/// decodes must encode and decode again to the same tensors and metadata.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    expectOnly(CheckpointError.self) {
        let contents = try Safetensors.decode(fuzzInput(data, size), source: "fuzz.safetensors")
        let again = try Safetensors.decode(Safetensors.encode(contents.tensors, metadata: contents.metadata))
        precondition(again.metadata == contents.metadata)
        precondition(again.tensors.sorted { $0.name < $1.name } == contents.tensors.sorted { $0.name < $1.name })
    }
    return 0
}
