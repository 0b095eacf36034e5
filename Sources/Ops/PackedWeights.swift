// Weights packed once for repeated inference: the GEMM packs op(B) into micro-panels on every
// call, which for a linear layer's weight means one extra pass over it per forward. A
// `PackedLinearWeight` holds that packed form, made once, next to the weight itself.
import Autodiff
import Kernels

/// A pointer that a parallel loop's ranges write through (disjoint rows), passed into the
/// non-escaping loop body.
private struct UncheckedPointer: @unchecked Sendable { let pointer: UnsafeMutableRawPointer; init(_ p: UnsafeMutableRawPointer) { pointer = p } }

/// A linear layer's weight `W [out, in]` together with its packing for the GEMM micro-kernels of
/// the kernel tier that was active when it was made (`wt_?gemm_pack_b`), for ``linear(_:_:bias:)``.
///
/// Memory: the packed copy holds `round_up(out, NR) · in` elements (NR = 32 floats at AVX-512,
/// 16 at AVX2), about one more copy of the weight; the weight is kept for the batches that read it
/// in place (≤ 16 rows, the skinny kernels) and for a call at another tier. Immutable after
/// creation, so it may be shared between threads.
public final class PackedLinearWeight: @unchecked Sendable {
    /// The weight `[out, in]` (float32 or float64), untraced.
    public let weight: Tensor
    /// The kernel tier the packed copy was made for.
    let tier: wt_isa
    /// 64-byte aligned packed copy, `elementCount` elements of the weight's dtype.
    private let storage: UnsafeMutableRawPointer
    /// Elements in the packed copy.
    let elementCount: Int

    /// Packs `weight [out, in]` (float32 or float64) for the active tier.
    /// - Precondition: `weight` has rank 2.
    public init(_ weight: Tensor) {
        require(weight.rank == 2, "PackedLinearWeight: need a [out, in] weight, got \(weight.shape)")
        self.weight = weight.detached()
        let (n, k) = (weight.shape[0], weight.shape[1])
        tier = wt_active_isa()
        let count = weight.dtype == .float32 ? wt_sgemm_packed_count(tier, n, k) : wt_dgemm_packed_count(tier, n, k)
        elementCount = count
        storage = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1) * weight.dtype.byteSize, alignment: 64)
        switch weight.dtype {
        case .float32:
            weight.withUnsafeBufferPointer { (w: UnsafeBufferPointer<Float>) in
                wt_sgemm_pack_b(tier, 1, n, k, w.baseAddress, k, storage.assumingMemoryBound(to: Float.self))
            }
        case .float64:
            weight.withUnsafeBufferPointer { (w: UnsafeBufferPointer<Double>) in
                wt_dgemm_pack_b(tier, 1, n, k, w.baseAddress, k, storage.assumingMemoryBound(to: Double.self))
            }
        }
    }

    deinit { storage.deallocate() }

    /// Bytes of the packed copy (the memory this type adds to the weight's own).
    public var packedByteCount: Int { elementCount * weight.dtype.byteSize }

    /// `C[rows × out] = X[rows × in] · Wᵀ (+ C when accumulating)` through the packed copy.
    fileprivate func product<T: TensorScalar>(_ rows: Int, _ x: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>, accumulate: Bool) {
        let (n, k) = (weight.shape[0], weight.shape[1])
        if T.self == Float.self {
            wt_sgemm_prepacked(tier, 0, rows, n, k, 1, UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), k,
                               storage.assumingMemoryBound(to: Float.self), accumulate ? 1 : 0,
                               UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), n)
        } else {
            wt_dgemm_prepacked(tier, 0, rows, n, k, 1, UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), k,
                               storage.assumingMemoryBound(to: Double.self), accumulate ? 1 : 0,
                               UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), n)
        }
    }
}

/// `x · Wᵀ + b` with a packed weight: `x [..., in]` → `[..., out]`, the same values as
/// `linear(x, w.weight, bias: bias)` (bit for bit: the same kernels over the same blocks, the
/// product accumulated onto the bias as in the ordinary op). With `relu`, the result goes through ReLU in the same pass (elements > 0 or NaN kept, others +0,
/// like `Ops.relu`).
///
/// Batches of more than ``skinnyProductMaxRows`` rows skip the packing of W when the packed copy
/// is for the active tier, with the bias fill and the ReLU split over the threads; smaller ones
/// read W in place. A traced `x` (inside a gradient call) goes through the ordinary `linear` (and
/// `relu`), with W a constant.
public func linear(_ x: Tensor, _ w: PackedLinearWeight, bias: Tensor? = nil, relu applyReLU: Bool = false) -> Tensor {
    let weight = w.weight
    let rows = x.rank >= 1 ? x.shape.dropLast().reduce(1, *) : 0
    guard !x.isTraced, rows > skinnyProductMaxRows, w.tier == wt_active_isa(), x.dtype == weight.dtype,
          x.rank >= 1, x.shape[x.rank - 1] == weight.shape[1], bias.map({ $0.shape == [weight.shape[0]] && $0.dtype == x.dtype && !$0.isTraced }) ?? true
    else {  // checks and messages of the ordinary ops
        let y = linear(x, weight, bias: bias)
        return applyReLU ? relu(y) : y
    }
    let outF = weight.shape[0]
    var y = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [outF], dtype: x.dtype)
    func run<T: TensorScalar>(_: T.Type) {
        withBase(x, T.self) { px in
            withMutableBase(&y, T.self) { py in
                let grain = Swift.max(1, 8192 / Swift.max(outF, 1)), rowBytes = outF * MemoryLayout<T>.stride
                let out = UncheckedPointer(UnsafeMutableRawPointer(py))
                if let bias {   // the bias first, then the product added to it: the ordinary op's order
                    withBase(bias, T.self) { pb in
                        let b = UncheckedPointer(UnsafeMutableRawPointer(mutating: pb))
                        parallelFor(rows, grain: grain) { range in
                            for r in range { (out.pointer + r * rowBytes).copyMemory(from: b.pointer, byteCount: rowBytes) }
                        }
                    }
                }
                w.product(rows, px, py, accumulate: bias != nil)
                if applyReLU {
                    parallelFor(rows, grain: grain) { range in
                        let start = out.pointer + range.lowerBound * rowBytes, count = range.count * outF
                        if T.self == Float.self { reluInPlace(start.assumingMemoryBound(to: Float.self), count) }
                        else { reluInPlace(start.assumingMemoryBound(to: Double.self), count) }
                    }
                }
            }
        }
    }
    switch x.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    }
    return y
}

/// ReLU in place as `Ops.relu` computes it (elements > 0 or NaN kept, others +0): a select per
/// element, which the compiler vectorises (a conditional store would not be).
private func reluInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n { let v = p[i]; p[i] = v > 0 || v.isNaN ? v : 0 }
}

/// The float64 version of ``reluInPlace(_:_:)``.
private func reluInPlace(_ p: UnsafeMutablePointer<Double>, _ n: Int) {
    for i in 0..<n { let v = p[i]; p[i] = v > 0 || v.isNaN ? v : 0 }
}
