// swift-tools-version:6.0
import Foundation
import PackageDescription

/// libFuzzer targets, one per reader of outside bytes; built and run by scripts/fuzz.sh
/// (`swift build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -enable-testing`).
/// A package of its own so that the root package's build and tests stay as they are.

/// A path dependency is known by its directory's name, whatever the clone is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: root) })
}

let package = Package(
    name: "hm-dist-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        fuzzTarget("FuzzIDX", ["HMData"]),
        fuzzTarget("FuzzGzip", ["HMData"]),
        fuzzTarget("FuzzConfig", ["HMTraining"]),
        fuzzTarget("FuzzManifest", ["HMCheckpoint"]),
        fuzzTarget("FuzzSafetensors", ["HMCheckpoint"]),
        fuzzTarget("FuzzZstd", ["HMCheckpoint"]),
    ],
    swiftLanguageModes: [.v5]
)
