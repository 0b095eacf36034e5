import XCTest
import Autodiff
import Kernels
import NN
import Ops
@testable import Relevance
import TestSupport

/// The complex row-window layout (`ComplexCSRRowWindow`) and the small-batch complex product that
/// reads it (`wt_ccsr_linear_windowed`, Sources/Kernels/sparse_cwindow.c, through
/// `SparseComplexLinear`): the layout holds every complex nonzero once, and the product matches a
/// float64 reference at every tier, batches 1–3, with and without bias, 1 and 2 threads giving the
/// same bits, fully masked rows, NaN and infinite inputs.
final class SparseComplexRowWindowTests: XCTestCase {
    /// Whether compiled layers build the 16-lane layout (a CPU with the AVX-512 tier).
    static let hasAVX512 = wt_detected_isa() == WT_ISA_AVX512
    /// Whether compiled layers build a window (a CPU with the AVX2 or AVX-512 tier: the 8-lane or
    /// the 16-lane layout).
    static let hasWindow = wt_detected_isa().rawValue >= WT_ISA_AVX2_FMA.rawValue

    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    /// Every tier this machine (and WIRTINGER_ISA) allows, highest first.
    var tiers: [wt_isa] { (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) }

    /// A complex float32 weight `[out, in]`, a 0/1 mask keeping about `keep` of it (rows in
    /// `emptyRows` fully masked) and a complex float32 bias `[out]`.
    func problem(out: Int, in inF: Int, keep: Double, emptyRows: Set<Int> = [], seed: UInt64)
        -> (w: ComplexTensor, m: Tensor, b: ComplexTensor) {
        (Sample.complex([out, inF], seed: seed, dtype: .float32),
         randomRowMask(out: out, in: inF, keep: keep, emptyRows: emptyRows, seed: seed + 1),
         Sample.complex([out], seed: seed + 2, dtype: .float32))
    }

    func assertWithin(_ y: ComplexTensor, _ ref: (re: [Double], im: [Double], bound: [Double]), _ what: String,
                      file: StaticString = #filePath, line: UInt = #line) {
        let gr = y.real.scalars, gi = y.imag.scalars
        XCTAssertEqual(gr.count, ref.re.count, what, file: file, line: line)
        var worst = 0.0, at = -1
        for i in 0..<min(gr.count, ref.re.count) {
            let e = max(abs(gr[i] - ref.re[i]), abs(gi[i] - ref.im[i])) - ref.bound[i]
            if e > worst || at < 0 { worst = max(worst, e); at = i }
        }
        XCTAssertLessThanOrEqual(worst, 0, "\(what): element \(at) is outside the float32 summation bound by \(worst)",
                                 file: file, line: line)
    }

    /// Shapes: slices full and partial (1, 15, 16, 17, 40 rows), two groups' worth of slices
    /// (417 rows), the narrowest windowed weight (32 columns), windows clamped at the last column
    /// (33, 100), the bench's 784 inputs; empty, sparse, moderately dense and full masks with
    /// fully masked rows.
    func cases() -> [(w: ComplexTensor, m: Tensor, b: ComplexTensor, what: String)] {
        var out: [(ComplexTensor, Tensor, ComplexTensor, String)] = []
        var seed: UInt64 = 700
        for (rows, cols) in [(1, 32), (15, 33), (16, 100), (17, 32), (40, 784), (417, 64)] {
            for keep in [0.0, 0.03, 0.3, 1.0] {
                seed += 3
                let (w, m, b) = problem(out: rows, in: cols, keep: keep, emptyRows: rows > 2 ? [0, rows - 2] : [], seed: seed)
                out.append((w, m, b, "\(rows)×\(cols) keep \(keep)"))
            }
        }
        for keep in [0.05, 0.01] {  // the bench's CplxLinear(784, 400)
            let (w, m, b) = problem(out: 400, in: 784, keep: keep, emptyRows: [0, 398], seed: 790)
            out.append((w, m, b, "400×784 keep \(keep)"))
        }
        return out
    }

    /// The (vector, slice, window start) of every stored vector of `d`, in stored order.
    func vectors(_ d: wt_sparse_window) -> [(v: Int, slice: Int, base: Int)] {
        var out: [(Int, Int, Int)] = []
        if d.by_position == 0 || d.by_position == WT_CWINDOW_LANES8 {
            for s in 0..<d.slices {
                for v in Int(d.slice_start[s])..<Int(d.slice_start[s + 1]) { out.append((v, s, Int(d.base[v]))) }
            }
            return out
        }
        let group = Int(WT_CWINDOW_GROUP)
        for g in 0..<d.groups {
            var v = Int(d.group_start[g])
            for p in 0..<d.positions {
                for j in 0..<group {
                    for _ in 0..<Int(d.count[(g * d.positions + p) * group + j]) {
                        out.append((v, g * group + j, 16 * p))
                        v += 1
                    }
                }
            }
            XCTAssertEqual(v, Int(d.group_start[g + 1]), "group \(g): counts and starts disagree")
        }
        return out
    }

    /// Decoding the layout, in both orders, gives back the complex CSR nonzeros, each once, in
    /// ascending columns per row, with the imaginary part in the lane of the real one.
    func testLayoutHoldsEveryComplexNonzeroOnceInRowOrder() {
        for (w, m, _, what) in cases() {
            let csr = ComplexCSRMatrix(dense: w, mask: m)
            for order: Int32 in [0, 1, WT_CWINDOW_LANES8] {
                guard let window = ComplexCSRRowWindow(csr, order: order) else { XCTFail("\(what): no window"); continue }
                let d = window.descriptor.pointee
                let label = "\(what), order \(order)"
                // 16 lanes and 32-column windows at multiples of 16, or (AVX2 layout) 8 and 16 at multiples of 8.
                let lanes = order == WT_CWINDOW_LANES8 ? 8 : 16
                XCTAssertEqual(d.slices, (csr.rows + lanes - 1) / lanes, label)
                XCTAssertEqual(d.by_position, order, label)
                XCTAssertEqual(d.vectors, window.vectorCount, label)
                var rows = [[(Int, Float, Float)]](repeating: [], count: csr.rows)
                let all = vectors(d)
                XCTAssertEqual(all.map { $0.v }, Array(0..<d.vectors), "\(label): vectors not stored once each in order")
                for (v, s, base) in all {
                    XCTAssertEqual(base % lanes, 0, label)
                    XCTAssertLessThanOrEqual(base + 2 * lanes, (csr.columns + lanes - 1) / lanes * lanes, "\(label): window past the padded input")
                    XCTAssertEqual(Int(d.mask[v]) >> lanes, 0, label)
                    for lane in 0..<lanes {
                        let on = d.mask[v] & UInt16(1 << lane) != 0
                        let re = d.values[lanes * v + lane], im = window.imaginaryValues[lanes * v + lane]
                        if on {
                            XCTAssertLessThan(lanes * s + lane, csr.rows, label)
                            XCTAssertLessThan(Int(d.index[lanes * v + lane]), 2 * lanes, label)
                            rows[lanes * s + lane].append((base + Int(d.index[lanes * v + lane]), re, im))
                        } else {
                            XCTAssertEqual(re, 0, label); XCTAssertEqual(im, 0, label); XCTAssertEqual(d.index[lanes * v + lane], 0, label)
                        }
                    }
                }
                let rp = csr.pattern.rowPointers, ci = csr.pattern.columnIndices
                for r in 0..<csr.rows {
                    let want = (Int(rp[r])..<Int(rp[r + 1])).map { (Int(ci[$0]), csr.pattern.values[$0], csr.imaginaryValues[$0]) }
                    XCTAssertEqual(rows[r].map { $0.0 }, want.map { $0.0 }, "\(label), row \(r): columns")
                    XCTAssertEqual(rows[r].map { $0.1 }, want.map { $0.1 }, "\(label), row \(r): real parts")
                    XCTAssertEqual(rows[r].map { $0.2 }, want.map { $0.2 }, "\(label), row \(r): imaginary parts")
                }
            }
            // The row order: the shape, the nonzero count and (since session 13) its sorted slices
            // decoded: the rows sorted by nonzero count (longest first, ties in row order) in slices
            // of 4, as many steps per slice as its first row has nonzeros, each row's columns and
            // pair values (vr, vr, vi, vi) in CSR order in its lanes, column `cols` and zeros past its
            // end and in lanes past the last row (marked by the row count).
            guard let byRows = ComplexCSRRowWindow(csr, order: WT_WINDOW_ROWS) else { XCTFail("\(what): no row order"); continue }
            let d = byRows.descriptor.pointee, nonzeros = csr.pattern.values.count
            XCTAssertEqual(d.by_position, WT_WINDOW_ROWS, what)
            XCTAssertEqual(d.rows, csr.rows, what)
            XCTAssertEqual(d.cols, csr.columns, what)
            XCTAssertEqual(d.vectors, nonzeros, what)
            XCTAssertEqual(byRows.vectorCount, nonzeros, what)
            XCTAssertEqual(d.values, byRows.imaginaryValues, what)
            guard let starts = d.slice_start, let rowOf = d.base, let index = d.index16, let w16 = d.values else {
                XCTFail("\(what): no sorted slices"); continue
            }
            XCTAssertEqual(UInt(bitPattern: w16) % 32, 0, "\(what): pair values not 32-byte aligned")
            let rp = csr.pattern.rowPointers, ci = csr.pattern.columnIndices
            let length = { (r: Int) in Int(rp[r + 1] - rp[r]) }
            let slices = (csr.rows + 3) / 4
            XCTAssertEqual(d.slices, slices, what)
            XCTAssertEqual(starts[0], 0, what)
            let lanes = (0..<(4 * slices)).map { Int(rowOf[$0]) }
            XCTAssertEqual(Array(lanes.prefix(csr.rows)), (0..<csr.rows).sorted { (length($0), -$0) > (length($1), -$1) },
                           "\(what): rows not sorted by nonzero count")
            XCTAssertTrue(lanes.dropFirst(csr.rows).allSatisfy { $0 == csr.rows }, "\(what): padded lanes")
            for sl in 0..<slices {
                let first = Int(starts[sl]), steps = Int(starts[sl + 1]) - first
                XCTAssertEqual(steps, length(lanes[4 * sl]), "\(what): steps of slice \(sl)")
                for lane in 0..<4 {
                    let r = lanes[4 * sl + lane], n = r < csr.rows ? length(r) : 0
                    for o in 0..<steps {
                        let t = first + o
                        let got = (0..<4).map { w16[16 * t + 4 * lane + $0].bitPattern }
                        if o < n {
                            let k = Int(rp[r]) + o
                            let vr = csr.pattern.values[k].bitPattern, vi = csr.imaginaryValues[k].bitPattern
                            XCTAssertEqual(Int32(index[4 * t + lane]), ci[k], "\(what): column of row \(r), nonzero \(o)")
                            XCTAssertEqual(got, [vr, vr, vi, vi], "\(what): pair values of row \(r), nonzero \(o)")
                        } else {
                            XCTAssertEqual(Int(index[4 * t + lane]), csr.columns, "\(what): padded lane \(lane) of slice \(sl)")
                            XCTAssertEqual(got, [0, 0, 0, 0], "\(what): padded lane \(lane) of slice \(sl)")
                        }
                    }
                }
            }
            XCTAssertEqual(Int(starts[slices]), (0..<slices).reduce(0) { $0 + length(lanes[4 * $1]) }, what)
        }
    }

    /// The complex row order's sorted slices (session 13) give the per-row product's bits: against
    /// a descriptor of the same pattern without slices (its values the CSR-order pair values of
    /// `wt_ccsr_rows_fill`), at the AVX2 and AVX-512 tiers, batches 1–3, with and without bias, 1
    /// and 2 threads, finite inputs and inputs with a NaN and infinities in either part.
    func testRowOrderSortedSlicesGiveThePerRowBits() {
        let isas = tiers.filter { $0.rawValue >= WT_ISA_AVX2_FMA.rawValue }
        for (w, m, b, what) in cases() {
            let csr = ComplexCSRMatrix(dense: w, mask: m), p = csr.pattern
            guard let sorted = ComplexCSRRowWindow(csr, order: WT_WINDOW_ROWS) else { XCTFail(what); continue }
            XCTAssertNotNil(sorted.descriptor.pointee.index16, what)
            let nonzeros = p.values.count
            var pairs = [Float](repeating: 0, count: Swift.max(4 * nonzeros, 4))
            let rows = csr.rows, cols = csr.columns
            let br = b.real.scalars(as: Float.self), bi = b.imag.scalars(as: Float.self)
            func product(_ d: wt_sparse_window, _ xr: [Float], _ xi: [Float], _ n: Int, bias: Bool) -> [UInt32] {
                var d = d
                var yr = [Float](repeating: -7, count: n * rows), yi = yr
                p.withArrays { rp, ci, vp in
                    csr.imaginaryValues.withUnsafeBufferPointer { vi in
                        yr.withUnsafeMutableBufferPointer { yrp in
                            yi.withUnsafeMutableBufferPointer { yip in
                                XCTAssertEqual(wt_ccsr_linear_windowed(rows, cols, rp, ci, vp, vi.baseAddress, &d, vp,
                                                                       bias ? br : nil, bias ? bi : nil, n, xr, xi, cols,
                                                                       yrp.baseAddress, yip.baseAddress, rows), 0)
                            }
                        }
                    }
                }
                return (yr + yi).map(\.bitPattern)
            }
            pairs.withUnsafeMutableBufferPointer { w4 in
                p.values.withUnsafeBufferPointer { vr in
                    csr.imaginaryValues.withUnsafeBufferPointer { vi in wt_ccsr_rows_fill(nonzeros, vr.baseAddress, vi.baseAddress, w4.baseAddress) }
                }
            }
            pairs.withUnsafeBufferPointer { w4 in
                var perRow = sorted.descriptor.pointee
                perRow.index16 = nil
                perRow.slice_start = nil
                perRow.base = nil
                perRow.slices = 0
                perRow.values = w4.baseAddress
                for isa in isas {
                    _ = wt_set_isa(isa)
                    for n in [1, 2, 3] {
                        var xr = Sample.normal([n, cols], seed: UInt64(860 + n), dtype: .float32).scalars(as: Float.self)
                        var xi = Sample.normal([n, cols], seed: UInt64(870 + n), dtype: .float32).scalars(as: Float.self)
                        for nonFinite in [false, true] {
                            if nonFinite { xr[0] = .nan; xi[n * cols - 1] = .infinity; xr[cols / 2] = -.infinity }
                            for bias in [true, false] {
                                for threads in [1, 2] {
                                    _ = wt_set_num_threads(Int32(threads))
                                    XCTAssertEqual(product(sorted.descriptor.pointee, xr, xi, n, bias: bias), product(perRow, xr, xi, n, bias: bias),
                                                   "\(what), isa \(isa.rawValue), batch \(n), non-finite \(nonFinite), bias \(bias), \(threads) threads")
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The layer's window takes the order `wt_ccsr_window_order` picks on a CPU with the AVX-512
    /// tier: position order for the bench's CplxLinear(784, 400) at 95 % and 99 % sparsity, slice
    /// order at 99.8 %; on a CPU with the AVX2 tier only, the row order below 4.75 nonzeros per
    /// 8-lane vector (`CSRRowWindow.avx2Order`: 90 % (4.5 per vector), 95 %, 99 % and 99.8 %;
    /// checked on any CPU) and the 8-lane layout above (85 %: 5.2 per vector, 70 %).
    func testLayerPicksTheOrder() {
        for (keep, order, avx2) in [(0.1, Int32(1), WT_WINDOW_ROWS), (0.05, Int32(1), WT_WINDOW_ROWS),
                                    (0.01, Int32(1), WT_WINDOW_ROWS), (0.002, Int32(0), WT_WINDOW_ROWS),
                                    (0.15, Int32(1), WT_CWINDOW_LANES8), (0.3, Int32(1), WT_CWINDOW_LANES8)] {
            let (w, m, b) = problem(out: 400, in: 784, keep: keep, seed: 795)
            let csr = ComplexCSRMatrix(dense: w, mask: m)
            XCTAssertEqual(CSRRowWindow.avx2Order(csr.pattern, complex: true), avx2, "keep \(keep)")
            guard Self.hasWindow else { continue }
            let layer = SparseComplexLinear(weight: w, bias: b, mask: m)
            XCTAssertEqual(layer.window?.descriptor.pointee.by_position, Self.hasAVX512 ? order : avx2, "keep \(keep)")
        }
    }

    /// Batches 1–3 take the window product (AVX-512 tier; the others the gathered products),
    /// batch 4 the tiles: in both orders of the layout and through the compiled layer, every tier
    /// within the float64 bound, with and without bias, 1 and 2 threads giving the same bits, a
    /// fully masked row giving exactly the bias (or +0).
    func testSmallBatchesMatchTheReferenceAtEveryTierAndThreadCount() {
        for (w, m, b, what) in cases() {
            for bias in [true, false] {
                let layer = SparseComplexLinear(weight: w, bias: bias ? b : nil, mask: m, maxDensity: 1)
                XCTAssertTrue(layer.isCSR, what)
                XCTAssertEqual(layer.window != nil, Self.hasWindow, what)
                let csr = ComplexCSRMatrix(dense: w, mask: m)
                let plans = [Int32(0), 1, WT_CWINDOW_LANES8, WT_WINDOW_ROWS].map {
                    SparseComplexLinearPlan(csr, bias: bias ? b : nil, window: ComplexCSRRowWindow(csr, order: $0))
                }
                let rows = w.shape[0], cols = w.shape[1]
                let empty = rows > 2 ? [0, rows - 2] : []
                for isa in tiers {
                    _ = wt_set_isa(isa)
                    for n in [1, 2, 3, 4] {
                        let z = Sample.complex([n, cols], seed: UInt64(800 + n), dtype: .float32)
                        let ref = maskedComplexLinearReference(z, w, m, bias ? b : nil)
                        let calls: [() -> ComplexTensor] = [{ layer(z) }, { plans[0].linear(z) }, { plans[1].linear(z) }, { plans[2].linear(z) },
                                                            { plans[3].linear(z) }]
                        for k in 0..<calls.count {
                            let call = calls[k]
                            _ = wt_set_num_threads(1)
                            let one = call()
                            _ = wt_set_num_threads(2)
                            let two = call()
                            let label = "\(what), bias \(bias), isa \(isa.rawValue), batch \(n), \(["layer", "slice order", "position order", "8-lane layout", "row order"][k])"
                            XCTAssertEqual(one.real.scalars(as: Float.self).map { $0.bitPattern }, two.real.scalars(as: Float.self).map { $0.bitPattern },
                                           "\(label): thread counts differ (real part)")
                            XCTAssertEqual(one.imag.scalars(as: Float.self).map { $0.bitPattern }, two.imag.scalars(as: Float.self).map { $0.bitPattern },
                                           "\(label): thread counts differ (imaginary part)")
                            assertWithin(two, ref, label)
                            let yr = two.real.scalars(as: Float.self), yi = two.imag.scalars(as: Float.self)
                            let br = b.real.scalars(as: Float.self), bi = b.imag.scalars(as: Float.self)
                            for i in 0..<n {
                                for r in empty {
                                    XCTAssertEqual(yr[i * rows + r].bitPattern, (bias ? br[r] : 0).bitPattern, "\(label): empty row \(r)")
                                    XCTAssertEqual(yi[i * rows + r].bitPattern, (bias ? bi[r] : 0).bitPattern, "\(label): empty row \(r)")
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The bench's weight at 95 % sparsity with 816 rows (51 slices), big enough to be split over
    /// two threads at batch 1: same bits as one thread, within the bound, at every tier.
    func testLargeWeightSplitsOverThreadsWithTheSameBits() {
        let (w, m, b) = problem(out: 816, in: 784, keep: 0.05, seed: 810)
        let layer = SparseComplexLinear(weight: w, bias: b, mask: m)
        XCTAssertEqual(layer.window != nil, Self.hasWindow)
        for isa in tiers {
            _ = wt_set_isa(isa)
            let z = Sample.complex([1, 784], seed: 811, dtype: .float32)
            _ = wt_set_num_threads(1)
            let one = layer(z)
            _ = wt_set_num_threads(2)
            let two = layer(z)
            XCTAssertEqual(two.real.scalars, one.real.scalars, "isa \(isa.rawValue)")
            XCTAssertEqual(two.imag.scalars, one.imag.scalars, "isa \(isa.rawValue)")
            assertWithin(one, maskedComplexLinearReference(z, w, m, b), "isa \(isa.rawValue)")
        }
    }

    /// In both orders of the layout, a NaN or an infinity in either part of an input reaches only
    /// the rows with a nonzero in its column (absent lanes are masked, not multiplied by 0); the other rows have the bits of the
    /// product of the same input with that entry finite (the unmasked product at the AVX-512 tier).
    func testNonFiniteInputsReachOnlyTheRowsThatReadThem() {
        for (rows, cols, keep, order) in [(33, 64, 0.1, Int32(0)), (33, 64, 0.6, Int32(1)), (400, 784, 0.05, Int32(1)),
                                          (400, 784, 0.01, Int32(0)), (400, 784, 0.01, Int32(1)), (33, 64, 0.1, WT_CWINDOW_LANES8),
                                          (400, 784, 0.05, WT_CWINDOW_LANES8), (33, 64, 0.1, WT_WINDOW_ROWS), (400, 784, 0.01, WT_WINDOW_ROWS),
                                          (400, 784, 0.05, WT_WINDOW_ROWS)] {
            let (w, m, b) = problem(out: rows, in: cols, keep: keep, seed: 820)
            let csr = ComplexCSRMatrix(dense: w, mask: m)
            let layer = SparseComplexLinearPlan(csr, bias: b, window: ComplexCSRRowWindow(csr, order: order))
            let ms = m.scalars
            // Also entries near the end of a 784-wide input (columns 720 and 780): the finiteness
            // scan must reach its last vectors.
            let late: [(Int, Bool, Float)] = cols == 784 ? [(720, true, -Float.infinity), (780, false, Float.nan)] : []
            for isa in tiers {
                _ = wt_set_isa(isa)
                for (column, imaginary, value) in [(5, false, Float.nan), (40, true, Float.infinity), (41, false, Float.infinity),
                                                   (6, true, Float.nan)] + late {
                    let z = Sample.complex([1, cols], seed: 821, dtype: .float32)
                    var xr = z.real.scalars(as: Float.self), xi = z.imag.scalars(as: Float.self)
                    if imaginary { xi[column] = value } else { xr[column] = value }
                    let y = layer.linear(ComplexTensor(real: Tensor(shape: [1, cols], scalars: xr), imag: Tensor(shape: [1, cols], scalars: xi)))
                    if imaginary { xi[column] = 0.5 } else { xr[column] = 0.5 }
                    let f = layer.linear(ComplexTensor(real: Tensor(shape: [1, cols], scalars: xr), imag: Tensor(shape: [1, cols], scalars: xi)))
                    let yr = y.real.scalars(as: Float.self), yi = y.imag.scalars(as: Float.self)
                    let fr = f.real.scalars(as: Float.self), fi = f.imag.scalars(as: Float.self)
                    XCTAssertTrue((0..<rows).contains { ms[$0 * cols + column] != 0 }, "no row reads column \(column)")
                    for r in 0..<rows {
                        let label = "keep \(keep), order \(order), isa \(isa.rawValue), row \(r), \(value) in part \(imaginary ? "im" : "re") at \(column)"
                        let reads = ms[r * cols + column] != 0
                        XCTAssertEqual(yr[r].isFinite, !reads, label + " (real part)")
                        XCTAssertEqual(yi[r].isFinite, !reads, label + " (imaginary part)")
                        if !reads {
                            XCTAssertEqual(yr[r].bitPattern, fr[r].bitPattern, "\(label): masked and unmasked products differ")
                            XCTAssertEqual(yi[r].bitPattern, fi[r].bitPattern, "\(label): masked and unmasked products differ")
                        }
                    }
                }
            }
        }
    }

    /// Fewer than 32 inputs have no 16-lane window and fewer than 16 no 8-lane one (the kernel then
    /// takes the gathered products); both give the reference. Dense storage has no window.
    func testNarrowAndDenseWeightsHaveNoWindow() {
        for cols in [15, 31] {
            let (w, m, b) = problem(out: 20, in: cols, keep: 0.3, seed: 830)
            let narrow = SparseComplexLinear(weight: w, bias: b, mask: m, maxDensity: 1)
            XCTAssertEqual(narrow.window == nil, cols < 16 || Self.hasAVX512 || !Self.hasWindow, "\(cols) columns")
            XCTAssertNil(ComplexCSRRowWindow(ComplexCSRMatrix(dense: w, mask: m), order: 0), "\(cols) columns")
            XCTAssertEqual(ComplexCSRRowWindow(ComplexCSRMatrix(dense: w, mask: m), order: WT_CWINDOW_LANES8) == nil, cols < 16,
                           "\(cols) columns")
            // The row order needs no window: any width.
            let csr = ComplexCSRMatrix(dense: w, mask: m)
            let byRows = SparseComplexLinearPlan(csr, bias: b, window: ComplexCSRRowWindow(csr, order: WT_WINDOW_ROWS))
            XCTAssertNotNil(byRows.window, "\(cols) columns")
            for isa in tiers {
                _ = wt_set_isa(isa)
                let z = Sample.complex([2, cols], seed: 831, dtype: .float32)
                assertWithin(narrow(z), maskedComplexLinearReference(z, w, m, b), "\(cols) columns, isa \(isa.rawValue)")
                assertWithin(byRows.linear(z), maskedComplexLinearReference(z, w, m, b), "\(cols) columns, isa \(isa.rawValue), row order")
            }
            XCTAssertNil(SparseComplexLinear(weight: w, bias: b, mask: m, maxDensity: 0.1).window)
        }
    }
}
