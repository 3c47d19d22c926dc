import FuzzSupport
@testable import HMData

/// gzip as the IDX reader inflates it (every member, trailing bytes refused); what inflates
/// must survive a round trip through the writer's deflate.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzip(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    expectOnly(DataError.self) {
        let inflated = try Gzip.decompress(fuzzInput(data, size), path: "fuzz.gz")
        let again = try Gzip.decompress(Gzip.compress(inflated), path: "round-trip.gz")
        precondition(again == inflated)
    }
    return 0
}
