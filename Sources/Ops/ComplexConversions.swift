// Real ⇄ complex conversions (cplxmodule's from/to_interleaved_real and
// from/to_concatenated_real) and the shape ops on complex tensors.
//
// A conversion is ONE tape entry: it moves elements between the real tensor and the two
// parts, so its pullback moves the cotangents back the other way (zeros for a dropped slot).
// The complex shape ops apply the real shape ops (Shape.swift) to both parts.

import Kernels

extension ComplexSupport {
    /// Reads the two parts out of `x` along `axis`: part p ∈ {0 = re, 1 = im}, element k of the
    /// result comes from position `position(p, k)` of the axis; the parts have `count` elements
    /// there. Untraced.
    static func splitParts(_ x: Tensor, axis: Int, count: Int, position: (Int, Int) -> Int) -> (Tensor, Tensor) {
        var shape = x.shape; shape[axis] = count
        var parts = [Tensor(uninitializedShape: shape, dtype: x.dtype), Tensor(uninitializedShape: shape, dtype: x.dtype)]
        // (re, im) pairs side by side along the last axis (fromInterleaved's layout): one Kernels
        // pass over the whole tensor (`wt_cplx_deinterleave_*`), the same copies
        if axis == x.rank - 1, x.shape[axis] == 2 * count, (0..<count).allSatisfy({ position(0, $0) == 2 * $0 && position(1, $0) == 2 * $0 + 1 }) {
            let pairs = x.count / 2
            switch x.dtype {   // one C kernel per dtype
            case .float32:
                Tensor.withBaseAddresses(reading: [x], writing: &parts, as: Float.self) { i, o in wt_cplx_deinterleave_f32(i[0], o[0], o[1], pairs) }
            case .float64:
                Tensor.withBaseAddresses(reading: [x], writing: &parts, as: Double.self) { i, o in wt_cplx_deinterleave_f64(i[0], o[0], o[1], pairs) }
            }
            return (parts[0], parts[1])
        }
        func run<T: TensorScalar>(_: T.Type) {
            Tensor.withBaseAddresses(reading: [x], writing: &parts, as: T.self) { i, o in
                let (src, r, m) = (i[0], o[0], o[1])
                forEachPartBlock(x.shape, axis: axis, count: count, position: position) { d, s0, s1, inner in
                    for i in 0..<inner { r[d + i] = src[s0 + i]; m[d + i] = src[s1 + i] }
                }
            }
        }
        x.dtype.dispatch { run($0) }
        return (parts[0], parts[1])
    }

    /// The adjoint of ``splitParts(_:axis:count:position:)``: a tensor of `shape` (size `n` along
    /// `axis`) holding `re`/`im` element k at `position(p, k)` and zeros elsewhere. Untraced.
    static func joinParts(_ re: Tensor, _ im: Tensor, axis: Int, into shape: [Int], position: (Int, Int) -> Int) -> Tensor {
        var x = [Tensor.zeros(shape, dtype: re.dtype)]
        func run<T: TensorScalar>(_: T.Type) {
            Tensor.withBaseAddresses(reading: [re, im], writing: &x, as: T.self) { i, o in
                let (r, m, dst) = (i[0], i[1], o[0])
                forEachPartBlock(shape, axis: axis, count: re.shape[axis], position: position) { s, d0, d1, inner in
                    for i in 0..<inner { dst[d0 + i] = r[s + i]; dst[d1 + i] = m[s + i] }
                }
            }
        }
        re.dtype.dispatch { run($0) }
        return x[0]
    }

    /// The block walk shared by ``splitParts(_:axis:count:position:)`` and
    /// ``joinParts(_:_:axis:into:position:)``: for every outer index and part element k, the
    /// offset of k's block in a part (`count` along `axis`), the offsets of the real and the
    /// imaginary block in the whole tensor of `shape`, and the block length (the inner size).
    private static func forEachPartBlock(_ shape: [Int], axis: Int, count: Int, position: (Int, Int) -> Int,
                                         _ body: (Int, Int, Int, Int) -> Void) {
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *), n = shape[axis]
        for o in 0..<outer {
            for k in 0..<count {
                body((o * count + k) * inner, (o * n + position(0, k)) * inner, (o * n + position(1, k)) * inner, inner)
            }
        }
    }
}

/// Records a real → complex conversion that reads the parts at `position(p, k)` along `axis`.
private func realToComplex(_ x: Tensor, axis a: Int, count: Int, op: String,
                           position: @escaping @Sendable (Int, Int) -> Int) -> ComplexTensor {
    let (re, im) = ComplexSupport.splitParts(x.detached(), axis: a, count: count, position: position)
    return ComplexSupport.record(op, ComplexTensor(real: re, imag: im), inputs: [x]) { gr, gi in
        [ComplexSupport.joinParts(gr, gi, axis: a, into: x.shape, position: position)]
    }
}

/// Records a complex → real conversion that writes the parts to `position(p, k)` along `axis`.
private func complexToReal(_ z: ComplexTensor, axis a: Int, size: Int, op: String,
                           position: @escaping @Sendable (Int, Int) -> Int) -> Tensor {
    var shape = z.shape; shape[a] = size
    let x = ComplexSupport.joinParts(z.real.detached(), z.imag.detached(), axis: a, into: shape, position: position)
    let count = z.shape[a]
    return Tape.record(op, outputs: [x], inputs: [z.real, z.imag]) { g in
        let (gr, gi) = ComplexSupport.splitParts(g[0], axis: a, count: count, position: position)
        return [gr, gi]
    }[0]
}

/// A complex tensor from a real one whose `axis` interleaves the parts: element k along `axis`
/// is `x[2k] + i·x[2k+1]` (cplxmodule's `from_interleaved_real`). The size along `axis` halves;
/// an odd size drops the last element (cplxmodule warns and does the same), which then gets a
/// zero gradient.
/// - Parameters:
///   - x: `[…, 2n, …]` (or `2n + 1`).
///   - axis: the interleaved axis (negative counts from the end).
/// - Returns: `[…, n, …]`. Pullback: the parts' cotangents interleaved back.
public func fromInterleaved(_ x: Tensor, axis: Int = -1) -> ComplexTensor {
    let a = ComplexSupport.axis(axis, rank: x.rank, op: "fromInterleaved")
    return realToComplex(x, axis: a, count: x.shape[a] / 2, op: "fromInterleaved") { p, k in 2 * k + p }
}

/// The real tensor that interleaves the parts of `z` along `axis`: `[re₀, im₀, re₁, im₁, …]`
/// (cplxmodule's `to_interleaved_real` with `flatten=True`; reshape to `[…, n, 2, …]` for its
/// `flatten=False`).
/// - Returns: `z`'s shape with `axis` doubled. Pullback: the cotangent de-interleaved.
public func toInterleaved(_ z: ComplexTensor, axis: Int = -1) -> Tensor {
    let a = ComplexSupport.axis(axis, rank: z.rank, op: "toInterleaved")
    return complexToReal(z, axis: a, size: 2 * z.shape[a], op: "toInterleaved") { p, k in 2 * k + p }
}

/// A complex tensor from a real one whose `axis` holds the real parts in its first half and the
/// imaginary parts in its second half (cplxmodule's `from_concatenated_real`).
/// - Precondition: the size along `axis` is even (the message names the shape).
/// - Returns: `x`'s shape with `axis` halved. Pullback: the parts' cotangents concatenated.
public func fromConcatenated(_ x: Tensor, axis: Int = -1) -> ComplexTensor {
    let a = ComplexSupport.axis(axis, rank: x.rank, op: "fromConcatenated")
    let n = x.shape[a]
    require(n % 2 == 0, "fromConcatenated: axis \(axis) of shape \(x.shape) has odd size \(n); "
                 + "it must hold the real parts followed by as many imaginary parts")
    let h = n / 2
    return realToComplex(x, axis: a, count: h, op: "fromConcatenated") { p, k in p * h + k }
}

/// The real tensor `concat([re, im], axis)` (cplxmodule's `to_concatenated_real`).
/// - Returns: `z`'s shape with `axis` doubled. Pullback: the cotangent split in halves.
public func toConcatenated(_ z: ComplexTensor, axis: Int = -1) -> Tensor {
    let a = ComplexSupport.axis(axis, rank: z.rank, op: "toConcatenated")
    let h = z.shape[a]
    return complexToReal(z, axis: a, size: 2 * h, op: "toConcatenated") { p, k in p * h + k }
}

// MARK: - Shape ops on complex tensors (the real op applied to both parts)

/// `z` with a new shape of the same element count (one −1 allowed), both parts.
public func reshape(_ z: ComplexTensor, _ shape: [Int]) -> ComplexTensor {
    ComplexTensor(real: reshape(z.real, shape), imag: reshape(z.imag, shape))
}

/// Merges axes `startAxis…endAxis` of both parts into one (see the real `flatten`).
public func flatten(_ z: ComplexTensor, startAxis: Int = 0, endAxis: Int = -1) -> ComplexTensor {
    ComplexTensor(real: flatten(z.real, startAxis: startAxis, endAxis: endAxis),
                  imag: flatten(z.imag, startAxis: startAxis, endAxis: endAxis))
}

/// Reorders the axes of both parts: result axis i is input axis `permutation[i]`.
public func permute(_ z: ComplexTensor, _ permutation: [Int]) -> ComplexTensor {
    ComplexTensor(real: permute(z.real, permutation), imag: permute(z.imag, permutation))
}

/// Swaps two axes of both parts (no conjugation; use `conj` for a Hermitian transpose).
public func transpose(_ z: ComplexTensor, _ axis0: Int, _ axis1: Int) -> ComplexTensor {
    ComplexTensor(real: transpose(z.real, axis0, axis1), imag: transpose(z.imag, axis0, axis1))
}

/// Removes size-1 axes of both parts (`axis` only, or all when `nil`).
public func squeeze(_ z: ComplexTensor, axis: Int? = nil) -> ComplexTensor {
    ComplexTensor(real: squeeze(z.real, axis: axis), imag: squeeze(z.imag, axis: axis))
}

/// Inserts a size-1 axis at `axis` in both parts.
public func unsqueeze(_ z: ComplexTensor, axis: Int) -> ComplexTensor {
    ComplexTensor(real: unsqueeze(z.real, axis: axis), imag: unsqueeze(z.imag, axis: axis))
}

/// Joins complex tensors along an existing axis (shapes equal elsewhere).
public func concat(_ zs: [ComplexTensor], axis: Int) -> ComplexTensor {
    ComplexTensor(real: concat(zs.map(\.real), axis: axis), imag: concat(zs.map(\.imag), axis: axis))
}

/// Stacks complex tensors of one shape along a new axis.
public func stack(_ zs: [ComplexTensor], axis: Int) -> ComplexTensor {
    ComplexTensor(real: stack(zs.map(\.real), axis: axis), imag: stack(zs.map(\.imag), axis: axis))
}
