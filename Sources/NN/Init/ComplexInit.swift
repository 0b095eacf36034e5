import Foundation

/// Which fan a complex layer's default initialisation uses for its bias.
///
/// cplxmodule's `init.get_fans` returns `(shape[0], shape[1])` = (out, in) for 2-D weights, so
/// `CplxLinear`'s bias is drawn from U(±1/√out_features) instead of U(±1/√in_features), and
/// the Trabelsi initialisers with `kind: .kaiming` scale 2-D weights by the output size
/// (inventory §14.5). Wirtinger uses the correct fan by default; `.cplxmodule` reproduces the
/// swapped fans for bit-for-bit-compatible distributions. Weights of ≥ 3 dimensions (bilinear,
/// convolutions) are unaffected: there both conventions agree.
public enum ComplexInitConvention: String, Sendable, CaseIterable {
    /// fan_in = `shape[1]·∏shape[2...]` for every weight (PyTorch's definition).
    case standard
    /// cplxmodule 2022.06: for 2-D weights fan_in = `shape[0]` (out) and fan_out = `shape[1]` (in).
    case cplxmodule
}

/// The nonlinearity a Kaiming initialiser is tuned for (PyTorch's `calculate_gain`).
public enum Nonlinearity: Sendable, Equatable {
    /// gain 1 (also right for sigmoid and for convolutions without activation).
    case linear
    /// gain 1.
    case sigmoid
    /// gain 5/3.
    case tanh
    /// gain √2.
    case relu
    /// gain √(2/(1 + a²)) for negative slope a.
    case leakyReLU

    /// The gain for negative slope `a` (used by `.leakyReLU` only).
    public func gain(a: Double) -> Double {
        switch self {
        case .linear, .sigmoid: return 1
        case .tanh: return 5.0 / 3.0
        case .relu: return 2.0.squareRoot()
        case .leakyReLU: return (2 / (1 + a * a)).squareRoot()
        }
    }
}

/// Initialisers for complex weights (cplxmodule's `nn.init`), drawn from explicit random keys.
///
/// Each returns a fresh ``ComplexTensor`` of the requested shape; `E|w|²` (the complex variance)
/// is given for each. Real and imaginary parts come from independent keys split off `key`.
public enum ComplexInit {
    /// (fan_in, fan_out) of a weight of `shape` under `convention`: PyTorch's
    /// `fan_in = shape[1]·∏shape[2...]`, `fan_out = shape[0]·∏shape[2...]`, swapped for 2-D
    /// weights under ``ComplexInitConvention/cplxmodule``.
    /// - Precondition: at least 2 dimensions.
    public static func fans(_ shape: [Int], convention: ComplexInitConvention = .standard) -> (fanIn: Int, fanOut: Int) {
        require(shape.count >= 2, "ComplexInit.fans: fan in and fan out need at least 2 dimensions, got \(shape)")
        let f = Init.fans(shape)
        if convention == .cplxmodule && shape.count == 2 { return (f.fanOut, f.fanIn) }
        return f
    }

    /// Real and imaginary parts each i.i.d. U(low, high) (cplxmodule's `cplx_uniform_independent_`).
    public static func uniformIndependent(_ shape: [Int], low: Double = 0, high: Double = 1,
                                          key: RandomKey, dtype: DType) -> ComplexTensor {
        let (kr, ki) = key.split()
        return ComplexTensor(real: uniform(shape, key: kr, dtype: dtype, low: low, high: high),
                             imag: uniform(shape, key: ki, dtype: dtype, low: low, high: high))
    }

    /// Kaiming (He) uniform for complex weights (`cplx_kaiming_uniform_`): each part
    /// U(±gain·√(3/fan)) with gain computed for the slope a' = √(1 + 2a²), so that with
    /// `.leakyReLU` gain = 1/√(1 + a²). With PyTorch's layer default a = √5 the bound is
    /// 1/√(2·fan_in) and `E|w|² = 1/(3·fan_in)`. `fan` is fan_in (`mode: .fanIn`) or fan_out,
    /// computed PyTorch's way (the layers' weights, never swapped).
    public static func kaimingUniform(_ shape: [Int], a: Double = 0, mode: FanMode = .fanIn,
                                      nonlinearity: Nonlinearity = .leakyReLU,
                                      key: RandomKey, dtype: DType) -> ComplexTensor {
        let std = kaimingStd(shape, a: a, mode: mode, nonlinearity: nonlinearity)
        let bound = 3.0.squareRoot() * std
        return uniformIndependent(shape, low: -bound, high: bound, key: key, dtype: dtype)
    }

    /// Kaiming (He) normal for complex weights (`cplx_kaiming_normal_`): each part
    /// N(0, (gain/√fan)²) with gain as in ``kaimingUniform(_:a:mode:nonlinearity:key:dtype:)``;
    /// with a = 0 `E|w|² = 2/fan`.
    public static func kaimingNormal(_ shape: [Int], a: Double = 0, mode: FanMode = .fanIn,
                                     nonlinearity: Nonlinearity = .leakyReLU,
                                     key: RandomKey, dtype: DType) -> ComplexTensor {
        let std = kaimingStd(shape, a: a, mode: mode, nonlinearity: nonlinearity)
        let (kr, ki) = key.split()
        return ComplexTensor(real: normal(shape, key: kr, dtype: dtype) * std,
                             imag: normal(shape, key: ki, dtype: dtype) * std)
    }

    /// Xavier (Glorot) uniform for complex weights (`cplx_xavier_uniform_`): each part
    /// U(±(gain/√2)·√(6/(fan_in + fan_out))), so `E|w|² = gain²·2/(fan_in + fan_out)`.
    public static func xavierUniform(_ shape: [Int], gain: Double = 1, key: RandomKey, dtype: DType) -> ComplexTensor {
        let (fi, fo) = Init.fans(shape)
        let bound = gain / 2.0.squareRoot() * (6 / Double(Swift.max(fi + fo, 1))).squareRoot()
        return uniformIndependent(shape, low: -bound, high: bound, key: key, dtype: dtype)
    }

    /// Xavier (Glorot) normal for complex weights (`cplx_xavier_normal_`): each part
    /// N(0, ((gain/√2)·√(2/(fan_in + fan_out)))²), so `E|w|² = gain²·2/(fan_in + fan_out)`.
    public static func xavierNormal(_ shape: [Int], gain: Double = 1, key: RandomKey, dtype: DType) -> ComplexTensor {
        let (fi, fo) = Init.fans(shape)
        let std = gain / 2.0.squareRoot() * (2 / Double(Swift.max(fi + fo, 1))).squareRoot()
        let (kr, ki) = key.split()
        return ComplexTensor(real: normal(shape, key: kr, dtype: dtype) * std,
                             imag: normal(shape, key: ki, dtype: dtype) * std)
    }

    /// The scale σ of the Trabelsi initialisers: `1/√(fan_in + fan_out)` (`.glorot`) or
    /// `1/√fan_in` (`.kaiming`), with fans under `convention`.
    public static func trabelsiScale(_ shape: [Int], kind: TrabelsiKind, convention: ComplexInitConvention) -> Double {
        let (fi, fo) = fans(shape, convention: convention)
        switch kind {
        case .glorot: return 1 / Double(Swift.max(fi + fo, 1)).squareRoot()
        case .kaiming: return 1 / Double(Swift.max(fi, 1)).squareRoot()
        }
    }

    /// Trabelsi et al. (2018) "standard" complex init (`cplx_trabelsi_standard_`): modulus
    /// ρ ~ Rayleigh(σ), phase θ ~ U(−π, π), w = ρ·e^{iθ}; `E|w|² = 2σ²` with σ from
    /// ``trabelsiScale(_:kind:convention:)``. Drawn from `key` (cplxmodule uses numpy's global
    /// generator, which is not reproducible from a torch seed).
    public static func trabelsiStandard(_ shape: [Int], kind: TrabelsiKind = .glorot,
                                        convention: ComplexInitConvention = .standard,
                                        key: RandomKey, dtype: DType) -> ComplexTensor {
        let sigma = trabelsiScale(shape, kind: kind, convention: convention)
        let (kr, kp) = key.split()
        let u = uniform(shape, key: kr, dtype: .float64).scalars
        let v = uniform(shape, key: kp, dtype: .float64, low: -Double.pi, high: Double.pi).scalars
        var re = [Double](repeating: 0, count: u.count), im = re
        for i in 0..<u.count {
            let rho = sigma * (-2 * Foundation.log1p(-u[i])).squareRoot()   // Rayleigh(σ) by inversion, 1 − u ∈ (0, 1]
            re[i] = rho * Foundation.cos(v[i])
            im[i] = rho * Foundation.sin(v[i])
        }
        return ComplexTensor(real: Tensor(shape: shape, scalars: re, dtype: dtype),
                             imag: Tensor(shape: shape, scalars: im, dtype: dtype))
    }

    /// Trabelsi et al. (2018) "independent" complex init (`cplx_trabelsi_independent_`): the
    /// weight viewed as a matrix (2-D as is, otherwise `[shape[0]·shape[1], ∏shape[2...]]`) is
    /// the semi-unitary polar factor `U·Vᴴ` of a matrix Z with entries U[0,1) + i·U[0,1)
    /// (`Z = U·S·Vᴴ`), rescaled so that its standard deviation is σ (`E|w − mean|² = σ²`,
    /// half the variance of ``trabelsiStandard(_:kind:convention:key:dtype:)``, as in
    /// cplxmodule). The rows (or columns, whichever are fewer) of the matrix view are
    /// orthogonal. The polar factor is computed by the Newton–Schulz iteration
    /// X ← X(3I − XᴴX)/2 in float64 (no SVD needed).
    /// - Precondition: at least 2 dimensions.
    public static func trabelsiIndependent(_ shape: [Int], kind: TrabelsiKind = .glorot,
                                           convention: ComplexInitConvention = .standard,
                                           key: RandomKey, dtype: DType) -> ComplexTensor {
        require(shape.count >= 2, "ComplexInit.trabelsiIndependent: need at least 2 dimensions, got \(shape)")
        let sigma = trabelsiScale(shape, kind: kind, convention: convention)
        let rows = shape.count == 2 ? shape[0] : shape[0] * shape[1]
        let cols = shape.count == 2 ? shape[1] : shape.dropFirst(2).reduce(1, *)
        let z = uniformIndependent([rows, cols], low: 0, high: 1, key: key, dtype: .float64)
        var m = polarFactor(z)
        // rescale to standard deviation σ: std = √(mean |m − mean(m)|²)
        let n = Double(rows * cols)
        let re = m.real.scalars, im = m.imag.scalars
        let mr = re.reduce(0, +) / n, mi = im.reduce(0, +) / n
        var v = 0.0
        for i in 0..<re.count { v += (re[i] - mr) * (re[i] - mr) + (im[i] - mi) * (im[i] - mi) }
        let std = (v / n).squareRoot()
        m = ComplexTensor(real: m.real * (sigma / std), imag: m.imag * (sigma / std))
        return ComplexTensor(real: m.real.withShape(shape).converted(to: dtype),
                             imag: m.imag.withShape(shape).converted(to: dtype))
    }

    /// The semi-unitary factor of the polar decomposition of a float64 matrix `z` `[r, c]`:
    /// `U·Vᴴ` where `z = U·S·Vᴴ` is the thin SVD. Newton–Schulz on the side with the smaller
    /// Gram matrix, starting from z/‖z‖_F (all singular values in (0, 1]).
    static func polarFactor(_ z: ComplexTensor) -> ComplexTensor {
        let r = z.shape[0], c = z.shape[1]
        if r < c {
            let t = polarFactor(ComplexTensor(real: transposed(z.real), imag: -transposed(z.imag)))
            return ComplexTensor(real: transposed(t.real), imag: -transposed(t.imag))
        }
        // r ≥ c: X ← 1.5·X − 0.5·X·(XᴴX), XᴴX is c×c
        let fro = (z.real.scalars.reduce(0) { $0 + $1 * $1 } + z.imag.scalars.reduce(0) { $0 + $1 * $1 }).squareRoot()
        var x = ComplexTensor(real: z.real / fro, imag: z.imag / fro)
        let eye = Tensor(shape: [c, c], scalars: (0..<(c * c)).map { $0 / c == $0 % c ? 1.0 : 0.0 }, dtype: .float64)
        for _ in 0..<200 {
            let xh = ComplexTensor(real: transposed(x.real), imag: -transposed(x.imag))
            let g = complexMatmul(xh, x)
            let dev = (g.real - eye).scalars.reduce(0) { Swift.max($0, Swift.abs($1)) }
            let devI = g.imag.scalars.reduce(0) { Swift.max($0, Swift.abs($1)) }
            if Swift.max(dev, devI) < 1e-13 { break }
            let xg = complexMatmul(x, g)
            x = ComplexTensor(real: x.real * 1.5 - xg.real * 0.5, imag: x.imag * 1.5 - xg.imag * 0.5)
        }
        return x
    }

    /// `a·b` for complex matrices, built from four real products (untraced helper).
    private static func complexMatmul(_ a: ComplexTensor, _ b: ComplexTensor) -> ComplexTensor {
        ComplexTensor(real: matmul(a.real, b.real) - matmul(a.imag, b.imag),
                      imag: matmul(a.real, b.imag) + matmul(a.imag, b.real))
    }

    /// The transpose of a 2-D tensor (untraced copy).
    private static func transposed(_ t: Tensor) -> Tensor {
        let r = t.shape[0], c = t.shape[1], s = t.scalars
        var out = [Double](repeating: 0, count: s.count)
        for i in 0..<r { for j in 0..<c { out[j * r + i] = s[i * c + j] } }
        return Tensor(shape: [c, r], scalars: out, dtype: t.dtype)
    }

    /// The per-part standard deviation of the complex Kaiming initialisers.
    static func kaimingStd(_ shape: [Int], a: Double, mode: FanMode, nonlinearity: Nonlinearity) -> Double {
        let (fi, fo) = Init.fans(shape)
        let fan = mode == .fanIn ? fi : fo
        let aPrime = (1 + 2 * a * a).squareRoot()
        return nonlinearity.gain(a: aPrime) / Double(Swift.max(fan, 1)).squareRoot()
    }

    /// The default initialisation of a complex layer (`CplxLinear`, `CplxBilinear`,
    /// `CplxConv*`): weight parts i.i.d. U(±1/√(2·fan_in)) (complex Kaiming uniform with
    /// a = √5), bias parts i.i.d. U(±1/√fan) with fan = fan_in of the weight under
    /// `convention` (``ComplexInitConvention/cplxmodule`` uses out_features for 2-D weights).
    ///
    /// Keys, in cplxmodule's `state_dict` order: `weight.imag`, `weight.real`, then
    /// `bias.imag`, `bias.real` (shape `[biasCount]`) when `biasCount` is given.
    /// - Parameters:
    ///   - weightShape: the weight's shape (`[out, in]`, `[out, in1, in2]`, `[C_out, C_in/g, *k]`
    ///     or, transposed, `[C_in, C_out/g, *k]`).
    ///   - biasCount: number of bias entries, `nil` for no bias.
    public static func layerDefault(weightShape: [Int], biasCount: Int?, convention: ComplexInitConvention,
                                    key: RandomKey, dtype: DType) -> ParameterTree {
        let (kw, kb) = key.split()
        let w = kaimingUniform(weightShape, a: 5.0.squareRoot(), key: kw, dtype: dtype)
        var p = ParameterTree()
        p["weight.imag"] = w.imag
        p["weight.real"] = w.real
        if let n = biasCount {
            let fan = fans(weightShape, convention: convention).fanIn
            let bound = fan > 0 ? 1 / Double(fan).squareRoot() : 0
            let b = uniformIndependent([n], low: -bound, high: bound, key: kb, dtype: dtype)
            p["bias.imag"] = b.imag
            p["bias.real"] = b.real
        }
        return p
    }
}

/// Which fan a Kaiming initialiser normalises by.
public enum FanMode: Sendable, Equatable {
    /// fan_in: preserves the variance of the activations in the forward pass.
    case fanIn
    /// fan_out: preserves the variance of the gradients in the backward pass.
    case fanOut
}

/// The scale rule of the Trabelsi initialisers.
public enum TrabelsiKind: String, Sendable, CaseIterable {
    /// σ = 1/√(fan_in + fan_out) (cplxmodule's `"glorot"` / `"xavier"`).
    case glorot
    /// σ = 1/√fan_in (cplxmodule's `"kaiming"` / `"he"`).
    case kaiming
}
