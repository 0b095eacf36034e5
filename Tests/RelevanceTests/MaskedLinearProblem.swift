import XCTest
import Autodiff
import TestSupport

// The masked linear layer the sparse-inference tests check against (SparseDeploymentTests,
// SparseRowWindowTests, and in complex form SparseComplexRowWindowTests and
// SparseComplexAndConvolutionTests): its random problem, its float64 reference and the float32 bound.

/// A float32 weight `[out, in]`, a 0/1 mask keeping about `keep` of it (rows in `emptyRows` fully
/// masked) and a float32 bias `[out]`, all from `seed`.
func maskedLinearProblem(out: Int, in inF: Int, keep: Double, emptyRows: Set<Int> = [], seed: UInt64)
    -> (w: Tensor, mask: Tensor, b: Tensor) {
    (Sample.normal([out, inF], seed: seed, dtype: .float32),
     randomRowMask(out: out, in: inF, keep: keep, emptyRows: emptyRows, seed: seed + 1),
     Sample.normal([out], seed: seed + 2, dtype: .float32))
}

/// A float32 0/1 mask `[out, in]` keeping each entry where a uniform draw from `seed` is below
/// `keep`, with the rows in `emptyRows` all zero (the mask of the real and complex problems).
func randomRowMask(out: Int, in inF: Int, keep: Double, emptyRows: Set<Int>, seed: UInt64) -> Tensor {
    let u = Sample.uniform([out, inF], 0, 1, seed: seed).scalars
    var m = [Float](repeating: 0, count: out * inF)
    for r in 0..<out where !emptyRows.contains(r) {
        for c in 0..<inF where u[r * inF + c] < keep { m[r * inF + c] = 1 }
    }
    return Tensor(shape: [out, inF], scalars: m)
}

/// `y = x·(w⊙m)ᵀ + b` in float64 over the kept weights only, and per element the float32
/// summation bound (k + 2)·ε·(Σ|w m x| + |b|) for a sum of k products. `x` is `[n, in]`.
func maskedLinearReference(_ x: Tensor, _ w: Tensor, _ m: Tensor, _ b: Tensor?) -> (y: [Double], bound: [Double]) {
    let (n, k, o) = (x.shape[0], x.shape[1], w.shape[0])
    let xs = x.scalars, ws = w.scalars, ms = m.scalars, bs = b?.scalars
    var y = [Double](repeating: 0, count: n * o), bound = y
    for i in 0..<n {
        for r in 0..<o {
            var s = bs?[r] ?? 0, a = abs(bs?[r] ?? 0)
            for c in 0..<k where ms[r * k + c] != 0 {
                let t = ws[r * k + c] * xs[i * k + c]
                s += t; a += abs(t)
            }
            y[i * o + r] = s
            bound[i * o + r] = Double(k + 2) * Double(Float.ulpOfOne) * a
        }
    }
    return (y, bound)
}

/// Every element of `y` within `ref`'s bound of its float64 value, and as many elements.
func assertWithinSummationBound(_ y: [Double], _ ref: (y: [Double], bound: [Double]), _ what: String,
                                file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(y.count, ref.y.count, what, file: file, line: line)
    var worst = 0.0
    for i in 0..<min(y.count, ref.y.count) { worst = max(worst, abs(y[i] - ref.y[i]) - ref.bound[i]) }
    XCTAssertLessThanOrEqual(worst, 0, "\(what): an element is outside the float32 summation bound by \(worst)",
                             file: file, line: line)
}

/// The complex form: y = z·(W⊙m)ᵀ + b in float64 over the kept weights only (inputs at masked
/// positions are never read, as in the CSR kernels), and per element the float32 bound
/// (2k + 2)·ε·(Σ (|wr| + |wi|)(|u| + |v|) + |br| + |bi|) for k kept weights of the row.
func maskedComplexLinearReference(_ z: ComplexTensor, _ w: ComplexTensor, _ m: Tensor, _ b: ComplexTensor?)
    -> (re: [Double], im: [Double], bound: [Double]) {
    let (n, k, o) = (z.count / z.shape.last!, w.shape[1], w.shape[0])
    let u = z.real.scalars, v = z.imag.scalars, wr = w.real.scalars, wi = w.imag.scalars, ms = m.scalars
    let br = b?.real.scalars, bi = b?.imag.scalars
    var re = [Double](repeating: 0, count: n * o), im = re, bound = re
    for i in 0..<n {
        for r in 0..<o {
            var sr = br?[r] ?? 0, si = bi?[r] ?? 0, a = abs(br?[r] ?? 0) + abs(bi?[r] ?? 0), kept = 0
            for c in 0..<k where ms[r * k + c] != 0 {
                let x = u[i * k + c], y = v[i * k + c], p = wr[r * k + c], q = wi[r * k + c]
                sr += p * x - q * y; si += p * y + q * x
                a += (abs(p) + abs(q)) * (abs(x) + abs(y))
                kept += 1
            }
            re[i * o + r] = sr; im[i * o + r] = si
            bound[i * o + r] = Double(2 * kept + 2) * Double(Float.ulpOfOne) * a
        }
    }
    return (re, im, bound)
}
