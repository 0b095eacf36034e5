// Convolutions: conv1d/2d/3d and convTranspose1d/2d/3d in PyTorch's layouts, one code path
// for every spatial rank (im2col/col2im + GEMM in ConvolutionKernels.swift, whose header
// lists the untraced raw functions that complex convolutions build on).
//
// Each op (one shared body, `convolutionOp`): forward with the raw kernels, then `Tape.record`
// with the pullback:
//   regular:    x̄ = convolutionInputGradRaw(ȳ, w),  w̄ = convolutionWeightGradRaw(x, ȳ),  b̄ = Σ ȳ
//   transposed: x̄ = convolutionForwardRaw(ȳ, w),    w̄ = convolutionWeightGradRaw(ȳ, x),  b̄ = Σ ȳ

/// A per-spatial-axis option of a convolution or pooling op: one `Int` for every axis
/// (`stride: 2`), one value per axis (`stride: [2, 1]`), or, where the op allows it, `nil`
/// for the op's default (`Int?.none`).
public protocol SpatialOption: Sendable {
    /// The values given: one (for all axes) or one per axis; `nil` for "use the default".
    var spatialValues: [Int]? { get }
}

extension Int: SpatialOption {
    /// `[self]`: the same value on every axis.
    public var spatialValues: [Int]? { [self] }
}

extension Array: SpatialOption where Element == Int {
    /// `self`: one value per axis (or a single value for all axes).
    public var spatialValues: [Int]? { self }
}

extension Optional: SpatialOption where Wrapped: SpatialOption {
    /// The wrapped option's values, or `nil` (the op's default).
    public var spatialValues: [Int]? { self?.spatialValues }
}

/// Expands an option to `n` values (`default` for nil); stops naming `op` and `name` if it has
/// neither 1 nor `n` values, or, when `minimum` is given, if a value is below it.
func expandSpatial(_ option: some SpatialOption, _ n: Int, default value: Int, minimum: Int? = nil, name: String,
                   op: String) -> [Int] {
    guard let given = option.spatialValues else { return [Int](repeating: value, count: n) }
    require(given.count == 1 || given.count == n, "\(op): \(name) \(given) must have 1 or \(n) values")
    let v = given.count == 1 ? [Int](repeating: given[0], count: n) : given
    if let minimum { require(v.allSatisfy { $0 >= minimum }, "\(op): \(name) must be ≥ \(minimum), got \(v)") }
    return v
}

/// The spatial sizes `S` of an input `[N, C_in, *S]` and the kernel sizes `k` of a weight
/// `[C_out, C_in/groups, *k]` (`[C_in, C_out/groups, *k]` when `transposed`) with `geo`'s number of
/// spatial axes; stops naming `op` and the shape at fault otherwise. Real and complex convolutions.
func convolutionShapes(_ input: [Int], _ weight: [Int], _ geo: ConvGeometry, transposed: Bool,
                       op: String) -> (spatial: [Int], kernel: [Int]) {
    let n = geo.spatialRank
    let layout = transposed ? "[C_in, C_out/groups, \(n) kernel sizes]" : "[C_out, C_in/groups, \(n) kernel sizes]"
    require(input.count == n + 2, "\(op): input must be [N, C_in, \(n) spatial] or [C_in, \(n) spatial], got \(input)")
    require(weight.count == n + 2, "\(op): weight must be \(layout), got \(weight)")
    return (Array(input.dropFirst(2)), Array(weight.dropFirst(2)))
}

/// Shared body of the real convolutions, regular or `transposed` (`n` spatial axes). Accepts an
/// unbatched input `[C, *S]` like PyTorch (the result is then unbatched too).
func convolutionOp(_ x: Tensor, _ weight: Tensor, bias: Tensor?, _ geo: ConvGeometry, transposed: Bool, op: String) -> Tensor {
    let n = geo.spatialRank
    if x.rank == n + 1 {
        let y = convolutionOp(reshape(x, [1] + x.shape), weight, bias: bias, geo, transposed: transposed, op: op)
        return reshape(y, Array(y.shape.dropFirst()))
    }
    let (spatial, kernel) = convolutionShapes(x.shape, weight.shape, geo, transposed: transposed, op: op)
    var y = transposed ? convTransposeForwardRaw(x.detached(), weight.detached(), geo, op: op)
                       : convolutionForwardRaw(x.detached(), weight.detached(), geo, op: op)
    if let bias { addChannelBiasRaw(&y, bias.detached(), op: op) }
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    let needsX = x.isTraced, needsW = weight.isTraced   // skip the gradient of a constant operand
    return Tape.record(op, y, inputs: inputs) { g in
        var grads: [Tensor?] = [
            !needsX ? nil : transposed ? convTransposeInputGradRaw(g, weight.detached(), inputSpatial: spatial, geo, op: op)
                                       : convolutionInputGradRaw(g, weight.detached(), inputSpatial: spatial, geo, op: op),
            !needsW ? nil : transposed ? convTransposeWeightGradRaw(x.detached(), g, kernelSpatial: kernel, geo, op: op)
                                       : convolutionWeightGradRaw(x.detached(), g, kernelSpatial: kernel, geo, op: op),
        ]
        if bias != nil { grads.append(channelBiasGradRaw(g)) }
        return grads
    }
}

/// ``convolutionOp(_:_:bias:_:transposed:op:)`` named `conv{n}d`, with the geometry made from the
/// options and, for `.circular`, the input padded first: the body of every real regular entry point.
func convolutionOp(_ x: Tensor, _ weight: Tensor, bias: Tensor?, rank n: Int, stride: some SpatialOption,
                   padding: some SpatialOption, dilation: some SpatialOption, groups: Int,
                   paddingMode: PaddingMode = .zeros) -> Tensor {
    let op = "conv\(n)d"
    let geo = ConvGeometry(spatialRank: n, stride: stride, padding: padding, dilation: dilation, groups: groups, op: op)
    let (input, resolved) = geo.resolving(x, paddingMode, circularPad)
    return convolutionOp(input, weight, bias: bias, resolved, transposed: false, op: op)
}

/// ``convolutionOp(_:_:bias:_:transposed:op:)`` named `convTranspose{n}d`, with the geometry made
/// from the options: the body of every real transposed entry point.
func convTransposeOp(_ x: Tensor, _ weight: Tensor, bias: Tensor?, rank n: Int, stride: some SpatialOption,
                     padding: some SpatialOption, outputPadding: some SpatialOption, dilation: some SpatialOption,
                     groups: Int) -> Tensor {
    let op = "convTranspose\(n)d"
    let geo = ConvGeometry(spatialRank: n, stride: stride, padding: padding, dilation: dilation,
                           outputPadding: outputPadding, groups: groups, op: op)
    return convolutionOp(x, weight, bias: bias, geo, transposed: true, op: op)
}

/// How a convolution pads its input (PyTorch's `padding_mode`).
public enum PaddingMode: String, Sendable, Equatable, CaseIterable {
    /// Implicit zeros outside the input (PyTorch's default, `'zeros'`).
    case zeros
    /// Wrap-around on every spatial axis (PyTorch's `'circular'`): the input is padded by
    /// ``circularPad(_:_:)`` and then convolved without padding.
    case circular
}

extension ConvGeometry {
    /// The input and geometry that a convolution with `mode` runs: unchanged for `.zeros`; for
    /// `.circular` the input padded circularly by `padding` (`pad`) and a geometry without padding.
    func resolving<Value>(_ x: Value, _ mode: PaddingMode, _ pad: (Value, [Int]) -> Value) -> (Value, ConvGeometry) {
        guard mode == .circular, padding.contains(where: { $0 != 0 }) else { return (x, self) }
        var geo = self
        geo.padding = [Int](repeating: 0, count: padding.count)
        return (pad(x, padding), geo)
    }
}

/// The number of spatial axes of a convolution weight (`rank − 2`); stops naming `op` and the
/// shape unless it is 1, 2 or 3.
func convolutionSpatialRank(_ weight: [Int], op: String, layout: String) -> Int {
    let n = weight.count - 2
    require((1...3).contains(n), "\(op): weight must be \(layout) with 1 to 3 kernel sizes, got \(weight)")
    return n
}

/// The convolution over `weight.rank − 2` spatial axes (1, 2 or 3): the rank-generic entry point
/// behind ``conv1d(_:_:bias:stride:padding:dilation:groups:)``, `conv2d` and `conv3d`, which layers
/// call whatever their rank, and the one that offers PyTorch's `padding_mode`.
///
/// `y[n, o, p] = b[o] + Σ_{c ∈ group(o), j} W[o, c, j]·x̃[n, c, p·stride + j·dilation]` with x̃ the
/// input padded by `padding` on both sides of each axis: zeros, or wrap-around for `.circular`.
/// - Parameters:
///   - x: `[N, C_in, *S]` (or unbatched `[C_in, *S]`).
///   - weight: `[C_out, C_in/groups, *k]`; its rank − 2 is the number of spatial axes.
///   - bias: `[C_out]` or `nil`.
///   - stride, padding, dilation: an `Int` (every axis) or one value per axis.
///   - groups: channel groups dividing both channel counts.
///   - paddingMode: `.zeros` (default) or `.circular` (each padding at most its axis's size).
/// - Returns: `[N, C_out, *S']`, `S' = ⌊(S + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1`.
///
/// Pullback: as conv1d/2d/3d; for `.circular` composed with ``circularPad(_:_:)``'s.
public func convolution(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: some SpatialOption = 1,
                        padding: some SpatialOption = 0, dilation: some SpatialOption = 1, groups: Int = 1,
                        paddingMode: PaddingMode = .zeros) -> Tensor {
    let n = convolutionSpatialRank(weight.shape, op: "convolution", layout: "[C_out, C_in/groups, *k]")
    return convolutionOp(x, weight, bias: bias, rank: n, stride: stride, padding: padding, dilation: dilation, groups: groups,
                         paddingMode: paddingMode)
}

/// The transposed convolution over `weight.rank − 2` spatial axes: the rank-generic entry point
/// behind ``convTranspose1d(_:_:bias:stride:padding:outputPadding:dilation:groups:)``,
/// `convTranspose2d` and `convTranspose3d` (zero padding only, as in PyTorch).
/// - Parameters:
///   - x: `[N, C_in, *S]` (or unbatched `[C_in, *S]`).
///   - weight: `[C_in, C_out/groups, *k]`.
///   - bias: `[C_out]` or `nil`.
///   - outputPadding: extra size on the far side of each axis, smaller than stride or dilation.
/// - Returns: `[N, C_out, *S']`, `S' = (S − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1`.
public func convolutionTranspose(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: some SpatialOption = 1,
                                 padding: some SpatialOption = 0, outputPadding: some SpatialOption = 0,
                                 dilation: some SpatialOption = 1, groups: Int = 1) -> Tensor {
    let n = convolutionSpatialRank(weight.shape, op: "convolutionTranspose", layout: "[C_in, C_out/groups, *k]")
    return convTransposeOp(x, weight, bias: bias, rank: n, stride: stride, padding: padding, outputPadding: outputPadding,
                           dilation: dilation, groups: groups)
}

/// 1-d convolution (cross-correlation, like PyTorch's `F.conv1d`).
///
/// `y[n, o, t] = b[o] + Σ_{c ∈ group(o), j} W[o, c, j] · x[n, c, t·stride − padding + j·dilation]`
/// (zeros outside the input).
/// - Parameters:
///   - x: `[N, C_in, L]` (or unbatched `[C_in, L]`).
///   - weight: `[C_out, C_in/groups, k]`.
///   - bias: `[C_out]` or `nil`.
///   - stride, padding, dilation: an `Int` or `[Int]` with one value.
///   - groups: channel groups; `C_in` and `C_out` must be divisible by it.
/// - Returns: `[N, C_out, ⌊(L + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1]`.
public func conv1d(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: some SpatialOption = 1,
                   padding: some SpatialOption = 0, dilation: some SpatialOption = 1, groups: Int = 1) -> Tensor {
    convolutionOp(x, weight, bias: bias, rank: 1, stride: stride, padding: padding, dilation: dilation, groups: groups)
}

/// 2-d convolution (PyTorch's `F.conv2d`): x `[N, C_in, H, W]` (or `[C_in, H, W]`), weight
/// `[C_out, C_in/groups, kH, kW]`, bias `[C_out]`; per-axis options as `Int` or `[h, w]`.
/// Each output size is `⌊(S + 2p − d(k − 1) − 1)/s⌋ + 1`; see ``conv1d(_:_:bias:stride:padding:dilation:groups:)``
/// for the formula.
public func conv2d(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: some SpatialOption = 1,
                   padding: some SpatialOption = 0, dilation: some SpatialOption = 1, groups: Int = 1) -> Tensor {
    convolutionOp(x, weight, bias: bias, rank: 2, stride: stride, padding: padding, dilation: dilation, groups: groups)
}

/// 3-d convolution (PyTorch's `F.conv3d`): x `[N, C_in, D, H, W]` (or `[C_in, D, H, W]`),
/// weight `[C_out, C_in/groups, kD, kH, kW]`, bias `[C_out]`; per-axis options as `Int` or
/// `[d, h, w]`. Output sizes as for ``conv2d(_:_:bias:stride:padding:dilation:groups:)``.
public func conv3d(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: some SpatialOption = 1,
                   padding: some SpatialOption = 0, dilation: some SpatialOption = 1, groups: Int = 1) -> Tensor {
    convolutionOp(x, weight, bias: bias, rank: 3, stride: stride, padding: padding, dilation: dilation, groups: groups)
}

/// 1-d transposed convolution (PyTorch's `F.conv_transpose1d`), the adjoint of
/// ``conv1d(_:_:bias:stride:padding:dilation:groups:)`` with respect to its input:
/// `y[n, o, t·stride − padding + j·dilation] += W[c, o, j] · x[n, c, t]` (+ `b[o]`), with
/// output positions outside `[0, L_out)` dropped.
/// - Parameters:
///   - x: `[N, C_in, L]` (or unbatched `[C_in, L]`).
///   - weight: `[C_in, C_out/groups, k]`.
///   - bias: `[C_out]` or `nil`.
///   - outputPadding: extra size on the far end; must be smaller than stride or dilation.
/// - Returns: `[N, C_out, (L − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1]`.
public func convTranspose1d(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: some SpatialOption = 1,
                            padding: some SpatialOption = 0, outputPadding: some SpatialOption = 0,
                            dilation: some SpatialOption = 1, groups: Int = 1) -> Tensor {
    convTransposeOp(x, weight, bias: bias, rank: 1, stride: stride, padding: padding, outputPadding: outputPadding,
                    dilation: dilation, groups: groups)
}

/// 2-d transposed convolution (PyTorch's `F.conv_transpose2d`): x `[N, C_in, H, W]`, weight
/// `[C_in, C_out/groups, kH, kW]`, bias `[C_out]`; each output size is
/// `(S − 1)s − 2p + d(k − 1) + outputPadding + 1`. See
/// ``convTranspose1d(_:_:bias:stride:padding:outputPadding:dilation:groups:)``.
public func convTranspose2d(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: some SpatialOption = 1,
                            padding: some SpatialOption = 0, outputPadding: some SpatialOption = 0,
                            dilation: some SpatialOption = 1, groups: Int = 1) -> Tensor {
    convTransposeOp(x, weight, bias: bias, rank: 2, stride: stride, padding: padding, outputPadding: outputPadding,
                    dilation: dilation, groups: groups)
}

/// 3-d transposed convolution (PyTorch's `F.conv_transpose3d`): x `[N, C_in, D, H, W]`,
/// weight `[C_in, C_out/groups, kD, kH, kW]`, bias `[C_out]`. See
/// ``convTranspose2d(_:_:bias:stride:padding:outputPadding:dilation:groups:)``.
public func convTranspose3d(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: some SpatialOption = 1,
                            padding: some SpatialOption = 0, outputPadding: some SpatialOption = 0,
                            dilation: some SpatialOption = 1, groups: Int = 1) -> Tensor {
    convTransposeOp(x, weight, bias: bias, rank: 3, stride: stride, padding: padding, outputPadding: outputPadding,
                    dilation: dilation, groups: groups)
}
