@testable import Ops
import Autodiff
import Kernels
import XCTest

/// ``SmallProductSplit``: a product the GEMM keeps on one thread (2¹⁸ ≤ M·N·K < 2²¹) is cut by the
/// ops into one row or column block per kernel thread. On every tier the host has, at 1, 2 and 3
/// threads, the ops' real product (`gemm`) and complex three-product (`gaussPackedProduct`) have
/// the bits of one whole `wt_?gemm` / `wt_?gemm_gauss` call, for the four transpose combinations,
/// with and without accumulation, a bias and conjugation, at the complex MLP's layer-2 shapes
/// (128 × 10 × 400, 10 × 400 × 128, 128 × 400 × 10) and at shapes whose blocks end inside a
/// micro-panel or have at most 16 rows (which must not switch to the skinny kernels).
final class GEMMSplitTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    /// (m, n, k): every one is split at 2 threads.
    static let shapes = [(128, 10, 400), (10, 400, 128), (128, 400, 10), (28, 300, 40), (100, 33, 97), (61, 150, 90)]

    static func values(_ n: Int, seed: UInt64) -> [Double] {
        var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<n).map { _ in
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            return (Double(s >> 11) / Double(1 << 53) - 0.5) * [1e-3, 1, 37, 1e4][Int(s & 3)]
        }
    }

    func testShapesAreSplitAtTwoThreads() {
        _ = wt_set_num_threads(2)
        for (m, n, k) in Self.shapes {
            XCTAssertEqual(SmallProductSplit(m: m, n: n, macs: m * n * k)?.parts, 2, "\(m)×\(n)×\(k)")
        }
        XCTAssertNil(SmallProductSplit(m: 128, n: 400, macs: 128 * 400 * 392), "the GEMM's own threads")
        XCTAssertNil(SmallProductSplit(m: 64, n: 64, macs: 64 * 64 * 32), "too small for a region")
        _ = wt_set_num_threads(1)
        XCTAssertNil(SmallProductSplit(m: 128, n: 10, macs: 128 * 10 * 400), "one thread")
    }

    static var tiers: [wt_isa] { (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) }

    /// The real product through the ops' `gemm` against one call of the kernel it picks (`gemmCall`:
    /// `wt_?gemm`, or the skinny kernels for at most 16 rows of an untransposed A, which are not split).
    func testRealProductHasTheBitsOfOneCall() {
        func check<T: TensorScalar & BitPatterned>(_ a: [T], _ b: [T], _ c0: [T], _ m: Int, _ n: Int, _ k: Int, _ what: String) {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                for accumulate in [false, true] {
                    let (lda, ldb) = (ta ? m : k, tb ? k : n)
                    var want = c0, got = c0
                    a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
                        _ = wt_set_num_threads(1)
                        want.withUnsafeMutableBufferPointer { cp in
                            gemmCall(ta, tb, m, n, k, ap.baseAddress!, lda, bp.baseAddress!, ldb, cp.baseAddress!, n,
                                     accumulate: accumulate, alpha: 1)
                        }
                        for threads: Int32 in [2, 3] {
                            _ = wt_set_num_threads(threads)
                            got = c0
                            got.withUnsafeMutableBufferPointer { cp in
                                gemm(ta, tb, m, n, k, ap.baseAddress!, lda, bp.baseAddress!, ldb, cp.baseAddress!, n, accumulate: accumulate)
                            }
                            XCTAssertTrue(got.elementsEqual(want) { $0.bits == $1.bits },
                                          "\(what) threads \(threads) ta \(ta) tb \(tb) acc \(accumulate)")
                        }
                    }}
                }
            }
        }
        for (m, n, k) in Self.shapes {
            let a = Self.values(m * k, seed: UInt64(m * 31 + k)), b = Self.values(k * n, seed: UInt64(n * 17 + k))
            let c0 = Self.values(m * n, seed: UInt64(m + n))
            let (af, bf, cf) = (a.map(Float.init), b.map(Float.init), c0.map(Float.init))
            for isa in Self.tiers {
                _ = wt_set_isa(isa)
                check(af, bf, cf, m, n, k, "float \(isa) \(m)×\(n)×\(k)")
                check(a, b, c0, m, n, k, "double \(isa) \(m)×\(n)×\(k)")
            }
        }
    }

    /// The complex three-product through `gaussPackedProduct` against one `wt_?gemm_gauss` call.
    func testGaussProductHasTheBitsOfOneCall() {
        for (m, n, k) in Self.shapes where 3 * m * n * k < SmallProductSplit.gemmParallelMACs {
            // (an untransposed A of at most 16 rows is the skinny kernels' case: no three-product)
            for (ta, tb) in [(false, true), (true, false), (false, false)] where ta || m > skinnyProductMaxRows {
                let aShape = ta ? [k, m] : [m, k], bShape = tb ? [n, k] : [k, n]
                let (lda, ldb) = (aShape[1], bShape[1])
                let xs = [Self.values(m * k, seed: 1), Self.values(m * k, seed: 2), Self.values(k * n, seed: 3),
                          Self.values(k * n, seed: 4), Self.values(n, seed: 5), Self.values(n, seed: 6)]
                for dtype in [DType.float32, .float64] {
                    let t = xs.indices.map { Tensor(shape: $0 < 2 ? aShape : $0 < 4 ? bShape : [n], scalars: xs[$0], dtype: dtype) }
                    let bias = ComplexTensor(real: t[4], imag: t[5])
                    for isa in Self.tiers {
                        _ = wt_set_isa(isa)
                        for (conj, biased) in [(false, true), (true, false)] {
                            let s: Double = conj ? -1 : 1
                            var re = [Double](repeating: 0, count: m * n), im = re
                            if dtype == .float32 {
                                let f = xs.map { $0.map(Float.init) }
                                var r = [Float](repeating: 0, count: m * n), i = r
                                XCTAssertEqual(wt_sgemm_gauss(ta ? 1 : 0, tb ? 1 : 0, m, n, k, f[0], f[1], lda, Float(s), f[2], f[3], ldb, 1,
                                                              nil, nil, biased ? f[4] : nil, biased ? f[5] : nil, &r, &i, n), 1)
                                (re, im) = (r.map(Double.init), i.map(Double.init))
                            } else {
                                XCTAssertEqual(wt_dgemm_gauss(ta ? 1 : 0, tb ? 1 : 0, m, n, k, xs[0], xs[1], lda, s, xs[2], xs[3], ldb, 1,
                                                              nil, nil, biased ? xs[4] : nil, biased ? xs[5] : nil, &re, &im, n), 1)
                            }
                            for threads: Int32 in [2, 3] {
                                _ = wt_set_num_threads(threads)
                                let what = "\(isa) threads \(threads) \(m)×\(n)×\(k) ta \(ta) tb \(tb) conj \(conj) bias \(biased) \(dtype)"
                                guard let got = ComplexSupport.gaussPackedProduct(t[0], t[1], t[2], t[3], transA: ta, transB: tb, conjA: conj,
                                                                                  conjB: false, bias: biased ? bias : nil) else {
                                    XCTFail("no product: " + what); continue
                                }
                                // (float results are exact as doubles: comparing the doubles compares the floats' bits)
                                XCTAssertEqual(got.re.scalars.map(\.bitPattern), re.map(\.bitPattern), "re " + what)
                                XCTAssertEqual(got.im.scalars.map(\.bitPattern), im.map(\.bitPattern), "im " + what)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Bits of a float or double, for comparing results exactly.
protocol BitPatterned { var bits: UInt64 { get } }
extension Float: BitPatterned { var bits: UInt64 { UInt64(bitPattern) } }
extension Double: BitPatterned { var bits: UInt64 { bitPattern } }
