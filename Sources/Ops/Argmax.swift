// Indices of maxima and classification accuracy (no gradients: the results are integers).

/// The index of the largest element along `axis` for every position of the other axes, in
/// row-major order of the remaining shape (for `[N, C]` logits and `axis: -1`, one class per
/// row). Ties give the first index, NaN is never the maximum unless a whole line is NaN (then 0).
/// - Precondition: the axis is not empty.
public func argmax(_ x: Tensor, axis: Int = -1) -> [Int] {
    require(x.rank >= 1, "argmax: needs at least one axis, got shape \(x.shape)")
    let a = axis < 0 ? axis + x.rank : axis
    require(a >= 0 && a < x.rank, "argmax: axis \(axis) out of range for shape \(x.shape)")
    let n = x.shape[a]
    require(n > 0, "argmax: axis \(axis) of shape \(x.shape) is empty")
    let inner = x.shape[(a + 1)...].reduce(1, *), outer = x.shape[..<a].reduce(1, *)
    let v = x.scalars
    var out = [Int](repeating: 0, count: outer * inner)
    for o in 0..<outer {
        for i in 0..<inner {
            let base = o * n * inner + i
            var best = 0, bestValue = v[base]
            for k in 1..<n {
                let value = v[base + k * inner]
                if value > bestValue || (bestValue.isNaN && !value.isNaN) { best = k; bestValue = value }
            }
            out[o * inner + i] = best
        }
    }
    return out
}

/// The fraction of rows of `[N, C]` scores whose largest entry is at the target class,
/// `#{n : argmax(logits[n]) = targets[n]} / N` (0 for N = 0).
/// - Precondition: `logits` is `[N, C]` with one target per row.
public func accuracy(_ logits: Tensor, targets: [Int]) -> Double {
    require(logits.rank == 2 && logits.shape[0] == targets.count,
            "accuracy: need [N, C] logits and N targets, got \(logits.shape) and \(targets.count)")
    guard !targets.isEmpty else { return 0 }
    return Double(zip(argmax(logits, axis: 1), targets).filter { $0 == $1 }.count) / Double(targets.count)
}
