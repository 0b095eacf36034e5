import Foundation
import Kernels
import XCTest

/// The vmath kernels against libm evaluated in a wider type (Float80 on x86), on edge values
/// (±0, ±inf, NaN, huge, tiny, subnormal, overflow/underflow thresholds) and random values,
/// on every kernel tier the host has; the AVX2 and AVX-512 tiers give the same bits (one vector body).
final class VectorMathTests: XCTestCase {
    typealias Kernel64 = (UnsafePointer<Double>?, UnsafeMutablePointer<Double>?, Int) -> Void
    typealias Kernel32 = (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void

    /// Measured maximum 1.6 ulp (sigmoid/tanh) in double; float is computed in double and rounded once.
    let maxUlp64 = 2.0
    let maxUlp32 = 0.501

    static func softplusRef(_ w: WideFloat) -> WideFloat { w > 0 ? w + log1p(exp(-w)) : log1p(exp(w)) }

    struct Case {
        let name: String
        let f64: Kernel64
        let f32: Kernel32
        let ref: (WideFloat) -> WideFloat
        let random: ClosedRange<Double>
    }

    let cases: [Case] = [
        Case(name: "exp", f64: wt_exp_array, f32: wt_expf_array, ref: { exp($0) }, random: -750...720),
        Case(name: "log", f64: wt_log_array, f32: wt_logf_array, ref: { log($0) }, random: 0...1e6),
        Case(name: "log1p", f64: wt_log1p_array, f32: wt_log1pf_array, ref: { log1p($0) }, random: -1...20),
        Case(name: "sigmoid", f64: wt_sigmoid_array, f32: wt_sigmoidf_array, ref: { 1 / (1 + exp(-$0)) }, random: -750...60),
        Case(name: "softplus", f64: wt_softplus_array, f32: wt_softplusf_array, ref: { softplusRef($0) }, random: -750...750),
        Case(name: "log_sigmoid", f64: wt_log_sigmoid_array, f32: wt_log_sigmoidf_array, ref: { -softplusRef(-$0) }, random: -750...750),
        Case(name: "tanh", f64: wt_tanh_array, f32: wt_tanhf_array, ref: { tanh($0) }, random: -25...25),
    ]

    let edges64: [Double] = [
        0, -0.0, .infinity, -.infinity, .nan, 1, -1, 0.5, -0.5, 2, 1e-300, -1e-300, 1e300, -1e300,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNormalMagnitude, .leastNonzeroMagnitude,
        -.leastNonzeroMagnitude, Double(bitPattern: 0x0001_2345_6789_abcd), -Double(bitPattern: 0x000f_ffff_ffff_ffff), 709.78, 709.79, 710, -708.4, -745.1, -745.2, -746,
        0x1p-54, 0x1p-30, 0x1p-28, -0x1p-28, 1.5e-8, 19.06, 22, -22, 40, 1e-17, -0.9999999999999999, 36.7, -36.7,
    ]
    let edges32: [Float] = [
        0, -0.0, .infinity, -.infinity, .nan, 1, -1, 0.5, 2, 1e-38, -1e-38, 1e38, -1e38,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNormalMagnitude, .leastNonzeroMagnitude,
        -.leastNonzeroMagnitude, Float(bitPattern: 0x0001_2345), -Float(bitPattern: 0x007f_ffff), 88.72, 88.73, 89, -87.3, -103.9, -104, 0x1p-25, 0x1p-12,
        9.01, -9.01, 16.6, -0.99999994, 1e-7,
    ]

    func randomInputs(_ range: ClosedRange<Double>, seed: UInt64) -> [Double] {
        var rng = SplitMix64(state: seed)
        var xs = (0..<1500).map { _ in Double.random(in: range, using: &rng) }
        xs += (0..<500).map { _ in Double.random(in: max(range.lowerBound, -3)...min(range.upperBound, 3), using: &rng) }
        // log-uniform magnitudes, kept inside the range
        xs += (0..<300).map { _ -> Double in
            let v = pow(10, Double.random(in: -300...0, using: &rng))
            return range.contains(-v) && Bool.random(using: &rng) ? -v : (range.contains(v) ? v : range.lowerBound)
        }
        return xs
    }

    func check(_ c: Case, _ xs: [Double], _ path: String) {
        let y = apply(c.f64, xs)
        XCTAssertEqual(applyInPlace(c.f64, xs).map(\.bitPattern), y.map(\.bitPattern), "\(c.name) \(path): in place")
        var worst = (0.0, 0.0)
        for (i, x) in xs.enumerated() {
            let err = ulpError(y[i], expected: c.ref(WideFloat(x)))
            if err > worst.0 { worst = (err, x) }
        }
        XCTAssertLessThanOrEqual(worst.0, maxUlp64, "\(c.name) \(path) double: worst at x = \(worst.1)")
        let xf = xs.map { Float($0) }
        let yf = apply(c.f32, xf)
        XCTAssertEqual(applyInPlace(c.f32, xf).map(\.bitPattern), yf.map(\.bitPattern), "\(c.name) \(path): in place (float)")
        var worstf = (0.0, Float(0))
        for (i, x) in xf.enumerated() {
            let err = ulpError(yf[i], expected: c.ref(WideFloat(x)))
            if err > worstf.0 { worstf = (err, x) }
        }
        XCTAssertLessThanOrEqual(worstf.0, maxUlp32, "\(c.name) \(path) float: worst at x = \(worstf.1)")
    }

    func testEdgeValues() {
        forEachISA { path in
            for c in cases {
                check(c, edges64, path)
                // float edges checked as floats
                let yf = apply(c.f32, edges32)
                for (i, x) in edges32.enumerated() {
                    XCTAssertLessThanOrEqual(ulpError(yf[i], expected: c.ref(WideFloat(x))), maxUlp32, "\(c.name) \(path): f(\(x)) = \(yf[i])")
                }
            }
        }
    }

    func testRandomValues() {
        forEachISA { path in
            for (k, c) in cases.enumerated() {
                check(c, randomInputs(c.random, seed: UInt64(k) + 1), path)
            }
        }
    }

    func testSignedZerosAndExactSpecials() {
        forEachISA { path in
            let z: [Double] = [0, -0.0]
            for (name, f) in [("log1p", wt_log1p_array as Kernel64), ("tanh", wt_tanh_array)] {
                let y = apply(f, z)
                XCTAssertTrue(y[0] == 0 && y[0].sign == .plus, "\(name)(+0) \(path)")
                XCTAssertTrue(y[1] == 0 && y[1].sign == .minus, "\(name)(-0) \(path)")
            }
            XCTAssertEqual(apply(wt_exp_array, [0, -.infinity, .infinity]), [1, 0, .infinity], path)
            XCTAssertEqual(apply(wt_log_array, [1, 0, .infinity]), [0, -.infinity, .infinity], path)
            XCTAssertTrue(apply(wt_log_array, [-1])[0].isNaN, path)
            XCTAssertEqual(apply(wt_log1p_array, [-1, .infinity]), [-.infinity, .infinity], path)
            XCTAssertTrue(apply(wt_log1p_array, [-2])[0].isNaN, path)
            XCTAssertEqual(apply(wt_sigmoid_array, [0, .infinity, -.infinity]), [0.5, 1, 0], path)
            XCTAssertEqual(apply(wt_softplus_array, [.infinity, -.infinity, 1000]), [.infinity, 0, 1000], path)
            XCTAssertEqual(apply(wt_log_sigmoid_array, [-.infinity, -1000]), [-.infinity, -1000], path)
            XCTAssertEqual(apply(wt_tanh_array, [.infinity, -.infinity, 30, -30]), [1, -1, 1, -1], path)
            XCTAssertEqual(apply(wt_tanhf_array, [Float.infinity, -10]), [1, -1], path)
            XCTAssertEqual(apply(wt_expf_array, [Float(89)]), [Float.infinity], path)
            // exp at the bottom of the subnormal range rounds once: e^-744.44 ~ 2^-1074
            XCTAssertEqual(apply(wt_exp_array, [-744.44])[0], .leastNonzeroMagnitude, path)
        }
    }

    /// The vector tiers instantiate one body (vmath_vec.h) with every operation written out, so the
    /// AVX-512 results equal the AVX2 results bit for bit, for both types, on edge and random values
    /// and on array lengths that leave a ragged tail for either vector width.
    func testVectorTiersGiveSameBits() throws {
        guard wt_detected_isa().rawValue >= WT_ISA_AVX512.rawValue else {
            throw XCTSkip("the host (or WIRTINGER_ISA) has no AVX-512 tier to compare with AVX2")
        }
        let saved = wt_active_isa()
        defer { _ = wt_set_isa(saved) }
        var rng = SystemRandomNumberGenerator()
        for c in cases {
            let x64 = edges64 + (0..<4093).map { _ in Double.random(in: c.random, using: &rng) }
            let x32 = x64.map { Float($0) }
            var bits64: [[UInt64]] = [], bits32: [[UInt32]] = []
            for isa in [WT_ISA_AVX2_FMA, WT_ISA_AVX512] {
                XCTAssertEqual(wt_set_isa(isa), isa)
                bits64.append(apply(c.f64, x64).map(\.bitPattern))
                bits32.append(apply(c.f32, x32).map(\.bitPattern))
            }
            XCTAssertEqual(bits64[0], bits64[1], "\(c.name) double: AVX2 and AVX-512 differ")
            XCTAssertEqual(bits32[0], bits32[1], "\(c.name) float: AVX2 and AVX-512 differ")
        }
    }

    func testFlushDenormalsIsPerCallAndRestorable() {
        let before = wt_get_flush_denormals()
        defer { wt_set_flush_denormals(before) }
        wt_set_flush_denormals(0)
        XCTAssertEqual(wt_get_flush_denormals(), 0)
        let sub = apply(wt_exp_array, [-740.0])[0]
        XCTAssertTrue(sub > 0 && sub < .leastNormalMagnitude, "gradual underflow gives a subnormal: \(sub)")
        #if arch(x86_64) || arch(i386)
        wt_set_flush_denormals(1)
        XCTAssertEqual(wt_get_flush_denormals(), 1)
        XCTAssertEqual(apply(wt_exp_array, [-740.0])[0], 0, "FTZ flushes the subnormal result")
        // DAZ: a subnormal input reads as zero
        let tiny = [Double.leastNonzeroMagnitude]
        XCTAssertEqual(apply(wt_log_array, tiny)[0], -.infinity, "DAZ reads a subnormal input as 0")
        wt_set_flush_denormals(0)
        XCTAssertEqual(wt_get_flush_denormals(), 0)
        XCTAssertEqual(apply(wt_exp_array, [-740.0])[0], sub)
        #else
        wt_set_flush_denormals(1)
        XCTAssertEqual(wt_get_flush_denormals(), 0, "no-op off x86")
        #endif
    }
}
