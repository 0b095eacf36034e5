import Foundation
import Kernels
import XCTest

/// Signature shared by wt_sgemm / wt_dgemm and their portable oracles.
private typealias GEMMFunction<T> = (
    Int32, Int32, Int, Int, Int, T, UnsafePointer<T>?, Int, UnsafePointer<T>?, Int, T,
    UnsafeMutablePointer<T>?, Int
) -> Void

/// One GEMM problem: C[m×n] = alpha·op(A)·op(B) + beta·C with leading dimensions = width + pad.
private struct GEMMCase: CustomStringConvertible, Sendable {
    var transA: Bool
    var transB: Bool
    var m: Int
    var n: Int
    var k: Int
    var alpha: Double
    var beta: Double
    var pad: Int

    var lda: Int { (transA ? m : k) + pad }
    var ldb: Int { (transB ? k : n) + pad }
    var ldc: Int { n + pad }
    var aCount: Int { (transA ? k : m) * lda }
    var bCount: Int { (transB ? n : k) * ldb }
    var cCount: Int { m * ldc }

    var description: String {
        "op(A)=\(transA ? "Aᵀ" : "A") op(B)=\(transB ? "Bᵀ" : "B") m=\(m) n=\(n) k=\(k) "
            + "alpha=\(alpha) beta=\(beta) pad=\(pad)"
    }
}

/// Operands and the oracle's result for one case, plus the per-element error bound.
private struct Prepared<T: BinaryFloatingPoint & Sendable>: Sendable {
    var a: [T]
    var b: [T]
    var c0: [T]
    var expected: [T]
    /// Allowed |fast − oracle| per element of C (row-major m×n): both results carry at most
    /// γ_{k+3}·(|alpha|·Σₚ|op(A)ᵢₚ||op(B)ₚⱼ| + |beta|·|Cᵢⱼ|) rounding error (Higham, dot products in any
    /// order, plus the alpha scaling and the beta update), so their difference is at most (k+3)·ε times that.
    var bound: [Double]
}

extension Prepared where T == Float {
    /// C = alpha·op(A)·op(B) + beta·C of the case by wt_sgemm (at the current thread count), from a
    /// fresh copy of the starting C.
    func sgemm(_ cs: GEMMCase) -> [Float] {
        var c = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    wt_sgemm(cs.transA ? 1 : 0, cs.transB ? 1 : 0, cs.m, cs.n, cs.k, Float(cs.alpha), pa.baseAddress, cs.lda,
                             pb.baseAddress, cs.ldb, Float(cs.beta), pc.baseAddress, cs.ldc)
                }
            }
        }
        return c
    }
}

private func prepare<T: BinaryFloatingPoint & Sendable>(
    _ cs: GEMMCase, _: T.Type, oracle: GEMMFunction<T>, seed: UInt64
) -> Prepared<T> {
    var rng = UniformStream(state: seed)
    let a = (0..<max(cs.aCount, 1)).map { _ in T(rng.next()) }
    let b = (0..<max(cs.bCount, 1)).map { _ in T(rng.next()) }
    // beta = 0 must overwrite C without reading it: fill C with NaN so any read shows up.
    let c0 = (0..<max(cs.cCount, 1)).map { _ in cs.beta == 0 ? T.nan : T(rng.next()) }
    var expected = c0
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            expected.withUnsafeMutableBufferPointer { pc in
                oracle(cs.transA ? 1 : 0, cs.transB ? 1 : 0, cs.m, cs.n, cs.k, T(cs.alpha),
                       pa.baseAddress, cs.lda, pb.baseAddress, cs.ldb, T(cs.beta), pc.baseAddress, cs.ldc)
            }
        }
    }
    let eps = Double(T.ulpOfOne)
    // |op(A)| (m×k) and |op(B)| (k×n) as dense Double matrices, then Σₚ|op(A)ᵢₚ||op(B)ₚⱼ|.
    var absA = [Double](repeating: 0, count: cs.m * cs.k), absB = [Double](repeating: 0, count: cs.k * cs.n)
    for i in 0..<cs.m { for p in 0..<cs.k { absA[i * cs.k + p] = abs(Double(cs.transA ? a[p * cs.lda + i] : a[i * cs.lda + p])) } }
    for p in 0..<cs.k { for j in 0..<cs.n { absB[p * cs.n + j] = abs(Double(cs.transB ? b[j * cs.ldb + p] : b[p * cs.ldb + j])) } }
    var bound = [Double](repeating: 0, count: cs.m * cs.n)
    absA.withUnsafeBufferPointer { pa in
        absB.withUnsafeBufferPointer { pb in
            bound.withUnsafeMutableBufferPointer { s in
                for i in 0..<cs.m {
                    for p in 0..<cs.k {
                        let av = pa[i * cs.k + p]
                        for j in 0..<cs.n { s[i * cs.n + j] += av * pb[p * cs.n + j] }
                    }
                }
            }
        }
    }
    for i in 0..<cs.m {
        for j in 0..<cs.n {
            let cTerm = cs.beta == 0 ? 0 : abs(cs.beta) * abs(Double(c0[i * cs.ldc + j]))
            bound[i * cs.n + j] = Double(cs.k + 3) * eps * (abs(cs.alpha) * bound[i * cs.n + j] + cTerm)
        }
    }
    return Prepared(a: a, b: b, c0: c0, expected: expected, bound: bound)
}

/// Runs `gemm` on the prepared operands and compares with the oracle's result: every element of
/// C within the bound, and the padding columns of C (j ≥ n) untouched.
private func check<T: BinaryFloatingPoint & Sendable>(
    _ cs: GEMMCase, _ p: Prepared<T>, gemm: GEMMFunction<T>, label: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    var c = p.c0
    p.a.withUnsafeBufferPointer { pa in
        p.b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                gemm(cs.transA ? 1 : 0, cs.transB ? 1 : 0, cs.m, cs.n, cs.k, T(cs.alpha),
                     pa.baseAddress, cs.lda, pb.baseAddress, cs.ldb, T(cs.beta), pc.baseAddress, cs.ldc)
            }
        }
    }
    var failures = 0
    for i in 0..<cs.m {
        for j in 0..<cs.ldc {
            let got = c[i * cs.ldc + j], want = p.expected[i * cs.ldc + j]
            let ok: Bool
            if j >= cs.n {
                ok = got == want || (got.isNaN && want.isNaN)
            } else {
                ok = got.isFinite && abs(Double(got) - Double(want)) <= p.bound[i * cs.n + j]
            }
            if !ok {
                failures += 1
                if failures <= 3 {
                    XCTFail("\(label) \(cs): C[\(i)][\(j)] = \(got), oracle \(want)"
                            + (j < cs.n ? ", bound \(p.bound[i * cs.n + j])" : " (padding changed)"),
                            file: file, line: line)
                }
            }
        }
    }
    if failures > 3 { XCTFail("\(label) \(cs): \(failures) elements wrong in total", file: file, line: line) }
}

/// alpha/beta pairs the grid cycles through (beta = 0 with NaN-filled C among them).
private let scalars: [(alpha: Double, beta: Double)] = [(1, 0), (-0.5, 1), (2, 0.25), (0.75, -1.5)]

/// Every case of `shapes` with the four transpose combinations, the alpha/beta pairs cycled and
/// `pad` extra columns on odd cases: `body(case, index)` with index 0, 1, 2, … in that order.
private func forEachTransposeCase(_ shapes: [(m: Int, n: Int, k: Int)], pad: Int, _ body: (GEMMCase, Int) -> Void) {
    var index = 0
    for (m, n, k) in shapes {
        for transA in [false, true] {
            for transB in [false, true] {
                let s = scalars[index % scalars.count]
                body(GEMMCase(transA: transA, transB: transB, m: m, n: n, k: k, alpha: s.alpha, beta: s.beta,
                              pad: index % 2 * pad), index)
                index += 1
            }
        }
    }
}

/// Restores the instruction set and thread count after a test changes them.
private func withSettings(_ body: () -> Void) {
    let isa = wt_active_isa()
    let threads = wt_get_num_threads()
    defer {
        wt_set_isa(isa)
        wt_set_num_threads(threads)
    }
    body()
}

/// Checks one case with the dispatching entry point on the detected ISA and forced portable,
/// with 1 and 2 threads.
private func checkAllPaths<T: BinaryFloatingPoint & Sendable>(
    _ cs: GEMMCase, _ type: T.Type, gemm: GEMMFunction<T>, oracle: GEMMFunction<T>, seed: UInt64,
    file: StaticString = #filePath, line: UInt = #line
) {
    let prepared = prepare(cs, type, oracle: oracle, seed: seed)
    withSettings {
        for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
            wt_set_isa(isa)
            for threads in [Int32(1), 2] {
                wt_set_num_threads(threads)
                check(cs, prepared, gemm: gemm,
                      label: "\(T.self) isa=\(isa.rawValue) threads=\(threads)", file: file, line: line)
            }
        }
    }
}

/// Runs one case at 1, 2 and 3 GEMM threads on the active tier and checks that C has the same bits.
private func sameBitsAtAnyThreadCount<T: BinaryFloatingPoint & Sendable>(
    _ cs: GEMMCase, _: T.Type, gemm: GEMMFunction<T>, seed: UInt64, isa: wt_isa,
    file: StaticString = #filePath, line: UInt = #line
) {
    var rng = UniformStream(state: seed)
    let a = (0..<cs.aCount).map { _ in T(rng.next()) }
    let b = (0..<cs.bCount).map { _ in T(rng.next()) }
    let c0 = (0..<cs.cCount).map { _ in T(rng.next()) }
    var results: [[T]] = []
    for threads: Int32 in [1, 2, 3] {
        wt_set_num_threads(threads)
        var c = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    gemm(cs.transA ? 1 : 0, cs.transB ? 1 : 0, cs.m, cs.n, cs.k, T(cs.alpha),
                         pa.baseAddress, cs.lda, pb.baseAddress, cs.ldb, T(cs.beta), pc.baseAddress, cs.ldc)
                }
            }
        }
        results.append(c)
    }
    let bits = results.map { $0.map { Double($0).bitPattern } }
    XCTAssertEqual(bits[0], bits[1], "\(T.self) \(String(cString: wt_isa_name(isa))) \(cs): 1 vs 2 threads", file: file, line: line)
    XCTAssertEqual(bits[0], bits[2], "\(T.self) \(String(cString: wt_isa_name(isa))) \(cs): 1 vs 3 threads", file: file, line: line)
}

/// Per-caller result arrays filled from concurrent threads (every access under the lock).
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [[Float]]
    init(count: Int) { values = Array(repeating: [], count: count) }
    func set(_ i: Int, _ v: [Float]) { lock.lock(); values[i] = v; lock.unlock() }
    func get(_ i: Int) -> [Float] { lock.lock(); defer { lock.unlock() }; return values[i] }
}

final class GEMMTests: XCTestCase {
    /// Sizes around the micro-tile edges (6×16 / 6×8 AVX2, 4×8 / 4×4 portable) and a
    /// multi-block one.
    private let sizes = [1, 7, 17, 33, 101]

    private func runGrid<T: BinaryFloatingPoint & Sendable>(
        _ type: T.Type, gemm: GEMMFunction<T>, oracle: GEMMFunction<T>
    ) {
        var index = 0
        for transA in [false, true] {
            for transB in [false, true] {
                for m in sizes {
                    for n in sizes {
                        for k in sizes {
                            let s = scalars[index % scalars.count]
                            let cs = GEMMCase(transA: transA, transB: transB, m: m, n: n, k: k,
                                              alpha: s.alpha, beta: s.beta, pad: index % 3 == 0 ? 0 : index % 3 + 1)
                            checkAllPaths(cs, type, gemm: gemm, oracle: oracle, seed: UInt64(index))
                            index += 1
                        }
                    }
                }
            }
        }
    }

    func testSGEMMMatchesOracleOnGrid() {
        runGrid(Float.self, gemm: wt_sgemm, oracle: wt_sgemm_portable)
    }

    func testDGEMMMatchesOracleOnGrid() {
        runGrid(Double.self, gemm: wt_dgemm, oracle: wt_dgemm_portable)
    }

    /// Products large enough to be split across two threads (m·n·k ≥ 2¹⁹), split along n (n ≥ m)
    /// and along m, with two k-slices (KC = 400 float, 320 double) and, on one thread, several row
    /// blocks; all transpose combinations.
    func testLargeProductsSplitAcrossThreads() {
        forEachTransposeCase([(m: 40, n: 203, k: 450), (m: 301, n: 25, k: 450)], pad: 5) { cs, index in
            checkAllPaths(cs, Float.self, gemm: wt_sgemm, oracle: wt_sgemm_portable, seed: 1000 + UInt64(index))
            checkAllPaths(cs, Double.self, gemm: wt_dgemm, oracle: wt_dgemm_portable, seed: 2000 + UInt64(index))
        }
    }

    /// m = 0 or n = 0 leaves C alone; k = 0 or alpha = 0 gives C = beta·C (zeros for beta = 0,
    /// even over NaN).
    func testDegenerateSizesAndZeroAlpha() {
        withSettings {
            for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
                wt_set_isa(isa)
                let a: [Float] = [.nan, 1, 2, 3]
                let b: [Float] = [4, .nan, 6, 7]
                for beta: Float in [0, 2] {
                    var c: [Float] = [Float.nan, 1, -3, Float.nan, 5, 6]
                    if beta != 0 { c = [1, 2, 3, 4, 5, 6] }
                    let before = c
                    // m = 0 and n = 0: nothing written
                    wt_sgemm(0, 0, 0, 3, 2, 1, a, 2, b, 3, beta, &c, 3)
                    wt_sgemm(0, 0, 2, 0, 2, 1, a, 2, b, 3, beta, &c, 3)
                    XCTAssertEqual(c.map(\.bitPattern), before.map(\.bitPattern))
                    // k = 0: C = beta·C
                    wt_sgemm(0, 0, 2, 3, 0, 1, a, 2, b, 3, beta, &c, 3)
                    XCTAssertEqual(c, before.map { beta == 0 ? 0 : beta * $0 }, "k = 0, beta = \(beta)")
                    // alpha = 0: A and B (with NaNs) are not used
                    var d: [Double] = beta == 0 ? [.nan, .nan, 1, 2] : [1, 2, 3, 4]
                    let dBefore = d
                    let da: [Double] = [.nan, 1, 2, 3], db: [Double] = [.nan, 5, 6, 7]
                    wt_dgemm(1, 1, 2, 2, 2, 0, da, 2, db, 2, Double(beta), &d, 2)
                    XCTAssertEqual(d, dBefore.map { beta == 0 ? 0 : Double(beta) * $0 }, "alpha = 0, beta = \(beta)")
                }
            }
        }
    }

    /// A small hand-checked product with every transpose combination, to pin the convention.
    func testKnownProduct() {
        // op(A) = [[1, 2, 3], [4, 5, 6]], op(B) = [[1, 0], [0, 1], [1, 1]] → op(A)·op(B) = [[4, 5], [10, 11]]
        let opA: [[Double]] = [[1, 2, 3], [4, 5, 6]]
        let opB: [[Double]] = [[1, 0], [0, 1], [1, 1]]
        withSettings {
            for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
                wt_set_isa(isa)
                for transA in [false, true] {
                    for transB in [false, true] {
                        let a = transA ? (0..<3).flatMap { p in (0..<2).map { opA[$0][p] } } : opA.flatMap { $0 }
                        let b = transB ? (0..<2).flatMap { j in (0..<3).map { opB[$0][j] } } : opB.flatMap { $0 }
                        var c: [Double] = [1, 1, 1, 1]
                        wt_dgemm(transA ? 1 : 0, transB ? 1 : 0, 2, 2, 3, 2, a, transA ? 2 : 3, b,
                                 transB ? 3 : 2, -1, &c, 2)
                        XCTAssertEqual(c, [7, 9, 19, 21], "transA=\(transA) transB=\(transB) isa=\(isa.rawValue)")
                        let af = a.map(Float.init), bf = b.map(Float.init)
                        var cf: [Float] = [1, 1, 1, 1]
                        wt_sgemm(transA ? 1 : 0, transB ? 1 : 0, 2, 2, 3, 2, af, transA ? 2 : 3, bf,
                                 transB ? 3 : 2, -1, &cf, 2)
                        XCTAssertEqual(cf, [7, 9, 19, 21], "transA=\(transA) transB=\(transB) isa=\(isa.rawValue)")
                    }
                }
            }
        }
    }

    /// Within one tier, the split across threads (along n or m, never along k) leaves every element's
    /// sum unchanged: 1, 2 and 3 threads give the same bits, for products split along n and along m
    /// with two k-slices, every transpose combination, both types, on every tier the host has.
    func testSameBitsAtAnyThreadCountWithinEachTier() {
        withSettings {
            for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
                XCTAssertEqual(wt_set_isa(isa), isa)
                // (300, 320, 700): a column split whose shared op(A) has several row blocks per
                // k-slice, packed by whichever threads claim them (gemm.c, gemm_shared_a);
                // (520, 530, 450): m and n ≥ WT_GEMM_WHOLE_PART_MIN, one part per thread, each
                // packing its own operands
                forEachTransposeCase([(m: 64, n: 300, k: 700), (m: 300, n: 50, k: 700), (m: 300, n: 320, k: 700),
                                      (m: 520, n: 530, k: 450)],
                                     pad: 3) { cs, index in
                    sameBitsAtAnyThreadCount(cs, Float.self, gemm: wt_sgemm, seed: 500 + UInt64(index), isa: isa)
                    sameBitsAtAnyThreadCount(cs, Double.self, gemm: wt_dgemm, seed: 600 + UInt64(index), isa: isa)
                }
            }
        }
    }

    /// The products of the training steps (`train.cplxmlp.*`, `train.mlp.*`, `train.lenet5.vd`, batch
    /// 128, with their transposes, layer 2's included), split over 1, 2 and 3 threads into parts of equal cost whose cuts
    /// fall inside a column vector or row step (gemm.c, gemm_balanced_pieces: e.g. 128 × 400 at 2
    /// threads is 12½ column vectors each): the same bits at every thread count, on every tier, plus
    /// a row split with a cut inside a row step (402 × 390 × 40).
    func testTrainingStepShapesSameBitsAtAnyThreadCount() {
        withSettings {
            let shapes: [(ta: Bool, tb: Bool, m: Int, n: Int, k: Int)] = [
                (false, true, 128, 400, 392), (true, false, 400, 392, 128),   // complex MLP, layer 1
                (false, true, 128, 400, 784), (true, false, 400, 784, 128), (false, false, 128, 784, 400),   // MLP, layer 1
                (false, true, 50, 500, 256), (false, false, 50, 256, 500), (true, false, 500, 256, 50),   // LeNet-5 conv 2
                (false, false, 20, 5184, 25), (false, true, 20, 25, 5184),   // LeNet-5 conv 1
                (false, false, 402, 390, 40),
                // layer 2 of the MLPs (10 outputs): 2¹⁹ to 2²¹ multiply-adds, parallel since session 12
                (false, true, 128, 10, 400), (true, false, 10, 400, 128), (false, true, 128, 10, 500),
            ]
            for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
                XCTAssertEqual(wt_set_isa(isa), isa)
                for (index, s) in shapes.enumerated() {
                    let sc = scalars[index % scalars.count]
                    let cs = GEMMCase(transA: s.ta, transB: s.tb, m: s.m, n: s.n, k: s.k, alpha: sc.alpha, beta: sc.beta, pad: index % 2 * 3)
                    sameBitsAtAnyThreadCount(cs, Float.self, gemm: wt_sgemm, seed: 700 + UInt64(index), isa: isa)
                    if index < 2 { sameBitsAtAnyThreadCount(cs, Double.self, gemm: wt_dgemm, seed: 800 + UInt64(index), isa: isa) }
                }
            }
        }
    }

    /// wt_set_isa never activates a tier above the detected one; the tier names are the spellings
    /// WIRTINGER_ISA accepts; the kernel families are listed once each and never run above the active tier.
    func testTierSelectionAndFamilies() {
        withSettings {
            let detected = wt_detected_isa()
            XCTAssertLessThanOrEqual(detected.rawValue, wt_hardware_isa().rawValue)
            XCTAssertEqual(wt_set_isa(WT_ISA_AVX512).rawValue, min(WT_ISA_AVX512.rawValue, detected.rawValue))
            XCTAssertEqual(wt_set_isa(WT_ISA_PORTABLE), WT_ISA_PORTABLE)
            XCTAssertEqual(wt_active_isa(), WT_ISA_PORTABLE)
            XCTAssertEqual([WT_ISA_PORTABLE, WT_ISA_AVX2_FMA, WT_ISA_AVX512].map { String(cString: wt_isa_name($0)) },
                           ["portable", "avx2", "avx512"])
            XCTAssertFalse(String(cString: wt_cpu_model()).isEmpty)
            for raw in 0...detected.rawValue {
                let isa = wt_set_isa(wt_isa(rawValue: raw))
                let names = (0..<wt_kernel_family_count()).map { String(cString: wt_kernel_family_name($0)) }
                XCTAssertEqual(Set(names).count, names.count)
                XCTAssertTrue(names.contains("gemm"))
                for i in 0..<wt_kernel_family_count() {
                    XCTAssertLessThanOrEqual(wt_kernel_family_isa(i).rawValue, isa.rawValue, names[Int(i)])
                }
                // GEMM has code for every tier.
                XCTAssertEqual(wt_kernel_family_isa(Int32(names.firstIndex(of: "gemm")!)), isa)
            }
        }
    }

    func testThreadCountSetting() {
        withSettings {
            XCTAssertEqual(wt_set_num_threads(0), 1)
            XCTAssertEqual(wt_get_num_threads(), 1)
            XCTAssertEqual(wt_set_num_threads(2), 2)
            XCTAssertEqual(wt_get_num_threads(), 2)
        }
    }

    /// Several threads calling GEMM at once, each product split along n over three k-slices: a caller
    /// that holds the pool for one slice can find it taken by another caller at the next and run
    /// the rest of its slices on its own thread (gemm.c, gemm_shared_a). Whichever way each slice
    /// ran, every result must have the bits of the one-thread product.
    func testConcurrentCallersKeepTheOneThreadBits() {
        let callers = 4
        let cs = GEMMCase(transA: false, transB: false, m: 150, n: 170, k: 1000, alpha: 1, beta: 0.5, pad: 2)
        let prepared = (0..<callers).map { prepare(cs, Float.self, oracle: wt_sgemm_portable, seed: 90 + UInt64($0)) }
        let results = ResultSlots(count: callers)
        @Sendable func product(_ t: Int) -> [Float] { prepared[t].sgemm(cs) }
        withSettings {
            wt_set_num_threads(1)
            let single = (0..<callers).map { product($0).map(\.bitPattern) }
            wt_set_num_threads(2)
            for _ in 0..<5 {
                DispatchQueue.concurrentPerform(iterations: callers) { t in results.set(t, product(t)) }
                for t in 0..<callers {
                    XCTAssertEqual(results.get(t).map(\.bitPattern), single[t], "caller \(t)")
                }
            }
        }
    }

    /// Several threads calling GEMM at once with 2 GEMM threads set: one caller gets the pool, the
    /// others run single-threaded; every result must still match the oracle.
    func testConcurrentCallers() {
        let callers = 4
        let cs = GEMMCase(transA: false, transB: true, m: 150, n: 170, k: 200, alpha: 1, beta: 0, pad: 1)
        let prepared = (0..<callers).map { prepare(cs, Float.self, oracle: wt_sgemm_portable, seed: 77 + UInt64($0)) }
        let results = ResultSlots(count: callers)
        withSettings {
            wt_set_num_threads(2)
            for _ in 0..<5 {
                DispatchQueue.concurrentPerform(iterations: callers) { t in results.set(t, prepared[t].sgemm(cs)) }
                for t in 0..<callers {
                    let c = results.get(t)
                    for i in 0..<cs.m {
                        for j in 0..<cs.n {
                            let got = c[i * cs.ldc + j], want = prepared[t].expected[i * cs.ldc + j]
                            if !(abs(Double(got) - Double(want)) <= prepared[t].bound[i * cs.n + j]) {
                                XCTFail("caller \(t): C[\(i)][\(j)] = \(got), oracle \(want)")
                                return
                            }
                        }
                    }
                }
            }
        }
    }
}
