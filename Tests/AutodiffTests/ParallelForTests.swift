import Autodiff
import Kernels
import XCTest

/// `parallelFor` (the Swift face of `wt_parallel_for`): every index once, ranges contiguous and at
/// least `grain` long when split, a multiple of the thread count when more than the threads, nested
/// loops on the calling thread.
final class ParallelForTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    func testEveryIndexOnceAtAnyThreadCount() {
        for threads: Int32 in [1, 2, 3] {
            _ = wt_set_num_threads(threads)
            for (count, grain) in [(0, 1), (1, 1), (7, 1), (100, 60), (1000, 10), (100_003, 16_384), (51_200, 16_384)] {
                let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
                hits.initialize(repeating: 0, count: max(count, 1))
                defer { hits.deallocate() }
                // each range writes its length at its first index (disjoint slots; asserted on this thread)
                let lengths = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
                lengths.initialize(repeating: 0, count: max(count, 1))
                defer { lengths.deallocate() }
                parallelFor(count, grain: grain) { r in
                    for i in r { hits[i] += 1 }
                    lengths[r.lowerBound] = r.count
                }
                XCTAssertTrue((0..<count).allSatisfy { hits[$0] == 1 }, "threads \(threads), count \(count), grain \(grain)")
                // no range shorter than the grain, unless the whole loop is one range
                let runs = (0..<count).map { lengths[$0] }.filter { $0 > 0 }
                XCTAssertEqual(runs.reduce(0, +), count)
                XCTAssertTrue(runs.allSatisfy { $0 >= grain } || runs == [count], "threads \(threads), count \(count): \(runs)")
                // at most four ranges per thread (claimed by whichever thread is free)
                XCTAssertLessThanOrEqual(runs.count, 4 * Int(threads))
                // more ranges than threads: a multiple of the thread count (equal shares)
                if runs.count > Int(threads) {
                    XCTAssertEqual(runs.count % Int(threads), 0, "threads \(threads), count \(count): \(runs)")
                }
            }
        }
    }

    func testNestedLoopsRunOnTheCallingThread() {
        _ = wt_set_num_threads(2)
        let n = 40_000
        let out = UnsafeMutablePointer<Int>.allocate(capacity: n)
        defer { out.deallocate() }
        parallelFor(4, grain: 1) { outer in
            for block in outer {
                parallelFor(n / 4, grain: 100) { inner in
                    for i in inner { out[block * (n / 4) + i] = block * (n / 4) + i }
                }
            }
        }
        XCTAssertTrue((0..<n).allSatisfy { out[$0] == $0 })
    }
}
