import Foundation
import Kernels
import XCTest

/// `wt_parallel_for` visits every item exactly once at any thread count (nested calls included), and
/// `wt_maxpool_inside_*` equals a plain reference of PyTorch's window rule on both paths.
final class PoolAndParallelTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    /// Context of the counting loop: one counter per item, in raw memory (ranges are disjoint, so
    /// no two threads write one word). Not a Swift array held in the class: every range calling
    /// `hits.withUnsafeMutableBufferPointer` would be a mutating access to one variable from several
    /// threads, whose copy-on-write check can copy the buffer and lose the other ranges' writes
    /// (that, not the pool, lost a range of this test in session 7; Docs/Kernels-GEMM.md).
    final class Counts: @unchecked Sendable {
        let hits: UnsafeMutablePointer<Int>
        let count: Int
        let nested: Bool
        init(_ n: Int, nested: Bool) {
            count = n
            hits = .allocate(capacity: max(n, 1))
            hits.initialize(repeating: 0, count: max(n, 1))
            self.nested = nested
        }
        deinit { hits.deallocate() }
        var array: [Int] { Array(UnsafeBufferPointer(start: hits, count: count)) }
    }

    func testParallelForVisitsEveryItemOnce() {
        for threads: Int32 in [1, 2, 3] {
            _ = wt_set_num_threads(threads)
            for count in [0, 1, 2, 5, 64, 1000, 4099] {
                for grain in [1, 7, 5000] {
                    for nested in [false, true] {
                        let counts = Counts(count, nested: nested)
                        let context = Unmanaged.passRetained(counts)
                        wt_parallel_for(count, grain, { raw, begin, end in
                            let c = Unmanaged<Counts>.fromOpaque(raw!).takeUnretainedValue()
                            if c.nested {
                                // A loop inside a loop must not deadlock and must visit every item once.
                                // (When the outer loop ran serially the inner one may take the pool, so
                                // its ranges mark their own items: no two ranges write one word.)
                                var inner = [Int](repeating: 0, count: 10)
                                inner.withUnsafeMutableBufferPointer { buffer in
                                    wt_parallel_for(10, 1, { r, b, e in
                                        let marks = r!.assumingMemoryBound(to: Int.self)
                                        for i in b..<e { marks[i] += 1 }
                                    }, buffer.baseAddress)
                                }
                                precondition(inner == [Int](repeating: 1, count: 10))
                            }
                            for i in begin..<end { c.hits[i] += 1 }
                        }, context.toOpaque())
                        context.release()
                        XCTAssertEqual(counts.array, [Int](repeating: 1, count: count),
                                       "threads \(threads), count \(count), grain \(grain), nested \(nested)")
                    }
                }
            }
        }
    }

    /// The ranges of a loop are claimed by whichever pool thread is free, but never by more threads
    /// than `wt_set_num_threads` allows, even when the pool holds more workers from an earlier,
    /// higher setting (they sit the job out).
    func testLoopsUseNoMoreThreadsThanSet() {
        let count = 4096
        let runner = UnsafeMutablePointer<UInt>.allocate(capacity: count)  // thread of each range, at its first index
        defer { runner.deallocate() }
        for (before, after): (Int32, Int32) in [(4, 2), (3, 1), (4, 3)] {
            _ = wt_set_num_threads(before)
            for setting in [before, after] {
                _ = wt_set_num_threads(setting)
                for _ in 0..<25 {
                    runner.initialize(repeating: 0, count: count)
                    wt_parallel_for(count, 64, { raw, begin, _ in
                        // some work per range, so that every idle worker gets the chance to claim one
                        var acc = 0.0
                        for i in 0..<100_000 { acc += Double(i & 7) }
                        raw!.assumingMemoryBound(to: UInt.self)[begin] = UInt(pthread_self()) + (acc < 0 ? 1 : 0)
                    }, runner)
                    let threads = Set(UnsafeBufferPointer(start: runner, count: count).filter { $0 != 0 })
                    XCTAssertGreaterThanOrEqual(threads.count, 1)
                    XCTAssertLessThanOrEqual(threads.count, Int(setting), "\(setting) threads set (\(before) before)")
                }
            }
        }
    }

    /// PyTorch's rule written plainly: the first tap, then any larger one or any NaN, in window order.
    func reference<T: BinaryFloatingPoint>(_ x: [T], planes: Int, in s: [Int], out o: [Int], k: [Int], stride: [Int],
                                          dilation d: [Int]) -> ([T], [Int]) {
        var y: [T] = [], index: [Int] = []
        let planeSize = s[0] * s[1] * s[2]
        for plane in 0..<planes { for o0 in 0..<o[0] { for o1 in 0..<o[1] { for o2 in 0..<o[2] {
            var best = T.nan, at = -1
            for k0 in 0..<k[0] { for k1 in 0..<k[1] { for k2 in 0..<k[2] {
                let i = plane * planeSize + ((o0 * stride[0] + k0 * d[0]) * s[1] + o1 * stride[1] + k1 * d[1]) * s[2]
                    + o2 * stride[2] + k2 * d[2]
                if at < 0 || x[i] > best || x[i].isNaN { best = x[i]; at = i }
            } } }
            y.append(best); index.append(at)
        } } } }
        return (y, index)
    }

    func checkMaxPool<T: BinaryFloatingPoint>(_: T.Type, _ kernel: (Int, UnsafePointer<Int>?, UnsafePointer<Int>?,
                                                                     UnsafePointer<Int>?, UnsafePointer<Int>?, UnsafePointer<Int>?,
                                                                     UnsafePointer<T>?, UnsafeMutablePointer<T>?,
                                                                     UnsafeMutablePointer<Int>?) -> Void) {
        // (input, kernel, stride, dilation): the vector 2×2/stride-2 case with every tail length (up to
        // two AVX-512 steps of 16 outputs), other
        // strides, 1-d and 3-d windows, dilation.
        var cases: [([Int], [Int], [Int], [Int])] = []
        for width in 2...72 { cases.append(([1, 5, width], [1, 2, 2], [1, 2, 2], [1, 1, 1])) }
        cases += [([1, 9, 33], [1, 2, 2], [1, 1, 2], [1, 1, 1]), ([1, 9, 33], [1, 2, 2], [1, 2, 1], [1, 1, 1]),
                  ([1, 1, 50], [1, 1, 3], [1, 1, 2], [1, 1, 1]), ([4, 7, 9], [2, 3, 2], [2, 1, 3], [1, 2, 2]),
                  ([1, 24, 24], [1, 2, 2], [1, 2, 2], [1, 1, 1])]
        var rng = SystemRandomNumberGenerator()
        for (shape, k, s, d) in cases {
            let out: [Int] = (0..<3).map { (a: Int) -> Int in
                let span: Int = (k[a] - 1) * d[a] + 1
                return (shape[a] - span) / s[a] + 1
            }
            let planes = 3, count = planes * shape.reduce(1, *)
            // Few distinct values, so ties are common; a sprinkling of NaNs and infinities.
            let x: [T] = (0..<count).map { _ in
                switch Int.random(in: 0..<40, using: &rng) {
                case 0: return .nan
                case 1: return -.infinity
                case 2: return .infinity
                default: return T(Int.random(in: -4...4, using: &rng))
                }
            }
            let (expectedY, expectedIndex) = reference(x, planes: planes, in: shape, out: out, k: k, stride: s, dilation: d)
            for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
                for threads: Int32 in [1, 2] {
                    _ = wt_set_isa(isa)
                    _ = wt_set_num_threads(threads)
                    var y = [T](repeating: 0, count: expectedY.count), index = [Int](repeating: 0, count: expectedY.count)
                    kernel(planes, shape, out, k, s, d, x, &y, &index)
                    XCTAssertEqual(index, expectedIndex, "\(T.self) \(shape) k \(k) s \(s) d \(d), \(isa), \(threads) threads")
                    XCTAssertTrue(zip(y, expectedY).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) },
                                  "\(T.self) \(shape) k \(k) s \(s) d \(d), \(isa)")
                }
            }
        }
    }

    func testMaxPoolFloat() { checkMaxPool(Float.self, wt_maxpool_inside_f32) }
    func testMaxPoolDouble() { checkMaxPool(Double.self, wt_maxpool_inside_f64) }
}
