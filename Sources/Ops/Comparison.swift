// Elementwise comparisons returning 0/1 masks. Masks are constants: comparisons are
// piecewise constant, so they are never recorded on a tape (use them with `select` or `*`).
// The pointwise operators `.<`, `.>`, … are the ones the standard library declares for SIMD.

/// Compares `a` and `b` elementwise with broadcasting; the result has their dtype and holds
/// 1 where `test` holds, 0 elsewhere (comparisons with NaN are false, except `!=`).
private func compare(_ a: Tensor, _ b: Tensor, op: String,
                     _ t32: (Float, Float) -> Bool, _ t64: (Double, Double) -> Bool) -> Tensor {
    Tensor.zipElements(a.detached(), b.detached(), op: op, { t32($0, $1) ? 1 : 0 }, { t64($0, $1) ? 1 : 0 })
}

/// 1 where a > b, else 0 (broadcasting; dtype of the operands; no gradient).
public func .> (a: Tensor, b: Tensor) -> Tensor { compare(a, b, op: ".>", >, >) }
/// 1 where a < b, else 0 (broadcasting; dtype of the operands; no gradient).
public func .< (a: Tensor, b: Tensor) -> Tensor { compare(a, b, op: ".<", <, <) }
/// 1 where a ≥ b, else 0 (broadcasting; dtype of the operands; no gradient).
public func .>= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, op: ".>=", >=, >=) }
/// 1 where a ≤ b, else 0 (broadcasting; dtype of the operands; no gradient).
public func .<= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, op: ".<=", <=, <=) }
/// 1 where a = b, else 0 (broadcasting; dtype of the operands; no gradient).
public func .== (a: Tensor, b: Tensor) -> Tensor { compare(a, b, op: ".==", ==, ==) }
/// 1 where a ≠ b (and where either is NaN), else 0 (broadcasting; dtype of the operands; no gradient).
public func .!= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, op: ".!=", !=, !=) }

/// `a` compared with the scalar `s`, as a 0-d tensor of `a`'s dtype.
@inline(__always) private func scalarLike(_ s: Double, _ a: Tensor) -> Tensor { Tensor(scalar: s, dtype: a.dtype) }

/// 1 where a > s, else 0 (dtype of `a`; no gradient).
public func .> (a: Tensor, s: Double) -> Tensor { a .> scalarLike(s, a) }
/// 1 where a < s, else 0 (dtype of `a`; no gradient).
public func .< (a: Tensor, s: Double) -> Tensor { a .< scalarLike(s, a) }
/// 1 where a ≥ s, else 0 (dtype of `a`; no gradient).
public func .>= (a: Tensor, s: Double) -> Tensor { a .>= scalarLike(s, a) }
/// 1 where a ≤ s, else 0 (dtype of `a`; no gradient).
public func .<= (a: Tensor, s: Double) -> Tensor { a .<= scalarLike(s, a) }
/// 1 where a = s, else 0 (dtype of `a`; no gradient).
public func .== (a: Tensor, s: Double) -> Tensor { a .== scalarLike(s, a) }
/// 1 where a ≠ s, else 0 (dtype of `a`; no gradient).
public func .!= (a: Tensor, s: Double) -> Tensor { a .!= scalarLike(s, a) }

/// 1 where s > a, else 0 (dtype of `a`; no gradient).
public func .> (s: Double, a: Tensor) -> Tensor { scalarLike(s, a) .> a }
/// 1 where s < a, else 0 (dtype of `a`; no gradient).
public func .< (s: Double, a: Tensor) -> Tensor { scalarLike(s, a) .< a }
/// 1 where s ≥ a, else 0 (dtype of `a`; no gradient).
public func .>= (s: Double, a: Tensor) -> Tensor { scalarLike(s, a) .>= a }
/// 1 where s ≤ a, else 0 (dtype of `a`; no gradient).
public func .<= (s: Double, a: Tensor) -> Tensor { scalarLike(s, a) .<= a }
/// 1 where s = a, else 0 (dtype of `a`; no gradient).
public func .== (s: Double, a: Tensor) -> Tensor { scalarLike(s, a) .== a }
/// 1 where s ≠ a, else 0 (dtype of `a`; no gradient).
public func .!= (s: Double, a: Tensor) -> Tensor { scalarLike(s, a) .!= a }
