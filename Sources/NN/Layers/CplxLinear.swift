/// `y = z·Wᵀ + b` for complex z, W, b (cplxmodule's `CplxLinear`).
///
/// Shapes: complex input `[..., inFeatures]` → `[..., outFeatures]`.
/// Entries, in cplxmodule's `state_dict` order: `weight.imag [out, in]`, `weight.real [out, in]`,
/// `bias.imag [out]`, `bias.real [out]` (if `bias`).
/// Initialisation: each weight part U(±1/√(2·in)); each bias part U(±1/√in) (`.standard`) or
/// U(±1/√out) (`.cplxmodule`, reproducing its swapped fans; see ``ComplexInitConvention``).
public struct CplxLinear: LinearLayer {
    /// Complex weights (`weight.real`, `weight.imag`), inputs `[…, in]` and outputs `[…, out]`.
    public typealias Weight = ComplexTensor
    /// Size of the last input dimension.
    public let inFeatures: Int
    /// Size of the last output dimension.
    public let outFeatures: Int
    /// Whether the layer adds a learnable bias.
    public let bias: Bool
    /// Which fan the bias initialisation uses.
    public let initConvention: ComplexInitConvention

    /// cplxmodule's `CplxLinear(in_features, out_features, bias=True)`.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, initConvention: ComplexInitConvention = .standard) {
        self.inFeatures = inFeatures; self.outFeatures = outFeatures; self.bias = bias; self.initConvention = initConvention
    }

    /// `weight.imag`, `weight.real` `[out, in]` and (if `bias`) `bias.imag`, `bias.real` `[out]`, drawn
    /// as described for the type.
    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree {
        ComplexInit.layerDefault(weightShape: [outFeatures, inFeatures], biasCount: bias ? outFeatures : nil,
                                 convention: initConvention, key: key, dtype: dtype)
    }

    // forward and callAsFunction come from LinearLayer and WeightedLayer: complex linear(z, weight, bias).
}

/// `y_k = Σ_ij c(z1_i)·W_kij·z2_j + b_k`, c = conjugation when `conjugate` (cplxmodule's `CplxBilinear`).
///
/// Shapes: complex inputs `([..., in1], [..., in2])` → `[..., out]`.
/// Entries: `weight.imag/real [out, in1, in2]`, `bias.imag/real [out]` (if `bias`).
/// Initialisation: weight parts U(±1/√(2·in1·in2)), bias parts U(±1/√(in1·in2)) (both
/// conventions agree for 3-D weights).
public struct CplxBilinear: BilinearLayer {
    /// Whether the first input is conjugated (a sesquilinear form); cplxmodule's default `true`.
    public let conjugate: Bool
    /// Size of the last dimension of the first input.
    public let in1Features: Int
    /// Size of the last dimension of the second input.
    public let in2Features: Int
    /// Size of the last output dimension.
    public let outFeatures: Int
    /// Whether the layer adds a learnable bias.
    public let bias: Bool
    /// Which fan the bias initialisation uses (no effect for 3-D weights).
    public let initConvention: ComplexInitConvention
    /// Complex weights (`weight.real`, `weight.imag`); inputs are pairs `([…, in1], […, in2])`.
    public typealias Weight = ComplexTensor

    /// cplxmodule's `CplxBilinear(in1_features, in2_features, out_features, bias=True, conjugate=True)`.
    public init(_ in1Features: Int, _ in2Features: Int, _ outFeatures: Int, bias: Bool = true, conjugate: Bool = true,
                initConvention: ComplexInitConvention = .standard) {
        self.in1Features = in1Features; self.in2Features = in2Features; self.outFeatures = outFeatures
        self.bias = bias; self.conjugate = conjugate; self.initConvention = initConvention
    }

    /// `weight.imag`, `weight.real` `[out, in1, in2]` and (if `bias`) `bias.imag`, `bias.real` `[out]`,
    /// drawn as described for the type.
    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree {
        ComplexInit.layerDefault(weightShape: [outFeatures, in1Features, in2Features], biasCount: bias ? outFeatures : nil,
                                 convention: initConvention, key: key, dtype: dtype)
    }

    // callAsFunction comes from WeightedLayer: forward with the tree's `weight` and `bias`.
}

extension CplxBilinear {
    /// `y_k = Σ_ij c(z1_i)·W_kij·z2_j + b_k` with c = conjugation when ``CplxBilinear/conjugate``
    /// (so `CplxBilinearMasked` honours the flag, unlike cplxmodule's, which always conjugates).
    public func forward(_ z: (ComplexTensor, ComplexTensor), weight: ComplexTensor, bias: ComplexTensor?) -> ComplexTensor {
        bilinear(z.0, z.1, weight, bias: bias, conjugate: conjugate)
    }
}

/// Returns its complex input (cplxmodule's `CplxIdentity`).
public typealias CplxIdentity = Identity<ComplexTensor>

/// `z·e^{iφ}` with a learnable phase φ broadcast against the input (cplxmodule's `CplxPhaseShift`).
///
/// Shapes: complex input broadcastable with `phi` (e.g. `[C, 1]` per channel of `[N, C, L]`,
/// `[d]` per feature, `[1]` global) → the broadcast shape.
/// Entries: `phi` of shape `dim` (`[1]` when empty), initialised N(0, 1)·0.02.
/// Made as cplxmodule's `CplxPhaseShift(*dim)` (see ``BroadcastParameterLayer``).
public struct CplxPhaseShift: BroadcastParameterLayer {
    /// `phi`.
    public static let parameterKey = "phi"
    /// The shape of `phi`.
    public let dim: [Int]
    /// A phase shift whose `phi` has shape `parameterShape`.
    public init(parameterShape: [Int]) { dim = parameterShape }

    /// `z·e^{iφ}` with `phi` broadcast against `z`: complex input → the broadcast shape.
    public static func apply(_ z: ComplexTensor, _ phi: Tensor) -> ComplexTensor { phaseShift(z, phi: phi) }
}
