// Complex linear algebra: matmul (complex⊗complex, complex⊗real, real⊗complex), linear and
// bilinear, each ONE tape entry over the parts, built on the real batched GEMM
// (`batchedMatmulRaw`, LinearAlgebra.swift) with three real products per complex product
// (Gauss's form; two when one operand is real).
//
// For C = A·B (holomorphic in each factor) the pullbacks are Ā = C̄·Bᴴ and B̄ = Aᴴ·C̄;
// a real operand keeps the real part of its complex cotangent. Derivations: Docs/Gradients.md.

import Kernels

private extension UnsafePointer {
    /// The same address viewed as another element type (the caller knows the dtype).
    static func cast<U>(_ p: UnsafePointer<U>) -> UnsafePointer<Pointee> { UnsafeRawPointer(p).assumingMemoryBound(to: Pointee.self) }
}

private extension UnsafeMutablePointer {
    /// The same address viewed as another element type (the caller knows the dtype).
    static func cast<U>(_ p: UnsafeMutablePointer<U>) -> UnsafeMutablePointer<Pointee> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Pointee.self)
    }
}

extension ComplexSupport {
    /// Batched complex product `op(A')·op(B')` (untraced) where `A' = conj(A)` when `conjA`
    /// (likewise B), op = transpose when `transA` / `transB`, with `batchedMatmulRaw`'s batch
    /// broadcasting and `outBatch` reduction. A `nil` imaginary part is a real operand; the
    /// result's imaginary part is `nil` when both operands are real.
    ///
    /// `(ar + i·sa·ai)(br + i·sb·bi) = (ar·br − sa·sb·ai·bi) + i(sb·ar·bi + sa·ai·br)`, `s = ∓1`.
    static func product(_ a: Operand, _ b: Operand, transA: Bool = false, transB: Bool = false,
                        conjA: Bool = false, conjB: Bool = false, outBatch: [Int]? = nil, op: String) -> (re: Tensor, im: Tensor?) {
        if let ai = a.im, let bi = b.im, !transA, a.re.rank == 2, b.re.rank == 2, a.shape[0] <= skinnyProductMaxRows,
           a.shape[1] == (transB ? b.shape[1] : b.shape[0]), a.re.dtype == b.re.dtype {
            return skinnyProduct(a.re, ai, b.re, bi, transB: transB, conjA: conjA, conjB: conjB)
        }
        if let ai = a.im, let bi = b.im, outBatch?.isEmpty ?? true,
           let c = gaussPackedProduct(a.re, ai, b.re, bi, transA: transA, transB: transB, conjA: conjA, conjB: conjB) {
            return (c.re, c.im)
        }
        return combine(a, b, conjA: conjA, conjB: conjB, op: op) { x, y in
            batchedMatmulRaw(x, y, transA: transA, transB: transB, outBatch: outBatch, op: op)
        }
    }

    /// ``product(_:_:transA:transB:conjA:conjB:outBatch:op:)`` (no batch reduction) added into the
    /// sums `sumRe`, `sumIm` of an ``Tape/AccumulatingPullback`` (the product's shape must be
    /// `shape`). When both operands are complex and both sums exist, the three real products' last
    /// pass (the combine) also adds the sums (`wt_cplx_gauss_add_*`), with the bits of the combine
    /// followed by the tape's addition; otherwise the product is added as the tape would.
    static func productAdding(_ a: Operand, _ b: Operand, transA: Bool = false, transB: Bool = false,
                              conjA: Bool = false, conjB: Bool = false, into sumRe: inout Tensor?, _ sumIm: inout Tensor?,
                              shape: [Int], op: String) {
        let dtype = a.re.dtype
        let skinny = !transA && a.re.rank == 2 && b.re.rank == 2 && a.shape[0] <= skinnyProductMaxRows
        if let ai = a.im, let bi = b.im, let sr = sumRe, let si = sumIm, !skinny, sr.shape == shape, si.shape == shape,
           sr.dtype == dtype, si.dtype == dtype, b.re.dtype == dtype {
            let sa: Double = conjA ? -1 : 1, sb: Double = conjB ? -1 : 1
            func f(_ x: Tensor, _ y: Tensor) -> Tensor { batchedMatmulRaw(x, y, transA: transA, transB: transB, op: op) }
            // (not gaussPackedProduct with these sums: its tile-by-tile reads of the sums measured
            // slower than the three products and one streaming wt_cplx_gauss_add pass, 2026-12-07)
            var rr = f(a.re, b.re)
            let ii = f(ai, bi)
            var p = f(signedSum(a.re, ai, sa, op: op), signedSum(b.re, bi, sb, op: op))
            if rr.shape == shape {
                sumRe = nil; sumIm = nil
                let n = rr.count, s = sa * sb
                switch dtype {   // one C kernel per dtype
                case .float32:
                    Tensor.withBaseAddresses(reading: [sr, si, ii], as: Float.self) { i in
                        rr.withUnsafeMutableBufferPointer { (r: UnsafeMutableBufferPointer<Float>) in
                            p.withUnsafeMutableBufferPointer { (q: UnsafeMutableBufferPointer<Float>) in
                                wt_cplx_gauss_add_f32(i[0], i[1], r.baseAddress, q.baseAddress, i[2], Float(s), n)
                            }
                        }
                    }
                case .float64:
                    Tensor.withBaseAddresses(reading: [sr, si, ii], as: Double.self) { i in
                        rr.withUnsafeMutableBufferPointer { (r: UnsafeMutableBufferPointer<Double>) in
                            p.withUnsafeMutableBufferPointer { (q: UnsafeMutableBufferPointer<Double>) in
                                wt_cplx_gauss_add_f64(i[0], i[1], r.baseAddress, q.baseAddress, i[2], s, n)
                            }
                        }
                    }
                }
                sumRe = rr; sumIm = p
                return
            }
            // (a product of another shape: combined, then summed down by Tape.add)
            gaussCombine(re: &rr, im: &p, ii, s: sa * sb)
            Tape.add(rr, into: &sumRe, shape: shape, dtype: dtype)
            Tape.add(p, into: &sumIm, shape: shape, dtype: dtype)
            return
        }
        let c = product(a, b, transA: transA, transB: transB, conjA: conjA, conjB: conjB, op: op)
        Tape.add(c.re.withShape(shape), into: &sumRe, shape: shape, dtype: dtype)
        if let ci = c.im { Tape.add(ci.withShape(shape), into: &sumIm, shape: shape, dtype: dtype) }
    }

    /// The complex product `op(A')·op(B')` of complex matrices (no batch dimensions; `A' = conj(A)`
    /// when `conjA`, likewise B) by Gauss's three real products in one Kernels driver
    /// (`wt_?gemm_gauss`): the operand sums formed from the packed panels (no summed copy of either
    /// operand, each packed once) and each tile combined while in cache, with `bias` (`[n]`, if any)
    /// added to every row in that pass. The same bits as ``combine(_:_:conjA:conjB:op:_:)`` over
    /// `batchedMatmulRaw`, which ends with ``gaussCombine(re:im:_:s:)``, followed by the broadcast
    /// addition of the bias. `nil` (nothing done) when the products are not plain GEMMs: an operand
    /// that is not a matrix, dtypes or inner dimensions that differ, an empty dimension, at most
    /// ``skinnyProductMaxRows`` rows of an untransposed A (the skinny kernels' case), or a bias of
    /// another shape or dtype. Untraced.
    static func gaussPackedProduct(_ ar: Tensor, _ ai: Tensor, _ br: Tensor, _ bi: Tensor, transA: Bool, transB: Bool,
                                   conjA: Bool, conjB: Bool, bias: ComplexTensor? = nil) -> (re: Tensor, im: Tensor)? {
        guard ar.rank == 2, br.rank == 2, ai.shape == ar.shape, bi.shape == br.shape,
              ar.dtype == br.dtype, ai.dtype == ar.dtype, bi.dtype == br.dtype else { return nil }
        let (m, k) = transA ? (ar.shape[1], ar.shape[0]) : (ar.shape[0], ar.shape[1])
        let (k2, n) = transB ? (br.shape[1], br.shape[0]) : (br.shape[0], br.shape[1])
        guard k == k2, m > 0, n > 0, k > 0, transA || m > skinnyProductMaxRows else { return nil }
        let dtype = ar.dtype
        if let bias, bias.shape != [n] || bias.dtype != dtype { return nil }
        let sa: Double = conjA ? -1 : 1, sb: Double = conjB ? -1 : 1
        let (lda, ldb) = (ar.shape[1], br.shape[1]), ta: Int32 = transA ? 1 : 0, tb: Int32 = transB ? 1 : 0
        var outs = [Tensor(uninitializedShape: [m, n], dtype: dtype), Tensor(uninitializedShape: [m, n], dtype: dtype)]
        let inputs = [ar, ai, br, bi] + (bias.map { [$0.real, $0.imag] } ?? [])
        let biased = bias != nil
        let done: Int32
        switch dtype {   // one C kernel per dtype
        case .float32:
            done = Tensor.withBaseAddresses(reading: inputs, writing: &outs, as: Float.self) { i, o in
                wt_sgemm_gauss(ta, tb, m, n, k, i[0], i[1], lda, Float(sa), i[2], i[3], ldb, Float(sb),
                               nil, nil, biased ? i[4] : nil, biased ? i[5] : nil, o[0], o[1], n)
            }
        case .float64:
            done = Tensor.withBaseAddresses(reading: inputs, writing: &outs, as: Double.self) { i, o in
                wt_dgemm_gauss(ta, tb, m, n, k, i[0], i[1], lda, sa, i[2], i[3], ldb, sb,
                               nil, nil, biased ? i[4] : nil, biased ? i[5] : nil, o[0], o[1], n)
            }
        }
        return done != 0 ? (outs[0], outs[1]) : nil
    }

    /// `op(A')·op(B')` for a complex `A` of at most ``skinnyProductMaxRows`` rows (no batch
    /// dimensions) and a complex matrix `B`: one pass over the parts of B (`wt_cgemm_skinny`),
    /// without the operand sums of the three-product form. Untraced.
    static func skinnyProduct(_ ar: Tensor, _ ai: Tensor, _ br: Tensor, _ bi: Tensor,
                              transB: Bool, conjA: Bool, conjB: Bool) -> (re: Tensor, im: Tensor?) {
        let (m, k) = (ar.shape[0], ar.shape[1]), n = transB ? br.shape[0] : br.shape[1]
        var c = [Tensor(uninitializedShape: [m, n], dtype: ar.dtype), Tensor(uninitializedShape: [m, n], dtype: ar.dtype)]
        let tb: Int32 = transB ? 1 : 0, ca: Int32 = conjA ? 1 : 0, cb: Int32 = conjB ? 1 : 0
        func run<T: TensorScalar>(_: T.Type) {
            Tensor.withBaseAddresses(reading: [ar, ai, br, bi], writing: &c, as: T.self) { x, z in
                let (xr, xi, yr, yi, zr, zi) = (x[0], x[1], x[2], x[3], z[0], z[1])
                if T.self == Float.self {
                    wt_cgemm_skinny(tb, ca, cb, m, n, k, .cast(xr), .cast(xi), k, .cast(yr), .cast(yi), transB ? k : n,
                                    0, .cast(zr), .cast(zi), n)
                } else {
                    wt_zgemm_skinny(tb, ca, cb, m, n, k, .cast(xr), .cast(xi), k, .cast(yr), .cast(yi), transB ? k : n,
                                    0, .cast(zr), .cast(zi), n)
                }
            }
        }
        ar.dtype.dispatch { run($0) }
        return (c[0], c[1])
    }

    /// A complex bilinear map from a real one: for `f` real-bilinear (a product, a convolution,
    /// …), `f(A', B')` with `A' = conj(A)` when `conjA` (likewise B) as
    /// `(f(ar, br) − sa·sb·f(ai, bi)) + i(sb·f(ar, bi) + sa·f(ai, br))`, `s = ∓1`, evaluated with
    /// three real calls by Gauss's form (the imaginary part is `f(ar + sa·ai, br + sb·bi) −
    /// f(ar, br) − sa·sb·f(ai, bi)`); two calls when one operand is real, one when both are. A
    /// `nil` imaginary part is a real operand; the result's is `nil` when both operands are real.
    static func combine(_ a: Operand, _ b: Operand, conjA: Bool = false, conjB: Bool = false, op: String,
                        _ f: (Tensor, Tensor) -> Tensor) -> (re: Tensor, im: Tensor?) {
        let sa: Double = conjA ? -1 : 1, sb: Double = conjB ? -1 : 1
        // `re` is held by this variable alone, so the combine below updates it without a copy
        var re = f(a.re, b.re)
        switch (a.im, b.im) {
        case (nil, nil):
            return (re, nil)
        case (let ai?, nil):
            let ir = f(ai, b.re)
            return (re, sa == 1 ? ir : ir.negatedElements())
        case (nil, let bi?):
            let ri = f(a.re, bi)
            return (re, sb == 1 ? ri : ri.negatedElements())
        case (let ai?, let bi?):
            // Gauss's three-product form (3M): with A'ᵢ = sa·ai and B'ᵢ = sb·bi,
            //   f(ar + A'ᵢ, br + B'ᵢ) = f(ar, br) + f(ar, B'ᵢ) + f(A'ᵢ, br) + sa·sb·f(ai, bi),
            // so Im = f(ar + A'ᵢ, br + B'ᵢ) − f(ar, br) − sa·sb·f(ai, bi) and one real call is saved
            // (25% of a complex GEMM) for two additions over the operands.
            let ii = f(ai, bi)
            var im = f(signedSum(a.re, ai, sa, op: op), signedSum(b.re, bi, sb, op: op))
            gaussCombine(re: &re, im: &im, ii, s: sa * sb)
            return (re, im)
        }
    }

    /// `x + s·y` for `s = ±1` (untraced): one Kernels pass (`wt_cplx_signed_sum_*`) when the
    /// operands have one shape and dtype (the parts of a complex operand always do), the
    /// broadcasting elementwise loop otherwise. Each element is rounded once, as written.
    static func signedSum(_ x: Tensor, _ y: Tensor, _ s: Double, op: String) -> Tensor {
        guard x.shape == y.shape, x.dtype == y.dtype else {
            return Tensor.zipElements(x, y, op: op, { $0 + Float(s) * $1 }, { $0 + s * $1 })
        }
        var out = [Tensor(uninitializedShape: x.shape, dtype: x.dtype)]
        let n = x.count
        switch x.dtype {   // one C kernel per dtype
        case .float32:
            Tensor.withBaseAddresses(reading: [x, y], writing: &out, as: Float.self) { i, o in
                wt_cplx_signed_sum_f32(i[0], i[1], Float(s), o[0], n)
            }
        case .float64:
            Tensor.withBaseAddresses(reading: [x, y], writing: &out, as: Double.self) { i, o in
                wt_cplx_signed_sum_f64(i[0], i[1], s, o[0], n)
            }
        }
        return out[0]
    }

    /// The last step of the three-product form, in place: `re ← re − s·ii`,
    /// `im ← (im − old re) − s·ii`, one Kernels pass (`wt_cplx_gauss_combine_*`) over the three
    /// results (same shape and dtype).
    static func gaussCombine(re: inout Tensor, im: inout Tensor, _ ii: Tensor, s: Double) {
        let n = re.count
        switch re.dtype {   // one C kernel per dtype
        case .float32:
            ii.withUnsafeBufferPointer { (q: UnsafeBufferPointer<Float>) in
                re.withUnsafeMutableBufferPointer { (r: UnsafeMutableBufferPointer<Float>) in
                    im.withUnsafeMutableBufferPointer { (m: UnsafeMutableBufferPointer<Float>) in
                        wt_cplx_gauss_combine_f32(r.baseAddress, m.baseAddress, q.baseAddress, Float(s), n)
                    }
                }
            }
        case .float64:
            ii.withUnsafeBufferPointer { (q: UnsafeBufferPointer<Double>) in
                re.withUnsafeMutableBufferPointer { (r: UnsafeMutableBufferPointer<Double>) in
                    im.withUnsafeMutableBufferPointer { (m: UnsafeMutableBufferPointer<Double>) in
                        wt_cplx_gauss_combine_f64(r.baseAddress, m.baseAddress, q.baseAddress, s, n)
                    }
                }
            }
        }
    }

    /// `x` with the shape `shape` (same element count), untraced.
    static func view(_ x: Tensor?, _ shape: [Int]) -> Tensor? { x?.detached().withShape(shape) }

    /// An operand viewed with another shape.
    static func view(_ o: Operand, _ shape: [Int]) -> Operand {
        Operand(re: o.re.detached().withShape(shape), im: view(o.im, shape))
    }
}

/// The shared core of the three matmul overloads: `a`, `b` complex or real (imag `nil`).
private func complexMatmul(_ a: ComplexSupport.Operand, _ b: ComplexSupport.Operand, name: String) -> ComplexTensor {
    let (ra, rb) = (a.re.rank, b.re.rank)
    require(ra >= 1 && rb >= 1, "\(name): operands must have rank ≥ 1, got \(a.shape) and \(b.shape)")
    require(a.re.dtype == b.re.dtype, "\(name): dtypes \(a.re.dtype) and \(b.re.dtype) differ")
    let a2Shape = ra == 1 ? [1, a.shape[0]] : a.shape
    let b2Shape = rb == 1 ? [b.shape[0], 1] : b.shape
    require(a2Shape[a2Shape.count - 1] == b2Shape[b2Shape.count - 2],
                 "\(name): inner dimensions differ for shapes \(a.shape) and \(b.shape)")
    guard Broadcast.shape(Array(a2Shape.dropLast(2)), Array(b2Shape.dropLast(2))) != nil else {
        fatalError("\(name): batch dimensions of \(a.shape) and \(b.shape) cannot be broadcast together")
    }
    let a2 = ComplexSupport.view(a, a2Shape), b2 = ComplexSupport.view(b, b2Shape)
    let full = ComplexSupport.product(a2, b2, op: name)
    let fullShape = full.re.shape
    var outShape = Array(fullShape.dropLast(2))
    if ra > 1 { outShape.append(fullShape[fullShape.count - 2]) }
    if rb > 1 { outShape.append(fullShape[fullShape.count - 1]) }
    let dtype = a.re.dtype
    let y = ComplexTensor(real: full.re.withShape(outShape),
                          imag: full.im?.withShape(outShape) ?? Tensor.zeros(outShape, dtype: dtype))
    var inputs = [a.re]; if let ai = a.im { inputs.append(ai) }
    inputs.append(b.re); if let bi = b.im { inputs.append(bi) }
    let aComplex = a.im != nil, bComplex = b.im != nil
    // A constant operand (data) needs no gradient: skip its products.
    let needsA = a.re.isTraced || (a.im?.isTraced ?? false), needsB = b.re.isTraced || (b.im?.isTraced ?? false)
    return ComplexSupport.record(name, y, inputs: inputs) { gr, gi in
        let g = ComplexSupport.Operand(re: gr.withShape(fullShape), im: gi.withShape(fullShape))
        // Ā = C̄·Bᴴ, B̄ = Aᴴ·C̄ (summed over the batch dimensions each operand was broadcast along)
        /// The cotangents of one operand (one per part it has), or nils when it needs none.
        func operandGradients(_ needed: Bool, _ complex: Bool, _ shape: [Int],
                              _ product: () -> (re: Tensor, im: Tensor?)) -> [Tensor?] {
            guard needed else { return complex ? [nil, nil] : [nil] }
            let p = product()
            return complex ? [p.re.withShape(shape), p.im!.withShape(shape)] : [p.re.withShape(shape)]
        }
        let op = "\(name) pullback"
        return operandGradients(needsA, aComplex, a.shape) {
            ComplexSupport.product(g, b2, transB: true, conjB: true, outBatch: Array(a2Shape.dropLast(2)), op: op)
        } + operandGradients(needsB, bComplex, b.shape) {
            ComplexSupport.product(a2, g, transA: true, conjA: true, outBatch: Array(b2Shape.dropLast(2)), op: op)
        }
    }
}

/// Complex matrix product with `torch.matmul`'s rules (1-D operands, broadcast batch
/// dimensions; see the real ``matmul(_:_:)``):
/// `A·B = (Ar·Br − Ai·Bi) + i(Ar·Bi + Ai·Br)`. Pullback: `Ā = C̄·Bᴴ`, `B̄ = Aᴴ·C̄`.
public func matmul(_ a: ComplexTensor, _ b: ComplexTensor) -> ComplexTensor {
    complexMatmul(.init(a), .init(b), name: "complex matmul")
}

/// Complex × real matrix product: `A·X = Ar·X + i·Ai·X` (matmul rules).
/// Pullback: `Ā = C̄·Xᵀ`, `X̄ = Re(Aᴴ·C̄) = Arᵀ·C̄r + Aiᵀ·C̄i`.
public func matmul(_ a: ComplexTensor, _ x: Tensor) -> ComplexTensor {
    complexMatmul(.init(a), .init(x), name: "complex×real matmul")
}

/// Real × complex matrix product: `X·B = X·Br + i·X·Bi` (matmul rules).
/// Pullback: `X̄ = Re(C̄·Bᴴ) = C̄r·Brᵀ + C̄i·Biᵀ`, `B̄ = Xᵀ·C̄`.
public func matmul(_ x: Tensor, _ b: ComplexTensor) -> ComplexTensor {
    complexMatmul(.init(x), .init(b), name: "real×complex matmul")
}

/// Complex affine map `y = z·Wᵀ + b` (cplxmodule's `cplx.linear`; no conjugation of W).
///
/// - Parameters:
///   - z: `[…, in]`.
///   - weight: `[out, in]`.
///   - bias: `[out]`, or `nil`.
/// - Returns: `[…, out]`.
///
/// Pullback: `z̄ = ȳ·conj(W)`, `W̄ = ȳᵀ·conj(z)` (rows of all leading dimensions stacked), `b̄ = Σ_rows ȳ`.
public func linear(_ z: ComplexTensor, _ weight: ComplexTensor, bias: ComplexTensor? = nil) -> ComplexTensor {
    require(weight.rank == 2 && z.rank >= 1 && z.shape[z.rank - 1] == weight.shape[1],
                 "complex linear: input \(z.shape) does not match weight \(weight.shape) (need input [..., in], weight [out, in])")
    require(z.dtype == weight.dtype, "complex linear: input is \(z.dtype) but weight is \(weight.dtype)")
    if let bias {
        require(bias.shape == [weight.shape[0]],
                     "complex linear: bias \(bias.shape) does not match weight \(weight.shape) (need [out])")
        require(bias.dtype == z.dtype, "complex linear: bias is \(bias.dtype) but input is \(z.dtype)")
    }
    let (outF, inF) = (weight.shape[0], weight.shape[1])
    let rows = z.shape.dropLast().reduce(1, *)
    let outShape = Array(z.shape.dropLast()) + [outF]
    let z2 = ComplexSupport.view(ComplexSupport.Operand(z), [rows, inF]), w = ComplexSupport.Operand(weight.detached())
    var y: ComplexTensor
    if let p = ComplexSupport.gaussPackedProduct(z2.re, z2.im!, w.re, w.im!, transA: false, transB: true, conjA: false,
                                                 conjB: false, bias: bias?.detached()) {
        // the product and the bias in one driver, the same bits as the two steps below
        y = ComplexTensor(real: p.re.withShape(outShape), imag: p.im.withShape(outShape))
    } else {
        let p = ComplexSupport.product(z2, w, transB: true, op: "complex linear")
        y = ComplexTensor(real: p.re.withShape(outShape), imag: p.im!.withShape(outShape))
        if let bias {
            y = ComplexTensor(real: Tensor.zipElements(y.real, bias.real.detached(), op: "complex linear", .add),
                              imag: Tensor.zipElements(y.imag, bias.imag.detached(), op: "complex linear", .add))
        }
    }
    var inputs = [z.real, z.imag, weight.real, weight.imag]
    if let bias { inputs += [bias.real, bias.imag] }
    // A constant operand (data, or a variance term's input) needs no gradient: skip its products.
    let needsZ = z.real.isTraced || z.imag.isTraced, needsW = weight.real.isTraced || weight.imag.isTraced
    let op = "complex linear pullback", hasBias = bias != nil
    let outs = Tape.record("complex linear", outputs: [y.real, y.imag], inputs: inputs, pullback: { gs in
        let g = ComplexSupport.Operand(re: gs[0].withShape([rows, outF]), im: gs[1].withShape([rows, outF]))
        let gz = needsZ ? ComplexSupport.product(g, w, conjB: true, op: op) : nil
        let gw = needsW ? ComplexSupport.product(g, z2, transA: true, conjB: true, op: op) : nil
        var grads: [Tensor?] = [gz?.re.withShape(z.shape), gz?.im!.withShape(z.shape), gw?.re, gw?.im!]
        if hasBias {
            grads.append(columnSums(g.re, rows: rows, cols: outF))
            grads.append(columnSums(g.im!, rows: rows, cols: outF))
        }
        return grads
    }, accumulating: { gs, sums in
        // the same cotangents, the weight's added to its sums in the combine pass of its product
        let g = ComplexSupport.Operand(re: gs[0].withShape([rows, outF]), im: gs[1].withShape([rows, outF]))
        if needsZ {
            let gz = ComplexSupport.product(g, w, conjB: true, op: op)
            Tape.add(gz.re.withShape(z.shape), into: &sums[0], shape: z.shape, dtype: z.dtype)
            Tape.add(gz.im!.withShape(z.shape), into: &sums[1], shape: z.shape, dtype: z.dtype)
        }
        if needsW {
            var (sr, si) = (sums[2], sums[3])
            (sums[2], sums[3]) = (nil, nil)
            ComplexSupport.productAdding(g, z2, transA: true, conjB: true, into: &sr, &si, shape: weight.shape, op: op)
            (sums[2], sums[3]) = (sr, si)
        }
        if hasBias {
            Tape.add(columnSums(g.re, rows: rows, cols: outF), into: &sums[4], shape: [outF], dtype: z.dtype)
            Tape.add(columnSums(g.im!, rows: rows, cols: outF), into: &sums[5], shape: [outF], dtype: z.dtype)
        }
    })
    return ComplexTensor(real: outs[0], imag: outs[1])
}

/// `Σ_rows x` of a `[rows, cols]` tensor, shape `[cols]` (a bias gradient, untraced): row 0 copied,
/// then each later row added in order (`wt_column_sums_*`: one call, column ranges shared by the
/// threads). These are the additions of `x.summed(toShape: [1, cols])`, in its order, so the same
/// bits, vectorised, at any thread count.
func columnSums(_ x: Tensor, rows: Int, cols: Int) -> Tensor {
    guard rows > 0, cols > 0, x.count == rows * cols else { return x.summed(toShape: [1, cols]).withShape([cols]) }
    var out = [Tensor(uninitializedShape: [cols], dtype: x.dtype)]
    switch x.dtype {   // one C kernel per dtype
    case .float32:
        Tensor.withBaseAddresses(reading: [x], writing: &out, as: Float.self) { i, o in
            wt_column_sums_f32(i[0], rows, cols, o[0])
        }
    case .float64:
        Tensor.withBaseAddresses(reading: [x], writing: &out, as: Double.self) { i, o in
            wt_column_sums_f64(i[0], rows, cols, o[0])
        }
    }
    return out[0]
}

/// Complex bilinear form `y_k = Σ_ij c(z1_i)·W_kij·z2_j + b_k` with `c` = conjugation when
/// `conjugate` (a sesquilinear form, cplxmodule's default) and the identity otherwise.
///
/// - Parameters:
///   - z1: `[…, in1]`.
///   - z2: `[…, in2]` with the same leading dimensions as `z1`.
///   - weight: `[out, in1, in2]`.
///   - bias: `[out]`, or `nil`.
/// - Returns: `[…, out]`.
///
/// With `a = c(z1)` and `P_k = a·W_k` (`[rows, in2]`), `y_k = Σ_j P_kj·z2_j`. Pullback, with
/// `H_k = conj(z2)·ȳ_k`: `z̄2 = Σ_k conj(P_k)·ȳ_k`, `ā = Σ_k H_k·W_kᴴ`, `z̄1 = c(ā)`,
/// `W̄_k = aᴴ·H_k`, `b̄ = Σ_rows ȳ`.
public func bilinear(_ z1: ComplexTensor, _ z2: ComplexTensor, _ weight: ComplexTensor, bias: ComplexTensor? = nil,
                     conjugate: Bool = true) -> ComplexTensor {
    checkBilinearArguments(op: "complex bilinear", names: ("z1", "z2"), z1.shape, z2.shape, weight.shape, bias?.shape,
                           dtypes: z1.dtype, z2.dtype, weight.dtype, bias?.dtype)
    let (outF, in1, in2) = (weight.shape[0], weight.shape[1], weight.shape[2])
    let lead = Array(z1.shape.dropLast())
    let rows = lead.reduce(1, *)
    let a = ComplexSupport.view(ComplexSupport.Operand(z1), [1, rows, in1])        // conjugation applied through conjA
    let x2 = ComplexSupport.view(ComplexSupport.Operand(z2), [rows, in2])
    let w = ComplexSupport.Operand(weight.detached())
    // P[k, r, j] = Σ_i c(z1)[r, i]·W[k, i, j]
    let p = ComplexSupport.product(a, w, conjA: conjugate, op: "complex bilinear")
    // y[r, k] = Σ_j P[k, r, j]·z2[r, j] + b_k
    let y = complexBilinearContract(p.re, p.im!, x2, bias: bias?.detached(), outShape: lead + [outF])
    var inputs = [z1.real, z1.imag, z2.real, z2.imag, weight.real, weight.imag]
    if let bias { inputs += [bias.real, bias.imag] }
    return ComplexSupport.record("complex bilinear", y, inputs: inputs) { gr, gi in
        // z̄2[r, j] = Σ_k conj(P[k, r, j])·ȳ[r, k];  H[k, r, j] = conj(z2[r, j])·ȳ[r, k]
        let (g2, h) = complexBilinearCotangents(p.re, p.im!, x2, gr, gi, outF: outF)
        // ā[r, i] = Σ_k Σ_j H[k, r, j]·conj(W[k, i, j]); W̄[k] = conj(a)ᵀ·H[k]
        let ga = ComplexSupport.product(h, w, transB: true, conjB: true, outBatch: [1], op: "complex bilinear pullback")
        let gw = ComplexSupport.product(a, h, transA: true, conjA: !conjugate, op: "complex bilinear pullback")
        let g1r = ga.re.withShape(z1.shape)
        let g1i = conjugate ? ga.im!.negatedElements().withShape(z1.shape) : ga.im!.withShape(z1.shape)
        var grads: [Tensor?] = [g1r, g1i, g2.real.withShape(z2.shape), g2.imag.withShape(z2.shape), gw.re, gw.im!]
        if bias != nil {
            grads.append(gr.withShape([rows, outF]).summed(toShape: [1, outF]).withShape([outF]))
            grads.append(gi.withShape([rows, outF]).summed(toShape: [1, outF]).withShape([outF]))
        }
        return grads
    }
}

/// `y[r, k] = Σ_j P[k, r, j]·x2[r, j] + b_k` (complex, untraced): `p` is `[out, rows, in2]`, `x2`
/// `[rows, in2]`, the result `[rows, out]` viewed as `outShape` (`[…, out]`).
private func complexBilinearContract(_ pRe: Tensor, _ pIm: Tensor, _ x2: ComplexSupport.Operand, bias: ComplexTensor?,
                                     outShape: [Int]) -> ComplexTensor {
    let (rows, in2) = (x2.shape[0], x2.shape[1]), outF = outShape[outShape.count - 1], dtype = pRe.dtype
    var y = [Tensor(uninitializedShape: outShape, dtype: dtype), Tensor(uninitializedShape: outShape, dtype: dtype)]
    func forward<T: TensorScalar>(_: T.Type) {
        Tensor.withBaseAddresses(reading: [pRe, pIm, x2.re, x2.im!], writing: &y, as: T.self) { i, o in
            let (pr, pi, xr, xi, or, oi) = (i[0], i[1], i[2], i[3], o[0], o[1])
            for r in 0..<rows {
                for k in 0..<outF {
                    var sr: T = 0, si: T = 0
                    let base = (k * rows + r) * in2, xb = r * in2
                    for j in 0..<in2 {
                        let (u, v, c, d) = (pr[base + j], pi[base + j], xr[xb + j], xi[xb + j])
                        sr += u * c - v * d
                        si += u * d + v * c
                    }
                    or[r * outF + k] = sr; oi[r * outF + k] = si
                }
            }
            guard let bias else { return }
            Tensor.withBaseAddresses(reading: [bias.real, bias.imag], as: T.self) { b in
                let (br, bi) = (b[0], b[1])
                for r in 0..<rows { for k in 0..<outF { or[r * outF + k] += br[k]; oi[r * outF + k] += bi[k] } }
            }
        }
    }
    dtype.dispatch { forward($0) }
    return ComplexTensor(real: y[0], imag: y[1])
}

/// The elementwise part of the complex bilinear pullback (untraced), from `P` (`[out, rows, in2]`),
/// `x2` (`[rows, in2]`) and the cotangent `g = gr + i·gi` (`[rows, out]`):
/// `z̄2[r, j] = Σ_k conj(P[k, r, j])·g[r, k]` (`[rows, in2]`) and `H[k, r, j] = conj(x2[r, j])·g[r, k]`
/// (`[out, rows, in2]`).
private func complexBilinearCotangents(_ pRe: Tensor, _ pIm: Tensor, _ x2: ComplexSupport.Operand, _ gr: Tensor, _ gi: Tensor,
                                       outF: Int) -> (g2: ComplexTensor, h: ComplexSupport.Operand) {
    let (rows, in2) = (x2.shape[0], x2.shape[1]), dtype = pRe.dtype
    var out = [Tensor.zeros([rows, in2], dtype: dtype), Tensor.zeros([rows, in2], dtype: dtype),
               Tensor(uninitializedShape: [outF, rows, in2], dtype: dtype),
               Tensor(uninitializedShape: [outF, rows, in2], dtype: dtype)]
    func pullback<T: TensorScalar>(_: T.Type) {
        Tensor.withBaseAddresses(reading: [pRe, pIm, x2.re, x2.im!, gr, gi], writing: &out, as: T.self) { i, o in
            let (pr, pi, xr, xi, qr, qi) = (i[0], i[1], i[2], i[3], i[4], i[5])
            let (sr, si, tr, ti) = (o[0], o[1], o[2], o[3])
            for r in 0..<rows {
                for k in 0..<outF {
                    let c = qr[r * outF + k], d = qi[r * outF + k]
                    let base = (k * rows + r) * in2, xb = r * in2
                    for j in 0..<in2 {
                        let (u, v) = (pr[base + j], pi[base + j])
                        sr[xb + j] += u * c + v * d
                        si[xb + j] += u * d - v * c
                        let (e, f) = (xr[xb + j], xi[xb + j])
                        tr[base + j] = e * c + f * d
                        ti[base + j] = e * d - f * c
                    }
                }
            }
        }
    }
    dtype.dispatch { pullback($0) }
    return (ComplexTensor(real: out[0], imag: out[1]), ComplexSupport.Operand(re: out[2], im: out[3]))
}
