import Autodiff
import NN

// The layer-boundary checks of the wrappers (see Sources/NN/Core/LayerChecks.swift): each checks
// its own entries, then lets its base check the weight, the bias and the input.

extension Masked {
    /// `mask` is present and broadcasts to the weight, then the base layer's checks.
    public func check(_ x: Input, parameters p: ParameterTree, context: Context) throws {
        guard let mask = p["mask"] else { throw RelevanceError.missingMask(path: context.path) }
        try base.check(x, parameters: p, context: context)
        guard broadcastable(mask.shape, to: base.weightShape) else {
            throw LayerError.parameterShape(path: context.path, key: "mask", expected: base.weightShape, found: mask.shape)
        }
    }

    /// The base layer's stand-in output.
    public func placeholderOutput(for x: Input, parameters p: ParameterTree, context: Context) -> Output? {
        base.placeholderOutput(for: x, parameters: p, context: context)
    }
}

extension Variational {
    /// `log_sigma2` is present with the weight's shape, then the base layer's checks.
    public func check(_ x: Input, parameters p: ParameterTree, context: Context) throws {
        try base.check(x, parameters: p, context: context)
        guard let s = p["log_sigma2"] else {
            throw LayerError.missingParameter(path: context.path, key: "log_sigma2", available: p.keys)
        }
        guard s.shape == base.weightShape else {
            throw LayerError.parameterShape(path: context.path, key: "log_sigma2", expected: base.weightShape, found: s.shape)
        }
    }

    /// The base layer's stand-in output.
    public func placeholderOutput(for x: Input, parameters p: ParameterTree, context: Context) -> Output? {
        base.placeholderOutput(for: x, parameters: p, context: context)
    }
}

extension LASSO {
    /// The base layer's checks (a LASSO layer has only the base's entries).
    public func check(_ x: Input, parameters p: ParameterTree, context: Context) throws {
        try base.check(x, parameters: p, context: context)
    }

    /// The base layer's stand-in output.
    public func placeholderOutput(for x: Input, parameters p: ParameterTree, context: Context) -> Output? {
        base.placeholderOutput(for: x, parameters: p, context: context)
    }
}

extension LinearL0 {
    /// `log_alpha` is present with its group's shape, then the linear layer's checks.
    public func check(_ x: Tensor, parameters p: ParameterTree, context: Context) throws {
        try base.check(x, parameters: p, context: context)
        guard let a = p["log_alpha"] else {
            throw LayerError.missingParameter(path: context.path, key: "log_alpha", available: p.keys)
        }
        guard a.shape == logAlphaShape else {
            throw LayerError.parameterShape(path: context.path, key: "log_alpha", expected: logAlphaShape, found: a.shape)
        }
    }

    /// The linear layer's stand-in output.
    public func placeholderOutput(for x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor? {
        base.placeholderOutput(for: x, parameters: p, context: context)
    }
}
