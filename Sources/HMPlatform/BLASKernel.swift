import CBLAS
import Foundation

/// Which OpenBLAS kernel ("core") this process uses, how it was chosen, and how to change
/// the BLAS thread count. The choice itself is made before `main` proper, by
/// `Startup.prepareBLAS()`; see docs/training.md.
public enum BLASKernel {
    /// Environment variables read or written by the start-up step.
    public enum Env {
        /// OpenBLAS's own: forces a kernel when the library loads (DYNAMIC_ARCH builds only).
        public static let coreType = "OPENBLAS_CORETYPE"
        /// OpenBLAS's own: the number of BLAS threads started when the library loads.
        public static let numThreads = "OPENBLAS_NUM_THREADS"
        /// `1` disables the re-exec (the escape hatch).
        public static let noReexec = "HM_DIST_NO_REEXEC"
        /// Set by hm-dist on the process it re-executes, so that it never loops.
        public static let reexecMarker = "HM_DIST_BLAS_REEXEC"
        /// Set with the marker: the core hm-dist chose, and the one OpenBLAS had detected.
        public static let autoCore = "HM_DIST_BLAS_AUTO_CORE"
        public static let detectedCore = "HM_DIST_BLAS_DETECTED_CORE"
        /// Test hook: plan as if OpenBLAS had detected this core (to exercise the re-exec on
        /// machines whose CPU OpenBLAS does recognise).
        public static let pretendDetected = "HM_DIST_BLAS_PRETEND_DETECTED"

        static let all = [coreType, numThreads, noReexec, reexecMarker, autoCore, detectedCore,
                          pretendDetected]
    }

    /// Generic or pre-AVX2 cores of OpenBLAS's x86-64 DYNAMIC_ARCH list: when OpenBLAS settles
    /// for one of these on a CPU with AVX2 or AVX-512, it did not recognise the CPU.
    public static let genericCores: Set<String> = [
        "unknown", "generic", "katmai", "coppermine", "northwood", "prescott", "banias", "atom",
        "core2", "penryn", "dunnington", "nehalem", "athlon", "opteron", "opteron_sse3",
        "barcelona", "nano", "sandybridge", "bobcat", "bulldozer", "piledriver",
    ]

    /// OpenBLAS cores whose kernels use AVX-512.
    public static let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]

    /// The kernel worth asking for on `cpu`: "SkylakeX" with AVX-512 (F, BW, DQ, VL, CD),
    /// "Haswell" with AVX2 and FMA, nil otherwise.
    public static func recommendedCore(for cpu: CPUFeatures) -> (core: String, because: String)? {
        if cpu.hasAVX512 { return ("SkylakeX", "CPU has AVX-512") }
        if cpu.hasAVX2FMA { return ("Haswell", "CPU has AVX2 and FMA") }
        return nil
    }

    /// A warning for a user's OPENBLAS_CORETYPE that leaves the CPU's widest vectors unused
    /// (a generic core, or an AVX2 one on a CPU with AVX-512): hm-dist keeps it, as it keeps
    /// every value the user set, but says what it costs. Judged on `coreInUse`, the core
    /// OpenBLAS took (a misspelt value falls back to its own choice; a build without
    /// DYNAMIC_ARCH ignores the variable). Nil when nothing is set or the core fits.
    public static func userCoreNote(environment: [String: String], coreInUse: String, config: String,
                                    cpu: CPUFeatures) -> String? {
        guard let set = environment[Env.coreType], !set.isEmpty, config.contains("DYNAMIC_ARCH"),
              let pick = recommendedCore(for: cpu) else { return nil }
        let core = coreInUse.lowercased()
        guard genericCores.contains(core) || (cpu.hasAVX512 && !avx512Cores.contains(core)) else {
            return nil
        }
        return "\(Env.coreType)=\(set) (OpenBLAS's \(coreInUse)) leaves this CPU's \(cpu.hasAVX512 ? "AVX-512" : "AVX2") unused; "
            + "unset it for a \(pick.core)-class kernel"
    }

    /// What the start-up step does, decided from its inputs alone.
    public struct Plan: Equatable, Sendable {
        /// Value to give OPENBLAS_CORETYPE, or nil to leave it.
        public var coreType: String?
        /// Why `coreType` was chosen ("CPU has AVX-512").
        public var because: String?
        /// Value to give OPENBLAS_NUM_THREADS, or nil to leave it.
        public var numThreads: String?
        /// Whether to re-execute the process so that OpenBLAS loads again under the variables.
        public var reexec: Bool
        /// The core OpenBLAS detected (or the pretended one), for the record.
        public var detected: String
        /// Why nothing could be done about a core worth changing, if so.
        public var note: String?
    }

    /// The start-up decision. `environment` holds the variables of `Env` that are set;
    /// `detectedCore` and `config` are OpenBLAS's `openblas_get_corename()` and
    /// `openblas_get_config()` in this process.
    public static func plan(environment: [String: String], detectedCore: String, config: String,
                            cpu: CPUFeatures) -> Plan {
        func isSet(_ key: String) -> Bool { !(environment[key] ?? "").isEmpty }
        let detected = environment[Env.pretendDetected].flatMap { $0.isEmpty ? nil : $0 }
            ?? detectedCore
        var plan = Plan(coreType: nil, because: nil, numThreads: nil, reexec: false,
                        detected: detected, note: nil)
        // This process is the re-executed one: whatever it has now is final.
        if environment[Env.reexecMarker] == "1" { return plan }

        if !isSet(Env.coreType), genericCores.contains(detected.lowercased()),
           let pick = recommendedCore(for: cpu) {
            if config.contains("DYNAMIC_ARCH") {
                plan.coreType = pick.core
                plan.because = pick.because
            } else {
                plan.note = "OpenBLAS uses \(detected) on a CPU that can run \(pick.core), "
                    + "but this OpenBLAS is not a DYNAMIC_ARCH build, so it cannot switch"
            }
        }
        if !isSet(Env.numThreads) { plan.numThreads = "1" }
        let wanted = plan.coreType != nil || plan.numThreads != nil
        if wanted && environment[Env.noReexec] == "1" {
            if let core = plan.coreType {
                plan.note = "\(Env.noReexec)=1: kept \(detected), would have selected \(core)"
            }
            return plan
        }
        plan.reexec = wanted
        return plan
    }

    // MARK: - The state of this process

    /// How the core in use was chosen.
    public enum Source: String, Codable, Sendable {
        /// hm-dist set OPENBLAS_CORETYPE and re-executed.
        case auto
        /// The user set OPENBLAS_CORETYPE.
        case environment
        /// OpenBLAS's own detection.
        case openblas
    }

    /// What start-up did, recorded by `Startup.prepareBLAS()`.
    struct StartupRecord {
        var autoCore: String?
        var detected: String?
        var because: String?
        var note: String?
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var record = StartupRecord()

    static func setRecord(_ r: StartupRecord) {
        lock.lock(); defer { lock.unlock() }
        record = r
    }

    static func currentRecord() -> StartupRecord {
        lock.lock(); defer { lock.unlock() }
        return record
    }

    /// The core OpenBLAS uses in this process ("SkylakeX", "Prescott", …).
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// OpenBLAS's build description ("OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH …").
    /// Read once: `openblas_get_config()` builds its answer in one static buffer, which
    /// concurrent callers (the ranks of an in-process world) would garble.
    public static let config: String = {
        guard let p = openblas_get_config() else { return "" }
        return String(cString: p)
    }()

    /// The number of threads OpenBLAS uses now.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of threads OpenBLAS uses from now on (`openblas_set_num_threads`).
    public static func setThreads(_ n: Int) {
        precondition(n >= 1, "BLAS threads must be at least 1, not \(n)")
        openblas_set_num_threads(Int32(clamping: n))
    }

    /// The kernel in use and how it was chosen, for the log and `bench`.
    public static var info: BLASInfo {
        let r = currentRecord()
        let core = coreName
        let source: Source
        var choice: String
        if let auto = r.autoCore {
            source = .auto
            choice = "auto-selected \(auto) (\(r.because ?? "CPU features"); OpenBLAS detected "
                + "\(r.detected ?? "?"))"
            if core.lowercased() != auto.lowercased() {
                choice += ", but OpenBLAS uses \(core)"
            }
        } else if !(getenv(Env.coreType).map { String(cString: $0) } ?? "").isEmpty {
            source = .environment
            choice = "set by \(Env.coreType)"
        } else {
            source = .openblas
            choice = "OpenBLAS's own choice"
        }
        if let note = r.note { choice += " [\(note)]" }
        return BLASInfo(core: core, source: source, choice: choice, threads: threads,
                        config: config, cpu: .current)
    }
}

/// The BLAS kernel in use, for the log and `bench`.
public struct BLASInfo: Codable, Sendable, Equatable, CustomStringConvertible {
    /// `openblas_get_corename()` now.
    public var core: String
    public var source: BLASKernel.Source
    /// How the core was chosen, in words: "auto-selected SkylakeX (CPU has AVX-512; OpenBLAS
    /// detected Prescott)", "set by OPENBLAS_CORETYPE", "OpenBLAS's own choice".
    public var choice: String
    /// `openblas_get_num_threads()`.
    public var threads: Int
    /// `openblas_get_config()`.
    public var config: String
    public var cpu: CPUFeatures

    public init(core: String, source: BLASKernel.Source, choice: String, threads: Int,
                config: String, cpu: CPUFeatures) {
        self.core = core
        self.source = source
        self.choice = choice
        self.threads = threads
        self.config = config
        self.cpu = cpu
    }

    /// "OpenBLAS core SkylakeX (auto-selected …), 1 thread; OpenBLAS 0.3.21 …".
    public var description: String {
        "OpenBLAS core \(core) (\(choice)), \(threads) thread\(threads == 1 ? "" : "s"); \(config)"
    }
}
