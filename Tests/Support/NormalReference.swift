// The scalar Swift specification of the normal random stream (test support only).

import Autodiff
import Ops

/// The reference implementation of Ops' `normal(_:key:dtype:)` in Swift, one Philox block and one
/// Box–Muller pair at a time: the specification of the stream that the tests hold the C kernel
/// (`wt_normal_array`) to, bit for bit. Float32 values are the float64 values rounded once.
///
/// The logarithm and the sine and cosine are evaluated with fdlibm's minimax polynomials
/// (errors below 1 ulp), operation by operation as the C kernel does, so that the stream does
/// not depend on the platform's math library:
/// - ln u for u = 2ᵏ(1 + f), 1 + f ∈ [√½, √2): s = f/(2 + f), z = s²,
///   ln u = k·ln2ₕᵢ − ((f²/2 − (s·(f²/2 + z·L(z)) + k·ln2ₗₒ)) − f);
/// - sin and cos of 2πb: q = round(4b), t = 4b − q (exact), r = t·π/2 ∈ [−π/4, π/4],
///   sin r = r + r³·(S₁ + r²·S(r²)), cos r = w + (((1 − w) − r²/2) + r⁴·C(r²)) with w = 1 − r²/2,
///   and the quadrant q mod 4 exchanges and negates them.
public func normalReference(_ shape: [Int], key: RandomKey, dtype: DType = .float32) -> Tensor {
    let n = shape.reduce(1, *)
    var values = [Double](repeating: 0, count: n)
    for j in 0..<(n + 1) / 2 {
        let (a, b) = key.uniformPair(j)
        let (z0, z1) = BoxMuller.pair(a, b)
        values[2 * j] = z0
        if 2 * j + 1 < n { values[2 * j + 1] = z1 }
    }
    return Tensor(shape: shape, scalars: values, dtype: dtype)
}

/// The scalar Box–Muller transform of ``normalReference(_:key:dtype:)``.
public enum BoxMuller {
    static let ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10
    static let piOver2Hi = 1.57079632679489655800e+00, piOver2Lo = 6.12323399573676603587e-17
    static let sqrtHalfBits: UInt64 = 0x3fe6_a09e_667f_3bcd
    static let lg = [6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01, 2.222219843214978396e-01,
                     1.818357216161805012e-01, 1.531383769920937332e-01, 1.479819860511658591e-01]
    static let s = [-1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04,
                    2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10]
    static let c = [4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05,
                    -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11]

    /// Horner's rule with fused multiply-adds over `coefficients[from...]`, highest degree last.
    static func horner(_ coefficients: [Double], from: Int, _ x: Double) -> Double {
        var p = coefficients[coefficients.count - 1]
        for i in stride(from: coefficients.count - 2, through: from, by: -1) { p = coefficients[i].addingProduct(p, x) }
        return p
    }

    /// (r cos 2πb, r sin 2πb) with r = √(−2 ln(a + 2⁻⁵³)).
    public static func pair(_ a: Double, _ b: Double) -> (Double, Double) {
        let u = a + 0x1.0p-53
        let ix = u.bitPattern &+ (0x3ff0_0000_0000_0000 &- sqrtHalfBits)
        let k = Double(Int(ix >> 52) - 1023)
        let f = Double(bitPattern: (ix & 0x000f_ffff_ffff_ffff) &+ sqrtHalfBits) - 1
        let sf = f / (2 + f), z = sf * sf, hfsq = 0.5 * f * f
        let l = k * ln2Hi - ((hfsq - (sf * (hfsq + z * horner(lg, from: 0, z)) + k * ln2Lo)) - f)
        let radius = (-2 * l).squareRoot()

        let x4 = 4 * b, q = x4.rounded(.toNearestOrEven), t = x4 - q
        let r = (t * piOver2Lo).addingProduct(t, piOver2Hi), rz = r * r
        let sn = r + (rz * r) * s[0].addingProduct(rz, horner(s, from: 1, rz))
        let hz = 0.5 * rz, w = 1 - hz
        let cs = w + (((1 - w) - hz) + rz * (rz * horner(c, from: 0, rz)))
        let qi = Int(q)
        var sv = qi & 1 != 0 ? cs : sn, cv = qi & 1 != 0 ? sn : cs
        if qi & 2 != 0 { sv = -sv }
        if (qi + 1) & 2 != 0 { cv = -cv }
        return (radius * cv, radius * sv)
    }
}
