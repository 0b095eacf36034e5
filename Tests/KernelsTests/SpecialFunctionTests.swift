import Foundation
import Kernels
import XCTest

// Shared helpers for the Kernels numerics tests (also used by VectorMathTests).

#if arch(x86_64) || arch(i386)
/// Wider type for reference values (64-bit significand on x86).
typealias WideFloat = Float80
#else
typealias WideFloat = Double
#endif

/// |got - expected| in units of the last place of `expected` (as a `T`), computed in WideFloat.
/// NaN expected requires NaN; infinite expected requires the same infinity; otherwise any
/// non-finite `got` counts as an infinite error.
func ulpError<T: BinaryFloatingPoint>(_ got: T, expected: WideFloat, as _: T.Type = T.self) -> Double {
    if expected.isNaN { return got.isNaN ? 0 : .infinity }
    let rounded = T(expected)
    if rounded.isInfinite { return (got.isInfinite && got.sign == rounded.sign) ? 0 : .infinity }
    if !got.isFinite { return .infinity }
    let ulp = WideFloat(rounded.ulp)  // ulp of 0 is the least subnormal
    return Double(abs(WideFloat(got) - expected) / ulp)
}

/// Runs `body` once per kernel tier the host supports (portable always, then AVX2/FMA and AVX-512
/// when the CPU has them and WIRTINGER_ISA allows them), restoring the previously active tier afterwards.
func forEachISA(_ body: (String) throws -> Void) rethrows {
    let saved = wt_active_isa()
    defer { _ = wt_set_isa(saved) }
    for raw in 0...wt_detected_isa().rawValue {
        let isa = wt_isa(rawValue: raw)
        XCTAssertEqual(wt_set_isa(isa), isa)
        try body(String(cString: wt_isa_name(isa)))
    }
}

/// Applies a C array kernel `(x, y, n)` to `x`, out of place.
func apply<T>(_ kernel: (UnsafePointer<T>?, UnsafeMutablePointer<T>?, Int) -> Void, _ x: [T]) -> [T] {
    guard let first = x.first else { return [] }
    var y = [T](repeating: first, count: x.count)
    x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in kernel(xp.baseAddress, yp.baseAddress, x.count) }
    }
    return y
}

/// Applies a C array kernel in place (y aliases x).
func applyInPlace<T>(_ kernel: (UnsafePointer<T>?, UnsafeMutablePointer<T>?, Int) -> Void, _ x: [T]) -> [T] {
    var y = x
    y.withUnsafeMutableBufferPointer { p in kernel(UnsafePointer(p.baseAddress), p.baseAddress, p.count) }
    return y
}

/// Small deterministic generator (SplitMix64) so the random cases are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class SpecialFunctionTests: XCTestCase {
    /// Measured maximum over the reference table is 1.65 ulp (Docs/Kernels-Special.md).
    let maxUlp64 = 2.0
    /// Float Ei is evaluated in double (relative error < 2^-34) and rounded once.
    let maxUlp32 = 0.501

    func testExpiDoubleMatchesExactValues() {
        let xs = expiReference64.map(\.x)
        forEachISA { path in
            let ys = apply(wt_expi_array, xs)
            var worst = 0.0
            for (i, ref) in expiReference64.enumerated() {
                let err = ulpError(ys[i], expected: WideFloat(ref.exact))
                XCTAssertLessThanOrEqual(err, maxUlp64, "\(path): Ei(\(ref.x)) = \(ys[i]), exact \(ref.exact)")
                worst = max(worst, err)
                // Same as scipy up to scipy's own error (scipy is up to ~50 ulp off near x = 40 and
                // far more near the zero of Ei, and overflows early above x = 709.78).
                if ref.scipy.isFinite && ref.exact.isFinite {
                    let unit = WideFloat(ref.exact.ulp)
                    let scipyErr = abs(WideFloat(ref.scipy) - WideFloat(ref.exact)) / unit
                    let apart = abs(WideFloat(ys[i]) - WideFloat(ref.scipy)) / unit
                    XCTAssertLessThanOrEqual(Double(apart), Double(scipyErr) + maxUlp64, "\(path): Ei(\(ref.x)) vs scipy")
                }
            }
            XCTAssertGreaterThan(worst, 0)  // the table really exercises rounding
        }
        for ref in expiReference64 {
            XCTAssertLessThanOrEqual(ulpError(wt_expi(ref.x), expected: WideFloat(ref.exact)), maxUlp64, "scalar Ei(\(ref.x))")
        }
    }

    func testExpiFloatMatchesExactValuesAndScipy() {
        let xs = expiReference32.map(\.x)
        forEachISA { path in
            let ys = apply(wt_expif_array, xs)
            for (i, ref) in expiReference32.enumerated() {
                XCTAssertLessThanOrEqual(ulpError(ys[i], expected: WideFloat(ref.exact)), maxUlp32,
                                         "\(path): Eif(\(ref.x)) = \(ys[i]), exact \(ref.exact)")
                // scipy computes float32 in double and rounds, so it is (almost always) the exact value too.
                XCTAssertLessThanOrEqual(ulpError(ys[i], expected: WideFloat(ref.scipy)), 1.0, "\(path): Eif(\(ref.x)) vs scipy")
            }
        }
        for ref in expiReference32 {
            XCTAssertLessThanOrEqual(ulpError(wt_expif(ref.x), expected: WideFloat(ref.exact)), maxUlp32, "scalar Eif(\(ref.x))")
        }
    }

    func testExpiSpecialValues() {
        forEachISA { path in
            let xs: [Double] = [0, -0.0, .infinity, -.infinity, .nan, 716.0, 717.0, -745.0, -1e300, 1e300]
            for (f, name) in [(apply(wt_expi_array, xs), "array"), (xs.map { wt_expi($0) }, "scalar")] {
                XCTAssertEqual(f[0], -.infinity, "\(path) \(name): Ei(0)")
                XCTAssertEqual(f[1], -.infinity, "\(path) \(name): Ei(-0)")
                XCTAssertEqual(f[2], .infinity, "\(path) \(name): Ei(inf)")
                XCTAssertTrue(f[3] == 0 && f[3].sign == .minus, "\(path) \(name): Ei(-inf) = \(f[3]), want -0")
                XCTAssertTrue(f[4].isNaN, "\(path) \(name): Ei(nan)")
                XCTAssertTrue(f[5].isFinite && f[5] > 1e308, "\(path) \(name): Ei(716) = \(f[5]) is finite")
                XCTAssertEqual(f[6], .infinity, "\(path) \(name): Ei(717) overflows")
                XCTAssertTrue(f[7] == 0 && f[7].sign == .minus, "\(path) \(name): Ei(-745) underflows to -0")
                XCTAssertTrue(f[8] == 0 && f[8].sign == .minus, "\(path) \(name): Ei(-1e300)")
                XCTAssertEqual(f[9], .infinity, "\(path) \(name): Ei(1e300)")
            }
            let xf: [Float] = [0, .infinity, -.infinity, .nan, 93.0, 95.0, -110.0]
            let g = apply(wt_expif_array, xf)
            XCTAssertEqual(g[0], -.infinity)
            XCTAssertEqual(g[1], .infinity)
            XCTAssertTrue(g[2] == 0 && g[2].sign == .minus)
            XCTAssertTrue(g[3].isNaN)
            XCTAssertTrue(g[4].isFinite, "\(path): Eif(93) = \(g[4]) is finite")
            XCTAssertEqual(g[5], .infinity, "\(path): Eif(95) overflows")
            XCTAssertTrue(g[6] == 0 && g[6].sign == .minus, "\(path): Eif(-110) underflows to -0")
        }
    }

    /// Relative accuracy around the zero x0 of Ei and the sign change across it.
    func testExpiNearItsZero() {
        let x0 = 0x1.7d72952b4b5fcp-2  // nearest double to x0 = 0.37250741078136663446...
        let x0lo = 0x1.e4c986021c6f2p-57  // x0 - (that double)
        forEachISA { path in
            let xs = [x0.nextDown, x0, x0.nextUp, x0 + 1e-12, x0 - 1e-12]
            let ys = apply(wt_expi_array, xs)
            XCTAssertLessThan(ys[0], 0, path)
            XCTAssertLessThan(ys[1], 0, path)
            XCTAssertGreaterThan(ys[2], 0, path)
            // Ei(x) = Ei'(x0) (x - x0) (1 + O(x - x0)), Ei'(x0) = e^x0 / x0 = 3.8962157339...:
            // full relative accuracy right next to the zero. (x - x0 double is exact here.)
            for i in [1, 2, 3, 4] {
                let h = (xs[i] - x0) - x0lo
                XCTAssertEqual(ys[i] / h, 3.896215733907, accuracy: 1e-10 + 3 * abs(h), "\(path): x = x0 + \(h)")
            }
        }
    }

    func testPortableAndFastPathsAgreeAndAliasingWorks() {
        var rng = SplitMix64(state: 42)
        let xs = (0..<4099).map { i -> Double in
            i % 3 == 0 ? Double.random(in: -700...700, using: &rng)
                : (i % 3 == 1 ? Double.random(in: -5...5, using: &rng) : -exp(Double.random(in: -10...10, using: &rng)))
        }
        let xf = xs.map { Float($0 / 8) }
        var results64: [[Double]] = []
        var results32: [[Float]] = []
        forEachISA { path in
            let y = apply(wt_expi_array, xs)
            XCTAssertEqual(applyInPlace(wt_expi_array, xs), y, "\(path): in-place equals out-of-place")
            results64.append(y)
            let yf = apply(wt_expif_array, xf)
            XCTAssertEqual(applyInPlace(wt_expif_array, xf), yf, "\(path): in-place equals out-of-place (float)")
            results32.append(yf)
            // every length 0...13 (the tails of the 8-wide loop) agrees with the scalar function
            for n in 0...13 {
                let part = Array(xs[0..<n])
                let out = apply(wt_expi_array, part)
                XCTAssertEqual(out.count, n)
                for i in 0..<n {
                    XCTAssertLessThanOrEqual(ulpError(out[i], expected: WideFloat(wt_expi(part[i]))), 2 * maxUlp64,
                                             "\(path): length \(n), element \(i)")
                }
            }
        }
        for i in 1..<results64.count {
            for j in xs.indices {
                XCTAssertLessThanOrEqual(ulpError(results64[i][j], expected: WideFloat(results64[0][j])), 2 * maxUlp64, "Ei(\(xs[j]))")
                XCTAssertLessThanOrEqual(ulpError(results32[i][j], expected: WideFloat(results32[0][j])), 1, "Eif(\(xf[j]))")
            }
        }
    }

    /// The AVX-512 tier sorts each block of 1024 elements by form (log, polynomial, exp; by sign) and
    /// evaluates the forms separately, the AVX2 tier evaluates every form in every lane and blends:
    /// same operations per element, so the same bits — on blocks with and without positive
    /// elements, blocks of one form only, special values (±0, ±inf, NaN of either sign, |x| ≥ 1024,
    /// the underflow below −745 and the clamp at −750, the zero x0, subnormals), ragged tails and
    /// block boundaries, out of place and in place, at 1 and 2 threads, and with flush-to-zero on.
    func testSortedAVX512TierGivesTheAVX2Bits() throws {
        guard wt_detected_isa().rawValue >= WT_ISA_AVX512.rawValue else {
            throw XCTSkip("the host (or WIRTINGER_ISA) has no AVX-512 tier to compare with AVX2")
        }
        let savedISA = wt_active_isa(), savedThreads = wt_get_num_threads()
        defer { _ = wt_set_isa(savedISA); _ = wt_set_num_threads(savedThreads) }
        var rng = SplitMix64(state: 7)
        let specials: [Double] = [0, -0.0, .infinity, -.infinity, .nan, -Double.nan, 1024, -1024, 2000, -2000, -745,
                                  -750, -751, -768, -1000, -1023.99, -700, -708.5, 716.5, 709.9, 0.125, -0.25, 0.25,
                                  0.5, 4, -4, 64, -64, 0.37250741078136663, .leastNonzeroMagnitude,
                                  -.leastNonzeroMagnitude, -.leastNormalMagnitude, 1e-300, -1e-300, -1e300, 1e300, -1e20]
        // negative-only blocks (−1/α), mixed blocks, and a block of specials among both
        let negative = (0..<3000).map { _ in -Foundation.pow(10, Double.random(in: -3...3.1, using: &rng)) }
        let mixed = (0..<3000).map { i in
            i % 2 == 0 ? Double.random(in: -800...800, using: &rng) : Double.random(in: -5...5, using: &rng)
        }
        // blocks of one form only (the other streams empty), and a negative block but for one +0
        // (which, like a NaN with a clear sign, takes the seven-stream sort)
        var oneForm: [Double] = []
        for (start, width) in [(0.0, -0.25), (-0.25, -3.75), (-4.0, -60.0), (-64.0, -700.0)] {
            oneForm += (1...1024).map { (i: Int) -> Double in start + width * Double(i) / 1025 }
        }
        var plusZero: [Double] = Array(negative.prefix(1000))
        plusZero += [0.0] + Array(negative.prefix(23)) + [Double.nan] + Array(negative.prefix(1023))
        var block: [Double] = negative + specials + mixed
        block += specials + Array(negative.prefix(1500)) + oneForm + plusZero
        let all = block + block.reversed() + block  // > 16384 elements: 2 threads split it
        for n in [1, 7, 8, 9, 1023, 1024, 1025, 2047, 2049, all.count] {
            for offset in [0, 3] where offset + n <= all.count {
                let xs = Array(all[offset..<(offset + n)])
                let xf = xs.map { Float($0) }
                var bits64: [[UInt64]] = [], bits32: [[UInt32]] = []
                for (isa, threads) in [(WT_ISA_AVX2_FMA, Int32(1)), (WT_ISA_AVX512, 1), (WT_ISA_AVX512, 2)] {
                    XCTAssertEqual(wt_set_isa(isa), isa)
                    _ = wt_set_num_threads(threads)
                    let y = apply(wt_expi_array, xs), yf = apply(wt_expif_array, xf)
                    XCTAssertEqual(applyInPlace(wt_expi_array, xs).map(\.bitPattern), y.map(\.bitPattern), "in place, n = \(n)")
                    XCTAssertEqual(applyInPlace(wt_expif_array, xf).map(\.bitPattern), yf.map(\.bitPattern), "in place (float), n = \(n)")
                    bits64.append(y.map(\.bitPattern))
                    bits32.append(yf.map(\.bitPattern))
                }
                for k in 1..<bits64.count {
                    for i in 0..<n where bits64[k][i] != bits64[0][i] || bits32[k][i] != bits32[0][i] {
                        XCTFail("n = \(n), offset \(offset), run \(k): Ei(\(xs[i])) = \(Double(bitPattern: bits64[k][i])) vs AVX2 \(Double(bitPattern: bits64[0][i])); float \(Float(bitPattern: bits32[k][i])) vs \(Float(bitPattern: bits32[0][i]))")
                        break
                    }
                }
            }
        }
        // with flush-to-zero on (wt_set_flush_denormals), the subnormal results of −745 < x < −708
        // are flushed on both tiers alike (the AVX-512 tier forms them without a multiply otherwise)
        let savedFlush = wt_get_flush_denormals()
        defer { wt_set_flush_denormals(savedFlush) }
        _ = wt_set_num_threads(1)
        wt_set_flush_denormals(1)
        var flushed: [[UInt64]] = []
        for isa in [WT_ISA_AVX2_FMA, WT_ISA_AVX512] {
            XCTAssertEqual(wt_set_isa(isa), isa)
            flushed.append(apply(wt_expi_array, all).map(\.bitPattern))
        }
        XCTAssertEqual(flushed[0], flushed[1], "flush-to-zero: AVX2 and AVX-512 differ")
        XCTAssertTrue(zip(all, flushed[1]).contains { $0.0 > -740 && $0.0 < -720 && $0.1 == (-0.0).bitPattern },
                      "flush-to-zero flushed a subnormal Ei")
    }

    /// The AVX2 tier sorts arrays of 16 elements or more by form (three streams of indices, expi.c
    /// `ei2_*`) and evaluates shorter ones with the branch-free form (every form in every lane,
    /// blended): the same operations per element, so the same bits. Every element of long arrays —
    /// negative only (−1/α), mixed signs, one form only, special values (±0, ±inf, NaN of either
    /// sign, |x| ≥ 1024, the underflow below −708, the zero x0, subnormals) — against the same element
    /// alone, float64 and float32, with ragged lengths and block boundaries (512), out of place and
    /// in place, at 1 and 2 threads, and with flush-to-zero on.
    func testSortedAVX2TierGivesTheBranchFreeBits() throws {
        guard wt_detected_isa().rawValue >= WT_ISA_AVX2_FMA.rawValue else {
            throw XCTSkip("the host (or WIRTINGER_ISA) has no AVX2 tier")
        }
        let savedISA = wt_active_isa(), savedThreads = wt_get_num_threads()
        defer { _ = wt_set_isa(savedISA); _ = wt_set_num_threads(savedThreads) }
        XCTAssertEqual(wt_set_isa(WT_ISA_AVX2_FMA), WT_ISA_AVX2_FMA)
        var rng = SplitMix64(state: 11)
        let specials: [Double] = [0, -0.0, .infinity, -.infinity, .nan, -Double.nan, 1024, -1024, 2000, -2000, -745,
                                  -750, -1000, -1023.99, -700, -708.5, -720, 716.5, 709.9, 0.125, -0.25, 0.25, 0.5,
                                  0.1249999, -0.2499999, 4, -4, 3.99999, -3.99999, 64, -64, 0.37250741078136663,
                                  .leastNonzeroMagnitude, -.leastNonzeroMagnitude, -.leastNormalMagnitude, 1e-300,
                                  -1e-300, -1e300, 1e300, -1e20]
        let negative = (0..<3000).map { _ in -Foundation.pow(10, Double.random(in: -3...3.1, using: &rng)) }
        let mixed = (0..<3000).map { i in
            i % 2 == 0 ? Double.random(in: -800...800, using: &rng) : Double.random(in: -5...5, using: &rng)
        }
        var oneForm: [Double] = []
        for (start, width) in [(0.0, -0.25), (-0.25, -3.75), (-4.0, -60.0), (0.125, 3.875), (4.0, 700.0)] {
            oneForm += (1...600).map { (i: Int) -> Double in start + width * Double(i) / 601 }
        }
        var block: [Double] = negative + specials + mixed
        block += oneForm + specials + Array(negative.prefix(1500))
        let all = block + block.reversed() + block  // > 32768 elements: 2 threads split it
        let allF = all.map { Float($0) }
        func alone(_ xs: [Double], _ xf: [Float]) -> ([UInt64], [UInt32]) {
            (xs.map { apply(wt_expi_array, [$0])[0].bitPattern }, xf.map { apply(wt_expif_array, [$0])[0].bitPattern })
        }
        let (ref64, ref32) = alone(all, allF)
        for threads in [Int32(1), 2] {
            _ = wt_set_num_threads(threads)
            for n in [16, 17, 23, 511, 512, 513, 1030, 4097, all.count] {
                for offset in [0, 3] where offset + n <= all.count {
                    let xs = Array(all[offset..<(offset + n)]), xf = Array(allF[offset..<(offset + n)])
                    let runs: [(String, [UInt64], [UInt32])] = [
                        ("out of place", apply(wt_expi_array, xs).map(\.bitPattern), apply(wt_expif_array, xf).map(\.bitPattern)),
                        ("in place", applyInPlace(wt_expi_array, xs).map(\.bitPattern), applyInPlace(wt_expif_array, xf).map(\.bitPattern)),
                    ]
                    for (how, y64, y32) in runs {
                        for i in 0..<n where y64[i] != ref64[offset + i] || y32[i] != ref32[offset + i] {
                            XCTFail("\(how), n = \(n), offset \(offset), \(threads) threads: Ei(\(xs[i])) = \(Double(bitPattern: y64[i])) vs \(Double(bitPattern: ref64[offset + i])) alone; float \(Float(bitPattern: y32[i])) vs \(Float(bitPattern: ref32[offset + i]))")
                            break
                        }
                    }
                }
            }
        }
        // flush-to-zero on: the subnormal results of −745 < x < −708 flushed alike in both forms
        let savedFlush = wt_get_flush_denormals()
        defer { wt_set_flush_denormals(savedFlush) }
        _ = wt_set_num_threads(1)
        wt_set_flush_denormals(1)
        let (flushed64, flushed32) = alone(all, allF)
        XCTAssertEqual(apply(wt_expi_array, all).map(\.bitPattern), flushed64, "flush-to-zero: sorted and branch-free forms differ")
        XCTAssertEqual(apply(wt_expif_array, allF).map(\.bitPattern), flushed32, "flush-to-zero (float)")
        XCTAssertTrue(zip(all, flushed64).contains { $0.0 > -740 && $0.0 < -720 && $0.1 == (-0.0).bitPattern },
                      "flush-to-zero flushed a subnormal Ei")
    }

    /// Many callers at once: one of them at a time sorts in the AVX-512 tier's static buffers
    /// (expi.c, ei512_claim_fixed), the others in their own stack frames. Whichever buffers a call
    /// gets, its results have the bits of the same call made alone, in float64 and float32.
    func testConcurrentCallersGetTheBitsOfOneCaller() {
        let savedThreads = wt_get_num_threads()
        defer { _ = wt_set_num_threads(savedThreads) }
        _ = wt_set_num_threads(1)
        let callers = 12
        var rng = SplitMix64(state: 23)
        let inputs: [[Double]] = (0..<callers).map { c in
            (0..<(3000 + 517 * c)).map { i in
                i % 3 == 0 ? Double.random(in: -60...60, using: &rng)
                    : -Foundation.pow(10, Double.random(in: -3...3.1, using: &rng))
            }
        }
        let alone = inputs.map { apply(wt_expi_array, $0).map(\.bitPattern) }
        let aloneF = inputs.map { apply(wt_expif_array, $0.map { Float($0) }).map(\.bitPattern) }
        final class Mismatches: @unchecked Sendable {
            private let lock = NSLock()
            private var names: [String] = []
            func add(_ s: String) { lock.lock(); names.append(s); lock.unlock() }
            var all: [String] { lock.lock(); defer { lock.unlock() }; return names }
        }
        let mismatches = Mismatches()
        for round in 0..<10 {
            DispatchQueue.concurrentPerform(iterations: callers) { c in
                if apply(wt_expi_array, inputs[c]).map(\.bitPattern) != alone[c] { mismatches.add("round \(round) caller \(c) float64") }
                if apply(wt_expif_array, inputs[c].map { Float($0) }).map(\.bitPattern) != aloneF[c] {
                    mismatches.add("round \(round) caller \(c) float32")
                }
            }
        }
        XCTAssertEqual(mismatches.all, [])
    }

    /// Outputs of 4 MiB or more, 64-byte aligned and not in place, are written by the AVX-512 tier
    /// with streaming stores (and the last partial vector with a masked store): the same bits as
    /// the AVX2 tier, and as the same call into an output that is not 64-byte aligned (regular
    /// stores); at 1 thread, and at 2 on twice the length (each thread's half then streams).
    func testLargeOutputsGiveTheAVX2Bits() throws {
        guard wt_detected_isa().rawValue >= WT_ISA_AVX512.rawValue else {
            throw XCTSkip("the host (or WIRTINGER_ISA) has no AVX-512 tier to compare with AVX2")
        }
        let savedISA = wt_active_isa(), savedThreads = wt_get_num_threads()
        defer { _ = wt_set_isa(savedISA); _ = wt_set_num_threads(savedThreads) }
        var rng = SplitMix64(state: 11)
        let most = (1 << 20) + 26
        let x = UnsafeMutablePointer<Double>.allocate(capacity: 2 * most + 16)
        let xf = UnsafeMutablePointer<Float>.allocate(capacity: 2 * most + 16)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 16 * most + 128, alignment: 64)
        defer { x.deallocate(); xf.deallocate(); raw.deallocate() }
        for i in 0..<(2 * most) {
            let v: Double = i % 5 == 4 ? Double.random(in: -800...800, using: &rng)
                : -Foundation.pow(10, Double.random(in: -3...3.1, using: &rng))
            x[i] = v
            xf[i] = Float(v)
        }
        // 4 MiB + 104 bytes of float64 (the float32 run uses 2n elements) at 1 thread, twice that at 2
        for (n, threads) in [((1 << 19) + 13, Int32(1)), (most, 2)] {
            _ = wt_set_num_threads(threads)
            func run(_ isa: wt_isa, offset: Int) -> ([UInt64], [UInt32]) {
                XCTAssertEqual(wt_set_isa(isa), isa)
                let y = (raw + offset).bindMemory(to: Double.self, capacity: n)
                wt_expi_array(x, y, n)
                let d = (0..<n).map { y[$0].bitPattern }
                let yf = (raw + offset).bindMemory(to: Float.self, capacity: 2 * n)
                wt_expif_array(xf, yf, 2 * n)
                return (d, (0..<(2 * n)).map { yf[$0].bitPattern })
            }
            let avx2 = run(WT_ISA_AVX2_FMA, offset: 0)
            for offset in [0, 8] {
                let avx512 = run(WT_ISA_AVX512, offset: offset)
                XCTAssertEqual(avx512.0, avx2.0, "float64, output offset \(offset), \(threads) threads")
                XCTAssertEqual(avx512.1, avx2.1, "float32, output offset \(offset), \(threads) threads")
            }
        }
    }

    /// The complex variational-dropout KL (cplxmodule CplxVDMixin.penalty):
    /// γ_E − log α − Ei(−exp(−log α)), reference values from the cplxmodule inventory §8.8.
    func testComplexVariationalDropoutPenalty() {
        let logAlpha: [Double] = [-10, -3, -1, 0, 1, 3, 10]
        let expected: [Double] = [10.577216, 3.577216, 1.595948, 0.7966, 0.336631, 0.049174, 4.5e-05]
        let args = logAlpha.map { -exp(-$0) }
        forEachISA { path in
            let ei = apply(wt_expi_array, args)
            for i in logAlpha.indices {
                let penalty = 0.5772156649015329 - logAlpha[i] - ei[i]
                XCTAssertEqual(penalty, expected[i], accuracy: 1e-6, "\(path): log α = \(logAlpha[i])")
            }
            let torchExpi = apply(wt_expif_array, [Float(-5), -1, -0.1])
            XCTAssertEqual(torchExpi[0], -0.0011483, accuracy: 1e-7)
            XCTAssertEqual(torchExpi[1], -0.2193839, accuracy: 1e-7)
            XCTAssertEqual(torchExpi[2], -1.8229239, accuracy: 1e-7)
        }
    }
}
