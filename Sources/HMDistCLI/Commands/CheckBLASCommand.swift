import ArgumentParser
import Foundation
import HMPlatform

/// `hm-dist check-blas [--json] [--rate]`.
struct CheckBLASCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-blas",
        abstract: "Check the BLAS and LAPACK routines hm-dist uses against a plain reference.",
        discussion: """
            Runs cblas_sgemm (all four transpose combinations, odd shapes), cblas_sgemv, \
            cblas_saxpy, cblas_sdot, cblas_dgemm, cblas_dsyrk, spotrf_+spotrs_ and \
            dpotrf_+dpotrs_ under the OpenBLAS \
            kernel hm-dist selected at start-up, compares each with a triple loop in double \
            precision, and prints the kernel and every result. Exits non-zero on any mismatch.

            The kernel: when OpenBLAS does not recognise the CPU and settles for a generic \
            core (Prescott, …), hm-dist sets OPENBLAS_CORETYPE (SkylakeX with AVX-512, \
            Haswell with AVX2+FMA) and OPENBLAS_NUM_THREADS=1 when unset, and re-executes \
            itself. Values you set are kept; HM_DIST_NO_REEXEC=1 disables the re-exec.
            """
    )

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @Flag(help: "Also measure the sgemm rate on 500×200×784 (GFLOP/s).")
    var rate = false

    func run() throws {
        let results = BLASCheck.run()
        let report = BLASCheckReport(blas: BLASKernel.info, results: results,
                                     sgemmGflops: rate ? BLASCheck.sgemmGflops() : nil)
        if json {
            print(String(decoding: try report.json(), as: UTF8.self))
        } else {
            print(report.blas)
            for r in results {
                let verdict = r.passed ? "ok  " : "FAIL"
                let error = String(format: "%.2e", r.maxError)
                let tolerance = String(format: "%.0e", r.tolerance)
                print("\(verdict) \(r.name): error \(error) (tolerance \(tolerance))"
                      + (r.detail.map { "; \($0)" } ?? ""))
            }
            if let g = report.sgemmGflops {
                print(String(format: "sgemm 500x200x784: %.1f GFLOP/s", g))
            }
            let failed = results.filter { !$0.passed }.count
            print(failed == 0 ? "all \(results.count) routines match the reference"
                              : "\(failed) of \(results.count) routines do NOT match the reference")
        }
        if !report.passed { throw ExitCode.failure }
    }
}
