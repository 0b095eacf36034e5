import Autodiff
import Kernels
import Ops
import TestSupport
import XCTest

/// The plain eval-mode `linear` packs a weight it meets a second time (`PackedWeightCache`) and then
/// gives the same bits as without the cache; a written weight, a weight computed afresh per call and
/// traced calls never use a stale or any packed copy.
final class PackedWeightCacheTests: XCTestCase {
    private var savedLimit = 0

    override func setUp() {
        super.setUp()
        PackedWeightCache.clear()
        savedLimit = PackedWeightCache.setLimit(64 << 20)
    }

    override func tearDown() {
        PackedWeightCache.setLimit(savedLimit)
        PackedWeightCache.clear()
        super.tearDown()
    }

    /// `linear` with the cache turned off (the GEMM packs W itself).
    private func uncached(_ x: Tensor, _ w: Tensor, bias: Tensor?) -> Tensor {
        let limit = PackedWeightCache.setLimit(0)
        defer { PackedWeightCache.setLimit(limit) }
        return linear(x, w, bias: bias)
    }

    func testSecondCallPacksAndEveryCallKeepsTheBits() {
        let saved = wt_get_num_threads()
        defer { _ = wt_set_num_threads(saved) }
        for dtype in [DType.float32, .float64] {
            let w = Sample.normal([150, 200], seed: 11, dtype: dtype), b = Sample.normal([150], seed: 12, dtype: dtype)
            for threads: Int32 in [1, 2] {
                _ = wt_set_num_threads(threads)
                PackedWeightCache.clear()
                let x = Sample.normal([130, 200], seed: 13 + UInt64(threads), dtype: dtype)
                let want = uncached(x, w, bias: b).scalars
                let packs = PackedWeightCache.packCount
                XCTAssertEqual(linear(x, w, bias: b).scalars, want, "first call, \(dtype), \(threads) threads")
                XCTAssertEqual(PackedWeightCache.packCount, packs, "the first call only records the weight")
                XCTAssertEqual(linear(x, w, bias: b).scalars, want, "second call, \(dtype), \(threads) threads")
                XCTAssertEqual(PackedWeightCache.packCount, packs + 1, "the second call packs")
                XCTAssertGreaterThanOrEqual(PackedWeightCache.byteCount, w.count * dtype.byteSize)
                XCTAssertEqual(linear(x, w, bias: b).scalars, want, "third call, \(dtype), \(threads) threads")
                XCTAssertEqual(linear(x, w).scalars, uncached(x, w, bias: nil).scalars, "no bias")
                XCTAssertEqual(PackedWeightCache.packCount, packs + 1, "later calls reuse the packed copy")
            }
        }
    }

    /// Writing the weight (copy-on-write) gives it new storage: the next call sees the new values.
    func testWrittenWeightNeverUsesTheOldCopy() {
        var w = Sample.normal([40, 30], seed: 21, dtype: .float32)
        let x = Sample.normal([50, 30], seed: 22, dtype: .float32)
        _ = linear(x, w, bias: nil)
        _ = linear(x, w, bias: nil)   // packed now
        let packs = PackedWeightCache.packCount
        w.withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<Float>) in
            for i in p.indices { p[i] = -p[i] * 2 }
        }
        let got = linear(x, w, bias: nil).scalars
        XCTAssertEqual(got, uncached(x, w, bias: nil).scalars)
        XCTAssertEqual(got, uncached(x, Sample.normal([40, 30], seed: 21, dtype: .float32), bias: nil).scalars.map { -$0 * 2 },
                       "negating and doubling W negates and doubles every output exactly")
        XCTAssertEqual(PackedWeightCache.packCount, packs, "the written weight was seen once only")
    }

    /// A weight computed afresh on every call (here `w ⊙ mask`) is recorded but never packed.
    func testFreshWeightEveryCallIsNeverPacked() {
        let w = Sample.normal([40, 30], seed: 31, dtype: .float32), x = Sample.normal([50, 30], seed: 32, dtype: .float32)
        let mask = Tensor(shape: [40, 30], scalars: (0..<1200).map { Float($0 % 3 == 0 ? 0 : 1) })
        let packs = PackedWeightCache.packCount
        for _ in 0..<(PackedWeightCache.maximumEntries + 4) {
            let masked = w * mask
            XCTAssertEqual(linear(x, masked, bias: nil).scalars, uncached(x, masked, bias: nil).scalars)
        }
        XCTAssertEqual(PackedWeightCache.packCount, packs)
    }

    /// Calls that record (a traced weight or input) and batches of at most 16 rows leave the cache alone.
    func testTracedAndSmallCallsDoNotUseTheCache() {
        let w = Sample.normal([20, 10], seed: 41), x = Sample.normal([40, 10], seed: 42)
        let packs = PackedWeightCache.packCount
        for _ in 0..<3 {
            let (_, g) = valueWithGradient(at: [w]) { t in sum(linear(x, t[0])) }
            XCTAssertEqual(g[0].shape, [20, 10])
            _ = linear(Sample.normal([16, 10], seed: 43), w)
        }
        XCTAssertEqual(PackedWeightCache.packCount, packs)
        XCTAssertEqual(PackedWeightCache.byteCount, 0)
    }

    /// The byte limit bounds the packed copies; 0 turns the cache off.
    func testLimitBoundsThePackedCopies() {
        let x = Sample.normal([32, 64], seed: 51, dtype: .float32)
        let weights = (0..<4).map { Sample.normal([64, 64], seed: 52 + UInt64($0), dtype: .float32) }
        let one = PackedLinearWeight(weights[0]).packedByteCount
        PackedWeightCache.setLimit(2 * one)
        for w in weights { _ = linear(x, w, bias: nil); _ = linear(x, w, bias: nil) }
        XCTAssertEqual(PackedWeightCache.byteCount, 2 * one, "the two most recent packed copies fit")
        PackedWeightCache.setLimit(0)
        XCTAssertEqual(PackedWeightCache.byteCount, 0)
        let packs = PackedWeightCache.packCount
        for _ in 0..<3 { _ = linear(x, weights[0], bias: nil) }
        XCTAssertEqual(PackedWeightCache.packCount, packs, "off: nothing packed")
    }
}
