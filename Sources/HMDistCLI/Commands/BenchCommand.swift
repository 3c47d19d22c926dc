import ArgumentParser
import Foundation
import HMComm
import HMCore
import HMData
import HMPlatform
import HMTraining
import HMAlgorithms

/// `hm-dist bench`: training data points per second of a docs/command-line.md workload, against the
/// bound set by the same step's matrix products timed alone in the same run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmark a workload (b1, b2, b3, b4) against its GEMM bound.")

    @Option(help: "b1, b2, b3 or b4.") var workload = "b1"
    @Option(help: "Override the workload's algorithm (e.g. ws).") var algorithm: String?
    @Option(name: .customLong("ddc-split"), help: "ddc: layer or paper, as in train.") var ddcSplit: String?
    @Option(help: "Data spec (default: synthetic binary data of the workload's shape).") var data: String?
    @Option(help: "Steps per timed round.") var steps = 100
    @Option(help: "Timed rounds; the best is reported.") var rounds = 5
    @Option(help: "Threads per rank: BLAS and the element-wise work.") var threads = 1
    @Option(help: "Also time one checkpoint save (every rank its shard) and resume, in this directory (emptied first).") var checkpoint: String?
    @Option(name: .customLong("zstd-level"), help: "zstd level of the checkpoint (as train: default -1).") var zstdLevel = -1
    @Flag(help: "Record every rank's phases of every step of the best round (docs/command-line.md, bench).") var timeline = false
    @Flag(help: "One JSON object on stdout.") var json = false

    func run() throws {
        try reportingErrors("bench") {
            guard let w = Workload.all[workload.lowercased()] else {
                throw ConfigError(path: "command line", field: "workload", "expected b1, b2, b3 or b4, found \(workload)")
            }
            guard steps > 0, rounds > 0, threads > 0 else {
                throw ConfigError(path: "command line", field: "steps", "steps, rounds and threads must be positive")
            }
            var algo: AlgorithmName?
            if let algorithm {
                guard let a = AlgorithmName(rawValue: algorithm) else {
                    throw ConfigError(path: "command line", field: "algorithm", "expected ws, rws, nws, nrws or ddc, found \(algorithm)")
                }
                algo = a
            }
            BLASKernel.setThreads(threads)
            RowParallel.threads = threads
            let settings = try w.config(algorithm: algo, data: data ?? "synthetic", extra: ddcSplit.map { [("ddc-split", $0)] } ?? [])
            let x: Matrix
            if let data {
                let d = try DataSource.load(spec: data, real: w.realData)
                guard d.width == w.dataWidth else {
                    throw ConfigError(path: data, field: "data", "workload \(w.name) needs \(w.dataWidth) pixels, the data has \(d.width)")
                }
                x = Matrix(rows: d.trainCount, cols: d.width, values: d.train)
            } else {
                x = Bench.syntheticData(width: w.dataWidth)
            }
            let mpi = MPICommunicator.expectedWorldSize() != nil ? try MPICommunicator() : nil
            let comm: Communicator = mpi ?? SingleProcessCommunicator()
            var result: Bench.Result
            do {
                let bench = try Bench(workload: w, config: settings, data: x, comm: comm)
                result = try bench.run(steps: steps, rounds: rounds, timeline: timeline)
                if let checkpoint {
                    if comm.rank == 0 { try? FileManager.default.removeItem(atPath: checkpoint) }
                    try comm.barrier()
                    result.checkpoint = try bench.checkpoint(into: checkpoint, level: zstdLevel)
                }
            } catch {
                if let mpi { mpi.abort("hm-dist bench: error on rank \(mpi.rank): \(error)", code: 1) }
                throw error
            }
            try comm.finalize()
            if comm.rank != 0 { return }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
            } else {
                print("workload \(result.workload): \(result.algorithm) \(result.layers.map(String.init).joined(separator: "-")), batch \(settings.batch), K = \(settings.algorithm.samples), \(settings.dreams) dreams")
                print("BLAS: \(BLASKernel.info)")
                print(String(format: "%.1f MFLOP of GEMM per step; GEMMs alone: %.2f ms per step (%.1f GFLOP/s)",
                             result.mflop_per_step, result.gemm_milliseconds_per_step, result.gemm_gflops))
                print(String(format: "training (%d rank%@): %.2f ms per step = %.0f points/s; GEMM bound %.0f points/s; %.1f %% of the bound; %.1f %% of the step waiting on communication",
                             result.world_size, result.world_size == 1 ? "" : "s", result.step_milliseconds, result.points_per_second,
                             result.gemm_bound_points_per_second, 100 * result.fraction_of_gemm_bound, 100 * result.comm_wait_fraction))
                if let f = result.fisher_share {
                    print(String(format: "natural gradient: %.1f %% of the step (Fisher statistics %.1f %%, their reduction %.1f %%, factors %.1f %%, solves %.1f %%, gathering the solved units %.1f %%)",
                                 100 * f["total"]!, 100 * f["statistics"]!, 100 * f["reduction"]!, 100 * f["factor"]!, 100 * f["solve"]!,
                                 100 * f["gather"]!))
                }
                if let a = result.algorithm_share {
                    print("parts of the step: " + a.sorted { $0.key < $1.key }.map { String(format: "%@ %.1f %%", $0.key, 100 * $0.value) }.joined(separator: ", "))
                }
                if let c = result.checkpoint {
                    print(String(format: "checkpoint: %.2f MB on disk (%.2f MB raw), committed in %.3f s, %.0f MB/s per rank written; resume %.3f s",
                                 Double(c.bytes_on_disk) / 1e6, Double(c.uncompressed_bytes) / 1e6, c.write_seconds,
                                 c.mb_per_second_per_rank, c.resume_seconds))
                }
                if let entries = result.timeline, let summary = result.timeline_summary {
                    TimelineTable.lines(entries, summary: summary).forEach { print($0) }
                }
            }
        }
    }
}
