import Kernels
import XCTest

/// `wt_?gemm_gauss`, the complex product by Gauss's three real products in one driver (operand sums
/// formed from the packed panels, each tile combined in cache, optionally added to given sums): on
/// every tier the host has and at 1, 2 and 3 threads, both parts have exactly the bits of what the
/// complex ops computed before the driver: `wt_cplx_signed_sum_*` on the operands, three `wt_?gemm`
/// calls, then `wt_cplx_gauss_combine_*` (or `wt_cplx_gauss_add_*` with the sums). For all four
/// transpose combinations, the signs of conjugation, with a bias added to every row, shapes around the micro-tile sizes, across two
/// k-slices (k > KC) and at the sizes of the complex MLP step (128 × 400 × 392, 400 × 392 × 128, and
/// layer 2's 128 × 10 × 400 and 128 × 400 × 10, split over the threads since session 12).
final class GaussProductTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        super.tearDown()
    }

    /// (m, n, k)
    static let shapes = [(1, 1, 1), (17, 33, 5), (20, 1, 3), (13, 70, 9), (37, 45, 500), (128, 400, 392), (400, 392, 128),
                         (128, 10, 400), (128, 400, 10)]

    static func values<T: BinaryFloatingPoint>(_ n: Int, seed: UInt64, _: T.Type) -> [T] {
        var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<n).map { _ in
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            let u = T(Double(s >> 11) / Double(1 << 53))
            return (u - T(0.5)) * T([1e-3, 1, 37, 1e4][Int(s & 3)])
        }
    }

    func check<T: BinaryFloatingPoint & BitPatterned>(
        _: T.Type,
        gauss: (Int32, Int32, Int, Int, Int, UnsafePointer<T>?, UnsafePointer<T>?, Int, T, UnsafePointer<T>?, UnsafePointer<T>?, Int,
                T, UnsafePointer<T>?, UnsafePointer<T>?, UnsafePointer<T>?, UnsafePointer<T>?, UnsafeMutablePointer<T>?,
                UnsafeMutablePointer<T>?, Int) -> Int32,
        gemm: (Int32, Int32, Int, Int, Int, T, UnsafePointer<T>?, Int, UnsafePointer<T>?, Int, T, UnsafeMutablePointer<T>?, Int) -> Void,
        signedSum: (UnsafePointer<T>?, UnsafePointer<T>?, T, UnsafeMutablePointer<T>?, Int) -> Void,
        combine: (UnsafeMutablePointer<T>?, UnsafeMutablePointer<T>?, UnsafePointer<T>?, T, Int) -> Void,
        add: (UnsafePointer<T>?, UnsafePointer<T>?, UnsafeMutablePointer<T>?, UnsafeMutablePointer<T>?, UnsafePointer<T>?, T, Int) -> Void,
        accumulate: (UnsafeMutablePointer<T>?, UnsafePointer<T>?, Int) -> Void
    ) {
        let saved = wt_get_num_threads()
        defer { _ = wt_set_num_threads(saved) }
        var checked = 0
        for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            for (m, n, k) in Self.shapes {
                let big = m * n * k >= 1 << 20
                for ta: Int32 in [0, 1] {
                    for tb: Int32 in [0, 1] where !big || (ta, tb) == (0, 1) || (ta, tb) == (1, 0) {
                        let a1 = Self.values(m * k, seed: UInt64(m * 7 + k), T.self), a2 = Self.values(m * k, seed: UInt64(m * 7 + k + 1), T.self)
                        let b1 = Self.values(k * n, seed: UInt64(n * 5 + k), T.self), b2 = Self.values(k * n, seed: UInt64(n * 5 + k + 3), T.self)
                        let lda = ta == 1 ? m : k, ldb = tb == 1 ? k : n
                        for (sa, sb) in [(T(1), T(1)), (T(-1), T(1)), (T(1), T(-1))] {
                            // the reference: three GEMMs, the third over the summed operands
                            var as_ = [T](repeating: 0, count: m * k), bs = [T](repeating: 0, count: k * n)
                            signedSum(a1, a2, sa, &as_, m * k)
                            signedSum(b1, b2, sb, &bs, k * n)
                            var prods = [[T]](repeating: [T](repeating: 0, count: m * n), count: 3)
                            _ = wt_set_num_threads(1)
                            gemm(ta, tb, m, n, k, 1, a1, lda, b1, ldb, 0, &prods[0], n)
                            gemm(ta, tb, m, n, k, 1, a2, lda, b2, ldb, 0, &prods[1], n)
                            gemm(ta, tb, m, n, k, 1, as_, lda, bs, ldb, 0, &prods[2], n)
                            let sumRe = Self.values(m * n, seed: UInt64(m + n), T.self), sumIm = Self.values(m * n, seed: UInt64(m + n + 9), T.self)
                            let biasRe = Self.values(n, seed: UInt64(n + 11), T.self), biasIm = Self.values(n, seed: UInt64(n + 12), T.self)
                            for (withSums, withBias) in [(false, false), (true, false), (false, true)] {
                                var wantRe = prods[0], wantIm = prods[2]
                                if withSums { add(sumRe, sumIm, &wantRe, &wantIm, prods[1], sa * sb, m * n) }
                                else { combine(&wantRe, &wantIm, prods[1], sa * sb, m * n) }
                                if withBias {   // the broadcast addition, row by row
                                    for r in 0..<m {
                                        wantRe.withUnsafeMutableBufferPointer { accumulate($0.baseAddress! + r * n, biasRe, n) }
                                        wantIm.withUnsafeMutableBufferPointer { accumulate($0.baseAddress! + r * n, biasIm, n) }
                                    }
                                }
                                for threads: Int32 in (big ? [1, 2, 3] : [1, 2]) {
                                    _ = wt_set_num_threads(threads)
                                    var re = [T](repeating: .nan, count: m * n), im = re
                                    let done = withSums ? gauss(ta, tb, m, n, k, a1, a2, lda, sa, b1, b2, ldb, sb, sumRe, sumIm, nil, nil, &re, &im, n)
                                        : withBias ? gauss(ta, tb, m, n, k, a1, a2, lda, sa, b1, b2, ldb, sb, nil, nil, biasRe, biasIm, &re, &im, n)
                                        : gauss(ta, tb, m, n, k, a1, a2, lda, sa, b1, b2, ldb, sb, nil, nil, nil, nil, &re, &im, n)
                                    XCTAssertEqual(done, 1)
                                    for (part, got, want) in [("re", re, wantRe), ("im", im, wantIm)] {
                                        if let i = got.indices.first(where: { got[$0].bits != want[$0].bits }) {
                                            XCTFail("tier \(isa.rawValue), \(m)×\(n)×\(k), trans \(ta)\(tb), signs \(sa) \(sb), sums \(withSums), bias \(withBias), \(threads) threads: \(part) element \(i) is \(got[i]), expected \(want[i])")
                                            return
                                        }
                                    }
                                    checked += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 0)
    }

    func testFloatEqualsThreeGEMMsOnTheSummedOperandsAtEveryTierAndThreadCount() {
        check(Float.self, gauss: wt_sgemm_gauss, gemm: wt_sgemm, signedSum: wt_cplx_signed_sum_f32, combine: wt_cplx_gauss_combine_f32,
              add: wt_cplx_gauss_add_f32, accumulate: wt_accumulate_f32)
    }

    func testDoubleEqualsThreeGEMMsOnTheSummedOperandsAtEveryTierAndThreadCount() {
        check(Double.self, gauss: wt_dgemm_gauss, gemm: wt_dgemm, signedSum: wt_cplx_signed_sum_f64, combine: wt_cplx_gauss_combine_f64,
              add: wt_cplx_gauss_add_f64, accumulate: wt_accumulate_f64)
    }

    /// k = 0, or one sum without the other, leaves the work to the caller (returns 0, nothing
    /// written); an empty m or n is done at once.
    func testDegenerateArguments() {
        var re = [Float](repeating: 7, count: 4), im = re
        let a: [Float] = [1, 2], b: [Float] = [3, 4], s: [Float] = [1, 1, 1, 1]
        XCTAssertEqual(wt_sgemm_gauss(0, 0, 2, 2, 0, a, a, 1, 1, b, b, 2, 1, nil, nil, nil, nil, &re, &im, 2), 0)
        XCTAssertEqual(wt_sgemm_gauss(0, 0, 2, 2, 1, a, a, 1, 1, b, b, 2, 1, s, nil, nil, nil, &re, &im, 2), 0)
        XCTAssertEqual(wt_sgemm_gauss(0, 0, 0, 2, 1, a, a, 1, 1, b, b, 2, 1, nil, nil, nil, nil, &re, &im, 2), 1)
        XCTAssertEqual(re + im, [Float](repeating: 7, count: 8))
        // and a 2 × 2 × 1 product checked by hand: (1 + 2i)(3 + 4i) = −5 + 10i, etc.
        XCTAssertEqual(wt_sgemm_gauss(0, 0, 2, 2, 1, [1, 2], [2, 1], 1, 1, [3, 4], [4, 3], 2, 1, nil, nil, nil, nil, &re, &im, 2), 1)
        XCTAssertEqual(re, [-5, -2, 2, 5])
        XCTAssertEqual(im, [10, 11, 11, 10])
        // with a bias of [1 + i, 10 − i] added to each row; one bias part alone is refused
        XCTAssertEqual(wt_sgemm_gauss(0, 0, 2, 2, 1, [1, 2], [2, 1], 1, 1, [3, 4], [4, 3], 2, 1, nil, nil, [1, 10], [1, -1], &re, &im, 2), 1)
        XCTAssertEqual(re, [-4, 8, 3, 15])
        XCTAssertEqual(im, [11, 10, 12, 9])
        XCTAssertEqual(wt_sgemm_gauss(0, 0, 2, 2, 1, [1, 2], [2, 1], 1, 1, [3, 4], [4, 3], 2, 1, nil, nil, [1, 10], nil, &re, &im, 2), 0)
    }
}
