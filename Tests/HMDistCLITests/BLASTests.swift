import Foundation
import HMTestSupport
import Testing
@testable import HMPlatform

/// The BLAS and LAPACK routines hm-dist uses, under the kernel it selects (docs/training.md).
@Suite(.serialized)
struct BLASTests {
    /// A CPU with AVX-512 (F, BW, DQ, VL, CD), and one with AVX2 and FMA only.
    static let avx512: CPUFeatures = {
        var f = avx2
        (f.avx512f, f.avx512bw, f.avx512dq, f.avx512vl, f.avx512cd) = (true, true, true, true, true)
        return f
    }()
    static let avx2: CPUFeatures = {
        var f = CPUFeatures()
        (f.avx2, f.fma) = (true, true)
        return f
    }()

    // MARK: In process

    @Test func everyRoutineMatchesTheReferenceInProcess() {
        let results = BLASCheck.run()
        #expect(results.count > 40)
        let failed = results.filter { !$0.passed }
        #expect(failed.isEmpty, "under \(BLASKernel.info): \(failed)")
    }

    @Test func planUpgradesAGenericCoreAndSetsOneThread() {
        let (avx512, avx2) = (Self.avx512, Self.avx2)
        let dynamic = "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64"

        let p = BLASKernel.plan(environment: [:], detectedCore: "Prescott", config: dynamic,
                                cpu: avx512)
        #expect(p.coreType == "SkylakeX" && p.because == "CPU has AVX-512")
        #expect(p.numThreads == "1" && p.reexec)

        #expect(BLASKernel.plan(environment: [:], detectedCore: "Sandybridge", config: dynamic,
                                cpu: avx2).coreType == "Haswell")
        #expect(BLASKernel.plan(environment: [:], detectedCore: "Prescott", config: dynamic,
                                cpu: CPUFeatures()).coreType == nil)

        // OpenBLAS recognised the CPU: only the thread count.
        let known = BLASKernel.plan(environment: [:], detectedCore: "Cooperlake",
                                    config: dynamic, cpu: avx512)
        #expect(known.coreType == nil && known.numThreads == "1" && known.reexec)

        // The user's values are kept; nothing left to do means no re-exec.
        let user = BLASKernel.plan(environment: ["OPENBLAS_CORETYPE": "Haswell",
                                                 "OPENBLAS_NUM_THREADS": "2"],
                                   detectedCore: "Haswell", config: dynamic, cpu: avx512)
        #expect(user.coreType == nil && user.numThreads == nil && !user.reexec)

        // The re-executed process never re-executes again.
        let child = BLASKernel.plan(environment: ["HM_DIST_BLAS_REEXEC": "1"],
                                    detectedCore: "Prescott", config: dynamic, cpu: avx512)
        #expect(!child.reexec && child.coreType == nil && child.numThreads == nil)

        // The escape hatch.
        let off = BLASKernel.plan(environment: ["HM_DIST_NO_REEXEC": "1"],
                                  detectedCore: "Prescott", config: dynamic, cpu: avx512)
        #expect(!off.reexec && off.note?.contains("would have selected SkylakeX") == true)

        // Without DYNAMIC_ARCH, OPENBLAS_CORETYPE would be ignored.
        let fixed = BLASKernel.plan(environment: [:], detectedCore: "Prescott",
                                    config: "OpenBLAS 0.3.21 Prescott", cpu: avx512)
        #expect(fixed.coreType == nil && fixed.note != nil)
    }

    @Test func aUsersCoreThatLeavesWideVectorsUnusedIsSaid() {
        let (avx512, avx2) = (Self.avx512, Self.avx2)
        let dynamic = "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64"
        func note(_ set: String?, _ inUse: String, _ cpu: CPUFeatures, config: String = dynamic) -> String? {
            BLASKernel.userCoreNote(environment: set.map { ["OPENBLAS_CORETYPE": $0] } ?? [:],
                                    coreInUse: inUse, config: config, cpu: cpu)
        }
        #expect(note("Haswell", "Haswell", avx512) == "OPENBLAS_CORETYPE=Haswell (OpenBLAS's Haswell) "
                + "leaves this CPU's AVX-512 unused; unset it for a SkylakeX-class kernel")
        #expect(note("Zen", "Zen", avx512) != nil && note("Prescott", "Prescott", avx2)?.contains("AVX2 unused") == true)
        #expect(note("Cooperlake", "Cooperlake", avx512) == nil && note("SkylakeX", "SkylakeX", avx512) == nil)
        #expect(note("Haswell", "Haswell", avx2) == nil && note("Zen", "Zen", avx2) == nil)
        // Judged on the core in use: a misspelt value OpenBLAS ignored, a build that cannot switch.
        #expect(note("Haswel", "Cooperlake", avx512) == nil)
        #expect(note("Haswell", "Haswell", avx512, config: "OpenBLAS 0.3.21 Haswell") == nil)
        #expect(note(nil, "Haswell", avx512) == nil && note("", "Haswell", avx512) == nil
                && note("Prescott", "Prescott", CPUFeatures()) == nil)
    }

    // MARK: The built executable

    /// `hm-dist check-blas --json` as a user would run it: the kernel hm-dist selects on its
    /// own, one BLAS thread, every routine matching.
    @Test func executableSelectsAGoodKernelAndEveryRoutineMatches() throws {
        let run = try runCheckBLAS()
        #expect(run.status == 0, "hm-dist check-blas exited \(run.status): \(run.stderr)")
        let report = try run.report()
        #expect(report.passed, "\(report.results.filter { !$0.passed })")
        #expect(report.results.allSatisfy { $0.passed })
        #expect(report.blas.threads == 1, "\(report.blas)")
        #expect(report.blas.cpu == CPUFeatures.current)

        let cpu = CPUFeatures.current
        if cpu.hasAVX512 && report.blas.config.contains("DYNAMIC_ARCH") {
            #expect(BLASKernel.avx512Cores.contains(report.blas.core.lowercased()),
                    "AVX-512 CPU but \(report.blas)")
            // Where OpenBLAS alone falls back to a generic core, hm-dist must pick SkylakeX.
            if getenv("OPENBLAS_CORETYPE") == nil,
               BLASKernel.genericCores.contains(BLASKernel.coreName.lowercased()) {
                #expect(report.blas.core == "SkylakeX" && report.blas.source == .auto,
                        "\(report.blas)")
            }
        }
    }

    /// The whole re-exec path, on any machine: as if OpenBLAS had detected Prescott.
    @Test func executableReexecsWithSkylakeXWhenOpenBLASFallsBackToPrescott() throws {
        let cpu = CPUFeatures.current
        let run = try runCheckBLAS(["HM_DIST_BLAS_PRETEND_DETECTED": "Prescott"])
        #expect(run.status == 0, "hm-dist check-blas exited \(run.status): \(run.stderr)")
        let report = try run.report()
        #expect(report.passed, "\(report.results.filter { !$0.passed })")
        #expect(report.blas.threads == 1)
        guard report.blas.config.contains("DYNAMIC_ARCH"),
              let pick = BLASKernel.recommendedCore(for: cpu) else { return }
        #expect(report.blas.core == pick.core, "\(report.blas)")
        #expect(report.blas.source == .auto)
        #expect(report.blas.choice
                == "auto-selected \(pick.core) (\(pick.because); OpenBLAS detected Prescott)")
        if cpu.hasAVX512 { #expect(report.blas.core == "SkylakeX") }
    }

    /// The user's OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS are kept.
    @Test func executableKeepsTheUsersChoice() throws {
        let run = try runCheckBLAS(["OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "2",
                                    "HM_DIST_BLAS_PRETEND_DETECTED": "Prescott"])
        #expect(run.status == 0, "hm-dist check-blas exited \(run.status): \(run.stderr)")
        let report = try run.report()
        #expect(report.passed, "\(report.results.filter { !$0.passed })")
        #expect(report.blas.source == .environment)
        #expect(report.blas.choice.hasPrefix("set by OPENBLAS_CORETYPE"), "\(report.blas)")
        // Prescott leaves a CPU with AVX2 or AVX-512 its wide vectors unused: kept, but said.
        #expect(report.blas.choice.contains("OPENBLAS_CORETYPE=Prescott (OpenBLAS's Prescott) leaves this CPU's")
                == (BLASKernel.recommendedCore(for: .current) != nil && report.blas.config.contains("DYNAMIC_ARCH")),
                "\(report.blas)")
        if report.blas.config.contains("DYNAMIC_ARCH") { #expect(report.blas.core == "Prescott") }
        #expect(report.blas.threads == 2)
    }

    /// HM_DIST_NO_REEXEC=1: OpenBLAS's own core, one thread set in-process.
    @Test func executableEscapeHatchKeepsOpenBLASsChoice() throws {
        let run = try runCheckBLAS(["HM_DIST_NO_REEXEC": "1",
                                    "HM_DIST_BLAS_PRETEND_DETECTED": "Prescott"])
        #expect(run.status == 0, "hm-dist check-blas exited \(run.status): \(run.stderr)")
        let report = try run.report()
        #expect(report.passed)
        #expect(report.blas.source == .openblas)
        #expect(report.blas.core == BLASKernel.coreName || getenv("OPENBLAS_CORETYPE") != nil)
        #expect(report.blas.threads == 1)
        if BLASKernel.recommendedCore(for: .current) != nil,
           report.blas.config.contains("DYNAMIC_ARCH") {
            #expect(report.blas.choice.contains("HM_DIST_NO_REEXEC=1"), "\(report.blas)")
        }
    }

    // MARK: Running the executable

    struct Run {
        var status: Int32
        var stdout: Data
        var stderr: String

        func report() throws -> BLASCheckReport { try BLASCheckReport.decode(json: stdout) }
    }

    /// Runs `hm-dist check-blas --json` with the BLAS variables of this process removed and
    /// `environment` added.
    func runCheckBLAS(_ environment: [String: String] = [:]) throws -> Run {
        let executable = try #require(Executables.hmDist(), "\(Executables.hmDistMissing)")
        var env = ProcessInfo.processInfo.environment
        for key in BLASKernel.Env.all { env[key] = nil }
        env.merge(environment) { $1 }

        let process = Process()
        process.executableURL = executable
        process.arguments = ["check-blas", "--json"]
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: stdout,
                   stderr: String(decoding: stderr, as: UTF8.self))
    }
}
