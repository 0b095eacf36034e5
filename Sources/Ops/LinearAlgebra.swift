// Linear algebra: matmul (batched, broadcasting batch dimensions, PyTorch's 1-D rules),
// linear (x·Wᵀ + b) and bilinear (F.bilinear). Every product is one call (or one call per
// batch matrix) of the Kernels GEMM, `wt_sgemm` / `wt_dgemm`, with transpose flags instead of
// transposed copies. Each op: forward kernel, then its pullback, side by side.
import Kernels

// MARK: - GEMM on raw pointers (internal; convolutions use it too)

/// Products whose `op(A)` has at most this many rows use the skinny kernels (`wt_?gemm_skinny`),
/// which read B in place; taller ones the packed GEMM. Measured crossover: Docs/Kernels-GEMM.md.
let skinnyProductMaxRows = 16

/// `C = alpha·op(A)·op(B)` (or `C += …` when `accumulate`), row-major, for either dtype.
/// op(A) is `M×K` (A stored `K×M` when `transA`), op(B) is `K×N` (B stored `N×K` when `transB`).
/// Handles empty products itself: `K = 0` gives `C = 0` (or leaves C when accumulating).
@inline(__always)
func gemm<T: TensorScalar>(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                           _ a: UnsafePointer<T>, _ lda: Int, _ b: UnsafePointer<T>, _ ldb: Int,
                           _ c: UnsafeMutablePointer<T>, _ ldc: Int, accumulate: Bool = false, alpha: T = 1) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
        return
    }
    let ta: Int32 = transA ? 1 : 0, tb: Int32 = transB ? 1 : 0
    if !transA && m <= skinnyProductMaxRows {
        // A few rows (a small batch): read B in place instead of packing it (Kernels/gemm_skinny.c).
        if T.self == Float.self {
            wt_sgemm_skinny(tb, m, n, k, Float(alpha),
                            UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), lda,
                            UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), ldb,
                            accumulate ? 1 : 0, UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc)
        } else {
            wt_dgemm_skinny(tb, m, n, k, Double(alpha),
                            UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), lda,
                            UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), ldb,
                            accumulate ? 1 : 0, UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), ldc)
        }
        return
    }
    if T.self == Float.self {
        wt_sgemm(ta, tb, m, n, k, Float(alpha),
                 UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), lda,
                 UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), ldb,
                 accumulate ? 1 : 0, UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc)
    } else {
        wt_dgemm(ta, tb, m, n, k, Double(alpha),
                 UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), lda,
                 UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), ldb,
                 accumulate ? 1 : 0, UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), ldc)
    }
}

/// Calls `body` with the read-only base address of `t`'s elements as `T`.
@inline(__always)
func withBase<T: TensorScalar, R>(_ t: Tensor, _: T.Type, _ body: (UnsafePointer<T>) -> R) -> R {
    t.withUnsafeBufferPointer { (p: UnsafeBufferPointer<T>) in body(p.baseAddress!) }
}

/// Calls `body` with the writable base address of `t`'s elements as `T`.
@inline(__always)
func withMutableBase<T: TensorScalar, R>(_ t: inout Tensor, _: T.Type, _ body: (UnsafeMutablePointer<T>) -> R) -> R {
    t.withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<T>) in body(p.baseAddress!) }
}

/// Batched `op(A)·op(B)` over broadcast batch dimensions, untraced.
///
/// `a` is `[batchA…, r, c]` and `b` is `[batchB…, r', c']` (rank ≥ 2 each); op(A) is `M×K`
/// (`[r, c]`, or its transpose when `transA`), op(B) is `K×N`. The batch dimensions broadcast
/// to `batch`; the result is `[outBatch…, M, N]` where `outBatch` (default: `batch`) may be
/// a broadcast-reduction of `batch` — products of reduced batch entries are summed (this is
/// how a pullback un-broadcasts without materialising the full product).
func batchedMatmulRaw(_ a: Tensor, _ b: Tensor, transA: Bool = false, transB: Bool = false,
                      outBatch: [Int]? = nil, op: String = "matmul") -> Tensor {
    require(a.rank >= 2 && b.rank >= 2, "\(op): batched product needs rank ≥ 2 operands, got \(a.shape) and \(b.shape)")
    require(a.dtype == b.dtype, "\(op): dtypes \(a.dtype) and \(b.dtype) differ")
    let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
    let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1]), (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
    let (m, k) = transA ? (ac, ar) : (ar, ac)
    let (k2, n) = transB ? (bc, br) : (br, bc)
    require(k == k2, "\(op): inner dimensions differ for shapes \(a.shape) and \(b.shape)")
    guard let batch = Broadcast.shape(aBatch, bBatch) else {
        fatalError("\(op): batch dimensions of \(a.shape) and \(b.shape) cannot be broadcast together")
    }
    let oBatch = outBatch ?? batch
    require(Broadcast.shape(oBatch, batch) == batch, "\(op): \(oBatch) is not a reduction of batch shape \(batch)")
    var out = Tensor.zeros(oBatch + [m, n], dtype: a.dtype)
    let batchCount = batch.reduce(1, *), aCount = aBatch.reduce(1, *), bCount = bBatch.reduce(1, *)
    let oCount = oBatch.reduce(1, *)
    let aMat = ar * ac, bMat = br * bc, oMat = m * n
    func run<T: TensorScalar>(_: T.Type) {
        withBase(a, T.self) { pa in
            withBase(b, T.self) { pb in
                withMutableBase(&out, T.self) { pc in
                    if batchCount == 0 { return }
                    if batchCount == 1 {
                        gemm(transA, transB, m, n, k, pa, ac, pb, bc, pc, n)
                    } else if !transA && bCount == 1 && aCount == batchCount && oCount == batchCount {
                        // B shared by every batch matrix: fold the batch into M (one GEMM).
                        gemm(false, transB, batchCount * m, n, k, pa, ac, pb, bc, pc, n)
                    } else if transA && !transB && oCount == 1 && aCount == batchCount && bCount == batchCount {
                        // Σ_b A_bᵀ·B_b: stack along K (one GEMM).
                        gemm(true, false, m, n, batchCount * k, pa, ac, pb, bc, pc, n)
                    } else {
                        let sa = Broadcast.strides(of: aBatch, broadcastTo: batch)
                        let sb = Broadcast.strides(of: bBatch, broadcastTo: batch)
                        let so = Broadcast.strides(of: oBatch, broadcastTo: batch)
                        let accumulate = oCount != batchCount
                        var idx = [Int](repeating: 0, count: batch.count)
                        for _ in 0..<batchCount {
                            var ia = 0, ib = 0, io = 0
                            for d in 0..<batch.count { ia += idx[d] * sa[d]; ib += idx[d] * sb[d]; io += idx[d] * so[d] }
                            gemm(transA, transB, m, n, k, pa + ia * aMat, ac, pb + ib * bMat, bc, pc + io * oMat, n,
                                 accumulate: accumulate)
                            var d = batch.count - 1
                            while d >= 0 { idx[d] += 1; if idx[d] < batch[d] { break }; idx[d] = 0; d -= 1 }
                        }
                    }
                }
            }
        }
    }
    switch a.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    }
    return out
}

// MARK: - matmul

/// Matrix product with PyTorch's `torch.matmul` rules.
///
/// - `[n] · [n]` → `[]` (dot product);
/// - `[m, k] · [k, n]` → `[m, n]`;
/// - a 1-D left operand `[k]` is treated as `[1, k]` and a 1-D right operand `[k]` as `[k, 1]`;
///   the added dimension is removed from the result;
/// - leading (batch) dimensions broadcast: `[…A, m, k] · […B, k, n]` → `[broadcast(A, B)…, m, n]`.
///
/// `C = A·B`. Pullback: `Ā = C̄·Bᵀ`, `B̄ = Aᵀ·C̄`, each summed over the batch dimensions the
/// operand was broadcast along.
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    require(a.rank >= 1 && b.rank >= 1, "matmul: operands must have rank ≥ 1, got \(a.shape) and \(b.shape)")
    require(a.dtype == b.dtype, "matmul: dtypes \(a.dtype) and \(b.dtype) differ")
    let a2 = a.rank == 1 ? a.detached().withShape([1, a.shape[0]]) : a.detached()
    let b2 = b.rank == 1 ? b.detached().withShape([b.shape[0], 1]) : b.detached()
    require(a2.shape[a2.rank - 1] == b2.shape[b2.rank - 2],
                 "matmul: inner dimensions differ for shapes \(a.shape) and \(b.shape)")
    guard Broadcast.shape(Array(a2.shape.dropLast(2)), Array(b2.shape.dropLast(2))) != nil else {
        fatalError("matmul: batch dimensions of \(a.shape) and \(b.shape) cannot be broadcast together")
    }
    let full = batchedMatmulRaw(a2, b2, op: "matmul")
    var outShape = Array(full.shape.dropLast(2))
    if a.rank > 1 { outShape.append(full.shape[full.rank - 2]) }
    if b.rank > 1 { outShape.append(full.shape[full.rank - 1]) }
    let y = full.withShape(outShape)
    return Tape.record("matmul", y, inputs: [a, b]) { g in
        let g2 = g.withShape(full.shape)
        let ga = batchedMatmulRaw(g2, b2, transB: true, outBatch: Array(a2.shape.dropLast(2)), op: "matmul pullback")
        let gb = batchedMatmulRaw(a2, g2, transA: true, outBatch: Array(b2.shape.dropLast(2)), op: "matmul pullback")
        return [ga.withShape(a.shape), gb.withShape(b.shape)]
    }
}

// MARK: - linear

/// Affine map `y = x·Wᵀ + b` (PyTorch's `F.linear`).
///
/// - Parameters:
///   - x: `[…, in]` (any number of leading dimensions, including none).
///   - weight: `[out, in]`.
///   - bias: `[out]`, or `nil`.
/// - Returns: `[…, out]`.
///
/// One GEMM with the weight read transposed in place. Pullback: `x̄ = ȳ·W`, `W̄ = ȳᵀ·x`
/// (rows of all leading dimensions stacked), `b̄ = Σ_rows ȳ`.
public func linear(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil) -> Tensor {
    require(weight.rank == 2 && x.rank >= 1 && x.shape[x.rank - 1] == weight.shape[1],
                 "linear: input \(x.shape) does not match weight \(weight.shape) (need input [..., in], weight [out, in])")
    require(x.dtype == weight.dtype, "linear: input is \(x.dtype) but weight is \(weight.dtype)")
    if let bias {
        require(bias.shape == [weight.shape[0]], "linear: bias \(bias.shape) does not match weight \(weight.shape) (need [out])")
        require(bias.dtype == x.dtype, "linear: bias is \(bias.dtype) but input is \(x.dtype)")
    }
    // Eval-mode calls (nothing traced) with a weight seen before skip its packing (PackedWeights.swift).
    if let y = linearThroughPackedCache(x, weight, bias: bias) { return y }
    let (outF, inF) = (weight.shape[0], weight.shape[1])
    let rows = x.shape.dropLast().reduce(1, *)
    let outShape = Array(x.shape.dropLast()) + [outF]
    var y = Tensor(uninitializedShape: outShape, dtype: x.dtype)
    func forward<T: TensorScalar>(_: T.Type) {
        withBase(x, T.self) { px in
            withBase(weight, T.self) { pw in
                withMutableBase(&y, T.self) { py in
                    if let bias {
                        withBase(bias, T.self) { pb in
                            for r in 0..<rows { (py + r * outF).update(from: pb, count: outF) }
                        }
                    }
                    gemm(false, true, rows, outF, inF, px, inF, pw, inF, py, outF, accumulate: bias != nil)
                }
            }
        }
    }
    switch x.dtype {
    case .float32: forward(Float.self)
    case .float64: forward(Double.self)
    }
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    // A constant operand (data, or x² in a variance term) needs no gradient: skip its GEMM.
    let needsX = x.isTraced, needsW = weight.isTraced
    return Tape.record("linear", y, inputs: inputs) { g in
        var gx = needsX ? Tensor(uninitializedShape: x.shape, dtype: x.dtype) : nil
        var gw = needsW ? Tensor(uninitializedShape: weight.shape, dtype: x.dtype) : nil
        func pullback<T: TensorScalar>(_: T.Type) {
            withBase(g, T.self) { pg in
                withBase(x, T.self) { px in
                    withBase(weight, T.self) { pw in
                        if gx != nil { withMutableBase(&gx!, T.self) { gemm(false, false, rows, inF, outF, pg, outF, pw, inF, $0, inF) } }
                        if gw != nil { withMutableBase(&gw!, T.self) { gemm(true, false, outF, inF, rows, pg, outF, px, inF, $0, inF) } }
                    }
                }
            }
        }
        switch x.dtype {
        case .float32: pullback(Float.self)
        case .float64: pullback(Double.self)
        }
        var grads: [Tensor?] = [gx, gw]
        if bias != nil { grads.append(g.withShape([rows, outF]).summed(toShape: [1, outF]).withShape([outF])) }
        return grads
    }
}

// MARK: - bilinear

/// Bilinear form `y_k = Σ_ij x1_i · W_kij · x2_j + b_k` (PyTorch's `F.bilinear`).
///
/// - Parameters:
///   - x1: `[…, in1]`.
///   - x2: `[…, in2]` with the same leading dimensions as `x1`.
///   - weight: `[out, in1, in2]`.
///   - bias: `[out]`, or `nil`.
/// - Returns: `[…, out]`.
///
/// Forward: one GEMM `V = x2·W'ᵀ` with W viewed as `W' = [out·in1, in2]`, so
/// `V[r, k, i] = Σ_j W_kij x2_j`, then `y[r, k] = Σ_i x1[r, i]·V[r, k, i]`.
/// Pullback with `P[r, k, i] = ȳ[r, k]·x1[r, i]`: `x̄1[r, i] = Σ_k ȳ[r, k]·V[r, k, i]`,
/// `x̄2 = P·W'` and `W̄' = Pᵀ·x2` (two GEMMs), `b̄ = Σ_r ȳ`.
public func bilinear(_ x1: Tensor, _ x2: Tensor, _ weight: Tensor, bias: Tensor? = nil) -> Tensor {
    require(weight.rank == 3 && x1.rank >= 1 && x2.rank >= 1
                 && x1.shape[x1.rank - 1] == weight.shape[1] && x2.shape[x2.rank - 1] == weight.shape[2]
                 && x1.shape.dropLast() == x2.shape.dropLast(),
                 "bilinear: inputs \(x1.shape) and \(x2.shape) do not match weight \(weight.shape) "
                 + "(need x1 [..., in1], x2 [..., in2] with equal leading dimensions, weight [out, in1, in2])")
    require(x1.dtype == weight.dtype && x2.dtype == weight.dtype,
                 "bilinear: dtypes \(x1.dtype), \(x2.dtype) and \(weight.dtype) differ")
    if let bias {
        require(bias.shape == [weight.shape[0]], "bilinear: bias \(bias.shape) does not match weight \(weight.shape) (need [out])")
        require(bias.dtype == weight.dtype, "bilinear: bias is \(bias.dtype) but weight is \(weight.dtype)")
    }
    let (outF, in1, in2) = (weight.shape[0], weight.shape[1], weight.shape[2])
    let lead = Array(x1.shape.dropLast())
    let rows = lead.reduce(1, *)
    var v = Tensor(uninitializedShape: [rows, outF * in1], dtype: weight.dtype)
    var y = Tensor(uninitializedShape: lead + [outF], dtype: weight.dtype)
    func forward<T: TensorScalar>(_: T.Type) {
        withBase(x1, T.self) { p1 in
            withBase(x2, T.self) { p2 in
                withBase(weight, T.self) { pw in
                    withMutableBase(&v, T.self) { pv in
                        gemm(false, true, rows, outF * in1, in2, p2, in2, pw, in2, pv, outF * in1)
                    }
                }
                withBase(v, T.self) { pv in
                    withMutableBase(&y, T.self) { py in
                        for r in 0..<rows {
                            for k in 0..<outF {
                                var s: T = 0
                                let vk = pv + (r * outF + k) * in1, xr = p1 + r * in1
                                for i in 0..<in1 { s += xr[i] * vk[i] }
                                py[r * outF + k] = s
                            }
                        }
                        if let bias {
                            withBase(bias, T.self) { pb in
                                for r in 0..<rows { for k in 0..<outF { py[r * outF + k] += pb[k] } }
                            }
                        }
                    }
                }
            }
        }
    }
    switch weight.dtype {
    case .float32: forward(Float.self)
    case .float64: forward(Double.self)
    }
    let inputs = bias.map { [x1, x2, weight, $0] } ?? [x1, x2, weight]
    return Tape.record("bilinear", y, inputs: inputs) { g in
        var g1 = Tensor(uninitializedShape: x1.shape, dtype: weight.dtype)
        var g2 = Tensor(uninitializedShape: x2.shape, dtype: weight.dtype)
        var gw = Tensor(uninitializedShape: weight.shape, dtype: weight.dtype)
        var p = Tensor(uninitializedShape: [rows, outF * in1], dtype: weight.dtype)
        func pullback<T: TensorScalar>(_: T.Type) {
            withBase(g, T.self) { pg in
                withBase(x1, T.self) { p1 in
                    withBase(v, T.self) { pv in
                        withMutableBase(&g1, T.self) { pg1 in
                            withMutableBase(&p, T.self) { pp in
                                for r in 0..<rows {
                                    let d = pg1 + r * in1
                                    d.update(repeating: 0, count: in1)
                                    for k in 0..<outF {
                                        let gk = pg[r * outF + k], vk = pv + (r * outF + k) * in1
                                        let pk = pp + (r * outF + k) * in1, xr = p1 + r * in1
                                        for i in 0..<in1 { d[i] += gk * vk[i]; pk[i] = gk * xr[i] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            withBase(p, T.self) { pp in
                withBase(weight, T.self) { pw in
                    withMutableBase(&g2, T.self) { gemm(false, false, rows, in2, outF * in1, pp, outF * in1, pw, in2, $0, in2) }
                }
                withBase(x2, T.self) { p2 in
                    withMutableBase(&gw, T.self) { gemm(true, false, outF * in1, in2, rows, pp, outF * in1, p2, in2, $0, in2) }
                }
            }
        }
        switch weight.dtype {
        case .float32: pullback(Float.self)
        case .float64: pullback(Double.self)
        }
        var grads: [Tensor?] = [g1, g2, gw]
        if bias != nil { grads.append(g.withShape([rows, outF]).summed(toShape: [1, outF]).withShape([outF])) }
        return grads
    }
}
