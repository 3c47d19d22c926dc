import CBLAS
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `hm-dist`'s `main` does before anything else.
public enum Startup {
    /// Chooses OpenBLAS's kernel and thread count, before MPI_Init and before any BLAS call.
    ///
    /// OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS when the library loads, before
    /// `main`, so they cannot be set from inside the process: when OpenBLAS has settled for a
    /// generic core ("Prescott", …) on a CPU with AVX-512 (→ "SkylakeX") or AVX2 + FMA
    /// (→ "Haswell"), or when OPENBLAS_NUM_THREADS is unset (→ "1": one BLAS thread per rank),
    /// this sets the variables and re-executes `/proc/self/exe` with the same arguments. The
    /// PID stays, so this is transparent to mpirun. A value the user set is always kept;
    /// `HM_DIST_NO_REEXEC=1` disables the re-exec (the thread count is then set in-process).
    /// Returns only in the final process; `BLASKernel.info` then says what was chosen.
    public static func prepareBLAS() {
        let env = Dictionary(uniqueKeysWithValues: BLASKernel.Env.all.compactMap { key in
            getenv(key).map { (key, String(cString: $0)) }
        })
        let plan = BLASKernel.plan(environment: env, detectedCore: BLASKernel.coreName,
                                   config: BLASKernel.config, cpu: .current)

        if env[BLASKernel.Env.reexecMarker] == "1" {
            // The re-executed process: record what the parent chose, then clear the markers
            // so that processes this one starts decide for themselves.
            let because = BLASKernel.recommendedCore(for: .current)?.because
            BLASKernel.setRecord(.init(autoCore: env[BLASKernel.Env.autoCore],
                                       detected: env[BLASKernel.Env.detectedCore],
                                       because: because,
                                       note: BLASKernel.userCoreNote(environment: env, coreInUse: BLASKernel.coreName,
                                                                     config: BLASKernel.config, cpu: .current)))
            for key in [BLASKernel.Env.reexecMarker, BLASKernel.Env.autoCore,
                        BLASKernel.Env.detectedCore] {
                unsetenv(key)
            }
            return
        }

        var notes = [plan.note, BLASKernel.userCoreNote(environment: env, coreInUse: BLASKernel.coreName,
                                                        config: BLASKernel.config, cpu: .current)]
            .compactMap { $0 }
        if plan.reexec {
            if let error = reexec(plan) {
                notes.append("re-exec failed (\(error)); kept \(plan.detected)")
            }
        }
        // No re-exec (disabled or failed): the thread count at least can be set in-process.
        if plan.numThreads != nil { BLASKernel.setThreads(1) }
        BLASKernel.setRecord(.init(autoCore: nil, detected: plan.detected, because: nil,
                                   note: notes.isEmpty ? nil : notes.joined(separator: "; ")))
    }

    /// Sets the plan's variables and execs `/proc/self/exe`; returns only on failure, with
    /// the variables restored and the reason.
    private static func reexec(_ plan: BLASKernel.Plan) -> String? {
        #if os(Linux)
        var set: [String] = []
        func put(_ key: String, _ value: String) {
            setenv(key, value, 1)
            set.append(key)
        }
        if let core = plan.coreType {
            put(BLASKernel.Env.coreType, core)
            put(BLASKernel.Env.autoCore, core)
            put(BLASKernel.Env.detectedCore, plan.detected)
        }
        if let n = plan.numThreads { put(BLASKernel.Env.numThreads, n) }
        put(BLASKernel.Env.reexecMarker, "1")
        fflush(nil)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        let reason = String(cString: strerror(errno))
        for key in set { unsetenv(key) }
        return reason
        #else
        return "re-exec is implemented on Linux only"
        #endif
    }
}
