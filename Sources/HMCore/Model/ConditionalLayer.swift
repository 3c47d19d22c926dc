/// One conditional distribution of a Helmholtz machine, `p(out | in) = D(W·in + b)`: the seam
/// that every algorithm is written against. An algorithm never knows which distribution D a
/// layer uses; it draws (`sample`), scores (`score`) and asks for the gradient of the score.
///
/// Rows are examples. `every` arguments let several rows share one row of their operand: the
/// K importance samples of one data point share its recognition pre-activation and its pixels.
public protocol ConditionalLayer: AnyObject {
    /// Width of the conditioning input; 0 for the top prior, whose pre-activation is its bias.
    var inWidth: Int { get }
    var outWidth: Int { get }
    /// Width of a row of `pre`: D's per-row parameters (Bernoulli, categorical: outWidth
    /// logits; Gaussian: 2·outWidth, [mean | log-variance]).
    var preWidth: Int { get }
    /// Width of `delta`: the gradient of log D with respect to D's per-row parameters.
    var deltaWidth: Int { get }
    /// Names and shapes of the tensors this layer trains, under `prefix`.
    static func parameterShapes(prefix: String, inWidth: Int, outWidth: Int) -> [(name: String, shape: [Int])]
    /// The layer over the tensors `parameterShapes` named, already laid out in `store`.
    init(store: ParameterStore, prefix: String, inWidth: Int, outWidth: Int)

    /// pre = input · Wᵀ + b, shape [rows, preWidth]. The prior takes no input and fills one row.
    func preactivation(_ input: Matrix?, into pre: Matrix)

    /// value[r] ~ D(pre[r / every]); draw r uses sample index `firstIndex + r` of `tag`.
    func sample(pre: Matrix, every: Int, into value: Matrix, stream: RandomStream, tag: UInt32,
                firstIndex: Int)

    /// logProb[r] += log D(value[r / valueEvery] | pre[r / preEvery]) for r < rows, and, if
    /// `delta` is given, delta[r] = ∂ log D / ∂(D's parameters of row r).
    func score(pre: Matrix, preEvery: Int, value: Matrix, valueEvery: Int, rows: Int,
               delta: Matrix?, logProb: UnsafeMutablePointer<Double>?)

    /// Adds Σ_r of the parameter gradient for per-row `delta` given `input` (nil for the prior).
    func accumulateGradient(delta: Matrix, input: Matrix?)

    /// E[value | pre], for pictures of what the model generates.
    func mean(pre: Matrix, into: Matrix)

    /// The Fisher seam of the natural-gradient algorithms (`nws`, `nrws`): into[r, i] is the
    /// weight c of h̃h̃ᵀ, h̃ = [input; 1], in unit i's Fisher block over its incoming weights and
    /// bias, F_i = E[c · h̃h̃ᵀ], for the pre-activation pre[r / every], for r < rows. `into` is
    /// [≥ rows, outWidth]. Bernoulli: c = σ(a)(1 − σ(a)), the Fisher of a logit. A
    /// distribution with further parameters per unit (a variance) keeps their Fisher to itself;
    /// c is always ≥ 0, so an algorithm can precondition without knowing the distribution.
    func fisherWeights(pre: Matrix, every: Int, rows: Int, into: Matrix)

    /// The parameter groups the natural-gradient algorithms precondition (`FisherHead`);
    /// `fisherWeights` gives the c of the heads without a constant.
    var fisherHeads: [FisherHead] { get }
}
