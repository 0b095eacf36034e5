import Foundation

/// A gradient check that failed: the analytic (tape) and numerical (central difference)
/// derivatives disagree beyond `atol + rtol·|numerical|` somewhere.
public struct GradCheckFailure: Error, CustomStringConvertible {
    /// Which input (position in the input list).
    public var input: Int
    /// Multi-index of the worst element within that input.
    public var index: [Int]
    /// Derivative from the tape.
    public var analytic: Double
    /// Derivative from central differences.
    public var numerical: Double
    /// How many elements exceeded the tolerance, over all inputs.
    public var failures: Int

    public var description: String {
        "gradcheck failed at input \(input) index \(index): analytic \(analytic), numerical \(numerical) "
            + "(|diff| \(abs(analytic - numerical)); \(failures) element(s) out of tolerance)"
    }
}

/// Checks the tape's derivatives of `f` at `inputs` against central differences, in float64.
///
/// A random cotangent `c` (fixed by `seed`) turns `f` into the scalar `L(x) = Σ c·f(x)`; the
/// pullback of `c` is compared element by element with `(L(x + eps·eᵢ) − L(x − eps·eᵢ)) / 2eps`,
/// passing when `|analytic − numerical| ≤ atol + rtol·|numerical|` (PyTorch's defaults).
/// A complex input is two real inputs (its real and imaginary parts), so both directions are
/// checked; see ``gradcheck(_:at:eps:atol:rtol:seed:)-8ng8h`` for complex functions.
///
/// - Parameters:
///   - f: the function; its outputs may have any shapes.
///   - inputs: float64 tensors.
/// - Throws: ``GradCheckFailure`` naming the worst element.
public func gradcheck(_ f: ([Tensor]) -> [Tensor], at inputs: [Tensor], eps: Double = 1e-6, atol: Double = 1e-5,
                      rtol: Double = 1e-3, seed: UInt64 = 0x5eed) throws {
    for (i, x) in inputs.enumerated() {
        require(x.dtype == .float64, "gradcheck: input \(i) is \(x.dtype); gradients are checked in float64")
    }
    let (ys, pullback) = valueWithPullback(at: inputs, of: f)
    var rng = SplitMix64(seed: seed)
    let cots = ys.map { y in Tensor(shape: y.shape, scalars: (0..<y.count).map { _ in rng.nextNormal() }, dtype: y.dtype) }
    let analytic = pullback(cots)
    func loss(_ xs: [Tensor]) -> Double {
        var s = 0.0
        for (y, c) in Swift.zip(f(xs), cots) {
            require(y.shape == c.shape, "gradcheck: output shape changed under perturbation")
            for (a, b) in Swift.zip(y.scalars, c.scalars) { s += a * b }
        }
        return s
    }
    var worst: GradCheckFailure?
    var worstExcess = 0.0
    var failures = 0
    for (i, x) in inputs.enumerated() {
        let a = analytic[i].scalars
        var xs = inputs
        for e in 0..<x.count {
            var plus = x.detached(), minus = x.detached()
            plus.withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<Double>) in p[e] += eps }
            minus.withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<Double>) in p[e] -= eps }
            xs[i] = plus; let lp = loss(xs)
            xs[i] = minus; let lm = loss(xs)
            let n = (lp - lm) / (2 * eps)
            let excess = abs(a[e] - n) - (atol + rtol * abs(n))
            if excess > 0 || a[e].isNaN != n.isNaN {
                failures += 1
                if worst == nil || excess > worstExcess || excess.isNaN {
                    worstExcess = excess
                    worst = GradCheckFailure(input: i, index: multiIndex(e, x.shape), analytic: a[e], numerical: n, failures: 0)
                }
            }
        }
    }
    if var w = worst { w.failures = failures; throw w }
}

/// Checks a function of complex tensors (see ``gradcheck(_:at:eps:atol:rtol:seed:)-5ib2v``):
/// each complex input is perturbed along its real and its imaginary direction, and each
/// complex output is seeded with a complex cotangent `c`, i.e. `L = Σ Re(c)·Re f + Im(c)·Im f`.
/// Failures report input `2k` for the real part and `2k + 1` for the imaginary part of input `k`.
public func gradcheck(_ f: ([ComplexTensor]) -> [ComplexTensor], at inputs: [ComplexTensor], eps: Double = 1e-6,
                      atol: Double = 1e-5, rtol: Double = 1e-3, seed: UInt64 = 0x5eed) throws {
    let flat = inputs.flatMap { [$0.real, $0.imag] }
    try gradcheck({ xs in
        let zs = stride(from: 0, to: xs.count, by: 2).map { ComplexTensor(real: xs[$0], imag: xs[$0 + 1]) }
        return f(zs).flatMap { [$0.real, $0.imag] }
    }, at: flat, eps: eps, atol: atol, rtol: rtol, seed: seed)
}

private func multiIndex(_ offset: Int, _ shape: [Int]) -> [Int] {
    var idx = [Int](repeating: 0, count: shape.count)
    var o = offset
    for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] > 0 {
        idx[d] = o % shape[d]; o /= shape[d]
    }
    return idx
}

/// A small deterministic generator for test data (SplitMix64, Steele et al. 2014).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A uniform double in [0, 1).
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    /// A standard normal double (Box–Muller).
    public mutating func nextNormal() -> Double {
        let u1 = Swift.max(nextUniform(), 1e-300), u2 = nextUniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}
