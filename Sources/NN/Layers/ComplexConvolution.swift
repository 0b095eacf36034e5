/// A complex convolution over `Rank.count` spatial axes (cplxmodule's `CplxConv1d/2d/3d`; use
/// ``CplxConv1d``, ``CplxConv2d``, ``CplxConv3d``):
/// `y = (Wr⋆u − Wi⋆v) + i(Wi⋆u + Wr⋆v) + b` for z = u + iv, ⋆ the real convolution of ``Convolution``.
///
/// Shapes: complex input `[N, C_in, *S]` (or unbatched `[C_in, *S]`, which cplxmodule
/// mishandles) → `[N, C_out, *S']` as for ``Convolution``.
/// Entries: `weight.imag/real [C_out, C_in/groups, *k]`, `bias.imag/real [C_out]` (if `bias`).
/// Initialisation: weight parts U(±1/√(2·fan_in)), bias parts U(±1/√fan_in), fan_in =
/// C_in/groups·∏k. Padding mode: `.zeros` or `.circular` with PyTorch's semantics (wrap-around on
/// every spatial axis; cplxmodule's own `circular` mode pads differently and is not copied).
public struct ComplexConvolution<Rank: SpatialRank>: RegularConvolutionLayer {
    /// Complex weights (`weight.real`, `weight.imag`), inputs and outputs.
    public typealias Weight = ComplexTensor
    /// The hyper-parameters.
    public let options: ConvolutionOptions
    /// The layer with `options` (``RegularConvolutionLayer`` has the constructor with cplxmodule's arguments).
    public init(options: ConvolutionOptions) { self.options = Self.validated(options, transposed: false) }
}

/// A complex transposed convolution (cplxmodule's `CplxConvTranspose1d/2d/3d`, working; use
/// ``CplxConvTranspose1d``, ``CplxConvTranspose2d``, ``CplxConvTranspose3d``): the complex
/// version of ``ConvolutionTranspose``.
///
/// Differences from cplxmodule 2022.06, on purpose: the arguments follow **PyTorch's order**
/// (`stride, padding, outputPadding, groups, bias, dilation`; cplxmodule: `…, dilation,
/// output_padding, groups, bias`), and **`bias` defaults to `true`** like PyTorch (cplxmodule's
/// default `bias=None` gives no bias — pass `bias: false` for its default). cplxmodule's forward
/// always raises on torch ≥ 2 (it calls a private torch API with an old signature); this one works.
///
/// Shapes: complex `[N, C_in, *S]` → `[N, C_out, *S']`,
/// `S' = (S − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1`.
/// Entries: `weight.imag/real [C_in, C_out/groups, *k]`, `bias.imag/real [C_out]` (if `bias`).
/// Initialisation: weight parts U(±1/√(2·fan_in)), bias parts U(±1/√fan_in), fan_in =
/// C_out/groups·∏k (PyTorch's fan of the transposed weight). Padding mode: zeros only.
public struct ComplexConvolutionTranspose<Rank: SpatialRank>: TransposedConvolutionLayer {
    /// Complex weights (`weight.real`, `weight.imag`), inputs and outputs.
    public typealias Weight = ComplexTensor
    /// The hyper-parameters.
    public let options: ConvolutionOptions
    /// The layer with `options` (``TransposedConvolutionLayer`` has the constructor with PyTorch's arguments).
    public init(options: ConvolutionOptions) { self.options = Self.validated(options, transposed: true) }
}

// MARK: - Deprecated: `initConvention`, which never had an effect on complex convolutions

extension ConvolutionLayer where Weight == ComplexTensor {
    /// Always `.standard`: both conventions give the same fans for convolution weights.
    @available(*, deprecated, message: "initConvention has no effect on convolutions")
    public var initConvention: ComplexInitConvention { .standard }
}

extension RegularConvolutionLayer where Weight == ComplexTensor {
    /// The layer without `initConvention`, which never had an effect on convolutions.
    @available(*, deprecated, message: "initConvention has no effect on convolutions (both conventions agree for weights of 3 or more dimensions): drop the argument")
    public init(_ inChannels: Int, _ outChannels: Int, _ kernelSize: some SpatialOption,
                stride: some SpatialOption = 1, padding: some SpatialOption = 0, dilation: some SpatialOption = 1,
                groups: Int = 1, bias: Bool = true, initConvention: ComplexInitConvention) {
        self.init(inChannels, outChannels, kernelSize, stride: stride, padding: padding, dilation: dilation, groups: groups, bias: bias)
    }
}

extension TransposedConvolutionLayer where Weight == ComplexTensor {
    /// The layer without `initConvention`, which never had an effect on convolutions.
    @available(*, deprecated, message: "initConvention has no effect on convolutions (both conventions agree for weights of 3 or more dimensions): drop the argument")
    public init(_ inChannels: Int, _ outChannels: Int, _ kernelSize: some SpatialOption,
                stride: some SpatialOption = 1, padding: some SpatialOption = 0, outputPadding: some SpatialOption = 0,
                groups: Int = 1, bias: Bool = true, dilation: some SpatialOption = 1, initConvention: ComplexInitConvention) {
        self.init(inChannels, outChannels, kernelSize, stride: stride, padding: padding, outputPadding: outputPadding,
                  groups: groups, bias: bias, dilation: dilation)
    }
}
