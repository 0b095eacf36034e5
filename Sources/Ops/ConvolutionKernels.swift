// Untraced convolution kernels shared by the real and the complex convolution ops.
//
// One code path serves 1-, 2- and 3-d: every geometry is lifted to 3 spatial axes (missing
// leading axes have size 1, kernel 1, stride 1, padding 0, dilation 1). A convolution is
// im2col (per sample: the receptive fields of all output positions as the columns of a
// `[C_in·Πk, Πout]` matrix) followed by one GEMM per group; its adjoint is a GEMM followed
// by col2im (scatter-add of the columns back into the input). The batch is walked in chunks of
// samples side by side, and the chunks are spread over the kernel threads (each chunk's im2col,
// GEMMs and col2im run on one thread). The weight gradient adds one partial result per chunk in
// chunk order, so every sum is taken in the same order at any thread count.
//
// Internal API for other ops in this module (e.g. the complex convolutions, which combine
// real convolutions of the parts). Shapes use PyTorch's layouts; none of these functions
// records anything on a tape:
//
//   ConvGeometry(spatialRank:stride:padding:dilation:outputPadding:groups:op:)
//       stride / padding / dilation / output padding per spatial axis, and groups.
//   convOutputSpatial(input:kernel:_:)            regular conv output size per axis
//   convTransposeOutputSpatial(input:kernel:_:)   transposed conv output size per axis
//
//   convolutionForwardRaw(x, w, geo)              x [N, C_in, *S], w [C_out, C_in/g, *k] → [N, C_out, *O]
//   convolutionInputGradRaw(gy, w, inputSpatial:, geo)
//                                                 ∂/∂x of ⟨gy, conv(x, w)⟩ → [N, C_in, *S]
//                                                 (= a transposed convolution of gy)
//   convolutionWeightGradRaw(x, gy, kernelSpatial:, geo)
//                                                 ∂/∂w of ⟨gy, conv(x, w)⟩ → [C_out, C_in/g, *k]
//   convTransposeForwardRaw(x, w, geo)            x [N, C_in, *S], w [C_in, C_out/g, *k] → [N, C_out, *O]
//   convTransposeInputGradRaw(gy, w, inputSpatial:, geo)    → [N, C_in, *S]   (a regular conv of gy)
//   convTransposeWeightGradRaw(x, gy, kernelSpatial:, geo)  → [C_in, C_out/g, *k]
//   addChannelBiasRaw(&y, b)                      y[n, c, …] += b[c]
//   channelBiasGradRaw(gy)                        Σ over n and space → [C]
//
// The `op` argument (default "conv") names the calling op in precondition messages.

import Kernels

/// The geometry of an N-d convolution (N = 1, 2 or 3): per spatial axis stride, padding
/// (zeros on both sides), dilation and output padding (transposed convolutions only), plus
/// the number of groups. Internal to `Ops`; shared by real and complex convolutions.
struct ConvGeometry: Sendable, Equatable {
    /// Step between output positions, per spatial axis (≥ 1).
    var stride: [Int]
    /// Implicit zeros added on both sides, per spatial axis (≥ 0).
    var padding: [Int]
    /// Spacing between kernel taps, per spatial axis (≥ 1).
    var dilation: [Int]
    /// Extra size added on one side of a transposed convolution's output, per axis (≥ 0).
    var outputPadding: [Int]
    /// Number of channel groups (≥ 1).
    var groups: Int

    /// Expands Int-or-per-axis options to `spatialRank` values each and validates them.
    init(spatialRank n: Int, stride: some SpatialOption = 1, padding: some SpatialOption = 0,
         dilation: some SpatialOption = 1, outputPadding: some SpatialOption = 0, groups: Int = 1, op: String = "conv") {
        self.stride = expandSpatial(stride, n, default: 1, minimum: 1, name: "stride", op: op)
        self.padding = expandSpatial(padding, n, default: 0, minimum: 0, name: "padding", op: op)
        self.dilation = expandSpatial(dilation, n, default: 1, minimum: 1, name: "dilation", op: op)
        self.outputPadding = expandSpatial(outputPadding, n, default: 0, minimum: 0, name: "outputPadding", op: op)
        self.groups = groups
        require(groups >= 1, "\(op): groups must be ≥ 1, got \(groups)")
    }

    /// Number of spatial axes.
    var spatialRank: Int { stride.count }
}

/// Output size per axis of a regular convolution: `⌊(S + 2p − d(k − 1) − 1) / s⌋ + 1`
/// (may be ≤ 0 when the input is too small; callers check).
func convOutputSpatial(input: [Int], kernel: [Int], _ geo: ConvGeometry) -> [Int] {
    (0..<input.count).map { i in
        let num = input[i] + 2 * geo.padding[i] - geo.dilation[i] * (kernel[i] - 1) - 1
        return floorDiv(num, geo.stride[i]) + 1
    }
}

/// Output size per axis of a transposed convolution: `(S − 1)s − 2p + d(k − 1) + outputPadding + 1`.
func convTransposeOutputSpatial(input: [Int], kernel: [Int], _ geo: ConvGeometry) -> [Int] {
    (0..<input.count).map { i in
        (input[i] - 1) * geo.stride[i] - 2 * geo.padding[i] + geo.dilation[i] * (kernel[i] - 1) + geo.outputPadding[i] + 1
    }
}

@inline(__always) func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
@inline(__always) func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }

/// A convolution lifted to three spatial axes, with all sizes resolved.
struct ConvPlan {
    var batch, cin, cout, groups: Int
    var inS, k, outS, s, p, d: [Int]      // 3 entries each
    var cinG: Int { cin / groups }
    var coutG: Int { cout / groups }
    var kCount: Int { k[0] * k[1] * k[2] }
    var inCount: Int { inS[0] * inS[1] * inS[2] }
    var outCount: Int { outS[0] * outS[1] * outS[2] }
    /// Rows of the per-sample column matrix: C_in·Πk.
    var colRows: Int { cin * kCount }
    /// True when im2col is the identity (1×…×1 kernel, stride 1, no padding): the input is its own column matrix.
    var isPointwise: Bool { kCount == 1 && s == [1, 1, 1] && p == [0, 0, 0] && inS == outS }

    init(batch: Int, cin: Int, cout: Int, input: [Int], kernel: [Int], output: [Int], _ geo: ConvGeometry) {
        let lift = 3 - input.count
        func up(_ v: [Int], _ fill: Int) -> [Int] { [Int](repeating: fill, count: lift) + v }
        self.batch = batch; self.cin = cin; self.cout = cout; self.groups = geo.groups
        inS = up(input, 1); k = up(kernel, 1); outS = up(output, 1)
        s = up(geo.stride, 1); p = up(geo.padding, 0); d = up(geo.dilation, 1)
    }
}

extension ConvPlan {
    /// The lifted geometry for the C kernels, reading `cin` channels per sample.
    var kernelShape: wt_conv_shape {
        func triple(_ v: [Int]) -> (Int, Int, Int) { (v[0], v[1], v[2]) }
        return wt_conv_shape(channels: cin, in: triple(inS), out: triple(outS), k: triple(k), s: triple(s), p: triple(p), d: triple(d))
    }
}

/// Writes the column matrices of `samples` samples side by side (`wt_im2col_f32`/`_f64`, split over
/// the kernel threads): sample `j` starts at `x + j·C_in·ΠS` and its columns are `j·Πout ..< (j+1)·Πout`
/// of `col`, `col[(c·Πk + kk), j·Πout + o] = x_j[c, o·s − p + kk·d]` (0 in the padding); rows of
/// `col` are `ld ≥ samples·Πout` elements apart.
func im2col<T: TensorScalar>(_ x: UnsafePointer<T>, samples: Int, _ pl: ConvPlan, _ col: UnsafeMutablePointer<T>, ld: Int) {
    var shape = pl.kernelShape
    let stride = pl.cin * pl.inCount
    if T.self == Float.self {
        wt_im2col_f32(&shape, samples, UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), stride,
                      UnsafeMutableRawPointer(col).assumingMemoryBound(to: Float.self), ld)
    } else {
        wt_im2col_f64(&shape, samples, UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), stride,
                      UnsafeMutableRawPointer(col).assumingMemoryBound(to: Double.self), ld)
    }
}

/// The adjoint of ``im2col(_:samples:_:_:ld:)`` (`wt_col2im_f32`/`_f64`): adds every column entry
/// back into the input position it was read from. The `samples` inputs at `x + j·C_in·ΠS` must be
/// initialised (zeros); rows of `col` are `ld` elements apart.
func col2im<T: TensorScalar>(_ col: UnsafePointer<T>, samples: Int, _ pl: ConvPlan, _ x: UnsafeMutablePointer<T>, ld: Int) {
    var shape = pl.kernelShape
    let stride = pl.cin * pl.inCount
    if T.self == Float.self {
        wt_col2im_f32(&shape, samples, UnsafeRawPointer(col).assumingMemoryBound(to: Float.self), ld,
                      UnsafeMutableRawPointer(x).assumingMemoryBound(to: Float.self), stride)
    } else {
        wt_col2im_f64(&shape, samples, UnsafeRawPointer(col).assumingMemoryBound(to: Double.self), ld,
                      UnsafeMutableRawPointer(x).assumingMemoryBound(to: Double.self), stride)
    }
}

/// Column matrices of several samples side by side are at most this many elements (0.5 MiB in
/// float32, about an L2 cache): small outputs get wide GEMMs without spilling the columns to memory.
let convColumnBudget = 1 << 17

/// Samples per chunk so that the chunk's column matrix (`colRows × chunk·Πout`) stays within budget.
func convChunkSize(_ pl: ConvPlan) -> Int {
    Swift.max(1, Swift.min(pl.batch, convColumnBudget / Swift.max(1, pl.colRows * pl.outCount)))
}

/// Runs `body` with scratch memory of `count` elements of `T`.
@inline(__always)
func withScratch<T: TensorScalar>(_ count: Int, _: T.Type, _ body: (UnsafeMutablePointer<T>) -> Void) {
    let buf = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, count))
    defer { buf.deallocate() }
    body(buf)
}

/// Walks the batch in chunks of ``convChunkSize(_:)`` samples: `body(c, n0, nb, col, tmp)` for
/// chunk `c` (samples `n0 ..< n0 + nb`) with scratch for the chunk's column matrix
/// (`colRows × nb·Πout`) and for an output-shaped matrix `[C_out, nb·Πout]` (samples side by side).
/// The chunks are spread over the kernel threads, each thread with its own scratch, so the GEMMs
/// inside run whole on one thread (one synchronisation per call instead of several per chunk).
/// The chunks depend on the plan only, never on the thread count; `body` must write disjoint
/// memory for different chunks.
@inline(__always)
func forEachChunk<T: TensorScalar>(_ pl: ConvPlan, _: T.Type,
                                   _ body: (_ chunk: Int, _ n0: Int, _ nb: Int, UnsafeMutablePointer<T>, UnsafeMutablePointer<T>) -> Void) {
    let chunk = convChunkSize(pl), chunks = (pl.batch + chunk - 1) / chunk
    let colCount = pl.colRows * chunk * pl.outCount
    parallelFor(chunks, grain: 1) { range in
        withScratch(colCount + pl.cout * chunk * pl.outCount, T.self) { scratch in
            for c in range {
                let n0 = c * chunk
                body(c, n0, Swift.min(chunk, pl.batch - n0), scratch, scratch + colCount)
            }
        }
    }
}

/// Number of chunks ``forEachChunk(_:_:_:)`` walks.
func convChunkCount(_ pl: ConvPlan) -> Int {
    let chunk = convChunkSize(pl)
    return (pl.batch + chunk - 1) / chunk
}

/// `sum[i] += Σ_c partials[c·count + i]` over `chunks` partial results, added in chunk order (the
/// order a serial walk accumulates in, whatever the thread count), split over the elements.
func addPartials<T: TensorScalar>(_ partials: UnsafePointer<T>, chunks: Int, count: Int, into sum: UnsafeMutablePointer<T>) {
    parallelFor(count, grain: 4096) { r in
        for c in 0..<chunks {
            let p = partials + c * count
            for i in r { sum[i] += p[i] }
        }
    }
}

/// `tmp[c, j·Πout + p] = y[n0 + j, c, p]`: samples `n0..<n0+nb` of an `[N, C_out, Πout]` tensor side by side.
@inline(__always)
func packChunk<T: TensorScalar>(_ y: UnsafePointer<T>, into tmp: UnsafeMutablePointer<T>, _ pl: ConvPlan, n0: Int, nb: Int) {
    let P = pl.outCount, ld = nb * P
    parallelFor(nb, grain: 1) { js in
        for j in js { for c in 0..<pl.cout { (tmp + c * ld + j * P).update(from: y + ((n0 + j) * pl.cout + c) * P, count: P) } }
    }
}

/// The inverse of ``packChunk(_:into:_:n0:nb:)``.
@inline(__always)
func unpackChunk<T: TensorScalar>(_ tmp: UnsafePointer<T>, into y: UnsafeMutablePointer<T>, _ pl: ConvPlan, n0: Int, nb: Int) {
    let P = pl.outCount, ld = nb * P
    parallelFor(nb, grain: 1) { js in
        for j in js { for c in 0..<pl.cout { (y + ((n0 + j) * pl.cout + c) * P).update(from: tmp + c * ld + j * P, count: P) } }
    }
}

func checkConvShapes(_ x: [Int], _ w: [Int], _ geo: ConvGeometry, op: String, transposed: Bool) {
    let n = geo.spatialRank
    require(x.count == n + 2, "\(op): input must be [N, C, \(n) spatial dims], got \(x) (weight \(w))")
    require(w.count == n + 2, "\(op): weight must have rank \(n + 2), got \(w) (input \(x))")
    if transposed {
        require(x[1] == w[0] && w[0] % geo.groups == 0,
                     "\(op): input \(x) has \(x[1]) channels but weight \(w) expects [C_in, C_out/groups, *k] with C_in = \(w[0]) divisible by groups = \(geo.groups)")
    } else {
        require(x[1] == w[1] * geo.groups && w[0] % geo.groups == 0,
                     "\(op): input \(x) and weight \(w) do not match for groups = \(geo.groups) (need weight [C_out, C_in/groups, *k] with C_out divisible by groups)")
    }
}

/// One GEMM per channel group, `C_g = op(A_g)·op(B_g)` (or `+=` with `accumulate`) for
/// g = 0 ..< groups, where block g of A, B and C starts `g·aStep`, `g·bStep`, `g·cStep` elements
/// after `a`, `b`, `c`: the product every convolution pass (forward, input and weight gradient)
/// runs over its groups.
private func groupedGEMM<T: TensorScalar>(_ groups: Int, _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                                          _ a: UnsafePointer<T>, _ lda: Int, aStep: Int,
                                          _ b: UnsafePointer<T>, _ ldb: Int, bStep: Int,
                                          _ c: UnsafeMutablePointer<T>, _ ldc: Int, cStep: Int, accumulate: Bool = false) {
    for g in 0..<groups {
        gemm(transA, transB, m, n, k, a + g * aStep, lda, b + g * bStep, ldb, c + g * cStep, ldc, accumulate: accumulate)
    }
}

/// Regular convolution, untraced: `y[n, o_c, p] = Σ_{c ∈ group(o_c), kk} w[o_c, c, kk] · x[n, c, p·s − pad + kk·d]`.
/// `x` `[N, C_in, *S]`, `w` `[C_out, C_in/groups, *k]` → `[N, C_out, *O]` with
/// `O = convOutputSpatial` (or `outputSpatial` when given; it must not exceed that).
func convolutionForwardRaw(_ x: Tensor, _ w: Tensor, _ geo: ConvGeometry, outputSpatial: [Int]? = nil,
                           op: String = "conv") -> Tensor {
    checkConvShapes(x.shape, w.shape, geo, op: op, transposed: false)
    require(x.dtype == w.dtype, "\(op): input is \(x.dtype) but weight is \(w.dtype)")
    let spatial = Array(x.shape.dropFirst(2)), kernel = Array(w.shape.dropFirst(2))
    let full = convOutputSpatial(input: spatial, kernel: kernel, geo)
    let out = outputSpatial ?? full
    require(out.allSatisfy { $0 > 0 } && zip(out, full).allSatisfy { $0 <= $1 },
                 "\(op): output size \(out) is invalid for input \(x.shape), weight \(w.shape), stride \(geo.stride), "
                 + "padding \(geo.padding), dilation \(geo.dilation)")
    let pl = ConvPlan(batch: x.shape[0], cin: x.shape[1], cout: w.shape[0], input: spatial, kernel: kernel, output: out, geo)
    var outputs = [Tensor(uninitializedShape: [pl.batch, pl.cout] + out, dtype: x.dtype)]
    func run<T: TensorScalar>(_: T.Type) {
        Tensor.withBaseAddresses(reading: [x, w], writing: &outputs, as: T.self) { inputs, written in
            let (px, pw, py) = (inputs[0], inputs[1], written[0])
            let K = pl.cinG * pl.kCount, P = pl.outCount
            func product(_ col: UnsafePointer<T>, _ n: Int) {
                groupedGEMM(pl.groups, false, false, pl.coutG, P, K, pw, K, aStep: pl.coutG * K, col, P, bStep: K * P,
                            py + n * pl.cout * P, P, cStep: pl.coutG * P)
            }
            if pl.isPointwise {
                for n in 0..<pl.batch { product(px + n * pl.cin * pl.inCount, n) }
            } else {
                // Chunks of samples side by side: one GEMM per group and chunk.
                forEachChunk(pl, T.self) { _, n0, nb, col, tmp in
                    let ld = nb * P
                    im2col(px + n0 * pl.cin * pl.inCount, samples: nb, pl, col, ld: ld)
                    groupedGEMM(pl.groups, false, false, pl.coutG, ld, K, pw, K, aStep: pl.coutG * K, col, ld, bStep: K * ld,
                                tmp, ld, cStep: pl.coutG * ld)
                    unpackChunk(tmp, into: py, pl, n0: n0, nb: nb)
                }
            }
        }
    }
    x.dtype.dispatch { run($0) }
    return outputs[0]
}

/// Gradient of a regular convolution with respect to its input, untraced: the adjoint
/// (a transposed convolution) of `gy` `[N, C_out, *O]` with `w` `[C_out, C_in/groups, *k]`,
/// giving `[N, C_in, *inputSpatial]`. `O` is read from `gy`.
func convolutionInputGradRaw(_ gy: Tensor, _ w: Tensor, inputSpatial: [Int], _ geo: ConvGeometry,
                             op: String = "conv") -> Tensor {
    let n = geo.spatialRank
    require(gy.rank == n + 2 && w.rank == n + 2 && inputSpatial.count == n && gy.shape[1] == w.shape[0]
                 && w.shape[0] % geo.groups == 0,
                 "\(op): output gradient \(gy.shape) does not match weight \(w.shape) and input size \(inputSpatial) (groups \(geo.groups))")
    require(gy.dtype == w.dtype, "\(op): gradient is \(gy.dtype) but weight is \(w.dtype)")
    let kernel = Array(w.shape.dropFirst(2)), out = Array(gy.shape.dropFirst(2))
    let full = convOutputSpatial(input: inputSpatial, kernel: kernel, geo)
    require(zip(out, full).allSatisfy { $0 <= $1 },
                 "\(op): output size \(out) is too large for input size \(inputSpatial) and weight \(w.shape)")
    let pl = ConvPlan(batch: gy.shape[0], cin: w.shape[1] * geo.groups, cout: w.shape[0], input: inputSpatial,
                      kernel: kernel, output: out, geo)
    var outputs = [Tensor.zeros([pl.batch, pl.cin] + inputSpatial, dtype: gy.dtype)]
    func run<T: TensorScalar>(_: T.Type) {
        Tensor.withBaseAddresses(reading: [gy, w], writing: &outputs, as: T.self) { inputs, written in
            let (pg, pw, px) = (inputs[0], inputs[1], written[0])
            let K = pl.cinG * pl.kCount, P = pl.outCount
            func product(_ col: UnsafeMutablePointer<T>, _ n: Int) {
                groupedGEMM(pl.groups, true, false, K, P, pl.coutG, pw, K, aStep: pl.coutG * K, pg + n * pl.cout * P, P,
                            bStep: pl.coutG * P, col, P, cStep: K * P)
            }
            if pl.isPointwise {
                for n in 0..<pl.batch { product(px + n * pl.cin * pl.inCount, n) }
            } else {
                forEachChunk(pl, T.self) { _, n0, nb, col, tmp in
                    let ld = nb * P
                    packChunk(pg, into: tmp, pl, n0: n0, nb: nb)
                    groupedGEMM(pl.groups, true, false, K, ld, pl.coutG, pw, K, aStep: pl.coutG * K, tmp, ld,
                                bStep: pl.coutG * ld, col, ld, cStep: K * ld)
                    col2im(col, samples: nb, pl, px + n0 * pl.cin * pl.inCount, ld: ld)
                }
            }
        }
    }
    gy.dtype.dispatch { run($0) }
    return outputs[0]
}

/// Gradient of a regular convolution with respect to its weight, untraced:
/// `w̄[o_c, c, kk] = Σ_{n, p} gy[n, o_c, p] · x[n, c, p·s − pad + kk·d]`, with `x` `[N, C_in, *S]`
/// and `gy` `[N, C_out, *O]`, giving `[C_out, C_in/groups, *kernelSpatial]`.
func convolutionWeightGradRaw(_ x: Tensor, _ gy: Tensor, kernelSpatial: [Int], _ geo: ConvGeometry,
                              op: String = "conv") -> Tensor {
    let n = geo.spatialRank
    require(x.rank == n + 2 && gy.rank == n + 2 && kernelSpatial.count == n && x.shape[0] == gy.shape[0]
                 && x.shape[1] % geo.groups == 0 && gy.shape[1] % geo.groups == 0,
                 "\(op): input \(x.shape) and output gradient \(gy.shape) do not match (kernel \(kernelSpatial), groups \(geo.groups))")
    require(x.dtype == gy.dtype, "\(op): input is \(x.dtype) but gradient is \(gy.dtype)")
    let spatial = Array(x.shape.dropFirst(2)), out = Array(gy.shape.dropFirst(2))
    let full = convOutputSpatial(input: spatial, kernel: kernelSpatial, geo)
    require(zip(out, full).allSatisfy { $0 <= $1 },
                 "\(op): output size \(out) is too large for input \(x.shape) and kernel \(kernelSpatial)")
    let pl = ConvPlan(batch: x.shape[0], cin: x.shape[1], cout: gy.shape[1], input: spatial, kernel: kernelSpatial,
                      output: out, geo)
    var outputs = [Tensor.zeros([pl.cout, pl.cinG] + kernelSpatial, dtype: x.dtype)]
    func run<T: TensorScalar>(_: T.Type) {
        Tensor.withBaseAddresses(reading: [x, gy], writing: &outputs, as: T.self) { inputs, written in
            let (px, pg, pw) = (inputs[0], inputs[1], written[0])
            let K = pl.cinG * pl.kCount, P = pl.outCount
            func product(_ col: UnsafePointer<T>, _ n: Int) {
                groupedGEMM(pl.groups, false, true, pl.coutG, K, P, pg + n * pl.cout * P, P, aStep: pl.coutG * P,
                            col, P, bStep: K * P, pw, K, cStep: pl.coutG * K, accumulate: true)
            }
            if pl.isPointwise {
                for n in 0..<pl.batch { product(px + n * pl.cin * pl.inCount, n) }
            } else {
                // One partial gradient per chunk, added in chunk order afterwards.
                let count = pl.cout * K, chunks = convChunkCount(pl)
                withScratch(chunks * count, T.self) { partials in
                    forEachChunk(pl, T.self) { c, n0, nb, col, tmp in
                        let ld = nb * P
                        im2col(px + n0 * pl.cin * pl.inCount, samples: nb, pl, col, ld: ld)
                        packChunk(pg, into: tmp, pl, n0: n0, nb: nb)
                        groupedGEMM(pl.groups, false, true, pl.coutG, K, ld, tmp, ld, aStep: pl.coutG * ld,
                                    col, ld, bStep: K * ld, partials + c * count, K, cStep: pl.coutG * K)
                    }
                    addPartials(partials, chunks: chunks, count: count, into: pw)
                }
            }
        }
    }
    x.dtype.dispatch { run($0) }
    return outputs[0]
}

/// Transposed convolution, untraced: `x` `[N, C_in, *S]`, `w` `[C_in, C_out/groups, *k]` →
/// `[N, C_out, *O]` with `O = convTransposeOutputSpatial` (includes `outputPadding`):
/// `y[n, o_c, p·s − pad + kk·d] += w[c, o_c, kk] · x[n, c, p]` — the input-gradient of the
/// regular convolution whose weight is `w`.
func convTransposeForwardRaw(_ x: Tensor, _ w: Tensor, _ geo: ConvGeometry, op: String = "convTranspose") -> Tensor {
    checkConvShapes(x.shape, w.shape, geo, op: op, transposed: true)
    require(x.dtype == w.dtype, "\(op): input is \(x.dtype) but weight is \(w.dtype)")
    let spatial = Array(x.shape.dropFirst(2)), kernel = Array(w.shape.dropFirst(2))
    require((0..<geo.spatialRank).allSatisfy { geo.outputPadding[$0] < Swift.max(geo.stride[$0], geo.dilation[$0]) },
                 "\(op): outputPadding \(geo.outputPadding) must be smaller than stride \(geo.stride) or dilation \(geo.dilation)")
    let out = convTransposeOutputSpatial(input: spatial, kernel: kernel, geo)
    require(out.allSatisfy { $0 > 0 },
                 "\(op): output size \(out) is invalid for input \(x.shape), weight \(w.shape), stride \(geo.stride), "
                 + "padding \(geo.padding), dilation \(geo.dilation), outputPadding \(geo.outputPadding)")
    return convolutionInputGradRaw(x, w, inputSpatial: out, geo, op: op)
}

/// Gradient of a transposed convolution with respect to its input, untraced: the regular
/// convolution of `gy` `[N, C_out, *O]` with `w` `[C_in, C_out/groups, *k]`, cropped to
/// `inputSpatial` → `[N, C_in, *inputSpatial]`.
func convTransposeInputGradRaw(_ gy: Tensor, _ w: Tensor, inputSpatial: [Int], _ geo: ConvGeometry,
                               op: String = "convTranspose") -> Tensor {
    convolutionForwardRaw(gy, w, geo, outputSpatial: inputSpatial, op: op)
}

/// Gradient of a transposed convolution with respect to its weight, untraced, for input
/// `x` `[N, C_in, *S]` and output gradient `gy` `[N, C_out, *O]` → `[C_in, C_out/groups, *kernelSpatial]`.
func convTransposeWeightGradRaw(_ x: Tensor, _ gy: Tensor, kernelSpatial: [Int], _ geo: ConvGeometry,
                                op: String = "convTranspose") -> Tensor {
    convolutionWeightGradRaw(gy, x, kernelSpatial: kernelSpatial, geo, op: op)
}

/// Adds a per-channel bias in place: `y[n, c, …] += b[c]` for `y` `[N, C, *S]` and `b` `[C]`.
func addChannelBiasRaw(_ y: inout Tensor, _ b: Tensor, op: String = "conv") {
    require(y.rank >= 2 && b.shape == [y.shape[1]], "\(op): bias \(b.shape) does not match output \(y.shape) (need [C_out])")
    require(y.dtype == b.dtype, "\(op): bias is \(b.dtype) but output is \(y.dtype)")
    let (batch, channels) = (y.shape[0], y.shape[1])
    let inner = y.shape.dropFirst(2).reduce(1, *)
    func run<T: TensorScalar>(_: T.Type) {
        withBase(b, T.self) { pb in
            withMutableBase(&y, T.self) { py in
                if T.self == Float.self {
                    wt_channel_bias_add_f32(UnsafeMutableRawPointer(py).assumingMemoryBound(to: Float.self),
                                            UnsafeRawPointer(pb).assumingMemoryBound(to: Float.self), batch, channels, inner)
                } else {
                    wt_channel_bias_add_f64(UnsafeMutableRawPointer(py).assumingMemoryBound(to: Double.self),
                                            UnsafeRawPointer(pb).assumingMemoryBound(to: Double.self), batch, channels, inner)
                }
            }
        }
    }
    y.dtype.dispatch { run($0) }
}

/// Gradient of a per-channel bias: `b̄[c] = Σ_{n, …} gy[n, c, …]` → `[C]`.
func channelBiasGradRaw(_ gy: Tensor) -> Tensor {
    let (batch, channels) = (gy.shape[0], gy.shape[1])
    let inner = gy.shape.dropFirst(2).reduce(1, *)
    var gb = Tensor.zeros([channels], dtype: gy.dtype)
    func run<T: TensorScalar>(_: T.Type) {
        withBase(gy, T.self) { pg in
            withMutableBase(&gb, T.self) { pb in
                // Over channels in parallel; each channel sums its samples in order, four running
                // sums per row (one would wait on the adder's latency every element).
                if T.self == Float.self {
                    wt_channel_sum_f32(UnsafeRawPointer(pg).assumingMemoryBound(to: Float.self), batch, channels, inner,
                                       UnsafeMutableRawPointer(pb).assumingMemoryBound(to: Float.self))
                } else {
                    wt_channel_sum_f64(UnsafeRawPointer(pg).assumingMemoryBound(to: Double.self), batch, channels, inner,
                                       UnsafeMutableRawPointer(pb).assumingMemoryBound(to: Double.self))
                }
            }
        }
    }
    gy.dtype.dispatch { run($0) }
    return gb
}
