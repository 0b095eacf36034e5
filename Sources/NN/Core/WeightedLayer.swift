/// The weight type of a layer: `Tensor` (real layers) or `ComplexTensor` (complex layers).
public protocol WeightValue: ActivationValue {
    /// Reads the parameter `key` (`key` itself, or `key.real` and `key.imag`) from `parameters`.
    static func required(_ key: String, in parameters: ParameterTree, by context: Context) -> Self
    /// Whether `key` (or both its parts) is present.
    static func isPresent(_ key: String, in parameters: ParameterTree) -> Bool
    /// The parameter keys that store a weight called `key`, in cplxmodule's state-dict order.
    static func storageKeys(_ key: String) -> [String]
    /// The weight with every element multiplied by the real `mask` (both parts for complex), broadcasting.
    func masked(by mask: Tensor) -> Self
    /// `log(|w| + 1e-12)` elementwise (|w| the modulus for complex weights): the quantity in log α.
    var logModulus: Tensor { get }
    /// The element shape.
    var shape: [Int] { get }
}

extension Tensor: WeightValue {
    /// The tensor stored under `key`; stops naming the layer path if it is absent.
    public static func required(_ key: String, in p: ParameterTree, by context: Context) -> Tensor { p.required(key, by: context) }
    /// Whether `key` is in the tree.
    public static func isPresent(_ key: String, in p: ParameterTree) -> Bool { p.contains(key) }
    /// `[key]`: a real weight is one entry.
    public static func storageKeys(_ key: String) -> [String] { [key] }
    /// `w ⊙ mask`, broadcasting.
    public func masked(by mask: Tensor) -> Tensor { self * mask }
    /// `log(|w| + 1e-12)` elementwise, same shape as the weight.
    public var logModulus: Tensor { log(abs(self) + 1e-12) }
}

extension ComplexTensor: WeightValue {
    /// The complex weight assembled from `key.real` and `key.imag`; stops naming the layer path if
    /// either is absent.
    public static func required(_ key: String, in p: ParameterTree, by context: Context) -> ComplexTensor {
        p.requiredComplex(key, by: context)
    }
    /// Whether both `key.real` and `key.imag` are in the tree.
    public static func isPresent(_ key: String, in p: ParameterTree) -> Bool { p.contains(key + ".real") && p.contains(key + ".imag") }
    /// `[key.imag, key.real]`, the order of cplxmodule's state dict.
    public static func storageKeys(_ key: String) -> [String] { [key + ".imag", key + ".real"] }
    /// `(Re w ⊙ mask) + i·(Im w ⊙ mask)`, broadcasting.
    public func masked(by mask: Tensor) -> ComplexTensor { ComplexTensor(real: real * mask, imag: imag * mask) }
    /// `log(|w| + 1e-12)` with `|w| = √(Re w² + Im w²)`, elementwise; real, same shape as each part.
    public var logModulus: Tensor { log(abs(self) + 1e-12) }
}

/// A layer whose output is an affine function of its input through one weight and an
/// optional bias: Linear, Bilinear, ConvNd and their complex forms. The Bayesian and masked
/// wrappers of `Relevance` are generic over it: they substitute the weight (masked, or a
/// Gaussian's mean) and ask for the output variance under independent weight noise.
public protocol WeightedLayer: Layer {
    /// `Tensor` for real layers, `ComplexTensor` for complex ones.
    associatedtype Weight: WeightValue

    /// Shape of `weight` (a complex weight's shape is that of each part).
    var weightShape: [Int] { get }
    /// Whether the layer has a `bias` parameter.
    var hasBias: Bool { get }

    /// The layer's map with the given weight and bias.
    func forward(_ input: Input, weight: Weight, bias: Weight?) -> Output

    /// The output variance when the weight's elements are independent with variances
    /// `weightVariance` (real, shape `weightShape`) and the bias is fixed: the same map applied
    /// to the squared input magnitudes (`x²`, or `|z|²` for complex input) and the variances,
    /// without bias. This is the variance of the local reparameterisation trick.
    func outputVariance(_ input: Input, weightVariance: Tensor) -> Tensor

    /// `(forward(input, weight:, bias:), outputVariance(input, weightVariance:))`: the two maps of
    /// the local reparameterisation trick. The default calls both; a layer whose two maps share
    /// work (a convolution's im2col) computes them in one pass.
    func meanAndVariance(_ input: Input, weight: Weight, bias: Weight?, weightVariance: Tensor) -> (mean: Output, variance: Tensor)
}

extension WeightedLayer {
    /// Calls ``forward(_:weight:bias:)`` and ``outputVariance(_:weightVariance:)``.
    public func meanAndVariance(_ input: Input, weight: Weight, bias: Weight?, weightVariance: Tensor) -> (mean: Output, variance: Tensor) {
        (forward(input, weight: weight, bias: bias), outputVariance(input, weightVariance: weightVariance))
    }
}

extension WeightedLayer {
    /// The plain layer: `forward` with the `weight` and `bias` of `parameters`.
    public func callAsFunction(_ input: Input, parameters p: ParameterTree, context: Context) -> Output {
        forward(input, weight: Weight.required("weight", in: p, by: context),
                bias: hasBias ? Weight.required("bias", in: p, by: context) : nil)
    }
}

extension Linear: WeightedLayer {
    /// A real weight.
    public typealias Weight = Tensor
    /// `[outFeatures, inFeatures]`.
    public var weightShape: [Int] { [outFeatures, inFeatures] }
    /// The `bias` flag given at construction.
    public var hasBias: Bool { bias }
    /// `linear(x, W, b) = x·Wᵀ + b`: input `[…, in]` → `[…, out]`.
    public func forward(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor { linear(x, weight, bias: bias) }
    /// `x²·σ²ᵀ` (the linear map of `x ⊙ x` with the weight variances, no bias): `[…, in]` → `[…, out]`.
    public func outputVariance(_ x: Tensor, weightVariance: Tensor) -> Tensor { linear(x * x, weightVariance, bias: nil) }
}
