import Foundation
import HMAlgorithms
import HMCore
import HMPlatform

/// The memory a run needs on one rank, estimated before anything large is allocated, so that
/// a run that cannot fit is refused with both figures instead of dying in an allocation.
struct MemoryCheck {
    let parameters: Double
    /// Parameters and their gradients, optimizer state, the algorithm's workspaces.
    let bytesPerRank: Double

    init(config: TrainingConfig, model: ModelDescription, worldSize: Int) {
        let p = model.parameterCount
        let optimizerFloats = config.optimizer == .adam ? 2 * p : p
        let batch = (config.batch + worldSize - 1) / worldSize, dreams = (config.dreams + worldSize - 1) / worldSize
        parameters = p
        bytesPerRank = 4 * (2 * p + optimizerFloats + Double(batch * model.widths[0]))
            + AlgorithmCatalog.workspaceBytes(config.algorithm, model: model, batch: batch, dreams: dreams)
    }

    /// A refusal when `ranksHere` ranks of this size do not fit in what the machine has left.
    func problem(ranksHere: Int, host: String, available: MachineMemory.Reading?) -> String? {
        guard let available else { return nil }
        let need = bytesPerRank * Double(ranksHere)
        guard need > Double(available.bytes) else { return nil }
        return "the run needs at least \(Self.gb(bytesPerRank)) per rank (\(String(format: "%.4g", parameters)) parameters with their gradients and optimizer state, and the algorithm's workspaces)"
            + (ranksHere > 1 ? " × \(ranksHere) ranks on \(host) = \(Self.gb(need))" : "")
            + ", and \(host) has \(Self.gb(Double(available.bytes))) available (\(available.source)); use smaller layers, a smaller batch or fewer ranks per node"
    }

    static func gb(_ bytes: Double) -> String {
        bytes >= 1e8 ? String(format: "%.4g GB", bytes / 1e9) : String(format: "%.1f MB", bytes / 1e6)
    }
}
