/// A layer with an L1 penalty on its weight (cplxmodule's `LinearLASSO` for ``Linear``): the
/// forward is the base layer's, unchanged.
///
/// - penalty: `|W|` elementwise (shape of the weight; its gradient is sign(W), 0 at 0).
/// - relevance: `log(|W| + 1e-20) ≥ threshold` as 0/1 in the weight's dtype (cplxmodule returns
///   a bool tensor). ``RelevanceOptions/hard`` is ignored.
/// - Parameters: exactly the base layer's (no variational keys).
public struct LASSO<Base: WeightedLayer>: Layer, BayesianLayer where Base.Weight == Tensor {
    /// The base layer's input.
    public typealias Input = Base.Input
    /// The base layer's output.
    public typealias Output = Base.Output

    /// The regularised layer.
    public let base: Base

    /// Wraps `base`.
    public init(_ base: Base) { self.base = base }

    /// None: a LASSO layer has only the base layer's parameters.
    public var variationalKeys: [String] { [] }
    /// `["weight"]` (LASSO wraps real layers only).
    public var weightKeys: [String] { ["weight"] }

    /// The base layer's parameters (`weight`, and `bias` if it has one), initialised as the base does.
    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree { base.ownParameters(key: key, dtype: dtype) }

    /// The base layer's map with the stored `weight` and `bias`, unchanged (shapes as the base).
    public func callAsFunction(_ x: Input, parameters p: ParameterTree, context: Context) -> Output {
        base.forward(x, weight: p.required("weight", by: context), bias: base.hasBias ? p.required("bias", by: context) : nil)
    }

    /// `|W|`.
    public func penalty(parameters p: ParameterTree) -> Tensor { abs(p.required("weight", by: TraversalPath.context)) }

    /// `log(|W| + 1e-20) ≥ threshold` as 0/1 in the weight's dtype, shape of the weight (not on a tape).
    public func relevance(parameters p: ParameterTree, options: RelevanceOptions) -> Tensor {
        log(abs(p.required("weight", by: TraversalPath.context).detached()) + 1e-20) .>= options.threshold
    }
}

extension LASSO: SequentialLayer where Base: SequentialLayer {}

/// A dense layer with an L1 weight penalty, cplxmodule's `LinearLASSO`.
public typealias LinearLASSO = LASSO<Linear>

extension LASSO where Base == Linear {
    /// `Linear(in, out, bias:)` with an L1 penalty.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) { self.init(Linear(inFeatures, outFeatures, bias: bias)) }
}
