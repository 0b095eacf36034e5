// Shape ops: reshape, flatten, permute, transpose, squeeze, unsqueeze, expand, slice,
// concat, stack, pad. Each: forward with untraced strided copies, then its pullback. The
// pullback of a data-moving op is the opposite movement (a gather becomes a scatter and
// vice versa); pure re-views (reshape and friends) just re-view the cotangent.

// MARK: - Untraced helpers

/// Normalises a possibly negative axis against `rank` (`-1` is the last axis); stops naming
/// `op` when it is out of range.
func normalizedAxis(_ axis: Int, rank: Int, op: String) -> Int {
    let a = axis < 0 ? axis + rank : axis
    require(a >= 0 && a < rank, "\(op): axis \(axis) is out of range for rank \(rank)")
    return a
}

/// `y[i] = x[offset + Σ_d i_d·strides[d]]` for every multi-index `i` of `shape` (row-major),
/// as a new contiguous tensor. Strides may be 0 (broadcast) or larger than contiguous (steps).
func stridedGather(_ x: Tensor, shape: [Int], strides: [Int], offset: Int = 0) -> Tensor {
    var y = Tensor(uninitializedShape: shape, dtype: x.dtype)
    let zero = [Int](repeating: 0, count: shape.count)
    func run<T: TensorScalar>(_: T.Type) {
        withBase(x, T.self) { px in
            withMutableBase(&y, T.self) { py in
                let src = px + offset
                Broadcast.forEach(shape, strides, zero) { i, a, _ in py[i] = src[a] }
            }
        }
    }
    x.dtype.dispatch { run($0) }
    return y
}

/// The adjoint of ``stridedGather(_:shape:strides:offset:)``: adds each element of `src`
/// (of shape `shape`) into `dst[offset + Σ_d i_d·strides[d]]`.
func stridedScatterAdd(_ src: Tensor, into dst: inout Tensor, strides: [Int], offset: Int = 0) {
    require(src.dtype == dst.dtype, "stridedScatterAdd: dtypes \(src.dtype) and \(dst.dtype) differ")
    let shape = src.shape
    let zero = [Int](repeating: 0, count: shape.count)
    func run<T: TensorScalar>(_: T.Type) {
        withBase(src, T.self) { ps in
            withMutableBase(&dst, T.self) { pd in
                let out = pd + offset
                Broadcast.forEach(shape, strides, zero) { i, a, _ in out[a] += ps[i] }
            }
        }
    }
    src.dtype.dispatch { run($0) }
}

/// Resolves a target shape with at most one `-1` against `count` elements.
func resolvedShape(_ shape: [Int], count: Int, from original: [Int], op: String) -> [Int] {
    let unknown = shape.indices.filter { shape[$0] == -1 }
    require(unknown.count <= 1 && shape.allSatisfy { $0 >= -1 }, "\(op): invalid target shape \(shape) for input \(original)")
    var out = shape
    if let u = unknown.first {
        let known = shape.enumerated().filter { $0.offset != u }.reduce(1) { $0 * $1.element }
        require(known != 0 && count % known == 0,
                     "\(op): cannot reshape \(original) (\(count) elements) to \(shape)")
        out[u] = count / known
    }
    require(out.reduce(1, *) == count, "\(op): cannot reshape \(original) (\(count) elements) to \(shape)")
    return out
}

// MARK: - Re-views

/// The same elements (row-major order) with another shape; at most one dimension may be
/// `-1` (inferred). Pullback: the cotangent re-viewed with the input's shape.
public func reshape(_ x: Tensor, _ shape: [Int]) -> Tensor {
    let target = resolvedShape(shape, count: x.count, from: x.shape, op: "reshape")
    let y = x.detached().withShape(target)
    return Tape.record("reshape", y, inputs: [x]) { g in [g.withShape(x.shape)] }
}

/// Merges axes `startAxis…endAxis` (inclusive, negative counts from the end) into one.
/// A scalar becomes `[1]`, like PyTorch.
public func flatten(_ x: Tensor, startAxis: Int = 0, endAxis: Int = -1) -> Tensor {
    if x.rank == 0 { return reshape(x, [1]) }
    let s = normalizedAxis(startAxis, rank: x.rank, op: "flatten"), e = normalizedAxis(endAxis, rank: x.rank, op: "flatten")
    require(s <= e, "flatten: startAxis \(startAxis) comes after endAxis \(endAxis) for shape \(x.shape)")
    let merged = x.shape[s...e].reduce(1, *)
    return reshape(x, Array(x.shape[..<s]) + [merged] + Array(x.shape[(e + 1)...]))
}

/// Removes dimension `axis` if it has size 1 (otherwise returns `x` unchanged, like
/// PyTorch); with `axis: nil` removes every size-1 dimension.
public func squeeze(_ x: Tensor, axis: Int? = nil) -> Tensor {
    if let axis {
        if x.rank == 0 { return x }
        let a = normalizedAxis(axis, rank: x.rank, op: "squeeze")
        if x.shape[a] != 1 { return x }
        var s = x.shape; s.remove(at: a)
        return reshape(x, s)
    }
    return reshape(x, x.shape.filter { $0 != 1 })
}

/// Inserts a dimension of size 1 at `axis` ∈ `[−rank−1, rank]` (negative counts from the end
/// of the result).
public func unsqueeze(_ x: Tensor, axis: Int) -> Tensor {
    let a = normalizedAxis(axis, rank: x.rank + 1, op: "unsqueeze")
    var s = x.shape; s.insert(1, at: a)
    return reshape(x, s)
}

// MARK: - Data movement

/// Reorders the axes: result axis `d` is input axis `permutation[d]` (negative allowed).
/// Pullback: the cotangent permuted by the inverse permutation.
public func permute(_ x: Tensor, _ permutation: [Int]) -> Tensor {
    require(permutation.count == x.rank, "permute: \(permutation) has \(permutation.count) axes for shape \(x.shape)")
    let perm = permutation.map { normalizedAxis($0, rank: x.rank, op: "permute") }
    require(Set(perm).count == perm.count, "permute: \(permutation) is not a permutation of the axes of \(x.shape)")
    let y = permuteRaw(x.detached(), perm)
    var inverse = [Int](repeating: 0, count: perm.count)
    for (d, p) in perm.enumerated() { inverse[p] = d }
    return Tape.record("permute", y, inputs: [x]) { g in [permuteRaw(g, inverse)] }
}

/// Untraced axis permutation (result axis `d` = input axis `perm[d]`), as a contiguous copy.
func permuteRaw(_ x: Tensor, _ perm: [Int]) -> Tensor {
    if perm == Array(0..<perm.count) { return x }
    let st = Broadcast.contiguousStrides(x.shape)
    return stridedGather(x, shape: perm.map { x.shape[$0] }, strides: perm.map { st[$0] })
}

/// Swaps two axes (negative allowed).
public func transpose(_ x: Tensor, _ axis0: Int, _ axis1: Int) -> Tensor {
    let a = normalizedAxis(axis0, rank: x.rank, op: "transpose"), b = normalizedAxis(axis1, rank: x.rank, op: "transpose")
    var perm = Array(0..<x.rank)
    perm.swapAt(a, b)
    return permute(x, perm)
}

/// Broadcasts `x` to `shape` (PyTorch's `expand` / `broadcast_to`): new leading dimensions
/// may be added and size-1 dimensions repeated; `-1` keeps the input's size. Pullback: the
/// cotangent summed over the broadcast dimensions.
public func expand(_ x: Tensor, to shape: [Int]) -> Tensor {
    require(shape.count >= x.rank, "expand: cannot expand \(x.shape) to fewer dimensions \(shape)")
    let lead = shape.count - x.rank
    var target = shape
    for d in 0..<shape.count {
        if shape[d] == -1 {
            require(d >= lead, "expand: -1 is not allowed for the new leading dimension \(d) in \(shape)")
            target[d] = x.shape[d - lead]
        }
        require(target[d] >= 0, "expand: invalid target shape \(shape)")
        if d >= lead {
            require(x.shape[d - lead] == target[d] || x.shape[d - lead] == 1,
                         "expand: cannot expand \(x.shape) to \(shape) (dimension \(d))")
        }
    }
    if target == x.shape { return x }
    let y = stridedGather(x.detached(), shape: target, strides: Broadcast.strides(of: x.shape, broadcastTo: target))
    return Tape.record("expand", y, inputs: [x]) { g in [g.summed(toShape: x.shape)] }
}

/// Every `step`-th element of `axis` from `start` (inclusive) to `end` (exclusive), like
/// Python's `x[start:end:step]` on that axis: negative indices count from the end and
/// out-of-range bounds are clamped (so an empty slice is allowed). `step` must be ≥ 1.
/// Pullback: the cotangent scattered into zeros of the input's shape.
public func slice(_ x: Tensor, axis: Int, start: Int? = nil, end: Int? = nil, step: Int = 1) -> Tensor {
    require(x.rank >= 1, "slice: cannot slice a scalar (shape \(x.shape))")
    require(step >= 1, "slice: step must be ≥ 1, got \(step) (shape \(x.shape))")
    let a = normalizedAxis(axis, rank: x.rank, op: "slice")
    let n = x.shape[a]
    func clamp(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + n : i, 0), n) }
    let s = clamp(start ?? 0), e = Swift.max(s, clamp(end ?? n))
    let len = (e - s + step - 1) / step
    if s == 0 && len == n && step == 1 { return x }
    var shape = x.shape; shape[a] = len
    var strides = Broadcast.contiguousStrides(x.shape)
    let offset = s * strides[a]
    strides[a] *= step
    let y = stridedGather(x.detached(), shape: shape, strides: strides, offset: offset)
    return Tape.record("slice", y, inputs: [x]) { g in
        var gx = Tensor.zeros(x.shape, dtype: x.dtype)
        stridedScatterAdd(g, into: &gx, strides: strides, offset: offset)
        return [gx]
    }
}

/// Joins tensors along an existing `axis`; all other dimensions and the dtypes must agree.
/// Pullback: the matching slice of the cotangent to each input.
public func concat(_ xs: [Tensor], axis: Int) -> Tensor {
    require(!xs.isEmpty, "concat: no tensors given")
    let first = xs[0]
    require(first.rank >= 1, "concat: cannot concatenate scalars")
    let a = normalizedAxis(axis, rank: first.rank, op: "concat")
    for t in xs {
        require(t.rank == first.rank && t.dtype == first.dtype
                     && t.shape.enumerated().allSatisfy { $0.offset == a || $0.element == first.shape[$0.offset] },
                     "concat: shapes \(xs.map(\.shape)) (dtypes \(xs.map(\.dtype))) do not match outside axis \(axis)")
    }
    if xs.count == 1 { return first }
    let sizes = xs.map { $0.shape[a] }
    var shape = first.shape; shape[a] = sizes.reduce(0, +)
    let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *)
    let total = shape[a] * inner
    var y = Tensor(uninitializedShape: shape, dtype: first.dtype)
    func run<T: TensorScalar>(_: T.Type) {
        withMutableBase(&y, T.self) { py in
            var start = 0
            for (t, size) in zip(xs, sizes) {
                let block = size * inner
                withBase(t, T.self) { pt in
                    for o in 0..<outer { (py + o * total + start).update(from: pt + o * block, count: block) }
                }
                start += block
            }
        }
    }
    first.dtype.dispatch { run($0) }
    return Tape.record("concat", outputs: [y], inputs: xs) { gs in
        let g = gs[0]
        var grads: [Tensor?] = []
        var start = 0
        let st = Broadcast.contiguousStrides(shape)
        for (t, size) in zip(xs, sizes) {
            grads.append(stridedGather(g, shape: t.shape, strides: st, offset: start * st[a]))
            start += size
        }
        return grads
    }[0]
}

/// Stacks equally shaped tensors along a new `axis` ∈ `[−rank−1, rank]`:
/// `[s…] × n → […, n, …]`. Pullback: the matching slice of the cotangent to each input.
public func stack(_ xs: [Tensor], axis: Int) -> Tensor {
    require(!xs.isEmpty, "stack: no tensors given")
    require(xs.allSatisfy { $0.shape == xs[0].shape }, "stack: shapes \(xs.map(\.shape)) differ")
    let a = normalizedAxis(axis, rank: xs[0].rank + 1, op: "stack")
    return concat(xs.map { unsqueeze($0, axis: a) }, axis: a)
}

/// Zero padding: `padding[d] = (before, after)` zeros added on each side of axis `d` (one
/// pair per axis, each ≥ 0). Pullback: the cotangent with the padding cut away.
public func pad(_ x: Tensor, _ padding: [(before: Int, after: Int)]) -> Tensor {
    require(padding.count == x.rank, "pad: \(padding.count) (before, after) pairs for shape \(x.shape); need one per axis")
    require(padding.allSatisfy { $0.before >= 0 && $0.after >= 0 }, "pad: padding \(padding) must be ≥ 0 (shape \(x.shape))")
    let shape = (0..<x.rank).map { x.shape[$0] + padding[$0].before + padding[$0].after }
    if shape == x.shape { return x }
    let st = Broadcast.contiguousStrides(shape)
    let offset = (0..<x.rank).reduce(0) { $0 + padding[$1].before * st[$1] }
    var y = Tensor.zeros(shape, dtype: x.dtype)
    stridedScatterAdd(x.detached(), into: &y, strides: st, offset: offset)
    return Tape.record("pad", y, inputs: [x]) { g in [stridedGather(g, shape: x.shape, strides: st, offset: offset)] }
}
