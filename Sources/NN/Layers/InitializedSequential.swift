import Ops

/// Layers applied one after another, as ``Sequential``, with some entries started at given values
/// instead of drawn ones: the way to start a filter at a known pulse (the signal network's ring
/// filter at the root-raised-cosine matched filter) while it stays a trainable layer of any flavour.
///
/// The wrapper is transparent: its children are the body's (`0`, `1`, …), so the parameter paths,
/// the call and every traversal (penalties, masks, compression) are those of the body itself.
/// Each preset replaces the drawn entry of the same key (relative to the body, e.g.
/// `0.weight.real`) in ``Module/initialParameters(key:dtype:)``; it must exist with that shape.
///
/// Shapes: those of the body.
public struct InitializedSequential<Input: ActivationValue, Output: ActivationValue>: SequentialLayer, InitialValueProviding {
    /// One starting value: the entry `key` (relative to the body) of shape `shape`, row-major `values`.
    public struct Preset: Sendable {
        /// Key of the entry, relative to the body (`0.weight.real`).
        public var key: String
        /// Its shape.
        public var shape: [Int]
        /// Its elements, row-major (`shape.reduce(1, *)` of them).
        public var values: [Double]

        /// A preset of `values` (row-major) for the entry `key` of `shape`.
        /// - Precondition: `values.count == shape.reduce(1, *)`.
        public init(key: String, shape: [Int], values: [Double]) {
            require(values.count == shape.reduce(1, *), "InitializedSequential.Preset \(key): \(values.count) values for shape \(shape)")
            (self.key, self.shape, self.values) = (key, shape, values)
        }
    }

    /// The layers.
    public let body: Sequential<Input, Output>
    /// The starting values.
    public let presets: [Preset]

    /// `body` with its entries `presets` started at the given values.
    public init(_ body: Sequential<Input, Output>, presets: [Preset]) { (self.body, self.presets) = (body, presets) }

    /// The body's children (`0`, `1`, …): the wrapper adds no level to the parameter paths.
    public var children: [(name: String, module: any Module)] { body.children }

    /// The presets as tensors of `dtype`, keyed relative to the body.
    public func initialValues(dtype: DType) -> ParameterTree {
        var tree = ParameterTree()
        for p in presets { tree[p.key] = Tensor(shape: p.shape, scalars: p.values, dtype: dtype) }
        return tree
    }

    /// The body applied to `x`: input and output shapes as the body's.
    public func callAsFunction(_ x: Input, parameters: ParameterTree, context: Context) -> Output {
        body(x, parameters: parameters, context: context)
    }
}
