import Kernels
import XCTest

/// `wt_?gemm_pack_b` + `wt_?gemm_prepacked` give the bits of `wt_?gemm` at the same tier, for
/// every tier the host has, both transposes of A, beta 0 and 1, and 1, 2 and 3 threads.
final class PrepackedGEMMTests: XCTestCase {
    /// (m, n, k): one block, ragged micro-panels, several k-slices, products large enough for the
    /// threads (split along n, and along m), several column blocks (n above NC = 4080).
    private let shapes = [(1, 1, 1), (5, 7, 3), (17, 33, 65), (40, 100, 900), (300, 37, 200), (3, 4100, 5), (2, 8200, 21)]

    private func aligned<T>(_ count: Int, _: T.Type, _ body: (UnsafeMutablePointer<T>) -> Void) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<T>.stride, alignment: 64)
        defer { raw.deallocate() }
        body(raw.bindMemory(to: T.self, capacity: max(count, 1)))
    }

    private func forEachTierAndThreadCount(_ body: (wt_isa, Int32) -> Void) {
        let saved = (wt_active_isa(), wt_get_num_threads())
        defer { _ = wt_set_isa(saved.0); _ = wt_set_num_threads(saved.1) }
        for raw in 0...wt_detected_isa().rawValue {
            let tier = wt_isa(rawValue: raw)
            XCTAssertEqual(wt_set_isa(tier), tier)
            for threads: Int32 in [1, 2, 3] {
                _ = wt_set_num_threads(threads)
                body(tier, threads)
            }
        }
    }

    func testFloatEqualsGEMMBitForBit() {
        forEachTierAndThreadCount { tier, threads in
            var r = UniformStream(state: UInt64(tier.rawValue) * 31 + UInt64(threads))
            for (m, n, k) in shapes {
                for transA in [false, true] {
                    for beta: Float in [0, 1] {
                        let a = (0..<(m * k)).map { _ in Float(r.next()) }, w = (0..<(n * k)).map { _ in Float(r.next()) }
                        let c0 = (0..<(m * n)).map { _ in beta == 0 ? Float.nan : Float(r.next()) }
                        let lda = transA ? m : k
                        var want = c0
                        wt_sgemm(transA ? 1 : 0, 1, m, n, k, 0.5, a, lda, w, k, beta, &want, n)
                        var got = c0
                        aligned(wt_sgemm_packed_count(tier, n, k), Float.self) { packed in
                            wt_sgemm_pack_b(tier, 1, n, k, w, k, packed)
                            wt_sgemm_prepacked(tier, transA ? 1 : 0, m, n, k, 0.5, a, lda, packed, beta, &got, n)
                        }
                        XCTAssertEqual(got, want, "m=\(m) n=\(n) k=\(k) transA=\(transA) beta=\(beta) tier \(tier.rawValue) threads \(threads)")
                    }
                }
            }
        }
    }

    func testDoubleEqualsGEMMBitForBit() {
        forEachTierAndThreadCount { tier, threads in
            var r = UniformStream(state: 1000 + UInt64(tier.rawValue) * 31 + UInt64(threads))
            for (m, n, k) in shapes {
                // B stored K×N this time (trans_b = 0).
                let a = (0..<(m * k)).map { _ in r.next() }, b = (0..<(k * n)).map { _ in r.next() }
                var want = [Double](repeating: .nan, count: m * n), got = want
                wt_dgemm(0, 0, m, n, k, 1, a, k, b, n, 0, &want, n)
                aligned(wt_dgemm_packed_count(tier, n, k), Double.self) { packed in
                    wt_dgemm_pack_b(tier, 0, n, k, b, n, packed)
                    wt_dgemm_prepacked(tier, 0, m, n, k, 1, a, k, packed, 0, &got, n)
                }
                XCTAssertEqual(got, want, "m=\(m) n=\(n) k=\(k) tier \(tier.rawValue) threads \(threads)")
            }
        }
    }

    /// A prepacked product's rows are split over the threads at row_step rows (a third of MR), so a
    /// row may sit in a full micro-panel at one thread count and in a short one at another: every
    /// element must keep its bits (alpha ≠ 1, beta ≠ 0 and two k-slices make the formula matter),
    /// at 1, 2 and 3 threads on every tier the host has.
    func testRowSplitKeepsTheBitsAtAnyThreadCount() {
        let saved = (wt_active_isa(), wt_get_num_threads())
        defer { _ = wt_set_isa(saved.0); _ = wt_set_num_threads(saved.1) }
        var r = UniformStream(state: 77)
        for raw in 0...wt_detected_isa().rawValue {
            let tier = wt_isa(rawValue: raw)
            XCTAssertEqual(wt_set_isa(tier), tier)
            for (m, n, k) in [(128, 40, 500), (37, 70, 900), (100, 33, 700)] {
                let a = (0..<(m * k)).map { _ in Float(r.next()) }, w = (0..<(n * k)).map { _ in Float(r.next()) }
                let c0 = (0..<(m * n)).map { _ in Float(r.next()) }
                aligned(wt_sgemm_packed_count(tier, n, k), Float.self) { packed in
                    wt_sgemm_pack_b(tier, 1, n, k, w, k, packed)
                    var results: [[UInt32]] = []
                    for threads: Int32 in [1, 2, 3] {
                        _ = wt_set_num_threads(threads)
                        var c = c0
                        wt_sgemm_prepacked(tier, 0, m, n, k, 0.7, a, k, packed, 0.5, &c, n)
                        results.append(c.map(\.bitPattern))
                    }
                    XCTAssertEqual(results[1], results[0], "m=\(m) n=\(n) k=\(k) tier \(raw): 2 threads vs 1")
                    XCTAssertEqual(results[2], results[0], "m=\(m) n=\(n) k=\(k) tier \(raw): 3 threads vs 1")
                }
                let ad = a.map(Double.init), wd = w.map(Double.init), cd0 = c0.map(Double.init)
                aligned(wt_dgemm_packed_count(tier, n, k), Double.self) { packed in
                    wt_dgemm_pack_b(tier, 1, n, k, wd, k, packed)
                    var results: [[UInt64]] = []
                    for threads: Int32 in [1, 2, 3] {
                        _ = wt_set_num_threads(threads)
                        var c = cd0
                        wt_dgemm_prepacked(tier, 0, m, n, k, 0.7, ad, k, packed, 0.5, &c, n)
                        results.append(c.map(\.bitPattern))
                    }
                    XCTAssertEqual(results[1], results[0], "double m=\(m) tier \(raw): 2 threads vs 1")
                    XCTAssertEqual(results[2], results[0], "double m=\(m) tier \(raw): 3 threads vs 1")
                }
            }
        }
    }

    /// The packed size covers whole micro-panels: at least n·k, at most (n + NR − 1)·k for NR ≤ 64.
    func testPackedCountBounds() {
        for raw in 0...wt_detected_isa().rawValue {
            for (n, k) in [(1, 1), (400, 784), (10, 400), (4097, 3)] {
                let count = wt_sgemm_packed_count(wt_isa(rawValue: raw), n, k)
                XCTAssertGreaterThanOrEqual(count, n * k)
                XCTAssertLessThan(count, (n + 64) * k)
            }
            XCTAssertEqual(wt_sgemm_packed_count(wt_isa(rawValue: raw), 0, 5), 0)
        }
    }
}
