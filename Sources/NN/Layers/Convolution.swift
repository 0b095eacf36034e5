/// The number of spatial axes of a convolution, pooling or batch-norm layer, as a type, so that
/// `Conv2d` and `Conv3d` are distinct types sharing one implementation.
public protocol SpatialRank: Sendable {
    /// 1, 2 or 3.
    static var count: Int { get }
}

/// One spatial axis (`Conv1d`, `MaxPool1d`, `BatchNorm1d`): inputs `[N, C, L]`.
public enum Spatial1D: SpatialRank { public static var count: Int { 1 } }
/// Two spatial axes (`Conv2d`, …): inputs `[N, C, H, W]`.
public enum Spatial2D: SpatialRank { public static var count: Int { 2 } }
/// Three spatial axes (`Conv3d`, …): inputs `[N, C, D, H, W]`.
public enum Spatial3D: SpatialRank { public static var count: Int { 3 } }

/// Expands an `Int`-or-per-axis option to `n` values (`fallback` for `nil`); stops naming
/// the layer and the option when it has neither 1 nor `n` values.
func spatialValues(_ option: some SpatialOption, _ n: Int, fallback: [Int]? = nil, name: String, layer: String) -> [Int] {
    guard let v = option.spatialValues else {
        guard let f = fallback else { fatalError("\(layer): \(name) is required") }
        return f
    }
    if v.count == 1 { return [Int](repeating: v[0], count: n) }
    require(v.count == n, "\(layer): \(name) \(v) must have 1 or \(n) values")
    return v
}

/// Hyper-parameters shared by every convolution layer (real, complex, regular, transposed).
public struct ConvolutionOptions: Sendable, Equatable {
    /// Input channels C_in.
    public let inChannels: Int
    /// Output channels C_out.
    public let outChannels: Int
    /// Kernel size per spatial axis.
    public let kernelSize: [Int]
    /// Step between output positions per axis.
    public let stride: [Int]
    /// Padding on both sides per axis, filled as ``paddingMode`` says.
    public let padding: [Int]
    /// PyTorch's `padding_mode`: `.zeros` (default) or `.circular` (regular convolutions only;
    /// PyTorch's `reflect` and `replicate` modes and string paddings are not offered).
    public let paddingMode: PaddingMode
    /// Spacing between kernel taps per axis.
    public let dilation: [Int]
    /// Extra output size on the far side per axis (transposed convolutions only; zeros otherwise).
    public let outputPadding: [Int]
    /// Channel groups; both channel counts must be divisible by it.
    public let groups: Int
    /// Whether the layer adds a learnable bias `[C_out]`.
    public let bias: Bool
    /// Transposed convolution (weight `[C_in, C_out/groups, *k]`) or regular (`[C_out, C_in/groups, *k]`).
    public let transposed: Bool

    init(rank n: Int, layer: String, inChannels: Int, outChannels: Int, kernelSize: some SpatialOption,
         stride: some SpatialOption, padding: some SpatialOption, dilation: some SpatialOption,
         outputPadding: some SpatialOption, groups: Int, bias: Bool, transposed: Bool, paddingMode: PaddingMode = .zeros) {
        require(inChannels > 0 && outChannels > 0, "\(layer): channel counts must be positive, got \(inChannels) → \(outChannels)")
        require(groups >= 1, "\(layer): groups must be ≥ 1, got \(groups)")
        require(inChannels % groups == 0, "\(layer): in_channels \(inChannels) must be divisible by groups \(groups)")
        require(outChannels % groups == 0, "\(layer): out_channels \(outChannels) must be divisible by groups \(groups)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = spatialValues(kernelSize, n, name: "kernelSize", layer: layer)
        self.stride = spatialValues(stride, n, fallback: [Int](repeating: 1, count: n), name: "stride", layer: layer)
        self.padding = spatialValues(padding, n, fallback: [Int](repeating: 0, count: n), name: "padding", layer: layer)
        self.dilation = spatialValues(dilation, n, fallback: [Int](repeating: 1, count: n), name: "dilation", layer: layer)
        self.outputPadding = spatialValues(outputPadding, n, fallback: [Int](repeating: 0, count: n), name: "outputPadding", layer: layer)
        require(self.kernelSize.allSatisfy { $0 >= 1 }, "\(layer): kernelSize must be ≥ 1, got \(self.kernelSize)")
        require(self.stride.allSatisfy { $0 >= 1 }, "\(layer): stride must be ≥ 1, got \(self.stride)")
        require(self.padding.allSatisfy { $0 >= 0 }, "\(layer): padding must be ≥ 0, got \(self.padding)")
        require(self.dilation.allSatisfy { $0 >= 1 }, "\(layer): dilation must be ≥ 1, got \(self.dilation)")
        if transposed {
            for (i, p) in self.outputPadding.enumerated() {
                require(p < self.stride[i] || p < self.dilation[i],
                             "\(layer): outputPadding \(self.outputPadding) must be smaller than stride \(self.stride) or dilation \(self.dilation)")
            }
        }
        require(!transposed || paddingMode == .zeros, "\(layer): only zeros padding is supported, got \(paddingMode)")
        self.paddingMode = paddingMode
        self.groups = groups
        self.bias = bias
        self.transposed = transposed
    }

    /// The weight shape: `[C_out, C_in/groups, *k]`, or `[C_in, C_out/groups, *k]` when transposed.
    public var weightShape: [Int] {
        transposed ? [inChannels, outChannels / groups] + kernelSize : [outChannels, inChannels / groups] + kernelSize
    }

    /// PyTorch's fan_in of the weight: `shape[1]·∏k` (`C_in/groups·∏k`, or `C_out/groups·∏k` when transposed).
    public var fanIn: Int { weightShape[1] * kernelSize.reduce(1, *) }

    /// The layer's convolution of `x` with `weight` and `bias`: the rank-generic
    /// ``convolutionTranspose(_:_:bias:stride:padding:outputPadding:dilation:groups:)`` when
    /// ``transposed``, ``convolution(_:_:bias:stride:padding:dilation:groups:paddingMode:)`` otherwise,
    /// with these options. Shapes as given for ``Convolution`` and ``ConvolutionTranspose``.
    public func convolve(_ x: Tensor, _ weight: Tensor, bias: Tensor?) -> Tensor {
        convolve(x, weight, bias, regular: convolution, transposed: convolutionTranspose)
    }

    /// The complex form of the real `convolve(_:_:bias:)` (the complex convolution ops).
    public func convolve(_ z: ComplexTensor, _ weight: ComplexTensor, bias: ComplexTensor?) -> ComplexTensor {
        convolve(z, weight, bias, regular: convolution, transposed: convolutionTranspose)
    }

    /// `transposedOp` or `regularOp` (the real or complex rank-generic entry points) applied to
    /// `x`, `weight`, `bias` with these options: where each option goes, written once.
    private func convolve<Value>(
        _ x: Value, _ weight: Value, _ bias: Value?,
        regular regularOp: (Value, Value, Value?, [Int], [Int], [Int], Int, PaddingMode) -> Value,
        transposed transposedOp: (Value, Value, Value?, [Int], [Int], [Int], [Int], Int) -> Value
    ) -> Value {
        transposed
            ? transposedOp(x, weight, bias, stride, padding, outputPadding, dilation, groups)
            : regularOp(x, weight, bias, stride, padding, dilation, groups, paddingMode)
    }

    /// cplxmodule's complex initialisation (``ComplexInit/layerDefault(weightShape:biasCount:convention:key:dtype:)``):
    /// weight parts U(±1/√(2·fan_in)), bias parts `[C_out]` U(±1/√fan_in); the fan convention does not
    /// matter for weights of 3 or more dimensions.
    func complexDefault(key: RandomKey, dtype: DType) -> ParameterTree {
        ComplexInit.layerDefault(weightShape: weightShape, biasCount: bias ? outChannels : nil, convention: .standard,
                                 key: key, dtype: dtype)
    }

    /// PyTorch's default real initialisation: W ~ U(±1/√fan_in) (Kaiming uniform, a = √5),
    /// b ~ U(±1/√fan_in), bias shape `[C_out]`.
    func realDefault(key: RandomKey, dtype: DType) -> ParameterTree {
        let (kw, kb) = key.split()
        let bound = 1 / Double(fanIn).squareRoot()
        var p: ParameterTree = ["weight": Init.kaimingUniform(weightShape, fanIn: fanIn, key: kw, dtype: dtype)]
        if bias { p["bias"] = Init.uniform([outChannels], bound: bound, key: kb, dtype: dtype) }
        return p
    }
}

/// What the four convolution layers (real, complex, regular, transposed) share: input, output and
/// weight are one kind of value (`Tensor` or `ComplexTensor`), the hyper-parameters give the
/// weight's shape, the bias flag, the initialisation and the forward
/// (`ConvolutionOptions.convolve(_:_:bias:)`), and the constructors with PyTorch's arguments are
/// written once (``RegularConvolutionLayer``, ``TransposedConvolutionLayer``).
public protocol ConvolutionLayer: WeightedLayer, SequentialLayer, ShapeChecking where Input == Weight, Output == Weight {
    /// The number of spatial axes.
    associatedtype Rank: SpatialRank
    /// The hyper-parameters.
    var options: ConvolutionOptions { get }
    /// The layer with `options` (as made by the layer's constructor: `Rank.count` values per
    /// axis, `transposed` for the transposed layers only).
    init(options: ConvolutionOptions)
}

extension ConvolutionLayer {
    /// ``ConvolutionOptions/weightShape``.
    public var weightShape: [Int] { options.weightShape }
    /// The `bias` option given at construction.
    public var hasBias: Bool { options.bias }
    /// The layer's name in messages: PyTorch's (`Conv2d`, `ConvTranspose1d`) or cplxmodule's (`CplxConv2d`).
    static func layerName(transposed: Bool) -> String {
        (Weight.kind == .complex ? "Cplx" : "") + (transposed ? "ConvTranspose" : "Conv") + "\(Rank.count)d"
    }
    /// `options`, stopping with the layer's name unless they fit this layer (rank and kind).
    static func validated(_ options: ConvolutionOptions, transposed: Bool) -> ConvolutionOptions {
        require(options.kernelSize.count == Rank.count && options.transposed == transposed,
                "\(layerName(transposed: transposed)): options for a \(options.kernelSize.count)-d "
                + "\(options.transposed ? "transposed" : "regular") convolution")
        return options
    }
}

extension ConvolutionLayer where Weight == Tensor {
    /// `weight` and (if `bias`) `bias [C_out]`, both U(±1/√fan_in) (PyTorch's default).
    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree { options.realDefault(key: key, dtype: dtype) }
    /// The convolution with the given weight and bias (every rank; see the layer's type).
    public func forward(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor { options.convolve(x, weight, bias: bias) }
}

extension ConvolutionLayer where Weight == ComplexTensor {
    /// `weight.imag`, `weight.real` and (if `bias`) `bias.imag`, `bias.real` `[C_out]`, drawn as
    /// cplxmodule does (weight parts U(±1/√(2·fan_in)), bias parts U(±1/√fan_in)).
    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree { options.complexDefault(key: key, dtype: dtype) }
    /// The complex convolution with the given weight and bias (every rank; see the layer's type).
    public func forward(_ z: ComplexTensor, weight: ComplexTensor, bias: ComplexTensor?) -> ComplexTensor {
        options.convolve(z, weight, bias: bias)
    }
}

/// A regular (not transposed) convolution layer, real or complex: ``Convolution``, ``ComplexConvolution``.
public protocol RegularConvolutionLayer: ConvolutionLayer {}

extension RegularConvolutionLayer {
    /// The layer with PyTorch's `ConvNd` arguments and defaults (cplxmodule's for `CplxConvNd`);
    /// each per-axis option is an `Int` (every axis) or `[Int]` (one per axis); `paddingMode` is
    /// PyTorch's `padding_mode` (`.zeros` or `.circular`).
    public init(_ inChannels: Int, _ outChannels: Int, _ kernelSize: some SpatialOption,
                stride: some SpatialOption = 1, padding: some SpatialOption = 0, dilation: some SpatialOption = 1,
                groups: Int = 1, bias: Bool = true, paddingMode: PaddingMode = .zeros) {
        self.init(options: ConvolutionOptions(rank: Rank.count, layer: Self.layerName(transposed: false), inChannels: inChannels,
                                              outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                                              dilation: dilation, outputPadding: 0, groups: groups, bias: bias,
                                              transposed: false, paddingMode: paddingMode))
    }
}

/// A convolution over `Rank.count` spatial axes (PyTorch's `nn.Conv1d/2d/3d`; use the
/// aliases ``Conv1d``, ``Conv2d``, ``Conv3d``).
///
/// `y[n, o, p] = b[o] + Σ_{c ∈ group(o), j} W[o, c, j]·x[n, c, p·stride − padding + j·dilation]`.
///
/// Shapes: input `[N, C_in, *S]` → output `[N, C_out, *S']` with
/// `S' = ⌊(S + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1` per axis.
/// Parameters: `weight [C_out, C_in/groups, *k]`, `bias [C_out]` (if `bias`).
/// Initialisation: PyTorch's default, W and b ~ U(±1/√fan_in), fan_in = C_in/groups·∏k.
/// Padding mode: `.zeros` or `.circular` (PyTorch's `padding_mode`).
public struct Convolution<Rank: SpatialRank>: RegularConvolutionLayer {
    /// Real weights, inputs and outputs.
    public typealias Weight = Tensor
    /// The hyper-parameters.
    public let options: ConvolutionOptions
    /// The layer with `options` (``RegularConvolutionLayer`` has the constructor with PyTorch's arguments).
    public init(options: ConvolutionOptions) { self.options = Self.validated(options, transposed: false) }
}

/// A transposed convolution layer, real or complex: ``ConvolutionTranspose``, ``ComplexConvolutionTranspose``.
public protocol TransposedConvolutionLayer: ConvolutionLayer {}

extension TransposedConvolutionLayer {
    /// The layer with PyTorch's `ConvTransposeNd` arguments, order and defaults (`stride`,
    /// `padding`, `outputPadding`, `groups`, `bias`, `dilation`); zero padding only.
    public init(_ inChannels: Int, _ outChannels: Int, _ kernelSize: some SpatialOption,
                stride: some SpatialOption = 1, padding: some SpatialOption = 0, outputPadding: some SpatialOption = 0,
                groups: Int = 1, bias: Bool = true, dilation: some SpatialOption = 1) {
        self.init(options: ConvolutionOptions(rank: Rank.count, layer: Self.layerName(transposed: true), inChannels: inChannels,
                                              outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                                              dilation: dilation, outputPadding: outputPadding, groups: groups, bias: bias,
                                              transposed: true))
    }
}

/// A transposed convolution over `Rank.count` spatial axes (PyTorch's
/// `nn.ConvTranspose1d/2d/3d`; use ``ConvTranspose1d``, ``ConvTranspose2d``, ``ConvTranspose3d``),
/// the adjoint of ``Convolution`` with respect to its input.
///
/// Shapes: input `[N, C_in, *S]` → output `[N, C_out, *S']` with
/// `S' = (S − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1` per axis.
/// Parameters: `weight [C_in, C_out/groups, *k]`, `bias [C_out]` (if `bias`).
/// Initialisation: PyTorch's default, W and b ~ U(±1/√fan_in) with PyTorch's fan_in of the
/// weight, C_out/groups·∏k. Padding mode: zeros only; the output size is fixed by
/// `outputPadding` (PyTorch's `forward(input, output_size)` is not offered).
public struct ConvolutionTranspose<Rank: SpatialRank>: TransposedConvolutionLayer {
    /// Real weights, inputs and outputs.
    public typealias Weight = Tensor
    /// The hyper-parameters.
    public let options: ConvolutionOptions
    /// The layer with `options` (``TransposedConvolutionLayer`` has the constructor with PyTorch's arguments).
    public init(options: ConvolutionOptions) { self.options = Self.validated(options, transposed: true) }
}

/// A bilinear form, real (``Bilinear``) or complex (``CplxBilinear``): `y_k = Σ_ij x1_i·W_kij·x2_j + b_k`
/// on a pair of inputs, weight `[out, in1, in2]`; the weight shape and bias flag are written once.
public protocol BilinearLayer: WeightedLayer where Input == (Weight, Weight), Output == Weight {
    /// Size of the last dimension of the first input.
    var in1Features: Int { get }
    /// Size of the last dimension of the second input.
    var in2Features: Int { get }
    /// Size of the last output dimension.
    var outFeatures: Int { get }
    /// Whether the layer has a `bias` `[out]`.
    var bias: Bool { get }
}

extension BilinearLayer {
    /// `[out, in1, in2]` (each part for complex weights).
    public var weightShape: [Int] { [outFeatures, in1Features, in2Features] }
    /// The `bias` flag given at construction.
    public var hasBias: Bool { bias }
}

/// `y_k = Σ_ij x1_i·W_kij·x2_j + b_k` (PyTorch's `nn.Bilinear`).
///
/// Shapes: inputs `([..., in1], [..., in2])` (same leading dimensions) → `[..., out]`.
/// Parameters: `weight [out, in1, in2]`, `bias [out]` (if `bias`). Initialisation: PyTorch's,
/// W and b ~ U(±1/√in1).
public struct Bilinear: BilinearLayer {
    /// Real weights; inputs are pairs `([…, in1], […, in2])`.
    public typealias Weight = Tensor
    /// Size of the last dimension of the first input.
    public let in1Features: Int
    /// Size of the last dimension of the second input.
    public let in2Features: Int
    /// Size of the last output dimension.
    public let outFeatures: Int
    /// Whether the layer adds a learnable bias.
    public let bias: Bool

    /// PyTorch's `Bilinear(in1_features, in2_features, out_features, bias=True)`.
    public init(_ in1Features: Int, _ in2Features: Int, _ outFeatures: Int, bias: Bool = true) {
        self.in1Features = in1Features; self.in2Features = in2Features; self.outFeatures = outFeatures; self.bias = bias
    }

    /// `weight [out, in1, in2]` and (if `bias`) `bias [out]`, both U(±1/√in1).
    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree {
        let (kw, kb) = key.split()
        let bound = 1 / Double(in1Features).squareRoot()
        var p: ParameterTree = ["weight": Init.uniform([outFeatures, in1Features, in2Features], bound: bound, key: kw, dtype: dtype)]
        if bias { p["bias"] = Init.uniform([outFeatures], bound: bound, key: kb, dtype: dtype) }
        return p
    }

    // callAsFunction comes from WeightedLayer: forward with the tree's `weight` and `bias`.
}

extension Bilinear {
    /// `y_k = Σ_ij x1_i·W_kij·x2_j + b_k`: inputs `([…, in1], […, in2])` → `[…, out]`.
    public func forward(_ x: (Tensor, Tensor), weight: Tensor, bias: Tensor?) -> Tensor {
        bilinear(x.0, x.1, weight, bias: bias)
    }
}
