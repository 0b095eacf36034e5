// Complex convolutions: conv1d/2d/3d and convTranspose1d/2d/3d on complex inputs with complex
// weights, each ONE tape entry over the parts, built from the untraced real kernels of
// ConvolutionKernels.swift: a regular convolution as one real convolution of the stacked parts
// (ComplexConvolutionStacking.swift), a transposed one as three real ones (Gauss's form).
//
// PyTorch's cross-correlation with no conjugation of the kernel (cplxmodule's convention):
//   re = conv(xr, Wr) − conv(xi, Wi),   im = conv(xr, Wi) + conv(xi, Wr)   (+ bias per channel).
// A convolution is a sum of products w·x, so like C = A·B its pullback is
//   x̄ = adjointₓ(ȳ, conj W),   W̄ = adjoint_W(conj x, ȳ),   b̄ = Σ_{n, space} ȳ,
// where adjointₓ / adjoint_W are the real input- and weight-gradient kernels applied to complex
// operands (four real calls each). Derivation: Docs/Gradients.md.

/// The shared body of the complex convolutions (`transposed` selects the transposed kind);
/// accepts an unbatched input `[C, *S]` like the real ops.
private func complexConvolution(_ z: ComplexTensor, _ weight: ComplexTensor, bias: ComplexTensor?, _ geo: ConvGeometry,
                                transposed: Bool, op: String) -> ComplexTensor {
    let n = geo.spatialRank
    if z.rank == n + 1 {
        let y = complexConvolution(reshape(z, [1] + z.shape), weight, bias: bias, geo, transposed: transposed, op: op)
        return reshape(y, Array(y.shape.dropFirst()))
    }
    let (spatial, kernel) = convolutionShapes(z.shape, weight.shape, geo, transposed: transposed, op: op)
    require(z.dtype == weight.dtype, "\(op): input is \(z.dtype) but weight is \(weight.dtype)")
    if !transposed { return stackedConvolution(z, weight, bias: bias, geo, spatial: spatial, kernel: kernel, op: op) }
    // Transposed: Gauss's form over the real transposed kernels.
    let x = ComplexSupport.Operand(z.detached()), w = ComplexSupport.Operand(weight.detached())
    let y = ComplexSupport.combine(x, w, op: op) { convTransposeForwardRaw($0, $1, geo, op: op) }
    var yr = y.re, yi = y.im!
    let inputs = addBiasAndListInputs(&yr, &yi, z, weight, bias: bias, op: op)
    // A constant operand (data) needs no gradient: skip its four real convolutions.
    let needsZ = z.real.isTraced || z.imag.isTraced, needsW = weight.real.isTraced || weight.imag.isTraced
    return ComplexSupport.record(op, ComplexTensor(real: yr, imag: yi), inputs: inputs) { gr, gi in
        let g = ComplexSupport.Operand(re: gr, im: gi)
        let gx = !needsZ ? nil : ComplexSupport.combine(g, w, conjB: true, op: "\(op) pullback") { gy, wt in
            convTransposeInputGradRaw(gy, wt, inputSpatial: spatial, geo, op: op)
        }
        let gw = !needsW ? nil : ComplexSupport.combine(x, g, conjA: true, op: "\(op) pullback") { xt, gy in
            convTransposeWeightGradRaw(xt, gy, kernelSpatial: kernel, geo, op: op)
        }
        var grads: [Tensor?] = [gx?.re, gx?.im!, gw?.re, gw?.im!]
        if bias != nil { grads += [channelBiasGradRaw(gr), channelBiasGradRaw(gi)] }
        return grads
    }
}

/// Adds `bias` (`[C_out]`, complex) per output channel to the parts `yr`, `yi` (`[N, C_out, *O]`)
/// and returns the tape inputs of a complex convolution: the parts of `z`, of `weight` and, when
/// given, of `bias`.
private func addBiasAndListInputs(_ yr: inout Tensor, _ yi: inout Tensor, _ z: ComplexTensor, _ weight: ComplexTensor,
                                  bias: ComplexTensor?, op: String) -> [Tensor] {
    guard let bias else { return [z.real, z.imag, weight.real, weight.imag] }
    require(bias.dtype == z.dtype, "\(op): bias is \(bias.dtype) but input is \(z.dtype)")
    addChannelBiasRaw(&yr, bias.real.detached(), op: op)
    addChannelBiasRaw(&yi, bias.imag.detached(), op: op)
    return [z.real, z.imag, weight.real, weight.imag, bias.real, bias.imag]
}

/// The regular complex convolution as one real convolution of the stacked parts
/// (ComplexConvolutionStacking.swift): `[N, C_in, *S]` → `[N, C_out, *O]`, one tape entry over the
/// parts. Pullback: the real input and weight gradients of the stacked form, unstacked.
private func stackedConvolution(_ z: ComplexTensor, _ weight: ComplexTensor, bias: ComplexTensor?, _ geo: ConvGeometry,
                                spatial: [Int], kernel: [Int], op: String) -> ComplexTensor {
    let groups = geo.groups
    let x2 = StackedComplex.stack(z.real.detached(), z.imag.detached(), groups: groups)
    let w2 = StackedComplex.weight(weight.real.detached(), weight.imag.detached(), groups: groups)
    var (yr, yi) = StackedComplex.unstack(convolutionForwardRaw(x2, w2, geo, op: op), groups: groups)
    let inputs = addBiasAndListInputs(&yr, &yi, z, weight, bias: bias, op: op)
    // A constant operand (data) needs no gradient: skip its real convolution.
    let needsZ = z.real.isTraced || z.imag.isTraced, needsW = weight.real.isTraced || weight.imag.isTraced
    return ComplexSupport.record(op, ComplexTensor(real: yr, imag: yi), inputs: inputs) { gr, gi in
        let g2 = StackedComplex.stack(gr, gi, groups: groups)
        let gx = !needsZ ? nil
            : StackedComplex.unstack(convolutionInputGradRaw(g2, w2, inputSpatial: spatial, geo, op: op), groups: groups)
        let gw = !needsW ? nil
            : StackedComplex.weightGradient(convolutionWeightGradRaw(x2, g2, kernelSpatial: kernel, geo, op: op), groups: groups)
        var grads: [Tensor?] = [gx?.re, gx?.im, gw?.re, gw?.im]
        if bias != nil { grads += [channelBiasGradRaw(gr), channelBiasGradRaw(gi)] }
        return grads
    }
}

/// ``complexConvolution(_:_:bias:_:transposed:op:)`` named `complex conv{n}d` (`complex
/// convTranspose{n}d`), with the geometry made from the options and, for `.circular`, both parts
/// padded first: the body of every complex entry point.
private func complexConvolution(_ z: ComplexTensor, _ weight: ComplexTensor, bias: ComplexTensor?, rank n: Int,
                                transposed: Bool, stride: some SpatialOption, padding: some SpatialOption,
                                outputPadding: some SpatialOption = 0, dilation: some SpatialOption, groups: Int,
                                paddingMode: PaddingMode = .zeros) -> ComplexTensor {
    let op = "complex " + (transposed ? "convTranspose" : "conv") + "\(n)d"
    let geo = ConvGeometry(spatialRank: n, stride: stride, padding: padding, dilation: dilation,
                           outputPadding: outputPadding, groups: groups, op: op)
    let (input, resolved) = geo.resolving(z, paddingMode, circularPad)
    return complexConvolution(input, weight, bias: bias, resolved, transposed: transposed, op: op)
}

/// The complex convolution over `weight.rank − 2` spatial axes (1, 2 or 3): the rank-generic entry
/// point behind the complex ``conv1d(_:_:bias:stride:padding:dilation:groups:)``, `conv2d` and
/// `conv3d`, with PyTorch's `padding_mode`:
/// `y = (Wr⋆zr − Wi⋆zi) + i(Wi⋆zr + Wr⋆zi) + b`, ⋆ the real convolution of the padded input.
/// - Parameters:
///   - z: `[N, C_in, *S]` (or unbatched `[C_in, *S]`).
///   - weight: `[C_out, C_in/groups, *k]`.
///   - bias: `[C_out]` or `nil`.
///   - paddingMode: `.zeros` (default) or `.circular` (both parts padded by ``circularPad(_:_:)``).
/// - Returns: `[N, C_out, *S']` as for the real ``convolution(_:_:bias:stride:padding:dilation:groups:paddingMode:)``.
///
/// Pullback: `z̄ = convᵀ(ȳ, conj W)`, `W̄ = corr(conj z, ȳ)`, `b̄ = Σ ȳ`, composed with the padding's.
public func convolution(_ z: ComplexTensor, _ weight: ComplexTensor, bias: ComplexTensor? = nil,
                        stride: some SpatialOption = 1, padding: some SpatialOption = 0, dilation: some SpatialOption = 1,
                        groups: Int = 1, paddingMode: PaddingMode = .zeros) -> ComplexTensor {
    let n = convolutionSpatialRank(weight.shape, op: "complex convolution", layout: "[C_out, C_in/groups, *k]")
    return complexConvolution(z, weight, bias: bias, rank: n, transposed: false, stride: stride, padding: padding,
                              dilation: dilation, groups: groups, paddingMode: paddingMode)
}

/// The complex transposed convolution over `weight.rank − 2` spatial axes: the rank-generic entry
/// point behind the complex ``convTranspose1d(_:_:bias:stride:padding:outputPadding:dilation:groups:)``,
/// `convTranspose2d` and `convTranspose3d`. Weight `[C_in, C_out/groups, *k]`; shapes, math and
/// pullback as those.
public func convolutionTranspose(_ z: ComplexTensor, _ weight: ComplexTensor, bias: ComplexTensor? = nil,
                                 stride: some SpatialOption = 1, padding: some SpatialOption = 0,
                                 outputPadding: some SpatialOption = 0, dilation: some SpatialOption = 1,
                                 groups: Int = 1) -> ComplexTensor {
    let n = convolutionSpatialRank(weight.shape, op: "complex convolutionTranspose", layout: "[C_in, C_out/groups, *k]")
    return complexConvolution(z, weight, bias: bias, rank: n, transposed: true, stride: stride, padding: padding,
                              outputPadding: outputPadding, dilation: dilation, groups: groups)
}

/// Complex 1-d convolution (cplxmodule's `cplx.conv1d`): cross-correlation of `z` with the
/// complex kernel, no conjugation, `y = (Wr⋆zr − Wi⋆zi) + i(Wi⋆zr + Wr⋆zi) + b`.
/// - Parameters:
///   - z: `[N, C_in, L]` (or unbatched `[C_in, L]`).
///   - weight: `[C_out, C_in/groups, k]`.
///   - bias: `[C_out]` or `nil`.
///   - stride, padding, dilation: an `Int` or `[Int]` with one value; `groups` divides both channel counts.
/// - Returns: `[N, C_out, ⌊(L + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1]`.
///
/// Pullback: `z̄ = convᵀ(ȳ, conj W)`, `W̄ = corr(conj z, ȳ)`, `b̄ = Σ ȳ` (see the file header).
public func conv1d(_ z: ComplexTensor, _ weight: ComplexTensor, bias: ComplexTensor? = nil, stride: some SpatialOption = 1,
                   padding: some SpatialOption = 0, dilation: some SpatialOption = 1, groups: Int = 1) -> ComplexTensor {
    complexConvolution(z, weight, bias: bias, rank: 1, transposed: false, stride: stride, padding: padding, dilation: dilation,
                       groups: groups)
}

/// Complex 2-d convolution: `z` `[N, C_in, H, W]` (or `[C_in, H, W]`), weight
/// `[C_out, C_in/groups, kH, kW]`, bias `[C_out]`; options `Int` or `[h, w]`. Math and pullback as
/// ``conv1d(_:_:bias:stride:padding:dilation:groups:)`` for complex tensors.
public func conv2d(_ z: ComplexTensor, _ weight: ComplexTensor, bias: ComplexTensor? = nil, stride: some SpatialOption = 1,
                   padding: some SpatialOption = 0, dilation: some SpatialOption = 1, groups: Int = 1) -> ComplexTensor {
    complexConvolution(z, weight, bias: bias, rank: 2, transposed: false, stride: stride, padding: padding, dilation: dilation,
                       groups: groups)
}

/// Complex 3-d convolution: `z` `[N, C_in, D, H, W]` (or `[C_in, D, H, W]`), weight
/// `[C_out, C_in/groups, kD, kH, kW]`, bias `[C_out]`; options `Int` or `[d, h, w]`.
public func conv3d(_ z: ComplexTensor, _ weight: ComplexTensor, bias: ComplexTensor? = nil, stride: some SpatialOption = 1,
                   padding: some SpatialOption = 0, dilation: some SpatialOption = 1, groups: Int = 1) -> ComplexTensor {
    complexConvolution(z, weight, bias: bias, rank: 3, transposed: false, stride: stride, padding: padding, dilation: dilation,
                       groups: groups)
}

/// Complex 1-d transposed convolution (the input-adjoint of the real-style convolution, no
/// kernel conjugation): `y = (T(zr, Wr) − T(zi, Wi)) + i(T(zr, Wi) + T(zi, Wr)) + b`, T = PyTorch's
/// `conv_transpose1d`.
/// - Parameters:
///   - z: `[N, C_in, L]` (or unbatched `[C_in, L]`).
///   - weight: `[C_in, C_out/groups, k]`.
///   - bias: `[C_out]` or `nil`.
///   - outputPadding: extra size on the far end; smaller than stride or dilation.
/// - Returns: `[N, C_out, (L − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1]`.
///
/// Pullback: `z̄ = conv(ȳ, conj W)`, `W̄ = Tᵂ(conj z, ȳ)`, `b̄ = Σ ȳ`.
public func convTranspose1d(_ z: ComplexTensor, _ weight: ComplexTensor, bias: ComplexTensor? = nil, stride: some SpatialOption = 1,
                            padding: some SpatialOption = 0, outputPadding: some SpatialOption = 0,
                            dilation: some SpatialOption = 1, groups: Int = 1) -> ComplexTensor {
    complexConvolution(z, weight, bias: bias, rank: 1, transposed: true, stride: stride, padding: padding,
                       outputPadding: outputPadding, dilation: dilation, groups: groups)
}

/// Complex 2-d transposed convolution: `z` `[N, C_in, H, W]`, weight `[C_in, C_out/groups, kH, kW]`,
/// bias `[C_out]`. See ``convTranspose1d(_:_:bias:stride:padding:outputPadding:dilation:groups:)``.
public func convTranspose2d(_ z: ComplexTensor, _ weight: ComplexTensor, bias: ComplexTensor? = nil, stride: some SpatialOption = 1,
                            padding: some SpatialOption = 0, outputPadding: some SpatialOption = 0,
                            dilation: some SpatialOption = 1, groups: Int = 1) -> ComplexTensor {
    complexConvolution(z, weight, bias: bias, rank: 2, transposed: true, stride: stride, padding: padding,
                       outputPadding: outputPadding, dilation: dilation, groups: groups)
}

/// Complex 3-d transposed convolution: `z` `[N, C_in, D, H, W]`, weight
/// `[C_in, C_out/groups, kD, kH, kW]`, bias `[C_out]`.
/// See ``convTranspose1d(_:_:bias:stride:padding:outputPadding:dilation:groups:)``.
public func convTranspose3d(_ z: ComplexTensor, _ weight: ComplexTensor, bias: ComplexTensor? = nil, stride: some SpatialOption = 1,
                            padding: some SpatialOption = 0, outputPadding: some SpatialOption = 0,
                            dilation: some SpatialOption = 1, groups: Int = 1) -> ComplexTensor {
    complexConvolution(z, weight, bias: bias, rank: 3, transposed: true, stride: stride, padding: padding,
                       outputPadding: outputPadding, dilation: dilation, groups: groups)
}
