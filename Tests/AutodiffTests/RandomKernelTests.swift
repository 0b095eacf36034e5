import XCTest
import Kernels
import Ops
import TestSupport

/// `wt_normal_array` (behind `normal`) gives exactly the Swift reference stream, on both paths.
final class RandomKernelTests: XCTestCase {
    func testPhiloxBlocksMatchTheSwiftBijectionOnBothPaths() {
        let key = RandomKey(seed: 0x0123_4567_89AB_CDEF)
        defer { wt_set_isa(wt_detected_isa()) }
        for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
            wt_set_isa(isa)
            for first: UInt64 in [0, 5, 0xFFFF_FFFE, 0x1_2345_6789] {
                let blocks = 11
                var words = [UInt32](repeating: 0, count: 4 * blocks)
                wt_philox_blocks(key.words.x, key.words.y, first, &words, blocks)
                for j in 0..<blocks {
                    let b = first + UInt64(j)
                    let w = RandomKey.philox4x32(counter: SIMD4(UInt32(truncatingIfNeeded: b), UInt32(truncatingIfNeeded: b >> 32), 0, 0),
                                                 key: key.words)
                    XCTAssertEqual(Array(words[4 * j..<4 * j + 4]), [w.x, w.y, w.z, w.w], "isa \(isa) block \(b)")
                }
            }
        }
    }

    func testNormalIsBitIdenticalToTheReference() {
        defer { wt_set_isa(wt_detected_isa()) }
        for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
            wt_set_isa(isa)
            for seed: UInt64 in [0, 1, 42, 0xDEAD_BEEF] {
                let key = RandomKey(seed: seed)
                for shape in [[], [1], [7], [3, 5], [128, 131], [1000]] {
                    for dtype in DType.allCases {
                        let fast = normal(shape, key: key, dtype: dtype), ref = normalReference(shape, key: key, dtype: dtype)
                        XCTAssertEqual(fast.shape, shape)
                        XCTAssertTrue(fast.isIdentical(to: ref), "isa \(isa) seed \(seed) shape \(shape) \(dtype)")
                    }
                }
            }
        }
    }

    /// `complexNormal` (one scaled kernel pass per part) gives each part's normal stream times √½ as
    /// the elementwise product in the dtype (`Float(√½)` for float32), bit for bit, on every tier,
    /// for odd lengths and for arrays long enough to be split over threads.
    func testComplexNormalIsTheScaledNormalStreamOnEveryTier() {
        defer { wt_set_isa(wt_detected_isa()) }
        let s = (0.5).squareRoot()
        for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
            wt_set_isa(isa)
            for seed: UInt64 in [3, 0xFEED] {
                let key = RandomKey(seed: seed)
                let (kr, ki) = key.split()
                for shape in [[], [1], [7], [128, 131], [40_001]] {
                    for dtype in DType.allCases {
                        let z = complexNormal(shape, key: key, dtype: dtype)
                        for (part, k) in [(z.real, kr), (z.imag, ki)] {
                            let plain = normalReference(shape, key: k, dtype: dtype)
                            let want = dtype == .float32
                                ? Tensor(shape: shape, scalars: plain.scalars.map { Double(Float($0) * Float(s)) }, dtype: .float32)
                                : Tensor(shape: shape, scalars: plain.scalars.map { $0 * s }, dtype: .float64)
                            XCTAssertTrue(part.isIdentical(to: want), "isa \(isa) seed \(seed) shape \(shape) \(dtype)")
                        }
                    }
                }
            }
        }
    }

    func testOffsetStartsMidStream() {
        let key = RandomKey(seed: 9)
        let all = normal([40], key: key, dtype: .float64).scalars
        var tail = [Double](repeating: 0, count: 21)
        wt_normal_array(key.words.x, key.words.y, 5, &tail, 21)
        XCTAssertEqual(tail, Array(all[10..<31]))
    }

    /// Our log and sin/cos polynomials against the exact Box–Muller formula evaluated in Float80:
    /// each normal is within 2 ulps of the radius r (the sine and cosine are bounded by 1, so the
    /// error is measured relative to r), for 200,000 pairs.
    func testBoxMullerIsAccurate() {
        let key = RandomKey(seed: 5)
        let n = 400_000
        let z = normal([n], key: key, dtype: .float64).scalars
        var words = [UInt32](repeating: 0, count: 2 * n)
        wt_philox_blocks(key.words.x, key.words.y, 0, &words, n / 2)
        var worst = 0.0
        for j in 0..<(n / 2) {
            let w = Array(words[4 * j..<4 * j + 4])
            let a = Double(((UInt64(w[0]) << 32) | UInt64(w[1])) >> 11) * 0x1.0p-53
            let b = Double(((UInt64(w[2]) << 32) | UInt64(w[3])) >> 11) * 0x1.0p-53
            #if arch(x86_64) && !os(Windows)
            let r = (-2 * Foundation.log(Float80(a) + 0x1.0p-53)).squareRoot()
            let theta = 2 * Float80.pi * Float80(b)
            let ref = (Double(r * Foundation.cos(theta)), Double(r * Foundation.sin(theta)))
            #else
            let r = (-2 * Foundation.log(a + 0x1.0p-53)).squareRoot()
            let ref = (r * Foundation.cos(2 * Double.pi * b), r * Foundation.sin(2 * Double.pi * b))
            #endif
            let scale = Swift.max(Double(r).ulp, Double.leastNormalMagnitude)
            worst = Swift.max(worst, Swift.abs(z[2 * j] - ref.0) / scale, Swift.abs(z[2 * j + 1] - ref.1) / scale)
        }
        XCTAssertLessThanOrEqual(worst, 2, "worst error in ulps of the radius")
    }
}
