
/// A prior of a Gaussian variational layer: it turns the layer's `log σ²` and `log|W|`
/// into the elementwise KL-divergence penalty. `Weight` ties a prior to real or complex layers.
///
/// `log α = log σ² − 2·log(|W| + 1e-12)` throughout (α = σ²/|μ|²).
public protocol KLPrior: Sendable {
    /// `Tensor` for priors of real weights, `ComplexTensor` for complex ones.
    associatedtype Weight: GaussianWeight
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
    /// ``penaltySum(logSigma2:weight:scale:)`` started ahead of its use: its `record` gives (and
    /// records) what `penaltySum` would give where it is called. The built-in complex priors start
    /// their float32 kernel on the idle kernel threads (Ops' `startKLDivergenceSum`, which also
    /// has the untaped form); the default computes the sum when `record` is called.
    static func startPenaltySum(logSigma2: Tensor, weight: Weight, scale: Double) -> StartedPenalty
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

    /// `penaltySum(logSigma2:weight:scale:)` when `record` is called.
    public static func startPenaltySum(logSigma2: Tensor, weight: Weight, scale: Double) -> StartedPenalty {
        StartedPenalty { penaltySum(logSigma2: logSigma2, weight: weight, scale: scale) }
    }

    /// The exact KL composed from ops: `exactPenalty(logSigma2:logModulus: weight.logModulus)`.
    public static func exactPenalty(logSigma2: Tensor, weight: Weight) -> Tensor {
        exactPenalty(logSigma2: logSigma2, logModulus: weight.logModulus)
    }

    /// log α from its parts.
    static func logAlpha(_ logSigma2: Tensor, _ logModulus: Tensor) -> Tensor { logSigma2 - 2 * logModulus }
}

/// A prior whose KL is one of Ops' fused divergences (``RealKLDivergence`` for real weights,
/// ``ComplexKLDivergence`` for complex ones): the penalty and its sum are one tape entry each
/// (`klDivergence`, `klDivergenceSum`), and the composed formula
/// ``KLPrior/penalty(logSigma2:logModulus:)`` serves operands of different shapes or dtypes.
public protocol FusedKLPrior: KLPrior where Divergence.Weight == Weight {
    /// ``RealKLDivergence`` or ``ComplexKLDivergence``.
    associatedtype Divergence: FusedKLDivergence
    /// The fused divergence that evaluates the prior.
    static var divergence: Divergence { get }
}

extension FusedKLPrior {
    /// One fused tape entry (Ops' `klDivergence`) from `log σ²` and W (for a complex W, inputs
    /// log σ², Re W, Im W).
    public static func penalty(logSigma2: Tensor, weight: Weight) -> Tensor {
        divergence.divergence(logSigma2: logSigma2, weight: weight)
            ?? penalty(logSigma2: logSigma2, logModulus: weight.logModulus)
    }
    /// One fused pass (Ops' `klDivergenceSum`): `scale · Σ penalty` and its scaled derivatives.
    public static func penaltySum(logSigma2: Tensor, weight: Weight, scale: Double) -> Tensor {
        divergence.divergenceSum(logSigma2: logSigma2, weight: weight, scale: scale)
            ?? scaledSum(penalty(logSigma2: logSigma2, weight: weight), scale)
    }
    /// The fused divergence's sum started early where it can be (`startDivergenceSum`), else
    /// ``penaltySum(logSigma2:weight:scale:)`` when `record` is called.
    public static func startPenaltySum(logSigma2: Tensor, weight: Weight, scale: Double) -> StartedPenalty {
        divergence.startDivergenceSum(logSigma2: logSigma2, weight: weight, scale: scale)
            ?? StartedPenalty { penaltySum(logSigma2: logSigma2, weight: weight, scale: scale) }
    }
}

/// Sparse variational dropout for real weights, log-uniform prior (Molchanov et al. 2017,
/// eq. 14, sign flipped to a positive KL): with n = −log α,
/// `KL ≈ ½·softplus(n) + k₁·σ(k₃·n − k₂)`, k₁ = 0.63576, k₂ = 1.87320, k₃ = 1.48695.
public enum RealVD: FusedKLPrior {
    /// ``RealKLDivergence/vd``.
    public static let divergence = RealKLDivergence.vd
    /// The constants of Molchanov et al.'s fit of the log-uniform KL (eq. 14).
    public static let k1 = KLConstants.k1, k2 = KLConstants.k2, k3 = KLConstants.k3
    /// The KL from `log σ²` and `log(|W| + 1e-12)` composed from ops (see the type for the formula).
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        let n = -logAlpha(logSigma2, logModulus)
        return 0.5 * softplus(n) + k1 * sigmoid(k3 * n - k2)
    }
}

/// Automatic relevance determination for real weights with the empirical-Bayes Gaussian
/// prior (Kharitonov et al. 2018): `KL = ½·softplus(−log α) = ½·log(1 + 1/α)`.
public enum RealARD: FusedKLPrior {
    /// ``RealKLDivergence/ard``.
    public static let divergence = RealKLDivergence.ard
    /// The KL from `log σ²` and `log(|W| + 1e-12)` composed from ops (see the type for the formula).
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        0.5 * softplus(-logAlpha(logSigma2, logModulus))
    }
}

/// Complex variational dropout with the pow-2 log-uniform prior (Nazarov & Burnaev 2020),
/// the exact KL: `KL = γ − log α − Ei(−1/α)` with γ Euler's constant.
/// Computed with ``complexVDDivergence(_:)``, whose gradient stays finite in float32 where
/// cplxmodule's turns NaN.
public enum ComplexVD: FusedKLPrior {
    /// ``ComplexKLDivergence/vd``.
    public static let divergence = ComplexKLDivergence.vd
    /// The KL from `log σ²` and `log(|W| + 1e-12)` composed from ops (see the type for the formula).
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        complexVDDivergence(logAlpha(logSigma2, logModulus))
    }
}

/// Complex ARD: `KL = softplus(−log α) = log(1 + 1/α)` (no ½, unlike the real ARD).
public enum ComplexARD: FusedKLPrior {
    /// ``ComplexKLDivergence/ard``.
    public static let divergence = ComplexKLDivergence.ard
    /// The KL from `log σ²` and `log(|W| + 1e-12)` composed from ops (see the type for the formula).
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        softplus(-logAlpha(logSigma2, logModulus))
    }
}

/// Sigmoid–softplus approximation of the complex VD KL (cplxmodule's `VDApprox`):
/// with n = −log α, `KL ≈ softplus(n) + 0.57810·σ(1.36526·n − 1.45926)`.
public enum ComplexVDApprox: KLPrior {
    /// A prior of complex weights.
    public typealias Weight = ComplexTensor
    /// The KL from `log σ²` and `log(|W| + 1e-12)` composed from ops (see the type for the formula).
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        let n = -logAlpha(logSigma2, logModulus)
        return softplus(n) + 0.57810 * sigmoid(1.36526 * n - 1.45926)
    }
}

/// Complex VD with the improper scale-free prior 1/|w| (cplxmodule's `VDScaleFree`):
/// `KL = log|W| − log σ² − ½·Ei(−|W|²/σ²)` with `log|W| = log(|W| + 1e-12)`.
/// Like cplxmodule we add no constant, so values can be negative (documented in Docs/Relevance.md).
public enum ComplexVDScaleFree: KLPrior {
    /// A prior of complex weights.
    public typealias Weight = ComplexTensor
    /// The KL from `log σ²` and `log(|W| + 1e-12)` composed from ops (see the type for the formula).
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        logModulus - logSigma2 - 0.5 * expi(-exp(2 * logModulus - logSigma2))
    }
}

/// Complex VD whose penalty VALUE is bogus by design (`−log α`, the Ei term dropped) while its
/// GRADIENT is exactly that of ``ComplexVD`` (cplxmodule's `VDBogus`, which exists to skip
/// evaluating Ei). Our Ei is fast, so prefer ``ComplexVD``; the true value of this prior's KL
/// is ``exactPenalty(logSigma2:logModulus:)``.
public enum ComplexVDBogus: KLPrior {
    /// A prior of complex weights.
    public typealias Weight = ComplexTensor
    /// The KL from `log σ²` and `log(|W| + 1e-12)` composed from ops (see the type for the formula).
    public static func penalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        complexVDDivergence(logAlpha(logSigma2, logModulus), bogusValue: true)
    }
    /// The true KL (the value ``ComplexVD`` reports), for logging.
    public static func exactPenalty(logSigma2: Tensor, logModulus: Tensor) -> Tensor {
        ComplexVD.penalty(logSigma2: logSigma2, logModulus: logModulus)
    }
    /// One fused tape entry (Ops' `klDivergence(.vdBogus, …)`): value `−log α`, the gradient of ``ComplexVD``.
    public static func penalty(logSigma2: Tensor, weight: ComplexTensor) -> Tensor {
        klDivergence(.vdBogus, logSigma2: logSigma2, weight: weight)
            ?? penalty(logSigma2: logSigma2, logModulus: weight.logModulus)
    }
    /// The true KL from W (``ComplexVD``'s fused penalty), for logging.
    public static func exactPenalty(logSigma2: Tensor, weight: ComplexTensor) -> Tensor {
        ComplexVD.penalty(logSigma2: logSigma2, weight: weight)
    }
}
