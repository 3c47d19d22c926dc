import HMAlgorithms
import HMCheckpoint
import HMCore
import HMTraining

/// What a stored model generates, as tiles of the data's shape: dreams h_L ~ p(h_L) down to
/// h_1, shown as E[x | h_1] (or as draws of x), back in the data's units. Shared by
/// `hm-dist sample` and the report, so both show the same picture for the same seed.
public enum Dreams {
    /// `count` tiles of `machine` (rebuilt from `checkpoint`), values in [0, 1] for a
    /// real-valued data layer (clamped after undoing `--standardize`); `threshold` turns each
    /// value into 0 or 1 at 0.5 first. `top` ([count, w_L]): the dreams start from these top
    /// states (goal-seeded samples) instead of the prior's draws.
    public static func tiles(_ machine: HelmholtzMachine, checkpoint: Checkpoint, count: Int, seed: UInt64,
                             draws: Bool, threshold: Bool = false, top: Matrix? = nil) throws -> [[Float]] {
        let sleep = SleepPhase(machine: machine, dreams: count)
        sleep.dream(count: count, stream: RandomStream(key: seed, purpose: .generate, step: 0), firstDream: 0, top: top)
        let pixels = Matrix(rows: count, cols: machine.widths[0])
        if draws { pixels.copy(from: sleep.dream[0]) } else { machine.generative[0].mean(pre: sleep.pPre[0], into: pixels) }
        // ±1 units back to 0/1 draws and probabilities of 1.
        let kind = machine.model.layers[0].kind
        var tiles = (0..<count).map { kind.decode(Array(UnsafeBufferPointer(start: pixels.row($0), count: pixels.cols))) }
        if threshold { tiles = tiles.map { $0.map { $0 > 0.5 ? 1 : 0 } } }
        // Real-valued observations: back to the data's units, then clamped to the grey levels [0, 1].
        if kind.isContinuous {
            let s = try ModelCheckpoint.standardization(checkpoint, width: machine.widths[0])
            tiles = tiles.map { (s?.invert($0) ?? $0).map { min(max($0, 0), 1) } }
        }
        return tiles
    }
}
