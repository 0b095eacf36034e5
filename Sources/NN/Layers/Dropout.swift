/// A dropout layer, real (``Dropout``) or complex (``CplxDropout``): the probability check of
/// the constructor and the rule "identity in evaluation or when `p = 0`" are written once; each
/// layer writes only how it drops in training (``drop(_:key:)``).
public protocol DropoutLayer: SequentialLayer where Output == Input {
    /// The input, `Tensor` or `ComplexTensor` (restated so that ``drop(_:key:)`` names it).
    associatedtype Input
    /// The drop probability p ∈ [0, 1].
    var probability: Double { get }
    /// The training-mode output for `p > 0`: each element dropped with probability `p` by a mask
    /// drawn from `key`, the survivors scaled by 1/(1 − p). Any shape → the same shape.
    func drop(_ input: Input, key: RandomKey) -> Input
}

extension DropoutLayer {
    /// `probability`, stopping with the layer's name (`Dropout`, `CplxDropout`) unless it is in [0, 1].
    static func checked(_ probability: Double) -> Double {
        require(probability >= 0 && probability <= 1, "\(Self.self): probability \(probability) is not in [0, 1]")
        return probability
    }

    /// In training with `p > 0`, ``drop(_:key:)`` with the layer's key (``Context/randomKey``);
    /// otherwise the input itself. Any shape → the same shape.
    public func callAsFunction(_ input: Input, parameters: ParameterTree, context: Context) -> Input {
        guard context.training && probability > 0 else { return input }
        return drop(input, key: context.randomKey)
    }
}

/// Inverted dropout (PyTorch's `nn.Dropout`): in training each element is zeroed with
/// probability `probability` and the survivors are scaled by 1/(1 − p); identity in evaluation.
///
/// Shapes: any → same. No parameters. The mask comes from ``Context/randomKey`` (training
/// mode needs a context with a key).
public struct Dropout: DropoutLayer {
    /// The drop probability p ∈ [0, 1].
    public let probability: Double

    /// PyTorch's `Dropout(p=0.5)`.
    public init(_ probability: Double = 0.5) { self.probability = Self.checked(probability) }

    /// `x ⊙ m/(1 − p)` with `m ~ Bernoulli(1 − p)` from `key`. Any shape → the same shape.
    public func drop(_ x: Tensor, key: RandomKey) -> Tensor {
        dropout(x, probability: probability, key: key, training: true)
    }
}

/// Complex dropout (cplxmodule's `CplxDropout`): in training each complex element is dropped
/// with probability `probability` — one mask shared by the real and imaginary parts — and the
/// survivors are scaled by 1/(1 − p); identity in evaluation.
///
/// Shapes: any → same. No parameters. Randomness from ``Context/randomKey``.
public struct CplxDropout: DropoutLayer {
    /// The drop probability p ∈ [0, 1].
    public let probability: Double

    /// cplxmodule's `CplxDropout(p=0.5)`.
    public init(_ probability: Double = 0.5) { self.probability = Self.checked(probability) }

    /// `z ⊙ m/(1 − p)` with one real mask `m ~ Bernoulli(1 − p)` from `key` for both parts (zeros
    /// when `p = 1`). Complex any shape → the same shape.
    public func drop(_ z: ComplexTensor, key: RandomKey) -> ComplexTensor {
        if probability == 1 { return z * Tensor.zeros(z.shape, dtype: z.dtype) }
        let mask = bernoulli(z.shape, probability: 1 - probability, key: key, dtype: z.dtype) / (1 - probability)
        return z * mask
    }
}
