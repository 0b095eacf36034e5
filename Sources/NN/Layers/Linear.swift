/// `y = x·Wᵀ + b` (PyTorch `nn.Linear`).
///
/// Shapes: input `[..., inFeatures]` → output `[..., outFeatures]`.
/// Parameters: `weight [out, in]`, `bias [out]` (if `bias`). Initialisation: PyTorch's default,
/// W ~ U(±1/√in), b ~ U(±1/√in).
public struct Linear: SequentialLayer {
    public typealias Input = Tensor
    public typealias Output = Tensor
    public let inFeatures: Int
    public let outFeatures: Int
    public let bias: Bool

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        self.inFeatures = inFeatures; self.outFeatures = outFeatures; self.bias = bias
    }

    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree {
        Init.torchDefault(weightShape: [outFeatures, inFeatures], bias: bias, key: key, dtype: dtype)
    }

    // callAsFunction comes from WeightedLayer (Core/WeightedLayer.swift): linear(x, weight, bias).
}

/// Returns its input (PyTorch `nn.Identity`); works for real and complex values.
public struct Identity<Value: ActivationValue>: SequentialLayer {
    public init() {}
    public func callAsFunction(_ x: Value, parameters: ParameterTree, context: Context) -> Value { x }
}

/// Flattens dimensions `startAxis...endAxis` into one (PyTorch `nn.Flatten`, defaults 1 and −1).
public struct Flatten: SequentialLayer {
    public let startAxis: Int
    public let endAxis: Int
    public init(_ startAxis: Int = 1, _ endAxis: Int = -1) { self.startAxis = startAxis; self.endAxis = endAxis }
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> Tensor {
        flatten(x, startAxis: startAxis, endAxis: endAxis)
    }
}
