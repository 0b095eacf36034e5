/// A complex layer with one learnable real tensor broadcast against its input (``CplxPhaseShift``'s `phi`,
/// ``CplxAdaptiveModReLU``'s `threshold`): of shape `dim` (`[1]`, one value for all, when `dim`
/// is empty), drawn as 0.02·N(0, 1).
///
/// The layer declares the key, the stored shape and its function; the constructors with
/// cplxmodule's `(*dim)` arguments, the initialisation and the call are written here once.
public protocol BroadcastParameterLayer: SequentialLayer where Input == ComplexTensor, Output == ComplexTensor {
    /// The tensor's key in the layer's entries.
    static var parameterKey: String { get }
    /// The tensor's shape, never empty.
    var dim: [Int] { get }
    /// The layer whose tensor has shape `parameterShape` (non-empty, as the constructors give it).
    init(parameterShape: [Int])
    /// The layer's function of its input and its tensor (broadcast against the input).
    static func apply(_ z: ComplexTensor, _ parameter: Tensor) -> ComplexTensor
}

extension BroadcastParameterLayer {
    /// cplxmodule's `(*dim)` constructor: the tensor has shape `dim` (`[1]` when empty).
    public init(_ dim: Int...) { self.init(dim) }
    /// The layer whose tensor has shape `dim` (`[1]` when empty).
    public init(_ dim: [Int]) { self.init(parameterShape: dim.isEmpty ? [1] : dim) }

    /// The tensor ``parameterKey`` of shape `dim`, drawn as 0.02·N(0, 1).
    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree {
        [Self.parameterKey: normal(dim, key: key, dtype: dtype) * 0.02]
    }

    /// ``apply(_:_:)`` of `z` and the tensor ``parameterKey`` of `parameters`; stops naming the
    /// layer path if it is absent.
    public func callAsFunction(_ z: ComplexTensor, parameters: ParameterTree, context: Context) -> ComplexTensor {
        Self.apply(z, parameters.required(Self.parameterKey, by: context))
    }
}
