// Tensor contraction over chosen axis pairs (numpy's `tensordot`, the pairwise case of einsum):
// permute, reshape to matrices, one matmul, reshape back. Composed of differentiable ops.

/// The permutations and matrix shapes of a contraction of `a` (shape `sa`) and `b` (shape `sb`)
/// over the axis pairs `(axesA[k], axesB[k])`.
private func contractionPlan(_ sa: [Int], _ sb: [Int], _ axesA: [Int], _ axesB: [Int], op: String)
    -> (permA: [Int], permB: [Int], rows: Int, inner: Int, cols: Int, outShape: [Int]) {
    require(axesA.count == axesB.count, "\(op): \(axesA.count) axes of a but \(axesB.count) of b")
    let ca = axesA.map { $0 < 0 ? $0 + sa.count : $0 }, cb = axesB.map { $0 < 0 ? $0 + sb.count : $0 }
    require(ca.allSatisfy { (0..<sa.count).contains($0) } && Set(ca).count == ca.count,
            "\(op): axes \(axesA) are not distinct axes of a \(sa)")
    require(cb.allSatisfy { (0..<sb.count).contains($0) } && Set(cb).count == cb.count,
            "\(op): axes \(axesB) are not distinct axes of b \(sb)")
    for (i, j) in zip(ca, cb) {
        require(sa[i] == sb[j], "\(op): axis \(i) of a \(sa) has size \(sa[i]) but axis \(j) of b \(sb) has \(sb[j])")
    }
    let freeA = (0..<sa.count).filter { !ca.contains($0) }, freeB = (0..<sb.count).filter { !cb.contains($0) }
    let rows = freeA.reduce(1) { $0 * sa[$1] }, cols = freeB.reduce(1) { $0 * sb[$1] }
    let inner = ca.reduce(1) { $0 * sa[$1] }
    return (freeA + ca, cb + freeB, rows, inner, cols, freeA.map { sa[$0] } + freeB.map { sb[$0] })
}

/// `Σ_k a[…i…, k…] · b[k…, …j…]` over the axis pairs `(axesA[m], axesB[m])` (numpy's
/// `tensordot(a, b, axes=(axesA, axesB))`; `einsum("ik,kj->ij")` is `axesA: [1], axesB: [0]`).
/// Shape: the free axes of `a` in order, then the free axes of `b`. Pullback: through the
/// permutes, reshapes and matmul it is made of.
/// - Precondition: paired axes have equal sizes; each list names distinct axes.
public func tensordot(_ a: Tensor, _ b: Tensor, axesA: [Int], axesB: [Int]) -> Tensor {
    let p = contractionPlan(a.shape, b.shape, axesA, axesB, op: "tensordot")
    let m = matmul(reshape(permute(a, p.permA), [p.rows, p.inner]), reshape(permute(b, p.permB), [p.inner, p.cols]))
    return reshape(m, p.outShape)
}

/// The complex contraction `Σ_k a[…i…, k…] · b[k…, …j…]` (no conjugation), as the real
/// real `tensordot`; the product is the complex matmul.
public func tensordot(_ a: ComplexTensor, _ b: ComplexTensor, axesA: [Int], axesB: [Int]) -> ComplexTensor {
    let p = contractionPlan(a.shape, b.shape, axesA, axesB, op: "tensordot")
    let m = matmul(reshape(permute(a, p.permA), [p.rows, p.inner]), reshape(permute(b, p.permB), [p.inner, p.cols]))
    return reshape(m, p.outShape)
}
