// Sparse deployment of real and complex convolutions: the weight [C_out, C_in·Πk] in CSR form over
// the im2col rows (kernel taps) it uses, and the inference layers built on it. The arithmetic is
// the C kernels `wt_scsr_conv` / `wt_ccsr_conv` (Sources/Kernels/sparse_spmm.c).

import Autodiff
import Kernels
import NN
import Ops

/// A convolution weight `[C_out, C_in, *k]` (no groups) stored as CSR rows over its kernel taps.
///
/// Flattened to `[C_out, C_in·Πk]`, column `t = c·Πk + kk` is the input channel `c` at kernel
/// offset `kk` (row `t` of the im2col matrix). Only the `taps` some nonzero uses are kept:
/// `pattern` is `[C_out, taps.count]` and its column `j` stands for im2col row `taps[j]`.
/// A complex weight keeps its imaginary parts in `imaginaryValues`, aligned with `pattern.values`.
public struct ConvolutionCSR: Sendable, Equatable {
    /// The layer's hyper-parameters (stride, padding, dilation, kernel size, channels).
    public let options: ConvolutionOptions
    /// The used im2col rows, ascending.
    public let taps: [Int32]
    /// `[C_out, taps.count]` nonzeros; real parts for a complex weight.
    public let pattern: CSRMatrix
    /// Imaginary parts (complex weights), or nil for a real weight.
    public let imaginaryValues: [Float]?

    /// Number of stored (real or complex) weights.
    public var nonzeroCount: Int { pattern.nonzeroCount }
    /// Stored weights / (C_out · C_in · Πk).
    public var density: Double {
        let n = options.outChannels * options.inChannels * options.kernelSize.reduce(1, *)
        return n == 0 ? 0 : Double(pattern.nonzeroCount) / Double(n)
    }

    /// Compresses the real weight `weight ⊙ mask` (`weight [C_out, C_in, *k]`, optional `mask`
    /// of that shape; float32 or float64, stored as float32).
    /// - Precondition: `options` describe a regular convolution with one group and `weight` has its shape.
    public init(weight: Tensor, mask: Tensor? = nil, options: ConvolutionOptions) {
        Self.check(weight.shape, mask, options)
        let flat = [options.outChannels, weight.count / max(options.outChannels, 1)]
        let csr = CSRMatrix(dense: reshape(weight.detached(), flat), mask: mask.map { reshape($0.detached(), flat) })
        self.init(compacting: csr, imaginary: nil, options: options)
    }

    /// Compresses the complex weight `weight ⊙ mask` (the real mask multiplies both parts).
    /// - Precondition: as for the real initialiser.
    public init(weight: ComplexTensor, mask: Tensor? = nil, options: ConvolutionOptions) {
        Self.check(weight.shape, mask, options)
        let flat = [options.outChannels, weight.count / max(options.outChannels, 1)]
        let c = ComplexCSRMatrix(dense: reshape(weight.detached(), flat), mask: mask.map { reshape($0.detached(), flat) })
        self.init(compacting: c.pattern, imaginary: c.imaginaryValues, options: options)
    }

    private static func check(_ shape: [Int], _ mask: Tensor?, _ options: ConvolutionOptions) {
        require(!options.transposed && options.groups == 1,
                "ConvolutionCSR: sparse inference covers regular convolutions with one group, got groups \(options.groups)\(options.transposed ? ", transposed" : "")")
        require(shape == options.weightShape, "ConvolutionCSR: weight \(shape) does not match the layer's \(options.weightShape)")
        require(options.kernelSize.count <= 3, "ConvolutionCSR: at most 3 spatial axes, got \(options.kernelSize.count)")
        if let m = mask { require(m.shape == shape, "ConvolutionCSR: mask \(m.shape) does not match weight \(shape)") }
    }

    /// Keeps the columns of `csr` some nonzero uses, renumbered in ascending order.
    private init(compacting csr: CSRMatrix, imaginary: [Float]?, options: ConvolutionOptions) {
        var used = [Bool](repeating: false, count: csr.columns)
        for c in csr.columnIndices { used[Int(c)] = true }
        var newIndex = [Int32](repeating: -1, count: csr.columns), taps: [Int32] = []
        for c in 0..<csr.columns where used[c] { newIndex[c] = Int32(taps.count); taps.append(Int32(c)) }
        self.options = options
        self.taps = taps
        pattern = CSRMatrix(rows: csr.rows, columns: taps.count, rowPointers: csr.rowPointers,
                            columnIndices: csr.columnIndices.map { newIndex[Int($0)] }, values: csr.values)
        imaginaryValues = imaginary
    }

    /// The output spatial size for an input of spatial size `spatial`:
    /// `⌊(S + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1` per axis.
    public func outputSpatial(_ spatial: [Int]) -> [Int] {
        let o = options
        return spatial.indices.map { i in (spatial[i] + 2 * o.padding[i] - o.dilation[i] * (o.kernelSize[i] - 1) - 1) / o.stride[i] + 1 }
    }

    /// The input the kernel reads: `x` itself, or `x` padded circularly (PyTorch's
    /// `padding_mode='circular'`) when the layer pads that way.
    func circularlyPadded(_ x: Tensor) -> Tensor {
        options.paddingMode == .circular ? circularPad(x, options.padding) : x
    }

    /// ``circularlyPadded(_:)`` for a complex input.
    func circularlyPadded(_ z: ComplexTensor) -> ComplexTensor {
        options.paddingMode == .circular ? circularPad(z, options.padding) : z
    }

    /// The kernel geometry lifted to three axes for an input `[N, C_in, *S]`.
    /// With circular padding the caller passes the input already padded (``circularlyPadded(_:)``)
    /// and the kernel pads nothing more.
    func geometry(_ input: [Int]) -> (shape: wt_conv_shape, output: [Int]) {
        let o = options, rank = o.kernelSize.count
        require(input.count == rank + 2 && input[1] == o.inChannels,
                "sparse convolution: input \(input) is not [N, \(o.inChannels), \(rank) spatial axes]")
        let kernelPadding = o.paddingMode == .circular ? [Int](repeating: 0, count: rank) : o.padding
        let spatial = Array(input[2...])
        let out = spatial.indices.map { i in
            (spatial[i] + 2 * kernelPadding[i] - o.dilation[i] * (o.kernelSize[i] - 1) - 1) / o.stride[i] + 1
        }
        require(out.allSatisfy { $0 >= 1 }, "sparse convolution: input \(input) is smaller than the kernel \(o.kernelSize)")
        func lift(_ v: [Int], _ fill: Int) -> (Int, Int, Int) {
            let w = [Int](repeating: fill, count: 3 - v.count) + v
            return (w[0], w[1], w[2])
        }
        let shape = wt_conv_shape(channels: o.inChannels, in: lift(spatial, 1), out: lift(out, 1), k: lift(o.kernelSize, 1),
                                  s: lift(o.stride, 1), p: lift(kernelPadding, 0), d: lift(o.dilation, 1))
        return (shape, [input[0], o.outChannels] + out)
    }

    /// `y = W ⋆ x + b` for a real weight and float32 `x [N, C_in, *S]` → `[N, C_out, *S']`
    /// (`bias` float32 `[C_out]` optional), by `wt_scsr_conv`.
    public func convolve(_ x: Tensor, bias: Tensor?) -> Tensor {
        require(imaginaryValues == nil, "ConvolutionCSR.convolve: the weight is complex; pass a complex input")
        require(x.dtype == .float32, "sparse convolution: inference is float32, got a \(x.dtype) input")
        let x = circularlyPadded(x)
        var (shape, outShape) = geometry(x.shape)
        var y = Tensor(uninitializedShape: outShape, dtype: .float32)
        let b = bias ?? Tensor.zeros([options.outChannels], dtype: .float32)
        let status: Int32 = x.withUnsafeBufferPointer { (xp: UnsafeBufferPointer<Float>) in
            y.withUnsafeMutableBufferPointer { (yp: UnsafeMutableBufferPointer<Float>) in
                b.withUnsafeBufferPointer { (bp: UnsafeBufferPointer<Float>) in
                    pattern.withArrays { rp, ci, vp in
                        taps.withUnsafeBufferPointer { tp in
                            wt_scsr_conv(&shape, outShape[0], options.outChannels, rp, ci, vp, bp.baseAddress, taps.count,
                                         tp.baseAddress, xp.baseAddress, yp.baseAddress)
                        }
                    }
                }
            }
        }
        require(status == 0, "sparse convolution: out of memory for the column scratch of input \(x.shape)")
        return y
    }

    /// `y = (Wr⋆u − Wi⋆v) + i(Wr⋆v + Wi⋆u) + b` for a complex weight and complex float32
    /// `z = u + iv [N, C_in, *S]` → `[N, C_out, *S']` (`bias` complex float32 `[C_out]` optional),
    /// by `wt_ccsr_conv`.
    public func convolve(_ z: ComplexTensor, bias: ComplexTensor?) -> ComplexTensor {
        guard let vi = imaginaryValues else { fatalError("ConvolutionCSR.convolve: the weight is real; pass a real input") }
        require(z.dtype == .float32, "sparse convolution: inference is float32, got a \(z.dtype) input")
        let z = circularlyPadded(z)
        var (shape, outShape) = geometry(z.shape)
        let (y, status) = complexCSRProduct(pattern, vi, z, bias: bias, outputs: options.outChannels, outShape: outShape) { b in
            taps.withUnsafeBufferPointer { tp in
                wt_ccsr_conv(&shape, outShape[0], options.outChannels, b.rowPointers, b.columnIndices, b.realValues, b.imagValues,
                             b.biasReal, b.biasImag, taps.count, tp.baseAddress, b.inputReal, b.inputImag, b.outputReal, b.outputImag)
            }
        }
        require(status == 0, "sparse convolution: out of memory for the column scratch of input \(z.shape)")
        return y
    }
}

/// The plain layer `Layer` of `o`'s hyper-parameters, with a bias exactly when `bias` is given,
/// and its parameters `weight` and `bias`: the dense storage of a sparse convolution.
func plainConvolution<Layer: RegularConvolutionLayer>(_ o: ConvolutionOptions, weight: Layer.Weight, bias: Layer.Weight?)
    -> (layer: Layer, parameters: ParameterTree) {
    var p = ParameterTree()
    weight.store(as: "weight", in: &p)
    bias?.store(as: "bias", in: &p)
    return (Layer(o.inChannels, o.outChannels, o.kernelSize, stride: o.stride, padding: o.padding, dilation: o.dilation,
                  groups: o.groups, bias: bias != nil, paddingMode: o.paddingMode), p)
}

/// The values a compiled sparse convolution runs on: `Tensor` (real) and `ComplexTensor`
/// (complex, float32 parts). Each requirement names the real or complex version of one step.
public protocol SparseConvolutionValue: WeightValue {
    /// The layer's name in its messages: `SparseConvolution` or `SparseComplexConvolution`.
    static var sparseLayerName: String { get }
    /// Whether the value (either part of a complex value) is recorded on a tape.
    var isRecorded: Bool { get }
    /// The element type (of both parts for a complex value).
    var dtype: DType { get }
    /// The value off any tape.
    func detached() -> Self
    /// The value in `dtype`.
    func converted(to dtype: DType) -> Self
    /// The float32 weight `self ⊙ mask` (the real mask multiplies both parts).
    func maskedFloat32(_ mask: Tensor?) -> Self
    /// The weight `self ⊙ mask` `[C_out, C_in, *k]` compressed as ``ConvolutionCSR``.
    func convolutionCSR(mask: Tensor?, options: ConvolutionOptions) -> ConvolutionCSR
    /// `csr ⋆ self + bias`: the input `[N, C_in, *S]` convolved by the compressed weight.
    func convolved(by csr: ConvolutionCSR, bias: Self?) -> Self
}

extension Tensor: SparseConvolutionValue {
    /// `SparseConvolution`.
    public static var sparseLayerName: String { "SparseConvolution" }
    /// ``isTraced``.
    public var isRecorded: Bool { isTraced }
    /// `weight ⊙ mask` as float32.
    public func maskedFloat32(_ mask: Tensor?) -> Tensor { Relevance.maskedFloat32(self, mask) }
    /// The real ``ConvolutionCSR`` of `self ⊙ mask`.
    public func convolutionCSR(mask: Tensor?, options: ConvolutionOptions) -> ConvolutionCSR {
        ConvolutionCSR(weight: self, mask: mask, options: options)
    }
    /// `csr.convolve(self, bias: bias)`, the real sparse convolution.
    public func convolved(by csr: ConvolutionCSR, bias: Tensor?) -> Tensor { csr.convolve(self, bias: bias) }
}

extension ComplexTensor: SparseConvolutionValue {
    /// `SparseComplexConvolution`.
    public static var sparseLayerName: String { "SparseComplexConvolution" }
    /// Whether either part is traced.
    public var isRecorded: Bool { real.isTraced || imag.isTraced }
    /// `weight ⊙ mask` as float32 (the real mask multiplies both parts).
    public func maskedFloat32(_ mask: Tensor?) -> ComplexTensor { Relevance.maskedFloat32(self, mask) }
    /// The complex ``ConvolutionCSR`` of `self ⊙ mask`.
    public func convolutionCSR(mask: Tensor?, options: ConvolutionOptions) -> ConvolutionCSR {
        ConvolutionCSR(weight: self, mask: mask, options: options)
    }
    /// `csr.convolve(self, bias: bias)`, the complex sparse convolution.
    public func convolved(by csr: ConvolutionCSR, bias: ComplexTensor?) -> ComplexTensor { csr.convolve(self, bias: bias) }
}

/// An inference-only real convolution (`Conv1d/2d/3d` without groups) compiled from a masked,
/// binarized or dense weight: `[N, C_in, *S]` → `[N, C_out, *S']`, as ``Convolution``.
///
/// The weight is a ``ConvolutionCSR`` when its density is at most `maxDensity`, else the dense
/// float32 weight (mask multiplied in) run through the plain ``Convolution`` layer of the same
/// options. It holds its tensors, ignores the `parameters` it is called with and stops on a traced
/// input.
public typealias SparseConvolution<Rank: SpatialRank> = CompiledSparseConvolution<Convolution<Rank>>

/// An inference-only complex convolution (`CplxConv1d/2d/3d` without groups) compiled from a
/// masked, binarized or dense weight: complex `[N, C_in, *S]` → `[N, C_out, *S']`, as
/// ``ComplexConvolution``. Storage and rules as ``SparseConvolution`` (CSR storage keeps split real
/// and imaginary values; dense storage runs the plain ``ComplexConvolution``).
public typealias SparseComplexConvolution<Rank: SpatialRank> = CompiledSparseConvolution<ComplexConvolution<Rank>>

/// An inference-only convolution compiled from the masked, binarized or dense weight of the plain
/// layer `Plain` (``SparseConvolution`` for ``Convolution``, ``SparseComplexConvolution`` for
/// ``ComplexConvolution``): `[N, C_in, *S]` → `[N, C_out, *S']` in float32.
///
/// The weight is a ``ConvolutionCSR`` when its density is at most `maxDensity`, else the dense
/// float32 weight (mask multiplied in) run through `Plain` with the same options.
public struct CompiledSparseConvolution<Plain: RegularConvolutionLayer>: SequentialLayer
where Plain.Weight: SparseConvolutionValue {
    /// A float32 tensor `[N, C_in, *S]` (real or complex as `Plain`).
    public typealias Input = Plain.Weight
    /// A float32 tensor `[N, C_out, *S']`.
    public typealias Output = Plain.Weight
    /// How the weight is stored: `.csr(ConvolutionCSR)` over the used kernel taps, or `.dense`,
    /// the float32 weight `[C_out, C_in, *k]` (mask multiplied in).
    public typealias Storage = CompiledWeight<ConvolutionCSR, Plain.Weight>

    /// The layer's hyper-parameters.
    public let options: ConvolutionOptions
    /// The compiled weight.
    public let storage: Storage
    /// float32 `[C_out]`, or nil.
    public let bias: Plain.Weight?
    /// The plain layer and its parameters for dense storage.
    private let dense: (layer: Plain, parameters: ParameterTree)?

    /// Compiles `weight ⊙ mask` (a real mask multiplies both parts of a complex weight) of a
    /// convolution with `options` (one group, not transposed).
    public init(options: ConvolutionOptions, weight: Plain.Weight, bias: Plain.Weight?, mask: Tensor? = nil,
                maxDensity: Double = SparseLinear.defaultMaxDensity) {
        require(options.kernelSize.count == Plain.Rank.count,
                "\(Plain.Weight.sparseLayerName): \(options.kernelSize.count)-d options for a \(Plain.Rank.count)-d layer")
        let csr = weight.convolutionCSR(mask: mask, options: options)
        self.options = options
        self.bias = bias?.detached().converted(to: .float32)
        storage = Storage(csr, density: csr.density, maxDensity: maxDensity) { weight.maskedFloat32(mask) }
        if case .dense(let w) = storage { dense = plainConvolution(options, weight: w, bias: self.bias) } else { dense = nil }
    }

    /// Whether the weight is stored in CSR form.
    public var isCSR: Bool { storage.isCSR }

    /// The convolution of float32 `x [N, C_in, *S]`.
    public func callAsFunction(_ x: Plain.Weight) -> Plain.Weight {
        let name = Plain.Weight.sparseLayerName
        require(!x.isRecorded, "\(name): inference only; it cannot be differentiated (compile after training)")
        require(x.dtype == .float32, "\(name): sparse inference is float32, got a \(x.dtype) input")
        if case .csr(let c) = storage { return x.convolved(by: c, bias: bias) }
        return dense!.layer(x, parameters: dense!.parameters, context: Context(training: false))
    }

    /// Applies the layer; `parameters` and `context` are not used (the weight is compiled in).
    public func callAsFunction(_ x: Plain.Weight, parameters: ParameterTree, context: Context) -> Plain.Weight { self(x) }
}
