import CMPI
import Foundation

/// MPI_COMM_WORLD of Open MPI. Started by `mpirun`/`srun` it is the launched world; started
/// bare it is a singleton world of one.
///
/// - MPI is initialised with MPI_THREAD_FUNNELED: only the thread that created the
///   communicator calls MPI (other threads may compute meanwhile).
/// - MPI_COMM_WORLD's error handler is set to MPI_ERRORS_RETURN, so a failing call throws
///   `CommunicatorError` (rank, operation, MPI's error string) instead of killing the job
///   silently; a rank that catches one and cannot go on calls `abort`.
/// - Counts above Int32.max (MPI's `int`) are split into chunks of at most `maxChunk`.
/// - MPI can be initialised once per process: a second `MPICommunicator` shares the world;
///   after `finalize()` no new one can be made.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public let hostName: String
    /// The size of this rank's MPI_COMM_TYPE_SHARED part of the world (1 if MPI cannot say).
    public let ranksOnThisHost: Int
    /// The thread level MPI provides (MPI_THREAD_SINGLE 0 … MPI_THREAD_MULTIPLE 3).
    public let threadLevel: Int32
    /// The largest element count (bytes for broadcast/allgather) handed to one MPI call.
    /// Int32.max unless lowered (tests lower it to exercise the chunked paths).
    public var maxChunk: Int = Int(Int32.max) {
        didSet { maxChunk = min(max(maxChunk, 1), Int(Int32.max)) }
    }
    /// The environment as it was before MPI_Init (for `checkLauncherWorldSize`).
    public let launchEnvironment: [String: String]

    private let world: MPI_Comm

    /// Initialises MPI (unless something else in the process already did) and reads the
    /// world. Throws when MPI was finalised already or refuses to start.
    public init() throws {
        launchEnvironment = ProcessInfo.processInfo.environment
        var flag: Int32 = 0
        MPI_Finalized(&flag)
        if flag != 0 {
            throw CommunicatorError(rank: 0, operation: "MPI_Init_thread", kind: .setup,
                                    message: "MPI was finalised already in this process")
        }
        MPI_Initialized(&flag)
        var provided: Int32 = 0
        if flag == 0 {
            let rc = MPI_Init_thread(nil, nil, hm_mpi_thread_funneled(), &provided)
            guard rc == hm_mpi_success() else {
                throw CommunicatorError(rank: 0, operation: "MPI_Init_thread", kind: .mpi(code: rc),
                                        message: "MPI failed to start (error \(rc))")
            }
        } else {
            MPI_Query_thread(&provided)
        }
        threadLevel = provided
        world = hm_mpi_comm_world()
        MPI_Comm_set_errhandler(world, hm_mpi_errors_return())
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(world, &r)
        MPI_Comm_size(world, &s)
        rank = Int(r)
        size = Int(s)
        var name = [CChar](repeating: 0, count: Int(hm_mpi_max_processor_name()) + 1)
        var length: Int32 = 0
        if MPI_Get_processor_name(&name, &length) == hm_mpi_success(), length > 0 {
            hostName = String(cString: name)
        } else {
            hostName = HostName.current
        }
        // Collective, like the init itself: every rank makes its communicator at start-up.
        var local: MPI_Comm? = nil, localSize: Int32 = 1
        if MPI_Comm_split_type(world, hm_mpi_comm_type_shared(), 0, hm_mpi_info_null(), &local) == hm_mpi_success(),
           local != nil {
            MPI_Comm_size(local, &localSize)
            MPI_Comm_free(&local)
        }
        ranksOnThisHost = max(1, Int(localSize))
    }

    // MARK: Launcher check

    /// The world size the launcher that started this process expects, and the variable it
    /// came from: `OMPI_COMM_WORLD_SIZE` (Open MPI's mpirun), `PMI_SIZE` (Hydra, Slurm PMI2),
    /// `PMIX_SIZE`, then Slurm's task count when inside an `srun` step
    /// (`SLURM_STEP_NUM_TASKS`, else `SLURM_NTASKS` with `SLURM_STEP_ID` set and not the batch
    /// or extern step). Nil when none is set (a bare start, or a batch script's own shell).
    public static func expectedWorldSize(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> (size: Int, source: String)? {
        func positive(_ key: String) -> (size: Int, source: String)? {
            guard let text = environment[key]?.trimmingCharacters(in: .whitespaces),
                  let n = Int(text), n > 0 else { return nil }
            return (n, key)
        }
        for key in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"] {
            if let found = positive(key) { return found }
        }
        let step = environment["SLURM_STEP_ID"] ?? environment["SLURM_STEPID"]
        if let step, !step.isEmpty, !["batch", "extern", "interactive"].contains(step.lowercased()) {
            if let found = positive("SLURM_STEP_NUM_TASKS") { return found }
            if let found = positive("SLURM_NTASKS") { return found }
        }
        return nil
    }

    /// Throws when the launcher asked for more ranks than MPI reports: typically `srun`
    /// without an MPI plugin that this Open MPI understands, or a binary linked against a
    /// different MPI than `mpirun`, which starts N independent singletons that would each
    /// train alone and overwrite each other's run directory.
    public func checkLauncherWorldSize() throws {
        guard let expected = Self.expectedWorldSize(environment: launchEnvironment),
              expected.size != size else { return }
        throw CommunicatorError(
            rank: rank, operation: "MPI world size", kind: .setup,
            message: """
                launcher asked for \(expected.size) ranks (\(expected.source)) but MPI reports \
                a world of \(size): the processes did not join one MPI world (under Slurm use \
                `srun --mpi=pmix` or `mpirun`; check that hm-dist is linked against the MPI \
                that launches it)
                """)
    }

    // MARK: Collectives

    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        try allreduce(buffer, count: count, type: hm_mpi_float(), stride: 4, "allreduceSum(Float × \(count))")
    }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {
        try allreduce(buffer, count: count, type: hm_mpi_double(), stride: 8, "allreduceSum(Double × \(count))")
    }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Int64>, count: Int) throws {
        try allreduce(buffer, count: count, type: hm_mpi_int64(), stride: 8, "allreduceSum(Int64 × \(count))")
    }

    public func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws -> PendingCollective {
        let op = "startAllreduceSum(Float × \(count))"
        try checkCount(count, op)
        let chunks = chunked(count)
        guard !chunks.isEmpty else { return .completed() }
        let requests = UnsafeMutablePointer<MPI_Request?>.allocate(capacity: chunks.count)
        requests.initialize(repeating: hm_mpi_request_null(), count: chunks.count)
        for (i, chunk) in chunks.enumerated() {
            let rc = MPI_Iallreduce(hm_mpi_in_place(), buffer + chunk.offset, Int32(chunk.count),
                                    hm_mpi_float(), hm_mpi_sum(), world, requests + i)
            if rc != hm_mpi_success() {
                // The started chunks must still complete before the buffer is given back.
                _ = MPI_Waitall(Int32(i), requests, nil)
                requests.deallocate()
                throw mpiError(rc, op)
            }
        }
        let n = Int32(chunks.count)
        let waitOp = "wait for \(op)"
        var freed = false
        func release() { if !freed { freed = true; requests.deallocate() } }
        return PendingCollective(
            wait: { [self] in
                defer { release() }
                let rc = MPI_Waitall(n, requests, nil)
                if rc != hm_mpi_success() { throw mpiError(rc, waitOp) }
            },
            test: { [self] in
                var flag: Int32 = 0
                let rc = MPI_Testall(n, requests, &flag, nil)
                if rc != hm_mpi_success() { release(); throw mpiError(rc, "test for \(op)") }
                if flag != 0 { release() }
                return flag != 0
            })
    }

    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws {
        let op = "broadcast(\(bytes) bytes from rank \(root))"
        try checkCount(bytes, op)
        try checkRoot(root, op)
        for chunk in chunked(bytes) {
            let rc = MPI_Bcast(buffer + chunk.offset, Int32(chunk.count), hm_mpi_byte(), Int32(root), world)
            if rc != hm_mpi_success() { throw mpiError(rc, op) }
        }
    }

    public func barrier() throws {
        let rc = MPI_Barrier(world)
        if rc != hm_mpi_success() { throw mpiError(rc, "barrier") }
    }

    public func allgather(_ send: UnsafeRawPointer, bytes: Int, into recv: UnsafeMutableRawPointer) throws {
        let op = "allgather(\(bytes) bytes)"
        try checkCount(bytes, op)
        let chunks = chunked(bytes)
        if chunks.count <= 1 {
            guard bytes > 0 else { return }
            let rc = MPI_Allgather(send, Int32(bytes), hm_mpi_byte(), recv, Int32(bytes), hm_mpi_byte(), world)
            if rc != hm_mpi_success() { throw mpiError(rc, op) }
            return
        }
        // Each chunk lands rank after rank in a scratch buffer, then goes to its place.
        let largest = chunks.map(\.count).max()!
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: largest * size, alignment: 16)
        defer { scratch.deallocate() }
        for chunk in chunks {
            let rc = MPI_Allgather(send + chunk.offset, Int32(chunk.count), hm_mpi_byte(),
                                   scratch, Int32(chunk.count), hm_mpi_byte(), world)
            if rc != hm_mpi_success() { throw mpiError(rc, op) }
            for r in 0..<size {
                memcpy(recv + r * bytes + chunk.offset, scratch + r * chunk.count, chunk.count)
            }
        }
    }

    /// Prints "rank R: message" on stderr and ends every rank (MPI_Abort on MPI_COMM_WORLD).
    public func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("rank \(rank): \(message)\n".utf8))
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 {
            MPI_Abort(world, code)
        }
        exit(code)
    }

    /// MPI_Finalize, once (later calls, and calls after someone else finalised, do nothing).
    public func finalize() throws {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        guard finalized == 0 else { return }
        let rc = MPI_Finalize()
        if rc != hm_mpi_success() { throw mpiError(rc, "MPI_Finalize") }
    }

    // MARK: Helpers

    private func allreduce(_ buffer: UnsafeMutableRawPointer, count: Int, type: MPI_Datatype,
                           stride: Int, _ op: @autoclosure () -> String) throws {
        try checkCount(count, op())
        for chunk in chunked(count) {
            let rc = MPI_Allreduce(hm_mpi_in_place(), buffer + chunk.offset * stride,
                                   Int32(chunk.count), type, hm_mpi_sum(), world)
            if rc != hm_mpi_success() { throw mpiError(rc, op()) }
        }
    }

    private func chunked(_ count: Int) -> [(offset: Int, count: Int)] {
        stride(from: 0, to: count, by: maxChunk).map { ($0, min(maxChunk, count - $0)) }
    }

    private func checkCount(_ count: Int, _ op: @autoclosure () -> String) throws {
        guard count >= 0 else {
            throw CommunicatorError(rank: rank, operation: op(), kind: .invalidArgument,
                                    message: "negative count \(count)")
        }
    }

    private func checkRoot(_ root: Int, _ op: @autoclosure () -> String) throws {
        guard (0..<size).contains(root) else {
            throw CommunicatorError(rank: rank, operation: op(), kind: .invalidArgument,
                                    message: "root \(root) is outside the world of \(size)")
        }
    }

    private func mpiError(_ code: Int32, _ op: String) -> CommunicatorError {
        var text = [CChar](repeating: 0, count: Int(hm_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        let message = MPI_Error_string(code, &text, &length) == hm_mpi_success()
            ? String(cString: text) : "MPI error \(code)"
        return CommunicatorError(rank: rank, operation: op, kind: .mpi(code: code),
                                 message: "\(message) (MPI error \(code))")
    }
}
