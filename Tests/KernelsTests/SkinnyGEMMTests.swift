import Kernels
import XCTest

/// The skinny products (`wt_sgemm_skinny`, `wt_dgemm_skinny`, Kernels/gemm_skinny.c) against the
/// portable GEMM, at the portable tier and the host's best one; row and thread invariance.
final class SkinnyGEMMTests: XCTestCase {
    /// One product: C[m×n] (ld n+pad) = alpha·A[m×k]·op(B) + beta·C, B stored n×k (transB) or k×n.
    private struct Case {
        var transB: Bool, m: Int, n: Int, k: Int, alpha: Double, beta: Double, pad: Int
        var lda: Int { k + pad }
        var ldb: Int { (transB ? k : n) + pad }
        var ldc: Int { n + pad }
    }

    private func operands<T: BinaryFloatingPoint>(_ c: Case, _: T.Type, seed: UInt64) -> (a: [T], b: [T], c: [T]) {
        var r = UniformStream(state: seed)
        let a = (0..<max(c.m * c.lda, 1)).map { _ in T(r.next()) }
        let b = (0..<max((c.transB ? c.n : c.k) * c.ldb, 1)).map { _ in T(r.next()) }
        // beta = 0 must not read C: NaN there would show.
        let c0 = (0..<max(c.m * c.ldc, 1)).map { _ in c.beta == 0 ? T.nan : T(r.next()) }
        return (a, b, c0)
    }

    private func skinny(_ c: Case, _ a: [Float], _ b: [Float], _ c0: [Float]) -> [Float] {
        var out = c0
        wt_sgemm_skinny(c.transB ? 1 : 0, c.m, c.n, c.k, Float(c.alpha), a, c.lda, b, c.ldb, Float(c.beta), &out, c.ldc)
        return out
    }

    private func skinny(_ c: Case, _ a: [Double], _ b: [Double], _ c0: [Double]) -> [Double] {
        var out = c0
        wt_dgemm_skinny(c.transB ? 1 : 0, c.m, c.n, c.k, c.alpha, a, c.lda, b, c.ldb, c.beta, &out, c.ldc)
        return out
    }

    /// |skinny − portable GEMM| ≤ (k + 3)·ε·(|alpha|·Σₚ|aᵢₚ||bₚⱼ| + |beta|·|cᵢⱼ|) per element (both
    /// results are within half that of the exact value, whatever their summation order), padding untouched.
    private func check<T: BinaryFloatingPoint>(_ c: Case, _ t: T.Type, seed: UInt64,
                                               run: (Case, [T], [T], [T]) -> [T],
                                               oracle: (Case, [T], [T], inout [T]) -> Void) {
        let (a, b, c0) = operands(c, T.self, seed: seed)
        let got = run(c, a, b, c0)
        var want = c0
        oracle(c, a, b, &want)
        let eps = Double(T.ulpOfOne)
        for i in 0..<c.m {
            for j in 0..<c.ldc {
                let idx = i * c.ldc + j
                if j >= c.n {
                    XCTAssertEqual(got[idx].isNaN, c0[idx].isNaN, "padding written \(c)")
                    if !c0[idx].isNaN { XCTAssertEqual(got[idx], c0[idx], "padding written \(c)") }
                    continue
                }
                var mag = 0.0
                for p in 0..<c.k {
                    let bv = c.transB ? b[j * c.ldb + p] : b[p * c.ldb + j]
                    mag += abs(Double(a[i * c.lda + p]) * Double(bv))
                }
                let bound = Double(c.k + 3) * eps * (abs(c.alpha) * mag + (c.beta == 0 ? 0 : abs(c.beta * Double(c0[idx]))))
                XCTAssertFalse(got[idx].isNaN, "NaN at (\(i), \(j)) for \(c)")
                XCTAssertLessThanOrEqual(abs(Double(got[idx]) - Double(want[idx])), bound + Double(T.leastNonzeroMagnitude),
                                         "(\(i), \(j)) for \(c)")
            }
        }
    }

    private var cases: [Case] {
        var out: [Case] = []
        for transB in [true, false] {
            for m in [1, 2, 3, 4, 5, 7, 16] {
                for (n, k) in [(1, 1), (3, 15), (4, 16), (5, 17), (17, 33), (67, 100), (40, 0), (130, 7)] {
                    out.append(Case(transB: transB, m: m, n: n, k: k, alpha: m % 2 == 0 ? 0.5 : 1,
                                    beta: (n + m) % 3 == 0 ? 0.75 : 0, pad: (m + k) % 2 == 0 ? 0 : 3))
                }
            }
        }
        return out
    }

    /// Runs `body` at every tier this host supports (portable always), then restores the tier.
    private func forEachTier(_ body: (String) -> Void) {
        let saved = wt_active_isa()
        defer { _ = wt_set_isa(saved) }
        for raw in 0...wt_detected_isa().rawValue {
            let isa = wt_isa(rawValue: raw)
            XCTAssertEqual(wt_set_isa(isa), isa)
            body(String(cString: wt_isa_name(isa)))
        }
    }

    func testFloatMatchesPortableGEMMAtEveryTier() {
        forEachTier { _ in
            for (i, c) in cases.enumerated() {
                check(c, Float.self, seed: UInt64(i + 1), run: skinny) { c, a, b, out in
                    wt_sgemm_portable(0, c.transB ? 1 : 0, c.m, c.n, c.k, Float(c.alpha), a, c.lda, b, c.ldb, Float(c.beta), &out, c.ldc)
                }
            }
        }
    }

    func testDoubleMatchesPortableGEMMAtEveryTier() {
        forEachTier { _ in
            for (i, c) in cases.enumerated() {
                check(c, Double.self, seed: UInt64(i + 100), run: skinny) { c, a, b, out in
                    wt_dgemm_portable(0, c.transB ? 1 : 0, c.m, c.n, c.k, c.alpha, a, c.lda, b, c.ldb, c.beta, &out, c.ldc)
                }
            }
        }
    }

    /// Row i of a batch equals the product of row i alone, bit for bit (the order of each sum does
    /// not depend on m or on the row's place in its register block).
    func testEachRowEqualsItsOwnProduct() {
        forEachTier { tier in
            for transB in [true, false] {
                let batch = Case(transB: transB, m: 11, n: 37, k: 45, alpha: 1, beta: 0, pad: 1)
                let (a, b, c0) = operands(batch, Float.self, seed: 7)
                let all = skinny(batch, a, b, c0)
                for i in 0..<batch.m {
                    let one = Case(transB: transB, m: 1, n: batch.n, k: batch.k, alpha: 1, beta: 0, pad: 1)
                    let row = Array(a[(i * batch.lda)..<((i + 1) * batch.lda)])
                    let single = skinny(one, row, b, [Float](repeating: .nan, count: one.ldc))
                    XCTAssertEqual(Array(single[0..<batch.n]), Array(all[(i * batch.ldc)..<(i * batch.ldc + batch.n)]),
                                   "row \(i), transB \(transB), \(tier)")
                }
            }
        }
    }

    /// Large enough to be split among threads: identical results at 1, 2 and 3 threads.
    func testResultsDoNotDependOnThreadCount() {
        let saved = wt_get_num_threads()
        defer { _ = wt_set_num_threads(saved) }
        forEachTier { tier in
            for transB in [true, false] {
                let c = Case(transB: transB, m: 8, n: 1001, k: 300, alpha: 1, beta: 0, pad: 0)  // 2.4 M multiply-adds: threaded
                let (a, b, c0) = operands(c, Float.self, seed: 9)
                let (ad, bd, cd) = operands(c, Double.self, seed: 9)
                _ = wt_set_num_threads(1)
                let one = skinny(c, a, b, c0), oneD = skinny(c, ad, bd, cd)
                for threads in [2, 3] {
                    _ = wt_set_num_threads(Int32(threads))
                    XCTAssertEqual(skinny(c, a, b, c0), one, "float, \(threads) threads, transB \(transB), \(tier)")
                    XCTAssertEqual(skinny(c, ad, bd, cd), oneD, "double, \(threads) threads, transB \(transB), \(tier)")
                }
            }
        }
    }

    // MARK: - Complex

    /// `wt_cgemm_skinny` / `wt_zgemm_skinny` against the product written out in Double: every
    /// transpose and conjugation, overwrite and accumulate, each tier, within (k + 2)·ε·Σ|terms|.
    func testComplexMatchesDefinitionAtEveryTier() {
        forEachTier { tier in
            var seed: UInt64 = 500
            for transB in [true, false] {
                for (conjA, conjB) in [(false, false), (true, false), (false, true), (true, true)] {
                    for (m, n, k) in [(1, 1, 1), (1, 5, 17), (2, 4, 16), (3, 7, 33), (5, 18, 9), (16, 3, 40), (4, 6, 0)] {
                        for accumulate in [false, true] {
                            seed += 1
                            complexCase(tier, transB, conjA, conjB, m, n, k, accumulate, seed: seed, Float.self)
                            complexCase(tier, transB, conjA, conjB, m, n, k, accumulate, seed: seed, Double.self)
                        }
                    }
                }
            }
        }
    }

    private func complexCase<T: BinaryFloatingPoint>(_ tier: String, _ transB: Bool, _ conjA: Bool, _ conjB: Bool,
                                                     _ m: Int, _ n: Int, _ k: Int, _ accumulate: Bool,
                                                     seed: UInt64, _: T.Type) {
        var r = UniformStream(state: seed)
        let lda = k + 1, ldb = (transB ? k : n) + 2, ldc = n + 1
        let rowsB = transB ? n : k
        func fill(_ count: Int) -> [T] { (0..<max(count, 1)).map { _ in T(r.next()) } }
        let ar = fill(m * lda), ai = fill(m * lda), br = fill(rowsB * ldb), bi = fill(rowsB * ldb)
        let cr0 = fill(m * ldc), ci0 = fill(m * ldc)
        var cr = cr0, ci = ci0
        if T.self == Float.self {
            func f(_ x: [T]) -> [Float] { x.map { Float($0) } }
            var fr = f(cr), fi = f(ci)
            wt_cgemm_skinny(transB ? 1 : 0, conjA ? 1 : 0, conjB ? 1 : 0, m, n, k, f(ar), f(ai), lda, f(br), f(bi), ldb,
                            accumulate ? 1 : 0, &fr, &fi, ldc)
            cr = fr.map { T($0) }; ci = fi.map { T($0) }
        } else {
            func d(_ x: [T]) -> [Double] { x.map { Double($0) } }
            var dr = d(cr), di = d(ci)
            wt_zgemm_skinny(transB ? 1 : 0, conjA ? 1 : 0, conjB ? 1 : 0, m, n, k, d(ar), d(ai), lda, d(br), d(bi), ldb,
                            accumulate ? 1 : 0, &dr, &di, ldc)
            cr = dr.map { T($0) }; ci = di.map { T($0) }
        }
        let sa = conjA ? -1.0 : 1.0, sb = conjB ? -1.0 : 1.0, eps = Double(T.ulpOfOne)
        for i in 0..<m {
            for j in 0..<n {
                var re = 0.0, im = 0.0, mag = 0.0
                for p in 0..<k {
                    let xr = Double(ar[i * lda + p]), xi = sa * Double(ai[i * lda + p])
                    let o = transB ? j * ldb + p : p * ldb + j
                    let yr = Double(br[o]), yi = sb * Double(bi[o])
                    re += xr * yr - xi * yi
                    im += xr * yi + xi * yr
                    mag += abs(xr * yr) + abs(xi * yi) + abs(xr * yi) + abs(xi * yr)
                }
                let idx = i * ldc + j
                if accumulate { re += Double(cr0[idx]); im += Double(ci0[idx]); mag += abs(Double(cr0[idx])) + abs(Double(ci0[idx])) }
                let bound = Double(k + 2) * eps * mag + Double(T.leastNonzeroMagnitude)
                let what = "(\(i), \(j)) m=\(m) n=\(n) k=\(k) transB=\(transB) conj=\(conjA),\(conjB) acc=\(accumulate) \(T.self) \(tier)"
                XCTAssertLessThanOrEqual(abs(Double(cr[idx]) - re), bound, "re " + what)
                XCTAssertLessThanOrEqual(abs(Double(ci[idx]) - im), bound, "im " + what)
            }
            for j in n..<ldc { XCTAssertEqual(cr[i * ldc + j], cr0[i * ldc + j], "padding written"); XCTAssertEqual(ci[i * ldc + j], ci0[i * ldc + j]) }
        }
    }

    /// Complex rows are independent of the batch and of the thread count, bit for bit.
    func testComplexRowsAndThreadsInvariant() {
        let saved = wt_get_num_threads()
        defer { _ = wt_set_num_threads(saved) }
        forEachTier { tier in
            for transB in [true, false] {
                let (m, n, k) = (5, 700, 200)
                var r = UniformStream(state: 42)
                let ar = (0..<(m * k)).map { _ in Float(r.next()) }, ai = (0..<(m * k)).map { _ in Float(r.next()) }
                let br = (0..<(n * k)).map { _ in Float(r.next()) }, bi = (0..<(n * k)).map { _ in Float(r.next()) }
                let ldb = transB ? k : n
                func run(_ rows: Int, _ xr: ArraySlice<Float>, _ xi: ArraySlice<Float>) -> ([Float], [Float]) {
                    var cr = [Float](repeating: .nan, count: rows * n), ci = cr
                    wt_cgemm_skinny(transB ? 1 : 0, 0, 1, rows, n, k, Array(xr), Array(xi), k, br, bi, ldb, 0, &cr, &ci, n)
                    return (cr, ci)
                }
                _ = wt_set_num_threads(1)
                let whole = run(m, ar[...], ai[...])
                for i in 0..<m {
                    let one = run(1, ar[(i * k)..<((i + 1) * k)], ai[(i * k)..<((i + 1) * k)])
                    XCTAssertEqual(one.0, Array(whole.0[(i * n)..<((i + 1) * n)]), "row \(i) re, transB \(transB), \(tier)")
                    XCTAssertEqual(one.1, Array(whole.1[(i * n)..<((i + 1) * n)]), "row \(i) im, transB \(transB), \(tier)")
                }
                for threads in [2, 3] {
                    _ = wt_set_num_threads(Int32(threads))
                    let again = run(m, ar[...], ai[...])
                    XCTAssertEqual(again.0, whole.0, "\(threads) threads, transB \(transB), \(tier)")
                    XCTAssertEqual(again.1, whole.1, "\(threads) threads, transB \(transB), \(tier)")
                }
            }
        }
    }
}
