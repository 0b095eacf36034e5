/// A layer with one learnable tensor broadcast against its input (``CplxPhaseShift``'s `phi`): of
/// shape `dim` (`[1]`, one value for all, when `dim` is empty), drawn as 0.02·N(0, 1).
///
/// The layer declares the key and the stored shape; the constructors with cplxmodule's `(*dim)`
/// arguments and the initialisation are written here once.
public protocol BroadcastParameterLayer: SequentialLayer {
    /// The tensor's key in the layer's entries.
    static var parameterKey: String { get }
    /// The tensor's shape, never empty.
    var dim: [Int] { get }
    /// The layer whose tensor has shape `parameterShape` (non-empty, as the constructors give it).
    init(parameterShape: [Int])
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
}
