import Autodiff
import Ops
import NN

/// A Gaussian variational layer: the base layer's weight W becomes the mean of a factorised
/// Gaussian with variance σ² = exp(`log_sigma2`) per element, regularised by `Prior`'s KL.
///
/// - Training: the local reparameterisation trick — `μ = base(x; W, b)`,
///   `s² = base.outputVariance(x; σ²)` (= `Σ x²σ²`, or `Σ |z|²σ²` for complex input; both from `base.meanAndVariance`),
///   `y = μ + ε·√clamp(s², min: 1e-8)` with ε drawn from the layer's key (complex ε: each part N(0, ½)).
/// - Evaluation: `y = μ`.
/// - Parameters: the base layer's plus `log_sigma2` (shape of the weight, initialised to −10).
///   Key order follows cplxmodule: real layers `weight, bias, log_sigma2`; complex layers
///   `log_sigma2, weight.imag, weight.real, bias.imag, bias.real`.
/// - `log α = log σ² − 2·log(|W| + 1e-12)`; relevance keeps `log α ≤ threshold`.
///
/// cplxmodule's layers are this struct with a base and a prior, e.g. `LinearVD =
/// Variational<Linear, RealVD>`, `CplxConv2dARD = Variational<CplxConv2d, ComplexARD>`.
public struct Variational<Base: GaussianLayer, Prior: KLPrior>: BayesianLayer, Layer
where Prior.Weight == Base.Weight {
    /// The base layer's input.
    public typealias Input = Base.Input
    /// The base layer's output.
    public typealias Output = Base.Output

    /// The deterministic layer whose weight is made Gaussian.
    public let base: Base
    /// Initial value of every `log_sigma2` entry.
    public var initialLogSigma2: Double = -10

    /// Wraps `base`.
    public init(_ base: Base) { self.base = base }

    /// `["log_sigma2"]`.
    public var variationalKeys: [String] { ["log_sigma2"] }

    /// `weight`, or `weight.imag` and `weight.real` for a complex base.
    public var weightKeys: [String] { Base.Weight.storageKeys("weight") }

    /// The base layer's entries plus `log_sigma2` (shape of the weight, every entry ``initialLogSigma2``),
    /// in cplxmodule's order.
    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree {
        let own: ParameterTree = ["log_sigma2": Tensor.full(base.weightShape, initialLogSigma2, dtype: dtype)]
        let inherited = base.ownParameters(key: key, dtype: dtype)
        return Base.Weight.kind == .complex ? own.merging(inherited) : inherited.merging(own)
    }

    /// `log α = log σ² − 2·log(|W| + 1e-12)`, shape of the weight.
    public func logAlpha(parameters p: ParameterTree) -> Tensor {
        let ctx = TraversalPath.context
        return Prior.logAlpha(p.required("log_sigma2", by: ctx), Base.Weight.required("weight", in: p, by: ctx).logModulus)
    }

    /// The prior's elementwise KL of `log_sigma2` and `weight`, shape of the weight.
    public func penalty(parameters p: ParameterTree) -> Tensor {
        let ctx = TraversalPath.context
        return Prior.penalty(logSigma2: p.required("log_sigma2", by: ctx),
                             weight: Base.Weight.required("weight", in: p, by: ctx))
    }

    /// `scale · Σ penalty` by the prior's ``KLPrior/penaltySum(logSigma2:weight:scale:)``.
    public func penaltySum(parameters p: ParameterTree, scale: Double) -> Tensor {
        let ctx = TraversalPath.context
        return Prior.penaltySum(logSigma2: p.required("log_sigma2", by: ctx),
                                weight: Base.Weight.required("weight", in: p, by: ctx), scale: scale)
    }

    /// ``penaltySum(parameters:scale:)`` by the prior's ``KLPrior/startPenaltySum(logSigma2:weight:scale:)``
    /// (the parameters are read now).
    public func startPenaltySum(parameters p: ParameterTree, scale: Double) -> StartedPenalty {
        let ctx = TraversalPath.context
        return Prior.startPenaltySum(logSigma2: p.required("log_sigma2", by: ctx),
                                     weight: Base.Weight.required("weight", in: p, by: ctx), scale: scale)
    }

    /// The true KL (differs from ``penalty(parameters:)`` only for ``ComplexVDBogus``, whose
    /// training value is `−log α`): what logs and early stopping should read.
    public func exactPenalty(parameters p: ParameterTree) -> Tensor {
        let ctx = TraversalPath.context
        return Prior.exactPenalty(logSigma2: p.required("log_sigma2", by: ctx),
                                  weight: Base.Weight.required("weight", in: p, by: ctx))
    }

    /// `log α ≤ threshold` as 0/1, shape of the weight.
    public func relevance(parameters p: ParameterTree, options: RelevanceOptions) -> Tensor {
        logAlpha(parameters: p.detached()) .<= options.threshold
    }

    /// Training: `μ + ε·√max(s², 1e-8)` (local reparameterisation); evaluation: the base layer's forward.
    public func callAsFunction(_ x: Input, parameters p: ParameterTree, context: Context) -> Output {
        let weight = Base.Weight.required("weight", in: p, by: context)
        let bias = base.hasBias ? Base.Weight.required("bias", in: p, by: context) : nil
        guard context.training else { return base.forward(x, weight: weight, bias: bias) }
        let (mean, s2) = base.meanAndVariance(x, weight: weight, bias: bias,
                                              weightVariance: exp(p.required("log_sigma2", by: context)))
        // The tail μ + ε·√clamp(s², 1e-8), one fused tape entry when the shapes allow.
        return Output.reparameterized(mean: mean, variance: s2, key: context.randomKey)
    }
}

extension Variational: SequentialLayer where Base: SequentialLayer {}
