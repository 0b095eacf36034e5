// Complex elementwise functions: modulus, argument, exp/log, trigonometric and hyperbolic
// functions (cplxmodule's formulas), modReLU and phase shifts.
//
// Holomorphic f: pullback conj(f'(z))·g. Real-valued r(z) (abs, angle) with real cotangent g:
// pullback g·(∂r/∂x + i·∂r/∂y). Derivations: Docs/Gradients.md.

import Foundation
import Kernels

/// Records a holomorphic elementwise function `w = f(z)`: the pullback is `conj(f'(z))·g`,
/// where `derivative(z, w)` returns f'(z) (untraced).
private func holomorphic(_ name: String, _ z: ComplexTensor, _ w: ComplexTensor,
                         derivative: @escaping (_ z: ComplexTensor, _ w: ComplexTensor) -> ComplexTensor) -> ComplexTensor {
    ComplexSupport.record(name, w, inputs: [z.real, z.imag]) { gr, gi in
        let d = derivative(z.detached(), w)
        let g = ComplexSupport.zip(.init(d), .init(re: gr, im: gi), op: "\(name) pullback", ComplexSupport.mulConj)
        return [g.real, g.imag]
    }
}

/// The squared modulus `|z|² = re·re + im·im` (a real tensor of `z`'s shape), one tape entry and
/// one Kernels pass each way (`wt_cplx_squared_modulus_*`): the same bits as the composed
/// `z.real * z.real + z.imag * z.imag` and its cotangents. Pullback: `(g·re + g·re, g·im + g·im)`.
public func squaredModulus(_ z: ComplexTensor) -> Tensor {
    let n = z.real.count
    var out = [Tensor(uninitializedShape: z.shape, dtype: z.dtype)]
    switch z.dtype {   // one C kernel per dtype
    case .float32:
        Tensor.withBaseAddresses(reading: [z.real, z.imag], writing: &out, as: Float.self) { i, o in
            wt_cplx_squared_modulus_f32(i[0], i[1], o[0], n)
        }
    case .float64:
        Tensor.withBaseAddresses(reading: [z.real, z.imag], writing: &out, as: Double.self) { i, o in
            wt_cplx_squared_modulus_f64(i[0], i[1], o[0], n)
        }
    }
    return Tape.record("squared modulus", out[0], inputs: [z.real, z.imag]) { g in
        let zd = z.detached(), g = g.shape == z.shape && g.dtype == z.dtype ? g : g.summed(toShape: z.shape).converted(to: z.dtype)
        var gz = [Tensor(uninitializedShape: z.shape, dtype: z.dtype), Tensor(uninitializedShape: z.shape, dtype: z.dtype)]
        switch z.dtype {
        case .float32:
            Tensor.withBaseAddresses(reading: [zd.real, zd.imag, g], writing: &gz, as: Float.self) { i, o in
                wt_cplx_squared_modulus_grad_f32(i[0], i[1], i[2], o[0], o[1], n)
            }
        case .float64:
            Tensor.withBaseAddresses(reading: [zd.real, zd.imag, g], writing: &gz, as: Double.self) { i, o in
                wt_cplx_squared_modulus_grad_f64(i[0], i[1], i[2], o[0], o[1], n)
            }
        }
        return [gz[0], gz[1]]
    }
}

/// The modulus `|z| = √(re² + im²)` (a real tensor of `z`'s shape), computed by the vectorised
/// `wt_cabs_array` kernel (within 1 ulp of libm `hypot`, which it falls back to outside
/// [2⁻⁵⁰⁰, 2⁵⁰⁰] and for inf/NaN).
/// Pullback: `g·z/|z|`, and 0 at `z = 0` (like cplxmodule, whose norm has gradient 0 there).
public func abs(_ z: ComplexTensor) -> Tensor {
    let r = complexModulus(z.real, z.imag)
    let outs = Tape.record("complex abs", outputs: [r], inputs: [z.real, z.imag]) { gs in
        let g = complexModulusPullback(z.real.detached(), z.imag.detached(), gs[0])
        return [g.real, g.imag]
    }
    return outs[0]
}

/// `√(re² + im²)` elementwise (equal shapes and dtypes), untraced.
private func complexModulus(_ re: Tensor, _ im: Tensor) -> Tensor {
    var out = [Tensor(uninitializedShape: re.shape, dtype: re.dtype)]
    let n = re.count
    func run<T: TensorScalar>(_: T.Type, _ kernel: (UnsafePointer<T>?, UnsafePointer<T>?, UnsafeMutablePointer<T>?, Int) -> Void) {
        Tensor.withBaseAddresses(reading: [re, im], writing: &out, as: T.self) { i, o in
            parallelFor(n, grain: ComplexSupport.elementGrain) { r in kernel(i[0] + r.lowerBound, i[1] + r.lowerBound, o[0] + r.lowerBound, r.count) }
        }
    }
    switch re.dtype {   // one C kernel per dtype
    case .float32: run(Float.self, wt_cabsf_array)
    case .float64: run(Double.self, wt_cabs_array)
    }
    return out[0]
}

/// `(g·re/|z|, g·im/|z|)` elementwise, 0 where `|z| = 0` (all three of one shape and dtype), untraced.
private func complexModulusPullback(_ re: Tensor, _ im: Tensor, _ g: Tensor) -> ComplexTensor {
    require(g.shape == re.shape && g.dtype == re.dtype,
            "complex abs pullback: cotangent \(g.shape) \(g.dtype) for a \(re.shape) \(re.dtype) input")
    var out = [Tensor(uninitializedShape: re.shape, dtype: re.dtype), Tensor(uninitializedShape: re.shape, dtype: re.dtype)]
    let n = re.count
    func run<T: TensorScalar>(_: T.Type, _ kernel: (UnsafePointer<T>?, UnsafePointer<T>?, UnsafePointer<T>?,
                                                      UnsafeMutablePointer<T>?, UnsafeMutablePointer<T>?, Int) -> Void) {
        Tensor.withBaseAddresses(reading: [re, im, g], writing: &out, as: T.self) { i, o in
            parallelFor(n, grain: ComplexSupport.elementGrain) { r in
                let k = r.lowerBound
                kernel(i[0] + k, i[1] + k, i[2] + k, o[0] + k, o[1] + k, r.count)
            }
        }
    }
    switch re.dtype {   // one C kernel per dtype
    case .float32: run(Float.self, wt_cabsf_grad_array)
    case .float64: run(Double.self, wt_cabs_grad_array)
    }
    return ComplexTensor(real: out[0], imag: out[1])
}

/// The argument `atan2(im, re)` ∈ (−π, π] (a real tensor of `z`'s shape).
/// Pullback: `g·(−im + i·re)/|z|² = g·i·z/|z|²`, and 0 at `z = 0` (where the argument is not differentiable).
public func angle(_ z: ComplexTensor) -> Tensor {
    let a = ComplexSupport.mapToReal(z.real, z.imag) { x, y in Double.atan2(y, x) }
    let outs = Tape.record("angle", outputs: [a], inputs: [z.real, z.imag]) { gs in
        let g = ComplexSupport.zip(.init(z.detached()), .init(gs[0]), op: "angle pullback") { x, y, g, _ in
            let m2 = x * x + y * y
            return m2 == 0 ? (0, 0) : (-g * y / m2, g * x / m2)
        }
        return [g.real, g.imag]
    }
    return outs[0]
}

/// `exp(z) = e^re·(cos im + i·sin im)`. Pullback: `conj(exp z)·g`.
public func exp(_ z: ComplexTensor) -> ComplexTensor {
    let w = ComplexSupport.map(z.real, z.imag) { x, y in
        let e = Double.exp(x)
        return (e * Double.cos(y), e * Double.sin(y))
    }
    return holomorphic("complex exp", z, w) { _, w in w }
}

/// `log(z) = log|z| + i·angle(z)` (log 0 = −inf). Pullback: `g / conj(z)`.
public func log(_ z: ComplexTensor) -> ComplexTensor {
    let w = ComplexSupport.map(z.real, z.imag) { x, y in (Double.log(Double.hypot(x, y)), Double.atan2(y, x)) }
    return holomorphic("complex log", z, w) { z, _ in ComplexSupport.map(z.real, z.imag) { x, y in ComplexSupport.div(1, 0, x, y) } }
}

/// `sin(z) = sin re·cosh im + i·cos re·sinh im`. Pullback: `conj(cos z)·g`.
public func sin(_ z: ComplexTensor) -> ComplexTensor {
    let w = ComplexSupport.map(z.real, z.imag) { x, y in (Double.sin(x) * Double.cosh(y), Double.cos(x) * Double.sinh(y)) }
    return holomorphic("complex sin", z, w) { z, _ in
        ComplexSupport.map(z.real, z.imag) { x, y in (Double.cos(x) * Double.cosh(y), -Double.sin(x) * Double.sinh(y)) }
    }
}

/// `cos(z) = cos re·cosh im − i·sin re·sinh im`. Pullback: `conj(−sin z)·g`.
public func cos(_ z: ComplexTensor) -> ComplexTensor {
    let w = ComplexSupport.map(z.real, z.imag) { x, y in (Double.cos(x) * Double.cosh(y), -Double.sin(x) * Double.sinh(y)) }
    return holomorphic("complex cos", z, w) { z, _ in
        ComplexSupport.map(z.real, z.imag) { x, y in (-Double.sin(x) * Double.cosh(y), -Double.cos(x) * Double.sinh(y)) }
    }
}

/// `sinh(z) = sinh re·cos im + i·cosh re·sin im`. Pullback: `conj(cosh z)·g`.
public func sinh(_ z: ComplexTensor) -> ComplexTensor {
    let w = ComplexSupport.map(z.real, z.imag) { x, y in (Double.sinh(x) * Double.cos(y), Double.cosh(x) * Double.sin(y)) }
    return holomorphic("complex sinh", z, w) { z, _ in
        ComplexSupport.map(z.real, z.imag) { x, y in (Double.cosh(x) * Double.cos(y), Double.sinh(x) * Double.sin(y)) }
    }
}

/// `cosh(z) = cosh re·cos im + i·sinh re·sin im`. Pullback: `conj(sinh z)·g`.
public func cosh(_ z: ComplexTensor) -> ComplexTensor {
    let w = ComplexSupport.map(z.real, z.imag) { x, y in (Double.cosh(x) * Double.cos(y), Double.sinh(x) * Double.sin(y)) }
    return holomorphic("complex cosh", z, w) { z, _ in
        ComplexSupport.map(z.real, z.imag) { x, y in (Double.sinh(x) * Double.cos(y), Double.cosh(x) * Double.sin(y)) }
    }
}

/// `tanh(z) = sinh z / cosh z`, evaluated with Kahan's formula
/// `(β·ρ·s + i·t) / (1 + β·s²)`, `t = tan im, β = 1 + t², s = sinh re, ρ = √(1 + s²)`, and its
/// limit `±1 + i·4·sin(im)·cos(im)·e^{−2|re|}` for `|re| > 22`. This equals cplxmodule's
/// `sinh/cosh` where that is finite and stays finite where cplxmodule's overflows to NaN
/// (`|re|` above ~710). Pullback: `conj(1 − tanh² z)·g`.
public func tanh(_ z: ComplexTensor) -> ComplexTensor {
    let w = ComplexSupport.map(z.real, z.imag) { x, y in
        if Swift.abs(x) > 22 {
            let e = Double.exp(-2 * Swift.abs(x))
            return (x > 0 ? 1 : -1, 4 * Double.sin(y) * Double.cos(y) * e)
        }
        let t = Foundation.tan(y), beta = 1 + t * t, s = Double.sinh(x), rho = (1 + s * s).squareRoot()
        let d = 1 + beta * s * s
        return (beta * rho * s / d, t / d)
    }
    return holomorphic("complex tanh", z, w) { _, w in
        ComplexSupport.map(w.real, w.imag) { u, v in (1 - (u * u - v * v), -2 * u * v) }
    }
}

/// Multiplies `z` by the unit phasor `e^{iφ} = cos φ + i·sin φ` of a real tensor `phi`
/// (broadcast against `z`): cplxmodule's `phaseshift`. Shape: the broadcast of both shapes.
/// Pullback: `e^{−iφ}·g` for `z`; `Im(conj(g)·i·w)`-style `gim·Re w − gre·Im w` for `φ`.
public func phaseShift(_ z: ComplexTensor, phi: Tensor) -> ComplexTensor {
    let w = ComplexSupport.zip(.init(z), .init(phi), op: "phaseShift") { x, y, p, _ in
        ComplexSupport.mul(x, y, Double.cos(p), Double.sin(p))
    }
    return ComplexSupport.record("phaseShift", w, inputs: [z.real, z.imag, phi]) { gr, gi in
        let g = ComplexSupport.Operand(re: gr, im: gi)
        let gz = ComplexSupport.zip(g, .init(phi.detached()), op: "phaseShift pullback") { p, q, f, _ in
            ComplexSupport.mulConj(Double.cos(f), Double.sin(f), p, q)
        }
        let gphi = ComplexSupport.zipToReal(g, .init(w), op: "phaseShift pullback") { p, q, u, v in q * u - p * v }
        return [gz.real, gz.imag, gphi]
    }
}

/// The modulus below which modReLU clamps `|z|` (cplxmodule's constant).
private let modReLUMinModulus = 1e-5

/// modReLU with a fixed threshold τ: `z·relu(1 − τ/m)`, `m = max(|z|, 1e-5)` — for
/// `|z| ≥ 1e-5` that is `max(0, |z| − τ)·e^{i·angle z}`. The sign of τ follows cplxmodule
/// (opposite to Arjovsky et al. 2016, whose bias is −τ). Pullback: see
/// the tensor-threshold overload.
public func modReLU(_ z: ComplexTensor, threshold: Double) -> ComplexTensor {
    modReLU(z, threshold: Tensor(scalar: threshold, dtype: z.dtype))
}

/// modReLU with a (learnable) threshold tensor τ broadcast against `z`:
/// `w = z·relu(1 − τ/m)`, `m = max(|z|, 1e-5)`. Shape: the broadcast of `z` and `τ`.
///
/// Pullback, with `s = 1 − τ/m`, `r = |z|`, `c = Re(conj(z)·g)`, all zero where `s ≤ 0`:
/// `s·g + [r ≥ 1e-5]·τ·c·z/r³` for `z`, and `−c/m` for `τ`.
public func modReLU(_ z: ComplexTensor, threshold tau: Tensor) -> ComplexTensor {
    require(z.dtype == tau.dtype, "modReLU: input is \(z.dtype) but the threshold is \(tau.dtype)")
    if tau.count == 1 && tau.rank == 0 { return modReLUScalarThreshold(z, tau) }
    let shape = z.shape == tau.shape ? z.shape : ComplexSupport.broadcastShape([z.shape, tau.shape], op: "modReLU")
    if shape == z.shape, let rows = ModReLURows(tau.shape, in: shape) { return modReLURows(z, tau, rows) }
    let w = ComplexSupport.zip(.init(z), .init(tau), op: "modReLU") { x, y, t, _ in
        let m = Swift.max((x * x + y * y).squareRoot(), modReLUMinModulus)
        let s = 1 - t / m
        return s > 0 ? (x * s, y * s) : (0, 0)
    }
    return ComplexSupport.record("modReLU", w, inputs: [z.real, z.imag, tau]) { gr, gi in
        let zd = z.detached(), td = tau.detached()
        var out = (0..<3).map { _ in Tensor(uninitializedShape: shape, dtype: z.dtype) }   // z̄ re, z̄ im, τ̄
        let sz = Broadcast.strides(of: z.shape, broadcastTo: shape)
        let st = Broadcast.strides(of: tau.shape, broadcastTo: shape)
        func run<T: TensorScalar>(_: T.Type) {
            Tensor.withBaseAddresses(reading: [zd.real, zd.imag, td, gr, gi], writing: &out, as: T.self) { i, o in
                let (xr, xi, tp, pr, pi, ar, ai, at) = (i[0], i[1], i[2], i[3], i[4], o[0], o[1], o[2])
                ComplexSupport.parallelForEach(shape, sz, st) { i, iz, it in
                    let x = Double(xr[iz]), y = Double(xi[iz]), t = Double(tp[it])
                    let p = Double(pr[i]), q = Double(pi[i])
                    let r = (x * x + y * y).squareRoot()
                    let m = Swift.max(r, modReLUMinModulus)
                    let s = 1 - t / m
                    guard s > 0 else { ar[i] = 0; ai[i] = 0; at[i] = 0; return }
                    let c = x * p + y * q
                    let k = r >= modReLUMinModulus ? t * c / (r * r * r) : 0
                    ar[i] = T(s * p + k * x)
                    ai[i] = T(s * q + k * y)
                    at[i] = T(-c / m)
                }
            }
        }
        z.dtype.dispatch { run($0) }
        return out
    }
}

/// A threshold that is constant along rows of the input: `z` read as `rows` rows of `inner`
/// contiguous elements, row `r` with threshold element `r % period` (a per-channel threshold
/// `[C, 1, …]` against `[N, C, *S]`: period C, inner ΠS). The layout of `wt_modrelu_rows_*`.
private struct ModReLURows {
    let rows: Int, inner: Int, period: Int

    /// The rows layout of a threshold of `tauShape` broadcast to `shape`, or nil: the threshold's
    /// non-broadcast axes must be one contiguous block whose trailing axes (after it) are broadcast.
    init?(_ tauShape: [Int], in shape: [Int]) {
        let strides = Broadcast.strides(of: tauShape, broadcastTo: shape)
        guard let last = strides.lastIndex(where: { $0 != 0 }) else { return nil }
        var first = last, expected = 1
        while first >= 0 && strides[first] != 0 {
            guard strides[first] == expected else { return nil }
            expected *= shape[first]; first -= 1
        }
        guard strides[...Swift.max(first, 0)].allSatisfy({ $0 == 0 }) || first < 0,
              expected == tauShape.reduce(1, *) else { return nil }
        period = expected
        inner = shape[(last + 1)...].reduce(1, *)
        rows = shape[...last].reduce(1, *)
    }
}

/// ``modReLU(_:threshold:)`` for a threshold constant along rows (``ModReLURows``), by the
/// `wt_modrelu_rows_*` kernels: the same formulas and bits as the general loop, over the threads;
/// the threshold's gradient is summed per element in the order the tape's un-broadcast would.
private func modReLURows(_ z: ComplexTensor, _ tau: Tensor, _ layout: ModReLURows) -> ComplexTensor {
    let (rows, inner, period) = (layout.rows, layout.inner, layout.period)
    var w = [Tensor(uninitializedShape: z.shape, dtype: z.dtype), Tensor(uninitializedShape: z.shape, dtype: z.dtype)]
    switch z.dtype {   // one C kernel per dtype
    case .float32:
        Tensor.withBaseAddresses(reading: [z.real, z.imag, tau], writing: &w, as: Float.self) { i, o in
            wt_modrelu_rows_f32(i[0], i[1], i[2], period, rows, inner, o[0], o[1])
        }
    case .float64:
        Tensor.withBaseAddresses(reading: [z.real, z.imag, tau], writing: &w, as: Double.self) { i, o in
            wt_modrelu_rows_f64(i[0], i[1], i[2], period, rows, inner, o[0], o[1])
        }
    }
    let tauTraced = tau.isTraced
    return ComplexSupport.record("modReLU", ComplexTensor(real: w[0], imag: w[1]), inputs: [z.real, z.imag, tau]) { gr, gi in
        let zd = z.detached(), td = tau.detached()
        var out = [Tensor(uninitializedShape: z.shape, dtype: z.dtype), Tensor(uninitializedShape: z.shape, dtype: z.dtype),
                   Tensor(uninitializedShape: tau.shape, dtype: z.dtype)]
        switch z.dtype {
        case .float32:
            Tensor.withBaseAddresses(reading: [zd.real, zd.imag, gr, gi, td], writing: &out, as: Float.self) { i, o in
                wt_modrelu_rows_grad_f32(i[0], i[1], i[2], i[3], i[4], period, rows, inner, o[0], o[1], tauTraced ? o[2] : nil)
            }
        case .float64:
            Tensor.withBaseAddresses(reading: [zd.real, zd.imag, gr, gi, td], writing: &out, as: Double.self) { i, o in
                wt_modrelu_rows_grad_f64(i[0], i[1], i[2], i[3], i[4], period, rows, inner, o[0], o[1], tauTraced ? o[2] : nil)
            }
        }
        return [out[0], out[1], tauTraced ? out[2] : nil]
    }
}

/// ``modReLU(_:threshold:)`` for a rank-0 threshold (the layer's usual case): the same formulas,
/// element by element, by the `wt_modrelu_rows_*` kernels (every row with the one threshold; the
/// same bits as the general loop, split over the threads by rows of the last axis), and no τ
/// gradient unless τ is on a tape (then the z and τ cotangents come from one loop that sums τ's
/// in double, in element order).
private func modReLUScalarThreshold(_ z: ComplexTensor, _ tau: Tensor) -> ComplexTensor {
    let n = z.real.count, t = tau.item, tauTraced = tau.isTraced
    // rows × inner = n, inner the last axis (a single row for rank 0 or an empty last axis)
    let inner = z.rank == 0 || z.shape[z.rank - 1] == 0 ? Swift.max(n, 1) : z.shape[z.rank - 1], rows = n / inner
    let td = tau.detached()
    var parts = [Tensor(uninitializedShape: z.shape, dtype: z.dtype), Tensor(uninitializedShape: z.shape, dtype: z.dtype)]
    if n > 0 {
        switch z.dtype {   // one C kernel per dtype
        case .float32:
            Tensor.withBaseAddresses(reading: [z.real, z.imag, td], writing: &parts, as: Float.self) { i, o in
                wt_modrelu_rows_f32(i[0], i[1], i[2], 1, rows, inner, o[0], o[1])
            }
        case .float64:
            Tensor.withBaseAddresses(reading: [z.real, z.imag, td], writing: &parts, as: Double.self) { i, o in
                wt_modrelu_rows_f64(i[0], i[1], i[2], 1, rows, inner, o[0], o[1])
            }
        }
    }
    let w = ComplexTensor(real: parts[0], imag: parts[1])
    if !tauTraced {
        return ComplexSupport.record("modReLU", w, inputs: [z.real, z.imag, tau]) { gr, gi in
            let zd = z.detached()
            var gz = [Tensor(uninitializedShape: z.shape, dtype: z.dtype), Tensor(uninitializedShape: z.shape, dtype: z.dtype)]
            guard n > 0 else { return [gz[0], gz[1], nil] }
            switch z.dtype {
            case .float32:
                Tensor.withBaseAddresses(reading: [zd.real, zd.imag, gr, gi, td], writing: &gz, as: Float.self) { i, o in
                    wt_modrelu_rows_grad_f32(i[0], i[1], i[2], i[3], i[4], 1, rows, inner, o[0], o[1], nil)
                }
            case .float64:
                Tensor.withBaseAddresses(reading: [zd.real, zd.imag, gr, gi, td], writing: &gz, as: Double.self) { i, o in
                    wt_modrelu_rows_grad_f64(i[0], i[1], i[2], i[3], i[4], 1, rows, inner, o[0], o[1], nil)
                }
            }
            return [gz[0], gz[1], nil]
        }
    }
    return ComplexSupport.record("modReLU", w, inputs: [z.real, z.imag, tau]) { gr, gi in
        let zd = z.detached()
        var gz = [Tensor(uninitializedShape: z.shape, dtype: z.dtype), Tensor(uninitializedShape: z.shape, dtype: z.dtype)]
        var gt = 0.0
        func run<T: TensorScalar>(_: T.Type) {
            Tensor.withBaseAddresses(reading: [zd.real, zd.imag, gr, gi], writing: &gz, as: T.self) { i, o in
                let (xr, xi, pr, pi, ar, ai) = (i[0], i[1], i[2], i[3], o[0], o[1])
                for k in 0..<n {
                    let x = Double(xr[k]), y = Double(xi[k]), p = Double(pr[k]), q = Double(pi[k])
                    let r = (x * x + y * y).squareRoot()
                    let m = Swift.max(r, modReLUMinModulus)
                    let s = 1 - t / m
                    guard s > 0 else { ar[k] = 0; ai[k] = 0; continue }
                    let c = x * p + y * q
                    let kk = r >= modReLUMinModulus ? t * c / (r * r * r) : 0
                    ar[k] = T(s * p + kk * x)
                    ai[k] = T(s * q + kk * y)
                    if tauTraced { gt += Double(T(-c / m)) }
                }
            }
        }
        z.dtype.dispatch { run($0) }
        return [gz[0], gz[1], tauTraced ? Tensor(scalar: gt, dtype: tau.dtype) : nil]
    }
}
