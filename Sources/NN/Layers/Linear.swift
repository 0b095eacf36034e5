/// `y = x·Wᵀ + b` (PyTorch `nn.Linear`).
///
/// Shapes: input `[..., inFeatures]` → output `[..., outFeatures]`.
/// Parameters: `weight [out, in]`, `bias [out]` (if `bias`). Initialisation: PyTorch's default,
/// W ~ U(±1/√in), b ~ U(±1/√in).
public struct Linear: LinearLayer {
    /// Real weights, inputs `[…, inFeatures]` and outputs `[…, outFeatures]`.
    public typealias Weight = Tensor
    /// Size of the input's last axis.
    public let inFeatures: Int
    /// Size of the output's last axis.
    public let outFeatures: Int
    /// Whether the layer has a `bias` parameter `[outFeatures]`.
    public let bias: Bool

    /// A linear map from `inFeatures` to `outFeatures`, with a bias unless `bias: false`.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        self.inFeatures = inFeatures; self.outFeatures = outFeatures; self.bias = bias
    }

    /// `weight [out, in]` and (if `bias`) `bias [out]`, PyTorch's default initialisation:
    /// both U(±1/√inFeatures).
    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree {
        Init.torchDefault(weightShape: [outFeatures, inFeatures], bias: bias, key: key, dtype: dtype)
    }

    // forward and callAsFunction come from LinearLayer and WeightedLayer: linear(x, weight, bias).
}

/// A dense layer, real (``Linear``) or complex (``CplxLinear``): `y = x·Wᵀ + b` over the last axis,
/// weight `[outFeatures, inFeatures]`; the weight shape, bias flag and forward are written once.
public protocol LinearLayer: WeightedLayer, SequentialLayer where Input == Weight, Output == Weight {
    /// Size of the input's last axis.
    var inFeatures: Int { get }
    /// Size of the output's last axis.
    var outFeatures: Int { get }
    /// Whether the layer has a `bias` `[outFeatures]`.
    var bias: Bool { get }
}

extension LinearLayer {
    /// `[outFeatures, inFeatures]` (each part for complex weights).
    public var weightShape: [Int] { [outFeatures, inFeatures] }
    /// The `bias` flag given at construction.
    public var hasBias: Bool { bias }
}

extension LinearLayer where Weight == Tensor {
    /// `linear(x, W, b) = x·Wᵀ + b`: input `[…, in]` → `[…, out]`.
    public func forward(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor { linear(x, weight, bias: bias) }
}

extension LinearLayer where Weight == ComplexTensor {
    /// `linear(z, W, b) = z·Wᵀ + b` (complex): `[…, in]` → `[…, out]`.
    public func forward(_ z: ComplexTensor, weight: ComplexTensor, bias: ComplexTensor?) -> ComplexTensor {
        linear(z, weight, bias: bias)
    }
}

/// Returns its input (PyTorch `nn.Identity`); works for real and complex values.
public struct Identity<Value: ActivationValue>: SequentialLayer {
    /// An identity layer (no parameters).
    public init() {}
    /// Returns `x` unchanged: any shape → the same shape.
    public func callAsFunction(_ x: Value, parameters: ParameterTree, context: Context) -> Value { x }
}

/// Flattens dimensions `startAxis...endAxis` into one (PyTorch `nn.Flatten`, defaults 1 and −1).
public struct Flatten: SequentialLayer {
    /// First axis merged (negative counts from the end).
    public let startAxis: Int
    /// Last axis merged, inclusive (negative counts from the end).
    public let endAxis: Int
    /// Merges axes `startAxis...endAxis`; the defaults keep the batch axis and flatten the rest.
    public init(_ startAxis: Int = 1, _ endAxis: Int = -1) { self.startAxis = startAxis; self.endAxis = endAxis }
    /// `flatten(x, startAxis, endAxis)`: e.g. `[N, C, H, W]` → `[N, C·H·W]` with the defaults.
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> Tensor {
        flatten(x, startAxis: startAxis, endAxis: endAxis)
    }
}
