import XCTest
import Autodiff
import TestSupport

// The masked linear layer the sparse-inference tests check against (SparseDeploymentTests,
// SparseRowWindowTests): its random problem, its float64 reference and the float32 bound.

/// A float32 weight `[out, in]`, a 0/1 mask keeping about `keep` of it (rows in `emptyRows` fully
/// masked) and a float32 bias `[out]`, all from `seed`.
func maskedLinearProblem(out: Int, in inF: Int, keep: Double, emptyRows: Set<Int> = [], seed: UInt64)
    -> (w: Tensor, mask: Tensor, b: Tensor) {
    let w = Sample.normal([out, inF], seed: seed, dtype: .float32)
    let u = Sample.uniform([out, inF], 0, 1, seed: seed + 1).scalars
    var m = [Float](repeating: 0, count: out * inF)
    for r in 0..<out where !emptyRows.contains(r) {
        for c in 0..<inF where u[r * inF + c] < keep { m[r * inF + c] = 1 }
    }
    return (w, Tensor(shape: [out, inF], scalars: m), Sample.normal([out], seed: seed + 2, dtype: .float32))
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
