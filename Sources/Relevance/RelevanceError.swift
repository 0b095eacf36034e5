/// Errors of the relevance layers and traversals that a program can catch.
public enum RelevanceError: Error, Equatable, CustomStringConvertible {
    /// A masked layer was called (in a checking call) with no `mask` entry.
    case missingMask(path: String)
    /// A mask does not broadcast to the weight it multiplies (PyTorch's `expand` rule).
    case maskShape(maskKey: String, mask: [Int], weightKey: String, weight: [Int])
    /// A path given to a traversal is not a masked layer of the model.
    case notMasked(path: String, maskedLayers: [String])
    /// A traversal was called with `hard:` alone (the form for L0-only models) on a model with a
    /// VD, ARD or LASSO layer at `path`, which needs a threshold.
    case thresholdRequired(path: String)

    /// One line naming the layer path or keys and the shapes.
    public var description: String {
        switch self {
        case .missingMask(let path):
            return "\(path.isEmpty ? "<root>" : path): masked layer has no sparsity mask; "
                + "load one (computeARDMasks + binarizeMasks) or call deployMasks"
        case .maskShape(let mk, let m, let wk, let w):
            return "mask \(mk) of shape \(m) does not broadcast to the weight \(wk) of shape \(w)"
        case .notMasked(let path, let layers):
            return "\(path.isEmpty ? "<root>" : path) is not a masked layer of the model (masked layers: \(layers))"
        case .thresholdRequired(let path):
            return "\(path.isEmpty ? "<root>" : path): a VD, ARD or LASSO layer needs a threshold; "
                + "call with threshold: (hard: alone serves models whose Bayesian layers are all L0 layers)"
        }
    }
}
