import XCTest
import Ops
import TestSupport

/// linear and the convolutions skip the gradient of an operand that is a constant (not traced);
/// the gradients of the traced operands must not change.
final class ConstantOperandTests: XCTestCase {
    func check(_ name: String, x: Tensor, w: Tensor, _ f: @escaping (Tensor, Tensor) -> Tensor) {
        let (_, (gxBoth, gwBoth)) = valueWithGradient(at: x, w) { x, w in sum(f(x, w) * f(x, w)) }
        let gwOnly = gradient(at: w) { w in sum(f(x, w) * f(x, w)) }       // x captured: a constant
        let gxOnly = gradient(at: x) { x in sum(f(x, w) * f(x, w)) }       // w captured
        assertClose(gwOnly, gwBoth, rtol: 1e-12, atol: 1e-12, "\(name): weight gradient with a constant input")
        assertClose(gxOnly, gxBoth, rtol: 1e-12, atol: 1e-12, "\(name): input gradient with a constant weight")
    }

    func testLinear() {
        check("linear", x: Sample.normal([5, 4], seed: 1), w: Sample.normal([3, 4], seed: 2)) { linear($0, $1, bias: nil) }
    }

    func testConvolutions() {
        check("conv2d", x: Sample.normal([2, 2, 6, 5], seed: 3), w: Sample.normal([4, 1, 3, 2], seed: 4)) {
            conv2d($0, $1, stride: 2, padding: 1, groups: 2)
        }
        check("convTranspose1d", x: Sample.normal([2, 3, 5], seed: 5), w: Sample.normal([3, 2, 3], seed: 6)) {
            convTranspose1d($0, $1, stride: 2, padding: 1, outputPadding: 1)
        }
    }
}
