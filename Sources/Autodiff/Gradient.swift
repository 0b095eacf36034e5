/// The gradient API: each call creates its own ``Tape``, runs the function on traced copies of
/// its inputs, walks the tape backwards once, and frees it before returning.
///
/// A function of several variables is differentiated with respect to all of them; values
/// the function reads that are not inputs (captured tensors) are constants.

/// The gradient of a scalar function at `x`, and its value.
/// - Precondition: `f` returns a one-element tensor. For other outputs use
///   ``valueWithPullback(at:of:)`` and give the cotangent explicitly.
public func valueWithGradient(at x: Tensor, of f: (Tensor) throws -> Tensor) rethrows -> (value: Tensor, gradient: Tensor) {
    let (v, g) = try valueWithGradient(at: [x]) { try f($0[0]) }
    return (v, g[0])
}

/// The gradient of a scalar function at `x`.
public func gradient(at x: Tensor, of f: (Tensor) throws -> Tensor) rethrows -> Tensor {
    try valueWithGradient(at: x, of: f).gradient
}

/// The gradients of a scalar function of two tensors, and its value.
public func valueWithGradient(at x: Tensor, _ y: Tensor, of f: (Tensor, Tensor) throws -> Tensor) rethrows
    -> (value: Tensor, gradient: (Tensor, Tensor)) {
    let (v, g) = try valueWithGradient(at: [x, y]) { try f($0[0], $0[1]) }
    return (v, (g[0], g[1]))
}

/// The gradient of a scalar function of a complex tensor in PyTorch's convention,
/// `∂L/∂Re z + i·∂L/∂Im z`, and its value.
public func valueWithGradient(at z: ComplexTensor, of f: (ComplexTensor) throws -> Tensor) rethrows
    -> (value: Tensor, gradient: ComplexTensor) {
    let (v, g) = try valueWithGradient(at: [z.real, z.imag]) { try f(ComplexTensor(real: $0[0], imag: $0[1])) }
    return (v, ComplexTensor(real: g[0], imag: g[1]))
}

/// The gradient of a scalar function of a complex tensor (see ``valueWithGradient(at:of:)-7x0lz``).
public func gradient(at z: ComplexTensor, of f: (ComplexTensor) throws -> Tensor) rethrows -> ComplexTensor {
    try valueWithGradient(at: z, of: f).gradient
}

/// The gradient of a scalar function of a parameter tree: a tree with the same keys (zeros
/// for entries the function does not use), and the value.
public func valueWithGradient(at tree: ParameterTree, of f: (ParameterTree) throws -> Tensor) rethrows
    -> (value: Tensor, gradient: ParameterTree) {
    let keys = tree.keys
    let (v, g) = try valueWithGradient(at: tree.map(\.value)) { xs in
        try f(ParameterTree(Array(Swift.zip(keys, xs))))
    }
    return (v, ParameterTree(Array(Swift.zip(keys, g))))
}

/// ``valueWithGradient(at:of:)-(ParameterTree,_)`` of `y + Σᵢ ⟨cᵢ, xᵢ⟩`, where `f` returns `y` and
/// the terms `(xᵢ, cᵢ)`: each `xᵢ` one of the tree's values as `f` received it (a leaf of the
/// tape) and `cᵢ()` a tensor of its shape. The gradient of each `xᵢ` is `∂y/∂xᵢ + cᵢ()`, `cᵢ()`
/// added first, before any other contribution (as the pullback of a term recorded after `y`'s
/// computation would add it), but each `cᵢ` is called only when the backward pass first needs that
/// leaf's gradient (or at its end): a cotangent still being computed on other threads (a penalty
/// sum started before the forward pass) is waited for as late as possible. The returned value is
/// `y` alone; the caller adds the terms' values (which it knows) itself.
/// Several terms of one leaf are added to it in reverse order (as the pullbacks of terms recorded
/// in their order would add them).
/// - Precondition: every `xᵢ` is a value of the tree as passed to `f`.
public func valueWithGradient(at tree: ParameterTree, deferring f: (ParameterTree) throws -> (Tensor, [(Tensor, () -> Tensor)]))
    rethrows -> (value: Tensor, gradient: ParameterTree) {
    let keys = tree.keys
    let tape = Tape()
    defer { tape.finish() }
    let leaves = tree.map(\.value).map { tape.leaf($0) }
    let (y, terms) = try f(ParameterTree(Array(Swift.zip(keys, leaves))))
    if y.count != 1 {
        let error = GradientError.nonScalarOutput(shape: y.shape)
        guard let scope = ErrorScope.current else { fatalError(error.description) }
        scope.report(error)
        return (y.detached(), ParameterTree(Array(Swift.zip(keys, leaves.map { Tensor.zeros($0.shape, dtype: $0.dtype) }))))
    }
    var bySlot: [Int: [() -> Tensor]] = [:]
    for (x, c) in terms {
        guard let tr = x.trace, tr.tape === tape, tape.isLeaf(tr.slot) else {
            preconditionFailure("valueWithGradient(deferring:): a term's tensor is not a value of the tree")
        }
        bySlot[tr.slot, default: []].append(c)
    }
    var deferred: [Int: () -> Tensor] = [:]
    for (slot, cs) in bySlot {
        guard cs.count > 1 else { deferred[slot] = cs[0]; continue }
        // a leaf with several terms (a parameter shared by two layers): the last term first, then
        // the others added one by one, as the pullbacks of terms recorded in this order would
        let leaf = leaves.first { $0.trace!.slot == slot }!
        deferred[slot] = {
            var sum: Tensor?
            for c in cs.reversed() { Tape.add(c(), into: &sum, shape: leaf.shape, dtype: leaf.dtype) }
            return sum!
        }
    }
    var seeds: [(slot: Int, cotangent: Tensor)] = []
    if let tr = y.trace, tr.tape === tape { seeds.append((tr.slot, Tensor.ones(y.shape, dtype: y.dtype))) }
    let grads = tape.backward(seeds: seeds, deferred: deferred)
    return (y.detached(), ParameterTree(Array(Swift.zip(keys, leaves.map { grads[$0.trace!.slot] ?? Tensor.zeros($0.shape, dtype: $0.dtype) }))))
}

/// The gradient of a scalar function of a parameter tree.
public func gradient(at tree: ParameterTree, of f: (ParameterTree) throws -> Tensor) rethrows -> ParameterTree {
    try valueWithGradient(at: tree, of: f).gradient
}

/// The gradients of a scalar function of several tensors, and its value.
/// - Precondition: `f` returns a one-element tensor. Inside ``withErrors(_:)`` another output
///   records ``GradientError/nonScalarOutput(shape:)`` (zero gradients are returned and the
///   scope throws); outside, it stops the program with the same message.
public func valueWithGradient(at xs: [Tensor], of f: ([Tensor]) throws -> Tensor) rethrows -> (value: Tensor, gradient: [Tensor]) {
    let tape = Tape()
    defer { tape.finish() }
    let leaves = xs.map { tape.leaf($0) }
    let y = try f(leaves)
    if y.count != 1 {
        let error = GradientError.nonScalarOutput(shape: y.shape)
        // in a checking scope: record, and give zero gradients so that the scope's body ends
        guard let scope = ErrorScope.current else { fatalError(error.description) }
        scope.report(error)
        return (y.detached(), xs.map { Tensor.zeros($0.shape, dtype: $0.dtype) })
    }
    let seed = Tensor.ones(y.shape, dtype: y.dtype)
    return (y.detached(), gradients(tape, leaves, outputs: [y], cotangents: [seed]))
}

/// Reads the leaf gradients after seeding `outputs` with `cotangents` (zeros for unreached leaves).
private func gradients(_ tape: Tape, _ leaves: [Tensor], outputs: [Tensor], cotangents: [Tensor]) -> [Tensor] {
    var seeds: [(slot: Int, cotangent: Tensor)] = []
    for (y, c) in Swift.zip(outputs, cotangents) {
        require(c.shape == y.shape, "pullback: cotangent has shape \(c.shape) but the output has shape \(y.shape)")
        if let tr = y.trace, tr.tape === tape { seeds.append((tr.slot, c.converted(to: y.dtype))) }
    }
    let grads = tape.backward(seeds: seeds)
    return leaves.map { grads[$0.trace!.slot] ?? Tensor.zeros($0.shape, dtype: $0.dtype) }
}

/// Keeps a tape alive for a pullback and frees its entries (breaking the reference cycle
/// between entries and the traced values they captured) when the pullback is released.
private final class TapeHandle: @unchecked Sendable {
    let tape: Tape
    init(_ tape: Tape) { self.tape = tape }
    deinit { tape.finish() }
}

/// The values of a vector function and its pullback (vector–Jacobian product): given one
/// cotangent per output (same shapes), the pullback returns one cotangent per input,
/// `∂⟨c, f(x)⟩/∂x`. The pullback may be called any number of times.
public func valueWithPullback(at xs: [Tensor], of f: ([Tensor]) throws -> [Tensor]) rethrows
    -> (value: [Tensor], pullback: ([Tensor]) -> [Tensor]) {
    let tape = Tape()
    let leaves = xs.map { tape.leaf($0) }
    let ys: [Tensor]
    do { ys = try f(leaves) } catch { tape.finish(); throw error }
    let handle = TapeHandle(tape)
    let pullback: ([Tensor]) -> [Tensor] = { cots in
        require(cots.count == ys.count, "pullback: \(cots.count) cotangents for \(ys.count) outputs")
        return gradients(handle.tape, leaves, outputs: ys, cotangents: cots)
    }
    return (ys.map { $0.detached() }, pullback)
}
