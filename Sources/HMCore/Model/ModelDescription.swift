/// What a layer's units are: the distribution of p(h_l | h_{l+1}) (and of q(h_l | h_{l-1})).
/// Every fact that depends on the distribution comes from here, not from the engine or an
/// algorithm: how its parameters are laid out and initialised, the bound of its gradients
/// (for `--reproducible`'s fixed point), whether its states can be enumerated, whether it
/// has a Fisher block.
public enum LayerKind: String, CaseIterable, Sendable, Codable {
    /// Sigmoid belief units: on with probability σ(a).
    case bernoulli
    /// Sigmoid belief units coded ±1 (`--states pm1`): +1 with probability σ(a).
    case bernoulliPM1 = "bernoulli-pm1"
    /// Diagonal Gaussian units, one learned log-variance per unit.
    case gaussian
    /// Diagonal Gaussian units whose log-variance is affine in the parents too.
    case gaussianHetero = "gaussian-hetero"
    /// One one-hot group of WIDTH states (softmax).
    case categorical

    /// The layer class of this kind.
    public var layerType: ConditionalLayer.Type {
        switch self {
        case .bernoulli: return BernoulliLayer.self
        case .bernoulliPM1: return SignedBernoulliLayer.self
        case .gaussian: return GaussianLayer.self
        case .gaussianHetero: return HeteroGaussianLayer.self
        case .categorical: return CategoricalLayer.self
        }
    }

    /// The largest |∂ log p / ∂θ| of one data point on any parameter, given inputs in [0, 1]:
    /// a mean gradient over points is bounded by it too. Bernoulli: |s − σ(a)| · |input| ≤ 1
    /// (±1 units: |t − σ(a)| · |±1| ≤ 1);
    /// categorical: |v_k − p_k| ≤ 1; Gaussian: none (∞), and a model with a Gaussian layer
    /// has unbounded gradients everywhere its values are inputs.
    public var gradientBound: Double {
        switch self {
        case .bernoulli, .bernoulliPM1, .categorical: return 1
        case .gaussian, .gaussianHetero: return .infinity
        }
    }

    /// Whether the exact log-likelihood may enumerate this layer's states (discrete, finite).
    public var isEnumerable: Bool { stateCount(width: 1) != nil }

    /// The number of states of a layer of `width` units (nil: continuous). Bernoulli 2^width
    /// (nil beyond 2^62), categorical width.
    public func stateCount(width: Int) -> Int? {
        switch self {
        case .bernoulli, .bernoulliPM1: return width < 63 ? 1 << width : nil
        case .categorical: return width
        case .gaussian, .gaussianHetero: return nil
        }
    }

    /// Writes state `index` (< `stateCount`) into `row`: Bernoulli unit j = bit j of the index
    /// (±1 units: 2·bit − 1); categorical the one-hot vector of the index.
    public func writeState(_ index: Int, into row: UnsafeMutablePointer<Float>, width: Int) {
        switch self {
        case .bernoulli: for j in 0..<width { row[j] = Float((index >> j) & 1) }
        case .bernoulliPM1: for j in 0..<width { row[j] = Float(2 * ((index >> j) & 1) - 1) }
        case .categorical: for j in 0..<width { row[j] = j == index ? 1 : 0 }
        case .gaussian, .gaussianHetero: preconditionFailure("a Gaussian layer has no states to enumerate")
        }
    }

    /// Whether the natural-gradient algorithms have a Fisher block for it.
    public var hasFisherBlock: Bool { true }

    /// Whether data for a layer of this kind is real-valued (a data layer takes any finite
    /// values); the others take 0/1 values only.
    public var isContinuous: Bool { stateCount(width: 1) == nil }

    /// Whether its states are coded ±1 rather than 0/1.
    public var isSigned: Bool { self == .bernoulliPM1 }

    /// Data given as 0/1 in this kind's coding, in place: ±1 units take 2v − 1.
    public func encode(_ values: UnsafeMutablePointer<Float>, count: Int) {
        guard isSigned else { return }
        for i in 0..<count { values[i] = 2 * values[i] - 1 }
    }

    /// The inverse of `encode`: values of this kind (states or means) as 0/1 values or
    /// probabilities of 1, for pictures, rules and files.
    public func decode(_ values: [Float]) -> [Float] {
        isSigned ? values.map { (1 + $0) / 2 } : values
    }
}

/// What a layer stands for in the model.
public enum LayerRole: String, CaseIterable, Sendable, Codable {
    /// The observed data x (layer 0).
    case data
    /// A hidden layer h_l.
    case latent
    /// A label or goal layer on top (goal-seeded generation).
    case goal
    /// An auxiliary target for a hidden layer (multi-level training).
    case target
}

/// One layer of a model description.
public struct LayerDescription: Equatable, Sendable {
    public var width: Int
    public var kind: LayerKind
    public var role: LayerRole

    public init(width: Int, kind: LayerKind = .bernoulli, role: LayerRole = .latent) {
        self.width = width
        self.kind = kind
        self.role = role
    }
}

/// The model as data: its layers, data first, and the shape of an image of the data layer.
/// It is what a checkpoint's manifest records and the only thing a reader needs to rebuild the
/// machine (`HelmholtzMachine(description)`).
public struct ModelDescription: Equatable, Sendable {
    public var layers: [LayerDescription]
    /// Rows and columns of a picture of the data layer (rows · cols = its width).
    public var imageShape: [Int]

    public init(layers: [LayerDescription], imageShape: [Int]? = nil) {
        self.layers = layers
        let w = layers.first?.width ?? 0
        self.imageShape = imageShape.flatMap { $0.count == 2 && $0[0] * $0[1] == w ? $0 : nil } ?? [1, w]
    }

    /// Bernoulli layers of these widths: data first, the rest latent.
    public init(widths: [Int], imageShape: [Int]? = nil) {
        self.init(layers: widths.enumerated().map { LayerDescription(width: $1, role: $0 == 0 ? .data : .latent) },
                  imageShape: imageShape)
    }

    public var widths: [Int] { layers.map(\.width) }
    public var kinds: [LayerKind] { layers.map(\.kind) }

    /// The number of trained parameters: the generative layers (prior on top) and the
    /// recognition layers, as their kinds lay them out. In floating point, so that a model of
    /// absurd widths gets a number (to be refused) rather than an overflow.
    public var parameterCount: Double {
        let w = widths, k = kinds, L = w.count - 1
        func count(_ kind: LayerKind, _ inWidth: Int, _ outWidth: Int) -> Double {
            kind.layerType.parameterShapes(prefix: "", inWidth: inWidth, outWidth: outWidth)
                .reduce(0) { $0 + $1.shape.reduce(1.0) { $0 * Double($1) } }
        }
        return count(k[L], 0, w[L]) + (0..<L).reduce(0) { $0 + count(k[$1], w[$1 + 1], w[$1]) + count(k[$1 + 1], w[$1], w[$1 + 1]) }
    }

    /// The largest gradient bound of any layer (`LayerKind.gradientBound`).
    public var gradientBound: Double { layers.map(\.kind.gradientBound).max() ?? 1 }

    /// Whether every latent layer can be enumerated (the exact log-likelihood).
    public var latentsEnumerable: Bool { layers.dropFirst().allSatisfy(\.kind.isEnumerable) }

    /// A problem with the description, or nil: at least two layers, positive widths, the data
    /// layer first.
    public var problem: String? {
        if layers.count < 2 { return "expected at least two layers, data first, found \(layers.count)" }
        if let bad = layers.first(where: { $0.width <= 0 }) { return "expected positive widths, found \(bad.width)" }
        if layers[0].role != .data || layers.dropFirst().contains(where: { $0.role == .data }) {
            return "the first layer, and only it, is the data"
        }
        return nil
    }
}
