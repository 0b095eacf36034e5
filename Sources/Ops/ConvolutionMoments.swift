// The two convolutions of a variational convolution layer as one op (the local reparameterisation
// trick of Kingma et al. 2015 / Molchanov et al. 2017):
//
//   mean     = convNd(x, w) + b
//   variance = convNd(x², v)        (v: the weight variances σ²)
//
// Both products read the same receptive fields, and the column matrix of x² is the elementwise
// square of the column matrix of x, so each chunk of samples is laid out (im2col) once and squared
// in place for the second GEMM. The backward pass likewise lays x out once per chunk and forms the
// input gradient in column space before a single col2im:
//
//   x̄ = col2im(wᵀ·m̄ + 2·col(x) ⊙ vᵀ·s̄),   w̄ = Σ m̄·col(x)ᵀ,   v̄ = Σ s̄·(col(x)²)ᵀ,   b̄ = Σ m̄
//
// against two im2cols, two col2ims and an x² op for the two separate convolutions. The forward
// values equal those of the separate ops bit for bit; the gradients agree to rounding.

import Kernels

/// The mean and the variance of a convolution whose weights are independent with means `weight`
/// and variances `weightVariance`, in one pass:
/// `mean = convNd(x, weight) + bias`, `variance = convNd(x², weightVariance)`.
///
/// - Parameters:
///   - x: `[N, C_in, *S]`, or unbatched `[C_in, *S]` (the results are then unbatched too).
///   - weight: `[C_out, C_in/groups, *k]`; its rank − 2 is the number of spatial axes (1, 2 or 3).
///   - bias: `[C_out]`, added to the mean only.
///   - weightVariance: the shape of `weight`.
///   - stride, padding, dilation, groups: as in ``conv2d(_:_:bias:stride:padding:dilation:groups:)``.
///   - paddingMode: `.zeros` or `.circular` (x padded circularly once; the square of the padded x is
///     the padded x²), as in ``convolution(_:_:bias:stride:padding:dilation:groups:paddingMode:)``.
/// - Returns: `mean` and `variance`, both `[N, C_out, *O]`.
public func convolutionMoments(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, weightVariance: Tensor,
                               stride: some SpatialOption = 1, padding: some SpatialOption = 0,
                               dilation: some SpatialOption = 1, groups: Int = 1,
                               paddingMode: PaddingMode = .zeros) -> (mean: Tensor, variance: Tensor) {
    let n = weight.rank - 2, op = "convolutionMoments"
    require((1...3).contains(n), "\(op): weight must be [C_out, C_in/groups, *k] with 1 to 3 kernel sizes, got \(weight.shape)")
    require(weightVariance.shape == weight.shape && weightVariance.dtype == weight.dtype,
            "\(op): weightVariance \(weightVariance.shape) \(weightVariance.dtype) must match weight \(weight.shape) \(weight.dtype)")
    let geo = ConvGeometry(spatialRank: n, stride: stride, padding: padding, dilation: dilation, groups: groups, op: op)
    let (input, resolved) = geo.resolving(x, paddingMode, circularPad)
    return convolutionMomentsOp(input, weight, bias: bias, weightVariance, resolved, op: op)
}

func convolutionMomentsOp(_ x: Tensor, _ weight: Tensor, bias: Tensor?, _ variance: Tensor, _ geo: ConvGeometry,
                          op: String) -> (mean: Tensor, variance: Tensor) {
    let n = geo.spatialRank
    if x.rank == n + 1 {
        let (m, v) = convolutionMomentsOp(reshape(x, [1] + x.shape), weight, bias: bias, variance, geo, op: op)
        return (reshape(m, Array(m.shape.dropFirst())), reshape(v, Array(v.shape.dropFirst())))
    }
    require(x.rank == n + 2, "\(op): input must be [N, C_in, \(n) spatial] or [C_in, \(n) spatial], got \(x.shape)")
    let spatial = Array(x.shape.dropFirst(2)), kernel = Array(weight.shape.dropFirst(2))
    var (mean, s2) = convolutionMomentsForwardRaw(x.detached(), weight.detached(), variance.detached(), geo, op: op)
    if let bias { addChannelBiasRaw(&mean, bias.detached(), op: op) }
    let inputs = [x, weight, variance] + (bias.map { [$0] } ?? [])
    let needs = (x: x.isTraced, weight: weight.isTraced, variance: variance.isTraced)
    let outs = Tape.record(op, outputs: [mean, s2], inputs: inputs) { gs in
        let (gm, gv) = (gs[0], gs[1])
        let g = convolutionMomentsBackwardRaw(x.detached(), weight.detached(), variance.detached(), gm, gv,
                                              inputSpatial: spatial, kernelSpatial: kernel, geo, needs: needs, op: op)
        var grads: [Tensor?] = [g.x, g.weight, g.variance]
        if bias != nil { grads.append(channelBiasGradRaw(gm)) }
        return grads
    }
    return (outs[0], outs[1])
}

/// `c[i] = c[i]²` over `count` elements (`wt_square_inplace_f32`/`_f64`, vector code on the calling
/// thread: it runs inside a chunk, and the chunks are already spread over the threads).
private func squareInPlace<T: TensorScalar>(_ c: UnsafeMutablePointer<T>, _ count: Int) {
    if T.self == Float.self {
        wt_square_inplace_f32(UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), count)
    } else {
        wt_square_inplace_f64(UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), count)
    }
}

/// `g[i] = g[i]·(2·c[i])` over `count` elements (`wt_mul_twice_f32`/`_f64`, on the calling thread).
private func multiplyByTwice<T: TensorScalar>(_ g: UnsafeMutablePointer<T>, _ c: UnsafePointer<T>, _ count: Int) {
    if T.self == Float.self {
        wt_mul_twice_f32(UnsafeMutableRawPointer(g).assumingMemoryBound(to: Float.self),
                         UnsafeRawPointer(c).assumingMemoryBound(to: Float.self), count)
    } else {
        wt_mul_twice_f64(UnsafeMutableRawPointer(g).assumingMemoryBound(to: Double.self),
                         UnsafeRawPointer(c).assumingMemoryBound(to: Double.self), count)
    }
}

/// Untraced forward of ``convolutionMoments``: `(convNd(x, w), convNd(x², v))` without bias.
func convolutionMomentsForwardRaw(_ x: Tensor, _ w: Tensor, _ v: Tensor, _ geo: ConvGeometry, op: String) -> (Tensor, Tensor) {
    checkConvShapes(x.shape, w.shape, geo, op: op, transposed: false)
    require(x.dtype == w.dtype && v.dtype == w.dtype && v.shape == w.shape,
            "\(op): input \(x.dtype), weight \(w.shape) \(w.dtype) and variance \(v.shape) \(v.dtype) do not match")
    let spatial = Array(x.shape.dropFirst(2)), kernel = Array(w.shape.dropFirst(2))
    let out = convOutputSpatial(input: spatial, kernel: kernel, geo)
    require(out.allSatisfy { $0 > 0 }, "\(op): output size \(out) is invalid for input \(x.shape), weight \(w.shape), "
            + "stride \(geo.stride), padding \(geo.padding), dilation \(geo.dilation)")
    let pl = ConvPlan(batch: x.shape[0], cin: x.shape[1], cout: w.shape[0], input: spatial, kernel: kernel, output: out, geo)
    var mean = Tensor(uninitializedShape: [pl.batch, pl.cout] + out, dtype: x.dtype)
    var variance = Tensor(uninitializedShape: [pl.batch, pl.cout] + out, dtype: x.dtype)
    func run<T: TensorScalar>(_: T.Type) {
        withBase(x, T.self) { px in withBase(w, T.self) { pw in withBase(v, T.self) { pv in
            withMutableBase(&mean, T.self) { pm in withMutableBase(&variance, T.self) { ps in
                let K = pl.cinG * pl.kCount, P = pl.outCount
                forEachChunk(pl, T.self) { _, n0, nb, col, tmp in
                    let ld = nb * P
                    loadColumns(px, n0: n0, nb: nb, pl, into: col, ld: ld)
                    for g in 0..<pl.groups {
                        gemm(false, false, pl.coutG, ld, K, pw + g * pl.coutG * K, K, col + g * K * ld, ld, tmp + g * pl.coutG * ld, ld)
                    }
                    unpackChunk(tmp, into: pm, pl, n0: n0, nb: nb)
                    squareInPlace(col, pl.colRows * ld)
                    for g in 0..<pl.groups {
                        gemm(false, false, pl.coutG, ld, K, pv + g * pl.coutG * K, K, col + g * K * ld, ld, tmp + g * pl.coutG * ld, ld)
                    }
                    unpackChunk(tmp, into: ps, pl, n0: n0, nb: nb)
                }
            } }
        } } }
    }
    x.dtype.dispatch { run($0) }
    return (mean, variance)
}

/// The column matrix of samples `n0 ..< n0 + nb` (`colRows × nb·Πout`, rows `ld` apart): a copy of
/// the input for a pointwise plan (so that it can be squared in place), im2col otherwise.
private func loadColumns<T: TensorScalar>(_ x: UnsafePointer<T>, n0: Int, nb: Int, _ pl: ConvPlan,
                                          into col: UnsafeMutablePointer<T>, ld: Int) {
    let P = pl.outCount
    guard pl.isPointwise else { im2col(x + n0 * pl.cin * pl.inCount, samples: nb, pl, col, ld: ld); return }
    for j in 0..<nb { for c in 0..<pl.cin {
        (col + c * ld + j * P).update(from: x + ((n0 + j) * pl.cin + c) * P, count: P)
    } }
}

/// The adjoint of ``loadColumns(_:n0:nb:_:into:ld:)``: adds the column-space gradient `gcol` of
/// samples `n0 ..< n0 + nb` into the input gradient `gx` (col2im, or a plain add when pointwise).
private func addColumns<T: TensorScalar>(_ gcol: UnsafePointer<T>, n0: Int, nb: Int, _ pl: ConvPlan,
                                         into gx: UnsafeMutablePointer<T>, ld: Int) {
    let P = pl.outCount
    guard pl.isPointwise else { col2im(gcol, samples: nb, pl, gx + n0 * pl.cin * pl.inCount, ld: ld); return }
    for j in 0..<nb { for c in 0..<pl.cin {
        let dst = gx + ((n0 + j) * pl.cin + c) * P, src = gcol + c * ld + j * P
        for i in 0..<P { dst[i] += src[i] }
    } }
}

/// The operands of one backward pass of ``convolutionMoments``: inputs, output gradients, the
/// gradients asked for (nil otherwise) and one partial weight / variance gradient per chunk.
private struct MomentsBackward<T: TensorScalar> {
    let pl: ConvPlan
    let x, w, v, gm, gv: UnsafePointer<T>
    let gx: UnsafeMutablePointer<T>?
    let partialW, partialV: UnsafeMutablePointer<T>?
    /// Elements of the weight (and of its variance): `C_out · C_in/groups · Πk`.
    var wCount: Int { pl.cout * pl.cinG * pl.kCount }

    /// Chunk `c` (samples `n0 ..< n0 + nb`) with scratch for two column matrices (`col`, `gcol`)
    /// and two packed output gradients (`tm`, `tv`): lays x out once, then per group
    /// `w̄_c = m̄·colᵀ`, `x̄_col = wᵀ·m̄ + 2·col ⊙ vᵀ·s̄`, and after squaring the columns
    /// `v̄_c = s̄·(col²)ᵀ`; finally col2im of `x̄_col`.
    func chunk(_ c: Int, n0: Int, nb: Int, col: UnsafeMutablePointer<T>, gcol: UnsafeMutablePointer<T>,
               tm: UnsafeMutablePointer<T>, tv: UnsafeMutablePointer<T>) {
        let K = pl.cinG * pl.kCount, ld = nb * pl.outCount
        loadColumns(x, n0: n0, nb: nb, pl, into: col, ld: ld)
        packChunk(gm, into: tm, pl, n0: n0, nb: nb)
        packChunk(gv, into: tv, pl, n0: n0, nb: nb)
        for g in 0..<pl.groups {
            let (wg, vg) = (w + g * pl.coutG * K, v + g * pl.coutG * K)
            let (tmg, tvg) = (tm + g * pl.coutG * ld, tv + g * pl.coutG * ld)
            let (colg, gcolg) = (col + g * K * ld, gcol + g * K * ld)
            if let partialW {
                gemm(false, true, pl.coutG, K, ld, tmg, ld, colg, ld, partialW + c * wCount + g * pl.coutG * K, K)
            }
            if gx != nil {
                // vᵀ·s̄, times 2·col(x), plus wᵀ·m̄.
                gemm(true, false, K, ld, pl.coutG, vg, K, tvg, ld, gcolg, ld)
                multiplyByTwice(gcolg, colg, K * ld)
                gemm(true, false, K, ld, pl.coutG, wg, K, tmg, ld, gcolg, ld, accumulate: true)
            }
        }
        if let partialV {
            squareInPlace(col, pl.colRows * ld)
            for g in 0..<pl.groups {
                gemm(false, true, pl.coutG, K, ld, tv + g * pl.coutG * ld, ld, col + g * K * ld, ld,
                     partialV + c * wCount + g * pl.coutG * K, K)
            }
        }
        if let gx { addColumns(gcol, n0: n0, nb: nb, pl, into: gx, ld: ld) }
    }

    /// Every chunk, spread over the threads, each thread with its own scratch.
    func run() {
        let chunk = convChunkSize(pl), chunks = convChunkCount(pl), P = pl.outCount
        let (colCount, outCount) = (pl.colRows * chunk * P, pl.cout * chunk * P)
        parallelFor(chunks, grain: 1) { range in
            withScratch(2 * colCount + 2 * outCount, T.self) { scratch in
                for c in range {
                    let n0 = c * chunk
                    self.chunk(c, n0: n0, nb: Swift.min(chunk, pl.batch - n0), col: scratch, gcol: scratch + colCount,
                               tm: scratch + 2 * colCount, tv: scratch + 2 * colCount + outCount)
                }
            }
        }
    }
}

/// Untraced backward of ``convolutionMoments`` for output gradients `gm` (of the mean) and `gv` (of
/// the variance): the gradients of `x`, `w` and `v` asked for in `needs` (nil otherwise). The
/// weight and variance gradients are summed from one partial result per chunk, in chunk order.
func convolutionMomentsBackwardRaw(_ x: Tensor, _ w: Tensor, _ v: Tensor, _ gm: Tensor, _ gv: Tensor,
                                   inputSpatial: [Int], kernelSpatial: [Int], _ geo: ConvGeometry,
                                   needs: (x: Bool, weight: Bool, variance: Bool), op: String)
    -> (x: Tensor?, weight: Tensor?, variance: Tensor?) {
    let pl = ConvPlan(batch: x.shape[0], cin: x.shape[1], cout: w.shape[0], input: inputSpatial, kernel: kernelSpatial,
                      output: Array(gm.shape.dropFirst(2)), geo)
    var gx = needs.x ? Tensor.zeros(x.shape, dtype: x.dtype) : nil
    var gw = needs.weight ? Tensor.zeros(w.shape, dtype: w.dtype) : nil
    var gvw = needs.variance ? Tensor.zeros(v.shape, dtype: v.dtype) : nil
    let chunks = convChunkCount(pl), wCount = w.count
    func run<T: TensorScalar>(_: T.Type) {
        withBase(x, T.self) { px in withBase(w, T.self) { pw in withBase(v, T.self) { pv in
        withBase(gm, T.self) { pgm in withBase(gv, T.self) { pgv in
        withMutableBase(&gx, T.self) { pgx in withMutableBase(&gw, T.self) { pgw in withMutableBase(&gvw, T.self) { pgvw in
            withScratch(needs.weight ? chunks * wCount : 1, T.self) { partialW in
            withScratch(needs.variance ? chunks * wCount : 1, T.self) { partialV in
                MomentsBackward(pl: pl, x: px, w: pw, v: pv, gm: pgm, gv: pgv, gx: pgx,
                                partialW: needs.weight ? partialW : nil, partialV: needs.variance ? partialV : nil).run()
                if let pgw { addPartials(partialW, chunks: chunks, count: wCount, into: pgw) }
                if let pgvw { addPartials(partialV, chunks: chunks, count: wCount, into: pgvw) }
            } }
        } } } } } } } }
    }
    x.dtype.dispatch { run($0) }
    return (gx, gw, gvw)
}

/// `withMutableBase` on an optional tensor: its pointer, or nil when there is no tensor.
private func withMutableBase<T: TensorScalar>(_ t: inout Tensor?, _: T.Type,
                                              _ body: (UnsafeMutablePointer<T>?) -> Void) {
    if t == nil { body(nil); return }
    var unwrapped = t!
    t = nil   // one reference, so the buffer is written in place
    withMutableBase(&unwrapped, T.self) { body($0) }
    t = unwrapped
}
