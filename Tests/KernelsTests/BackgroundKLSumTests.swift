import Kernels
import XCTest

/// `wt_kl_cplx_sum_f32_begin` / `wt_kl_sum_end` (a blocked sum run in units by idle kernel
/// threads while the caller goes on; nothing started at 1 thread): value and derivatives equal
/// `wt_kl_cplx_sum_f32`'s bit for bit, on every tier the host has, at 2 and 3 threads, for lengths around the block (16 384)
/// and unit (512) sizes, with special values at unit and block edges, whether the caller ends it
/// at once or after parallel work of its own (including a second sum started while the first is
/// pending, which then runs where it ends).
final class BackgroundKLSumTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        super.tearDown()
    }

    static let sizes = [1, 7, 100, 2_047, 2_048, 2_049, 16_384, 16_390, 40_003, 156_800]

    /// log σ², Re w, Im w of length n: smooth values with zeros, tiny, huge and non-finite weights
    /// at unit and block edges (the chains' other paths).
    static func inputs(_ n: Int) -> ([Float], [Float], [Float]) {
        var ls = (0..<n).map { Float(($0 * 37) % 1801) / 100 - 12 }
        var re = (0..<n).map { Float(($0 * 13) % 2001) / 1000 - 1 }
        var im = (0..<n).map { Float(($0 * 29) % 1999) / 1000 - 1 }
        let specials: [(Float, Float)] = [(0, 0), (1e-30, 0), (3e19, -2e19), (.nan, 1), (.infinity, 0), (1e-20, 1e-21)]
        for (k, edge) in [0, 2_047, 2_048, 6_143, 16_383, 16_384, 16_385, 40_000].enumerated() where edge < n {
            re[edge] = specials[k % specials.count].0
            im[edge] = specials[k % specials.count].1
            if k == 3 { ls[edge] = 30 }
        }
        return (ls, re, im)
    }

    /// Values whose per-lane sums round differently when a block's units are summed apart: every
    /// block's first unit holds KLs near 50, the rest KLs near 1e-14 (each below half an ulp of the
    /// running lane sum, their sum above it).
    static func magnitudes(_ n: Int) -> ([Float], [Float], [Float]) {
        ((0..<n).map { $0 % 16_384 < 512 ? -50 : 32.2 }, [Float](repeating: 1, count: n), [Float](repeating: 0, count: n))
    }

    struct Result: Equatable { var total: UInt64; var d: [UInt32] }

    /// Serial work of the caller between start and end (as a training step's Swift code between
    /// its kernels), during which the idle threads take units of the pending sum: `iterations`
    /// steps of a scalar recurrence whose result is kept. How far the workers get varies from run
    /// to run; what is asserted, bit equality with the plain sum, must hold whatever they did.
    static func serialWork(_ iterations: Int) {
        var x = 0.5
        for _ in 0..<iterations { x = 3.9 * x * (1 - x) }
        sink = x
    }
    nonisolated(unsafe) static var sink = 0.0

    static func plain(_ prior: wt_kl_prior, _ x: ([Float], [Float], [Float])) -> Result {
        let n = x.0.count
        var dls = [Float](repeating: 0, count: n), dre = dls, dim = dls
        let t = wt_kl_cplx_sum_f32(prior, x.0, x.1, x.2, 0.25, &dls, &dre, &dim, n)
        return Result(total: t.bitPattern, d: (dls + dre + dim).map(\.bitPattern))
    }

    /// Starts the sum, runs `meanwhile`, ends it.
    static func started(_ prior: wt_kl_prior, _ x: ([Float], [Float], [Float]), meanwhile: () -> Void) -> Result {
        let n = x.0.count
        var dls = [Float](repeating: 0, count: n), dre = dls, dim = dls
        let t: Double = dls.withUnsafeMutableBufferPointer { a in dre.withUnsafeMutableBufferPointer { b in
            dim.withUnsafeMutableBufferPointer { c in
                let task = wt_kl_cplx_sum_f32_begin(prior, x.0, x.1, x.2, 0.25, a.baseAddress, b.baseAddress, c.baseAddress, n)
                // one kernel thread: nothing is started (the caller computes the sum where it needs it)
                XCTAssertEqual(task == nil, wt_get_num_threads() == 1, "started exactly when there is a second kernel thread")
                meanwhile()
                guard let task else {
                    return wt_kl_cplx_sum_f32(prior, x.0, x.1, x.2, 0.25, a.baseAddress, b.baseAddress, c.baseAddress, n)
                }
                return wt_kl_sum_end(task)
            }
        }}
        return Result(total: t.bitPattern, d: (dls + dre + dim).map(\.bitPattern))
    }

    func testStartedSumEqualsTheSumBitForBit() {
        let saved = wt_get_num_threads()
        defer { _ = wt_set_num_threads(saved) }
        let other = Self.inputs(20_000)
        for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            for prior in [WT_KL_CPLX_VD, WT_KL_CPLX_ARD] {
                _ = wt_set_num_threads(1)
                let otherRef = Self.plain(prior, other)
                for (n, x) in Self.sizes.map({ ($0, Self.inputs($0)) }) + [(-35_000, Self.magnitudes(35_000))] {
                    _ = wt_set_num_threads(1)
                    let ref = Self.plain(prior, x)
                    for threads: Int32 in [1, 2, 3] {
                        _ = wt_set_num_threads(threads)
                        let at = "n \(n), prior \(prior), \(threads) threads, \(isa)"
                        XCTAssertTrue(Self.started(prior, x) {} == ref, "ended at once, \(at)")
                        XCTAssertTrue(Self.started(prior, x) { Self.serialWork(20_000) } == ref, "ended after serial work, \(at)")
                        // parallel work of the caller meanwhile, and a second sum (run where it ends)
                        var second: Result?
                        let r = Self.started(prior, x) {
                            XCTAssertTrue(Self.plain(prior, other) == otherRef, "a plain sum while one is pending, \(at)")
                            second = Self.started(prior, other) {}
                        }
                        XCTAssertTrue(r == ref, "with work meanwhile, \(at)")
                        XCTAssertTrue(second == otherRef, "a second started sum, \(at)")
                    }
                }
            }
        }
    }

    /// Many short started sums with the caller's parallel loops in between (the pool's handover
    /// between a pending sum, its units and the jobs), at 2 and 3 threads.
    func testManyStartsAndEnds() {
        let saved = wt_get_num_threads()
        defer { _ = wt_set_num_threads(saved) }
        let x = Self.magnitudes(40_003), y = Self.inputs(5_000)
        _ = wt_set_num_threads(1)
        let ref = Self.plain(WT_KL_CPLX_VD, x), refY = Self.plain(WT_KL_CPLX_ARD, y)
        for threads: Int32 in [2, 3] {
            _ = wt_set_num_threads(threads)
            for round in 0..<60 {
                let r = Self.started(WT_KL_CPLX_VD, x) {
                    for _ in 0..<(round % 4) { XCTAssertTrue(Self.plain(WT_KL_CPLX_ARD, y) == refY) }
                    if round % 3 == 0 { Self.serialWork(round * 500) }
                }
                XCTAssertTrue(r == ref, "round \(round), \(threads) threads")
            }
        }
    }
}
