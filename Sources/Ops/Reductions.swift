// Reductions over axes: sum and mean (more in other files of this target).

/// Normalises possibly negative axes against `rank`, sorted and unique; `nil` means all axes.
/// Stops with a message naming `op` when an axis is out of range.
public func normalizedAxes(_ axes: [Int]?, rank: Int, op: String) -> [Int] {
    guard let axes else { return Array(0..<rank) }
    let out = axes.map { a -> Int in
        let b = a < 0 ? a + rank : a
        precondition(b >= 0 && b < Swift.max(rank, 1), "\(op): axis \(a) is out of range for rank \(rank)")
        return b
    }
    return Array(Set(out)).sorted().filter { $0 < rank }
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
