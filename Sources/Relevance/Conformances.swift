// The Gaussian refinement (``GaussianLayer``) of NN's weighted layers, which the variational
// wrapper is generic over. Each layer's forward is its own (NN); here each says only how weight
// variances map to output variances: the same map on squared input magnitudes, without bias.

extension Linear: GaussianLayer {
    /// `x²·σ²ᵀ` (the linear map of `x ⊙ x` with the weight variances, no bias): `[…, in]` → `[…, out]`.
    public func outputVariance(_ x: Tensor, weightVariance: Tensor) -> Tensor { linear(x * x, weightVariance, bias: nil) }
}

extension Bilinear: GaussianLayer {
    /// `Σ_ij x1_i²·σ²_kij·x2_j²`.
    public func outputVariance(_ x: (Tensor, Tensor), weightVariance: Tensor) -> Tensor {
        bilinear(x.0 * x.0, x.1 * x.1, weightVariance, bias: nil)
    }
}

extension Convolution: GaussianLayer {
    /// `convNd(x², σ²)` with the layer's stride, padding (and padding mode), dilation and groups:
    /// the variance of every output location under independent weight noise (Molchanov et al.'s
    /// assumption that the noise is i.i.d. per output location, as in cplxmodule).
    public func outputVariance(_ x: Tensor, weightVariance: Tensor) -> Tensor {
        forward(x * x, weight: weightVariance, bias: nil)
    }
    /// Both convolutions in one pass (``convolutionMoments(_:weight:bias:weightVariance:stride:padding:dilation:groups:paddingMode:)``):
    /// the same values as `forward` and `outputVariance`, with one im2col per chunk of samples.
    public func meanAndVariance(_ x: Tensor, weight: Tensor, bias: Tensor?, weightVariance: Tensor) -> (mean: Tensor, variance: Tensor) {
        let o = options
        return convolutionMoments(x, weight: weight, bias: bias, weightVariance: weightVariance, stride: o.stride,
                                  padding: o.padding, dilation: o.dilation, groups: o.groups, paddingMode: o.paddingMode)
    }
}

extension CplxLinear: GaussianLayer {
    /// `|z|²·(σ²)ᵀ`: the variance of each output (each part gets half of it).
    public func outputVariance(_ z: ComplexTensor, weightVariance: Tensor) -> Tensor {
        linear(squaredModulus(z), weightVariance, bias: nil)
    }
}

extension CplxBilinear: GaussianLayer {
    /// `Σ_ij |z1_i|²·σ²_kij·|z2_j|²`.
    public func outputVariance(_ z: (ComplexTensor, ComplexTensor), weightVariance: Tensor) -> Tensor {
        bilinear(squaredModulus(z.0), squaredModulus(z.1), weightVariance, bias: nil)
    }
}

extension ComplexConvolution: GaussianLayer {
    /// The real convolution of `|z|²` with `σ²` (same geometry and padding mode, no bias).
    public func outputVariance(_ z: ComplexTensor, weightVariance: Tensor) -> Tensor {
        options.convolve(squaredModulus(z), weightVariance, bias: nil)
    }
}
