import Autodiff
import NN

// The layer-boundary checks of the wrappers (see Sources/NN/Core/LayerChecks.swift): each checks
// its own entries, then lets its base check the weight, the bias and the input.

/// A layer made around one base layer of the same input and output (``Masked``, ``Variational``,
/// ``LASSO``, ``LinearL0``): its stand-in output in a checking call is the base's, and so are its
/// checks unless it has entries of its own to check (a LASSO layer has only the base's).
public protocol BaseWrappingLayer: Layer where Input == Base.Input, Output == Base.Output {
    /// The wrapped layer's type.
    associatedtype Base: Layer
    /// The wrapped layer.
    var base: Base { get }
}

extension BaseWrappingLayer {
    /// The base layer's checks.
    public func check(_ x: Input, parameters p: ParameterTree, context: Context) throws {
        try base.check(x, parameters: p, context: context)
    }

    /// The base layer's stand-in output.
    public func placeholderOutput(for x: Input, parameters p: ParameterTree, context: Context) -> Output? {
        base.placeholderOutput(for: x, parameters: p, context: context)
    }
}

extension Masked: BaseWrappingLayer {}
extension Variational: BaseWrappingLayer {}
extension LASSO: BaseWrappingLayer {}
extension LinearL0: BaseWrappingLayer {}

extension Masked {
    /// `mask` is present and broadcasts to the weight, then the base layer's checks.
    public func check(_ x: Input, parameters p: ParameterTree, context: Context) throws {
        guard let mask = p["mask"] else { throw RelevanceError.missingMask(path: context.path) }
        try base.check(x, parameters: p, context: context)
        guard broadcastable(mask.shape, to: base.weightShape) else {
            throw LayerError.parameterShape(path: context.path, key: "mask", expected: base.weightShape, found: mask.shape)
        }
    }
}

extension Variational {
    /// `log_sigma2` is present with the weight's shape, then the base layer's checks.
    public func check(_ x: Input, parameters p: ParameterTree, context: Context) throws {
        try base.check(x, parameters: p, context: context)
        _ = try p.checkedEntry("log_sigma2", shape: base.weightShape, path: context.path)
    }
}

extension LinearL0 {
    /// `log_alpha` is present with its group's shape, then the linear layer's checks.
    public func check(_ x: Tensor, parameters p: ParameterTree, context: Context) throws {
        try base.check(x, parameters: p, context: context)
        _ = try p.checkedEntry("log_alpha", shape: logAlphaShape, path: context.path)
    }
}
