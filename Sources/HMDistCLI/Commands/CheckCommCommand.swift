import ArgumentParser
import Foundation
import HMComm

/// `mpirun -n N hm-dist check-comm [--in-process N] [--json] [--max-chunk C] [--timing]`:
/// checks every collective of the communicator against known answers (hidden).
struct CheckCommCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-comm",
        abstract: "Check the communicator's collectives against known answers.",
        discussion: """
            Under mpirun (or bare, as a world of one) it uses MPI_COMM_WORLD; with \
            --in-process N it runs N ranks as threads of this process instead. Checks \
            allreduce of Float, Double and Int64 with rank-dependent values, two overlapping \
            non-blocking allreduces, broadcast from rank 1 (rank 0 in a world of one), \
            allgather, barrier, and that an allreduce gives the same bits on every rank; \
            also that the launcher's world size (OMPI_COMM_WORLD_SIZE, PMI_SIZE, SLURM_NTASKS \
            under srun) matches MPI's. Rank 0 prints the results; exits non-zero on any \
            mismatch.
            """,
        shouldDisplay: false
    )

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @Option(name: .customLong("in-process"), help: "Run N ranks as threads of this process instead of MPI.")
    var inProcess: Int?

    @Option(name: .customLong("max-chunk"), help: "Split MPI calls into chunks of at most this many elements (tests the chunked paths).")
    var maxChunk: Int?

    @Flag(help: "Also time an allreduce of 1 MiB of floats (median of 20).")
    var timing = false

    @Option(name: .customLong("abort-rank"), help: ArgumentHelp(
        "Make rank R abort while the others wait in an allreduce (tests that nothing hangs).",
        visibility: .hidden))
    var abortRank: Int?

    func validate() throws {
        if let n = inProcess, n < 1 { throw ValidationError("--in-process must be at least 1") }
        if let c = maxChunk, c < 1 { throw ValidationError("--max-chunk must be at least 1") }
    }

    func run() throws {
        let report: CommCheckReport
        if let n = inProcess {
            do {
                report = try InProcessWorld.run(size: n) { comm in
                    try CommCheck.run(comm, mode: "in-process", timing: timing, abortRank: abortRank)
                }[0]
            } catch {
                FileHandle.standardError.write(Data("check-comm: \(error)\n".utf8))
                throw ExitCode.failure
            }
        } else {
            let comm = try MPICommunicator()
            if let maxChunk { comm.maxChunk = maxChunk }
            var checked: CommCheckReport
            do {
                try comm.checkLauncherWorldSize()
                checked = try CommCheck.run(comm, mode: "mpi", timing: timing, abortRank: abortRank)
            } catch let error as CommunicatorError {
                comm.abort("check-comm: \(error.operation): \(error.message)", code: 1)
            } catch {
                comm.abort("check-comm: \(error)", code: 1)
            }
            checked.threadLevel = Int(comm.threadLevel)
            checked.maxChunk = comm.maxChunk
            try comm.finalize()
            report = checked
            if comm.rank != 0 {
                if !report.passed { throw ExitCode.failure }
                return
            }
        }
        if json {
            print(String(decoding: try report.json(), as: UTF8.self))
        } else {
            print("\(report.mode) world of \(report.worldSize) on \(Set(report.hosts).sorted().joined(separator: ", "))")
            for c in report.checks {
                print("\(c.passed ? "ok  " : "FAIL") \(c.name)"
                      + (c.failures.isEmpty ? "" : ": " + c.failures.joined(separator: "; ")))
            }
            if let t = report.allreduce1MiB {
                print(String(format: "allreduce of 1 MiB of floats: %.3f ms median, %.3f ms best (%.2f GB/s)",
                             t.medianMilliseconds, t.bestMilliseconds, t.gigabytesPerSecond))
            }
            if let sweep = report.allreduceSweep {
                print("allreduce, median µs by bytes: " + sweep.map { String(format: "%d B %.1f", $0.bytes, 1e3 * $0.medianMilliseconds) }.joined(separator: ", "))
            }
            let failed = report.checks.filter { !$0.passed }.count
            print(failed == 0 ? "all \(report.checks.count) checks passed"
                              : "\(failed) of \(report.checks.count) checks FAILED")
        }
        if !report.passed { throw ExitCode.failure }
    }
}

