import Foundation
import HMCheckpoint
import HMComm
import HMCore
import HMData
import HMPlatform

/// Measures a workload's training rate and the bound its matrix products set (docs/command-line.md, `bench`).
///
/// The bound: one step runs with `BLAS.recorder` on, capturing every product of the step;
/// those products are then replayed alone, on matrices of the same shapes, and timed. The
/// step's FLOP count and the GEMM-only rate come from the same run on the same machine. The
/// recorded step is the sixth (step 5), which no algorithm's every-10th-step statistics fall
/// on, so the bound counts the products of every step, not occasional ones.
public struct Bench {
    public struct Result: Codable, Sendable {
        public var workload: String
        public var algorithm: String
        public var layers: [Int]
        public var points_per_second: Double
        public var gemm_bound_points_per_second: Double
        public var fraction_of_gemm_bound: Double
        public var mflop_per_step: Double
        public var gemm_gflops: Double
        public var step_milliseconds: Double
        public var gemm_milliseconds_per_step: Double
        public var steps_timed: Int
        public var rounds: Int
        public var blas_core: String
        public var blas_threads: Int
        public var blas_choice: String
        public var world_size: Int
        /// Share of the training step spent waiting on communication (mean over ranks).
        public var comm_wait_fraction: Double
        /// For an algorithm that transforms its gradients: shares of the step (rank 0) spent on
        /// its statistics, their reduction across ranks, `afterExchange` ("factor"),
        /// `finishGradients` ("solve", each rank its share) and the gathering of the ranks'
        /// shares, over the timed steps. (The key keeps its first client's name, the Fisher.)
        public var fisher_share: [String: Double]?
        /// For an algorithm that times its own parts (`partSeconds`): each part's share of the step
        /// (rank 0), over the timed steps of the best round.
        public var algorithm_share: [String: Double]?
        /// With `--checkpoint DIR`: one save of parameters and Adam state, then one resume.
        public var checkpoint: CheckpointCost?
        /// With `--timeline`: every rank's phases of every step of the best round.
        public var timeline: [TimelineEntry]?
        public var timeline_summary: TimelineSummary?
        /// The collectives of the first timed round on rank 0, by operation and size (over
        /// `collective_steps` steps: occasional ones, such as statistics every few steps, count).
        public var collectives: [RecordingCommunicator.Tally]?
        public var collective_steps: Int?
    }

    /// One phase of one step on one rank, in seconds since the step's start on that rank.
    public struct TimelineEntry: Codable, Sendable {
        public var rank: Int
        public var step: Int
        public var phase: String
        public var start: Double
        public var end: Double
    }

    public struct CheckpointCost: Codable, Sendable {
        /// Until the step is committed (manifest, rename, LATEST), slowest rank.
        public var write_seconds: Double
        public var bytes_on_disk: Int
        public var uncompressed_bytes: Int
        /// This rank's shard bytes over its own compress + hash + write + fsync time (rank 0).
        public var mb_per_second_per_rank: Double
        /// Read, verify (size, SHA-256), decompress, decode and restore, on every rank.
        public var resume_seconds: Double
    }

    let trainer: Trainer
    let workload: Workload
    /// The trainer's communicator, recording during the first timed round.
    let recording: RecordingCommunicator

    public init(workload: Workload, config: TrainingConfig, data: Matrix, comm: Communicator) throws {
        self.workload = workload
        let machine = HelmholtzMachine(config.model(dataWidth: data.cols, imageShape: [1, data.cols]))
        machine.initialize(seed: config.seed)
        var c = config
        c.steps = Int.max / 2
        c.epochs = nil
        recording = RecordingCommunicator(comm)
        trainer = try Trainer(config: c, machine: machine, train: data, comm: recording)
    }

    /// Synthetic binary data of the workload's width: pixels on with probability 0.13, the
    /// density of binarized MNIST.
    public static func syntheticData(width: Int, count: Int = 10000) -> Matrix {
        let m = Matrix(rows: count, cols: width)
        let stream = RandomStream(key: 0xB1, purpose: .generate, step: 0)
        for r in 0..<count {
            stream.uniforms(tag: 0, index: r, into: m.row(r), count: width)
            for j in 0..<width { m.row(r)[j] = m.row(r)[j] < 0.13 ? 1 : 0 }
        }
        return m
    }

    /// `rounds` rounds of `steps` training steps and of the same steps' GEMMs alone; the best
    /// round of each is reported (best-of, as the platform figures are).
    /// With `timeline`, every step records its phases; the best round's are gathered to every rank.
    public func run(steps: Int, rounds: Int, timeline: Bool = false) throws -> Result {
        let comm = trainer.comm
        for _ in 0..<5 { try trainer.runStep() }                       // warm up
        let recorder = GEMMRecorder()
        BLAS.recorder = recorder
        try trainer.runStep()
        BLAS.recorder = nil
        let calls = recorder.calls
        let replay = GEMMReplay(calls)
        var bestStep = Double.infinity, bestGEMM = Double.infinity, waitFraction = 0.0
        var fisherShare: [String: Double]?, algorithmShare: [String: Double]?
        var bestTimelines: [StepTimeline] = []
        trainer.recordsTimeline = timeline
        defer { trainer.recordsTimeline = false }
        for round in 0..<rounds {
            let before = trainer.algorithm.partSeconds
            try comm.barrier()
            recording.isRecording = round == 0
            let t0 = Date()
            var waited = 0.0
            var fisher = Trainer.Phases()
            var timelines: [StepTimeline] = []
            for _ in 0..<steps {
                try trainer.runStep()
                if let t = trainer.timeline { timelines.append(t) }
                waited += trainer.communicationSeconds
                let f = trainer.phases
                fisher.statistics += f.statistics; fisher.reduction += f.reduction
                fisher.factor += f.factor; fisher.solve += f.solve; fisher.gather += f.gather
            }
            let elapsed = Date().timeIntervalSince(t0), step = elapsed / Double(steps)
            recording.isRecording = false
            if step < bestStep {
                bestStep = step
                bestTimelines = timelines
                let after = trainer.algorithm.partSeconds
                algorithmShare = after.isEmpty ? nil : after.mapValues { $0 / elapsed }.merging(before) { share, start in share - start / elapsed }
                waitFraction = waited / Double(steps) / step
                if trainer.transformsGradients {
                    fisherShare = ["statistics": fisher.statistics / elapsed, "reduction": fisher.reduction / elapsed,
                                   "factor": fisher.factor / elapsed, "solve": fisher.solve / elapsed,
                                   "gather": fisher.gather / elapsed,
                                   "total": fisher.total / elapsed]
                }
            }
            try comm.barrier()
            let t1 = Date()
            for _ in 0..<steps { replay.run() }
            bestGEMM = min(bestGEMM, Date().timeIntervalSince(t1) / Double(steps))
        }
        // The job's bound is set by its slowest rank's products; its rate by rank 0's clock
        // (every rank ends each step in the same allreduce).
        var gemm = [Double](repeating: 0, count: comm.size), wait = [waitFraction / Double(comm.size)]
        var mine = bestGEMM
        try withUnsafeBytes(of: &mine) { m in
            try gemm.withUnsafeMutableBytes { try comm.allgather(m.baseAddress!, bytes: 8, into: $0.baseAddress!) }
        }
        try wait.withUnsafeMutableBufferPointer { try comm.allreduceSum($0.baseAddress!, count: 1) }
        bestGEMM = gemm.max()!
        var flops = [calls.reduce(0) { $0 + $1.flops }]
        try flops.withUnsafeMutableBufferPointer { try comm.allreduceSum($0.baseAddress!, count: 1) }
        let batch = Double(trainer.config.batch)
        let info = BLASKernel.info
        let ranks = timeline ? try TimelineGather.gather(bestTimelines, comm: comm) : nil
        var result = Result(workload: workload.name, algorithm: trainer.algorithm.name, layers: trainer.machine.widths,
                      points_per_second: batch / bestStep, gemm_bound_points_per_second: batch / bestGEMM,
                      fraction_of_gemm_bound: bestGEMM / bestStep, mflop_per_step: flops[0] / 1e6,
                      gemm_gflops: flops[0] / bestGEMM / 1e9 / Double(comm.size), step_milliseconds: bestStep * 1e3,
                      gemm_milliseconds_per_step: bestGEMM * 1e3, steps_timed: steps, rounds: rounds,
                      blas_core: info.core, blas_threads: info.threads, blas_choice: info.choice,
                      world_size: comm.size, comm_wait_fraction: wait[0], fisher_share: fisherShare,
                      algorithm_share: algorithmShare, checkpoint: nil, collectives: recording.tallies, collective_steps: steps)
        if let ranks {
            result.timeline = ranks.enumerated().flatMap { r, timelines in
                timelines.flatMap { t in
                    t.spans.map { TimelineEntry(rank: r, step: t.step, phase: $0.phase.rawValue, start: $0.start, end: $0.end) }
                        + [TimelineEntry(rank: r, step: t.step, phase: "step", start: 0, end: t.total)]
                }
            }
            result.timeline_summary = TimelineSummary(ranks)
        }
        return result
    }
}

extension Bench {
    /// Saves the machine and optimizer into `directory` with every rank writing its shard,
    /// then resumes from it as a run would.
    public func checkpoint(into directory: String, level: Int) throws -> CheckpointCost {
        let comm = trainer.comm
        let tensors = ModelCheckpoint.tensors(trainer.machine, optimizer: trainer.optimizer)
        let saver = ShardedSave(comm: comm, writer: CheckpointWriter(checkpointsDirectory: directory, compressionLevel: level),
                                keep: 2, fault: nil)
        let info = CheckpointInfo(step: trainer.step, config: ConfigFile.json(trainer.config),
                                  architecture: ModelCheckpoint.architecture(trainer.machine.model))
        // The tensors are views of the trainer's buffers: they must outlive the save, unchanged.
        let cost = try withExtendedLifetime(trainer) { try saver.save(info, tensors: tensors) }
        try comm.barrier()
        let t0 = Date()
        let loaded = try CheckpointReader.load(directory)
        let machine = try ModelCheckpoint.machine(from: loaded)
        try ModelCheckpoint.restore(trainer.optimizer, machine: machine, from: loaded)
        var resume = [Date().timeIntervalSince(t0)]
        try resume.withUnsafeMutableBufferPointer { try comm.allreduceSum($0.baseAddress!, count: 1) }
        return CheckpointCost(write_seconds: cost.committedAfter, bytes_on_disk: cost.totalBytes,
                              uncompressed_bytes: tensors.reduce(0) { $0 + $1.byteCount },
                              mb_per_second_per_rank: Double(cost.bytesWritten) / 1e6 / cost.seconds,
                              resume_seconds: resume[0] / Double(comm.size))
    }
}

/// The recorded products of one step, on matrices of the same shapes, ready to be timed.
final class GEMMReplay {
    let calls: [(GEMMCall, Matrix, Matrix, Matrix)]

    init(_ recorded: [GEMMCall]) {
        calls = recorded.map { c in
            let a = c.transposeA ? Matrix(rows: c.k, cols: c.m) : Matrix(rows: c.m, cols: c.k)
            let b = c.transposeB ? Matrix(rows: c.n, cols: c.k) : Matrix(rows: c.k, cols: c.n)
            a.fill(0.5)
            b.fill(0.25)
            return (c, a, b, Matrix(rows: c.m, cols: c.n))
        }
    }

    func run() {
        for (c, a, b, out) in calls {
            BLAS.gemm(a, transposeA: c.transposeA, b, transposeB: c.transposeB, into: out, beta: 1)
        }
    }
}
