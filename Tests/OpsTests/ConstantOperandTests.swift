import XCTest
import Ops
import TestSupport

/// linear, matmul and the convolutions (real and complex) skip the gradient of an operand that is a
/// constant (not traced); the gradients of the traced operands must not change.
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

    /// The complex ops: gradients of z and W traced together, against each traced alone.
    func checkComplex(_ name: String, z: ComplexTensor, w: ComplexTensor,
                      _ f: @escaping (ComplexTensor, ComplexTensor) -> ComplexTensor) {
        func loss(_ y: ComplexTensor) -> Tensor { sum(y.real * y.real + y.imag * y.imag) }
        let (_, both) = valueWithGradient(at: [z.real, z.imag, w.real, w.imag]) { p in
            loss(f(ComplexTensor(real: p[0], imag: p[1]), ComplexTensor(real: p[2], imag: p[3])))
        }
        let gwOnly = gradient(at: w) { w in loss(f(z, w)) }       // z captured: a constant
        let gzOnly = gradient(at: z) { z in loss(f(z, w)) }       // w captured
        assertClose(gwOnly.real, both[2], rtol: 1e-12, atol: 1e-12, "\(name): weight gradient (real) with a constant input")
        assertClose(gwOnly.imag, both[3], rtol: 1e-12, atol: 1e-12, "\(name): weight gradient (imag) with a constant input")
        assertClose(gzOnly.real, both[0], rtol: 1e-12, atol: 1e-12, "\(name): input gradient (real) with a constant weight")
        assertClose(gzOnly.imag, both[1], rtol: 1e-12, atol: 1e-12, "\(name): input gradient (imag) with a constant weight")
    }

    func cnormal(_ shape: [Int], seed: UInt64) -> ComplexTensor {
        ComplexTensor(real: Sample.normal(shape, seed: seed), imag: Sample.normal(shape, seed: seed + 100))
    }

    func testComplexLinearMatmulAndConvolution() {
        checkComplex("complex linear", z: cnormal([5, 4], seed: 11), w: cnormal([3, 4], seed: 12)) { linear($0, $1) }
        checkComplex("complex matmul", z: cnormal([2, 5, 4], seed: 13), w: cnormal([4, 3], seed: 14)) { matmul($0, $1) }
        checkComplex("complex conv2d", z: cnormal([2, 2, 6, 5], seed: 15), w: cnormal([4, 1, 3, 2], seed: 16)) {
            conv2d($0, $1, stride: 2, padding: 1, groups: 2)
        }
        checkComplex("complex convTranspose1d", z: cnormal([2, 3, 5], seed: 17), w: cnormal([3, 2, 3], seed: 18)) {
            convTranspose1d($0, $1, stride: 2, padding: 1, outputPadding: 1)
        }
    }
}
