import Foundation
import HMCheckpoint
import HMComm

/// The commit protocol of docs/checkpoint-format.md across ranks: rank 0 prepares `step-N.tmp/`; every rank
/// compresses and writes (and fsyncs) its own shard of the tensors, balanced by bytes; the
/// shard records are gathered; rank 0 writes the manifest, renames the directory and
/// replaces `LATEST`; a final barrier keeps every rank until the step is committed.
/// Each rank compresses with as many zstd workers as its share of the host's cores allows
/// (`Zstd.workers`), whatever the writer was given.
struct ShardedSave {
    let comm: Communicator
    let writer: CheckpointWriter
    let keep: Int
    let fault: FaultInjection?

    /// What the save cost this rank (for the log and the benchmarks).
    struct Cost { var bytesWritten: Int; var seconds: Double; var committedAfter: Double; var totalBytes: Int }

    func save<T: TensorSource>(_ info: CheckpointInfo, tensors: [T]) throws -> Cost {
        let started = Date()
        if comm.rank == 0 { _ = try writer.prepare(step: info.step) }
        try comm.barrier()
        let parts = ShardPlan.split(tensors, into: comm.size)
        var writer = self.writer
        writer.compressionWorkers = Zstd.workers(ranksOnThisHost: comm.ranksOnThisHost)
        let record = try writer.writeShard(rank: comm.rank, worldSize: comm.size, tensors: parts[comm.rank],
                                           into: writer.stagingDirectory(step: info.step))
        if fault?.fires(.crashInSave, rank: comm.rank, step: info.step) == true { kill(getpid(), SIGKILL) }
        let records = try gather(record)
        let mine = Date().timeIntervalSince(started)
        if comm.rank == 0 {
            _ = try writer.commit(info: info, tensors: Manifest.tensorEntries(for: parts), shards: records, keep: keep)
        }
        try comm.barrier()
        return Cost(bytesWritten: record.bytes, seconds: mine, committedAfter: Date().timeIntervalSince(started),
                    totalBytes: records.reduce(0) { $0 + $1.bytes })
    }

    /// Every rank's shard record, in rank order (fixed-size JSON slots over allgather).
    func gather(_ record: ShardRecord) throws -> [ShardRecord] {
        let slot = 1024
        var mine = [UInt8](try JSONEncoder().encode(record))
        guard mine.count < slot else { throw ConfigError(path: record.file, field: "shard record", "longer than \(slot) bytes") }
        mine += [UInt8](repeating: 0, count: slot - mine.count)
        var all = [UInt8](repeating: 0, count: slot * comm.size)
        try mine.withUnsafeBytes { m in
            try all.withUnsafeMutableBytes { try comm.allgather(m.baseAddress!, bytes: slot, into: $0.baseAddress!) }
        }
        return try (0..<comm.size).map { r in
            let bytes = all[(r * slot)..<(r * slot + slot)].prefix { $0 != 0 }
            return try JSONDecoder().decode(ShardRecord.self, from: Data(bytes))
        }
    }
}
