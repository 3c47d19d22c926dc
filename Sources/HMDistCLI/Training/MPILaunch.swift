import Foundation

/// Whether this process was started by a parallel launcher, and how many ranks it asked for.
/// Plain `hm-dist train` (no launcher) is a world of one and never initialises MPI.
enum MPILaunch {
    static func launcherWorldSize(_ env: [String: String] = ProcessInfo.processInfo.environment) -> (size: Int, source: String)? {
        for key in ["OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"] {
            if let v = env[key].flatMap(Int.init) { return (v, key) }
        }
        // A task of an srun step: SLURM_STEP_NUM_TASKS ranks were asked for.
        if env["SLURM_STEP_ID"] != nil, let v = env["SLURM_STEP_NUM_TASKS"].flatMap(Int.init) ?? env["SLURM_NTASKS"].flatMap(Int.init) {
            return (v, "SLURM_STEP_NUM_TASKS")
        }
        return nil
    }
}
