// Elementwise arithmetic with broadcasting: + − × ÷, negation, and their scalar forms.
// Each op: forward kernel, then its pullback, side by side. Cotangents may be returned
// with the broadcast shape; the tape sums them down to each input's shape.

/// `a + b` elementwise with broadcasting. Pullback: (g, g).
public func + (a: Tensor, b: Tensor) -> Tensor {
    let y = Tensor.zipElements(a, b, op: "add", .add)
    return Tape.record("add", y, inputs: [a, b]) { g in [g, g] }
}

/// `a − b` elementwise with broadcasting. Pullback: (g, −g).
public func - (a: Tensor, b: Tensor) -> Tensor {
    let y = Tensor.zipElements(a, b, op: "sub", .subtract)
    return Tape.record("sub", y, inputs: [a, b]) { g in [g, -g] }
}

/// `a · b` elementwise with broadcasting. Pullback: (g·b, g·a).
public func * (a: Tensor, b: Tensor) -> Tensor {
    let y = Tensor.zipElements(a, b, op: "mul", .multiply)
    return Tape.record("mul", y, inputs: [a, b]) { g in [g * b.detached(), g * a.detached()] }
}

/// `a / b` elementwise with broadcasting. Pullback: (g/b, −g·a/b²).
public func / (a: Tensor, b: Tensor) -> Tensor {
    let y = Tensor.zipElements(a, b, op: "div", .divide)
    return Tape.record("div", y, inputs: [a, b]) { g in
        let b = b.detached()
        return [g / b, -(g * y) / b]
    }
}

/// `−a`. Pullback: −g.
public prefix func - (a: Tensor) -> Tensor {
    let y = a.negatedElements()
    return Tape.record("neg", y, inputs: [a]) { g in [-g] }
}

/// A scalar as a 0-d tensor of `like`'s dtype (a constant).
@inlinable func constant(_ s: Double, like t: Tensor) -> Tensor { Tensor(scalar: s, dtype: t.dtype) }

/// `a + s` for a scalar `s`.
public func + (a: Tensor, s: Double) -> Tensor { a + constant(s, like: a) }
/// `s + a` for a scalar `s`.
public func + (s: Double, a: Tensor) -> Tensor { constant(s, like: a) + a }
/// `a − s` for a scalar `s`.
public func - (a: Tensor, s: Double) -> Tensor { a - constant(s, like: a) }
/// `s − a` for a scalar `s`.
public func - (s: Double, a: Tensor) -> Tensor { constant(s, like: a) - a }
/// `a · s` for a scalar `s`.
public func * (a: Tensor, s: Double) -> Tensor { a * constant(s, like: a) }
/// `s · a` for a scalar `s`.
public func * (s: Double, a: Tensor) -> Tensor { constant(s, like: a) * a }
/// `a / s` for a scalar `s`.
public func / (a: Tensor, s: Double) -> Tensor { a / constant(s, like: a) }
/// `s / a` for a scalar `s`.
public func / (s: Double, a: Tensor) -> Tensor { constant(s, like: a) / a }

/// `a += b` (rebinds `a`; recorded like `a + b`).
public func += (a: inout Tensor, b: Tensor) { a = a + b }
/// `a −= b` (rebinds `a`; recorded like `a − b`).
public func -= (a: inout Tensor, b: Tensor) { a = a - b }
/// `a ·= b` (rebinds `a`).
public func *= (a: inout Tensor, b: Tensor) { a = a * b }
/// `a /= b` (rebinds `a`).
public func /= (a: inout Tensor, b: Tensor) { a = a / b }
