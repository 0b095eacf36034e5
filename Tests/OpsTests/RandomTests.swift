import Foundation
import XCTest
import Ops
import TestSupport

/// Philox keys and the random tensors built on them: known answers, determinism, key
/// derivation, and moments within 4 standard errors.
final class RandomTests: XCTestCase {
    // MARK: - Generator

    func testPhiloxMatchesTheRandom123KnownAnswers() {
        // Random123 `tests/kat_vectors`, "philox4x32 10" lines: counter, key → output.
        let cases: [(SIMD4<UInt32>, SIMD2<UInt32>, SIMD4<UInt32>)] = [
            (SIMD4(0, 0, 0, 0), SIMD2(0, 0), SIMD4(0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8)),
            (SIMD4(repeating: .max), SIMD2(repeating: .max), SIMD4(0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd)),
            (SIMD4(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), SIMD2(0xa409_3822, 0x299f_31d0),
             SIMD4(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1)),
        ]
        for (counter, key, expected) in cases {
            XCTAssertEqual(RandomKey.philox4x32(counter: counter, key: key), expected)
        }
    }

    func testFirstUniformIsTheFirstPhiloxBlock() {
        // Seed 0 is key (0, 0); element 0 takes words 0 and 1 of block 0 (the first KAT line).
        let bits = (UInt64(0x6627_e8d5) << 32 | 0xe169_c58d) >> 11
        XCTAssertEqual(uniform([1], key: RandomKey(seed: 0), dtype: .float64).item, Double(bits) * 0x1.0p-53)
    }

    func testFNV1aKnownValues() {
        XCTAssertEqual(RandomKey.fnv1a(""), 0xcbf2_9ce4_8422_2325)
        XCTAssertEqual(RandomKey.fnv1a("a"), 0xaf63_dc4c_8601_ec8c)
        XCTAssertEqual(RandomKey.fnv1a("foobar"), 0x8594_4171_f739_67e8)
    }

    // MARK: - Determinism and key derivation

    func testSameKeyGivesSameValues() {
        let key = RandomKey(seed: 42)
        for dtype in DType.allCases {
            XCTAssertTrue(uniform([3, 5], key: key, dtype: dtype).isIdentical(to: uniform([3, 5], key: RandomKey(seed: 42), dtype: dtype)))
            XCTAssertTrue(normal([7], key: key, dtype: dtype).isIdentical(to: normal([7], key: key, dtype: dtype)))
            XCTAssertTrue(bernoulli([9], probability: 0.4, key: key, dtype: dtype)
                .isIdentical(to: bernoulli([9], probability: 0.4, key: key, dtype: dtype)))
        }
        XCTAssertFalse(uniform([5], key: RandomKey(seed: 42)).isIdentical(to: uniform([5], key: RandomKey(seed: 43))))
    }

    func testValuesDependOnlyOnTheElementIndex() {
        let key = RandomKey(seed: 7)
        // Shape does not matter, only the flat index; a shorter draw is a prefix of a longer one.
        XCTAssertEqual(uniform([2, 3], key: key, dtype: .float64).scalars, uniform([6], key: key, dtype: .float64).scalars)
        XCTAssertEqual(Array(normal([11], key: key, dtype: .float64).scalars.prefix(5)), normal([5], key: key, dtype: .float64).scalars)
        // float32 is the float64 draw rounded once.
        XCTAssertEqual(normal([9], key: key, dtype: .float32).scalars(as: Float.self),
                       normal([9], key: key, dtype: .float64).scalars.map { Float($0) })
        // Zero-size and scalar shapes.
        XCTAssertEqual(uniform([0, 3], key: key).shape, [0, 3])
        XCTAssertEqual(normal([], key: key).count, 1)
    }

    func testGenerationIsIndependentOfThreads() {
        let key = RandomKey(seed: 99)
        let reference = normal([1000], key: key, dtype: .float64).scalars
        final class Box: @unchecked Sendable { var results = [[Double]](repeating: [], count: 8); let lock = NSLock() }
        let box = Box()
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let v = normal([1000], key: key, dtype: .float64).scalars
            box.lock.lock(); box.results[i] = v; box.lock.unlock()
        }
        for v in box.results { XCTAssertEqual(v, reference) }
    }

    func testSplitAndFoldGiveDistinctStableKeys() {
        let key = RandomKey(seed: 1234)
        let (a, b) = key.split()
        let many = key.split(5)
        XCTAssertEqual(many[0], a)
        XCTAssertEqual(many[1], b)
        XCTAssertEqual(Set(many + [key]).count, 6)
        XCTAssertEqual(key.split(5), many)  // deterministic
        XCTAssertTrue(key.split(0).isEmpty)
        XCTAssertEqual(key.fold("classifier.0.weight"), key.fold("classifier.0.weight"))
        XCTAssertNotEqual(key.fold("classifier.0.weight"), key.fold("classifier.1.weight"))
        XCTAssertEqual(key.fold("abc"), key.fold(RandomKey.fnv1a("abc")))
        XCTAssertNotEqual(key.fold(0), key.fold(1))
        XCTAssertFalse(Set(many).contains(key.fold(0)))
        XCTAssertEqual(RandomKey(seed: 0xDEAD_BEEF_0000_0001).rawValue, 0xDEAD_BEEF_0000_0001)
    }

    func testSplitStreamsAreUncorrelated() {
        let (k1, k2) = RandomKey(seed: 5).split()
        let n = 100_000
        let x = normal([n], key: k1, dtype: .float64).scalars, y = normal([n], key: k2, dtype: .float64).scalars
        let r = zip(x, y).reduce(0) { $0 + $1.0 * $1.1 } / Double(n)
        XCTAssertLessThan(Swift.abs(r), 4 / Double(n).squareRoot())
        // Neighbouring elements of one stream (the Box–Muller pair shares a block) are uncorrelated too.
        let lag = (0..<(n - 1)).reduce(0.0) { $0 + x[$1] * x[$1 + 1] } / Double(n - 1)
        XCTAssertLessThan(Swift.abs(lag), 4 / Double(n - 1).squareRoot())
    }

    // MARK: - Moments (within 4 standard errors)

    private func moments(_ v: [Double]) -> (mean: Double, variance: Double) {
        let n = Double(v.count)
        let m = v.reduce(0, +) / n
        return (m, v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n)
    }

    func testUniformMoments() {
        let n = 200_000
        for dtype in DType.allCases {
            let v = uniform([n], key: RandomKey(seed: 11), dtype: dtype, low: -2, high: 3).scalars
            XCTAssertTrue(v.allSatisfy { $0 >= -2 && $0 < 3 }, "\(dtype): value outside [-2, 3)")
            let (m, s2) = moments(v)
            // For U(0, 1): σ² = 1/12, μ₄ = 1/80; scaled by the width 5.
            let width = 5.0
            XCTAssertEqual(m, 0.5, accuracy: 4 * width * (1.0 / 12 / Double(n)).squareRoot(), "\(dtype) mean")
            XCTAssertEqual(s2, width * width / 12,
                           accuracy: 4 * width * width * ((1.0 / 80 - 1.0 / 144) / Double(n)).squareRoot(), "\(dtype) variance")
        }
    }

    func testNormalMoments() {
        let n = 200_000
        for dtype in DType.allCases {
            let v = normal([n], key: RandomKey(seed: 12), dtype: dtype).scalars
            XCTAssertTrue(v.allSatisfy { $0.isFinite })
            let (m, s2) = moments(v)
            XCTAssertEqual(m, 0, accuracy: 4 / Double(n).squareRoot(), "\(dtype) mean")
            XCTAssertEqual(s2, 1, accuracy: 4 * (2 / Double(n)).squareRoot(), "\(dtype) variance")
            let k = v.reduce(0) { $0 + $1 * $1 * $1 * $1 } / Double(n)
            XCTAssertEqual(k, 3, accuracy: 4 * (96 / Double(n)).squareRoot(), "\(dtype) fourth moment")
            let tail = Double(v.filter { Swift.abs($0) > 1.96 }.count) / Double(n)
            XCTAssertEqual(tail, 0.05, accuracy: 4 * (0.05 * 0.95 / Double(n)).squareRoot(), "\(dtype) two-sided 5% tail")
        }
    }

    func testBernoulliMoments() {
        let n = 200_000
        for p in [0.0, 0.3, 0.9, 1.0] {
            let v = bernoulli([n], probability: p, key: RandomKey(seed: 13), dtype: .float32).scalars
            XCTAssertTrue(v.allSatisfy { $0 == 0 || $0 == 1 })
            let m = v.reduce(0, +) / Double(n)
            XCTAssertEqual(m, p, accuracy: Swift.max(4 * (p * (1 - p) / Double(n)).squareRoot(), 0), "p = \(p)")
        }
    }

    // MARK: - Dropout

    func testDropoutScalesSurvivorsAndKeepsTheMean() {
        let n = 100_000, p = 0.25
        let x = Tensor.ones([n], dtype: .float64)
        let key = RandomKey(seed: 14)
        let (y, g) = valueWithGradient(at: x) { sum(dropout($0, probability: p, key: key, training: true)) }
        let out = dropout(x, probability: p, key: key, training: true).scalars
        XCTAssertTrue(out.allSatisfy { $0 == 0 || $0 == 1 / (1 - p) })
        let dropped = Double(out.filter { $0 == 0 }.count) / Double(n)
        XCTAssertEqual(dropped, p, accuracy: 4 * (p * (1 - p) / Double(n)).squareRoot())
        // E[y] = x; Var of each element is p/(1−p).
        XCTAssertEqual(y.item / Double(n), 1, accuracy: 4 * (p / (1 - p) / Double(n)).squareRoot())
        // The gradient is the scaled mask itself.
        XCTAssertEqual(g.scalars, out)
        // Same key, same mask; keep/drop pattern independent of the input's values.
        let z = dropout(Sample.normal([n], seed: 3), probability: p, key: key, training: true).scalars
        XCTAssertEqual(z.map { $0 == 0 }, out.map { $0 == 0 })
    }

    func testDropoutIdentityCases() {
        let x = Sample.normal([4, 5], seed: 15, dtype: .float32)
        let key = RandomKey(seed: 16)
        XCTAssertTrue(dropout(x, probability: 0.5, key: key, training: false).isIdentical(to: x))
        XCTAssertTrue(dropout(x, probability: 0, key: key, training: true).isIdentical(to: x))
        XCTAssertEqual(dropout(x, probability: 1, key: key, training: true).scalars, [Double](repeating: 0, count: 20))
        let g = gradient(at: x) { sum(dropout($0, probability: 1, key: key, training: true)) }
        XCTAssertEqual(g.scalars, [Double](repeating: 0, count: 20))
        XCTAssertEqual(dropout(x, probability: 0.5, key: key, training: true).dtype, .float32)
    }
}
