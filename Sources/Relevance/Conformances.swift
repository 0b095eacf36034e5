// `WeightedLayer` conformances of the NN layers that the Bayesian and masked wrappers are generic
// over. `Linear` conforms in NN itself (Core/WeightedLayer.swift). Each conformance says how to
// run the layer with a substituted weight (`forward`) and how to map weight variances to output
// variances (`outputVariance`: the same map on squared input magnitudes, no bias), which is all
// `Variational` and `Masked` need.

/// The regular convolution of `o` in `Rank.count` spatial dimensions.
private func convolve(_ x: Tensor, _ w: Tensor, bias: Tensor?, _ o: ConvolutionOptions, rank: Int) -> Tensor {
    switch rank {
    case 1: return conv1d(x, w, bias: bias, stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups)
    case 2: return conv2d(x, w, bias: bias, stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups)
    default: return conv3d(x, w, bias: bias, stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups)
    }
}

extension Convolution: WeightedLayer {
    /// A real weight.
    public typealias Weight = Tensor
    /// `[C_out, C_in/groups, *k]`.
    public var weightShape: [Int] { options.weightShape }
    /// The `bias` option given at construction.
    public var hasBias: Bool { options.bias }
    /// The convolution with the given weight and bias.
    public func forward(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        convolve(x, weight, bias: bias, options, rank: Rank.count)
    }
    /// `convNd(x², σ²)` with the layer's stride, padding, dilation and groups: the variance of
    /// every output location under independent weight noise (Molchanov et al.'s assumption that
    /// the noise is i.i.d. per output location, as in cplxmodule).
    public func outputVariance(_ x: Tensor, weightVariance: Tensor) -> Tensor {
        convolve(x * x, weightVariance, bias: nil, options, rank: Rank.count)
    }
    /// Both convolutions in one pass (``convolutionMoments(_:weight:bias:weightVariance:stride:padding:dilation:groups:)``):
    /// the same values as `forward` and `outputVariance`, with one im2col per chunk of samples.
    public func meanAndVariance(_ x: Tensor, weight: Tensor, bias: Tensor?, weightVariance: Tensor) -> (mean: Tensor, variance: Tensor) {
        convolutionMoments(x, weight: weight, bias: bias, weightVariance: weightVariance, stride: options.stride,
                           padding: options.padding, dilation: options.dilation, groups: options.groups)
    }
}

extension Bilinear: WeightedLayer {
    /// A real weight.
    public typealias Weight = Tensor
    /// `[out, in1, in2]`.
    public var weightShape: [Int] { [outFeatures, in1Features, in2Features] }
    /// The `bias` flag given at construction.
    public var hasBias: Bool { bias }
    /// `y_k = Σ_ij x1_i·W_kij·x2_j + b_k`.
    public func forward(_ x: (Tensor, Tensor), weight: Tensor, bias: Tensor?) -> Tensor {
        bilinear(x.0, x.1, weight, bias: bias)
    }
    /// `Σ_ij x1_i²·σ²_kij·x2_j²`.
    public func outputVariance(_ x: (Tensor, Tensor), weightVariance: Tensor) -> Tensor {
        bilinear(x.0 * x.0, x.1 * x.1, weightVariance, bias: nil)
    }
}

/// `|z|² = re² + im²` elementwise.
private func squaredModulus(_ z: ComplexTensor) -> Tensor { z.real * z.real + z.imag * z.imag }

extension CplxLinear: WeightedLayer {
    /// A complex weight (`weight.real`, `weight.imag`).
    public typealias Weight = ComplexTensor
    /// `[out, in]` (each part).
    public var weightShape: [Int] { [outFeatures, inFeatures] }
    /// The `bias` flag given at construction.
    public var hasBias: Bool { bias }
    /// `z·Wᵀ + b`.
    public func forward(_ z: ComplexTensor, weight: ComplexTensor, bias: ComplexTensor?) -> ComplexTensor {
        linear(z, weight, bias: bias)
    }
    /// `|z|²·(σ²)ᵀ`: the variance of each output (each part gets half of it).
    public func outputVariance(_ z: ComplexTensor, weightVariance: Tensor) -> Tensor {
        linear(squaredModulus(z), weightVariance, bias: nil)
    }
}

extension CplxBilinear: WeightedLayer {
    /// A complex weight (`weight.real`, `weight.imag`).
    public typealias Weight = ComplexTensor
    /// `[out, in1, in2]` (each part).
    public var weightShape: [Int] { [outFeatures, in1Features, in2Features] }
    /// The `bias` flag given at construction.
    public var hasBias: Bool { bias }
    /// `y_k = Σ_ij c(z1_i)·W_kij·z2_j + b_k` with c = conjugation when ``CplxBilinear/conjugate``
    /// (so `CplxBilinearMasked` honours the flag, unlike cplxmodule's, which always conjugates).
    public func forward(_ z: (ComplexTensor, ComplexTensor), weight: ComplexTensor, bias: ComplexTensor?) -> ComplexTensor {
        bilinear(z.0, z.1, weight, bias: bias, conjugate: conjugate)
    }
    /// `Σ_ij |z1_i|²·σ²_kij·|z2_j|²`.
    public func outputVariance(_ z: (ComplexTensor, ComplexTensor), weightVariance: Tensor) -> Tensor {
        bilinear(squaredModulus(z.0), squaredModulus(z.1), weightVariance, bias: nil)
    }
}

extension ComplexConvolution: WeightedLayer {
    /// A complex weight (`weight.real`, `weight.imag`).
    public typealias Weight = ComplexTensor
    /// `[C_out, C_in/groups, *k]` (each part).
    public var weightShape: [Int] { options.weightShape }
    /// The `bias` option given at construction.
    public var hasBias: Bool { options.bias }
    /// The complex convolution with the given weight and bias.
    public func forward(_ z: ComplexTensor, weight: ComplexTensor, bias: ComplexTensor?) -> ComplexTensor {
        let o = options
        switch Rank.count {
        case 1: return conv1d(z, weight, bias: bias, stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups)
        case 2: return conv2d(z, weight, bias: bias, stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups)
        default: return conv3d(z, weight, bias: bias, stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups)
        }
    }
    /// The real convolution of `|z|²` with `σ²` (same geometry, no bias).
    public func outputVariance(_ z: ComplexTensor, weightVariance: Tensor) -> Tensor {
        convolve(squaredModulus(z), weightVariance, bias: nil, options, rank: Rank.count)
    }
}
