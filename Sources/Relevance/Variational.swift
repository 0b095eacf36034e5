import Autodiff
import Ops
import NN
import Kernels

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
public struct Variational<Base: WeightedLayer, Prior: KLPrior>: BayesianLayer, Layer
where Prior.Weight == Base.Weight, Base.Output: GaussianOutput {
    public typealias Input = Base.Input
    public typealias Output = Base.Output

    /// The deterministic layer whose weight is made Gaussian.
    public let base: Base
    /// Initial value of every `log_sigma2` entry.
    public var initialLogSigma2: Double = -10

    /// Wraps `base`.
    public init(_ base: Base) { self.base = base }

    public var variationalKeys: [String] { ["log_sigma2"] }

    public var weightKeys: [String] { Base.Weight.storageKeys("weight") }

    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree {
        let own: ParameterTree = ["log_sigma2": Tensor.full(base.weightShape, initialLogSigma2, dtype: dtype)]
        let inherited = base.ownParameters(key: key, dtype: dtype)
        return Base.Weight.kind == .complex ? own.merging(inherited) : inherited.merging(own)
    }

    /// `log α = log σ² − 2·log(|W| + 1e-12)`, shape of the weight.
    public func logAlpha(parameters p: ParameterTree) -> Tensor {
        let ctx = Context(training: false)
        return Prior.logAlpha(p.required("log_sigma2", by: ctx), Base.Weight.required("weight", in: p, by: ctx).logModulus)
    }

    public func penalty(parameters p: ParameterTree) -> Tensor {
        let ctx = Context(training: false)
        return Prior.penalty(logSigma2: p.required("log_sigma2", by: ctx),
                             weight: Base.Weight.required("weight", in: p, by: ctx))
    }

    /// `scale · Σ penalty` by the prior's ``KLPrior/penaltySum(logSigma2:weight:scale:)``.
    public func penaltySum(parameters p: ParameterTree, scale: Double) -> Tensor {
        let ctx = Context(training: false)
        return Prior.penaltySum(logSigma2: p.required("log_sigma2", by: ctx),
                                weight: Base.Weight.required("weight", in: p, by: ctx), scale: scale)
    }

    /// The true KL (differs from ``penalty(parameters:)`` only for ``ComplexVDBogus``, whose
    /// training value is `−log α`): what logs and early stopping should read.
    public func exactPenalty(parameters p: ParameterTree) -> Tensor {
        let ctx = Context(training: false)
        return Prior.exactPenalty(logSigma2: p.required("log_sigma2", by: ctx),
                                  weight: Base.Weight.required("weight", in: p, by: ctx))
    }

    public func relevance(parameters p: ParameterTree, options: RelevanceOptions) -> Tensor {
        logAlpha(parameters: p.detached()) .<= options.threshold
    }

    public func callAsFunction(_ x: Input, parameters p: ParameterTree, context: Context) -> Output {
        let weight = Base.Weight.required("weight", in: p, by: context)
        let bias = base.hasBias ? Base.Weight.required("bias", in: p, by: context) : nil
        guard context.training else { return base.forward(x, weight: weight, bias: bias) }
        let (mean, s2) = base.meanAndVariance(x, weight: weight, bias: bias,
                                              weightVariance: exp(p.required("log_sigma2", by: context)))
        // The tail μ + ε·√clamp(s², 1e-8) as one fused tape entry, with the ε `sample` would draw.
        if let m = mean as? Tensor, m.shape == s2.shape, m.dtype == s2.dtype {
            let eps = normal(s2.shape, key: context.randomKey, dtype: s2.dtype)
            return fusedReparameterization(mean: m, variance: s2, eps: eps) as! Output
        }
        if let z = mean as? ComplexTensor, z.real.shape == s2.shape, z.real.dtype == s2.dtype {
            let eps = complexNormal(s2.shape, key: context.randomKey, dtype: s2.dtype)
            return fusedReparameterization(mean: z, variance: s2, eps: eps) as! Output
        }
        return Output.sample(mean: mean, std: sqrt(clamp(s2, min: 1e-8)), key: context.randomKey)
    }
}

extension Variational: SequentialLayer where Base: SequentialLayer {}


/// `μ + ε·√max(s², 1e-8)` as one tape entry (Kernels `wt_reparam_*`): the same value as
/// `mean + sqrt(clamp(s2, min: 1e-8)) * eps`. Pullback: g to μ, and
/// `g·ε / (2·√max(s², 1e-8))` to s² where s² ≥ 1e-8 (the clamp passes the gradient at the bound,
/// as PyTorch's does), 0 below. μ, s² and ε have one shape and dtype.
func fusedReparameterization(mean: Tensor, variance s2: Tensor, eps: Tensor) -> Tensor {
    let m = mean.detached(), v = s2.detached(), n = v.count
    let y = FusedKernel.run([m, v, eps], outputs: 1,
                            { i, o in wt_reparam_f32(i[0], i[1], i[2], o[0], n) },
                            { i, o in wt_reparam_f64(i[0], i[1], i[2], o[0], n) })[0]
    let tv = s2.isTraced
    return Tape.record("reparameterization", y, inputs: [mean, s2]) { g in
        guard tv, g.shape == v.shape, g.dtype == v.dtype else {
            return [g, tv ? clampedSqrtGradient(g * eps, v) : nil]
        }
        let gs = FusedKernel.run([g.detached(), v, eps], outputs: 1,
                                 { i, o in wt_reparam_grad_f32(i[0], i[1], i[2], o[0], n) },
                                 { i, o in wt_reparam_grad_f64(i[0], i[1], i[2], o[0], n) })[0]
        return [g, gs]
    }
}

/// The complex version: `μ + ε·√max(s², 1e-8)` for both parts (shared real s²) as one tape entry
/// with inputs (Re μ, Im μ, s²); the cotangent of s² is `(g_re·ε_re + g_im·ε_im) / (2·√max(s², 1e-8))`
/// where s² ≥ 1e-8, else 0.
func fusedReparameterization(mean: ComplexTensor, variance s2: Tensor, eps: ComplexTensor) -> ComplexTensor {
    let v = s2.detached(), n = v.count
    let ys = FusedKernel.run([mean.real.detached(), mean.imag.detached(), v, eps.real, eps.imag], outputs: 2,
                             { i, o in wt_reparam_f32(i[0], i[2], i[3], o[0], n); wt_reparam_f32(i[1], i[2], i[4], o[1], n) },
                             { i, o in wt_reparam_f64(i[0], i[2], i[3], o[0], n); wt_reparam_f64(i[1], i[2], i[4], o[1], n) })
    let tv = s2.isTraced
    let outs = Tape.record("complex reparameterization", outputs: ys, inputs: [mean.real, mean.imag, s2]) { gs in
        guard tv else { return [gs[0], gs[1], nil] }
        guard gs[0].shape == v.shape, gs[0].dtype == v.dtype, gs[1].shape == v.shape, gs[1].dtype == v.dtype else {
            return [gs[0], gs[1], clampedSqrtGradient(gs[0] * eps.real + gs[1] * eps.imag, v)]
        }
        let g = FusedKernel.run([gs[0].detached(), gs[1].detached(), v, eps.real, eps.imag], outputs: 1,
                                { i, o in wt_reparam_grad_cplx_f32(i[0], i[1], i[2], i[3], i[4], o[0], n) },
                                { i, o in wt_reparam_grad_cplx_f64(i[0], i[1], i[2], i[3], i[4], o[0], n) })[0]
        return [gs[0], gs[1], g]
    }
    return ComplexTensor(real: outs[0], imag: outs[1])
}

/// d√max(s², 1e-8)/ds² times `g` with ops (the fallback of the fused pullbacks).
private func clampedSqrtGradient(_ g: Tensor, _ s2: Tensor) -> Tensor {
    let std = sqrt(clamp(s2, min: 1e-8))
    return g / (2 * std) * (s2 .>= 1e-8).converted(to: g.dtype)
}
