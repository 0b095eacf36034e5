/// `max(x, 0)` elementwise.
public struct ReLU: SequentialLayer {
    public init() {}
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> Tensor { relu(x) }
}

/// `x` for x ≥ 0, `negativeSlope·x` otherwise.
public struct LeakyReLU: SequentialLayer {
    public let negativeSlope: Double
    public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope }
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> Tensor {
        leakyReLU(x, negativeSlope: negativeSlope)
    }
}

/// `tanh(x)` elementwise.
public struct Tanh: SequentialLayer {
    public init() {}
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> Tensor { tanh(x) }
}

/// `1 / (1 + e^{−x})` elementwise.
public struct Sigmoid: SequentialLayer {
    public init() {}
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> Tensor { sigmoid(x) }
}

/// `log(1 + e^{βx}) / β`, linear above `threshold` (PyTorch `nn.Softplus`).
public struct Softplus: SequentialLayer {
    public let beta: Double
    public let threshold: Double
    public init(beta: Double = 1, threshold: Double = 20) { self.beta = beta; self.threshold = threshold }
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> Tensor {
        softplus(x, beta: beta, threshold: threshold)
    }
}
