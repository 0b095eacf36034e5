// cplxmodule's layer names as type aliases of the two generic wrappers, with constructors taking
// the same arguments as the wrapped layer (PyTorch/cplxmodule order and defaults).
//
//   Variational<Base, Prior>  — VD / ARD / VDScaleFree / VDApprox / VDBogus layers
//   Masked<Base>              — masked layers
//
// The convolution constructors also take PyTorch's `paddingMode` (cplxmodule's Gaussian
// convolutions raise for any mode but zeros; here `.circular` works through `convolutionMoments`).

// MARK: - Real variational dropout and ARD

/// Sparse variational dropout on a dense layer (Molchanov et al. 2017), cplxmodule's `LinearVD`.
public typealias LinearVD = Variational<Linear, RealVD>
/// ARD on a dense layer (Kharitonov et al. 2018), cplxmodule's `LinearARD`.
public typealias LinearARD = Variational<Linear, RealARD>
/// Variational dropout on a 1-d convolution, cplxmodule's `Conv1dVD`.
public typealias Conv1dVD = Variational<Conv1d, RealVD>
/// Variational dropout on a 2-d convolution, cplxmodule's `Conv2dVD`.
public typealias Conv2dVD = Variational<Conv2d, RealVD>
/// Variational dropout on a 3-d convolution, cplxmodule's `Conv3dVD`.
public typealias Conv3dVD = Variational<Conv3d, RealVD>
/// ARD on a 1-d convolution, cplxmodule's `Conv1dARD`.
public typealias Conv1dARD = Variational<Conv1d, RealARD>
/// ARD on a 2-d convolution, cplxmodule's `Conv2dARD`.
public typealias Conv2dARD = Variational<Conv2d, RealARD>
/// ARD on a 3-d convolution, cplxmodule's `Conv3dARD`.
public typealias Conv3dARD = Variational<Conv3d, RealARD>
/// Variational dropout on a bilinear form, cplxmodule's `BilinearVD`; input is the pair `(x1, x2)`.
public typealias BilinearVD = Variational<Bilinear, RealVD>
/// ARD on a bilinear form, cplxmodule's `BilinearARD`; input is the pair `(x1, x2)`.
public typealias BilinearARD = Variational<Bilinear, RealARD>

// MARK: - Real masked layers

/// A dense layer with a fixed sparsity mask, cplxmodule's `LinearMasked`.
public typealias LinearMasked = Masked<Linear>
/// A 1-d convolution with a mask, cplxmodule's `Conv1dMasked`.
public typealias Conv1dMasked = Masked<Conv1d>
/// A 2-d convolution with a mask, cplxmodule's `Conv2dMasked`.
public typealias Conv2dMasked = Masked<Conv2d>
/// A 3-d convolution with a mask, cplxmodule's `Conv3dMasked`.
public typealias Conv3dMasked = Masked<Conv3d>
/// A bilinear form with a mask, cplxmodule's `BilinearMasked`.
public typealias BilinearMasked = Masked<Bilinear>

// MARK: - Complex variational layers (VD, ARD and cplxmodule's extensions)

/// Complex variational dropout (Nazarov & Burnaev 2020) on a complex dense layer, cplxmodule's `CplxLinearVD`.
public typealias CplxLinearVD = Variational<CplxLinear, ComplexVD>
/// Complex variational dropout (Nazarov & Burnaev 2020) on a complex 1-d convolution, cplxmodule's `CplxConv1dVD`.
public typealias CplxConv1dVD = Variational<CplxConv1d, ComplexVD>
/// Complex variational dropout (Nazarov & Burnaev 2020) on a complex 2-d convolution, cplxmodule's `CplxConv2dVD`.
public typealias CplxConv2dVD = Variational<CplxConv2d, ComplexVD>
/// Complex variational dropout (Nazarov & Burnaev 2020) on a complex 3-d convolution, cplxmodule's `CplxConv3dVD`.
public typealias CplxConv3dVD = Variational<CplxConv3d, ComplexVD>
/// Complex variational dropout (Nazarov & Burnaev 2020) on a complex bilinear form (input: the pair `(z1, z2)`), cplxmodule's `CplxBilinearVD`.
public typealias CplxBilinearVD = Variational<CplxBilinear, ComplexVD>
/// Complex ARD on a complex dense layer, cplxmodule's `CplxLinearARD`.
public typealias CplxLinearARD = Variational<CplxLinear, ComplexARD>
/// Complex ARD on a complex 1-d convolution, cplxmodule's `CplxConv1dARD`.
public typealias CplxConv1dARD = Variational<CplxConv1d, ComplexARD>
/// Complex ARD on a complex 2-d convolution, cplxmodule's `CplxConv2dARD`.
public typealias CplxConv2dARD = Variational<CplxConv2d, ComplexARD>
/// Complex ARD on a complex 3-d convolution, cplxmodule's `CplxConv3dARD`.
public typealias CplxConv3dARD = Variational<CplxConv3d, ComplexARD>
/// Complex ARD on a complex bilinear form (input: the pair `(z1, z2)`), cplxmodule's `CplxBilinearARD`.
public typealias CplxBilinearARD = Variational<CplxBilinear, ComplexARD>
/// Complex VD with the scale-free prior on a complex dense layer, cplxmodule's `CplxLinearVDScaleFree`.
public typealias CplxLinearVDScaleFree = Variational<CplxLinear, ComplexVDScaleFree>
/// Complex VD with the scale-free prior on a complex 1-d convolution, cplxmodule's `CplxConv1dVDScaleFree`.
public typealias CplxConv1dVDScaleFree = Variational<CplxConv1d, ComplexVDScaleFree>
/// Complex VD with the scale-free prior on a complex 2-d convolution, cplxmodule's `CplxConv2dVDScaleFree`.
public typealias CplxConv2dVDScaleFree = Variational<CplxConv2d, ComplexVDScaleFree>
/// Complex VD with the scale-free prior on a complex 3-d convolution, cplxmodule's `CplxConv3dVDScaleFree`.
public typealias CplxConv3dVDScaleFree = Variational<CplxConv3d, ComplexVDScaleFree>
/// Complex VD with the scale-free prior on a complex bilinear form (input: the pair `(z1, z2)`), cplxmodule's `CplxBilinearVDScaleFree`.
public typealias CplxBilinearVDScaleFree = Variational<CplxBilinear, ComplexVDScaleFree>
/// Complex VD with the approximate KL on a complex dense layer, cplxmodule's `CplxLinearVDApprox`.
public typealias CplxLinearVDApprox = Variational<CplxLinear, ComplexVDApprox>
/// Complex VD with the approximate KL on a complex 1-d convolution, cplxmodule's `CplxConv1dVDApprox`.
public typealias CplxConv1dVDApprox = Variational<CplxConv1d, ComplexVDApprox>
/// Complex VD with the approximate KL on a complex 2-d convolution, cplxmodule's `CplxConv2dVDApprox`.
public typealias CplxConv2dVDApprox = Variational<CplxConv2d, ComplexVDApprox>
/// Complex VD with the approximate KL on a complex 3-d convolution, cplxmodule's `CplxConv3dVDApprox`.
public typealias CplxConv3dVDApprox = Variational<CplxConv3d, ComplexVDApprox>
/// Complex VD with the approximate KL on a complex bilinear form (input: the pair `(z1, z2)`), cplxmodule's `CplxBilinearVDApprox`.
public typealias CplxBilinearVDApprox = Variational<CplxBilinear, ComplexVDApprox>
/// Complex VD with cplxmodule's bogus penalty value (exact gradient) on a complex dense layer, cplxmodule's `CplxLinearVDBogus`.
public typealias CplxLinearVDBogus = Variational<CplxLinear, ComplexVDBogus>
/// Complex VD with cplxmodule's bogus penalty value (exact gradient) on a complex 1-d convolution, cplxmodule's `CplxConv1dVDBogus`.
public typealias CplxConv1dVDBogus = Variational<CplxConv1d, ComplexVDBogus>
/// Complex VD with cplxmodule's bogus penalty value (exact gradient) on a complex 2-d convolution, cplxmodule's `CplxConv2dVDBogus`.
public typealias CplxConv2dVDBogus = Variational<CplxConv2d, ComplexVDBogus>
/// Complex VD with cplxmodule's bogus penalty value (exact gradient) on a complex 3-d convolution, cplxmodule's `CplxConv3dVDBogus`.
public typealias CplxConv3dVDBogus = Variational<CplxConv3d, ComplexVDBogus>
/// Complex VD with cplxmodule's bogus penalty value (exact gradient) on a complex bilinear form (input: the pair `(z1, z2)`), cplxmodule's `CplxBilinearVDBogus`.
public typealias CplxBilinearVDBogus = Variational<CplxBilinear, ComplexVDBogus>

// MARK: - Complex masked layers

/// A complex dense layer with a mask, cplxmodule's `CplxLinearMasked`.
public typealias CplxLinearMasked = Masked<CplxLinear>
/// A complex 1-d convolution with a mask, cplxmodule's `CplxConv1dMasked`.
public typealias CplxConv1dMasked = Masked<CplxConv1d>
/// A complex 2-d convolution with a mask, cplxmodule's `CplxConv2dMasked`.
public typealias CplxConv2dMasked = Masked<CplxConv2d>
/// A complex 3-d convolution with a mask, cplxmodule's `CplxConv3dMasked`.
public typealias CplxConv3dMasked = Masked<CplxConv3d>
/// A complex bilinear form (input: the pair `(z1, z2)`) with a mask, cplxmodule's `CplxBilinearMasked`. Honours `conjugate` (cplxmodule's ignores it).
public typealias CplxBilinearMasked = Masked<CplxBilinear>

// MARK: - Constructors with the wrapped layer's arguments

/// A wrapper of one weighted layer (``Variational``, ``Masked``), made from that layer; through
/// it both wrappers take the wrapped layer's own arguments (`LinearVD(784, 300)`,
/// `CplxConv2dMasked(1, 8, 3, padding: 1)`), each constructor written once.
public protocol WeightedLayerWrapper {
    /// The wrapped layer.
    associatedtype Base: WeightedLayer
    /// Wraps `base`.
    init(_ base: Base)
}

extension Variational: WeightedLayerWrapper {}
extension Masked: WeightedLayerWrapper {}

extension WeightedLayerWrapper where Base == Linear {
    /// `Linear(in, out, bias:)`, wrapped (weight `[out, in]`).
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) { self.init(Linear(inFeatures, outFeatures, bias: bias)) }
}

extension WeightedLayerWrapper where Base == Bilinear {
    /// `Bilinear(in1, in2, out, bias:)`, wrapped (weight `[out, in1, in2]`).
    public init(_ in1Features: Int, _ in2Features: Int, _ outFeatures: Int, bias: Bool = true) {
        self.init(Bilinear(in1Features, in2Features, outFeatures, bias: bias))
    }
}

extension WeightedLayerWrapper where Base == CplxLinear {
    /// `CplxLinear(in, out, bias:)`, wrapped (weight parts `[out, in]`).
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) { self.init(CplxLinear(inFeatures, outFeatures, bias: bias)) }
}

extension WeightedLayerWrapper where Base == CplxBilinear {
    /// `CplxBilinear(in1, in2, out, bias:, conjugate:)`, wrapped (parts `[out, in1, in2]`); `conjugate`
    /// is honoured by the masked form too.
    public init(_ in1Features: Int, _ in2Features: Int, _ outFeatures: Int, bias: Bool = true, conjugate: Bool = true) {
        self.init(CplxBilinear(in1Features, in2Features, outFeatures, bias: bias, conjugate: conjugate))
    }
}

extension WeightedLayerWrapper where Base: RegularConvolutionLayer {
    /// `Conv{n}d` or `CplxConv{n}d(in, out, kernelSize, stride:, padding:, dilation:, groups:, bias:,
    /// paddingMode:)`, wrapped (weight `[C_out, C_in/groups, *k]`, each part for complex).
    public init(_ inChannels: Int, _ outChannels: Int, _ kernelSize: some SpatialOption,
                stride: some SpatialOption = 1, padding: some SpatialOption = 0, dilation: some SpatialOption = 1,
                groups: Int = 1, bias: Bool = true, paddingMode: PaddingMode = .zeros) {
        self.init(Base(inChannels, outChannels, kernelSize, stride: stride, padding: padding, dilation: dilation,
                       groups: groups, bias: bias, paddingMode: paddingMode))
    }
}
