import XCTest
import Foundation
import Ops
import TestSupport

/// The complex scalar, element access and assignment, complex reductions, slicing, adjoint,
/// tan, tensordot, argmax and accuracy: values against hand computations (gradients are in the
/// OpInfo table).
final class ComplexScalarAndReductionTests: XCTestCase {
    func testComplexScalarArithmetic() {
        let a = Complex(1, 2), b = Complex(0.5, -2)
        XCTAssertEqual(a * b, Complex(0.5 + 4, -2 + 1))
        XCTAssertEqual(a + b, Complex(1.5, 0))
        XCTAssertEqual(a - b, Complex(0.5, 4))
        let q = a / b   // (1+2i)(0.5+2i)/(0.25+4) = (0.5 − 4 + i(2 + 1))/4.25
        XCTAssertEqual(q.real, -3.5 / 4.25, accuracy: 1e-15); XCTAssertEqual(q.imag, 3 / 4.25, accuracy: 1e-15)
        XCTAssertEqual(a.conjugate, Complex(1, -2))
        XCTAssertEqual(Complex(3, 4).modulus, 5)
        XCTAssertEqual(Complex(modulus: 2, argument: .pi / 2).imag, 2, accuracy: 1e-15)
        XCTAssertEqual(Complex.i * Complex.i, Complex(-1, 0))
        XCTAssertEqual("\(b)", "0.5-2.0i"); XCTAssertEqual("\(a)", "1.0+2.0i")
    }

    func testSubscriptReturnsAndAssignsComplex() {
        var z = ComplexTensor(shape: [2, 2], elements: [Complex(1, 2), Complex(3, 4), Complex(5, 6), Complex(7, 8)], dtype: .float64)
        XCTAssertEqual(z[1, 0], Complex(5, 6))
        XCTAssertEqual(z[-1, -1], Complex(7, 8))
        let before = z
        z[0, 1] = Complex(-1, 0.5)
        XCTAssertEqual(z.elements, [Complex(1, 2), Complex(-1, 0.5), Complex(5, 6), Complex(7, 8)])
        XCTAssertEqual(before[0, 1], Complex(3, 4), "assignment does not reach copies")
        var x = Tensor.zeros([2, 3], dtype: .float64)
        x[1, 2] = 4
        XCTAssertEqual(x.scalars, [0, 0, 0, 0, 0, 4])
    }

    func testTensorTimesComplexScalar() {
        let z = ComplexTensor(shape: [3], elements: [Complex(1, 0), Complex(0, 1), Complex(2, -1)], dtype: .float64)
        let c = Complex(0.5, -2)
        XCTAssertEqual((z * c).elements, z.elements.map { $0 * c })
        XCTAssertEqual((c * z).elements, z.elements.map { c * $0 })
        XCTAssertEqual((z + c).elements, z.elements.map { $0 + c })
        XCTAssertEqual((c - z).elements, z.elements.map { c - $0 })
        for (u, w) in zip((z / c).elements, z.elements.map { $0 / c }) {
            XCTAssertEqual(u.real, w.real, accuracy: 1e-15); XCTAssertEqual(u.imag, w.imag, accuracy: 1e-15)
        }
        XCTAssertEqual((z * c).dtype, .float64)
        var y = z; y *= Complex.i
        XCTAssertEqual(y.elements, [Complex(0, 1), Complex(-1, 0), Complex(1, 2)])
        let x = Tensor(shape: [2], scalars: [1.0, -2.0])
        XCTAssertEqual((x * c).elements, [Complex(0.5, -2), Complex(-1, 4)])
    }

    func testComplexSumMeanAndSlice() {
        let z = ComplexTensor(shape: [2, 3], elements: (0..<6).map { Complex(Double($0), -Double($0) * 2) }, dtype: .float64)
        XCTAssertEqual(sum(z, axes: [1]).elements, [Complex(3, -6), Complex(12, -24)])
        XCTAssertEqual(sum(z, axes: [0], keepDims: true).shape, [1, 3])
        XCTAssertEqual(sum(z).elements, [Complex(15, -30)])
        XCTAssertEqual(mean(z, axes: [0]).elements, [Complex(1.5, -3), Complex(2.5, -5), Complex(3.5, -7)])
        XCTAssertEqual(slice(z, axis: 1, start: 1).elements, [Complex(1, -2), Complex(2, -4), Complex(4, -8), Complex(5, -10)])
        XCTAssertEqual(slice(z, axis: 1, step: 2).shape, [2, 2])
    }

    func testAdjointIsTheConjugateTranspose() {
        let z = ComplexTensor(shape: [2, 3], elements: (0..<6).map { Complex(Double($0), Double($0) + 10) }, dtype: .float64)
        let h = adjoint(z)
        XCTAssertEqual(h.shape, [3, 2])
        for i in 0..<2 { for j in 0..<3 { XCTAssertEqual(h[j, i], z[i, j].conjugate) } }
    }

    func testTanMatchesSinOverCosAndStaysFinite() {
        let points = [Complex(0.3, -0.7), Complex(-1.2, 0.4), Complex(2, 1.5)]
        let z = ComplexTensor(shape: [3], elements: points, dtype: .float64)
        let t = tan(z), reference = sin(z) / cos(z)
        for (a, b) in zip(t.elements, reference.elements) {
            XCTAssertEqual(a.real, b.real, accuracy: 1e-12); XCTAssertEqual(a.imag, b.imag, accuracy: 1e-12)
        }
        // tan(x ± i·∞) → ±i: finite where sin/cos overflows
        let far = tan(ComplexTensor(shape: [2], elements: [Complex(0.5, 800), Complex(0.5, -800)], dtype: .float64)).elements
        XCTAssertEqual(far[0].real, 0, accuracy: 1e-12); XCTAssertEqual(far[0].imag, 1, accuracy: 1e-12)
        XCTAssertEqual(far[1].imag, -1, accuracy: 1e-12)
    }

    func testTensordotAgainstLoops() {
        let a = Sample.normal([2, 3, 4], seed: 1), b = Sample.normal([4, 3, 5], seed: 2)
        let c = tensordot(a, b, axesA: [1, 2], axesB: [1, 0])   // c[i, l] = Σ_jk a[i,j,k] b[k,j,l]
        XCTAssertEqual(c.shape, [2, 5])
        for i in 0..<2 {
            for l in 0..<5 {
                var s = 0.0
                for j in 0..<3 { for k in 0..<4 { s += a[i, j, k] * b[k, j, l] } }
                XCTAssertEqual(c[i, l], s, accuracy: 1e-12)
            }
        }
        let m = Sample.normal([3, 4], seed: 3), n = Sample.normal([4, 2], seed: 4)
        XCTAssertEqual(tensordot(m, n, axesA: [1], axesB: [0]).scalars, matmul(m, n).scalars)
        XCTAssertEqual(tensordot(m, n, axesA: [], axesB: []).shape, [3, 4, 4, 2], "no axes: the outer product")
        let za = Sample.complex([3, 4], seed: 5), zb = Sample.complex([4, 2], seed: 6)
        let zc = tensordot(za, zb, axesA: [1], axesB: [0]), ref = matmul(za, zb)
        XCTAssertEqual(zc.real.scalars, ref.real.scalars); XCTAssertEqual(zc.imag.scalars, ref.imag.scalars)
    }

    func testArgmaxAndAccuracy() {
        let logits = Tensor(shape: [3, 4], scalars: [0.1, 0.9, 0.9, 0.0,  -1, -2, -0.5, -3,  .nan, 2, 1, 0])
        XCTAssertEqual(argmax(logits), [1, 2, 1], "first of ties; NaN is not the maximum")
        XCTAssertEqual(argmax(logits, axis: 0), [0, 2, 2, 0])
        XCTAssertEqual(argmax(Tensor(shape: [2, 2, 2], scalars: [1, 2, 3, 0, 5, 6, 7, 8]), axis: 1), [1, 0, 1, 1])
        XCTAssertEqual(accuracy(logits, targets: [1, 2, 0]), 2.0 / 3.0)
        XCTAssertEqual(accuracy(Tensor.zeros([0, 3]), targets: []), 0)
    }
}

extension ComplexScalarAndReductionTests {
    /// Reduction axes: negative ones counted from the end, repeats ignored, any order, sorted out.
    func testNormalizedAxesAreSortedAndUnique() {
        XCTAssertEqual(normalizedAxes([-1, 2, 0, 0], rank: 3, op: "t"), [0, 2])
        XCTAssertEqual(normalizedAxes([1, -2], rank: 3, op: "t"), [1])
        XCTAssertEqual(normalizedAxes(nil, rank: 3, op: "t"), [0, 1, 2])
        XCTAssertEqual(normalizedAxes([], rank: 2, op: "t"), [])
        XCTAssertEqual(normalizedAxes([0, 0], rank: 0, op: "t"), [])   // a scalar: axis 0 allowed, nothing to reduce
        let x = Sample.normal([2, 3, 4], seed: 9)
        XCTAssertEqual(sum(x, axes: [-1, 2, 0, 0]).scalars, sum(x, axes: [0, 2]).scalars)
    }
}
