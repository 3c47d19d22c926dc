/// One group of a layer's parameters that the natural-gradient algorithms precondition with
/// its own per-unit blocks F_i = E[c_i h̃h̃ᵀ], h̃ = [parents; 1] (or h̃ = [1] without a weight).
/// A layer lists its heads, so the preconditioner needs no knowledge of the distribution:
/// Bernoulli and categorical layers have one (their logits), a Gaussian layer two (its mean,
/// c = 1/σ², and its log-variance, c = ½: the Fisher of a Gaussian's two natural heads has no
/// cross term, E[(v−μ)/σ² · ½((v−μ)²/σ² − 1)] = 0, so the exact Fisher over both heads is
/// these two blocks).
public struct FisherHead: Sendable, Equatable {
    /// Appended to the layer's name in the preconditioner's plans and saved statistics.
    public let suffix: String
    /// Tensor names under the layer's prefix: the weight (nil: the head has no parents) and bias.
    public let weight: String?
    public let bias: String
    /// The Fisher weight c when it is a constant (the log-variance's ½); nil: the layer's
    /// `fisherWeights`.
    public let constant: Float?
    /// A softmax prior: its units are coupled, and its exact Fisher is diag(p) − ppᵀ.
    public let softmax: Bool

    public init(suffix: String = "", weight: String?, bias: String, constant: Float? = nil, softmax: Bool = false) {
        self.suffix = suffix
        self.weight = weight
        self.bias = bias
        self.constant = constant
        self.softmax = softmax
    }

    /// The one head of an affine layer (`P.weight`, `P.bias`), or of a prior (`P.logits`).
    public static func logits(inWidth: Int, softmax: Bool = false) -> [FisherHead] {
        [inWidth == 0 ? FisherHead(weight: nil, bias: "logits", softmax: softmax) : FisherHead(weight: "weight", bias: "bias")]
    }
}
