import Autodiff
import Ops
import TestSupport
import XCTest

/// Products with a few rows take the skinny kernels (weight read in place), taller ones the
/// packed GEMM (`skinnyProductMaxRows` in LinearAlgebra.swift): both paths give the same values
/// and gradients up to rounding, for real and complex linear layers and matmul.
final class SkinnyPathTests: XCTestCase {
    /// 24 rows (packed GEMM) against the same rows 3 at a time (skinny), float64 and float32.
    func testRealLinearAgreesAcrossPaths() {
        for dtype in [DType.float64, .float32] {
            let x = Sample.normal([24, 37], seed: 1, dtype: dtype), w = Sample.normal([29, 37], seed: 2, dtype: dtype)
            let b = Sample.normal([29], seed: 3, dtype: dtype)
            let tall = linear(x, w, bias: b)
            let tol = dtype == .float64 ? 1e-12 : 1e-5
            for start in stride(from: 0, to: 24, by: 3) {
                let rows = slice(x, axis: 0, start: start, end: start + 3)
                assertClose(linear(rows, w, bias: b), slice(tall, axis: 0, start: start, end: start + 3), rtol: tol, atol: tol)
            }
            // matmul with B stored K×N (the axpy form)
            let wt = Sample.normal([37, 29], seed: 4, dtype: dtype)
            let full = matmul(x, wt)
            assertClose(matmul(slice(x, axis: 0, start: 5, end: 6), wt), slice(full, axis: 0, start: 5, end: 6), rtol: tol, atol: tol)
        }
    }

    func testComplexLinearAgreesAcrossPaths() {
        for dtype in [DType.float64, .float32] {
            let z = Sample.complex([20, 13], seed: 5, dtype: dtype), w = Sample.complex([11, 13], seed: 6, dtype: dtype)
            let b = Sample.complex([11], seed: 7, dtype: dtype)
            let tall = linear(z, w, bias: b)
            let tol = dtype == .float64 ? 1e-12 : 1e-5
            for start in stride(from: 0, to: 20, by: 4) {
                let rows = ComplexTensor(real: slice(z.real, axis: 0, start: start, end: start + 4),
                                         imag: slice(z.imag, axis: 0, start: start, end: start + 4))
                let want = ComplexTensor(real: slice(tall.real, axis: 0, start: start, end: start + 4),
                                         imag: slice(tall.imag, axis: 0, start: start, end: start + 4))
                assertClose(linear(rows, w, bias: b), want, rtol: tol, atol: tol)
            }
        }
    }

    /// The weight gradient of a complex linear layer from a short batch (skinny forward and input
    /// pullback) equals the one from the same batch stacked twice, halved (packed path): 2 vs 24 rows.
    func testComplexLinearGradientsAgreeAcrossPaths() {
        let z = Sample.complex([2, 9], seed: 8), w = Sample.complex([5, 9], seed: 9)
        func loss(_ x: ComplexTensor, _ p: [Tensor]) -> Tensor {
            let y = linear(x, ComplexTensor(real: p[0], imag: p[1]))
            return sum(y.real * y.real) + sum(y.imag * y.real)
        }
        let (_, short) = valueWithGradient(at: [w.real, w.imag]) { p in loss(z, p) }
        let stacked = ComplexTensor(real: concat(Array(repeating: z.real, count: 12), axis: 0),
                                    imag: concat(Array(repeating: z.imag, count: 12), axis: 0))
        let (_, tall) = valueWithGradient(at: [w.real, w.imag]) { p in loss(stacked, p) }
        for i in 0..<2 { assertClose(tall[i] * Tensor(scalar: 1.0 / 12, dtype: .float64), short[i], rtol: 1e-12, atol: 1e-12) }
    }
}
