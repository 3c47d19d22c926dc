/// What every fuzz target shares: the input as bytes, and the rule that a reader either
/// succeeds or throws its own error type — anything else (another error, a trap) is a bug.

/// libFuzzer's input as an array (libFuzzer may pass a null pointer with size 0).
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Runs `body`; an error other than `E` stops the fuzzer (libFuzzer reports it as a crash).
public func expectOnly<E: Error>(_ type: E.Type, _ body: () throws -> Void) {
    do {
        try body()
    } catch is E {
    } catch {
        fatalError("expected success or a \(E.self), caught \(Swift.type(of: error)): \(error)")
    }
}
