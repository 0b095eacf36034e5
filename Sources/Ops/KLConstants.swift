// The numbers shared by the fused KL, reparameterisation and log-modulus primitives of the
// Bayesian layers and by the composed fallbacks in Relevance. Their values are defined once, in
// Sources/Kernels/include/kernels_constants.h, which the C kernels include and Swift reads here.

import Kernels

/// Constants of the KL divergences and of the local reparameterisation trick.
public enum KLConstants {
    /// Molchanov et al.'s (2017, eq. 14) fit of the log-uniform KL for real weights:
    /// `KL ≈ ½·softplus(n) + k₁·σ(k₃·n − k₂)` with n = −log α.
    public static let k1: Double = WT_KL_K1
    /// See ``k1``.
    public static let k2: Double = WT_KL_K2
    /// See ``k1``.
    public static let k3: Double = WT_KL_K3
    /// Euler's constant γ, in the complex VD divergence `γ − log α − Ei(−1/α)`.
    public static let eulerGamma: Double = WT_EULER_GAMMA
    /// Added to |w| before its logarithm: `log(|w| + 1e-12)` (the quantity in log α).
    public static let logModulusEpsilon: Double = WT_LOG_MODULUS_EPS
    /// Lower bound of the output variance under the square root of the reparameterisation:
    /// `μ + ε·√max(s², 1e-8)`.
    public static let varianceFloor: Double = WT_REPARAM_VARIANCE_MIN
}
