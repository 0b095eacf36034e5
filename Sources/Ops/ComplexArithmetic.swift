// Complex arithmetic: + − × ÷ between complex tensors, complex and real tensors, and complex
// tensors and scalars, with broadcasting; negation, conjugation and the parts.
//
// Each op is one tape entry over the parts (inputs [re₁, im₁, re₂, im₂] or [re₁, im₁, x]).
// The pullback receives the output cotangent g = gre + i·gim and returns, for a complex
// input, ∂L/∂Re + i·∂L/∂Im (PyTorch's convention); for a holomorphic dependence w = f(z) that
// is conj(f'(z))·g, for a real input x it is Re(conj(∂w/∂x)·g). Derivations: Docs/Gradients.md.
//
// Unlike cplxmodule, complex ± real broadcasts BOTH parts: the imaginary part is expanded to
// the result shape when the real operand is the larger one (cplxmodule raises there).

// MARK: - complex ⊗ complex

/// `a + b` elementwise with broadcasting. Shape: the broadcast of both shapes.
/// Pullback: (g, g).
public func + (a: ComplexTensor, b: ComplexTensor) -> ComplexTensor {
    let y = ComplexTensor(real: Tensor.zipElements(a.real, b.real, op: "complex add", .add),
                          imag: Tensor.zipElements(a.imag, b.imag, op: "complex add", .add))
    return ComplexSupport.record("complex add", y, inputs: [a.real, a.imag, b.real, b.imag]) { gr, gi in [gr, gi, gr, gi] }
}

/// `a − b` elementwise with broadcasting. Pullback: (g, −g).
public func - (a: ComplexTensor, b: ComplexTensor) -> ComplexTensor {
    let y = ComplexTensor(real: Tensor.zipElements(a.real, b.real, op: "complex sub", .subtract),
                          imag: Tensor.zipElements(a.imag, b.imag, op: "complex sub", .subtract))
    return ComplexSupport.record("complex sub", y, inputs: [a.real, a.imag, b.real, b.imag]) { gr, gi in
        [gr, gi, negated(gr), negated(gi)]
    }
}

/// `a · b` = `(ar·br − ai·bi) + i(ar·bi + ai·br)` elementwise with broadcasting.
/// Pullback (holomorphic in each factor): (conj(b)·g, conj(a)·g).
public func * (a: ComplexTensor, b: ComplexTensor) -> ComplexTensor {
    let y = ComplexSupport.zip(.init(a), .init(b), op: "complex mul", ComplexSupport.mul)
    return ComplexSupport.record("complex mul", y, inputs: [a.real, a.imag, b.real, b.imag]) { gr, gi in
        let g = ComplexSupport.Operand(re: gr, im: gi)
        let ga = ComplexSupport.zip(.init(b.detached()), g, op: "complex mul pullback", ComplexSupport.mulConj)
        let gb = ComplexSupport.zip(.init(a.detached()), g, op: "complex mul pullback", ComplexSupport.mulConj)
        return [ga.real, ga.imag, gb.real, gb.imag]
    }
}

/// `a / b` = `a·conj(b) / |b|²` elementwise with broadcasting (division by 0 gives inf/NaN).
/// Pullback: (g / conj(b), −conj(w / b)·g) with w = a / b.
public func / (a: ComplexTensor, b: ComplexTensor) -> ComplexTensor {
    let y = ComplexSupport.zip(.init(a), .init(b), op: "complex div", ComplexSupport.div)
    return ComplexSupport.record("complex div", y, inputs: [a.real, a.imag, b.real, b.imag]) { gr, gi in
        let g = ComplexSupport.Operand(re: gr, im: gi), bd = ComplexSupport.Operand(b.detached())
        // g / conj(b) = g·b / |b|²
        let ga = ComplexSupport.zip(g, bd, op: "complex div pullback") { p, q, c, d in
            let n = c * c + d * d
            return ((p * c - q * d) / n, (p * d + q * c) / n)
        }
        let wOverB = ComplexSupport.zip(.init(y), bd, op: "complex div pullback", ComplexSupport.div)
        let gb = ComplexSupport.zip(.init(wOverB), g, op: "complex div pullback") { a, b, c, d in
            let (u, v) = ComplexSupport.mulConj(a, b, c, d)
            return (-u, -v)
        }
        return [ga.real, ga.imag, gb.real, gb.imag]
    }
}

// MARK: - complex ⊗ real tensor

/// `a + x` for a real tensor `x`: `(ar + x) + i·ai`, broadcasting both parts to the result
/// shape. Pullback: (g, Re g).
public func + (a: ComplexTensor, x: Tensor) -> ComplexTensor {
    let re = Tensor.zipElements(a.real, x, op: "complex+real add", .add)
    let y = ComplexTensor(real: re, imag: ComplexSupport.expand(a.imag, to: re.shape))
    return ComplexSupport.record("complex+real add", y, inputs: [a.real, a.imag, x]) { gr, gi in [gr, gi, gr] }
}

/// `x + a` for a real tensor `x` (see `a + x`).
public func + (x: Tensor, a: ComplexTensor) -> ComplexTensor {
    let re = Tensor.zipElements(x, a.real, op: "real+complex add", .add)
    let y = ComplexTensor(real: re, imag: ComplexSupport.expand(a.imag, to: re.shape))
    return ComplexSupport.record("real+complex add", y, inputs: [x, a.real, a.imag]) { gr, gi in [gr, gr, gi] }
}

/// `a − x` for a real tensor `x`: `(ar − x) + i·ai`, both parts broadcast. Pullback: (g, −Re g).
public func - (a: ComplexTensor, x: Tensor) -> ComplexTensor {
    let re = Tensor.zipElements(a.real, x, op: "complex-real sub", .subtract)
    let y = ComplexTensor(real: re, imag: ComplexSupport.expand(a.imag, to: re.shape))
    return ComplexSupport.record("complex-real sub", y, inputs: [a.real, a.imag, x]) { gr, gi in [gr, gi, negated(gr)] }
}

/// `x − a` for a real tensor `x`: `(x − ar) − i·ai`, both parts broadcast. Pullback: (Re g, −g).
public func - (x: Tensor, a: ComplexTensor) -> ComplexTensor {
    let re = Tensor.zipElements(x, a.real, op: "real-complex sub", .subtract)
    let y = ComplexTensor(real: re, imag: ComplexSupport.expand(negated(a.imag), to: re.shape))
    return ComplexSupport.record("real-complex sub", y, inputs: [x, a.real, a.imag]) { gr, gi in [gr, negated(gr), negated(gi)] }
}

/// `a · x` for a real tensor `x`: `ar·x + i·ai·x`. Pullback: (x·g, Re(conj(a)·g) = ar·gre + ai·gim).
public func * (a: ComplexTensor, x: Tensor) -> ComplexTensor {
    let y = ComplexSupport.zip(.init(a), .init(x), op: "complex*real mul", ComplexSupport.mul)
    return ComplexSupport.record("complex*real mul", y, inputs: [a.real, a.imag, x]) { gr, gi in
        let (ga, gx) = mulRealPullback(a.detached(), x.detached(), gr, gi)
        return [ga.real, ga.imag, gx]
    }
}

/// `x · a` for a real tensor `x` (see `a · x`).
public func * (x: Tensor, a: ComplexTensor) -> ComplexTensor {
    let y = ComplexSupport.zip(.init(x), .init(a), op: "real*complex mul", ComplexSupport.mul)
    return ComplexSupport.record("real*complex mul", y, inputs: [x, a.real, a.imag]) { gr, gi in
        let (ga, gx) = mulRealPullback(a.detached(), x.detached(), gr, gi)
        return [gx, ga.real, ga.imag]
    }
}

/// The cotangents of `a·x` (x real): `x·g` for `a` and `Re(conj(a)·g)` for `x`.
private func mulRealPullback(_ a: ComplexTensor, _ x: Tensor, _ gr: Tensor, _ gi: Tensor) -> (ComplexTensor, Tensor) {
    let g = ComplexSupport.Operand(re: gr, im: gi)
    let ga = ComplexSupport.zip(g, .init(x), op: "complex*real mul pullback", ComplexSupport.mul)
    let gx = ComplexSupport.zipToReal(.init(a), g, op: "complex*real mul pullback") { ar, ai, p, q in ar * p + ai * q }
    return (ga, gx)
}

/// `a / x` for a real tensor `x`: `ar/x + i·ai/x`.
/// Pullback: (g / x, −Re(conj(w)·g) / x) with w = a / x.
public func / (a: ComplexTensor, x: Tensor) -> ComplexTensor {
    let y = ComplexSupport.zip(.init(a), .init(x), op: "complex/real div") { ar, ai, c, _ in (ar / c, ai / c) }
    return ComplexSupport.record("complex/real div", y, inputs: [a.real, a.imag, x]) { gr, gi in
        let g = ComplexSupport.Operand(re: gr, im: gi), xd = ComplexSupport.Operand(x.detached())
        let ga = ComplexSupport.zip(g, xd, op: "complex/real div pullback") { p, q, c, _ in (p / c, q / c) }
        let wg = ComplexSupport.zipToReal(.init(y), g, op: "complex/real div pullback") { u, v, p, q in u * p + v * q }
        let gx = Tensor.zipElements(wg, x.detached(), op: "complex/real div pullback", { -$0 / $1 }, { -$0 / $1 })
        return [ga.real, ga.imag, gx]
    }
}

/// `x / a` for a real tensor `x`: `x·conj(a) / |a|²`.
/// Pullback: (Re(g / conj(a)) for x, −conj(w / a)·g for a) with w = x / a.
public func / (x: Tensor, a: ComplexTensor) -> ComplexTensor {
    let y = ComplexSupport.zip(.init(x), .init(a), op: "real/complex div", ComplexSupport.div)
    return ComplexSupport.record("real/complex div", y, inputs: [x, a.real, a.imag]) { gr, gi in
        let g = ComplexSupport.Operand(re: gr, im: gi), ad = ComplexSupport.Operand(a.detached())
        let gx = ComplexSupport.zipToReal(g, ad, op: "real/complex div pullback") { p, q, c, d in (p * c - q * d) / (c * c + d * d) }
        let wOverA = ComplexSupport.zip(.init(y), ad, op: "real/complex div pullback", ComplexSupport.div)
        let ga = ComplexSupport.zip(.init(wOverA), g, op: "real/complex div pullback") { a, b, c, d in
            let (u, v) = ComplexSupport.mulConj(a, b, c, d)
            return (-u, -v)
        }
        return [gx, ga.real, ga.imag]
    }
}

// MARK: - complex ⊗ scalar

/// A real scalar as a 0-d constant of `z`'s dtype.
private func scalar(_ s: Double, like z: ComplexTensor) -> Tensor { Tensor(scalar: s, dtype: z.dtype) }

/// `a + s` for a real scalar `s` (added to the real part).
public func + (a: ComplexTensor, s: Double) -> ComplexTensor { a + scalar(s, like: a) }
/// `s + a` for a real scalar `s`.
public func + (s: Double, a: ComplexTensor) -> ComplexTensor { scalar(s, like: a) + a }
/// `a − s` for a real scalar `s`.
public func - (a: ComplexTensor, s: Double) -> ComplexTensor { a - scalar(s, like: a) }
/// `s − a` for a real scalar `s`.
public func - (s: Double, a: ComplexTensor) -> ComplexTensor { scalar(s, like: a) - a }
/// `a · s` for a real scalar `s` (both parts scaled).
public func * (a: ComplexTensor, s: Double) -> ComplexTensor { a * scalar(s, like: a) }
/// `s · a` for a real scalar `s`.
public func * (s: Double, a: ComplexTensor) -> ComplexTensor { scalar(s, like: a) * a }
/// `a / s` for a real scalar `s`.
public func / (a: ComplexTensor, s: Double) -> ComplexTensor { a / scalar(s, like: a) }
/// `s / a` for a real scalar `s`: `s·conj(a) / |a|²`.
public func / (s: Double, a: ComplexTensor) -> ComplexTensor { scalar(s, like: a) / a }

// MARK: - compound assignment (rebinding, like cplxmodule's non-in-place operators)

/// `a = a + b`.
public func += (a: inout ComplexTensor, b: ComplexTensor) { a = a + b }
/// `a = a − b`.
public func -= (a: inout ComplexTensor, b: ComplexTensor) { a = a - b }
/// `a = a · b`.
public func *= (a: inout ComplexTensor, b: ComplexTensor) { a = a * b }
/// `a = a / b`.
public func /= (a: inout ComplexTensor, b: ComplexTensor) { a = a / b }
/// `a = a + x` (x real).
public func += (a: inout ComplexTensor, x: Tensor) { a = a + x }
/// `a = a − x` (x real).
public func -= (a: inout ComplexTensor, x: Tensor) { a = a - x }
/// `a = a · x` (x real).
public func *= (a: inout ComplexTensor, x: Tensor) { a = a * x }
/// `a = a / x` (x real).
public func /= (a: inout ComplexTensor, x: Tensor) { a = a / x }
/// `a = a · s` (s a real scalar).
public func *= (a: inout ComplexTensor, s: Double) { a = a * s }
/// `a = a / s` (s a real scalar).
public func /= (a: inout ComplexTensor, s: Double) { a = a / s }

// MARK: - negation, conjugation, parts

/// A real tensor with every element negated (untraced).
private func negated(_ t: Tensor) -> Tensor { t.negatedElements() }

/// `−a` (both parts negated). Pullback: −g.
public prefix func - (a: ComplexTensor) -> ComplexTensor {
    let y = ComplexTensor(real: negated(a.real), imag: negated(a.imag))
    return ComplexSupport.record("complex neg", y, inputs: [a.real, a.imag]) { gr, gi in [negated(gr), negated(gi)] }
}

/// The complex conjugate `re − i·im`. Anti-holomorphic (∂/∂z = 0, ∂/∂z̄ = 1), so the
/// pullback is conj(g).
public func conj(_ z: ComplexTensor) -> ComplexTensor {
    let y = ComplexTensor(real: z.real.detached(), imag: negated(z.imag))
    return ComplexSupport.record("conj", y, inputs: [z.real, z.imag]) { gr, gi in [gr, negated(gi)] }
}

/// The real part of `z` as a real tensor (the same traced value as `z.real`).
public func real(_ z: ComplexTensor) -> Tensor { z.real }

/// The imaginary part of `z` as a real tensor (the same traced value as `z.imag`).
public func imag(_ z: ComplexTensor) -> Tensor { z.imag }
