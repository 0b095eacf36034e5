import Foundation
import Kernels

/// A prior of a Gaussian variational layer: it turns the layer's `log σ²` and `log|W|`
/// into the elementwise KL-divergence penalty. `Weight` ties a prior to real or complex layers.
///
/// `log α = log σ² − 2·log(|W| + 1e-12)` throughout (α = σ²/|μ|²).
public protocol KLPrior: Sendable {
    /// `Tensor` for priors of real weights, `ComplexTensor` for complex ones.
    associatedtype Weight: WeightValue
    /// The elementwise penalty, differentiable in both arguments.
    /// - Parameters:
    ///   - logSigma2: `log σ²`, shape of the weight.
    ///   - logModulus: `log(|W| + 1e-12)`, same shape.
    static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor
    /// The true KL value, for logging; equals ``penalty(logSigma2:logModulus:)`` for every prior
    /// except ``ComplexVDBogus``.
    static func exactPenalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor
    /// The elementwise penalty from `log σ²` and the weight itself (same shape): equal to
    /// ``penalty(logSigma2:logModulus:)`` with `logModulus = log(|W| + 1e-12)`. The built-in
    /// priors evaluate it as one fused tape entry (value and both partial derivatives in one pass
    /// of a Kernels routine); the default composes the ops.
    static func penalty(logSigma2: Tensor, weight: Weight) -> Tensor
    /// ``exactPenalty(logSigma2:logModulus:)`` from the weight itself (see ``penalty(logSigma2:weight:)``).
    static func exactPenalty(logSigma2: Tensor, weight: Weight) -> Tensor
    /// `scale · Σᵢ penaltyᵢ`, a scalar (shape `[]`), differentiable in both arguments. The built-in
    /// real and complex VD/ARD priors evaluate it in one pass of a Kernels routine
    /// (`wt_kl_*_sum_*`) that writes no per-element values and records the derivatives already
    /// multiplied by `scale`, so the loss `data term + penaltySum(…, scale: coef)` costs no pass for
    /// the sum, none for the cotangent and none for the coefficient. The default sums
    /// ``penalty(logSigma2:weight:)``.
    static func penaltySum(logSigma2: Tensor, weight: Weight, scale: Double) -> Tensor
}

extension KLPrior {
    /// The training penalty, which is exact for every prior but ``ComplexVDBogus``.
    public static func exactPenalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        penalty(logSigma2: logSigma2, logModulus: logModulus)
    }

    /// The penalty composed from ops: `penalty(logSigma2:logModulus: weight.logModulus)`.
    public static func penalty(logSigma2: Tensor, weight: Weight) -> Tensor {
        penalty(logSigma2: logSigma2, logModulus: weight.logModulus)
    }

    /// `scale · Σ penalty(logSigma2:weight:)`.
    public static func penaltySum(logSigma2: Tensor, weight: Weight, scale: Double) -> Tensor {
        scaledSum(penalty(logSigma2: logSigma2, weight: weight), scale)
    }

    /// The exact KL composed from ops: `exactPenalty(logSigma2:logModulus: weight.logModulus)`.
    public static func exactPenalty(logSigma2: Tensor, weight: Weight) -> Tensor {
        exactPenalty(logSigma2: logSigma2, logModulus: weight.logModulus)
    }

    /// log α from its parts.
    static func logAlpha(_ logSigma2: Tensor, _ logModulus: Tensor) -> Tensor { logSigma2 - 2 * logModulus }
}

/// Sparse variational dropout for real weights, log-uniform prior (Molchanov et al. 2017,
/// eq. 14, sign flipped to a positive KL): with n = −log α,
/// `KL ≈ ½·softplus(n) + k₁·σ(k₃·n − k₂)`, k₁ = 0.63576, k₂ = 1.87320, k₃ = 1.48695.
public enum RealVD: KLPrior {
    public typealias Weight = Tensor
    /// The constants of Molchanov et al.'s fit of the log-uniform KL (eq. 14).
    public static let k1 = 0.63576, k2 = 1.87320, k3 = 1.48695
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        let n = -logAlpha(logSigma2, logModulus)
        return 0.5 * softplus(n) + k1 * sigmoid(k3 * n - k2)
    }
    /// One fused tape entry (`wt_kl_real_*`) from `log σ²` and W.
    public static func penalty(logSigma2: Tensor, weight: Tensor) -> Tensor {
        fusedRealPrior(WT_KL_REAL_VD, logSigma2, weight, op: "RealVD penalty")
            ?? penalty(logSigma2: logSigma2, logModulus: weight.logModulus)
    }
    /// One fused pass (`wt_kl_real_sum_*`): `scale · Σ penalty` and its scaled derivatives.
    public static func penaltySum(logSigma2: Tensor, weight: Tensor, scale: Double) -> Tensor {
        fusedRealPriorSum(WT_KL_REAL_VD, logSigma2, weight, scale: scale, op: "RealVD penalty sum")
            ?? scaledSum(penalty(logSigma2: logSigma2, weight: weight), scale)
    }
}

/// Automatic relevance determination for real weights with the empirical-Bayes Gaussian
/// prior (Kharitonov et al. 2018): `KL = ½·softplus(−log α) = ½·log(1 + 1/α)`.
public enum RealARD: KLPrior {
    public typealias Weight = Tensor
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        0.5 * softplus(-logAlpha(logSigma2, logModulus))
    }
    /// One fused tape entry (`wt_kl_real_*`) from `log σ²` and W.
    public static func penalty(logSigma2: Tensor, weight: Tensor) -> Tensor {
        fusedRealPrior(WT_KL_REAL_ARD, logSigma2, weight, op: "RealARD penalty")
            ?? penalty(logSigma2: logSigma2, logModulus: weight.logModulus)
    }
    /// One fused pass (`wt_kl_real_sum_*`): `scale · Σ penalty` and its scaled derivatives.
    public static func penaltySum(logSigma2: Tensor, weight: Tensor, scale: Double) -> Tensor {
        fusedRealPriorSum(WT_KL_REAL_ARD, logSigma2, weight, scale: scale, op: "RealARD penalty sum")
            ?? scaledSum(penalty(logSigma2: logSigma2, weight: weight), scale)
    }
}

/// Complex variational dropout with the pow-2 log-uniform prior (Nazarov & Burnaev 2020),
/// the exact KL: `KL = γ − log α − Ei(−1/α)` with γ Euler's constant.
/// Computed with ``complexVDDivergence(_:)``, whose gradient stays finite in float32 where
/// cplxmodule's turns NaN.
public enum ComplexVD: KLPrior {
    public typealias Weight = ComplexTensor
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        complexVDDivergence(logAlpha(logSigma2, logModulus))
    }
    /// One fused tape entry (`wt_kl_cplx_*`) from `log σ²` and W.
    public static func penalty(logSigma2: Tensor, weight: ComplexTensor) -> Tensor {
        fusedComplexPrior(WT_KL_CPLX_VD, logSigma2, weight, op: "ComplexVD penalty")
            ?? penalty(logSigma2: logSigma2, logModulus: weight.logModulus)
    }
    /// One fused pass (`wt_kl_cplx_sum_*`): `scale · Σ penalty` and its scaled derivatives.
    public static func penaltySum(logSigma2: Tensor, weight: ComplexTensor, scale: Double) -> Tensor {
        fusedComplexPriorSum(WT_KL_CPLX_VD, logSigma2, weight, scale: scale, op: "ComplexVD penalty sum")
            ?? scaledSum(penalty(logSigma2: logSigma2, weight: weight), scale)
    }
}

/// Complex ARD: `KL = softplus(−log α) = log(1 + 1/α)` (no ½, unlike the real ARD).
public enum ComplexARD: KLPrior {
    public typealias Weight = ComplexTensor
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        softplus(-logAlpha(logSigma2, logModulus))
    }
    /// One fused tape entry (`wt_kl_cplx_*`) from `log σ²` and W.
    public static func penalty(logSigma2: Tensor, weight: ComplexTensor) -> Tensor {
        fusedComplexPrior(WT_KL_CPLX_ARD, logSigma2, weight, op: "ComplexARD penalty")
            ?? penalty(logSigma2: logSigma2, logModulus: weight.logModulus)
    }
    /// One fused pass (`wt_kl_cplx_sum_*`): `scale · Σ penalty` and its scaled derivatives.
    public static func penaltySum(logSigma2: Tensor, weight: ComplexTensor, scale: Double) -> Tensor {
        fusedComplexPriorSum(WT_KL_CPLX_ARD, logSigma2, weight, scale: scale, op: "ComplexARD penalty sum")
            ?? scaledSum(penalty(logSigma2: logSigma2, weight: weight), scale)
    }
}

/// Sigmoid–softplus approximation of the complex VD KL (cplxmodule's `VDApprox`):
/// with n = −log α, `KL ≈ softplus(n) + 0.57810·σ(1.36526·n − 1.45926)`.
public enum ComplexVDApprox: KLPrior {
    public typealias Weight = ComplexTensor
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        let n = -logAlpha(logSigma2, logModulus)
        return softplus(n) + 0.57810 * sigmoid(1.36526 * n - 1.45926)
    }
}

/// Complex VD with the improper scale-free prior 1/|w| (cplxmodule's `VDScaleFree`):
/// `KL = log|W| − log σ² − ½·Ei(−|W|²/σ²)` with `log|W| = log(|W| + 1e-12)`.
/// Like cplxmodule we add no constant, so values can be negative (documented in Docs/Relevance.md).
public enum ComplexVDScaleFree: KLPrior {
    public typealias Weight = ComplexTensor
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        logModulus - logSigma2 - 0.5 * expi(-exp(2 * logModulus - logSigma2))
    }
}

/// Complex VD whose penalty VALUE is bogus by design (`−log α`, the Ei term dropped) while its
/// GRADIENT is exactly that of ``ComplexVD`` (cplxmodule's `VDBogus`, which exists to skip
/// evaluating Ei). Our Ei is fast, so prefer ``ComplexVD``; the true value of this prior's KL
/// is ``exactPenalty(logSigma2:logModulus:)``.
public enum ComplexVDBogus: KLPrior {
    public typealias Weight = ComplexTensor
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        complexVDDivergence(logAlpha(logSigma2, logModulus), bogusValue: true)
    }
    /// The true KL (the value ``ComplexVD`` reports), for logging.
    public static func exactPenalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        ComplexVD.penalty(logSigma2: logSigma2, logModulus: logModulus)
    }
    /// One fused tape entry (`wt_kl_cplx_*`): value `−log α`, the gradient of ``ComplexVD``.
    public static func penalty(logSigma2: Tensor, weight: ComplexTensor) -> Tensor {
        fusedComplexPrior(WT_KL_CPLX_VD_BOGUS, logSigma2, weight, op: "ComplexVDBogus penalty")
            ?? penalty(logSigma2: logSigma2, logModulus: weight.logModulus)
    }
    /// The true KL from W (``ComplexVD``'s fused penalty), for logging.
    public static func exactPenalty(logSigma2: Tensor, weight: ComplexTensor) -> Tensor {
        ComplexVD.penalty(logSigma2: logSigma2, weight: weight)
    }
}

/// The complex VD divergence `KL(a) = γ − a − Ei(−e^{−a})` of log α = a, as one tape entry.
///
/// Value: for `e^{−a} ≥ ½` directly; for smaller `x = e^{−a}` the series
/// `KL = −Σ_{k≥1} (−x)^k / (k·k!)` avoids cancelling γ − a against Ei (float32 would lose
/// every digit at a = 10). Gradient: `dKL/da = −1 + exp(−e^{−a}) = expm1(−e^{−a})`, which is
/// finite for every a (cplxmodule evaluates eᵘ/u·e^{−a} and gets 0·∞ = NaN below a ≈ −88.7
/// in float32).
/// - Parameter bogusValue: report `−a` as the value (VDBogus) while keeping the exact gradient.
public func complexVDDivergence(_ logAlpha: Tensor, bogusValue: Bool = false) -> Tensor {
    let a = logAlpha.detached()
    let traced = logAlpha.isTraced
    let bogus: Int32 = bogusValue ? 1 : 0
    // value and derivative in one pass of wt_cplx_vd_kl_* (vector exp, log and Ei)
    let outs = FusedKernel.run([a], outputs: traced ? 2 : 1,
                               { i, o in wt_cplx_vd_kl_f32(i[0], o[0], traced ? o[1] : nil, a.count, bogus) },
                               { i, o in wt_cplx_vd_kl_f64(i[0], o[0], traced ? o[1] : nil, a.count, bogus) })
    guard traced else { return outs[0] }
    let derivative = outs[1]
    return Tape.record("complexVDDivergence", outs[0], inputs: [logAlpha]) { g in [FusedKernel.chain(g, derivative)] }
}

/// γ − a − Ei(−e^{−a}) in double precision (see ``complexVDDivergence(_:bogusValue:)``).
func exactComplexVD(_ a: Double) -> Double {
    if a.isNaN { return a }
    let x = Foundation.exp(-a)
    if x < 0.5 {
        // Ei(−x) = γ + ln x + Σ (−x)^k/(k·k!), and γ − a = γ + ln x, so KL = −Σ (−x)^k/(k·k!)
        var term = 1.0, sum = 0.0
        for k in 1...30 {
            term *= -x / Double(k)
            let d = term / Double(k)
            sum += d
            if Swift.abs(d) < 1e-18 * Swift.abs(sum) { break }
        }
        return -sum
    }
    let ei = wt_expi(-x)
    return 0.57721566490153286061 - a - ei
}

// MARK: - Fused kernels

/// Runs Kernels routines on the elements of same-shaped, same-dtype tensors.
enum FusedKernel {
    /// Calls `f32` or `f64` (by the inputs' dtype) with pointers to the inputs' elements and to
    /// `outputs` new tensors of the same shape and dtype, which it must fill; returns them.
    /// - Precondition: `inputs` is non-empty and all have the shape and dtype of the first.
    static func run(_ inputs: [Tensor], outputs: Int,
                    _ f32: ([UnsafePointer<Float>], [UnsafeMutablePointer<Float>]) -> Void,
                    _ f64: ([UnsafePointer<Double>], [UnsafeMutablePointer<Double>]) -> Void) -> [Tensor] {
        let shape = inputs[0].shape, dtype = inputs[0].dtype
        for t in inputs {
            require(t.shape == shape && t.dtype == dtype,
                    "fused kernel: operands \(inputs.map { "\($0.dtype) \($0.shape)" }) differ")
        }
        var outs = (0..<outputs).map { _ in Tensor(uninitializedShape: shape, dtype: dtype) }
        // A TensorBuffer is a class whose memory does not move while it is referenced, and the
        // fresh outputs are uniquely referenced (no copy-on-write): the pointers stay valid for
        // as long as `inputs` and `outs` are alive, which withExtendedLifetime guarantees.
        func call<T: TensorScalar>(_: T.Type, _ body: ([UnsafePointer<T>], [UnsafeMutablePointer<T>]) -> Void) {
            var o: [UnsafeMutablePointer<T>] = []
            for k in outs.indices {
                o.append(outs[k].withUnsafeMutableBufferPointer { (b: UnsafeMutableBufferPointer<T>) in b.baseAddress! })
            }
            let i = inputs.map { t in t.withUnsafeBufferPointer { (b: UnsafeBufferPointer<T>) in b.baseAddress! } }
            withExtendedLifetime(inputs) { withExtendedLifetime(outs) { body(i, o) } }
        }
        switch dtype {
        case .float32: call(Float.self, f32)
        case .float64: call(Double.self, f64)
        }
        return outs
    }

    /// The stored derivative `d` of a scalar-valued fused op times its scalar cotangent `g`:
    /// `d` itself (shared, no pass) when g = 1, as in a loss `data term + penalty sum`.
    static func scaled(_ d: Tensor, by g: Tensor) -> Tensor {
        if g.count == 1 && g.item == 1 { return d }
        return g.detached() * d
    }

    /// `g · d` elementwise (a cotangent times a stored derivative), one Kernels pass when the
    /// shapes and dtypes agree, the broadcasting op otherwise.
    static func chain(_ g: Tensor, _ d: Tensor) -> Tensor {
        guard g.shape == d.shape, g.dtype == d.dtype else { return g * d }
        let n = g.count
        return run([g.detached(), d], outputs: 1,
                   { i, o in wt_mul_f32(i[0], i[1], o[0], n) },
                   { i, o in wt_mul_f64(i[0], i[1], o[0], n) })[0]
    }
}

/// A real prior of `log σ²` and W as one tape entry, or nil when the operands do not have one
/// shape and dtype (the caller then composes the ops).
func fusedRealPrior(_ prior: wt_kl_prior, _ logSigma2: Tensor, _ weight: Tensor, op: String) -> Tensor? {
    guard logSigma2.shape == weight.shape, logSigma2.dtype == weight.dtype else { return nil }
    let ls = logSigma2.detached(), w = weight.detached(), n = ls.count
    let traced = logSigma2.isTraced || weight.isTraced
    let outs = FusedKernel.run([ls, w], outputs: traced ? 3 : 1,
                               { i, o in wt_kl_real_f32(prior, i[0], i[1], o[0], traced ? o[1] : nil, traced ? o[2] : nil, n) },
                               { i, o in wt_kl_real_f64(prior, i[0], i[1], o[0], traced ? o[1] : nil, traced ? o[2] : nil, n) })
    guard traced else { return outs[0] }
    let dls = outs[1], dw = outs[2]
    let tls = logSigma2.isTraced, tw = weight.isTraced  // (recording is off once backward runs)
    return Tape.record(op, outs[0], inputs: [logSigma2, weight]) { g in
        [tls ? FusedKernel.chain(g, dls) : nil, tw ? FusedKernel.chain(g, dw) : nil]
    }
}

/// `scale · Σ prior(log σ², W)` of a real prior as one scalar tape entry whose pullback hands out
/// the kernel's pre-scaled derivatives, or nil when the operands do not have one shape and dtype.
func fusedRealPriorSum(_ prior: wt_kl_prior, _ logSigma2: Tensor, _ weight: Tensor, scale: Double, op: String) -> Tensor? {
    guard logSigma2.shape == weight.shape, logSigma2.dtype == weight.dtype else { return nil }
    let ls = logSigma2.detached(), w = weight.detached(), n = ls.count
    let traced = logSigma2.isTraced || weight.isTraced
    var total = 0.0
    let outs = FusedKernel.run([ls, w], outputs: traced ? 2 : 0,
                               { i, o in total = wt_kl_real_sum_f32(prior, i[0], i[1], scale, traced ? o[0] : nil, traced ? o[1] : nil, n) },
                               { i, o in total = wt_kl_real_sum_f64(prior, i[0], i[1], scale, traced ? o[0] : nil, traced ? o[1] : nil, n) })
    let value = Tensor(scalar: total, dtype: ls.dtype)
    guard traced else { return value }
    let dls = outs[0], dw = outs[1]
    let tls = logSigma2.isTraced, tw = weight.isTraced
    return Tape.record(op, value, inputs: [logSigma2, weight]) { g in
        [tls ? FusedKernel.scaled(dls, by: g) : nil, tw ? FusedKernel.scaled(dw, by: g) : nil]
    }
}

/// The complex counterpart of ``fusedRealPriorSum(_:_:_:scale:op:)`` (inputs log σ², re, im).
func fusedComplexPriorSum(_ prior: wt_kl_prior, _ logSigma2: Tensor, _ weight: ComplexTensor, scale: Double, op: String) -> Tensor? {
    guard logSigma2.shape == weight.real.shape, logSigma2.dtype == weight.real.dtype,
          weight.imag.shape == weight.real.shape, weight.imag.dtype == weight.real.dtype else { return nil }
    let ls = logSigma2.detached(), re = weight.real.detached(), im = weight.imag.detached(), n = ls.count
    let traced = logSigma2.isTraced || weight.real.isTraced || weight.imag.isTraced
    var total = 0.0
    let outs = FusedKernel.run([ls, re, im], outputs: traced ? 3 : 0,
                               { i, o in total = wt_kl_cplx_sum_f32(prior, i[0], i[1], i[2], scale, traced ? o[0] : nil,
                                                                    traced ? o[1] : nil, traced ? o[2] : nil, n) },
                               { i, o in total = wt_kl_cplx_sum_f64(prior, i[0], i[1], i[2], scale, traced ? o[0] : nil,
                                                                    traced ? o[1] : nil, traced ? o[2] : nil, n) })
    let value = Tensor(scalar: total, dtype: ls.dtype)
    guard traced else { return value }
    let dls = outs[0], dre = outs[1], dim = outs[2]
    let tls = logSigma2.isTraced, tre = weight.real.isTraced, tim = weight.imag.isTraced
    return Tape.record(op, value, inputs: [logSigma2, weight.real, weight.imag]) { g in
        [tls ? FusedKernel.scaled(dls, by: g) : nil, tre ? FusedKernel.scaled(dre, by: g) : nil,
         tim ? FusedKernel.scaled(dim, by: g) : nil]
    }
}

/// A complex prior of `log σ²` and W = re + i·im as one tape entry (inputs log σ², re, im), or
/// nil when the operands do not have one shape and dtype.
func fusedComplexPrior(_ prior: wt_kl_prior, _ logSigma2: Tensor, _ weight: ComplexTensor, op: String) -> Tensor? {
    guard logSigma2.shape == weight.real.shape, logSigma2.dtype == weight.real.dtype,
          weight.imag.shape == weight.real.shape, weight.imag.dtype == weight.real.dtype else { return nil }
    let ls = logSigma2.detached(), re = weight.real.detached(), im = weight.imag.detached(), n = ls.count
    let traced = logSigma2.isTraced || weight.real.isTraced || weight.imag.isTraced
    let outs = FusedKernel.run([ls, re, im], outputs: traced ? 4 : 1,
                               { i, o in wt_kl_cplx_f32(prior, i[0], i[1], i[2], o[0], traced ? o[1] : nil,
                                                        traced ? o[2] : nil, traced ? o[3] : nil, n) },
                               { i, o in wt_kl_cplx_f64(prior, i[0], i[1], i[2], o[0], traced ? o[1] : nil,
                                                        traced ? o[2] : nil, traced ? o[3] : nil, n) })
    guard traced else { return outs[0] }
    let dls = outs[1], dre = outs[2], dim = outs[3]
    let tls = logSigma2.isTraced, tre = weight.real.isTraced, tim = weight.imag.isTraced
    return Tape.record(op, outs[0], inputs: [logSigma2, weight.real, weight.imag]) { g in
        [tls ? FusedKernel.chain(g, dls) : nil, tre ? FusedKernel.chain(g, dre) : nil, tim ? FusedKernel.chain(g, dim) : nil]
    }
}
