import XCTest
import Ops
import TestSupport
import Foundation

/// The complex gradient convention (∂L/∂Re z + i·∂L/∂Im z = 2·∂L/∂z̄) is the descending one,
/// and holomorphic pullbacks satisfy grad |f(z)|² = 2·conj(f'(z))·f(z).
final class ComplexDescentTests: XCTestCase {
    /// `Σ |w|²` over all elements, a real scalar.
    func squaredNorm(_ w: ComplexTensor) -> Tensor { sum(w.real * w.real + w.imag * w.imag) }

    /// A 6×3 complex matrix close to [I; 0] (well conditioned: AᴴA ≈ I) and a right-hand side.
    func leastSquaresProblem() -> (a: ComplexTensor, b: ComplexTensor) {
        let noise = Sample.complex([6, 3], seed: 901)
        var eye = [Double](repeating: 0, count: 18)
        for i in 0..<3 { eye[i * 3 + i] = 1 }
        let a = ComplexTensor(real: Tensor(shape: [6, 3], scalars: eye) + noise.real * 0.1, imag: noise.imag * 0.1)
        return (a, Sample.complex([6, 1], seed: 902))
    }

    func testGradientDescentOnComplexLeastSquaresConverges() {
        let (a, b) = leastSquaresProblem()
        func loss(_ z: ComplexTensor) -> Tensor { squaredNorm(matmul(a, z) - b) }
        var z = ComplexTensor.zeros([3, 1], dtype: .float64)
        let lr = 0.4
        var losses: [Double] = []
        for _ in 0..<20 {
            let (value, grad) = valueWithGradient(at: z, of: loss)
            losses.append(value.item)
            // the update of the convention: z ← z − lr·(∂L/∂x + i·∂L/∂y)
            z = ComplexTensor(real: z.real - grad.real * lr, imag: z.imag - grad.imag * lr)
        }
        let final = loss(z).item
        for k in 1..<losses.count { XCTAssertLessThan(losses[k], losses[k - 1], "loss rose at step \(k): \(losses)") }

        // The minimiser solves the normal equations AᴴA z = Aᴴb; at it the reported gradient
        // 2·Aᴴ(Az − b) vanishes. Compare with the exact least-squares optimum.
        let grad = gradient(at: z, of: loss)
        let gradNorm = (grad.real.scalars + grad.imag.scalars).map { $0 * $0 }.reduce(0, +).squareRoot()
        XCTAssertLessThan(gradNorm, 1e-4, "gradient at the end of descent")
        let optimum = loss(exactLeastSquares(a, b)).item
        XCTAssertEqual(final, optimum, accuracy: 1e-8, "descent reached the least-squares optimum (start \(losses[0]))")

        // Stepping along the conjugate, z ← z − lr·conj(grad) (i.e. using 2·∂L/∂z as if it
        // were the gradient), moves the imaginary part uphill: from z = 0 it ends higher than
        // the step of the convention.
        let g0 = gradient(at: ComplexTensor.zeros([3, 1], dtype: .float64), of: loss)
        let wrong = ComplexTensor(real: g0.real * -lr, imag: g0.imag * lr)
        let right = ComplexTensor(real: g0.real * -lr, imag: g0.imag * -lr)
        XCTAssertLessThan(loss(right).item, loss(wrong).item)
    }

    /// Solves the 3×3 Hermitian system AᴴA z = Aᴴb by Gaussian elimination in complex arithmetic.
    func exactLeastSquares(_ a: ComplexTensor, _ b: ComplexTensor) -> ComplexTensor {
        let (m, n) = (a.shape[0], a.shape[1])
        typealias C = (re: Double, im: Double)
        func mul(_ x: C, _ y: C) -> C { (x.re * y.re - x.im * y.im, x.re * y.im + x.im * y.re) }
        func div(_ x: C, _ y: C) -> C { let d = y.re * y.re + y.im * y.im; return ((x.re * y.re + x.im * y.im) / d, (x.im * y.re - x.re * y.im) / d) }
        func conjA(_ i: Int, _ j: Int) -> C { let v = a[i, j]; return (v.real, -v.imag) }
        var mat = [[C]](repeating: [C](repeating: (0, 0), count: n + 1), count: n)
        for i in 0..<n {
            for j in 0..<n {
                var s: C = (0, 0)
                for k in 0..<m { let p = mul(conjA(k, i), (a[k, j].real, a[k, j].imag)); s = (s.re + p.re, s.im + p.im) }
                mat[i][j] = s
            }
            var s: C = (0, 0)
            for k in 0..<m { let p = mul(conjA(k, i), (b[k, 0].real, b[k, 0].imag)); s = (s.re + p.re, s.im + p.im) }
            mat[i][n] = s
        }
        for c in 0..<n {
            for r in (c + 1)..<n {
                let f = div(mat[r][c], mat[c][c])
                for j in c...n { let p = mul(f, mat[c][j]); mat[r][j] = (mat[r][j].re - p.re, mat[r][j].im - p.im) }
            }
        }
        var x = [C](repeating: (0, 0), count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = mat[r][n]
            for j in (r + 1)..<n { let p = mul(mat[r][j], x[j]); s = (s.re - p.re, s.im - p.im) }
            x[r] = div(s, mat[r][r])
        }
        return ComplexTensor(real: Tensor(shape: [n, 1], scalars: x.map(\.re)), imag: Tensor(shape: [n, 1], scalars: x.map(\.im)))
    }

    func testReportedGradientOfLeastSquaresIsTwiceAHermitianResidual() {
        let (a, b) = leastSquaresProblem()
        let z = Sample.complex([3, 1], seed: 903)
        let grad = gradient(at: z) { squaredNorm(matmul(a, $0) - b) }
        // 2·Aᴴ(Az − b), written out elementwise
        let r = matmul(a, z) - b
        for j in 0..<3 {
            var s = (re: 0.0, im: 0.0)
            for k in 0..<6 {
                let (ar, ai) = (a[k, j].real, a[k, j].imag), (rr, ri) = (r[k, 0].real, r[k, 0].imag)
                s.re += ar * rr + ai * ri
                s.im += ar * ri - ai * rr
            }
            XCTAssertEqual(grad[j, 0].real, 2 * s.re, accuracy: 1e-12)
            XCTAssertEqual(grad[j, 0].imag, 2 * s.im, accuracy: 1e-12)
        }
    }

    /// grad Σ|f(z)|² = 2·conj(f'(z))·f(z) for holomorphic f, with f' from a central difference
    /// along the real axis (for holomorphic f every direction gives the same derivative).
    func testHolomorphicGradientOfSquaredModulus() {
        let z = ComplexTensor(real: Sample.normal([2, 3], seed: 904) * 0.8, imag: Sample.normal([2, 3], seed: 905) * 0.8)
        let functions: [(String, (ComplexTensor) -> ComplexTensor)] = [
            ("exp", exp), ("log", log), ("sin", sin), ("cos", cos), ("sinh", sinh), ("cosh", cosh), ("tanh", tanh),
            ("z²", { $0 * $0 }), ("1/z", { 1 / $0 }), ("(z + 2)·(3 − z)", { ($0 + 2) * (3 - $0) }),
        ]
        let h = 1e-6
        for (name, f) in functions {
            let grad = gradient(at: z) { squaredNorm(f($0)) }
            let w = f(z)
            let fp = f(z + h), fm = f(z - h)
            for i in 0..<2 {
                for j in 0..<3 {
                    let d = (re: (fp[i, j].real - fm[i, j].real) / (2 * h), im: (fp[i, j].imag - fm[i, j].imag) / (2 * h))
                    let v = w[i, j]
                    // 2·conj(d)·v
                    let expected = (re: 2 * (d.re * v.real + d.im * v.imag), im: 2 * (d.re * v.imag - d.im * v.real))
                    let tol = 1e-6 * Swift.max(1, Swift.abs(expected.re) + Swift.abs(expected.im))
                    XCTAssertEqual(grad[i, j].real, expected.re, accuracy: tol, "\(name) at [\(i), \(j)] real part")
                    XCTAssertEqual(grad[i, j].imag, expected.im, accuracy: tol, "\(name) at [\(i), \(j)] imaginary part")
                }
            }
        }
    }

    /// Non-holomorphic real functions: grad Σ|z|² = 2z, grad Σ|z| = z/|z|, grad Σ angle z = i·z/|z|².
    func testGradientsOfModulusAndArgument() {
        let z = Sample.complex([4], seed: 906)
        let g2 = gradient(at: z) { squaredNorm($0) }
        assertClose(g2, z * 2, rtol: 1e-14, atol: 0)
        let g1 = gradient(at: z) { sum(abs($0)) }
        let r = abs(z)
        assertClose(g1, z / r, rtol: 1e-14, atol: 1e-15)
        let ga = gradient(at: z) { sum(angle($0)) }
        assertClose(ga, ComplexTensor(real: -z.imag / (r * r), imag: z.real / (r * r)), rtol: 1e-13, atol: 1e-15)
        // |z| at 0 has gradient 0, as in cplxmodule
        let g0 = gradient(at: ComplexTensor.zeros([2], dtype: .float64)) { sum(abs($0)) }
        XCTAssertEqual(g0.real.scalars + g0.imag.scalars, [0, 0, 0, 0])
    }
}

/// Documented behaviours of the complex ops, checked on hand-computed values.
final class ComplexOpsBehaviourTests: XCTestCase {
    /// A float64 vector.
    func vec(_ v: [Double]) -> Tensor { Tensor(shape: [v.count], scalars: v) }

    func testModReLUExamplesFromCplxmodule() {
        let z = ComplexTensor(real: vec([3, 0.3, 1e-7]), imag: vec([4, 0.4, 0]))
        let y = modReLU(z, threshold: 0.5)
        XCTAssertEqual(y[0].real, 2.7, accuracy: 1e-15); XCTAssertEqual(y[0].imag, 3.6, accuracy: 1e-15)
        XCTAssertEqual(y[1].real, 0); XCTAssertEqual(y[1].imag, 0)
        // negative threshold and the 1e-5 clamp: 1e-7·(1 + 0.5/1e-5) = 0.0050001
        let small = modReLU(z, threshold: -0.5)
        XCTAssertEqual(small[2].real, 0.0050001, accuracy: 1e-15)
        // the gradient at exactly 0 is 1 + 0.5/1e-5 = 50001 per part
        let g = gradient(at: ComplexTensor.zeros([1], dtype: .float64)) { z in
            let w = modReLU(z, threshold: -0.5)
            return sum(w.real + w.imag)
        }
        XCTAssertEqual(g[0].real, 50001, accuracy: 1e-9); XCTAssertEqual(g[0].imag, 50001, accuracy: 1e-9)
    }

    func testComplexPlusRealBroadcastsBothParts() {
        // cplxmodule raises here (the imaginary part is not broadcast); we broadcast both parts.
        let z = ComplexTensor(real: vec([1, 2, 3]), imag: vec([4, 5, 6]))
        let y = z + Tensor(shape: [2, 3], scalars: [10, 20, 30, 40, 50, 60] as [Double])
        XCTAssertEqual(y.shape, [2, 3])
        XCTAssertEqual(y.real.scalars, [11, 22, 33, 41, 52, 63])
        XCTAssertEqual(y.imag.scalars, [4, 5, 6, 4, 5, 6])
        let g = gradient(at: z) { sum((($0 + Tensor.zeros([2, 3], dtype: .float64)) * 1).imag) }
        XCTAssertEqual(g.imag.scalars, [2, 2, 2])
    }

    func testInterleavedAndConcatenatedLayouts() {
        let x = Tensor(shape: [1, 5], scalars: [1, 2, 3, 4, 5] as [Double])
        let z = fromInterleaved(x)                      // odd size: the last element is dropped
        XCTAssertEqual(z.real.scalars, [1, 3]); XCTAssertEqual(z.imag.scalars, [2, 4])
        let g = gradient(at: x) { sum(fromInterleaved($0).imag * 2) }
        XCTAssertEqual(g.scalars, [0, 2, 0, 2, 0])
        XCTAssertEqual(toInterleaved(z).scalars, [1, 2, 3, 4])
        let c = fromConcatenated(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4] as [Double]), axis: 0)
        XCTAssertEqual(c.real.scalars, [1, 2]); XCTAssertEqual(c.imag.scalars, [3, 4])
        XCTAssertEqual(toConcatenated(c, axis: 0).scalars, [1, 2, 3, 4])
    }

    func testMaxPoolPicksLargestModulus() {
        // window [1, −3]: real max-pool would pick 1, pooling by modulus picks −3
        let z = ComplexTensor(real: Tensor(shape: [1, 1, 4], scalars: [1, -3, 0.5, 0] as [Double]),
                              imag: Tensor(shape: [1, 1, 4], scalars: [0, 0, 0, -0.7] as [Double]))
        let y = maxPool1d(z, kernelSize: 2)
        XCTAssertEqual(y.real.scalars, [-3, 0]); XCTAssertEqual(y.imag.scalars, [0, -0.7])
    }

    func testTanhStaysFiniteForLargeRealParts() {
        let z = ComplexTensor(real: vec([800, -800, 20]), imag: vec([0.3, 1.0, 0.5]))
        let y = tanh(z)
        XCTAssertEqual(y.real.scalars[0], 1); XCTAssertEqual(y.real.scalars[1], -1)
        XCTAssertTrue(y.imag.scalars.allSatisfy { $0.isFinite })
        // tanh(20 + 0.5i) from sinh/cosh in double precision
        let (x, v) = (20.0, 0.5)
        let den = Foundation.cosh(2 * x) + Foundation.cos(2 * v)
        XCTAssertEqual(y[2].real, Foundation.sinh(2 * x) / den, accuracy: 1e-15)
        XCTAssertEqual(y[2].imag, Foundation.sin(2 * v) / den, accuracy: 1e-30)
    }

    func testComplexNormalIsDeterministicWithHalfVariancePerPart() {
        let key = RandomKey(seed: 42)
        let z = complexNormal([20000], key: key, dtype: .float64)
        XCTAssertTrue(z.real.isIdentical(to: complexNormal([20000], key: key, dtype: .float64).real))
        func moments(_ v: [Double]) -> (Double, Double) {
            let m = v.reduce(0, +) / Double(v.count)
            return (m, v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count))
        }
        let (mr, vr) = moments(z.real.scalars), (mi, vi) = moments(z.imag.scalars)
        // standard errors: mean √(0.5/n) ≈ 0.005, variance 0.5·√(2/n) ≈ 0.005
        XCTAssertEqual(mr, 0, accuracy: 0.025); XCTAssertEqual(mi, 0, accuracy: 0.025)
        XCTAssertEqual(vr, 0.5, accuracy: 0.025); XCTAssertEqual(vi, 0.5, accuracy: 0.025)
        let cross = zip(z.real.scalars, z.imag.scalars).map { $0 * $1 }.reduce(0, +) / 20000
        XCTAssertEqual(cross, 0, accuracy: 0.025, "parts are independent")
        XCTAssertEqual(complexNormal([3], key: key, dtype: .float32).dtype, .float32)
    }
}
