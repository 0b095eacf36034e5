import Kernels
import XCTest

/// The complex modulus kernels have one vector body (complex_vec.h) instantiated for AVX2 and
/// AVX-512: both tiers give the same bits, for |z| and its pullback, float and double, at lengths
/// around both vector widths, with unsafe lanes (inf, NaN, huge, tiny, zero) in some groups.
final class ComplexModulusTierTests: XCTestCase {
    func testAVX512GivesTheBitsOfAVX2() throws {
        guard wt_detected_isa().rawValue >= 2 else { throw XCTSkip("this host has no AVX-512 tier") }
        defer { wt_set_isa(wt_detected_isa()) }
        var s: UInt64 = 99
        func next() -> Double {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Double(s >> 11) * 0x1p-53 - 0.5
        }
        let special: [Double] = [0, .infinity, .nan, 0x1p600, 0x1p-600, -0.0]
        for n in [0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1000] {
            var re = (0..<n).map { _ in next() * 8 }, im = (0..<n).map { _ in next() }
            let g = (0..<n).map { _ in next() }
            for (j, v) in special.enumerated() where n > 20 { re[(j * 37) % n] = v; im[(j * 37 + 1) % n] = v }
            let rf = re.map { Float($0) }, imf = im.map { Float($0) }, gf = g.map { Float($0) }
            func run(_ tier: UInt32) -> [[UInt64]] {
                wt_set_isa(wt_isa(rawValue: tier))
                var y = [Double](repeating: 0, count: n), a = y, b = y
                var yf = [Float](repeating: 0, count: n), af = yf, bf = yf
                wt_cabs_array(re, im, &y, n)
                wt_cabs_grad_array(re, im, g, &a, &b, n)
                wt_cabsf_array(rf, imf, &yf, n)
                wt_cabsf_grad_array(rf, imf, gf, &af, &bf, n)
                return [y, a, b].map { $0.map(\.bitPattern) } + [yf, af, bf].map { $0.map { UInt64($0.bitPattern) } }
            }
            XCTAssertEqual(run(2), run(1), "n = \(n)")
        }
    }
}
