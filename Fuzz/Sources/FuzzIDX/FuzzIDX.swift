import FuzzSupport
@testable import HMData

/// An uncompressed IDX file: the header and size checks, the element decoders, and the
/// images a data set takes from it (shape rules, pixel scale).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    expectOnly(DataError.self) {
        let array = try IDXArray(parsing: fuzzInput(data, size), path: "fuzz.idx")
        precondition(array.floats().count == array.count)
        if let integers = array.int32s() { precondition(integers.count == array.count) }
        let images = try Images(array, path: "fuzz.idx")
        precondition(images.pixels.count == images.count * images.width)
    }
    return 0
}
