// Gradients with respect to the trainable entries of a tree only, and training-mode contexts
// that collect buffer updates (batch-norm running statistics) without a hand-made sink.

/// The value of `f` and its gradient with respect to the entries of `parameters` for which
/// `trainable(key)` is true; the other entries (masks, batch-norm statistics, … — pass
/// ``Optimizers/isTrainableByDefault(_:)``) reach `f` as constants: they are not traced, cost no
/// backward work, and are absent from the gradient tree.
///
/// `f` receives the whole tree, in the order of `parameters`. The gradient tree has the
/// trainable keys, in that order (zeros for entries `f` does not use), ready for an optimizer.
public func valueWithGradient(at parameters: ParameterTree, trainable: (String) -> Bool,
                              of f: (ParameterTree) throws -> Tensor) rethrows -> (value: Tensor, gradient: ParameterTree) {
    let keys = parameters.keys
    let differentiated = keys.filter(trainable)
    let (value, gradient) = try valueWithGradient(at: parameters.filter { k, _ in trainable(k) }) { p in
        var all = ParameterTree()
        for k in keys { all[k] = p[k] ?? parameters[k]! }
        return try f(all)
    }
    return (value, ParameterTree(differentiated.map { ($0, gradient[$0]!) }))
}

extension Context {
    /// A training-mode context with a fresh ``StateUpdates`` sink: layers with buffers (batch
    /// norm) record their new running statistics in it; merge them after the step with
    /// ``ParameterTree/mergingUpdates(of:)``.
    public static func training(key: RandomKey? = nil) -> Context {
        Context(training: true, key: key, state: StateUpdates())
    }
}

extension ParameterTree {
    /// This tree with the buffers that layers updated during calls with `context` (batch-norm
    /// running statistics; see ``Context/training(key:)``) replacing the old values. Unchanged
    /// when the context has no sink.
    public func mergingUpdates(of context: Context) -> ParameterTree {
        guard let updates = context.state else { return self }
        return merging(updates.tree)
    }
}
