// Complex max pooling by modulus (Zhang et al. 2017, cplxmodule's `cplx.max_pool*d`): in each
// window the element of largest |z| is selected and both of its parts are returned. One tape
// entry over the parts; the pullback routes each output's cotangent (both parts) to the
// selected element. Built on the real pooling's raw arg-max kernel (Pooling.swift).

/// Shared body: arg-max of |z| per window, then gather/scatter both parts at those offsets.
private func complexMaxPool(_ z: ComplexTensor, _ geo: PoolGeometry, op: String) -> ComplexTensor {
    let modulus = ComplexSupport.mapToReal(z.real, z.imag) { x, y in Double.hypot(x, y) }
    let (picked, indices) = maxPoolRaw(modulus, geo, op: op)
    let y = ComplexTensor(real: gatherFlat(z.real, indices: indices, shape: picked.shape),
                          imag: gatherFlat(z.imag, indices: indices, shape: picked.shape))
    return ComplexSupport.record(op, y, inputs: [z.real, z.imag]) { gr, gi in
        [scatterAddFlat(gr, indices: indices, into: z.shape), scatterAddFlat(gi, indices: indices, into: z.shape)]
    }
}

/// ``complexMaxPool(_:_:op:)`` named `complex maxPool{n}d`, with the geometry made from the
/// options: the body of every entry point.
private func complexMaxPool(_ z: ComplexTensor, rank n: Int, kernelSize: some SpatialOption, stride: some SpatialOption,
                            padding: some SpatialOption, dilation: some SpatialOption, ceilMode: Bool) -> ComplexTensor {
    let op = "complex maxPool\(n)d"
    return complexMaxPool(z, PoolGeometry(spatialRank: n, kernelSize: kernelSize, stride: stride, padding: padding,
                                          dilation: dilation, ceilMode: ceilMode, op: op), op: op)
}

/// 1-d max pooling by modulus: `y[n, c, t] = z[n, c, j*]` with `j*` the tap of largest `|z|` in
/// window `t` (the first one on ties; padding never wins).
/// - Parameters:
///   - z: `[N, C, L]` or `[C, L]`.
///   - kernelSize: window size; `stride` defaults to it (`Int?.none`).
///   - padding: at most half the kernel size.
///   - ceilMode: round the output size up instead of down.
/// - Returns: `[N, C, ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1]`.
///
/// Pullback: each output's complex cotangent goes to the selected element.
public func maxPool1d(_ z: ComplexTensor, kernelSize: some SpatialOption, stride: some SpatialOption = Int?.none,
                      padding: some SpatialOption = 0, dilation: some SpatialOption = 1, ceilMode: Bool = false) -> ComplexTensor {
    complexMaxPool(z, rank: 1, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
}

/// 2-d max pooling by modulus over `[N, C, H, W]` or `[C, H, W]`; options `Int` or `[h, w]`.
/// See ``maxPool1d(_:kernelSize:stride:padding:dilation:ceilMode:)``.
public func maxPool2d(_ z: ComplexTensor, kernelSize: some SpatialOption, stride: some SpatialOption = Int?.none,
                      padding: some SpatialOption = 0, dilation: some SpatialOption = 1, ceilMode: Bool = false) -> ComplexTensor {
    complexMaxPool(z, rank: 2, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
}

/// 3-d max pooling by modulus over `[N, C, D, H, W]` or `[C, D, H, W]`.
/// See ``maxPool1d(_:kernelSize:stride:padding:dilation:ceilMode:)``.
public func maxPool3d(_ z: ComplexTensor, kernelSize: some SpatialOption, stride: some SpatialOption = Int?.none,
                      padding: some SpatialOption = 0, dilation: some SpatialOption = 1, ceilMode: Bool = false) -> ComplexTensor {
    complexMaxPool(z, rank: 3, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
}

/// Max pooling by modulus over `kernelSize.count` spatial axes (1, 2 or 3): the rank-generic
/// entry point behind the complex ``maxPool1d(_:kernelSize:stride:padding:dilation:ceilMode:)``,
/// `maxPool2d` and `maxPool3d`. Complex `[N, C, *S]` → `[N, C, *S']` as for real max pooling;
/// pullback: each output's complex cotangent to the selected element.
public func maxPool(_ z: ComplexTensor, kernelSize: [Int], stride: [Int]? = nil, padding: some SpatialOption = 0,
                    dilation: some SpatialOption = 1, ceilMode: Bool = false) -> ComplexTensor {
    let n = poolingSpatialRank(kernelSize, op: "complex maxPool")
    return complexMaxPool(z, rank: n, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                          ceilMode: ceilMode)
}
