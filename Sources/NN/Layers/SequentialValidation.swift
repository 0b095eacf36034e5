/// Why a list of layers cannot form a ``Sequential`` of the requested element types.
public enum SequentialError: Error, Equatable, CustomStringConvertible {
    /// Layer `index` (type name `layer`) takes `takes` input but receives `receives`, from the
    /// container's input (`previous` nil) or from the layer before it (`previous` its type name).
    case kindMismatch(index: Int, layer: String, takes: ActivationKind, receives: ActivationKind, previous: String?)
    /// The last layer (or the input of an empty container) is `produces`, the container returns `expected`.
    case outputMismatch(produces: ActivationKind, expected: ActivationKind)

    /// A one-line message: the offending layer (index, type) and the two kinds, or the produced and
    /// expected output kinds.
    public var description: String {
        switch self {
        case let .kindMismatch(i, layer, takes, receives, previous):
            return "Sequential: layer \(i) (\(layer)) takes \(takes) input but receives \(receives) "
                + (previous.map { "from layer \(i - 1) (\($0))" } ?? "(the container's input)")
        case let .outputMismatch(produces, expected):
            return "Sequential: the last layer produces \(produces) output but the container returns \(expected)"
        }
    }
}

extension SequentialLayer {
    /// Whether this layer takes real or complex input.
    public var inputKind: ActivationKind { Input.kind }
    /// Whether this layer produces real or complex output.
    public var outputKind: ActivationKind { Output.kind }
}

extension Sequential {
    /// Checks that `layers` chain: the first takes `Input`, each next one takes what the previous
    /// one produces, the last produces `Output` (an empty list needs `Input == Output`). The
    /// same rule the initialiser enforces with a precondition; call this first to get a typed
    /// error instead (e.g. for layer lists assembled from user configuration).
    /// - Throws: ``SequentialError`` naming the first offending layer.
    public static func validate(_ layers: [any SequentialLayer]) throws {
        var kind = Input.kind
        for (i, layer) in layers.enumerated() {
            if layer.inputKind != kind {
                throw SequentialError.kindMismatch(index: i, layer: String(describing: type(of: layer)), takes: layer.inputKind,
                                                   receives: kind, previous: i == 0 ? nil : String(describing: type(of: layers[i - 1])))
            }
            kind = layer.outputKind
        }
        if kind != Output.kind { throw SequentialError.outputMismatch(produces: kind, expected: Output.kind) }
    }
}
