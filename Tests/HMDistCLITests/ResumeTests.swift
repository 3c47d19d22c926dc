import Foundation
import HMTestSupport
import Testing
import HMCheckpoint

/// Resume and preemption as a cluster exercises them (docs/training.md, docs/checkpoint-format.md: commit
/// protocol and signals, docs/command-line.md: fault injection): real `hm-dist` processes, bare, with in-process
/// ranks (`--ranks N`) and under `mpirun -n 2 --oversubscribe`, and the Slurm batch script
/// with a fake `scontrol`, each in its own temporary directory. Models are tiny (bars,
/// 25-10-5).
///
/// `mpirun` (Open MPI) must be on PATH; as root the OMPI_ALLOW_RUN_AS_ROOT variables are set
/// for it here.
@Suite(.serialized)
struct ResumeTests {
    static let model = ["--data", "bars", "--layers", "25,10,5"]

    // MARK: 1. Cross-world-size resume (docs/training.md: --reproducible)

    /// Saved by `mpirun -n 2` at steps 10 and 20 (two shards per step, manifest world size
    /// 2), resumed to 40 with `--ranks 1` and `--ranks 3`. With `--reproducible` everywhere
    /// the parameters and the optimizer state are the same bytes as 40 uninterrupted steps
    /// on a world of one; in the default mode they agree within 1e-5 (relative L2 per tensor).
    @Test(arguments: [true, false])
    func resumeOnAnotherWorldSize(reproducible: Bool) throws {
        let tmp = try TestScratch()
        let base = ["train"] + Self.model + ["--log-every", "10"] + (reproducible ? ["--reproducible"] : [])
        let straight = tmp.path("S"), saved = tmp.path("D")

        let s = try runHMDist(base + ["--steps", "40", "--run-dir", straight], in: tmp)
        try #require(s.succeeded, "\(s)")
        let d = try runHMDist(base + ["--steps", "20", "--checkpoint-every", "10", "--run-dir", saved], mpiRanks: 2, in: tmp)
        try #require(d.succeeded, "\(d)")

        // The layout of a 2-rank save (docs/checkpoint-format.md).
        for step in [10, 20] {
            let dir = saved + "/checkpoints/" + stepName(step)
            let files = Set((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            #expect(files == ["manifest.json", "manifest.sha256", "shard-00000-of-00002.safetensors.zst", "shard-00001-of-00002.safetensors.zst"],
                    "\(dir): \(files.sorted())")
            let manifest = try CheckpointReader.readManifest(dir)
            #expect(manifest.worldSize == 2 && manifest.step == step, "\(dir): world size \(manifest.worldSize), step \(manifest.step)")
            #expect(Set(manifest.shards.map(\.file)).count == 2, "\(manifest.shards)")
        }
        #expect(try latest(saved) == stepName(20))

        let reference = try CheckpointReader.load(straight)
        for ranks in [1, 3] {
            let copy = tmp.path("D\(ranks)")
            try FileManager.default.copyItem(atPath: saved, toPath: copy)
            let r = try runHMDist(base + ["--steps", "40", "--resume", "auto", "--run-dir", copy, "--ranks", "\(ranks)"], in: tmp)
            try #require(r.succeeded, "\(r)")
            #expect(r.stdout.contains("resuming at step 20") && r.stdout.contains("saved by 2 ranks"),
                    "--ranks \(ranks) did not say it resumed a 2-rank step 20: \(r)")
            let resumed = try CheckpointReader.load(copy)
            #expect(resumed.manifest.step == 40 && resumed.manifest.worldSize == ranks,
                    "step \(resumed.manifest.step), world size \(resumed.manifest.worldSize)")
            if reproducible {
                expectSameBytes(reference, resumed, what: "--reproducible 2 ranks → --ranks \(ranks) vs 40 straight on 1")
            } else {
                let worst = try worstRelativeDifference(reference, resumed)
                print("ResumeTests: default mode, 2 ranks → --ranks \(ranks) vs 40 straight on 1: worst relative L2 \(worst.value) (\(worst.tensor))")
                #expect(worst.value <= 1e-5, "default mode, 2 ranks → --ranks \(ranks): \(worst.tensor) differs by \(worst.value) relative")
            }
        }
    }

    // MARK: 2. Same world size (docs/training.md: resume is exact)

    /// `mpirun -n 2`, default mode: 40 straight steps vs. 20, then `--resume auto` to 40.
    @Test func resumeUnderMPIIsBitIdentical() throws {
        let tmp = try TestScratch()
        let base = ["train"] + Self.model + ["--log-every", "10"]
        let straight = tmp.path("S"), split = tmp.path("R")
        let s = try runHMDist(base + ["--steps", "40", "--run-dir", straight], mpiRanks: 2, in: tmp)
        try #require(s.succeeded, "\(s)")
        let first = try runHMDist(base + ["--steps", "20", "--run-dir", split], mpiRanks: 2, in: tmp)
        try #require(first.succeeded, "\(first)")
        let second = try runHMDist(base + ["--steps", "40", "--resume", "auto", "--run-dir", split], mpiRanks: 2, in: tmp)
        try #require(second.succeeded, "\(second)")
        #expect(second.stdout.contains("resuming at step 20"), "did not resume: \(second)")
        let a = try CheckpointReader.load(straight), b = try CheckpointReader.load(split)
        #expect(a.manifest.worldSize == 2 && b.manifest.worldSize == 2)
        #expect(a.manifest.step == 40 && b.manifest.step == 40)
        expectSameBytes(a, b, what: "mpirun -n 2: 20 + resume 20 vs 40 straight")
    }

    // MARK: 3. Preemption (docs/checkpoint-format.md: signal, agree, checkpoint, exit 75)

    struct Preemption: CustomStringConvertible, Sendable {
        var signal: Int32
        var mpiRanks: Int?
        /// `--ranks N` (in-process ranks; the signal handler is the process's).
        var ranks: Int?
        var worldSize: Int { mpiRanks ?? ranks ?? 1 }
        var description: String {
            "\(signal == SIGTERM ? "SIGTERM" : "SIGUSR1") to " + (mpiRanks.map { "mpirun -n \($0)" } ?? ranks.map { "--ranks \($0)" } ?? "a bare run")
        }
    }

    /// Measured (debug, 2 busy cores): mpirun exits 75 about 2 s after SIGUSR1 (most of it
    /// Open MPI's teardown), in-process worlds within 0.1 s.
    @Test(arguments: [Preemption(signal: SIGUSR1, mpiRanks: 2), Preemption(signal: SIGTERM),
                      Preemption(signal: SIGUSR1, ranks: 2)])
    func signalCheckpointsExits75AndResumes(_ p: Preemption) throws {
        let tmp = try TestScratch()
        let run = tmp.path("D")
        let base = ["train"] + Self.model + ["--run-dir", run, "--log-every", "1000"] + (p.ranks.map { ["--ranks", "\($0)"] } ?? [])
        let job = try startHMDist(base + ["--steps", "1000000"], mpiRanks: p.mpiRanks, in: tmp)
        let progressed = waitForProgress(run, beyond: 0, while: job, timeout: 15)
        guard progressed != nil else {
            let r = job.finish(timeout: 5)
            Issue.record("no progress in metrics.jsonl within 15 s: \(r)")
            return
        }
        let signalled = Date()
        #expect(kill(job.pid, p.signal) == 0)
        let r = job.finish(timeout: 15)
        let took = Date().timeIntervalSince(signalled)
        print("ResumeTests: \(p): exit \(r.status) \(String(format: "%.2f", took)) s after the signal")
        try #require(!r.timedOut && r.exited && r.status == 75, "\(p): expected exit 75 within 15 s: \(r)")
        #expect(r.stdout.contains("signal \(p.signal) received"), "\(r)")

        let name = try latest(run)
        let n = try #require(CheckpointLayout.step(ofDirectoryName: name), "LATEST holds '\(name)'")
        #expect(n >= 1000, "checkpointed at step \(n), before the progress seen at step \(progressed ?? -1)")
        #expect(FileManager.default.fileExists(atPath: run + "/checkpoints/\(name)/manifest.json"))
        let checkpoint = try CheckpointReader.load(run)
        #expect(checkpoint.manifest.step == n && checkpoint.manifest.worldSize == p.worldSize,
                "step \(checkpoint.manifest.step), world size \(checkpoint.manifest.worldSize)")
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints")).contains { $0.hasSuffix(".tmp") })

        let resumed = try runHMDist(base + ["--steps", "\(n + 10)", "--resume", "auto"], mpiRanks: p.mpiRanks, in: tmp)
        try #require(resumed.succeeded, "\(resumed)")
        #expect(resumed.stdout.contains("resuming at step \(n)"), "\(resumed)")
        let final = try CheckpointReader.load(run)
        #expect(final.manifest.step == n + 10, "final step \(final.manifest.step), expected \(n + 10)")
        #expect(try latest(run) == stepName(n + 10))
    }

    // MARK: 4. A rank dies in the middle of a save (docs/checkpoint-format.md, docs/command-line.md)

    /// The fault's step is the checkpoint's step (the number of steps run, as in
    /// `step-00000010`): ShardedSave checks `fires(.crashInSave, step: info.step)` and
    /// TrainingRun saves after the step counter has advanced. Step 5 commits; rank 1 dies
    /// after writing its shard of step 10, before the commit.
    @Test func crashInSaveLeavesTheLastCommittedStep() throws {
        let tmp = try TestScratch()
        let run = tmp.path("D")
        let base = ["train"] + Self.model + ["--steps", "30", "--checkpoint-every", "5", "--run-dir", run, "--log-every", "5"]
        let r = try runHMDist(base, mpiRanks: 2, environment: ["HM_DIST_FAULT": "rank=1,step=10,kind=crash-in-save"],
                          in: tmp, timeout: 10)
        print("ResumeTests: crash-in-save: exit \(r.status) after \(String(format: "%.2f", r.seconds)) s")
        #expect(!r.timedOut, "the job did not end within 10 s: \(r)")
        try #require(!r.succeeded, "the job succeeded despite the fault: \(r)")

        let checkpoints = run + "/checkpoints"
        let staging = checkpoints + "/step-00000010.tmp"
        let entries = Set(try FileManager.default.contentsOfDirectory(atPath: checkpoints))
        #expect(entries.contains("step-00000010.tmp") && !entries.contains("step-00000010"), "\(entries.sorted())")
        let staged = Set((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? [])
        #expect(staged.contains("shard-00001-of-00002.safetensors.zst"), "rank 1 dies after writing its shard: \(staged.sorted())")
        #expect(!staged.contains("manifest.json"), "the interrupted step has a manifest: \(staged.sorted())")
        #expect(throws: (any Error).self, "an interrupted save must never load") { try CheckpointReader.load(staging) }

        #expect(try latest(run) == stepName(5))
        #expect(CheckpointReader.committedSteps(in: run).map(\.step) == [5])
        let five = try CheckpointReader.load(run)
        #expect(five.manifest.step == 5 && five.manifest.worldSize == 2)

        let again = try runHMDist(base + ["--resume", "auto"], mpiRanks: 2, in: tmp)
        try #require(again.succeeded, "\(again)")
        #expect(again.stdout.contains("resuming at step 5") && again.stdout.contains("step-00000005"), "\(again)")
        #expect(try CheckpointReader.load(run).manifest.step == 30)
        let after = try FileManager.default.contentsOfDirectory(atPath: checkpoints)
        #expect(!after.contains { $0.hasSuffix(".tmp") }, "the resumed run saved step 10 again, replacing the leftover: \(after.sorted())")
        #expect(CheckpointReader.committedSteps(in: run).map(\.step) == [30, 25, 20], "keep 3")
    }

    // MARK: 5. The Slurm batch script (signal forwarding, bounded requeue)

    /// `bash launch/slurm/hm-dist.sbatch CONFIG RUN` with `mpirun -n 2` as the launcher and a
    /// fake `scontrol` that records its arguments. SIGUSR1 to the script (as Slurm's
    /// `--signal=B:USR1@120` sends it): forwarded, checkpoint committed, `scontrol requeue 42`,
    /// exit 0. At SLURM_RESTART_COUNT=20 (the default HM_DIST_MAX_RESTARTS) the requeued job
    /// resumes, is preempted again, commits, and the script exits 75 without requeueing.
    @Test func slurmScriptRequeuesOnPreemptionUntilTheLimit() throws {
        let tmp = try TestScratch()
        let script = try packageRoot().appendingPathComponent("launch/slurm/hm-dist.sbatch").path
        let executable = try #require(Executables.hmDist(), "\(Executables.hmDistMissing)")
        let run = tmp.path("RUN"), config = tmp.path("CONFIG.yaml"), calls = tmp.path("scontrol.calls")
        try "data: bars\nlayers: [25, 10, 5]\nsteps: 1000000\nlog-every: 200\n".write(toFile: config, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: tmp.path("bin"), withIntermediateDirectories: true)
        try "#!/bin/sh\necho \"$@\" >> '\(calls)'\n".write(toFile: tmp.path("bin/scontrol"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tmp.path("bin/scontrol"))
        func environment(restarts: Int) -> [String: String] {
            ["SLURM_JOB_ID": "42", "SLURM_RESTART_COUNT": "\(restarts)", "HM_DIST": executable.path,
             "HM_DIST_LAUNCHER": "mpirun -n 2 --oversubscribe",
             "PATH": tmp.path("bin") + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
        }
        func scontrolCalls() -> [String] {
            ((try? String(contentsOfFile: calls, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        // Restart 0: preempted, checkpoint committed, requeued, exit 0.
        var job = try startProcess(URL(fileURLWithPath: "/bin/bash"), [script, config, run], environment: environment(restarts: 0),
                                   label: "bash hm-dist.sbatch (restart 0)", in: tmp)
        guard waitForProgress(run, beyond: 0, while: job, timeout: 15) != nil else {
            Issue.record("no progress within 15 s: \(job.finish(timeout: 5))")
            return
        }
        #expect(kill(job.pid, SIGUSR1) == 0)
        var r = job.finish(timeout: 20)
        print("ResumeTests: sbatch restart 0: exit \(r.status) \(String(format: "%.2f", r.seconds)) s in all")
        #expect(!r.timedOut && r.exited && r.status == 0, "the script must requeue and exit 0: \(r)")
        #expect(scontrolCalls() == ["requeue 42"], "scontrol calls: \(scontrolCalls()); \(r)")
        #expect(r.stdout.contains("requeueing"), "\(r)")
        let first = try CheckpointReader.load(run)
        #expect(first.manifest.step >= 200 && first.manifest.worldSize == 2, "step \(first.manifest.step)")

        // Restart 20 (= HM_DIST_MAX_RESTARTS): the job resumes, is preempted again, commits, but
        // is not requeued; the script passes on the 75.
        job = try startProcess(URL(fileURLWithPath: "/bin/bash"), [script, config, run], environment: environment(restarts: 20),
                               label: "bash hm-dist.sbatch (restart 20)", in: tmp)
        guard waitForProgress(run, beyond: first.manifest.step, while: job, timeout: 15) != nil else {
            Issue.record("no progress past step \(first.manifest.step) within 15 s: \(job.finish(timeout: 5))")
            return
        }
        #expect(kill(job.pid, SIGUSR1) == 0)
        r = job.finish(timeout: 20)
        print("ResumeTests: sbatch restart 20: exit \(r.status) \(String(format: "%.2f", r.seconds)) s in all")
        #expect(!r.timedOut && r.exited && r.status == 75, "past the restart limit the script must exit 75: \(r)")
        #expect(scontrolCalls() == ["requeue 42"], "requeued past the limit: \(scontrolCalls())")
        #expect(r.stdout.contains("resuming at step \(first.manifest.step)"), "the requeued job did not resume: \(r)")
        #expect(r.stdout.contains("not requeueing"), "\(r)")
        let second = try CheckpointReader.load(run)
        #expect(second.manifest.step > first.manifest.step, "step \(second.manifest.step) after \(first.manifest.step)")
    }

    /// Both batch scripts wait for the launcher in a loop (`wait "$child"`; `kill -0 "$child"
    /// || break`). When the launcher exits while the script is handling a signal (here: a
    /// fake launcher that signals the script and exits 75 at once, as the ranks do when a
    /// second signal, e.g. Slurm's SIGTERM to the whole job, arrives as they finish), bash
    /// has reaped it by the time `kill -0` looks: the loop ends with the interrupted `wait`'s
    /// 128 + signal, the checkpoint is committed but the job is not requeued. bash 5.2 loses
    /// the status in about 9 of 10 tries; five tries, each of which must requeue.
    @Test(arguments: ["slurm", "pbs"])
    func batchScriptKeepsTheStatusOfALauncherThatExitsDuringTheTrap(_ system: String) throws {
        let tmp = try TestScratch()
        let root = try packageRoot()
        let calls = tmp.path("requeue.calls")
        try FileManager.default.createDirectory(atPath: tmp.path("bin"), withIntermediateDirectories: true)
        let signalName = system == "slurm" ? "USR1" : "TERM"
        // Signals the batch script (its outermost ancestor running hm-dist.sbatch/.pbs, so
        // that a subshell of the script does not count) and exits 75 at once, like ranks that
        // have just committed their checkpoint.
        let launcher = tmp.path("bin/fake-launcher")
        try """
            #!/bin/bash
            trap '' USR1 TERM  # the script forwards the signal: ranks survive it to exit 75
            sleep 0.2
            p=$PPID; top=
            while [ "${p:-1}" -gt 1 ]; do
              if tr '\\0' ' ' < /proc/$p/cmdline | grep -q 'hm-dist\\.\\(sbatch\\|pbs\\)'; then top=$p; fi
              p=$(ps -o ppid= -p $p | tr -d ' ')
            done
            [ -n "$top" ] && kill -\(signalName) $top
            exit 75

            """.write(toFile: launcher, atomically: true, encoding: .utf8)
        for tool in ["scontrol", "qrerun"] {
            try "#!/bin/sh\necho \"$@\" >> '\(calls)'\n".write(toFile: tmp.path("bin/" + tool), atomically: true, encoding: .utf8)
        }
        for file in ["fake-launcher", "scontrol", "qrerun"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tmp.path("bin/" + file))
        }
        var env = ["HM_DIST_LAUNCHER": launcher, "HM_DIST": "hm-dist",
                   "PATH": tmp.path("bin") + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
        let script: String, arguments: [String], expected: String
        if system == "slurm" {
            script = root.appendingPathComponent("launch/slurm/hm-dist.sbatch").path
            arguments = [script, tmp.path("CONFIG.yaml"), tmp.path("RUN")]
            env["SLURM_JOB_ID"] = "42"; env["SLURM_RESTART_COUNT"] = "0"
            expected = "requeue 42"
        } else {
            script = root.appendingPathComponent("launch/pbs/hm-dist.pbs").path
            arguments = [script]
            env["CONFIG"] = tmp.path("CONFIG.yaml"); env["PBS_JOBID"] = "7.server"; env["PBS_O_WORKDIR"] = tmp.root
            expected = "7.server"
        }
        let name = (script as NSString).lastPathComponent
        var lost: [String] = []
        for attempt in 1...5 {
            try? FileManager.default.removeItem(atPath: calls)
            env["RUN_DIR"] = tmp.path("RUN\(attempt)")  // PBS counts restarts in the run directory
            let r = try startProcess(URL(fileURLWithPath: "/bin/bash"), arguments, environment: env,
                                     label: "bash \(name) (fake launcher)", in: tmp).finish(timeout: 10)
            let requeues = ((try? String(contentsOfFile: calls, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            if !(r.exited && r.status == 0 && requeues == [expected]) {
                lost.append("attempt \(attempt): exit \(r.status), requeue calls \(requeues)")
            }
            #expect(!r.timedOut, "\(r)")
        }
        #expect(lost.isEmpty, """
            \(name): the launcher exited 75 (checkpoint committed) during the SIG\(signalName) trap, but the script \
            did not requeue in \(lost.count) of 5 attempts (\(lost.joined(separator: "; "))): its wait loop \
            (`kill -0 "$child" || break`) keeps the interrupted wait's 128 + signal
            """)
    }
}

// MARK: - Checkpoint comparisons

fileprivate func stepName(_ step: Int) -> String { CheckpointLayout.stepDirectoryName(step) }

/// What `checkpoints/LATEST` names.
fileprivate func latest(_ run: String) throws -> String {
    try String(contentsOfFile: run + "/checkpoints/LATEST", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Every tensor (parameters and `optimizer.*`) the same bytes.
func expectSameBytes(_ a: Checkpoint, _ b: Checkpoint, what: String,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.manifest.step == b.manifest.step && a.manifest.samplesSeen == b.manifest.samplesSeen
            && a.manifest.epoch == b.manifest.epoch, "\(what): position differs", sourceLocation: sourceLocation)
    #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted(), "\(what): tensor names differ", sourceLocation: sourceLocation)
    #expect(a.tensors.keys.contains("generative.0.weight") && a.tensors.keys.contains("optimizer.generative.0.weight.v")
            && a.tensors.keys.contains("optimizer.step"), "\(what): \(a.tensors.keys.sorted())", sourceLocation: sourceLocation)
    var differing: [String] = []
    for name in a.tensors.keys.sorted() where a[name]?.bytes != b[name]?.bytes {
        let x = (try? a[name]?.values(as: Float.self)) ?? [], y = (try? b[name]?.values(as: Float.self)) ?? []
        let worst = zip(x, y).map { abs($0 - $1) }.max() ?? .nan
        differing.append("\(name) (max |Δ| \(worst))")
    }
    #expect(differing.isEmpty, "\(what): \(differing.count) tensors differ: \(differing.joined(separator: ", "))",
            sourceLocation: sourceLocation)
}

/// The largest ‖a − b‖ / ‖a‖ over the float tensors; other dtypes must match exactly.
fileprivate func worstRelativeDifference(_ a: Checkpoint, _ b: Checkpoint) throws -> (value: Double, tensor: String) {
    #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
    var worst = (value: 0.0, tensor: "-")
    for name in a.tensors.keys.sorted() {
        let x = try #require(a[name]), y = try #require(b[name])
        guard x.dtype == .f32 else {
            #expect(x.bytes == y.bytes, "\(name) (\(x.dtype)) differs")
            continue
        }
        let xv = try x.values(as: Float.self), yv = try y.values(as: Float.self)
        try #require(xv.count == yv.count, "\(name)")
        var diff = 0.0, norm = 0.0
        for (p, q) in zip(xv, yv) { diff += Double(p - q) * Double(p - q); norm += Double(p) * Double(p) }
        let relative = norm > 0 ? (diff / norm).squareRoot() : (diff > 0 ? .infinity : 0)
        if relative > worst.value || relative.isNaN { worst = (relative, name) }
    }
    return worst
}

// MARK: - Running processes

/// Polls `run/metrics.jsonl` until a step record past `beyond` appears; returns its step, or
/// nil when `timeout` passes or the process ends first.
fileprivate func waitForProgress(_ run: String, beyond: Int, while job: Running, timeout: TimeInterval) -> Int? {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline && job.isRunning {
        let text = (try? String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            guard let record = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  record["points_per_second"] != nil, let step = (record["step"] as? NSNumber)?.intValue, step > beyond
            else { continue }
            return step
        }
        usleep(20_000)
    }
    return nil
}

