// Reductions, slicing, the Hermitian transpose and tan of complex tensors. Each is the real op
// applied to the parts (sums and slices are linear, so the part-wise pullbacks are the complex
// ones) or a composition of complex ops with their own Wirtinger pullbacks.

/// `Σ z` over `axes` (all when `nil`): `Σ Re z + i·Σ Im z`. Shape as the real `sum`.
/// Pullback: `g` broadcast back over the reduced axes, both parts.
public func sum(_ z: ComplexTensor, axes: [Int]? = nil, keepDims: Bool = false) -> ComplexTensor {
    ComplexTensor(real: sum(z.real, axes: axes, keepDims: keepDims), imag: sum(z.imag, axes: axes, keepDims: keepDims))
}

/// The mean of `z` over `axes` (all when `nil`): `Σ z / n`, n the number of reduced elements.
/// Shape as the real `mean`; NaN for an empty reduction.
public func mean(_ z: ComplexTensor, axes: [Int]? = nil, keepDims: Bool = false) -> ComplexTensor {
    ComplexTensor(real: mean(z.real, axes: axes, keepDims: keepDims), imag: mean(z.imag, axes: axes, keepDims: keepDims))
}

/// Every `step`-th element of `axis` from `start` to `end` (exclusive) of both parts, like
/// Python's `z[start:end:step]` on that axis (see the real `slice`).
public func slice(_ z: ComplexTensor, axis: Int, start: Int? = nil, end: Int? = nil, step: Int = 1) -> ComplexTensor {
    ComplexTensor(real: slice(z.real, axis: axis, start: start, end: end, step: step),
                  imag: slice(z.imag, axis: axis, start: start, end: end, step: step))
}

/// The Hermitian (conjugate) transpose of the last two axes, `zᴴ = conj(zᵀ)` (PyTorch's
/// `z.mH`, `adjoint()`): `[…, m, n]` → `[…, n, m]`.
/// - Precondition: rank ≥ 2.
public func adjoint(_ z: ComplexTensor) -> ComplexTensor {
    require(z.rank >= 2, "adjoint: needs at least 2 axes, got shape \(z.shape)")
    return conj(transpose(z, -2, -1))
}

/// `tan z = −i·tanh(i·z)`, elementwise: with `w = tanh(−Im z + i·Re z)`,
/// `tan z = Im w − i·Re w`. Finite for large imaginary parts (where `sin z / cos z` overflows),
/// since complex `tanh` is finite for large real parts. Pullback (holomorphic, through tanh):
/// `conj(1 + tan² z)·g`.
public func tan(_ z: ComplexTensor) -> ComplexTensor {
    let w = tanh(ComplexTensor(real: -z.imag, imag: z.real))
    return ComplexTensor(real: w.imag, imag: -w.real)
}
