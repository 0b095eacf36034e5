import Foundation

/// The context of a layer call: mode, randomness, the layer's path, and where updated
/// buffers (batch-norm running statistics) go.
public struct Context: Sendable {
    /// Training mode (noise, dropout, batch statistics) or evaluation mode.
    public var training: Bool
    /// The key of the whole call; each layer derives its own from it and its path.
    public var baseKey: RandomKey?
    /// Dotted path of the current module (`classifier.0`); empty at the root.
    public private(set) var path: String
    /// Collects buffers that layers update in training mode, keyed by full path.
    public let state: StateUpdates?
    /// Where layer-boundary checks record their errors: set in a checking call
    /// (``Layer/apply(_:parameters:context:)``, or a context made inside ``withErrors(_:)``);
    /// nil otherwise, and then a failed check stops the program.
    public internal(set) var checks: LayerChecks?

    /// A context. In training mode pass a `key` if the model has noise or dropout, and a
    /// ``StateUpdates`` if it has batch norm and you want the running statistics. A context made
    /// inside ``withErrors(_:)`` checks every layer call (see ``checks``).
    public init(training: Bool, key: RandomKey? = nil, state: StateUpdates? = nil) {
        self.training = training
        self.baseKey = key
        self.path = ""
        self.state = state
        self.checks = ErrorScope.current.map { LayerChecks(scope: $0) }
    }

    /// The context of child `name`.
    public func child(_ name: String) -> Context {
        var c = self
        c.path = path.isEmpty ? name : path + "." + name
        return c
    }

    /// The random key of the current layer: the base key folded with the layer's path, so a
    /// layer's noise does not depend on evaluation order or thread count.
    /// - Precondition: the context was made with a key (training with noise needs one).
    public var randomKey: RandomKey {
        guard let k = baseKey else {
            fatalError("\(path.isEmpty ? "<root>" : path): this layer draws random numbers in training mode; "
                                + "create the Context with a key: Context(training: true, key: RandomKey(seed: …))")
        }
        return k.fold(path)
    }

    /// Records the new value of buffer `name` of the current layer (no-op without a sink).
    public func update(_ name: String, _ value: Tensor) {
        state?.set(path.isEmpty ? name : path + "." + name, value.detached())
    }
}

/// A thread-safe collector of buffer updates made during a training-mode call. Merge it
/// into the parameters after the step: `params.merge(updates.tree)`.
public final class StateUpdates: @unchecked Sendable {
    private let lock = NSLock()
    private var entries = ParameterTree()

    /// An empty collector.
    public init() {}

    /// Stores `value` under the full path `key`.
    public func set(_ key: String, _ value: Tensor) {
        lock.lock(); defer { lock.unlock() }
        entries[key] = value
    }

    /// Every update recorded so far.
    public var tree: ParameterTree {
        lock.lock(); defer { lock.unlock() }
        return entries
    }
}
