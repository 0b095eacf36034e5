// Reductions over axes: sum and mean (more in other files of this target).

/// Normalises possibly negative axes against `rank`, sorted and unique; `nil` means all axes.
/// Stops with a message naming `op` when an axis is out of range.
public func normalizedAxes(_ axes: [Int]?, rank: Int, op: String) -> [Int] {
    guard let axes else { return Array(0..<rank) }
    let out = axes.map { a -> Int in
        let b = a < 0 ? a + rank : a
        require(b >= 0 && b < Swift.max(rank, 1), "\(op): axis \(a) is out of range for rank \(rank)")
        return b
    }
    // sorted, each axis once (no Set: reductions run this on every call)
    var sorted: [Int] = []
    sorted.reserveCapacity(out.count)
    for b in out.sorted() where b < rank && sorted.last != b { sorted.append(b) }
    return sorted
}

/// The shape after reducing `axes`: those dimensions become 1 (`keepDims`) or disappear.
public func reducedShape(_ shape: [Int], axes: [Int], keepDims: Bool) -> [Int] {
    var out: [Int] = []
    for (d, n) in shape.enumerated() {
        if axes.contains(d) { if keepDims { out.append(1) } } else { out.append(n) }
    }
    return out
}

/// Sum over `axes` (all axes when `nil`). Shape: the input's with the reduced dimensions
/// removed, or kept as 1 with `keepDims`. Pullback: g broadcast back over the reduced axes.
public func sum(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let ax = normalizedAxes(axes, rank: x.rank, op: "sum")
    let kept = reducedShape(x.shape, axes: ax, keepDims: true)
    let y = x.detached().summed(toShape: kept)
    let out = keepDims ? y : y.withShape(reducedShape(x.shape, axes: ax, keepDims: false))
    return Tape.record("sum", out, inputs: [x]) { g in [g.withShape(kept) + Tensor.zeros(x.shape, dtype: x.dtype)] }
}

/// Mean over `axes` (all axes when `nil`); an empty reduction gives NaN, like PyTorch.
public func mean(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let ax = normalizedAxes(axes, rank: x.rank, op: "mean")
    let n = ax.reduce(1) { $0 * x.shape[$1] }
    return sum(x, axes: ax, keepDims: keepDims) / Double(n)
}

// MARK: - Extrema and log-sum-exp

extension ElementwiseSupport {
    /// The largest (`largest`) or smallest element of `x` over `axes` (normalised, sorted), NaN
    /// propagating, with the kept shape (reduced dimensions are 1); −inf / +inf for an empty
    /// reduction. Untraced.
    static func extremumKept(_ x: Tensor, axes: [Int], largest: Bool) -> Tensor {
        let initial: Double = largest ? -.infinity : .infinity
        let kept = reducedShape(x.shape, axes: axes, keepDims: true)
        var out = Tensor.full(kept, initial, dtype: x.dtype)
        let strides = Broadcast.strides(of: kept, broadcastTo: x.shape)
        let all = kept.reduce(1, *) == 1
        func run<T: TensorScalar>(_: T.Type) {
            let f: (T, T) -> T = largest ? { ElementwiseSupport.maximum($0, $1) } : { ElementwiseSupport.minimum($0, $1) }
            x.withUnsafeBufferPointer { (p: UnsafeBufferPointer<T>) in
                out.withUnsafeMutableBufferPointer { (q: UnsafeMutableBufferPointer<T>) in
                    if all {
                        var acc = q[0]
                        for v in p { acc = f(acc, v) }
                        q[0] = acc
                    } else {
                        Broadcast.forEach(x.shape, Broadcast.contiguousStrides(x.shape), strides) { _, ix, iy in
                            q[iy] = f(q[iy], p[ix])
                        }
                    }
                }
            }
        }
        x.dtype.dispatch { run($0) }
        return out
    }

    /// The maximum over `axes` with the kept shape (−inf for an empty reduction; NaN propagates).
    static func maxKept(_ x: Tensor, axes: [Int]) -> Tensor {
        extremumKept(x, axes: axes, largest: true)
    }

    /// log Σ exp over `axes`, kept shape, shifted by the (finite) maximum so nothing overflows.
    static func logSumExpKept(_ x: Tensor, axes: [Int]) -> Tensor {
        if axes == [x.rank - 1], let c = x.shape.last, c > 0 { return logSumExpLastAxis(x, c) }
        return logSumExpGeneral(x, axes: axes)
    }

    /// ``logSumExpKept(_:axes:)`` over any axes, by whole-tensor passes: the maximum m, then
    /// log(Σ exp(x − m)) + m with m = 0 where it is not finite.
    static func logSumExpGeneral(_ x: Tensor, axes: [Int]) -> Tensor {
        let m = maxKept(x, axes: axes).mapElements({ $0.isFinite ? $0 : 0 }, { $0.isFinite ? $0 : 0 })
        let e = Tensor.zipElements(x, m, op: "logSumExp", { Float.exp($0 - $1) }, { Double.exp($0 - $1) })
        let s = e.summed(toShape: m.shape)
        return Tensor.zipElements(s, m, op: "logSumExp", { Float.log($0) + $1 }, { Double.log($0) + $1 })
    }

    /// ``logSumExpKept(_:axes:)`` over the last axis (`c` > 0 elements per row) in one pass per row,
    /// with the general path's operations in its order: the running maximum from −∞ (NaN kept),
    /// m = 0 when it is not finite, Σ exp(x − m) added from 0 in row order, then log(Σ) + m. The
    /// general path makes five tensors for it (the loss of every training step takes this one).
    static func logSumExpLastAxis(_ x: Tensor, _ c: Int) -> Tensor {
        var out = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [1], dtype: x.dtype)
        func run<T: TensorScalar>(_: T.Type) {
            x.withUnsafeBufferPointer { (p: UnsafeBufferPointer<T>) in
                out.withUnsafeMutableBufferPointer { (q: UnsafeMutableBufferPointer<T>) in
                    for r in 0..<q.count {
                        let row = p.baseAddress! + r * c
                        var mx = -T.infinity
                        for j in 0..<c { mx = ElementwiseSupport.maximum(mx, row[j]) }
                        let m = mx.isFinite ? mx : 0
                        var sum: T = 0
                        for j in 0..<c { sum += T.exp(row[j] - m) }
                        q[r] = T.log(sum) + m
                    }
                }
            }
        }
        x.dtype.dispatch { run($0) }
        return out
    }
}

/// Maximum over `axes` (all when `nil`; negative axes count from the end), like PyTorch's
/// `amax`. Shape: the reduced dimensions removed, or kept as 1 with `keepDims`. NaN propagates.
/// Pullback: g is split evenly among the elements equal to the maximum (amax's tie rule).
/// - Precondition: every reduced axis is non-empty.
public func max(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    extremum(x, axes: axes, keepDims: keepDims, name: "max")
}

/// Minimum over `axes` (all when `nil`), like PyTorch's `amin`; see ``max(_:axes:keepDims:)``.
/// Pullback: g split evenly among the elements equal to the minimum.
/// - Precondition: every reduced axis is non-empty.
public func min(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    extremum(x, axes: axes, keepDims: keepDims, name: "min")
}

private func extremum(_ x: Tensor, axes: [Int]?, keepDims: Bool, name: String) -> Tensor {
    let ax = normalizedAxes(axes, rank: x.rank, op: name)
    require(ax.allSatisfy { x.shape[$0] > 0 },
                 "\(name): cannot reduce over an empty axis (shape \(x.shape), axes \(ax))")
    let isMax = name == "max"
    let yKept = isMax
        ? ElementwiseSupport.maxKept(x, axes: ax)
        : ElementwiseSupport.extremumKept(x, axes: ax, largest: false)
    let out = keepDims ? yKept : yKept.withShape(reducedShape(x.shape, axes: ax, keepDims: false))
    let x0 = x.detached()
    return Tape.record(name, out, inputs: [x]) { g in
        // Indicator of the extreme elements, divided by how many there are in each slice.
        let hit = Tensor.zipElements(x0, yKept, op: "\(name) pullback", { $0 == $1 ? 1 : 0 }, { $0 == $1 ? 1 : 0 })
        let count = hit.summed(toShape: yKept.shape)
        let share = Tensor.zipElements(g.withShape(yKept.shape), count, op: "\(name) pullback", .divide)
        return [Tensor.zipElements(hit, share, op: "\(name) pullback", .multiply)]
    }
}

/// log Σ exp(x) over `axes` (all when `nil`), computed as m + log Σ exp(x − m) with m the
/// maximum of each slice (0 when that maximum is ±inf), so large values neither overflow nor
/// lose precision. An empty reduction gives −inf, like PyTorch.
/// Pullback: g·exp(x − y), i.e. g times the softmax of each slice (0 for −inf entries).
public func logSumExp(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let ax = normalizedAxes(axes, rank: x.rank, op: "logSumExp")
    let yKept = ElementwiseSupport.logSumExpKept(x, axes: ax)
    let out = keepDims ? yKept : yKept.withShape(reducedShape(x.shape, axes: ax, keepDims: false))
    let x0 = x.detached()
    return Tape.record("logSumExp", out, inputs: [x]) { g in
        let p = Tensor.zipElements(x0, yKept, op: "logSumExp pullback", { Float.exp($0 - $1) }, { Double.exp($0 - $1) })
        return [Tensor.zipElements(p, g.withShape(yKept.shape), op: "logSumExp pullback", .multiply)]
    }
}
