import Foundation
import Testing
import HMComm

/// The world of one and the pieces that need no MPI job: launcher variables, errors.
@Suite(.serialized)
struct CommunicatorTests {
    @Test func aWorldOfOneIsTheIdentity() throws {
        let comm = SingleProcessCommunicator()
        #expect(comm.rank == 0 && comm.size == 1 && !comm.hostName.isEmpty && comm.ranksOnThisHost == 1)
        var f: [Float] = [1, 2, 3]
        var d: [Double] = [4, 5]
        var i: [Int64] = [Int64.max, -1]
        try f.withBase { try comm.allreduceSum($0, count: 3) }
        try d.withBase { try comm.allreduceSum($0, count: 2) }
        try i.withBase { try comm.allreduceSum($0, count: 2) }
        let pending = try f.withBase { try comm.startAllreduceSum($0, count: 3) }
        try pending.wait()
        #expect(pending.isComplete)
        #expect(f == [1, 2, 3] && d == [4, 5] && i == [Int64.max, -1])
        var b: [UInt8] = [9, 8]
        try b.withBase { try comm.broadcast($0, bytes: 2, root: 0) }
        #expect(b == [9, 8])
        #expect(throws: CommunicatorError.self) {
            try b.withBase { try comm.broadcast($0, bytes: 2, root: 1) }
        }
        var recv = [UInt8](repeating: 0, count: 2)
        try b.withUnsafeBytes { s in try recv.withBase { try comm.allgather(s.baseAddress!, bytes: 2, into: $0) } }
        #expect(recv == [9, 8])
        try comm.barrier()
        try comm.finalize()
        try comm.finalize()
    }

    @Test func pendingCollectiveWaitsOnceAndRethrows() throws {
        var calls = 0
        let ok = PendingCollective(wait: { calls += 1 })
        #expect(!ok.isComplete)
        try ok.wait()
        try ok.wait()
        #expect(calls == 1 && ok.isComplete)

        let failing = PendingCollective(wait: { throw Boom() })
        #expect(throws: Boom.self) { try failing.wait() }
        #expect(throws: Boom.self) { try failing.wait() }

        // Dropped while pending: waited for in deinit.
        var dropped = 0
        do { _ = PendingCollective(wait: { dropped += 1 }) }
        #expect(dropped == 1)
    }

    @Test func errorsNameTheRankAndTheOperation() {
        let e = CommunicatorError(rank: 3, operation: "allreduceSum(Float × 10)", kind: .mpi(code: 5),
                                  message: "MPI_ERR_COUNT: invalid count argument (MPI error 5)")
        #expect(e.description == "rank 3: allreduceSum(Float × 10): MPI_ERR_COUNT: invalid count argument (MPI error 5)")
        #expect("\(e)".hasPrefix("rank 3: allreduceSum"))
    }

    // MARK: Launcher variables

    @Test func expectedWorldSizeFromTheLauncher() {
        let size = { (env: [String: String]) in MPICommunicator.expectedWorldSize(environment: env) }
        #expect(size([:]) == nil)
        #expect(size(["OMPI_COMM_WORLD_SIZE": "4"])! == (4, "OMPI_COMM_WORLD_SIZE"))
        #expect(size(["PMI_SIZE": "8"])! == (8, "PMI_SIZE"))
        #expect(size(["PMIX_SIZE": "2"])! == (2, "PMIX_SIZE"))
        // mpirun's variable wins over the Slurm step of the daemon that started the rank.
        #expect(size(["OMPI_COMM_WORLD_SIZE": "16", "SLURM_STEP_ID": "0",
                      "SLURM_STEP_NUM_TASKS": "2", "SLURM_NTASKS": "16"])! == (16, "OMPI_COMM_WORLD_SIZE"))
        // srun: the step's task count.
        #expect(size(["SLURM_STEP_ID": "0", "SLURM_NTASKS": "4"])! == (4, "SLURM_NTASKS"))
        #expect(size(["SLURM_STEP_ID": "3", "SLURM_STEP_NUM_TASKS": "4", "SLURM_NTASKS": "8"])!
                == (4, "SLURM_STEP_NUM_TASKS"))
        // A batch script's own shell is not a launched world.
        #expect(size(["SLURM_NTASKS": "4"]) == nil)
        #expect(size(["SLURM_STEP_ID": "batch", "SLURM_NTASKS": "4"]) == nil)
        #expect(size(["OMPI_COMM_WORLD_SIZE": "zero"]) == nil)
        #expect(size(["OMPI_COMM_WORLD_SIZE": "0"]) == nil)
    }
}
