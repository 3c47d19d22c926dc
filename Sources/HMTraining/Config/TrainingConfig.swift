import HMAlgorithms
import HMCore
import HMData

/// A training run's settings, typed and checked: what the engine runs. Built from flags and
/// YAML by `TrainingOptions` (one declaration per option); the defaults are here.
public struct TrainingConfig: Sendable, Equatable {
    public enum OptimizerKind: String, CaseIterable, Sendable { case adam, sgd }
    public enum EvalSplit: String, CaseIterable, Sendable { case valid, test }
    /// What a run does when its bound or held-out estimate collapses (`DivergenceWatch`).
    public enum OnDivergence: String, CaseIterable, Sendable { case stop, `continue` }
    /// How binary units are coded: 0/1, or ±1 (Liu 2023; the delta rule's targets (1 + s)/2).
    public enum States: String, CaseIterable, Sendable { case zeroOne = "01", pm1 }
    /// How the parameters start: N(0, 1/(fan_in + fan_out)) weights and the data's marginals
    /// in the data layer's biases, or all zero (Liu 2023).
    public enum Initialization: String, CaseIterable, Sendable { case normal, zero }
    public enum Resume: Sendable, Equatable {
        case never, auto
        case path(String)
    }

    /// A data spec: an IDX directory or file, or a built-in set (`digits`, `bars`, `bars:N`).
    public var data = "digits"
    public var binarize: Binarization = .none
    /// Per-pixel standardisation of a real-valued (Gaussian) data layer's data.
    public var standardize = false
    /// How spike data (`spikes:`, `spikes-synth:`) is cut into patterns; other data ignores it.
    public var spikes = SpikeBinning()
    /// Layers, data first; nil: the data's width, then 200, 200, 10 (the RWS paper's).
    public var layers: [LayerDescription]?
    /// `pm1`: every Bernoulli layer of `layers` is taken as `bernoulli-pm1`.
    public var states: States = .zeroOne
    public var initialization: Initialization = .normal
    public var algorithm = AlgorithmOptions()
    /// The global batch (split across ranks) and the dreams of each step's sleep phase.
    public var batch = 100
    public var dreams = 100
    public var optimizer: OptimizerKind = .adam
    public var lr = 1e-3
    /// The learning rate's course over the run (`LearningRateSchedule`): constant by default.
    public var lrSchedule: LearningRateSchedule.Shape = .constant
    public var lrFinal = 0.0
    public var warmupSteps = 0
    /// The step at which the decay ends; nil: the run's last step.
    public var lrDecaySteps: Int?
    public var momentum = 0.9
    /// The run's totals: epochs, or steps when set.
    public var epochs: Int? = 10
    public var steps: Int?
    public var seed: UInt64 = 1
    public var runDir: String?
    public var checkpointEvery = 0
    public var keep = 3
    public var resume: Resume = .never
    /// A rule whose fantasies alone the sleep phase learns from, joining the pool of wake
    /// data (`--active-sampling`, Liu 2023); nil: off.
    public var activeSampling: String?
    /// A checkpoint whose parameters a new run starts from (fine-tuning); nil: initialised.
    public var initFrom: String?
    /// `--grow` (de Sa et al. 1997): the top layer grown by `growUnits` units a stage, each
    /// stage trained for the run's steps, while the held-out estimate gains more than
    /// `growThreshold` nats per point; the top width of `layers` is the most it may reach.
    public var grow = false
    public var growUnits = 1
    public var growThreshold = 0.01
    /// With `--goal-cycles`: the fraction of training examples whose labels are used.
    public var labelledFraction = 1.0
    public var ranks = 1
    public var threads = 1
    /// World-size-independent results: exact fixed-point sums over fixed micro-blocks.
    public var reproducible = false
    public var evalEvery = 0
    public var evalSamples = 100
    public var evalSplit: EvalSplit = .valid
    public var logEvery = 100
    /// Refresh `RUN/report.html` every S steps and at the end (0: never); free to change on resume.
    public var reportEvery = 0
    /// zstd level of checkpoint shards: -1 (a fast level) runs at disk speed; 1 saves ~9 % of the bytes at ~400 MB/s a core.
    public var zstdLevel = -1
    public var onDivergence: OnDivergence = .stop
    /// Settings a resumed run may change although they change the trajectory.
    public var allowChanges: [String] = []

    /// The settings that change a run's trajectory (every algorithm option among them): a
    /// resume that changes one is refused unless `--allow-changes` names it. (The layers and the algorithm are checked apart,
    /// against the checkpoint's model and algorithm; totals, intervals and the world may change.)
    public static let trajectoryKeys = ["data", "binarize", "standardize", "bin-ms", "window", "stride", "valid-from", "batch", "dreams",
                                        "optimizer", "lr", "lr-schedule", "lr-final", "warmup-steps", "lr-decay-steps", "momentum", "seed", "reproducible", "init-from", "active-sampling",
                                        "grow", "grow-units", "grow-threshold", "labelled-fraction"] + AlgorithmOptions.fields.map(\.key)

    public init() {}

    /// The model for data of `width` pixels and `imageShape`.
    public func model(dataWidth width: Int, imageShape: [Int]) -> ModelDescription {
        let layers = self.layers ?? ([width, 200, 200, 10].map { LayerDescription(width: $0) })
        return ModelDescription(layers: layers.enumerated().map {
            LayerDescription(width: $1.width, kind: states == .pm1 && $1.kind == .bernoulli ? .bernoulliPM1 : $1.kind,
                             role: $0 == 0 ? .data : $1.role == .data ? .latent : $1.role)
        }, imageShape: imageShape)
    }
}
