/// What relevance masks are computed from. cplxmodule spells this `threshold=` for VD, ARD and
/// LASSO layers and `hard=` for L0 layers (and raises a `TypeError` when a layer gets the other
/// one); here both live in one value, so one call works on a model that mixes them. Each layer
/// reads the field it needs and ignores the other.
public struct RelevanceOptions: Sendable {
    private var storedThreshold: Double?

    /// log α threshold (VD/ARD: keep where `log α ≤ threshold`; LASSO: keep where
    /// `log(|w| + 1e-20) ≥ threshold`).
    /// - Precondition (read): the options were made with a threshold (``init(threshold:hard:)``);
    ///   options made by ``init(hard:)`` serve L0 layers only, and a VD/ARD/LASSO layer reading
    ///   them stops the program naming the fix.
    public var threshold: Double {
        get {
            guard let t = storedThreshold else {
                let path = TraversalPath.current.isEmpty ? "<root>" : TraversalPath.current
                fatalError("\(path): RelevanceOptions(hard:) has no threshold, which VD, ARD and LASSO layers need: "
                           + "use RelevanceOptions(threshold:hard:) for a model with such layers")
            }
            return t
        }
        set { storedThreshold = newValue }
    }
    /// Whether a threshold was given (false for ``init(hard:)``).
    public var hasThreshold: Bool { storedThreshold != nil }
    /// L0: binary masks (`gate > 0`) when true, the soft gate when false. Masked layers in
    /// ``namedSparsity(_:parameters:options:)``: count `mask ≠ 0` when true, `Σ mask` when false.
    public var hard: Bool

    /// Options with a log-threshold (as in cplxmodule) and the hardness (default true).
    public init(threshold: Double, hard: Bool = true) {
        self.storedThreshold = threshold
        self.hard = hard
    }

    /// Options for models whose Bayesian layers are all L0 layers, which read only `hard`
    /// (cplxmodule's `hard=` keyword): no threshold to invent.
    public init(hard: Bool) {
        self.storedThreshold = nil
        self.hard = hard
    }
}

/// A layer with a sparsity-inducing penalty and a relevance score per weight (cplxmodule's
/// `BaseARD`): variational dropout, ARD, L0 and LASSO layers, real and complex.
public protocol BayesianLayer: Module {
    /// The elementwise penalty (KL divergence or regulariser) that training adds to the loss,
    /// differentiable in the parameters. Shape: the weight's for VD/ARD/LASSO, `log_alpha`'s for L0.
    func penalty(parameters: ParameterTree) -> Tensor

    /// The true value of the penalty, for logging. Equal to ``penalty(parameters:)`` except for
    /// ``ComplexVDBogus`` layers, whose training penalty reports `−log α` by design.
    func exactPenalty(parameters: ParameterTree) -> Tensor

    /// `scale · Σ penalty(parameters:)`, a scalar (shape `[]`), differentiable in the parameters:
    /// the penalty term of a training loss, `coef · Σ KL`. Variational layers with a built-in
    /// prior evaluate it in one Kernels pass that writes no per-element values and gives the tape
    /// the already scaled derivatives; the default sums ``penalty(parameters:)``.
    func penaltySum(parameters: ParameterTree, scale: Double) -> Tensor

    /// ``penaltySum(parameters:scale:)`` started ahead of its use (the penalty depends on the
    /// parameters alone, so a training step can start it before the forward pass): its `record`
    /// gives, and records on the tape, what `penaltySum` would where it is called. Variational
    /// layers with a built-in complex prior run the float32 kernel on the idle kernel threads
    /// meanwhile (and have the untaped form); the default computes the sum when `record` is called.
    func startPenaltySum(parameters: ParameterTree, scale: Double) -> StartedPenalty

    /// The relevance mask, shape of the weight: 1 (or the soft gate) where the weight is kept,
    /// 0 where it is dropped. Not recorded on a tape.
    func relevance(parameters: ParameterTree, options: RelevanceOptions) -> Tensor

    /// Parameter keys (relative to the layer) that are variational parameters rather than
    /// weights, ignored by sparsity statistics (`log_sigma2`, `log_alpha`).
    var variationalKeys: [String] { get }

    /// The parameter keys (relative to the layer) the relevance mask applies to: `weight`, or
    /// `weight.imag` and `weight.real` for a complex weight (one mask for both parts).
    var weightKeys: [String] { get }

    /// Whether ``relevance(parameters:options:)`` reads a log α threshold: true for VD, ARD and
    /// LASSO layers (the default), false for L0 layers, which read only `hard`.
    var needsThreshold: Bool { get }
}

extension BayesianLayer {
    /// The training penalty itself: only layers with a bogus training value override this.
    public func exactPenalty(parameters: ParameterTree) -> Tensor { penalty(parameters: parameters) }

    /// VD, ARD and LASSO layers compare log α (or log |w|) with a threshold.
    public var needsThreshold: Bool { true }

    /// The summed elementwise penalty times `scale`.
    public func penaltySum(parameters: ParameterTree, scale: Double) -> Tensor {
        scaledSum(penalty(parameters: parameters), scale)
    }

    /// ``penaltySum(parameters:scale:)`` when `record` is called.
    public func startPenaltySum(parameters: ParameterTree, scale: Double) -> StartedPenalty {
        StartedPenalty { self.penaltySum(parameters: parameters, scale: scale) }
    }
}

/// `scale · Σ x` (just `Σ x` when scale is 1).
func scaledSum(_ x: Tensor, _ scale: Double) -> Tensor {
    let s = sum(x)
    return scale == 1 ? s : scale * s
}

/// The module path of the Bayesian layer that a traversal (``namedPenalties(_:parameters:reduction:exact:)``,
/// ``totalPenalty(_:parameters:scale:)``, ``namedRelevance(_:parameters:options:)``, sparsity
/// statistics) is evaluating, so that a layer reading its parameters outside a forward call
/// names itself in its errors instead of `<root>`.
public enum TraversalPath {
    /// The path being evaluated (`classifier.0`); empty outside a traversal and at the root.
    @TaskLocal public static var current = ""

    /// An evaluation-mode context at ``current``: what a Bayesian layer reads its parameters
    /// with in ``BayesianLayer/penalty(parameters:)``, ``BayesianLayer/relevance(parameters:options:)``
    /// and the like.
    public static var context: Context { Context(training: false).child(current) }

    /// `body` evaluated with ``current`` set to `path`.
    static func at<T>(_ path: String, _ body: () -> T) -> T { $current.withValue(path, operation: body) }
}
