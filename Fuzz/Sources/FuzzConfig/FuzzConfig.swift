import Foundation
import FuzzSupport
import HMTraining

/// A `--config` file as `train` takes it: read as UTF-8, parsed as YAML, resolved into a
/// TrainingConfig. Bad input must be a ConfigError naming the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // `String(contentsOfFile:encoding: .utf8)` refuses invalid UTF-8 the same way.
    guard let text = String(bytes: fuzzInput(data, size), encoding: .utf8) else { return 0 }
    expectOnly(ConfigError.self) {
        _ = try TrainingOptions.resolve(ConfigFile.load(text: text, path: "fuzz.yaml"))
    }
    return 0
}
