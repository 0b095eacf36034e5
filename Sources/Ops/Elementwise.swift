// Unary and binary elementwise math: exp, log, powers, clamps, activations, select, cast.
// Each op: the forward value from an untraced kernel, then `Tape.record` with its pullback.
// Derivations: Docs/gradients/real-elementwise.md.

import Foundation
import Kernels

// MARK: - Scalar kernels (generic over Float and Double, untraced)

/// Internal helpers of the real elementwise ops, losses and reductions: a namespace (not a
/// kernel) of scalar formulas written once, generic over ``TensorScalar`` and specialised per
/// dtype, and the untraced tensor loops built on them.
enum ElementwiseSupport {
    /// `sum + a·b` elementwise (one shape and dtype, untraced) in one Kernels pass
    /// (`wt_add_product_*`): the product rounded, then the sum.
    static func addingProduct(_ sum: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        var out = [Tensor(uninitializedShape: sum.shape, dtype: sum.dtype)]
        let n = sum.count
        switch sum.dtype {   // one C kernel per dtype
        case .float32:
            Tensor.withBaseAddresses(reading: [sum, a, b], writing: &out, as: Float.self) { i, o in wt_add_product_f32(i[0], i[1], i[2], o[0], n) }
        case .float64:
            Tensor.withBaseAddresses(reading: [sum, a, b], writing: &out, as: Double.self) { i, o in wt_add_product_f64(i[0], i[1], i[2], o[0], n) }
        }
        return out[0]
    }

    /// σ(x) = 1 / (1 + e^{−x}), evaluated so that neither tail overflows:
    /// x ≥ 0 → 1 / (1 + e^{−x}); x < 0 → e^{x} / (1 + e^{x}).
    @inlinable static func sigmoid<T: TensorScalar>(_ x: T) -> T {
        if x >= 0 { return 1 / (1 + T.exp(-x)) }
        let e = T.exp(x)
        return e / (1 + e)
    }

    /// ln(1 + e^{x}) = max(x, 0) + log1p(e^{−|x|}) (never overflows).
    @inlinable static func softplusStable<T: TensorScalar>(_ x: T) -> T {
        (x > 0 ? x : 0) + T.log1p(T.exp(-Swift.abs(x)))
    }

    /// d softplus / dx: 1 where βx > threshold, else σ(βx).
    @inlinable static func softplusDerivative<T: TensorScalar>(_ x: T, _ beta: T, _ threshold: T) -> T {
        let bx = beta * x
        return bx > threshold ? 1 : sigmoid(bx)
    }

    /// sign(x) ∈ {−1, 0, 1}; NaN stays NaN.
    @inlinable static func sign<T: TensorScalar>(_ x: T) -> T {
        x > 0 ? 1 : (x < 0 ? -1 : x)
    }

    /// max(a, b) propagating NaN from either side.
    @inlinable static func maximum<T: TensorScalar>(_ a: T, _ b: T) -> T { a > b || a.isNaN ? a : b }
    /// min(a, b) propagating NaN from either side.
    @inlinable static func minimum<T: TensorScalar>(_ a: T, _ b: T) -> T { a < b || a.isNaN ? a : b }

    /// A `Kernels` array function `y[i] = f(x[i])` for `n` contiguous elements.
    typealias ArrayKernel<T> = (UnsafePointer<T>?, UnsafeMutablePointer<T>?, Int) -> Void

    /// Applies a vector-math kernel of `Kernels` (AVX2/FMA or portable, chosen at run time)
    /// to every element: a new untraced tensor of the same shape and dtype.
    static func vectorMap(_ x: Tensor, _ f32: ArrayKernel<Float>, _ f64: ArrayKernel<Double>) -> Tensor {
        var out = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
        let n = x.count
        if n == 0 { return out }
        func run<T: TensorScalar>(_: T.Type, _ kernel: ArrayKernel<T>) {
            x.withUnsafeBufferPointer { (p: UnsafeBufferPointer<T>) in
                out.withUnsafeMutableBufferPointer { (q: UnsafeMutableBufferPointer<T>) in kernel(p.baseAddress, q.baseAddress, n) } }
        }
        switch x.dtype {   // one C kernel per dtype
        case .float32: run(Float.self, f32)
        case .float64: run(Double.self, f64)
        }
        return out
    }

    /// Copies `t` broadcast to `shape` (untraced). `shape` must be a broadcast of `t.shape`.
    static func broadcastCopy(_ t: Tensor, to shape: [Int]) -> Tensor {
        if t.shape == shape { return t.detached() }
        var out = Tensor(uninitializedShape: shape, dtype: t.dtype)
        let strides = Broadcast.strides(of: t.shape, broadcastTo: shape)
        func run<T: TensorScalar>(_: T.Type) {
            t.withUnsafeBufferPointer { (x: UnsafeBufferPointer<T>) in
                out.withUnsafeMutableBufferPointer { (y: UnsafeMutableBufferPointer<T>) in
                    Broadcast.forEach(shape, strides, strides) { i, ix, _ in y[i] = x[ix] }
                }
            }
        }
        t.dtype.dispatch { run($0) }
        return out
    }

    /// Picks `a` where `mask` is non-zero and `b` elsewhere, after broadcasting all three to a
    /// common shape (untraced). The three share one dtype; a shape mismatch names `op`.
    static func pick(_ mask: Tensor, _ a: Tensor, _ b: Tensor, op: String) -> Tensor {
        require(mask.dtype == a.dtype && a.dtype == b.dtype,
                     "\(op): dtypes \(mask.dtype), \(a.dtype) and \(b.dtype) differ (convert first)")
        guard let ab = Broadcast.shape(mask.shape, a.shape), let shape = Broadcast.shape(ab, b.shape) else {
            fatalError("\(op): shapes \(mask.shape), \(a.shape) and \(b.shape) cannot be broadcast together")
        }
        let m = broadcastCopy(mask, to: shape), x = broadcastCopy(a, to: shape), y = broadcastCopy(b, to: shape)
        var out = Tensor(uninitializedShape: shape, dtype: a.dtype)
        func run<T: TensorScalar>(_: T.Type) {
            m.withUnsafeBufferPointer { (k: UnsafeBufferPointer<T>) in
                x.withUnsafeBufferPointer { (p: UnsafeBufferPointer<T>) in
                    y.withUnsafeBufferPointer { (q: UnsafeBufferPointer<T>) in
                        out.withUnsafeMutableBufferPointer { (o: UnsafeMutableBufferPointer<T>) in
                            for i in 0..<o.count { o[i] = k[i] != 0 ? p[i] : q[i] }
                        }
                    }
                }
            }
        }
        a.dtype.dispatch { run($0) }
        return out
    }
}

/// Multiplies the cotangent `g` by the derivative factor `f'(x)` elementwise (untraced).
@inline(__always)
private func chain(_ g: Tensor, _ x: Tensor, op: String,
                   _ d32: @escaping (Float, Float) -> Float, _ d64: @escaping (Double, Double) -> Double) -> Tensor {
    Tensor.zipElements(g, x, op: op, d32, d64)
}

// MARK: - Exponentials, logarithms, powers

/// eˣ elementwise. Shape and dtype of `x`. Pullback: g·eˣ (reusing the output).
public func exp(_ x: Tensor) -> Tensor {
    let y = ElementwiseSupport.vectorMap(x, wt_expf_array, wt_exp_array)
    return Tape.record("exp", outputs: [y], inputs: [x], pullback: { g in
        [Tensor.zipElements(g[0], y, op: "exp pullback", .multiply)]
    }, accumulating: { g, sums in
        // sum + g·y in one pass (wt_add_product_*, the bits of the product then the tape's addition)
        if let sum = sums[0], sum.shape == y.shape, sum.dtype == y.dtype, g[0].shape == y.shape, g[0].dtype == y.dtype {
            sums[0] = ElementwiseSupport.addingProduct(sum, g[0], y)
        } else {
            Tape.add(Tensor.zipElements(g[0], y, op: "exp pullback", .multiply), into: &sums[0], shape: x.shape, dtype: x.dtype)
        }
    })[0]
}

/// ln x elementwise (−inf at 0, NaN below 0). Pullback: g / x.
public func log(_ x: Tensor) -> Tensor {
    let y = ElementwiseSupport.vectorMap(x, wt_logf_array, wt_log_array)
    let x0 = x.detached()
    return Tape.record("log", y, inputs: [x]) { g in [Tensor.zipElements(g, x0, op: "log pullback", .divide)] }
}

/// ln(1 + x) elementwise, accurate for small x. Pullback: g / (1 + x).
public func log1p(_ x: Tensor) -> Tensor {
    let y = ElementwiseSupport.vectorMap(x, wt_log1pf_array, wt_log1p_array)
    let x0 = x.detached()
    return Tape.record("log1p", y, inputs: [x]) { g in
        [chain(g, x0, op: "log1p pullback", { $0 / (1 + $1) }, { $0 / (1 + $1) })]
    }
}

/// √x elementwise. Pullback: g / (2√x) (inf at 0, like PyTorch).
public func sqrt(_ x: Tensor) -> Tensor {
    let y = x.mapElements({ $0.squareRoot() }, { $0.squareRoot() })
    return Tape.record("sqrt", y, inputs: [x]) { g in
        [chain(g, y, op: "sqrt pullback", { $0 / (2 * $1) }, { $0 / (2 * $1) })]
    }
}

/// x² elementwise. Pullback: 2x·g.
public func square(_ x: Tensor) -> Tensor {
    let y = x.mapElements({ $0 * $0 }, { $0 * $0 })
    let x0 = x.detached()
    return Tape.record("square", y, inputs: [x]) { g in
        [chain(g, x0, op: "square pullback", { 2 * $1 * $0 }, { 2 * $1 * $0 })]
    }
}

/// |x| elementwise. Pullback: g·sign(x), with sign(0) = 0 (PyTorch's subgradient at the kink).
public func abs(_ x: Tensor) -> Tensor {
    let y = x.mapElements({ Swift.abs($0) }, { Swift.abs($0) })
    let x0 = x.detached()
    return Tape.record("abs", y, inputs: [x]) { g in
        [chain(g, x0, op: "abs pullback", { $0 * ElementwiseSupport.sign($1) }, { $0 * ElementwiseSupport.sign($1) })]
    }
}

/// sign(x) ∈ {−1, 0, +1} elementwise (NaN stays NaN). Not differentiable: the result is a
/// constant (its derivative is 0 almost everywhere), never recorded on a tape.
public func sign(_ x: Tensor) -> Tensor {
    x.mapElements(ElementwiseSupport.sign, ElementwiseSupport.sign)
}

/// xᵖ elementwise for a constant exponent `p`.
/// Pullback: g·p·x^(p−1); exactly 0 when p = 0 (PyTorch's rule, avoiding 0·inf at x = 0).
public func pow(_ x: Tensor, _ p: Double) -> Tensor {
    let pf = Float(p)
    let y = x.mapElements({ Float.pow($0, pf) }, { Double.pow($0, p) })
    let x0 = x.detached()
    return Tape.record("pow", y, inputs: [x]) { g in
        if p == 0 { return [Tensor.zeros(g.shape, dtype: g.dtype)] }
        return [chain(g, x0, op: "pow pullback", { $0 * pf * Float.pow($1, pf - 1) },
                      { $0 * p * Double.pow($1, p - 1) })]
    }
}

/// xᵉ elementwise with broadcasting between base `x` and exponent `e`.
///
/// Pullbacks: to x, g·e·x^(e−1) (0 where e = 0); to e, g·xᵉ·ln x (0 where x = 0 and e ≥ 0,
/// PyTorch's convention, since xᵉ is then constant 0 or 1 in e from the right).
public func pow(_ x: Tensor, _ e: Tensor) -> Tensor {
    let y = Tensor.zipElements(x, e, op: "pow", Float.pow, Double.pow)
    let x0 = x.detached(), e0 = e.detached()
    return Tape.record("pow", y, inputs: [x, e]) { g in
        func dx<T: TensorScalar>(_ x: T, _ e: T) -> T { e == 0 ? 0 : e * T.pow(x, e - 1) }
        func de<T: TensorScalar>(_ x: T, _ e: T) -> T { x == 0 && e >= 0 ? 0 : T.pow(x, e) * T.log(x) }
        let fx = Tensor.zipElements(x0, e0, op: "pow pullback", dx, dx)
        let fe = Tensor.zipElements(x0, e0, op: "pow pullback", de, de)
        return [Tensor.zipElements(g, fx, op: "pow pullback", .multiply),
                Tensor.zipElements(g, fe, op: "pow pullback", .multiply)]
    }
}

// MARK: - Clamping and extrema

/// Clamps every element into [min, max]: `Swift.min(Swift.max(x, min), max)` (either bound may
/// be omitted; NaN stays NaN; when min > max every element becomes max, like PyTorch).
/// Pullback: g where min ≤ x ≤ max (bounds inclusive, PyTorch's rule), 0 elsewhere.
/// - Precondition: at least one bound is given.
public func clamp(_ x: Tensor, min: Double? = nil, max: Double? = nil) -> Tensor {
    require(min != nil || max != nil, "clamp: give at least one of min and max")
    let lo = min ?? -Double.infinity, hi = max ?? Double.infinity
    let lo32 = Float(lo), hi32 = Float(hi)
    func f<T: TensorScalar>(_ v: T, _ lo: T, _ hi: T) -> T {
        if v.isNaN { return v }
        let a = v < lo ? lo : v
        return a > hi ? hi : a
    }
    let y = x.mapElements({ f($0, lo32, hi32) }, { f($0, lo, hi) })
    let x0 = x.detached()
    return Tape.record("clamp", y, inputs: [x]) { g in
        [chain(g, x0, op: "clamp pullback", { $1 >= lo32 && $1 <= hi32 ? $0 : 0 }, { $1 >= lo && $1 <= hi ? $0 : 0 })]
    }
}

/// The larger of `a` and `b` elementwise, with broadcasting (NaN if either is NaN).
/// Pullback (PyTorch's tie rule): g to the larger operand; at a tie a = b each gets g/2.
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
    extremum(a, b, name: "maximum", pickFirst32: { $0 > $1 }, pickFirst64: { $0 > $1 })
}

/// The smaller of `a` and `b` elementwise, with broadcasting (NaN if either is NaN).
/// Pullback (PyTorch's tie rule): g to the smaller operand; at a tie a = b each gets g/2.
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
    extremum(a, b, name: "minimum", pickFirst32: { $0 < $1 }, pickFirst64: { $0 < $1 })
}

private func extremum(_ a: Tensor, _ b: Tensor, name: String,
                      pickFirst32: @escaping (Float, Float) -> Bool,
                      pickFirst64: @escaping (Double, Double) -> Bool) -> Tensor {
    let y = Tensor.zipElements(a, b, op: name, { pickFirst32($0, $1) || $0.isNaN ? $0 : $1 },
                               { pickFirst64($0, $1) || $0.isNaN ? $0 : $1 })
    let a0 = a.detached(), b0 = b.detached()
    return Tape.record(name, y, inputs: [a, b]) { g in
        // Share of the cotangent that goes to `a`: 1, ½ at ties, 0; `b` gets 1 − share,
        // except that NaN operands pass the gradient to both (no comparison holds).
        func shareA32(_ x: Float, _ y: Float) -> Float { x == y ? 0.5 : (pickFirst32(y, x) ? 0 : 1) }
        func shareB32(_ x: Float, _ y: Float) -> Float { x == y ? 0.5 : (pickFirst32(x, y) ? 0 : 1) }
        func shareA64(_ x: Double, _ y: Double) -> Double { x == y ? 0.5 : (pickFirst64(y, x) ? 0 : 1) }
        func shareB64(_ x: Double, _ y: Double) -> Double { x == y ? 0.5 : (pickFirst64(x, y) ? 0 : 1) }
        let sa = Tensor.zipElements(a0, b0, op: "\(name) pullback", shareA32, shareA64)
        let sb = Tensor.zipElements(a0, b0, op: "\(name) pullback", shareB32, shareB64)
        return [Tensor.zipElements(g, sa, op: "\(name) pullback", .multiply),
                Tensor.zipElements(g, sb, op: "\(name) pullback", .multiply)]
    }
}

// MARK: - Activations

/// max(x, 0) elementwise (NaN stays NaN). Pullback: g where x > 0, else 0 (so 0 at x = 0,
/// PyTorch's choice).
public func relu(_ x: Tensor) -> Tensor {
    let y = x.mapElements({ $0 > 0 || $0.isNaN ? $0 : 0 }, { $0 > 0 || $0.isNaN ? $0 : 0 })
    return Tape.record("relu", y, inputs: [x]) { g in
        [chain(g, y, op: "relu pullback", { $1 > 0 ? $0 : 0 }, { $1 > 0 ? $0 : 0 })]
    }
}

/// x where x > 0, else `negativeSlope`·x. Pullback: g where x > 0, else `negativeSlope`·g
/// (the slope branch at x = 0, like PyTorch).
public func leakyReLU(_ x: Tensor, negativeSlope: Double = 0.01) -> Tensor {
    let s64 = negativeSlope, s32 = Float(negativeSlope)
    let y = x.mapElements({ $0 > 0 ? $0 : $0 * s32 }, { $0 > 0 ? $0 : $0 * s64 })
    let x0 = x.detached()
    return Tape.record("leakyReLU", y, inputs: [x]) { g in
        [chain(g, x0, op: "leakyReLU pullback", { $1 > 0 ? $0 : $0 * s32 }, { $1 > 0 ? $0 : $0 * s64 })]
    }
}

/// The logistic function σ(x) = 1 / (1 + e^{−x}), evaluated stably in both tails
/// (σ(−700) is the tiny positive e^{−700}, not 0/NaN). Pullback: g·σ(x)·(1 − σ(x)).
public func sigmoid(_ x: Tensor) -> Tensor {
    // float64: the Kernels vector sigmoid (within 2 ulp). float32: evaluated in float32 like
    // PyTorch, because the pullback σ(1 − σ) inherits the rounding of σ near ±15, where a
    // one-ulp different σ changes the gradient by 20% (see Docs/gradients/real-elementwise.md).
    let y = x.dtype == .float32
        ? x.mapElements(ElementwiseSupport.sigmoid, ElementwiseSupport.sigmoid)
        : ElementwiseSupport.vectorMap(x, wt_sigmoidf_array, wt_sigmoid_array)
    return Tape.record("sigmoid", y, inputs: [x]) { g in
        [chain(g, y, op: "sigmoid pullback", { $0 * $1 * (1 - $1) }, { $0 * $1 * (1 - $1) })]
    }
}

/// ln σ(x) = −softplus(−x), evaluated as min(x, 0) − log1p(e^{−|x|}) (finite for every finite x).
/// Pullback: g·(1 − σ(x)) = g·σ(−x), evaluated stably.
public func logSigmoid(_ x: Tensor) -> Tensor {
    let y = ElementwiseSupport.vectorMap(x, wt_log_sigmoidf_array, wt_log_sigmoid_array)
    let x0 = x.detached()
    return Tape.record("logSigmoid", y, inputs: [x]) { g in
        [chain(g, x0, op: "logSigmoid pullback", { $0 * ElementwiseSupport.sigmoid(-$1) }, { $0 * ElementwiseSupport.sigmoid(-$1) })]
    }
}

/// tanh x elementwise. Pullback: g·(1 − tanh²x).
public func tanh(_ x: Tensor) -> Tensor {
    let y = ElementwiseSupport.vectorMap(x, wt_tanhf_array, wt_tanh_array)
    return Tape.record("tanh", y, inputs: [x]) { g in
        [chain(g, y, op: "tanh pullback", { $0 * (1 - $1 * $1) }, { $0 * (1 - $1 * $1) })]
    }
}

/// PyTorch's softplus: ln(1 + e^{βx}) / β, and x itself where βx > `threshold` (linear regime).
/// The logarithm is evaluated as max(βx, 0) + log1p(e^{−|βx|}), so it is finite for any finite x
/// and any threshold. Pullback: g·σ(βx), and g where βx > threshold.
public func softplus(_ x: Tensor, beta: Double = 1, threshold: Double = 20) -> Tensor {
    let b32 = Float(beta), t32 = Float(threshold)
    let x0 = x.detached()
    // ln(1 + e^{βx}) by the vector kernel, then /β, and x itself where βx > threshold.
    let bx = beta == 1 ? x0 : x0.mapElements({ $0 * b32 }, { $0 * beta })
    let lse = ElementwiseSupport.vectorMap(bx, wt_softplusf_array, wt_softplus_array)
    let y = Tensor.zipElements(x0, lse, op: "softplus", { b32 * $0 > t32 ? $0 : $1 / b32 },
                               { beta * $0 > threshold ? $0 : $1 / beta })
    return Tape.record("softplus", y, inputs: [x]) { g in
        [chain(g, x0, op: "softplus pullback", { $0 * ElementwiseSupport.softplusDerivative($1, b32, t32) },
               { $0 * ElementwiseSupport.softplusDerivative($1, beta, threshold) })]
    }
}

// MARK: - Selection and conversion

/// Picks `a` where `mask` is non-zero and `b` elsewhere (PyTorch's `where(mask, a, b)`), with
/// broadcasting among all three. `mask` may have any dtype (typically a 0/1 result of a
/// comparison); `a` and `b` share one dtype, which is the result's.
/// Pullback: g to `a` where the mask is set, g to `b` elsewhere; the mask gets no gradient.
public func select(_ mask: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    require(a.dtype == b.dtype, "select: dtypes \(a.dtype) and \(b.dtype) of the two branches differ")
    let m = mask.converted(to: a.dtype)
    let y = ElementwiseSupport.pick(m, a, b, op: "select")
    return Tape.record("select", y, inputs: [mask, a, b]) { g in
        let z = Tensor(scalar: 0, dtype: g.dtype)
        return [nil, ElementwiseSupport.pick(m, g, z, op: "select pullback"), ElementwiseSupport.pick(m, z, g, op: "select pullback")]
    }
}

/// The values of `x` as `dtype` (rounding to nearest when narrowing). Differentiable:
/// the pullback converts the cotangent back to `x`'s dtype.
public func cast(_ x: Tensor, to dtype: DType) -> Tensor {
    let y = x.converted(to: dtype)
    let source = x.dtype
    return Tape.record("cast", y, inputs: [x]) { g in [g.converted(to: source)] }
}
