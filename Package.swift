// swift-tools-version:6.0
import PackageDescription

/// Architecture, one module per concern:
///   HMCore        core maths (buffers, BLAS, counter-based RNG, layers, the machine, optimizers)
///   HMAlgorithms  ws / rws and the likelihood estimators, written against HMCore's layer seam
///   HMData        IDX files, binarization, the built-in `digits` and `bars` sets
///   HMCheckpoint  safetensors + zstd + manifest; knows tensors by name only, nothing of HMs
///   HMComm        the communicator seam (MPI and in-process); knows nothing of HMs
///   HMPlatform    the machine: OpenBLAS kernel choice and its check, CPU features
///   HMTraining    the engine: typed config and its options, the step loop for any algorithm,
///                 reducers, sharded save and resume, preemption, metrics, bench workloads
///   HMReport      `hm-dist report`: a run directory read back into one self-contained HTML page
///                 (SVG curves, PNG images); depends on the engine, which calls it only through a hook
///   HMDistCLI     the command line: argument parsing, printing, the commands
let vectorFlags: [CSetting] = [.unsafeFlags(["-O3", "-ffp-contract=off", "-fno-math-errno"])]

let package = Package(
    name: "hm-dist",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "hm-dist", targets: ["hm-dist"]),
        // For the fuzz targets of Fuzz/ (a package of its own that depends on this one).
        .library(name: "HMData", targets: ["HMData"]),
        .library(name: "HMCheckpoint", targets: ["HMCheckpoint"]),
        .library(name: "HMTraining", targets: ["HMTraining"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c"),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd"),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CZlib"),
        .target(name: "CKernels", cSettings: vectorFlags),
        .target(name: "HMCore", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "HMAlgorithms", dependencies: ["HMCore"]),
        .target(name: "HMData", dependencies: ["CZlib", "CKernels"], exclude: ["Builtin/DIGITS-ATTRIBUTION.md"]),
        .target(name: "HMCheckpoint", dependencies: ["CZstd", "CKernels"]),
        .target(name: "HMComm", dependencies: ["CMPI"]),
        .target(name: "HMPlatform", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "HMTraining", dependencies: [
            "HMCore", "HMAlgorithms", "HMData", "HMCheckpoint", "HMComm", "HMPlatform", "CKernels",
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "HMReport", dependencies: ["HMCore", "HMAlgorithms", "HMData", "HMCheckpoint", "HMTraining", "CZlib"]),
        .target(name: "HMDistCLI", dependencies: [
            "HMCore", "HMAlgorithms", "HMData", "HMCheckpoint", "HMComm", "HMPlatform", "HMTraining", "HMReport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "hm-dist", dependencies: ["HMDistCLI", "HMPlatform"]),
        .testTarget(name: "HMCoreTests", dependencies: ["HMCore", "CKernels"]),
        .testTarget(name: "HMAlgorithmsTests", dependencies: ["HMCore", "HMAlgorithms", "CKernels"]),
        .testTarget(name: "HMDataTests", dependencies: ["HMData"]),
        .testTarget(name: "HMCheckpointTests", dependencies: ["HMCheckpoint"]),
        .target(name: "HMTestSupport", path: "Tests/HMTestSupport"),
        .testTarget(name: "HMCommTests", dependencies: ["HMComm", "HMTestSupport"]),
        .testTarget(name: "HMTrainingTests", dependencies: ["HMTraining", "HMAlgorithms", "HMCore", "HMComm", "HMCheckpoint", "HMData", "HMTestSupport"]),
        .testTarget(name: "HMReportTests", dependencies: ["HMReport", "HMTraining", "HMCheckpoint", "HMComm", "HMTestSupport"]),
        .testTarget(name: "HMDistCLITests", dependencies: ["HMDistCLI", "HMReport", "HMTraining", "HMPlatform", "HMCore", "HMData", "HMCheckpoint", "HMTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
