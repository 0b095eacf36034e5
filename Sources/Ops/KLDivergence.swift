// The fused KL divergences of the Bayesian layers' priors (Relevance/KLPriors.swift): each is one
// tape entry whose forward is a Kernels routine that also writes the partial derivatives, so the
// pullback is a product with stored tensors. With L = log(|w| + 1e-12) (|w| the modulus for a
// complex weight) and log α = log σ² − 2L:
//
//   real VD      ½·softplus(−log α) + k₁·σ(−k₃·log α − k₂)       (Molchanov et al. 2017, eq. 14)
//   real ARD     ½·softplus(−log α)                              (Kharitonov et al. 2018)
//   complex VD   γ − log α − Ei(−1/α)                            (Nazarov & Burnaev 2020)
//   complex ARD  softplus(−log α)
//   complex VD, bogus value: −log α, with the derivative of the complex VD
//
// The `…Sum` forms return `scale · Σ KL` as a scalar and hand the tape derivatives already
// multiplied by `scale` (no per-element values, no pass for the sum or the coefficient).

import Foundation
import Kernels

/// A fused KL divergence of a real weight's factorised Gaussian posterior.
public enum RealKLDivergence: Sendable, CaseIterable {
    /// Sparse variational dropout, log-uniform prior (Molchanov et al.'s approximation).
    case vd
    /// Automatic relevance determination, empirical-Bayes Gaussian prior.
    case ard

    /// The Kernels selector.
    var kernel: wt_kl_prior { self == .vd ? WT_KL_REAL_VD : WT_KL_REAL_ARD }
    /// The prior's name in op names (`RealVD`, `RealARD`).
    var name: String { self == .vd ? "RealVD" : "RealARD" }
}

/// A fused KL divergence of a complex weight's circular Gaussian posterior.
public enum ComplexKLDivergence: Sendable, CaseIterable {
    /// Complex variational dropout, exact KL `γ − log α − Ei(−1/α)`.
    case vd
    /// Complex ARD, `softplus(−log α)`.
    case ard
    /// cplxmodule's `VDBogus`: value `−log α`, derivative that of ``vd``.
    case vdBogus

    /// The Kernels selector.
    var kernel: wt_kl_prior {
        switch self {
        case .vd: return WT_KL_CPLX_VD
        case .ard: return WT_KL_CPLX_ARD
        case .vdBogus: return WT_KL_CPLX_VD_BOGUS
        }
    }
    /// The prior's name in op names (`ComplexVD`, `ComplexARD`, `ComplexVDBogus`).
    var name: String {
        switch self {
        case .vd: return "ComplexVD"
        case .ard: return "ComplexARD"
        case .vdBogus: return "ComplexVDBogus"
        }
    }
}

/// A fused KL divergence (``RealKLDivergence``, ``ComplexKLDivergence``) with the weight it takes,
/// so that code generic over real and complex priors calls `klDivergence` and `klDivergenceSum`.
public protocol FusedKLDivergence: Sendable {
    /// `Tensor` for ``RealKLDivergence``, `ComplexTensor` for ``ComplexKLDivergence``.
    associatedtype Weight
    /// `klDivergence(self, logSigma2:weight:)`: the KL per element, or nil when the operands differ
    /// in shape or dtype.
    func divergence(logSigma2: Tensor, weight: Weight) -> Tensor?
    /// `klDivergenceSum(self, logSigma2:weight:scale:)`: `scale · Σᵢ KLᵢ` (shape `[]`), or nil when
    /// the operands differ in shape or dtype.
    func divergenceSum(logSigma2: Tensor, weight: Weight, scale: Double) -> Tensor?
    /// `divergenceSum` started ahead of its use (``startKLDivergenceSum(_:logSigma2:weight:scale:)``),
    /// or nil where nothing starts early (the default).
    func startDivergenceSum(logSigma2: Tensor, weight: Weight, scale: Double) -> StartedPenalty?
}

extension FusedKLDivergence {
    /// nil: the sum is computed where it is used.
    public func startDivergenceSum(logSigma2: Tensor, weight: Weight, scale: Double) -> StartedPenalty? { nil }
}

extension RealKLDivergence: FusedKLDivergence {
    /// `klDivergence(self, logSigma2:weight:)`.
    public func divergence(logSigma2: Tensor, weight: Tensor) -> Tensor? { klDivergence(self, logSigma2: logSigma2, weight: weight) }
    /// `klDivergenceSum(self, logSigma2:weight:scale:)`.
    public func divergenceSum(logSigma2: Tensor, weight: Tensor, scale: Double) -> Tensor? {
        klDivergenceSum(self, logSigma2: logSigma2, weight: weight, scale: scale)
    }
}

extension ComplexKLDivergence: FusedKLDivergence {
    /// `klDivergence(self, logSigma2:weight:)`.
    public func divergence(logSigma2: Tensor, weight: ComplexTensor) -> Tensor? { klDivergence(self, logSigma2: logSigma2, weight: weight) }
    /// `klDivergenceSum(self, logSigma2:weight:scale:)`.
    public func divergenceSum(logSigma2: Tensor, weight: ComplexTensor, scale: Double) -> Tensor? {
        klDivergenceSum(self, logSigma2: logSigma2, weight: weight, scale: scale)
    }
    /// `startKLDivergenceSum(self, logSigma2:weight:scale:)`.
    public func startDivergenceSum(logSigma2: Tensor, weight: ComplexTensor, scale: Double) -> StartedPenalty? {
        startKLDivergenceSum(self, logSigma2: logSigma2, weight: weight, scale: scale)
    }
}

/// The elementwise KL divergence `kind` of log σ² and a real weight W, as one tape entry.
/// - Parameters:
///   - logSigma2: `log σ²`, any shape.
///   - weight: W, the shape and dtype of `logSigma2`.
/// - Returns: the KL per element (shape of the weight), or nil when the operands differ in shape
///   or dtype (the caller then composes the ops).
///
/// Pullback: `ḡ·∂KL/∂log σ²` and `ḡ·∂KL/∂W` with the derivatives written by the forward kernel
/// (`∂L/∂w = sign(w)/(|w| + 1e-12)`, 0 at w = 0).
public func klDivergence(_ kind: RealKLDivergence, logSigma2: Tensor, weight: Tensor) -> Tensor? {
    guard logSigma2.shape == weight.shape, logSigma2.dtype == weight.dtype else { return nil }
    let ls = logSigma2.detached(), w = weight.detached(), n = ls.count, prior = kind.kernel
    let traced = logSigma2.isTraced || weight.isTraced
    let outs = FusedKernel.run([ls, w], outputs: traced ? 3 : 1,
                               { i, o in wt_kl_real_f32(prior, i[0], i[1], o[0], traced ? o[1] : nil, traced ? o[2] : nil, n) },
                               { i, o in wt_kl_real_f64(prior, i[0], i[1], o[0], traced ? o[1] : nil, traced ? o[2] : nil, n) })
    guard traced else { return outs[0] }
    let dls = outs[1], dw = outs[2]
    let tls = logSigma2.isTraced, tw = weight.isTraced  // (recording is off once backward runs)
    return Tape.record("\(kind.name) penalty", outs[0], inputs: [logSigma2, weight]) { g in
        [tls ? FusedKernel.chain(g, dls) : nil, tw ? FusedKernel.chain(g, dw) : nil]
    }
}

/// `scale · Σᵢ KLᵢ` of the real `klDivergence(_:logSigma2:weight:)` as one scalar tape entry (shape
/// `[]`), or nil when the operands differ in shape or dtype.
///
/// Pullback: `ḡ·scale·∂KL/∂log σ²` and `ḡ·scale·∂KL/∂W`, the kernel's pre-scaled derivatives
/// handed out as they are when ḡ = 1.
public func klDivergenceSum(_ kind: RealKLDivergence, logSigma2: Tensor, weight: Tensor, scale: Double) -> Tensor? {
    guard logSigma2.shape == weight.shape, logSigma2.dtype == weight.dtype else { return nil }
    let ls = logSigma2.detached(), w = weight.detached(), n = ls.count, prior = kind.kernel
    let traced = logSigma2.isTraced || weight.isTraced
    var total = 0.0
    let outs = FusedKernel.run([ls, w], outputs: traced ? 2 : 0,
                               { i, o in total = wt_kl_real_sum_f32(prior, i[0], i[1], scale, traced ? o[0] : nil, traced ? o[1] : nil, n) },
                               { i, o in total = wt_kl_real_sum_f64(prior, i[0], i[1], scale, traced ? o[0] : nil, traced ? o[1] : nil, n) })
    let value = Tensor(scalar: total, dtype: ls.dtype)
    guard traced else { return value }
    let dls = outs[0], dw = outs[1]
    let tls = logSigma2.isTraced, tw = weight.isTraced
    return Tape.record("\(kind.name) penalty sum", value, inputs: [logSigma2, weight]) { g in
        [tls ? FusedKernel.scaled(dls, by: g) : nil, tw ? FusedKernel.scaled(dw, by: g) : nil]
    }
}

/// The elementwise KL divergence `kind` of log σ² and a complex weight W = re + i·im (|W| the
/// modulus), as one tape entry with inputs (log σ², re, im).
/// - Returns: the KL per element (real, shape of each part), or nil when the operands differ in
///   shape or dtype.
///
/// Pullback: `ḡ·∂KL/∂log σ²`, `ḡ·∂KL/∂re`, `ḡ·∂KL/∂im` (the Wirtinger convention's real and
/// imaginary directions), written by the forward kernel.
public func klDivergence(_ kind: ComplexKLDivergence, logSigma2: Tensor, weight: ComplexTensor) -> Tensor? {
    guard logSigma2.shape == weight.real.shape, logSigma2.dtype == weight.real.dtype,
          weight.imag.shape == weight.real.shape, weight.imag.dtype == weight.real.dtype else { return nil }
    let ls = logSigma2.detached(), re = weight.real.detached(), im = weight.imag.detached(), n = ls.count
    let prior = kind.kernel
    let traced = logSigma2.isTraced || weight.real.isTraced || weight.imag.isTraced
    let outs = FusedKernel.run([ls, re, im], outputs: traced ? 4 : 1,
                               { i, o in wt_kl_cplx_f32(prior, i[0], i[1], i[2], o[0], traced ? o[1] : nil,
                                                        traced ? o[2] : nil, traced ? o[3] : nil, n) },
                               { i, o in wt_kl_cplx_f64(prior, i[0], i[1], i[2], o[0], traced ? o[1] : nil,
                                                        traced ? o[2] : nil, traced ? o[3] : nil, n) })
    guard traced else { return outs[0] }
    let dls = outs[1], dre = outs[2], dim = outs[3]
    let tls = logSigma2.isTraced, tre = weight.real.isTraced, tim = weight.imag.isTraced
    return Tape.record("\(kind.name) penalty", outs[0], inputs: [logSigma2, weight.real, weight.imag]) { g in
        [tls ? FusedKernel.chain(g, dls) : nil, tre ? FusedKernel.chain(g, dre) : nil, tim ? FusedKernel.chain(g, dim) : nil]
    }
}

/// `scale · Σᵢ KLᵢ` of the complex `klDivergence(_:logSigma2:weight:)` as one scalar tape
/// entry (inputs log σ², re, im), or nil when the operands differ in shape or dtype.
public func klDivergenceSum(_ kind: ComplexKLDivergence, logSigma2: Tensor, weight: ComplexTensor, scale: Double) -> Tensor? {
    guard logSigma2.shape == weight.real.shape, logSigma2.dtype == weight.real.dtype,
          weight.imag.shape == weight.real.shape, weight.imag.dtype == weight.real.dtype else { return nil }
    let ls = logSigma2.detached(), re = weight.real.detached(), im = weight.imag.detached(), n = ls.count
    let prior = kind.kernel
    let traced = logSigma2.isTraced || weight.real.isTraced || weight.imag.isTraced
    var total = 0.0
    let outs = FusedKernel.run([ls, re, im], outputs: traced ? 3 : 0,
                               { i, o in total = wt_kl_cplx_sum_f32(prior, i[0], i[1], i[2], scale, traced ? o[0] : nil,
                                                                    traced ? o[1] : nil, traced ? o[2] : nil, n) },
                               { i, o in total = wt_kl_cplx_sum_f64(prior, i[0], i[1], i[2], scale, traced ? o[0] : nil,
                                                                    traced ? o[1] : nil, traced ? o[2] : nil, n) })
    let value = Tensor(scalar: total, dtype: ls.dtype)
    guard traced else { return value }
    return recordComplexKLSum(kind, value, logSigma2: logSigma2, weight: weight, derivatives: (outs[0], outs[1], outs[2]))
}

/// The tape entry of a complex KL sum: `value` with the pre-scaled derivatives.
private func recordComplexKLSum(_ kind: ComplexKLDivergence, _ value: Tensor, logSigma2: Tensor, weight: ComplexTensor,
                                derivatives d: (Tensor, Tensor, Tensor)) -> Tensor {
    let (dls, dre, dim) = d
    let tls = logSigma2.isTraced, tre = weight.real.isTraced, tim = weight.imag.isTraced
    return Tape.record("\(kind.name) penalty sum", value, inputs: [logSigma2, weight.real, weight.imag]) { g in
        [tls ? FusedKernel.scaled(dls, by: g) : nil, tre ? FusedKernel.scaled(dre, by: g) : nil,
         tim ? FusedKernel.scaled(dim, by: g) : nil]
    }
}

/// A penalty sum (a scalar loss term) started ahead of its use, and the two ways to finish it.
public struct StartedPenalty {
    /// Finishes the sum and records it on the tape where it is called: the tensor the call that
    /// was started returns there, tape entry included.
    public let record: () -> Tensor
    /// For a sum that enters the loss with cotangent 1 (`loss = … + sum`), without a tape entry:
    /// `value` finishes it and returns its value (an untraced scalar), and `cotangents` are its
    /// traced inputs with their cotangents (`∂sum/∂input`, finishing it when called), to hand to
    /// `valueWithGradient(at:deferring:)`. nil when the sum has no such form.
    public let untaped: (value: () -> Tensor, cotangents: [(Tensor, () -> Tensor)])?

    /// A sum that is computed when `record` is called (no untaped form).
    public init(record: @escaping () -> Tensor) { self.record = record; untaped = nil }

    /// A sum with both forms.
    public init(record: @escaping () -> Tensor, value: @escaping () -> Tensor, cotangents: [(Tensor, () -> Tensor)]) {
        self.record = record
        untaped = (value, cotangents)
    }
}

/// The complex `klDivergenceSum(_:logSigma2:weight:scale:)` started ahead of its use: the kernel
/// threads that are idle while the caller goes on (its serial work between parallel kernels) run
/// it in the background (`wt_kl_cplx_sum_f32_begin`), and either form of the result finishes it
/// (the caller runs what is left, with the idle threads). `record` gives what `klDivergenceSum`
/// gives where it is called (value, derivatives, tape entry), bit for bit, at any thread count;
/// the untaped form gives the same value and, as the cotangents, the derivatives its tape entry
/// hands out for a cotangent of 1. The operands are values: later changes of the caller's copies
/// do not reach it. Returns nil where there is nothing to start early (one kernel thread, float64
/// or untraced operands, operands that differ in shape or dtype): call `klDivergenceSum` then, so
/// that a 1-thread step computes the sum where it did before. An unfinished
/// sum is finished when the last form is released.
public func startKLDivergenceSum(_ kind: ComplexKLDivergence, logSigma2: Tensor, weight: ComplexTensor,
                                 scale: Double) -> StartedPenalty? {
    guard logSigma2.dtype == .float32, logSigma2.isTraced || weight.real.isTraced || weight.imag.isTraced,
          logSigma2.shape == weight.real.shape, logSigma2.dtype == weight.real.dtype,
          weight.imag.shape == weight.real.shape, weight.imag.dtype == weight.real.dtype else { return nil }
    let ls = logSigma2.detached(), re = weight.real.detached(), im = weight.imag.detached(), n = ls.count
    var outs = (0..<3).map { _ in Tensor(uninitializedShape: ls.shape, dtype: .float32) }
    var o: [UnsafeMutablePointer<Float>] = []
    for k in outs.indices { o.append(outs[k].withUnsafeMutableBufferPointer { (b: UnsafeMutableBufferPointer<Float>) in b.baseAddress! }) }
    let i = [ls, re, im].map { t in t.withUnsafeBufferPointer { (b: UnsafeBufferPointer<Float>) in b.baseAddress! } }
    // The buffers do not move while referenced (TensorBuffer), and `started` keeps them until the end.
    guard let task = wt_kl_cplx_sum_f32_begin(kind.kernel, i[0], i[1], i[2], scale, o[0], o[1], o[2], n) else { return nil }
    let started = StartedKLSum(task, keeping: [ls, re, im] + outs)
    let d = (outs[0], outs[1], outs[2])
    let inputs = [logSigma2, weight.real, weight.imag], derivatives = [d.0, d.1, d.2]
    return StartedPenalty(
        record: {
            recordComplexKLSum(kind, Tensor(scalar: started.total, dtype: .float32), logSigma2: logSigma2, weight: weight, derivatives: d)
        },
        value: { Tensor(scalar: started.total, dtype: .float32) },
        cotangents: (0..<3).filter { inputs[$0].isTraced }.map { k in
            (inputs[k], { _ = started.total; return derivatives[k] })
        })
}

/// A started KL sum (`wt_kl_sum_task`) and the tensors whose memory it reads and writes, kept
/// until it is finished; finished on release when nobody did.
private final class StartedKLSum {
    private var task: OpaquePointer?
    private var kept: [Tensor]
    private var value = 0.0

    init(_ task: OpaquePointer, keeping tensors: [Tensor]) { self.task = task; kept = tensors }

    /// The sum's value (`scale · Σ KL`), finishing it on the first call.
    var total: Double {
        if let t = task {
            task = nil
            value = wt_kl_sum_end(t)
            kept = []
        }
        return value
    }

    deinit { if let t = task { _ = wt_kl_sum_end(t) } }
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

/// γ − a − Ei(−e^{−a}) in double precision (see ``complexVDDivergence(_:bogusValue:)``): the
/// reference the tests compare the fused kernels with.
package func exactComplexVD(_ a: Double) -> Double {
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
    return KLConstants.eulerGamma - a - ei
}
