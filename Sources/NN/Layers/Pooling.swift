/// Hyper-parameters of a pooling layer.
public struct PoolingOptions: Sendable, Equatable {
    /// Window size per spatial axis.
    public let kernelSize: [Int]
    /// Step per axis (PyTorch's default: the kernel size).
    public let stride: [Int]
    /// Implicit padding on both sides per axis (−∞ for max pooling, zeros for average pooling);
    /// at most half the kernel size.
    public let padding: [Int]
    /// Spacing between window taps per axis (max pooling only; 1 for average pooling).
    public let dilation: [Int]
    /// Round the output size up instead of down (a window must still start inside the input
    /// or its left padding).
    public let ceilMode: Bool

    init(rank n: Int, layer: String, kernelSize: some SpatialOption, stride: some SpatialOption,
         padding: some SpatialOption, dilation: some SpatialOption, ceilMode: Bool) {
        self.kernelSize = spatialValues(kernelSize, n, name: "kernelSize", layer: layer)
        self.stride = spatialValues(stride, n, fallback: self.kernelSize, name: "stride", layer: layer)
        self.padding = spatialValues(padding, n, fallback: [Int](repeating: 0, count: n), name: "padding", layer: layer)
        self.dilation = spatialValues(dilation, n, fallback: [Int](repeating: 1, count: n), name: "dilation", layer: layer)
        self.ceilMode = ceilMode
        require(self.kernelSize.allSatisfy { $0 >= 1 } && self.stride.allSatisfy { $0 >= 1 }
                     && self.dilation.allSatisfy { $0 >= 1 },
                     "\(layer): kernelSize \(self.kernelSize), stride \(self.stride), dilation \(self.dilation) must be ≥ 1")
        for i in 0..<n {
            require(self.padding[i] >= 0 && 2 * self.padding[i] <= self.kernelSize[i],
                         "\(layer): padding \(self.padding) must be ≥ 0 and at most half the kernel size \(self.kernelSize)")
        }
    }
}

/// Max pooling by value (``MaxPool``) or by modulus (``ComplexMaxPool``): the constructor with
/// PyTorch's (= cplxmodule's) arguments and the call are written once.
public protocol MaxPoolLayer: SequentialLayer where Output == Input {
    /// The number of spatial axes.
    associatedtype Rank: SpatialRank
    /// The hyper-parameters.
    var options: PoolingOptions { get }
    /// The layer with `options` (`Rank.count` values per axis).
    init(options: PoolingOptions)
}

extension MaxPoolLayer {
    /// PyTorch's `MaxPoolNd(kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False)`
    /// (cplxmodule's `CplxMaxPoolNd` for complex input); omitting `stride` (or passing `Int?.none`)
    /// means the kernel size.
    public init(_ kernelSize: some SpatialOption, stride: some SpatialOption = Int?.none, padding: some SpatialOption = 0,
                dilation: some SpatialOption = 1, ceilMode: Bool = false) {
        self.init(options: PoolingOptions(rank: Rank.count, layer: Self.layerName, kernelSize: kernelSize, stride: stride,
                                          padding: padding, dilation: dilation, ceilMode: ceilMode))
    }
    /// `MaxPool2d`, `CplxMaxPool1d`, …: the layer's name in messages.
    static var layerName: String { (Input.kind == .complex ? "CplxMaxPool" : "MaxPool") + "\(Rank.count)d" }
    /// `options`, stopping with the layer's name unless they have `Rank.count` values per axis.
    static func validated(_ options: PoolingOptions) -> PoolingOptions {
        require(options.kernelSize.count == Rank.count, "\(layerName): options for \(options.kernelSize.count)-d pooling")
        return options
    }
}

extension MaxPoolLayer where Input == Tensor {
    /// The maximum of each window (``maxPool(_:kernelSize:stride:padding:dilation:ceilMode:)``, every
    /// rank): `[N, C, *S]` → `[N, C, *S']`.
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> Tensor {
        let o = options
        return maxPool(x, kernelSize: o.kernelSize, stride: o.stride, padding: o.padding, dilation: o.dilation, ceilMode: o.ceilMode)
    }
}

extension MaxPoolLayer where Input == ComplexTensor {
    /// Each window's element of largest `|z|` (the complex
    /// ``maxPool(_:kernelSize:stride:padding:dilation:ceilMode:)``, every rank): complex `[N, C, *S]` →
    /// `[N, C, *S']`.
    public func callAsFunction(_ z: ComplexTensor, parameters: ParameterTree, context: Context) -> ComplexTensor {
        let o = options
        return maxPool(z, kernelSize: o.kernelSize, stride: o.stride, padding: o.padding, dilation: o.dilation, ceilMode: o.ceilMode)
    }
}

/// Max pooling over `Rank.count` spatial axes (PyTorch's `nn.MaxPool1d/2d/3d`; use
/// ``MaxPool1d``, ``MaxPool2d``, ``MaxPool3d``): the maximum of each window.
///
/// Shapes: `[N, C, *S]` (or `[C, *S]`) → `[N, C, *S']`,
/// `S' = ⌊(S + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1` (⌈…⌉ with `ceilMode`).
/// No parameters. `return_indices` is not offered. Gradient: to the arg-max of each window.
public struct MaxPool<Rank: SpatialRank>: MaxPoolLayer {
    /// A real tensor `[N, C, *S]` (or `[C, *S]`); the output has the same kind.
    public typealias Input = Tensor
    /// The hyper-parameters.
    public let options: PoolingOptions
    /// The layer with `options` (``MaxPoolLayer`` has the constructor with PyTorch's arguments).
    public init(options: PoolingOptions) { self.options = Self.validated(options) }
}

/// Average pooling over `Rank.count` spatial axes (PyTorch's `nn.AvgPool1d/2d/3d`; use
/// ``AvgPool1d``, ``AvgPool2d``, ``AvgPool3d``): the mean of each window.
///
/// Shapes: `[N, C, *S]` (or `[C, *S]`) → `[N, C, *S']`, `S' = ⌊(S + 2·padding − k)/stride⌋ + 1`
/// (⌈…⌉ with `ceilMode`). With `countIncludePad` the padded zeros count in the divisor.
/// No parameters. PyTorch's `divisor_override` is not offered.
public struct AvgPool<Rank: SpatialRank>: SequentialLayer {
    /// The hyper-parameters (dilation is always 1).
    public let options: PoolingOptions
    /// Whether padded zeros count in the divisor (PyTorch's default `true`).
    public let countIncludePad: Bool

    /// PyTorch's `AvgPoolNd(kernel_size, stride=None, padding=0, ceil_mode=False,
    /// count_include_pad=True)`; omitting `stride` (or passing `Int?.none`) means the kernel size.
    public init(_ kernelSize: some SpatialOption, stride: some SpatialOption = Int?.none, padding: some SpatialOption = 0,
                ceilMode: Bool = false, countIncludePad: Bool = true) {
        options = PoolingOptions(rank: Rank.count, layer: "AvgPool\(Rank.count)d", kernelSize: kernelSize, stride: stride,
                                 padding: padding, dilation: 1, ceilMode: ceilMode)
        self.countIncludePad = countIncludePad
    }

    /// The mean of each window (``avgPool(_:kernelSize:stride:padding:ceilMode:countIncludePad:)``, every
    /// rank): `[N, C, *S]` → `[N, C, *S']`.
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> Tensor {
        let o = options
        return avgPool(x, kernelSize: o.kernelSize, stride: o.stride, padding: o.padding, ceilMode: o.ceilMode,
                       countIncludePad: countIncludePad)
    }
}

/// Complex max pooling (cplxmodule's `CplxMaxPool1d/2d/3d`; use ``CplxMaxPool1d``,
/// ``CplxMaxPool2d``, ``CplxMaxPool3d``): each window yields its element of largest modulus
/// |z| (both parts of that element).
///
/// Shapes as ``MaxPool``, on complex input. No parameters. cplxmodule's `return_indices` (which
/// it stores and ignores) is not offered.
public struct ComplexMaxPool<Rank: SpatialRank>: MaxPoolLayer {
    /// A complex tensor `[N, C, *S]` (or `[C, *S]`); the output has the same kind.
    public typealias Input = ComplexTensor
    /// The hyper-parameters.
    public let options: PoolingOptions
    /// The layer with `options` (``MaxPoolLayer`` has the constructor with cplxmodule's arguments).
    public init(options: PoolingOptions) { self.options = Self.validated(options) }
}

/// The mean over every spatial axis (PyTorch's `nn.AdaptiveAvgPool{1,2,3}d(1)` followed by a
/// flatten): `y[n, c] = mean over s of x[n, c, s]`. Pooling over time this way makes a signal
/// classifier's features independent of where in the window a pattern sits and of the window
/// length.
///
/// Shapes: `[N, C, *S]` (at least one spatial axis) → `[N, C]`. No parameters.
public struct GlobalAvgPool: SequentialLayer {
    /// The layer (no hyper-parameters).
    public init() {}
    /// `mean(x, axes: 2 ..< rank)`: `[N, C, *S]` → `[N, C]`.
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> Tensor {
        require(x.rank >= 3, "\(context.path): GlobalAvgPool needs [N, C, *S], got \(x.shape)")
        return mean(x, axes: Array(2..<x.rank))
    }
}
