// The real activation layers: no parameters, one elementwise function each (``ParameterFreeLayer``).

/// `max(x, 0)` elementwise.
public struct ReLU: ParameterFreeLayer {
    /// A ReLU (no parameters).
    public init() {}
    /// `relu(x) = max(x, 0)`: any shape → the same shape.
    public func transform(_ x: Tensor) -> Tensor { relu(x) }
}

/// `x` for x ≥ 0, `negativeSlope·x` otherwise.
public struct LeakyReLU: ParameterFreeLayer {
    /// The slope applied to negative inputs (PyTorch's default 0.01).
    public let negativeSlope: Double
    /// A leaky ReLU with the given negative slope (no parameters).
    public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope }
    /// `x ≥ 0 ? x : negativeSlope·x` elementwise: any shape → the same shape.
    public func transform(_ x: Tensor) -> Tensor { leakyReLU(x, negativeSlope: negativeSlope) }
}

/// `tanh(x)` elementwise.
public struct Tanh: ParameterFreeLayer {
    /// A tanh layer (no parameters).
    public init() {}
    /// `tanh(x)` elementwise: any shape → the same shape.
    public func transform(_ x: Tensor) -> Tensor { tanh(x) }
}

/// `1 / (1 + e^{−x})` elementwise.
public struct Sigmoid: ParameterFreeLayer {
    /// A sigmoid layer (no parameters).
    public init() {}
    /// `σ(x) = 1 / (1 + e^{−x})` elementwise: any shape → the same shape.
    public func transform(_ x: Tensor) -> Tensor { sigmoid(x) }
}

/// `log(1 + e^{βx}) / β`, and `x` itself where `βx > threshold` (PyTorch `nn.Softplus`).
public struct Softplus: ParameterFreeLayer {
    /// The sharpness β (default 1).
    public let beta: Double
    /// Where `βx > threshold` the output is `x` itself (default 20).
    public let threshold: Double
    /// A softplus with sharpness `beta` and linear-regime `threshold` (no parameters).
    public init(beta: Double = 1, threshold: Double = 20) { self.beta = beta; self.threshold = threshold }
    /// `log(1 + e^{βx}) / β`, or `x` where `βx > threshold`: any shape → the same shape.
    public func transform(_ x: Tensor) -> Tensor { softplus(x, beta: beta, threshold: threshold) }
}
