import XCTest
import Foundation
import Kernels

/// `wt_cabs_array` / `wt_cabs_grad_array` (used by complex `abs`) against libm `hypot`, on the
/// AVX2/FMA and the portable path, including the rescaled ranges and inf/NaN.
final class ComplexModulusKernelTests: XCTestCase {
    func ulps(_ a: Double, _ b: Double) -> Double {
        if a == b || (a.isNaN && b.isNaN) { return 0 }
        return Swift.abs(a - b) / b.ulp
    }

    func inputs() -> ([Double], [Double]) {
        var re: [Double] = [0, -0.0, 3, -3, 1e-300, 1e300, 0x1p-520, 0x1p520, .infinity, -.infinity, .nan, 5, .nan, 1, 0x1p-1074, 1.5e308]
        var im: [Double] = [0, 0, 4, -4, 2e-300, -1e300, 0x1p-521, 0x1p519, .nan, 1, .infinity, .nan, 2, 1e-200, 0x1p-1074, 1.5e308]
        var s: UInt64 = 12345
        for i in 0..<2000 {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            let m = Double(s >> 11) * 0x1p-53, e = Double(Int(s % 97) - 48)
            re.append((m - 0.5) * Foundation.pow(2, e * (i % 3 == 0 ? 12 : 1)))
            s = s &* 6364136223846793005 &+ 1442695040888963407
            im.append((Double(s >> 11) * 0x1p-53 - 0.5) * Foundation.pow(2, Double(Int(s % 61) - 30)))
        }
        return (re, im)
    }

    func testModulusWithinOneUlpOfHypotOnBothPaths() {
        let (re, im) = inputs()
        let n = re.count
        defer { wt_set_isa(wt_detected_isa()) }
        for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
            wt_set_isa(isa)
            var y = [Double](repeating: -1, count: n), yf = [Float](repeating: -1, count: n)
            wt_cabs_array(re, im, &y, n)
            let rf = re.map { Float($0) }, imf = im.map { Float($0) }
            wt_cabsf_array(rf, imf, &yf, n)
            for i in 0..<n {
                let ref = Foundation.hypot(re[i], im[i])
                XCTAssertLessThanOrEqual(ulps(y[i], ref), 1, "isa \(isa) double \(re[i]), \(im[i]): \(y[i]) vs \(ref)")
                let reff = Float(Foundation.hypot(Double(rf[i]), Double(imf[i])))
                XCTAssertTrue(yf[i] == reff || (yf[i].isNaN && reff.isNaN) || Swift.abs(yf[i] - reff) <= reff.ulp,
                              "isa \(isa) float \(rf[i]), \(imf[i]): \(yf[i]) vs \(reff)")
            }
        }
    }

    func testPullbackMatchesTheFormula() {
        let (re, im) = inputs()
        let n = re.count
        let g = (0..<n).map { Double($0 % 7) - 3.5 }
        defer { wt_set_isa(wt_detected_isa()) }
        for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
            wt_set_isa(isa)
            var a = [Double](repeating: 0, count: n), b = [Double](repeating: 0, count: n)
            wt_cabs_grad_array(re, im, g, &a, &b, n)
            for i in 0..<n {
                let m = Foundation.hypot(re[i], im[i])
                let ea = m == 0 ? 0 : g[i] * re[i] / m, eb = m == 0 ? 0 : g[i] * im[i] / m
                XCTAssertLessThanOrEqual(ulps(a[i], ea), 2, "isa \(isa) \(re[i]), \(im[i])")
                XCTAssertLessThanOrEqual(ulps(b[i], eb), 2, "isa \(isa) \(re[i]), \(im[i])")
            }
            let rf = re.map { Float($0) }, imf = im.map { Float($0) }, gf = g.map { Float($0) }
            var af = [Float](repeating: 0, count: n), bf = [Float](repeating: 0, count: n)
            wt_cabsf_grad_array(rf, imf, gf, &af, &bf, n)
            for i in 0..<n {
                let x = Double(rf[i]), y = Double(imf[i]), m = Foundation.hypot(x, y)
                let ea = Float(m == 0 ? 0 : Double(gf[i]) * x / m), eb = Float(m == 0 ? 0 : Double(gf[i]) * y / m)
                XCTAssertTrue(af[i] == ea || (af[i].isNaN && ea.isNaN) || Swift.abs(af[i] - ea) <= ea.ulp, "float \(x), \(y)")
                XCTAssertTrue(bf[i] == eb || (bf[i].isNaN && eb.isNaN) || Swift.abs(bf[i] - eb) <= eb.ulp, "float \(x), \(y)")
            }
        }
    }
}
