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
}

extension KLPrior {
    /// The training penalty, which is exact for every prior but ``ComplexVDBogus``.
    public static func exactPenalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        penalty(logSigma2: logSigma2, logModulus: logModulus)
    }

    /// log α from its parts.
    static func logAlpha(_ logSigma2: Tensor, _ logModulus: Tensor) -> Tensor { logSigma2 - 2 * logModulus }
}

/// Sparse variational dropout for real weights, log-uniform prior (Molchanov et al. 2017,
/// eq. 14, sign flipped to a positive KL): with n = −log α,
/// `KL ≈ ½·softplus(n) + k₁·σ(k₃·n − k₂)`, k₁ = 0.63576, k₂ = 1.87320, k₃ = 1.48695.
public enum RealVD: KLPrior {
    public typealias Weight = Tensor
    public static let k1 = 0.63576, k2 = 1.87320, k3 = 1.48695
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        let n = -logAlpha(logSigma2, logModulus)
        return 0.5 * softplus(n) + k1 * sigmoid(k3 * n - k2)
    }
}

/// Automatic relevance determination for real weights with the empirical-Bayes Gaussian
/// prior (Kharitonov et al. 2018): `KL = ½·softplus(−log α) = ½·log(1 + 1/α)`.
public enum RealARD: KLPrior {
    public typealias Weight = Tensor
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        0.5 * softplus(-logAlpha(logSigma2, logModulus))
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
}

/// Complex ARD: `KL = softplus(−log α) = log(1 + 1/α)` (no ½, unlike the real ARD).
public enum ComplexARD: KLPrior {
    public typealias Weight = ComplexTensor
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        softplus(-logAlpha(logSigma2, logModulus))
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
    let value: Tensor
    if bogusValue {
        value = -a
    } else {
        value = a.mapElements({ Float(exactComplexVD(Double($0))) }, { exactComplexVD($0) })
    }
    return Tape.record("complexVDDivergence", value, inputs: [logAlpha]) { g in
        [g * a.mapElements({ Foundation.expm1f(-Foundation.expf(-$0)) }, { Foundation.expm1(-Foundation.exp(-$0)) })]
    }
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
