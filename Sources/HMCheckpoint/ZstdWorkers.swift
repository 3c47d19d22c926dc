import CKernels

extension Zstd {
    /// The zstd workers a rank should compress its shard with, from the cores it can use and
    /// the ranks of its job on the same host (`ranksOnThisHost`, itself included).
    ///
    /// A rank's share of cores is those it may run on (its affinity mask, which `taskset` or
    /// the MPI launcher's binding sets), and no more than the host's cores divided among its
    /// ranks (ranks bound to a whole socket all see the same mask). Workers compress while the
    /// rank's own thread hashes and writes what they produce, so one core of the share is left
    /// to that thread. With a share of one core — one rank per core — there are none: workers
    /// would only take turns with the rank's thread on that core, and zstd's multithreaded
    /// mode copies its input, which the single-threaded path does not.
    public static func workers(ranksOnThisHost: Int) -> Int {
        workers(cpusAvailable: Int(hm_cpus_available()), cpusOnline: Int(hm_cpus_online()),
                ranksOnThisHost: ranksOnThisHost)
    }

    public static func workers(cpusAvailable: Int, cpusOnline: Int, ranksOnThisHost: Int) -> Int {
        max(0, min(cpusAvailable, cpusOnline / max(1, ranksOnThisHost)) - 1)
    }
}
