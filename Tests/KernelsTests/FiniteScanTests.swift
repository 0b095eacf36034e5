import Kernels
import XCTest

/// `wt_all_finite_*`: every position and every kind of non-finite value is found, on both paths
/// and at every length around the vector widths.
final class FiniteScanTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        super.tearDown()
    }

    func check<T: BinaryFloatingPoint>(_: T.Type, _ scan: (UnsafePointer<T>?, Int) -> Int32) {
        for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            for n in [0, 1, 3, 4, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 100] {
                var x = (0..<n).map { T($0) * (($0 % 2 == 0) ? 1 : -1) * T(1e30) / T(max(n, 1)) }
                x.withUnsafeBufferPointer { XCTAssertEqual(scan($0.baseAddress, n), 1, "finite, n = \(n), \(isa)") }
                for bad in [T.nan, .infinity, -.infinity, .signalingNaN] {
                    for pos in Set([0, n / 2, n - 1]) where n > 0 {
                        let keep = x[pos]
                        x[pos] = bad
                        x.withUnsafeBufferPointer { XCTAssertEqual(scan($0.baseAddress, n), 0, "\(bad) at \(pos) of \(n), \(isa)") }
                        x[pos] = keep
                    }
                }
                // the largest finite values do not overflow the scan
                let big = [T](repeating: .greatestFiniteMagnitude, count: n)
                big.withUnsafeBufferPointer { XCTAssertEqual(scan($0.baseAddress, n), 1, "max, n = \(n), \(isa)") }
            }
        }
    }

    /// Arrays of 2¹⁶ elements and more are scanned in ranges over the threads: a non-finite value
    /// anywhere (first, last, at a range boundary) is found at 1, 2 and 3 threads on every tier.
    func checkLong<T: BinaryFloatingPoint>(_: T.Type, _ scan: (UnsafePointer<T>?, Int) -> Int32) {
        let saved = wt_get_num_threads()
        defer { _ = wt_set_num_threads(saved) }
        for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            for n in [1 << 16, (1 << 16) + 5, 200_003] {
                var x = (0..<n).map { T($0 % 1000) - 500 }
                for threads: Int32 in [1, 2, 3] {
                    _ = wt_set_num_threads(threads)
                    x.withUnsafeBufferPointer { XCTAssertEqual(scan($0.baseAddress, n), 1, "finite, n = \(n), \(threads) threads, \(isa)") }
                    for pos in [0, n / 3, n / 2, n / 2 - 1, n - 1] {
                        let keep = x[pos]
                        x[pos] = pos % 2 == 0 ? .nan : -.infinity
                        x.withUnsafeBufferPointer { XCTAssertEqual(scan($0.baseAddress, n), 0, "bad at \(pos) of \(n), \(threads) threads, \(isa)") }
                        x[pos] = keep
                    }
                }
            }
        }
    }

    func testLongArraysOnTheThreads() {
        checkLong(Double.self, wt_all_finite_f64)
        checkLong(Float.self, wt_all_finite_f32)
    }

    func testDouble() { check(Double.self, wt_all_finite_f64) }
    func testFloat() { check(Float.self, wt_all_finite_f32) }
}
