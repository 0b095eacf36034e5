import XCTest
import Foundation
@testable import Autodiff
import Ops

/// The elementwise engine's fast paths (operand layouts, un-broadcasting), the in-place
/// gradient accumulation of the tape and the buffer cache.
final class EngineTests: XCTestCase {
    /// Deterministic distinct values (exact in float32), so a wrong index shows as a wrong value.
    func ramp(_ shape: [Int], _ dtype: DType, offset: Double = 0) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: (0..<n).map { offset + Double(($0 * 7) % 23) - 11 + Double($0) / 64 }, dtype: dtype)
    }

    /// Element i of an operand of `shape` broadcast to `out`, by explicit multi-index arithmetic.
    func broadcastIndex(_ i: Int, out: [Int], shape: [Int]) -> Int {
        var rem = i, idx = 0, step = 1
        var coords = [Int](repeating: 0, count: out.count)
        for d in stride(from: out.count - 1, through: 0, by: -1) { coords[d] = rem % out[d]; rem /= out[d] }
        let off = out.count - shape.count
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            let c = shape[d] == 1 ? 0 : coords[d + off]
            idx += c * step; step *= shape[d]
        }
        return idx
    }

    let shapePairs: [([Int], [Int])] = [
        ([4, 5], [4, 5]), ([4, 5], []), ([], [4, 5]), ([4, 5], [5]), ([5], [4, 5]), ([4, 5], [1, 5]),
        ([4, 5], [4, 1]), ([4, 1], [4, 5]), ([2, 3, 4], [3, 4]), ([2, 3, 4], [2, 1, 1]), ([2, 3, 4], [3, 1]),
        ([2, 3, 4], [1, 3, 1]), ([4, 1], [1, 5]), ([1, 5], [4, 1]), ([3, 1, 4], [2, 1]), ([0, 3], [3]), ([6], [1]),
    ]

    func testZipElementsMatchesIndexArithmeticForEveryLayout() {
        for dtype in DType.allCases {
            for (sa, sb) in shapePairs {
                let a = ramp(sa, dtype), b = ramp(sb, dtype, offset: 0.5)
                let z = Tensor.zipElements(a, b, op: "test", { $0 * 3 - $1 }, { $0 * 3 - $1 })
                let out = Broadcast.shape(sa, sb)!
                XCTAssertEqual(z.shape, out)
                let av = a.scalars, bv = b.scalars, zv = z.scalars
                for i in 0..<zv.count {
                    let x = av[broadcastIndex(i, out: out, shape: sa)], y = bv[broadcastIndex(i, out: out, shape: sb)]
                    let expected = dtype == .float32 ? Double(Float(x) * 3 - Float(y)) : x * 3 - y
                    XCTAssertEqual(zv[i], expected, "\(sa) with \(sb) \(dtype), element \(i)")
                }
            }
        }
    }

    func testSummedToShapeMatchesIndexArithmetic() {
        let cases: [([Int], [Int])] = [
            ([4, 5], [5]), ([4, 5], [1, 5]), ([4, 5], [4, 1]), ([4, 5], []), ([4, 5], [1, 1]), ([2, 3, 4], [3, 4]),
            ([2, 3, 4], [2, 1, 1]), ([2, 3, 4], [3, 1]), ([2, 3, 4], [1, 3, 1]), ([2, 3, 4], [2, 3, 4]), ([1, 5], [5]),
            ([0, 3], [3]), ([3, 0], [3, 1]),
        ]
        for dtype in DType.allCases {
            for (big, small) in cases {
                let x = ramp(big, dtype)
                let s = x.summed(toShape: small)
                XCTAssertEqual(s.shape, small)
                var expected = [Double](repeating: 0, count: small.reduce(1, *))
                let xv = x.scalars
                for i in 0..<xv.count {
                    let j = broadcastIndex(i, out: big, shape: small)
                    expected[j] = dtype == .float32 ? Double(Float(expected[j]) + Float(xv[i])) : expected[j] + xv[i]
                }
                XCTAssertEqual(s.scalars, expected, "\(big) → \(small) \(dtype)")
            }
        }
    }

    func testAccumulationDoesNotWriteIntoSharedValues() {
        // the identity output seeds the leaf slot with the caller's cotangent; the second output's
        // gradient is then added to it: the caller's tensor must stay as it was
        let x = Tensor([1, 2, 3], dtype: .float64)
        let (_, pullback) = valueWithPullback(at: [x]) { xs in [xs[0] * 2, xs[0]] }
        let c0 = Tensor([1, 1, 1], dtype: .float64), c1 = Tensor([10, 20, 30], dtype: .float64)
        let g = pullback([c0, c1])[0]
        XCTAssertEqual(g.scalars, [12, 22, 32])
        XCTAssertEqual(c1.scalars, [10, 20, 30])
        XCTAssertEqual(c0.scalars, [1, 1, 1])
        XCTAssertEqual(pullback([c0, c1])[0].scalars, [12, 22, 32], "a second pullback gives the same")
        // add's pullback returns one tensor for both inputs, which then receive more gradient
        let (v, ga) = valueWithGradient(at: x) { x in sum((x + x) * x + x) }
        XCTAssertEqual(v.item, 2 * (1 + 4 + 9) + 6)
        XCTAssertEqual(ga.scalars, [5, 9, 13])
        XCTAssertEqual(x.scalars, [1, 2, 3])
    }

    func testBigGradientsWithBroadcastAndReuseMatchSmallFormula() {
        // 64×128 float32 (32 KiB): in the buffer cache's range
        let w = ramp([64, 128], .float32), b = ramp([128], .float32, offset: 1)
        func step() -> (Tensor, Tensor) {
            let (_, (gw, gb)) = valueWithGradient(at: w, b) { w, b in sum((w * w + b) * b) }
            return (gw, gb)
        }
        let first = step()
        for _ in 0..<3 {
            let again = step()
            XCTAssertTrue(again.0.isIdentical(to: first.0))
            XCTAssertTrue(again.1.isIdentical(to: first.1))
        }
        // d/dw = 2·w·b, d/db = Σ_rows (w² + 2b)
        let wv = w.scalars(as: Float.self), bv = b.scalars(as: Float.self)
        let gw = first.0.scalars(as: Float.self), gb = first.1.scalars(as: Float.self)
        for r in 0..<64 { for c in 0..<128 { XCTAssertEqual(gw[r * 128 + c], 2 * wv[r * 128 + c] * bv[c]) } }
        for c in 0..<128 {
            var s: Float = 0
            for r in 0..<64 { s += wv[r * 128 + c] * wv[r * 128 + c] + bv[c] + bv[c] }
            XCTAssertEqual(Double(gb[c]), Double(s), accuracy: 1e-6 * Double(Swift.abs(s)) + 1e-3)
        }
    }

    func testBufferCacheReusesMemoryAndZerosStayZero() {
        let n = 8192   // 32 KiB of float32
        let before = BufferCache.reuseCount
        do {
            var dirty = Tensor.full([n], 7, dtype: .float32)
            dirty[0] = 3
        }
        let z = Tensor.zeros([n], dtype: .float32)
        XCTAssertTrue(z.scalars.allSatisfy { $0 == 0 }, "zeros from a reused buffer are zero")
        XCTAssertGreaterThan(BufferCache.reuseCount, before, "a freed buffer of the same size was reused")
        let y = z + 2
        XCTAssertTrue(y.scalars.allSatisfy { $0 == 2 })
        // small buffers are not cached
        let cached = BufferCache.cachedByteCount
        do { _ = Tensor.full([16], 1) }
        XCTAssertEqual(BufferCache.cachedByteCount, cached)
    }

    func testBufferCacheLimitAndClear() {
        let oldLimit = BufferCache.limit
        defer { BufferCache.setLimit(oldLimit) }
        do { _ = Tensor.zeros([16384], dtype: .float64) }
        XCTAssertGreaterThanOrEqual(BufferCache.cachedByteCount, 16384 * 8)
        BufferCache.clear()
        XCTAssertEqual(BufferCache.cachedByteCount, 0)
        BufferCache.setLimit(0)
        do { _ = Tensor.zeros([16384], dtype: .float64) }
        XCTAssertEqual(BufferCache.cachedByteCount, 0, "limit 0 disables the cache")
        XCTAssertEqual(Tensor.full([16384], 5, dtype: .float64).scalars.reduce(0, +), 5 * 16384)
    }

    /// A size whose last free buffer was taken keeps an (empty) list in the cache; lowering the
    /// limit still frees the buffers of the other sizes, largest first, down to the new limit.
    func testBufferCacheLimitSkipsEmptiedSizes() {
        let oldLimit = BufferCache.limit
        defer { BufferCache.setLimit(oldLimit) }
        BufferCache.clear()
        do { _ = Tensor.zeros([8192], dtype: .float32); _ = Tensor.zeros([4096], dtype: .float64) }  // 32 KiB each
        do { _ = Tensor.zeros([20000], dtype: .float32) }                                           // 80 000 B
        XCTAssertEqual(BufferCache.cachedByteCount, 32768 + 80000, "the 32 KiB buffer once (same size), the 80 000 B one")
        let reused = BufferCache.reuseCount
        let held = Tensor.zeros([20000], dtype: .float32)   // empties the largest size's list
        XCTAssertEqual(BufferCache.reuseCount, reused + 1)
        XCTAssertEqual(BufferCache.cachedByteCount, 32768)
        BufferCache.setLimit(1000)
        XCTAssertEqual(BufferCache.cachedByteCount, 0, "the 32 KiB buffer is freed past the emptied larger size")
        BufferCache.setLimit(oldLimit)
        withExtendedLifetime(held) {}
        do { _ = Tensor.zeros([20000], dtype: .float32) }
        XCTAssertEqual(BufferCache.cachedByteCount, 80000, "an emptied size takes buffers again")
    }

    func testConcurrentGradientCallsAgreeWithSerialOnes() {
        let shapes = [[40, 200], [200], [96, 64]]
        let inputs = shapes.enumerated().map { ramp($0.element, .float32, offset: Double($0.offset)) }
        @Sendable func work(_ k: Int) -> [Double] {
            let w = inputs[0] * Double(k + 1), b = inputs[1], v = inputs[2]
            let (_, (gw, gb)) = valueWithGradient(at: w, b) { w, b in sum(exp((w + b) * 0.01) * b) }
            let gv = gradient(at: v) { v in sum(v * v * Double(k)) }
            return gw.scalars + gb.scalars + gv.scalars
        }
        let serial = (0..<8).map(work)
        let results = Results(count: 8 * 4)
        DispatchQueue.concurrentPerform(iterations: 8 * 4) { i in results.set(i, work(i % 8)) }
        for i in 0..<(8 * 4) { XCTAssertEqual(results.get(i), serial[i % 8], "concurrent call \(i)") }
    }
}

/// A lock-protected result array for the concurrency test.
private final class Results: @unchecked Sendable {
    private var values: [[Double]]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: [], count: count) }
    func set(_ i: Int, _ v: [Double]) { lock.lock(); values[i] = v; lock.unlock() }
    func get(_ i: Int) -> [Double] { lock.lock(); defer { lock.unlock() }; return values[i] }
}
