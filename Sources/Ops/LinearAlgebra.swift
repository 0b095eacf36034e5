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
    let batchCount = batch.reduce(1, *), aCount = aBatch.reduce(1, *), bCount = bBatch.reduce(1, *)
    let oCount = oBatch.reduce(1, *)
    // Every GEMM below overwrites its output (beta = 0 reads nothing) except the per-matrix loop
    // that sums batch matrices into a reduced output; only that, or no product at all, needs zeros.
    let oneProduct = batchCount == 1 || (!transA && bCount == 1 && aCount == batchCount && oCount == batchCount)
        || (transA && !transB && oCount == 1 && aCount == batchCount && bCount == batchCount)
    var out = batchCount == 0 || (!oneProduct && oCount != batchCount)
        ? Tensor.zeros(oBatch + [m, n], dtype: a.dtype) : Tensor(uninitializedShape: oBatch + [m, n], dtype: a.dtype)
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
    a.dtype.dispatch { run($0) }
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
    var y = [Tensor(uninitializedShape: outShape, dtype: x.dtype)]
    func forward<T: TensorScalar>(_: T.Type) {
        Tensor.withBaseAddresses(reading: [x, weight] + (bias.map { [$0] } ?? []), writing: &y, as: T.self) { i, o in
            let (px, pw, py) = (i[0], i[1], o[0])
            if bias != nil {
                for r in 0..<rows { (py + r * outF).update(from: i[2], count: outF) }
            }
            gemm(false, true, rows, outF, inF, px, inF, pw, inF, py, outF, accumulate: bias != nil)
        }
    }
    x.dtype.dispatch { forward($0) }
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    // A constant operand (data, or x² in a variance term) needs no gradient: skip its GEMM.
    let needsX = x.isTraced, needsW = weight.isTraced
    return Tape.record("linear", y[0], inputs: inputs) { g in
        let gx = needsX ? gemmProduct(x.shape, false, false, rows, inF, outF, g, outF, weight, inF) : nil
        let gw = needsW ? gemmProduct(weight.shape, true, false, outF, inF, rows, g, outF, x, inF) : nil
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
    checkBilinearArguments(op: "bilinear", names: ("x1", "x2"), x1.shape, x2.shape, weight.shape, bias?.shape,
                           dtypes: x1.dtype, x2.dtype, weight.dtype, bias?.dtype)
    let (outF, in1, in2) = (weight.shape[0], weight.shape[1], weight.shape[2])
    let lead = Array(x1.shape.dropLast())
    let rows = lead.reduce(1, *)
    // V[r, k, i] = Σ_j W_kij x2[r, j]: one GEMM with W viewed as [out·in1, in2]
    let v = gemmProduct([rows, outF * in1], false, true, rows, outF * in1, in2, x2, in2, weight, in2)
    let y = bilinearContract(x1, v, bias: bias, outShape: lead + [outF])
    let inputs = bias.map { [x1, x2, weight, $0] } ?? [x1, x2, weight]
    return Tape.record("bilinear", y, inputs: inputs) { g in
        let (g1, p) = bilinearCotangentFactors(g, x1, v, outF: outF)
        // x̄2 = P·W' and W̄' = Pᵀ·x2
        let g2 = gemmProduct(x2.shape, false, false, rows, in2, outF * in1, p, outF * in1, weight, in2)
        let gw = gemmProduct(weight.shape, true, false, outF * in1, in2, rows, p, outF * in1, x2, in2)
        var grads: [Tensor?] = [g1, g2, gw]
        if bias != nil { grads.append(g.withShape([rows, outF]).summed(toShape: [1, outF]).withShape([outF])) }
        return grads
    }
}

/// The shape and dtype checks of the real and complex bilinear forms: `op` names the op in the
/// messages and `names` its two inputs (`x1`, `x2` or `z1`, `z2`); `s…` are the shapes of the
/// inputs, the weight and the bias, `d…` their dtypes.
func checkBilinearArguments(op: String, names: (String, String), _ s1: [Int], _ s2: [Int], _ sw: [Int], _ sb: [Int]?,
                            dtypes d1: DType, _ d2: DType, _ dw: DType, _ db: DType?) {
    let (n1, n2) = names
    require(sw.count == 3 && s1.count >= 1 && s2.count >= 1 && s1[s1.count - 1] == sw[1] && s2[s2.count - 1] == sw[2]
                && s1.dropLast() == s2.dropLast(),
            "\(op): inputs \(s1) and \(s2) do not match weight \(sw) "
            + "(need \(n1) [..., in1], \(n2) [..., in2] with equal leading dimensions, weight [out, in1, in2])")
    require(d1 == dw && d2 == dw, "\(op): dtypes \(d1), \(d2) and \(dw) differ")
    if let sb, let db {
        require(sb == [sw[0]], "\(op): bias \(sb) does not match weight \(sw) (need [out])")
        require(db == dw, "\(op): bias is \(db) but weight is \(dw)")
    }
}

/// `op(A)·op(B)` (`m×n`, row-major, leading dimension `n`) as a new tensor of `shape` (`m·n`
/// elements), with the arguments of ``gemm``; `a` and `b` of one dtype. Untraced.
private func gemmProduct(_ shape: [Int], _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                         _ a: Tensor, _ lda: Int, _ b: Tensor, _ ldb: Int) -> Tensor {
    var out = [Tensor(uninitializedShape: shape, dtype: a.dtype)]
    func run<T: TensorScalar>(_: T.Type) {
        Tensor.withBaseAddresses(reading: [a, b], writing: &out, as: T.self) { x, y in
            gemm(transA, transB, m, n, k, x[0], lda, x[1], ldb, y[0], n)
        }
    }
    a.dtype.dispatch { run($0) }
    return out[0]
}

/// `y[r, k] = Σ_i x1[r, i]·V[r, k, i] + b_k` (untraced): `x1` is `[…, in1]`, `V` `[rows, out·in1]`,
/// the result `outShape` (`[…, out]`).
private func bilinearContract(_ x1: Tensor, _ v: Tensor, bias: Tensor?, outShape: [Int]) -> Tensor {
    let outF = outShape[outShape.count - 1], in1 = x1.shape[x1.rank - 1], rows = outShape.dropLast().reduce(1, *)
    var y = [Tensor(uninitializedShape: outShape, dtype: v.dtype)]
    func forward<T: TensorScalar>(_: T.Type) {
        Tensor.withBaseAddresses(reading: [x1, v], writing: &y, as: T.self) { i, o in
            let (p1, pv, py) = (i[0], i[1], o[0])
            for r in 0..<rows {
                for k in 0..<outF {
                    var s: T = 0
                    let vk = pv + (r * outF + k) * in1, xr = p1 + r * in1
                    for i in 0..<in1 { s += xr[i] * vk[i] }
                    py[r * outF + k] = s
                }
            }
            guard let bias else { return }
            Tensor.withBaseAddresses(reading: [bias], as: T.self) { b in
                let pb = b[0]
                for r in 0..<rows { for k in 0..<outF { py[r * outF + k] += pb[k] } }
            }
        }
    }
    v.dtype.dispatch { forward($0) }
    return y[0]
}

/// The elementwise part of the bilinear pullback (untraced), from the cotangent `g` (`[…, out]`):
/// `x̄1[r, i] = Σ_k g[r, k]·V[r, k, i]` (shape of `x1`) and `P[r, k, i] = g[r, k]·x1[r, i]`
/// (`[rows, out·in1]`).
private func bilinearCotangentFactors(_ g: Tensor, _ x1: Tensor, _ v: Tensor, outF: Int) -> (g1: Tensor, p: Tensor) {
    let in1 = x1.shape[x1.rank - 1], rows = x1.shape.dropLast().reduce(1, *)
    var out = [Tensor(uninitializedShape: x1.shape, dtype: v.dtype),
               Tensor(uninitializedShape: [rows, outF * in1], dtype: v.dtype)]
    func pullback<T: TensorScalar>(_: T.Type) {
        Tensor.withBaseAddresses(reading: [g, x1, v], writing: &out, as: T.self) { i, o in
            let (pg, p1, pv, pg1, pp) = (i[0], i[1], i[2], o[0], o[1])
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
    v.dtype.dispatch { pullback($0) }
    return (out[0], out[1])
}
