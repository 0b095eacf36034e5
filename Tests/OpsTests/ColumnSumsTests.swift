@testable import Ops
import Autodiff
import Kernels
import XCTest

/// `columnSums` (complex linear's bias gradient through `wt_column_sums_*`) has the bits of
/// `summed(toShape: [1, cols])` on every tier, for float and double, at row and column counts around
/// the vector widths, and handles empty inputs like it.
final class ColumnSumsTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    /// Column ranges shared by the threads (`wt_column_sums_*` splits a large enough matrix): the
    /// bits of `summed(toShape:)` at 1, 2 and 3 threads.
    func testSameBitsAtAnyThreadCount() {
        for threads: Int32 in [1, 2, 3] {
            _ = wt_set_num_threads(threads)
            for dtype in [DType.float32, .float64] {
                for (rows, cols) in [(128, 400), (128, 1000), (1, 70_000), (40_000, 3)] {
                    var s: UInt64 = UInt64(rows * 7 + cols) | 1
                    let values = (0..<(rows * cols)).map { _ -> Double in
                        s ^= s << 13; s ^= s >> 7; s ^= s << 17
                        return (Double(s >> 11) / Double(1 << 53) - 0.5) * [1e-3, 1, 37, 1e4][Int(s & 3)]
                    }
                    let x = Tensor(shape: [rows, cols], scalars: values, dtype: dtype)
                    // the definition: each column added in row order, rounded to the dtype each time
                    let want: [UInt64] = (0..<cols).map { c in
                        if dtype == .float32 {
                            var acc = Float(values[c])
                            for r in 1..<rows { acc += Float(values[r * cols + c]) }
                            return UInt64(acc.bitPattern)
                        }
                        var acc = values[c]
                        for r in 1..<rows { acc += values[r * cols + c] }
                        return acc.bitPattern
                    }
                    let got = columnSums(x, rows: rows, cols: cols)
                    XCTAssertEqual(got.scalars.map { dtype == .float32 ? UInt64(Float($0).bitPattern) : $0.bitPattern }, want,
                                   "threads \(threads), \(dtype), \(rows)×\(cols)")
                }
            }
        }
    }

    func testSameBitsAsSummedToShapeOnEveryTier() {
        for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            for dtype in [DType.float32, .float64] {
                for (rows, cols) in [(1, 1), (2, 7), (3, 16), (17, 33), (128, 400), (128, 10), (5, 0), (0, 4)] {
                    var s: UInt64 = UInt64(rows * 1000 + cols) | 1
                    let values = (0..<(rows * cols)).map { _ -> Double in
                        s ^= s << 13; s ^= s >> 7; s ^= s << 17
                        return (Double(s >> 11) / Double(1 << 53) - 0.5) * [1e-3, 1, 37, 1e4][Int(s & 3)]
                    }
                    let x = Tensor(shape: [rows, cols], scalars: values, dtype: dtype)
                    let want = x.summed(toShape: [1, cols]).withShape([cols])
                    let got = columnSums(x, rows: rows, cols: cols)
                    XCTAssertEqual(got.shape, [cols])
                    XCTAssertEqual(got.scalars.map(\.bitPattern), want.scalars.map(\.bitPattern),
                                   "tier \(isa.rawValue), \(dtype), \(rows)×\(cols)")
                }
            }
        }
    }
}
