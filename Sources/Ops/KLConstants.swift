// The numbers shared by the fused KL, reparameterisation and log-modulus primitives of the
// Bayesian layers and by the composed fallbacks in Relevance. The C kernels
// (Sources/Kernels/relevance*.c) use the same values; this is the one Swift place for them.

/// Constants of the KL divergences and of the local reparameterisation trick.
public enum KLConstants {
    /// Molchanov et al.'s (2017, eq. 14) fit of the log-uniform KL for real weights:
    /// `KL ≈ ½·softplus(n) + k₁·σ(k₃·n − k₂)` with n = −log α.
    public static let k1 = 0.63576
    /// See ``k1``.
    public static let k2 = 1.87320
    /// See ``k1``.
    public static let k3 = 1.48695
    /// Euler's constant γ, in the complex VD divergence `γ − log α − Ei(−1/α)`.
    public static let eulerGamma = 0.57721566490153286061
    /// Added to |w| before its logarithm: `log(|w| + 1e-12)` (the quantity in log α).
    public static let logModulusEpsilon = 1e-12
    /// Lower bound of the output variance under the square root of the reparameterisation:
    /// `μ + ε·√max(s², 1e-8)`.
    public static let varianceFloor = 1e-8
}
