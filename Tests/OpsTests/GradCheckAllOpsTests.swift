import XCTest
import Ops
import TestSupport

/// Runs `gradcheck` (float64, central differences, eps 1e-6, atol 1e-5, rtol 1e-3) on every
/// sample of every op in ``OpTable``.
final class GradCheckAllOpsTests: XCTestCase {
    func testEveryOpAgainstCentralDifferences() {
        var checked = 0
        for info in OpTable.all {
            XCTAssertFalse(info.samples.isEmpty, "\(info.name) has no samples")
            for (k, sample) in info.samples.enumerated() {
                do { try gradcheck(info.function, at: sample) } catch {
                    XCTFail("\(info.name), sample \(k) (shapes \(sample.map(\.shape))): \(error)")
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 0)
    }

    func testGradcheckCatchesAWrongPullback() {
        // exp with a deliberately wrong pullback (2·g·eʸ instead of g·eʸ) must be reported.
        func badExp(_ x: Tensor) -> Tensor {
            let y = x.mapElements({ Float.exp($0) }, { Double.exp($0) })
            return Tape.record("badExp", y, inputs: [x]) { g in [g * y * 2] }
        }
        XCTAssertThrowsError(try gradcheck({ [badExp($0[0])] }, at: [Sample.normal([3], seed: 9)])) { error in
            XCTAssertTrue("\(error)".contains("input 0"), "\(error)")
        }
    }
}
