import Autodiff
import Ops
import TestSupport
import XCTest

/// `convolutionMoments` is the pair (conv(x, w) + b, conv(x², v)): the values equal the separate
/// ops bit for bit, and the gradients match theirs to rounding (its float64 gradient check is in
/// the op table).
final class ConvolutionMomentsTests: XCTestCase {
    func check(_ dtype: DType, x xs: [Int], w ws: [Int], stride: [Int], padding: [Int], dilation: [Int], groups: Int,
               file: StaticString = #filePath, line: UInt = #line) {
        let x = Sample.normal(xs, seed: 11, dtype: dtype), w = Sample.normal(ws, seed: 12, dtype: dtype)
        let v = exp(Sample.normal(ws, seed: 13, dtype: dtype)), b = Sample.normal([ws[0]], seed: 14, dtype: dtype)
        func separate(_ t: [Tensor]) -> (Tensor, Tensor) {
            switch ws.count - 2 {
            case 1: return (conv1d(t[0], t[1], bias: t[3], stride: stride, padding: padding, dilation: dilation, groups: groups),
                            conv1d(t[0] * t[0], t[2], stride: stride, padding: padding, dilation: dilation, groups: groups))
            case 2: return (conv2d(t[0], t[1], bias: t[3], stride: stride, padding: padding, dilation: dilation, groups: groups),
                            conv2d(t[0] * t[0], t[2], stride: stride, padding: padding, dilation: dilation, groups: groups))
            default: return (conv3d(t[0], t[1], bias: t[3], stride: stride, padding: padding, dilation: dilation, groups: groups),
                             conv3d(t[0] * t[0], t[2], stride: stride, padding: padding, dilation: dilation, groups: groups))
            }
        }
        let fused = convolutionMoments(x, weight: w, bias: b, weightVariance: v, stride: stride, padding: padding,
                                       dilation: dilation, groups: groups)
        let (mean, variance) = separate([x, w, v, b])
        XCTAssertEqual(fused.mean.scalars(as: Double.self), mean.scalars(as: Double.self), "mean", file: file, line: line)
        XCTAssertEqual(fused.variance.scalars(as: Double.self), variance.scalars(as: Double.self), "variance", file: file, line: line)

        // Gradients of a loss that uses both outputs.
        let gy = Sample.normal(mean.shape, seed: 15, dtype: dtype), gs = Sample.normal(mean.shape, seed: 16, dtype: dtype)
        let (_, g1) = valueWithGradient(at: [x, w, v, b]) { t -> Tensor in
            let r = convolutionMoments(t[0], weight: t[1], bias: t[3], weightVariance: t[2], stride: stride, padding: padding,
                                       dilation: dilation, groups: groups)
            return sum(r.mean * gy) + sum(r.variance * gs)
        }
        let (_, g2) = valueWithGradient(at: [x, w, v, b]) { t -> Tensor in
            let (m, s) = separate(t)
            return sum(m * gy) + sum(s * gs)
        }
        let tolerance = dtype == .float64 ? 1e-12 : 1e-4
        for (name, (a, e)) in zip(["x", "weight", "variance", "bias"], zip(g1, g2)) {
            let av = a.scalars(as: Double.self), ev = e.scalars(as: Double.self)
            let scale = ev.map(abs).max() ?? 1
            let worst = zip(av, ev).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, tolerance * Swift.max(scale, 1), "gradient of \(name), \(dtype)", file: file, line: line)
        }
    }

    func testLeNetShapes() {
        for dtype in DType.allCases {
            check(dtype, x: [9, 1, 28, 28], w: [20, 1, 5, 5], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1)
            check(dtype, x: [5, 20, 12, 12], w: [50, 20, 5, 5], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1)
        }
    }

    func testGeometries() {
        for dtype in DType.allCases {
            check(dtype, x: [3, 4, 9, 7], w: [6, 2, 3, 2], stride: [2, 1], padding: [1, 1], dilation: [1, 2], groups: 2)
            check(dtype, x: [4, 3, 11], w: [5, 3, 1], stride: [1], padding: [0], dilation: [1], groups: 1)
            check(dtype, x: [2, 2, 4, 5, 3], w: [3, 2, 2, 3, 2], stride: [1, 2, 1], padding: [1, 0, 1], dilation: [1, 1, 1], groups: 1)
        }
    }
}
