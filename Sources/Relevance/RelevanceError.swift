/// Errors of the relevance layers and traversals that a program can catch.
public enum RelevanceError: Error, Equatable, CustomStringConvertible {
    /// A masked layer was called (in a checking call) with no `mask` entry.
    case missingMask(path: String)
    /// A mask does not broadcast to the weight it multiplies (PyTorch's `expand` rule).
    case maskShape(maskKey: String, mask: [Int], weightKey: String, weight: [Int])
    /// A path given to a traversal is not a masked layer of the model.
    case notMasked(path: String, maskedLayers: [String])

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
        }
    }
}
