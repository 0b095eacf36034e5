import Kernels
import XCTest

/// The `cplx_passes` kernels (signed sum, Gauss combine alone and fused with the sums, accumulate,
/// sum plus product, squared modulus and its pullback, de-interleave): on every tier
/// the host has and at 1, 2 and 3 threads, each output element has exactly the bits of its formula
/// evaluated in Swift (one rounding per operation; NaN for NaN), at lengths around the vector widths and
/// across the thread split (2¹⁶ elements and more), with special values (±0, ±inf, NaN, subnormals).
final class ComplexPassesTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        super.tearDown()
    }

    static let lengths = [0, 1, 7, 8, 15, 16, 17, 31, 33, 100, 16_384, 40_001, 200_003]

    /// Deterministic values of mixed sign and size, with the special values at the front.
    static func values<T: BinaryFloatingPoint>(_ n: Int, seed: UInt64, _: T.Type) -> [T] {
        var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        let specials: [T] = [0, -0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, -.greatestFiniteMagnitude, 1]
        return (0..<n).map { i in
            if i < specials.count && seed % 2 == 0 { return specials[i] }
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            let u = T(Double(s >> 11) / Double(1 << 53))
            let scale = T([1e-3, 1, 37, 1e4][Int(s & 3)])
            return (u - T(0.5)) * scale
        }
    }

    /// `a` and `b` hold the same bits element by element, except that any NaN matches any NaN (the
    /// payload of a NaN produced from two NaNs depends on the operand order the compiler picks for
    /// a commutative operation).
    func assertSameBits<T: BinaryFloatingPoint>(_ a: [T], _ b: [T], _ what: String) where T: BitPatterned {
        XCTAssertEqual(a.count, b.count, what)
        guard let k = a.indices.first(where: { a[$0].bits != b[$0].bits && !(a[$0].isNaN && b[$0].isNaN) }) else { return }
        XCTFail("\(what): element \(k) is \(a[k]), expected \(b[k])")
    }

    func check<T: BinaryFloatingPoint & BitPatterned>(
        _: T.Type,
        signedSum: (UnsafePointer<T>?, UnsafePointer<T>?, T, UnsafeMutablePointer<T>?, Int) -> Void,
        gauss: (UnsafeMutablePointer<T>?, UnsafeMutablePointer<T>?, UnsafePointer<T>?, T, Int) -> Void,
        accumulate: (UnsafeMutablePointer<T>?, UnsafePointer<T>?, Int) -> Void,
        gaussAdd: (UnsafePointer<T>?, UnsafePointer<T>?, UnsafeMutablePointer<T>?, UnsafeMutablePointer<T>?, UnsafePointer<T>?, T, Int) -> Void,
        addProduct: (UnsafePointer<T>?, UnsafePointer<T>?, UnsafePointer<T>?, UnsafeMutablePointer<T>?, Int) -> Void,
        deinterleave: (UnsafePointer<T>?, UnsafeMutablePointer<T>?, UnsafeMutablePointer<T>?, Int) -> Void,
        squaredModulus: (UnsafePointer<T>?, UnsafePointer<T>?, UnsafeMutablePointer<T>?, Int) -> Void,
        squaredModulusGrad: (UnsafePointer<T>?, UnsafePointer<T>?, UnsafePointer<T>?, UnsafeMutablePointer<T>?,
                             UnsafeMutablePointer<T>?, Int) -> Void
    ) {
        let saved = wt_get_num_threads()
        defer { _ = wt_set_num_threads(saved) }
        for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            for n in Self.lengths {
                let a = Self.values(n, seed: UInt64(n) * 2, T.self), b = Self.values(n, seed: UInt64(n) * 2 + 1, T.self)
                let c = Self.values(n, seed: UInt64(n) * 2 + 4, T.self)
                let d = Self.values(n, seed: UInt64(n) * 2 + 5, T.self), e = Self.values(n, seed: UInt64(n) * 2 + 6, T.self)
                let pairs = Self.values(2 * n, seed: UInt64(n) + 7, T.self)
                for threads: Int32 in (n >= 16_384 ? [1, 2, 3] : [1]) {
                    _ = wt_set_num_threads(threads)
                    let at = "n = \(n), \(threads) threads, \(isa)"
                    for s: T in [1, -1] {
                        var out = [T](repeating: 0, count: n)
                        signedSum(a, b, s, &out, n)
                        assertSameBits(out, zip(a, b).map { $0 + s * $1 }, "signed sum s = \(s), \(at)")
                        var re = a, im = b
                        gauss(&re, &im, c, s, n)
                        assertSameBits(re, (0..<n).map { a[$0] - s * c[$0] }, "Gauss re s = \(s), \(at)")
                        assertSameBits(im, (0..<n).map { (b[$0] - a[$0]) - s * c[$0] }, "Gauss im s = \(s), \(at)")
                        // fused with the sums: the combine's bits, then the addition's
                        var rr = a, p = b
                        gaussAdd(d, e, &rr, &p, c, s, n)
                        assertSameBits(rr, (0..<n).map { d[$0] + (a[$0] - s * c[$0]) }, "Gauss add re s = \(s), \(at)")
                        assertSameBits(p, (0..<n).map { e[$0] + ((b[$0] - a[$0]) - s * c[$0]) }, "Gauss add im s = \(s), \(at)")
                    }
                    var y = a
                    accumulate(&y, b, n)
                    assertSameBits(y, zip(a, b).map { $0 + $1 }, "accumulate, \(at)")
                    var sp = [T](repeating: 0, count: n)
                    addProduct(d, a, b, &sp, n)
                    assertSameBits(sp, (0..<n).map { d[$0] + a[$0] * b[$0] }, "add product, \(at)")
                    var sq = [T](repeating: 0, count: n), gre = sq, gim = sq
                    squaredModulus(a, b, &sq, n)
                    assertSameBits(sq, (0..<n).map { a[$0] * a[$0] + b[$0] * b[$0] }, "squared modulus, \(at)")
                    squaredModulusGrad(a, b, c, &gre, &gim, n)
                    assertSameBits(gre, (0..<n).map { c[$0] * a[$0] + c[$0] * a[$0] }, "squared modulus re cotangent, \(at)")
                    assertSameBits(gim, (0..<n).map { c[$0] * b[$0] + c[$0] * b[$0] }, "squared modulus im cotangent, \(at)")
                    var re = [T](repeating: 0, count: n), im = re
                    deinterleave(pairs, &re, &im, n)
                    assertSameBits(re, (0..<n).map { pairs[2 * $0] }, "de-interleave re, \(at)")
                    assertSameBits(im, (0..<n).map { pairs[2 * $0 + 1] }, "de-interleave im, \(at)")
                }
            }
        }
    }

    func testFloatPassesEqualTheirFormulasOnEveryTierAndThreadCount() {
        check(Float.self, signedSum: wt_cplx_signed_sum_f32, gauss: wt_cplx_gauss_combine_f32,
              accumulate: wt_accumulate_f32, gaussAdd: wt_cplx_gauss_add_f32, addProduct: wt_add_product_f32, deinterleave: wt_cplx_deinterleave_f32,
              squaredModulus: wt_cplx_squared_modulus_f32, squaredModulusGrad: wt_cplx_squared_modulus_grad_f32)
    }

    func testDoublePassesEqualTheirFormulasOnEveryTierAndThreadCount() {
        check(Double.self, signedSum: wt_cplx_signed_sum_f64, gauss: wt_cplx_gauss_combine_f64,
              accumulate: wt_accumulate_f64, gaussAdd: wt_cplx_gauss_add_f64, addProduct: wt_add_product_f64, deinterleave: wt_cplx_deinterleave_f64,
              squaredModulus: wt_cplx_squared_modulus_f64, squaredModulusGrad: wt_cplx_squared_modulus_grad_f64)
    }
}

/// A float type whose bit pattern can be compared (NaN payloads included).
protocol BitPatterned { var bits: UInt64 { get } }
extension Float: BitPatterned { var bits: UInt64 { UInt64(bitPattern) } }
extension Double: BitPatterned { var bits: UInt64 { bitPattern } }
