// The Gaussian (variational dropout / ARD) refinement of NN's weighted layers: what a layer whose
// weight is a factorised Gaussian needs beyond its forward — the log modulus of the weight (for
// log α), the output variance under independent weight noise, and the reparameterised sample.
// NN's layers conform in Conformances.swift without restating their forwards.

/// A weight value (real or complex) whose modulus enters log α.
public protocol GaussianWeight: WeightValue {
    /// `log(|w| + 1e-12)` elementwise (|w| the modulus for complex weights): the quantity in
    /// `log α = log σ² − 2·log(|w| + 1e-12)`. Real, the weight's shape (each part's for complex).
    var logModulus: Tensor { get }
}

extension Tensor: GaussianWeight {
    /// `log(|w| + 1e-12)` elementwise, same shape as the weight.
    public var logModulus: Tensor { log(abs(self) + KLConstants.logModulusEpsilon) }
}

extension ComplexTensor: GaussianWeight {
    /// `log(|w| + 1e-12)` with `|w| = √(Re w² + Im w²)`, elementwise; real, same shape as each part.
    public var logModulus: Tensor { log(abs(self) + KLConstants.logModulusEpsilon) }
}

/// A layer's output under Gaussian weight noise: the mean plus noise of a given variance, with ε
/// standard normal for real outputs and complex normal with each part of variance ½ for complex ones.
public protocol GaussianOutput: ActivationValue {
    /// `mean + std·ε`, ε drawn from `key`; `std` real with the mean's shape.
    static func sample(mean: Self, std: Tensor, key: RandomKey) -> Self

    /// `mean + ε·√max(variance, 1e-8)` with the ε that ``sample(mean:std:key:)`` draws from `key`:
    /// one fused tape entry (Ops' `fusedReparameterization`) when the variance has the mean's shape
    /// and dtype, the composed ops otherwise. `variance` is real and broadcasts to the mean.
    static func reparameterized(mean: Self, variance: Tensor, key: RandomKey) -> Self
}

extension Tensor: GaussianOutput {
    /// `mean + std·ε`, ε ~ N(0, 1) elementwise.
    public static func sample(mean: Tensor, std: Tensor, key: RandomKey) -> Tensor {
        mean + std * normal(std.shape, key: key, dtype: std.dtype)
    }

    /// `μ + ε·√max(s², 1e-8)`, ε ~ N(0, 1) of the variance's shape.
    public static func reparameterized(mean: Tensor, variance s2: Tensor, key: RandomKey) -> Tensor {
        guard mean.shape == s2.shape, mean.dtype == s2.dtype else {
            return sample(mean: mean, std: sqrt(clamp(s2, min: KLConstants.varianceFloor)), key: key)
        }
        return fusedReparameterization(mean: mean, variance: s2, eps: normal(s2.shape, key: key, dtype: s2.dtype))
    }
}

extension ComplexTensor: GaussianOutput {
    /// `mean + std·ε`, ε ~ CN(0, 1) (``complexNormal(_:key:dtype:)``: real and imaginary parts
    /// independent N(0, ½), cplxmodule's `cplx.randn_like`), so each output part has variance `std²/2`.
    public static func sample(mean: ComplexTensor, std: Tensor, key: RandomKey) -> ComplexTensor {
        let eps = complexNormal(std.shape, key: key, dtype: std.dtype)
        return ComplexTensor(real: mean.real + std * eps.real, imag: mean.imag + std * eps.imag)
    }

    /// `μ + ε·√max(s², 1e-8)` for both parts, ε ~ CN(0, 1) of the variance's shape.
    public static func reparameterized(mean: ComplexTensor, variance s2: Tensor, key: RandomKey) -> ComplexTensor {
        guard mean.real.shape == s2.shape, mean.real.dtype == s2.dtype else {
            return sample(mean: mean, std: sqrt(clamp(s2, min: KLConstants.varianceFloor)), key: key)
        }
        return fusedReparameterization(mean: mean, variance: s2, eps: complexNormal(s2.shape, key: key, dtype: s2.dtype))
    }
}

/// A weighted layer refined for Gaussian weights (the local reparameterisation trick of the VD
/// and ARD layers): the output variance when the weight's elements are independent with given
/// variances. ``Variational`` is generic over it; the forward stays the layer's own
/// (``WeightedLayer/forward(_:weight:bias:)``).
public protocol GaussianLayer: WeightedLayer where Weight: GaussianWeight, Output: GaussianOutput {
    /// The output variance when the weight's elements are independent with variances
    /// `weightVariance` (real, shape `weightShape`) and the bias is fixed: the same map applied
    /// to the squared input magnitudes (`x²`, or `|z|²` for complex input) and the variances,
    /// without bias. Shape: the output's (each part's for complex).
    func outputVariance(_ input: Input, weightVariance: Tensor) -> Tensor

    /// `(forward(input, weight:, bias:), outputVariance(input, weightVariance:))`: the two maps of
    /// the local reparameterisation trick. The default calls both; a layer whose two maps share
    /// work (a convolution's im2col) computes them in one pass.
    func meanAndVariance(_ input: Input, weight: Weight, bias: Weight?, weightVariance: Tensor) -> (mean: Output, variance: Tensor)
}

extension GaussianLayer {
    /// Calls ``WeightedLayer/forward(_:weight:bias:)`` and ``outputVariance(_:weightVariance:)``.
    public func meanAndVariance(_ input: Input, weight: Weight, bias: Weight?, weightVariance: Tensor) -> (mean: Output, variance: Tensor) {
        (forward(input, weight: weight, bias: bias), outputVariance(input, weightVariance: weightVariance))
    }
}
