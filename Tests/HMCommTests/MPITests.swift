import Foundation
import HMTestSupport
import Testing

/// The MPI communicator as users run it: `mpirun -n 2 hm-dist check-comm --json` checks every
/// collective with known answers on both ranks. mpirun is installed by the project's
/// scripts, so its absence is a failure, not a skip.
@Suite(.serialized)
struct MPITests {
    @Test func everyCollectiveUnderMpirunWithTwoRanks() throws {
        let run = try launch(mpirun: 2, ["check-comm", "--json"])
        #expect(run.status == 0, "check-comm under mpirun exited \(run.status): \(run.stderr)")
        let report = try run.report()
        #expect(report["mode"] as? String == "mpi")
        #expect(report["world_size"] as? Int == 2)
        #expect(report["passed"] as? Bool == true, "\(run.stdout)")
        let checks = report["checks"] as? [[String: Any]] ?? []
        #expect(checks.count >= 9)
        for check in checks {
            #expect(check["passed"] as? Bool == true, "\(check)")
        }
        let names = checks.compactMap { $0["name"] as? String }.joined(separator: "\n")
        for needed in ["allreduceSum Float", "allreduceSum Double", "allreduceSum Int64",
                       "startAllreduceSum", "broadcast 10007 bytes from rank 1", "allgather",
                       "barrier", "same bits"] {
            #expect(names.contains(needed), "no check named \(needed): \(names)")
        }
    }

    /// Counts above MPI's `int` are split into chunks: the same checks with tiny chunks.
    @Test func chunkedCallsUnderMpirun() throws {
        let run = try launch(mpirun: 2, ["check-comm", "--json", "--max-chunk", "1000"])
        #expect(run.status == 0, "check-comm --max-chunk under mpirun exited \(run.status): \(run.stderr)")
        let report = try run.report()
        #expect(report["max_chunk"] as? Int == 1000)
        #expect(report["passed"] as? Bool == true, "\(run.stdout)")
    }

    /// Started without mpirun: an MPI singleton, a world of one.
    @Test func aBareStartIsAWorldOfOne() throws {
        let run = try launch(mpirun: nil, ["check-comm", "--json"])
        #expect(run.status == 0, "bare check-comm exited \(run.status): \(run.stderr)")
        let report = try run.report()
        #expect(report["world_size"] as? Int == 1 && report["passed"] as? Bool == true)
    }

    /// The same checks on threads, through the command line.
    @Test func theInProcessWorldThroughTheCommandLine() throws {
        let run = try launch(mpirun: nil, ["check-comm", "--json", "--in-process", "3"])
        #expect(run.status == 0, "check-comm --in-process 3 exited \(run.status): \(run.stderr)")
        let report = try run.report()
        #expect(report["mode"] as? String == "in-process")
        #expect(report["world_size"] as? Int == 3 && report["passed"] as? Bool == true)
    }

    /// A rank that aborts while the others wait in an allreduce ends the whole job promptly
    /// (MPI_Abort) with its code, and says which rank and why.
    @Test func anAbortingRankEndsTheMPIJob() throws {
        let start = Date()
        let run = try launch(mpirun: 3, ["check-comm", "--abort-rank", "1"])
        #expect(Date().timeIntervalSince(start) < 60)
        #expect(run.status == 3, "mpirun exited \(run.status): \(run.stderr)")
        #expect(run.stderr.contains("rank 1: check-comm: abort requested on rank 1"), "\(run.stderr)")
        #expect(!run.stdout.contains("checks passed"))
    }

    /// The in-process world through the command line: an aborting rank fails `run`, named.
    @Test func anAbortingThreadRankEndsTheInProcessWorld() throws {
        let run = try launch(mpirun: nil, ["check-comm", "--in-process", "3", "--abort-rank", "2"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("rank 2: abort(code 3): check-comm: abort requested on rank 2"), "\(run.stderr)")
    }

    /// N singletons under a launcher that expected a world of N (a bare `srun` without a
    /// working MPI plugin) refuse to run instead of training N times alone.
    @Test func singletonsUnderALauncherThatExpectsMoreRanksRefuse() throws {
        let run = try launch(mpirun: nil, ["check-comm"],
                             environment: ["SLURM_STEP_ID": "0", "SLURM_NTASKS": "4"])
        #expect(run.status != 0)
        #expect(run.stderr.contains(
            "launcher asked for 4 ranks (SLURM_NTASKS) but MPI reports a world of 1"), "\(run.stderr)")
    }

    // MARK: Launching

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String

        /// The last line of stdout, one JSON object.
        func report() throws -> [String: Any] {
            let line = stdout.split(separator: "\n").last.map(String.init) ?? ""
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any], "stdout is not one JSON object: \(stdout)")
        }
    }

    /// Runs hm-dist (under `mpirun -n ranks --oversubscribe` unless `ranks` is nil) and
    /// collects its output; at most 120 s.
    func launch(mpirun ranks: Int?, _ arguments: [String],
                environment: [String: String] = [:]) throws -> Run {
        let executable = try #require(Executables.hmDist(), "\(Executables.hmDistMissing)")
        var env = ProcessInfo.processInfo.environment
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        env["OPENBLAS_NUM_THREADS"] = "1"
        env.merge(environment) { $1 }
        let process = Process()
        if let ranks {
            let mpirun = try #require(Executables.onPath("mpirun"), """
                mpirun was not found on PATH (\(env["PATH"] ?? "")) nor in /usr/bin; \
                install Open MPI (scripts/install)
                """)
            process.executableURL = mpirun
            process.arguments = ["-n", String(ranks), "--oversubscribe", executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: killer)
        // Read both pipes concurrently so that neither fills up.
        let stderrData = Shared(Data())
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            let d = err.fileHandleForReading.readDataToEndOfFile()
            stderrData.update { $0 = d }
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        killer.cancel()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderrData.current, as: UTF8.self))
    }
}
