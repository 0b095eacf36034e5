/// The weight type of a layer: `Tensor` (real layers) or `ComplexTensor` (complex layers).
public protocol WeightValue: ActivationValue {
    /// Reads the parameter `key` (`key` itself, or `key.real` and `key.imag`) from `parameters`.
    static func required(_ key: String, in parameters: ParameterTree, by context: Context) -> Self
    /// Whether `key` (or both its parts) is present.
    static func isPresent(_ key: String, in parameters: ParameterTree) -> Bool
    /// Writes the weight into `parameters` as `key` (`key` itself, or `key.real` and `key.imag`).
    func store(as key: String, in parameters: inout ParameterTree)
    /// The parameter keys that store a weight called `key`, in cplxmodule's state-dict order.
    static func storageKeys(_ key: String) -> [String]
    /// The weight with every element multiplied by the real `mask` (both parts for complex), broadcasting.
    func masked(by mask: Tensor) -> Self
    /// The element shape.
    var shape: [Int] { get }
}

extension Tensor: WeightValue {
    /// The tensor stored under `key`; stops naming the layer path if it is absent.
    public static func required(_ key: String, in p: ParameterTree, by context: Context) -> Tensor { p.required(key, by: context) }
    /// Whether `key` is in the tree.
    public static func isPresent(_ key: String, in p: ParameterTree) -> Bool { p.contains(key) }
    /// `parameters[key] = self`.
    public func store(as key: String, in p: inout ParameterTree) { p[key] = self }
    /// `[key]`: a real weight is one entry.
    public static func storageKeys(_ key: String) -> [String] { [key] }
    /// `w ⊙ mask`, broadcasting.
    public func masked(by mask: Tensor) -> Tensor { self * mask }
}

extension ComplexTensor: WeightValue {
    /// The complex weight assembled from `key.real` and `key.imag`; stops naming the layer path if
    /// either is absent.
    public static func required(_ key: String, in p: ParameterTree, by context: Context) -> ComplexTensor {
        p.requiredComplex(key, by: context)
    }
    /// Whether both `key.real` and `key.imag` are in the tree.
    public static func isPresent(_ key: String, in p: ParameterTree) -> Bool { p.contains(key + ".real") && p.contains(key + ".imag") }
    /// The parts as `key.real` and `key.imag`.
    public func store(as key: String, in p: inout ParameterTree) { p.setComplex(key, self) }
    /// `[key.imag, key.real]`, the order of cplxmodule's state dict.
    public static func storageKeys(_ key: String) -> [String] { [key + ".imag", key + ".real"] }
    /// `(Re w ⊙ mask) + i·(Im w ⊙ mask)`, broadcasting.
    public func masked(by mask: Tensor) -> ComplexTensor { ComplexTensor(real: real * mask, imag: imag * mask) }
}

/// A layer whose output is an affine function of its input through one weight and an
/// optional bias: Linear, Bilinear, ConvNd and their complex forms. Each declares its weight's
/// shape and its map once (`forward`); its `callAsFunction` reads `weight` and `bias` from the tree
/// and calls `forward`. The wrappers of `Relevance` are generic over it: masked layers substitute
/// `W ⊙ mask`, and the Gaussian (VD/ARD) layers refine it with the output variance under weight
/// noise (Relevance's `GaussianLayer`), without rewriting the forward.
public protocol WeightedLayer: Layer {
    /// `Tensor` for real layers, `ComplexTensor` for complex ones.
    associatedtype Weight: WeightValue

    /// Shape of `weight` (a complex weight's shape is that of each part).
    var weightShape: [Int] { get }
    /// Whether the layer has a `bias` parameter.
    var hasBias: Bool { get }

    /// The layer's map with the given weight and bias.
    func forward(_ input: Input, weight: Weight, bias: Weight?) -> Output
}

extension WeightedLayer {
    /// The plain layer: `forward` with the `weight` and `bias` of `parameters`.
    public func callAsFunction(_ input: Input, parameters p: ParameterTree, context: Context) -> Output {
        forward(input, weight: Weight.required("weight", in: p, by: context),
                bias: hasBias ? Weight.required("bias", in: p, by: context) : nil)
    }
}
