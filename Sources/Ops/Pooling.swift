// Pooling: maxPool1d/2d/3d and avgPool1d/2d/3d with PyTorch's semantics (padding,
// dilation for max, ceil mode, count_include_pad for avg). Like the convolutions, every
// spatial rank runs through one 3-axis code path (missing leading axes are size 1).
//
// Internal API for other ops in this module (complex max-pooling by modulus takes the
// arg-max of |z| and gathers both parts with it):
//   PoolGeometry(spatialRank:kernelSize:stride:padding:dilation:ceilMode:op:)
//   poolOutputSpatial(input:_:)                 output size per axis
//   maxPoolRaw(x, geo) -> (values, indices)     indices: flat offsets into x of each arg-max (first max; NaN wins)
//   gatherFlat(t, indices:, shape:)             y[i] = t.flat[indices[i]] (0 where the index is −1)
//   scatterAddFlat(g, indices:, into: shape)    adjoint of gatherFlat: zeros(shape) with += g[i] at indices[i]
//   avgPoolRaw(x, geo, countIncludePad:) / avgPoolBackwardRaw(g, inputShape:, geo, countIncludePad:)

import Kernels

/// Geometry of an N-d pooling window (N = 1, 2, 3): kernel size, stride (defaults to the
/// kernel size), implicit padding, dilation and ceil mode, per spatial axis.
struct PoolGeometry: Sendable, Equatable {
    var kernel: [Int]
    var stride: [Int]
    var padding: [Int]
    var dilation: [Int]
    var ceilMode: Bool

    /// Expands Int-or-per-axis options (`stride` `nil` = kernel size) and validates them like
    /// PyTorch (padding at most half the kernel size).
    init(spatialRank n: Int, kernelSize: some SpatialOption, stride: some SpatialOption = Int?.none,
         padding: some SpatialOption = 0, dilation: some SpatialOption = 1, ceilMode: Bool = false, op: String) {
        require(kernelSize.spatialValues != nil, "\(op): kernelSize is required")
        kernel = expandSpatial(kernelSize, n, default: 1, minimum: 1, name: "kernelSize", op: op)
        self.stride = stride.spatialValues == nil
            ? kernel : expandSpatial(stride, n, default: 1, minimum: 1, name: "stride", op: op)
        self.padding = expandSpatial(padding, n, default: 0, name: "padding", op: op)
        self.dilation = expandSpatial(dilation, n, default: 1, minimum: 1, name: "dilation", op: op)
        self.ceilMode = ceilMode
        require(zip(self.padding, kernel).allSatisfy { $0 >= 0 && $0 <= $1 / 2 },
                     "\(op): padding \(self.padding) must be between 0 and half the kernel size \(kernel)")
    }

    var spatialRank: Int { kernel.count }

    /// The geometry lifted to 3 axes (leading axes: kernel 1, stride 1, no padding).
    func lifted() -> (k: [Int], s: [Int], p: [Int], d: [Int]) {
        let l = 3 - kernel.count
        func up(_ v: [Int], _ f: Int) -> [Int] { [Int](repeating: f, count: l) + v }
        return (up(kernel, 1), up(stride, 1), up(padding, 0), up(dilation, 1))
    }
}

/// Output size per axis: `⌊(S + 2p − d(k − 1) − 1)/s⌋ + 1` (⌈…⌉ in ceil mode, where a last
/// window that would start in the right padding is dropped).
func poolOutputSpatial(input: [Int], _ geo: PoolGeometry) -> [Int] {
    (0..<input.count).map { i in
        let num = input[i] + 2 * geo.padding[i] - geo.dilation[i] * (geo.kernel[i] - 1) - 1
        var o = (geo.ceilMode ? ceilDiv(num, geo.stride[i]) : floorDiv(num, geo.stride[i])) + 1
        if geo.ceilMode && (o - 1) * geo.stride[i] >= input[i] + geo.padding[i] { o -= 1 }
        return o
    }
}

/// Splits `shape` into (planes = product of the leading dims, spatial dims lifted to 3) and
/// the output shape; checks the rank and the output size.
private func poolShapes(_ shape: [Int], _ geo: PoolGeometry, op: String) -> (planes: Int, inS: [Int], outS: [Int], outShape: [Int]) {
    let n = geo.spatialRank
    require(shape.count == n + 1 || shape.count == n + 2,
                 "\(op): input must be [N, C, \(n) spatial] or [C, \(n) spatial], got \(shape)")
    let spatial = Array(shape.suffix(n))
    let out = poolOutputSpatial(input: spatial, geo)
    require(out.allSatisfy { $0 > 0 },
                 "\(op): output size \(out) is too small for input \(shape), kernel \(geo.kernel), stride \(geo.stride), "
                 + "padding \(geo.padding), dilation \(geo.dilation)")
    let lead = Array(shape.dropLast(n))
    let l = 3 - n
    return (lead.reduce(1, *), [Int](repeating: 1, count: l) + spatial, [Int](repeating: 1, count: l) + out, lead + out)
}

/// Max pooling, untraced. Returns the maxima and, for each, the flat offset into `x` of the
/// element it came from (the first maximum in window order; a NaN is taken over any number,
/// like PyTorch). A window without any input element (impossible under the padding rule)
/// gives −inf and index −1.
func maxPoolRaw(_ x: Tensor, _ geo: PoolGeometry, op: String = "maxPool") -> (values: Tensor, indices: [Int]) {
    let (planes, inS, outS, outShape) = poolShapes(x.shape, geo, op: op)
    let (k, s, p, d) = geo.lifted()
    var y = Tensor(uninitializedShape: outShape, dtype: x.dtype)
    var indices = [Int](repeating: -1, count: y.count)
    let inP = inS[0] * inS[1] * inS[2], outP = outS[0] * outS[1] * outS[2]
    // Every window inside the input (no padding reached, no ceil-mode overhang): the C kernel.
    let inside = (0..<3).allSatisfy { (a: Int) -> Bool in
        let last: Int = (outS[a] - 1) * s[a] + (k[a] - 1) * d[a]
        return p[a] == 0 && last < inS[a]
    }
    func run<T: TensorScalar>(_: T.Type, _ kernel: MaxPoolKernel<T>) {
        withBase(x, T.self) { px in
            withMutableBase(&y, T.self) { py in
                indices.withUnsafeMutableBufferPointer { indexBuffer in
                    let pi = indexBuffer.baseAddress!
                    if inside {
                        kernel(planes, inS, outS, k, s, d, px, py, pi)
                        return
                    }
                    let (K0, K1, K2) = (k[0], k[1], k[2]), (S0, S1, S2) = (inS[0], inS[1], inS[2])
                    let (s0, s1, s2) = (s[0], s[1], s[2]), (p0, p1, p2) = (p[0], p[1], p[2]), (d0, d1, d2) = (d[0], d[1], d[2])
                    parallelFor(planes, grain: 8) { planeRange in
                        for plane in planeRange {
                            let base = plane * inP
                            var o = plane * outP
                            for o0 in 0..<outS[0] { for o1 in 0..<outS[1] { for o2 in 0..<outS[2] {
                                // The first element of a window is taken, then any larger one or any NaN (as PyTorch).
                                var best = -T.infinity, bi = -1
                                for k0 in 0..<K0 {
                                    let i0 = o0 * s0 - p0 + k0 * d0
                                    if i0 < 0 || i0 >= S0 { continue }
                                    for k1 in 0..<K1 {
                                        let i1 = o1 * s1 - p1 + k1 * d1
                                        if i1 < 0 || i1 >= S1 { continue }
                                        let row = base + (i0 * S1 + i1) * S2
                                        for k2 in 0..<K2 {
                                            let i2 = o2 * s2 - p2 + k2 * d2
                                            if i2 < 0 || i2 >= S2 { continue }
                                            let v = px[row + i2]
                                            if v > best || v.isNaN || bi < 0 { best = v; bi = row + i2 }
                                        }
                                    }
                                }
                                py[o] = best; pi[o] = bi
                                o += 1
                            } } }
                        }
                    }
                }
            }
        }
    }
    switch x.dtype {
    case .float32: run(Float.self, wt_maxpool_inside_f32)
    case .float64: run(Double.self, wt_maxpool_inside_f64)
    }
    return (y, indices)
}

/// The C max-pooling kernel for windows inside the input (`wt_maxpool_inside_f32` / `_f64`).
private typealias MaxPoolKernel<T> = (Int, UnsafePointer<Int>, UnsafePointer<Int>, UnsafePointer<Int>, UnsafePointer<Int>,
                                      UnsafePointer<Int>, UnsafePointer<T>, UnsafeMutablePointer<T>, UnsafeMutablePointer<Int>) -> Void

/// `y[i] = t.flat[indices[i]]` as a tensor of `shape` (0 where the index is −1), untraced.
func gatherFlat(_ t: Tensor, indices: [Int], shape: [Int]) -> Tensor {
    require(indices.count == shape.reduce(1, *), "gatherFlat: \(indices.count) indices for shape \(shape)")
    var y = Tensor(uninitializedShape: shape, dtype: t.dtype)
    func run<T: TensorScalar>(_: T.Type) {
        withBase(t, T.self) { pt in
            withMutableBase(&y, T.self) { py in
                indices.withUnsafeBufferPointer { idx in
                    for i in 0..<idx.count { py[i] = idx[i] >= 0 ? pt[idx[i]] : 0 }
                }
            }
        }
    }
    t.dtype.dispatch { run($0) }
    return y
}

/// The adjoint of ``gatherFlat(_:indices:shape:)``: zeros of `shape` with `g[i]` added at
/// flat offset `indices[i]` (skipped where −1), untraced.
func scatterAddFlat(_ g: Tensor, indices: [Int], into shape: [Int]) -> Tensor {
    require(indices.count == g.count, "scatterAddFlat: \(indices.count) indices for \(g.count) values")
    var out = Tensor.zeros(shape, dtype: g.dtype)
    func run<T: TensorScalar>(_: T.Type) {
        withBase(g, T.self) { pg in
            withMutableBase(&out, T.self) { po in
                indices.withUnsafeBufferPointer { idx in
                    for i in 0..<idx.count where idx[i] >= 0 { po[idx[i]] += pg[i] }
                }
            }
        }
    }
    g.dtype.dispatch { run($0) }
    return out
}

/// Visits every average-pooling window: `body(outputIndex, divisor, lo, hi)` with the clipped
/// window bounds `[lo, hi)` per lifted axis and PyTorch's divisor.
@inline(__always)
private func forEachAvgWindow(planes: Int, inS: [Int], outS: [Int], _ geo: PoolGeometry, countIncludePad: Bool,
                              _ body: (_ o: Int, _ base: Int, _ divisor: Int, _ lo: (Int, Int, Int), _ hi: (Int, Int, Int)) -> Void) {
    let (k, s, p, _) = geo.lifted()
    let inP = inS[0] * inS[1] * inS[2]
    /// Padded and clipped window bounds along one axis.
    @inline(__always) func bounds(_ o: Int, _ a: Int) -> (lo: Int, hi: Int, padded: Int) {
        let start = o * s[a] - p[a]
        let end = Swift.min(start + k[a], inS[a] + p[a])
        return (Swift.max(start, 0), Swift.min(end, inS[a]), end - start)
    }
    var o = 0
    for plane in 0..<planes {
        for o0 in 0..<outS[0] {
            let a0 = bounds(o0, 0)
            for o1 in 0..<outS[1] {
                let a1 = bounds(o1, 1)
                for o2 in 0..<outS[2] {
                    let a2 = bounds(o2, 2)
                    let valid = Swift.max(0, a0.hi - a0.lo) * Swift.max(0, a1.hi - a1.lo) * Swift.max(0, a2.hi - a2.lo)
                    body(o, plane * inP, countIncludePad ? a0.padded * a1.padded * a2.padded : valid,
                         (a0.lo, a1.lo, a2.lo), (a0.hi, a1.hi, a2.hi))
                    o += 1
                }
            }
        }
    }
}

/// Average pooling, untraced: the mean of each window, dividing by the window size
/// including padding (`countIncludePad`) or by the number of input elements in it.
func avgPoolRaw(_ x: Tensor, _ geo: PoolGeometry, countIncludePad: Bool, op: String = "avgPool") -> Tensor {
    let (planes, inS, outS, outShape) = poolShapes(x.shape, geo, op: op)
    var y = Tensor(uninitializedShape: outShape, dtype: x.dtype)
    func run<T: TensorScalar>(_: T.Type) {
        withBase(x, T.self) { px in
            withMutableBase(&y, T.self) { py in
                forEachAvgWindow(planes: planes, inS: inS, outS: outS, geo, countIncludePad: countIncludePad) { o, base, div, lo, hi in
                    var sum: T = 0
                    for i0 in lo.0..<Swift.max(lo.0, hi.0) { for i1 in lo.1..<Swift.max(lo.1, hi.1) {
                        let row = px + base + (i0 * inS[1] + i1) * inS[2]
                        for i2 in lo.2..<Swift.max(lo.2, hi.2) { sum += row[i2] }
                    } }
                    py[o] = sum / T(div)
                }
            }
        }
    }
    x.dtype.dispatch { run($0) }
    return y
}

/// The adjoint of ``avgPoolRaw(_:_:countIncludePad:op:)``: each window spreads `g[o]/divisor`
/// over its input elements, giving a tensor of `inputShape`.
func avgPoolBackwardRaw(_ g: Tensor, inputShape: [Int], _ geo: PoolGeometry, countIncludePad: Bool,
                        op: String = "avgPool") -> Tensor {
    let (planes, inS, outS, outShape) = poolShapes(inputShape, geo, op: op)
    require(g.shape == outShape, "\(op): gradient \(g.shape) does not match output \(outShape)")
    var gx = Tensor.zeros(inputShape, dtype: g.dtype)
    func run<T: TensorScalar>(_: T.Type) {
        withBase(g, T.self) { pg in
            withMutableBase(&gx, T.self) { px in
                forEachAvgWindow(planes: planes, inS: inS, outS: outS, geo, countIncludePad: countIncludePad) { o, base, div, lo, hi in
                    let v = pg[o] / T(div)
                    for i0 in lo.0..<Swift.max(lo.0, hi.0) { for i1 in lo.1..<Swift.max(lo.1, hi.1) {
                        let row = px + base + (i0 * inS[1] + i1) * inS[2]
                        for i2 in lo.2..<Swift.max(lo.2, hi.2) { row[i2] += v }
                    } }
                }
            }
        }
    }
    g.dtype.dispatch { run($0) }
    return gx
}

// MARK: - Differentiable ops

func maxPoolOp(_ x: Tensor, _ geo: PoolGeometry, op: String) -> Tensor {
    let (y, indices) = maxPoolRaw(x.detached(), geo, op: op)
    return Tape.record(op, y, inputs: [x]) { g in [scatterAddFlat(g, indices: indices, into: x.shape)] }
}

func avgPoolOp(_ x: Tensor, _ geo: PoolGeometry, countIncludePad: Bool, op: String) -> Tensor {
    let y = avgPoolRaw(x.detached(), geo, countIncludePad: countIncludePad, op: op)
    return Tape.record(op, y, inputs: [x]) { g in
        [avgPoolBackwardRaw(g, inputShape: x.shape, geo, countIncludePad: countIncludePad, op: op)]
    }
}

/// 1-d max pooling (PyTorch's `F.max_pool1d`): `y[n, c, t] = max_j x[n, c, t·stride − padding + j·dilation]`
/// over the `kernelSize` taps inside the input (padding acts as −∞).
/// - Parameters:
///   - x: `[N, C, L]` or `[C, L]`.
///   - kernelSize: window size; `stride` defaults to it (`Int?.none`).
///   - padding: at most half the kernel size.
///   - ceilMode: round the output size up instead of down.
/// - Returns: `[N, C, ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1]`.
///
/// Pullback: each output's cotangent goes to the element that was its maximum (the first
/// one on ties).
public func maxPool1d(_ x: Tensor, kernelSize: some SpatialOption, stride: some SpatialOption = Int?.none,
                      padding: some SpatialOption = 0, dilation: some SpatialOption = 1, ceilMode: Bool = false) -> Tensor {
    maxPoolOp(x, PoolGeometry(spatialRank: 1, kernelSize: kernelSize, stride: stride, padding: padding,
                              dilation: dilation, ceilMode: ceilMode, op: "maxPool1d"), op: "maxPool1d")
}

/// 2-d max pooling (PyTorch's `F.max_pool2d`) over `[N, C, H, W]` or `[C, H, W]`; options are
/// an `Int` or `[h, w]`. See ``maxPool1d(_:kernelSize:stride:padding:dilation:ceilMode:)``.
public func maxPool2d(_ x: Tensor, kernelSize: some SpatialOption, stride: some SpatialOption = Int?.none,
                      padding: some SpatialOption = 0, dilation: some SpatialOption = 1, ceilMode: Bool = false) -> Tensor {
    maxPoolOp(x, PoolGeometry(spatialRank: 2, kernelSize: kernelSize, stride: stride, padding: padding,
                              dilation: dilation, ceilMode: ceilMode, op: "maxPool2d"), op: "maxPool2d")
}

/// 3-d max pooling (PyTorch's `F.max_pool3d`) over `[N, C, D, H, W]` or `[C, D, H, W]`.
/// See ``maxPool1d(_:kernelSize:stride:padding:dilation:ceilMode:)``.
public func maxPool3d(_ x: Tensor, kernelSize: some SpatialOption, stride: some SpatialOption = Int?.none,
                      padding: some SpatialOption = 0, dilation: some SpatialOption = 1, ceilMode: Bool = false) -> Tensor {
    maxPoolOp(x, PoolGeometry(spatialRank: 3, kernelSize: kernelSize, stride: stride, padding: padding,
                              dilation: dilation, ceilMode: ceilMode, op: "maxPool3d"), op: "maxPool3d")
}

/// 1-d average pooling (PyTorch's `F.avg_pool1d`): the sum over each window's input
/// elements divided by the window size clipped to the padded input (`countIncludePad`) or by
/// the number of input elements in the window.
/// - Parameters:
///   - x: `[N, C, L]` or `[C, L]`.
///   - kernelSize: window size; `stride` defaults to it (`Int?.none`).
///   - padding: zeros on both sides, at most half the kernel size.
/// - Returns: `[N, C, ⌊(L + 2p − k)/s⌋ + 1]` (⌈…⌉ with `ceilMode`).
///
/// Pullback: each output's cotangent divided by its divisor, added to every input element of its window.
public func avgPool1d(_ x: Tensor, kernelSize: some SpatialOption, stride: some SpatialOption = Int?.none,
                      padding: some SpatialOption = 0, ceilMode: Bool = false, countIncludePad: Bool = true) -> Tensor {
    avgPoolOp(x, PoolGeometry(spatialRank: 1, kernelSize: kernelSize, stride: stride, padding: padding,
                              ceilMode: ceilMode, op: "avgPool1d"), countIncludePad: countIncludePad, op: "avgPool1d")
}

/// 2-d average pooling (PyTorch's `F.avg_pool2d`) over `[N, C, H, W]` or `[C, H, W]`.
/// See ``avgPool1d(_:kernelSize:stride:padding:ceilMode:countIncludePad:)``.
public func avgPool2d(_ x: Tensor, kernelSize: some SpatialOption, stride: some SpatialOption = Int?.none,
                      padding: some SpatialOption = 0, ceilMode: Bool = false, countIncludePad: Bool = true) -> Tensor {
    avgPoolOp(x, PoolGeometry(spatialRank: 2, kernelSize: kernelSize, stride: stride, padding: padding,
                              ceilMode: ceilMode, op: "avgPool2d"), countIncludePad: countIncludePad, op: "avgPool2d")
}

/// 3-d average pooling (PyTorch's `F.avg_pool3d`) over `[N, C, D, H, W]` or `[C, D, H, W]`.
/// See ``avgPool1d(_:kernelSize:stride:padding:ceilMode:countIncludePad:)``.
public func avgPool3d(_ x: Tensor, kernelSize: some SpatialOption, stride: some SpatialOption = Int?.none,
                      padding: some SpatialOption = 0, ceilMode: Bool = false, countIncludePad: Bool = true) -> Tensor {
    avgPoolOp(x, PoolGeometry(spatialRank: 3, kernelSize: kernelSize, stride: stride, padding: padding,
                              ceilMode: ceilMode, op: "avgPool3d"), countIncludePad: countIncludePad, op: "avgPool3d")
}

// MARK: - Rank-generic entry points

/// The number of spatial axes of a pooling window (`kernelSize.count`); stops naming `op` unless
/// it is 1, 2 or 3.
func poolingSpatialRank(_ kernelSize: [Int], op: String) -> Int {
    require((1...3).contains(kernelSize.count), "\(op): kernelSize \(kernelSize) must have one value per spatial axis (1 to 3)")
    return kernelSize.count
}

/// Max pooling over `kernelSize.count` spatial axes (1, 2 or 3): the rank-generic entry point
/// behind ``maxPool1d(_:kernelSize:stride:padding:dilation:ceilMode:)``, `maxPool2d` and
/// `maxPool3d`, which layers call whatever their rank. `x`: `[N, C, *S]` or `[C, *S]`; the other
/// options an `Int` or one value per axis (`stride` nil: the kernel size). Returns `[N, C, *S']`
/// with `S' = ⌊(S + 2p − d(k − 1) − 1)/s⌋ + 1` (⌈…⌉ with `ceilMode`). Pullback: to each window's arg-max.
public func maxPool(_ x: Tensor, kernelSize: [Int], stride: [Int]? = nil, padding: some SpatialOption = 0,
                    dilation: some SpatialOption = 1, ceilMode: Bool = false) -> Tensor {
    let n = poolingSpatialRank(kernelSize, op: "maxPool"), op = "maxPool\(n)d"
    return maxPoolOp(x, PoolGeometry(spatialRank: n, kernelSize: kernelSize, stride: stride, padding: padding,
                                     dilation: dilation, ceilMode: ceilMode, op: op), op: op)
}

/// Average pooling over `kernelSize.count` spatial axes: the rank-generic entry point behind
/// ``avgPool1d(_:kernelSize:stride:padding:ceilMode:countIncludePad:)``, `avgPool2d` and
/// `avgPool3d`. Shapes `[N, C, *S]` → `[N, C, *S']`, `S' = ⌊(S + 2p − k)/s⌋ + 1` (⌈…⌉ with
/// `ceilMode`). Pullback: each output's cotangent over its divisor, to every element of its window.
public func avgPool(_ x: Tensor, kernelSize: [Int], stride: [Int]? = nil, padding: some SpatialOption = 0,
                    ceilMode: Bool = false, countIncludePad: Bool = true) -> Tensor {
    let n = poolingSpatialRank(kernelSize, op: "avgPool"), op = "avgPool\(n)d"
    return avgPoolOp(x, PoolGeometry(spatialRank: n, kernelSize: kernelSize, stride: stride, padding: padding,
                                     ceilMode: ceilMode, op: op), countIncludePad: countIncludePad, op: op)
}
