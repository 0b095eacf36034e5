@testable import Ops
import Autodiff
import Foundation
import XCTest

/// The one-pass log-sum-exp over the last axis (what `crossEntropy` and `logSoftmax` of every
/// training step take) has the bits of the whole-tensor passes, float and double, for ranks 1–3,
/// rows of one and of many elements, and rows holding −∞, +∞, NaN, huge and tiny values.
final class LogSumExpLastAxisTests: XCTestCase {
    func testSameBitsAsTheGeneralPath() {
        let special: [Double] = [-.infinity, .infinity, .nan, 1e30, -1e30, 88.7, -103.9, 0]
        for dtype in [DType.float32, .float64] {
            for shape in [[10], [1], [128, 10], [7, 1], [3, 5, 33], [2, 0, 4].filter { $0 > 0 }] {
                let n = shape.reduce(1, *)
                var values = (0..<n).map { Double(($0 * 7_919) % 1_009) / 37 - 13 }
                // a few rows with special values: one special value, all −∞, a NaN among finite ones
                for (k, v) in special.enumerated() where k * 5 < n { values[k * 5] = v }
                if shape.last! > 1 && n >= 2 * shape.last! {
                    let c = shape.last!
                    for j in 0..<c { values[c + j] = -.infinity }
                }
                let x = Tensor(shape: shape, scalars: values, dtype: dtype)
                let fast = ElementwiseSupport.logSumExpKept(x, axes: [shape.count - 1])
                let general = ElementwiseSupport.logSumExpGeneral(x, axes: [shape.count - 1])
                XCTAssertEqual(fast.shape, general.shape, "\(shape) \(dtype)")
                XCTAssertEqual(fast.dtype, dtype)
                let a = fast.scalars, b = general.scalars
                XCTAssertEqual(a.count, b.count)
                for i in a.indices {
                    XCTAssertTrue(a[i].bitPattern == b[i].bitPattern || (a[i].isNaN && b[i].isNaN),
                                  "\(shape) \(dtype) row \(i): \(a[i]) vs \(b[i])")
                }
            }
        }
        // the loss built on it: crossEntropy's value and its gradient at a fixed point
        let logits = Tensor(shape: [4, 3], scalars: [1, 2, 3, -1, 0, 1, 100, -100, 0, 0.5, 0.25, 0.125], dtype: .float64)
        let (v, g) = valueWithGradient(at: logits) { crossEntropy($0, targets: [2, 0, 0, 1]) }
        let lse = (0..<4).map { r -> Double in
            let row = logits.scalars[(r * 3)..<(r * 3 + 3)], m = row.max()!
            return Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +)) + m
        }
        let expected = (lse[0] - 3 + lse[1] + 1 + lse[2] - 100 + lse[3] - 0.25) / 4
        XCTAssertEqual(v.item, expected, accuracy: 1e-12)
        XCTAssertEqual(g.shape, [4, 3])
        XCTAssertEqual(g.scalars[6], (1 - 1) / 4, accuracy: 1e-12)   // the target holds all the mass
    }
}
