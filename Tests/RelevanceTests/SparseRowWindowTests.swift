import XCTest
import Autodiff
import Kernels
import NN
import Ops
@testable import Relevance
import TestSupport

/// The row-window layout of a CSR weight (`CSRRowWindow`, `wt_scsr_window_fill`) and the
/// small-batch product that reads it (`wt_scsr_linear_windowed`, through `SparseLinear`): the
/// layout holds every nonzero exactly once, and the product matches a float64 reference at every
/// tier, batch 1–3, 1 and 2 threads, on edge shapes.
final class SparseRowWindowTests: XCTestCase {
    /// Whether compiled layers build the 16-lane layout (a CPU with the AVX-512 tier).
    static let hasAVX512 = wt_detected_isa() == WT_ISA_AVX512
    /// Whether compiled layers build a window (a CPU with the AVX2 or AVX-512 tier: the 8-lane or
    /// the 16-lane layout).
    static let hasWindow = wt_detected_isa().rawValue >= WT_ISA_AVX2_FMA.rawValue
    /// The tiers a test runs at: every tier up to the detected one.
    var tiers: [wt_isa] { (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) }

    /// The layout the compiled layers of this CPU build for `csr`: `sixteenLanes` at the AVX-512
    /// tier, else the 8-lane layout or the row order, as `CSRRowWindow.avx2Order` picks.
    func expectedOrder(_ sixteenLanes: Int32, _ csr: CSRMatrix) -> Int32 {
        Self.hasAVX512 ? sixteenLanes : CSRRowWindow.avx2Order(csr, complex: false)
    }

    /// The product of `x` with `csr` through its 8-lane layout (`WT_WINDOW_LANES8`, the AVX2
    /// tier's; read at the AVX2 and AVX-512 tiers, the CSR paths at the portable one).
    func lanes8(_ csr: CSRMatrix, _ window: CSRRowWindow?, _ x: Tensor, bias: Tensor?, relu: Bool = false) -> Tensor {
        csr.linear(x, bias: bias, relu: relu, window: window)
    }

    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    /// The shapes of the tests: slices full and partial (1, 15, 16, 17, 40 rows), two groups of
    /// slices, the second partial (417 rows), the narrowest windowed weight (32 columns), a window
    /// clamped at the last column (33, 100), the bench's 784 inputs; sparse, moderately dense and
    /// full masks, empty rows, a single nonzero.
    func cases() -> [(w: Tensor, m: Tensor, b: Tensor, what: String)] {
        var out: [(Tensor, Tensor, Tensor, String)] = []
        var seed: UInt64 = 300
        for (rows, cols) in [(1, 32), (15, 33), (16, 100), (17, 32), (40, 784), (417, 64)] {
            for keep in [0.0, 0.03, 0.3, 1.0] {
                seed += 3
                let (w, m, b) = maskedLinearProblem(out: rows, in: cols, keep: keep, emptyRows: rows > 2 ? [0, rows - 2] : [], seed: seed)
                out.append((w, m, b, "\(rows)×\(cols) keep \(keep)"))
            }
        }
        // The bench's shape at 99.6 % sparsity: under 0.6 vectors per cell and a full group of 25
        // slices, so the round-robin position order (at 99 % it takes the position order).
        let (w4, m4, b4) = maskedLinearProblem(out: 400, in: 784, keep: 0.004, emptyRows: [0, 398], seed: 398)
        out.append((w4, m4, b4, "400×784 keep 0.004"))
        // One nonzero, in the last column of the last row.
        let (w, _, b) = maskedLinearProblem(out: 17, in: 40, keep: 0, seed: 399)
        var one = [Float](repeating: 0, count: 17 * 40)
        one[17 * 40 - 1] = 1
        out.append((w, Tensor(shape: [17, 40], scalars: one), b, "one nonzero"))
        return out
    }

    /// Decoding the layout (built on any CPU) gives back the CSR nonzeros, each once, in ascending columns per row,
    /// in the three orders of the vectors (by position as the counts say, by position in
    /// round-robin over the slices, or by slice), windows on
    /// multiples of 16 inside the padded input, absent lanes +0 at index 0.
    func testLayoutHoldsEveryNonzeroOnceInRowOrder() {
        var orders = Set<Int32>()
        for (w, m, _, what) in cases() {
            let csr = CSRMatrix(dense: w, mask: m)
            let count = csr.withArrays { rp, ci, _ in wt_scsr_window_count(csr.rows, csr.columns, rp, ci) }
            let picked = wt_window_by_position(csr.rows, csr.columns, count)
            guard let window = CSRRowWindow(csr, order: picked) else { XCTFail("\(what): no window for \(csr.columns) columns"); continue }
            assertLanes8Layout(csr, what)
            assertRowOrder(csr, what)
            let d = window.descriptor.pointee
            let group = Int(WT_WINDOW_GROUP)
            XCTAssertEqual(d.rows, csr.rows)
            XCTAssertEqual(d.slices, (csr.rows + 15) / 16)
            XCTAssertEqual(d.groups, (d.slices + group - 1) / group)
            // Window p covers 16p ..< 16p + 32, the last one ending at the input rounded up to 16
            // (the kernel reads a zero-padded copy of it).
            XCTAssertEqual(16 * d.positions + 16, (csr.columns + 15) / 16 * 16)
            var decoded = [[(Int32, Float)]](repeating: [], count: csr.rows)
            /// Vector v of slice s at position p: its lanes into `decoded`.
            func decode(_ v: Int, slice s: Int, position p: Int) {
                XCTAssertNotEqual(d.mask[v], 0, "\(what): an empty vector is stored")
                for lane in 0..<16 {
                    let index = d.index[16 * v + lane], value = d.values[16 * v + lane]
                    XCTAssertLessThan(index, 32)
                    if d.mask[v] >> lane & 1 == 0 {
                        XCTAssertEqual(value.bitPattern, 0, "\(what): absent lane holds \(value)")
                        XCTAssertEqual(index, 0, "\(what): absent lane reads index \(index)")
                        continue
                    }
                    XCTAssertLessThan(16 * s + lane, csr.rows, "\(what): a lane past the last row is set")
                    decoded[16 * s + lane].append((Int32(16 * p) + Int32(index), value))
                }
            }
            XCTAssertEqual(d.by_position, wt_window_by_position(csr.rows, csr.columns, d.vectors), what)
            orders.insert(d.by_position)
            var v = 0
            if d.by_position == 2 {
                XCTAssertEqual(Int(d.group_start[0]), 0)
                XCTAssertEqual(Int(d.group_start[d.groups]), d.vectors)
                for g in 0..<d.groups {
                    XCTAssertEqual(Int(d.group_start[g]), v, "\(what): group \(g) starts elsewhere")
                    for p in 0..<d.positions {
                        // Round-robin: the slices of a run ascend, and a slice at most once per run.
                        var previous = -1, seen = Set<Int>()
                        for _ in 0..<Int(d.position_count[g * d.positions + p]) {
                            let j = Int(d.slice_of[v])
                            XCTAssertLessThan(j, group)
                            if j <= previous { seen = [] }
                            XCTAssertFalse(seen.contains(j), "\(what): slice \(j) twice in one round at position \(p)")
                            XCTAssertTrue(seen.isEmpty || j > previous)
                            XCTAssertLessThan(g * group + j, d.slices, "\(what): a vector for a slice past the last")
                            seen.insert(j)
                            previous = j
                            decode(v, slice: g * group + j, position: p)
                            v += 1
                        }
                    }
                }
            } else if d.by_position != 0 {
                XCTAssertEqual(Int(d.group_start[0]), 0)
                XCTAssertEqual(Int(d.group_start[d.groups]), d.vectors)
                for g in 0..<d.groups {
                    XCTAssertEqual(Int(d.group_start[g]), v, "\(what): group \(g) starts elsewhere")
                    for p in 0..<d.positions {
                        for j in 0..<group {
                            let s = g * group + j
                            let n = Int(d.count[(g * d.positions + p) * group + j])
                            if s >= d.slices { XCTAssertEqual(n, 0, "\(what): vectors for slice \(s) past the last"); continue }
                            for _ in 0..<n { decode(v, slice: s, position: p); v += 1 }
                        }
                    }
                }
            } else {
                XCTAssertEqual(Int(d.slice_start[0]), 0)
                for s in 0..<d.slices {
                    XCTAssertEqual(Int(d.slice_start[s]), v, "\(what): slice \(s) starts elsewhere")
                    for u in Int(d.slice_start[s])..<Int(d.slice_start[s + 1]) {
                        XCTAssertEqual(d.base[u] % 16, 0, "\(what): window at \(d.base[u]), not a multiple of 16")
                        XCTAssertLessThan(Int(d.base[u]) / 16, d.positions, "\(what): window past the padded input")
                        decode(u, slice: s, position: Int(d.base[u]) / 16)
                        v += 1
                    }
                }
            }
            XCTAssertEqual(v, d.vectors, "\(what): counts do not add up to the stored vectors")
            for r in 0..<csr.rows {
                let range = Int(csr.rowPointers[r])..<Int(csr.rowPointers[r + 1])
                XCTAssertEqual(decoded[r].map(\.0), Array(csr.columnIndices[range]), "\(what): columns of row \(r)")
                XCTAssertEqual(decoded[r].map(\.1), Array(csr.values[range]), "\(what): values of row \(r)")
            }
        }
        XCTAssertEqual(orders, [0, 1, 2], "the cases do not cover the three orders of the vectors")
    }

    /// The row order of `csr` (`WT_WINDOW_ROWS`, built on any CPU): the weight's shape and nonzero
    /// count, and its sorted slices decoded (since session 13; weights of at most 65,536 columns):
    /// slices of 8 rows, the lanes' rows a permutation of the rows sorted by nonzero count (longest
    /// first, ties in row order), as many vectors per slice as its first row has nonzeros, each row's
    /// CSR columns and values in order in its lane, index 0 and value +0 past its end and in lanes
    /// past the last row (marked by the row count).
    func assertRowOrder(_ csr: CSRMatrix, _ what: String) {
        guard let window = CSRRowWindow(csr, order: WT_WINDOW_ROWS) else { XCTFail("\(what): no row order"); return }
        let d = window.descriptor.pointee
        XCTAssertEqual(d.by_position, WT_WINDOW_ROWS, what)
        XCTAssertEqual(d.rows, csr.rows, what)
        XCTAssertEqual(d.cols, csr.columns, what)
        XCTAssertEqual(d.vectors, csr.values.count, what)
        XCTAssertEqual(window.vectorCount, csr.values.count, what)
        XCTAssertNil(d.index, what)
        guard csr.columns <= 65_536 else {
            XCTAssertNil(d.index16, what)
            XCTAssertNil(d.slice_start, what)
            XCTAssertNil(d.values, what)
            return
        }
        guard let starts = d.slice_start, let rowOf = d.base, let index = d.index16, let values = d.values else {
            XCTFail("\(what): no sorted slices"); return
        }
        let slices = (csr.rows + 7) / 8
        XCTAssertEqual(d.slices, slices, what)
        XCTAssertEqual(starts[0], 0, what)
        XCTAssertEqual(Int(bitPattern: values) % 32, 0, "\(what): values not 32-byte aligned")
        let length = { (r: Int) in Int(csr.rowPointers[r + 1] - csr.rowPointers[r]) }
        let expectedRows = (0..<csr.rows).sorted { (length($0), -$0) > (length($1), -$1) }
        let lanes = (0..<(8 * slices)).map { Int(rowOf[$0]) }
        XCTAssertEqual(Array(lanes.prefix(csr.rows)), expectedRows, "\(what): rows not sorted by nonzero count")
        XCTAssertTrue(lanes.dropFirst(csr.rows).allSatisfy { $0 == csr.rows }, "\(what): padded lanes")
        for s in 0..<slices {
            let first = Int(starts[s]), count = Int(starts[s + 1]) - first
            XCTAssertEqual(count, length(lanes[8 * s]), "\(what): vectors of slice \(s)")
            for lane in 0..<8 {
                let r = lanes[8 * s + lane], n = r < csr.rows ? length(r) : 0
                for o in 0..<count {
                    let i = index[8 * (first + o) + lane], v = values[8 * (first + o) + lane]
                    if o < n {
                        let k = Int(csr.rowPointers[r]) + o
                        XCTAssertEqual(Int32(i), csr.columnIndices[k], "\(what): column of row \(r), nonzero \(o)")
                        XCTAssertEqual(v.bitPattern, csr.values[k].bitPattern, "\(what): value of row \(r), nonzero \(o)")
                    } else {
                        XCTAssertEqual(i, 0, "\(what): padded lane \(lane) of slice \(s)")
                        XCTAssertEqual(v.bitPattern, 0, "\(what): padded lane \(lane) of slice \(s)")
                    }
                }
            }
        }
        XCTAssertEqual(Int(starts[slices]), (0..<slices).reduce(0) { $0 + length(lanes[8 * $1]) }, what)
    }

    /// The row order's two forms give the same bits (session 13): the sorted slices (8 rows per
    /// vector) against the per-row loop over the CSR arrays (the same descriptor without its
    /// slices), at the AVX2 and AVX-512 tiers, batches 1–3, with and without bias and fused ReLU,
    /// for every case, including inputs with a NaN and an infinity (which take the per-row loop): in
    /// x[0] (the padded lanes' input) and elsewhere.
    func testRowOrderSortedSlicesGiveThePerRowBits() {
        let isas = tiers.filter { $0.rawValue >= WT_ISA_AVX2_FMA.rawValue }
        for (w, m, b, what) in cases() {
            let csr = CSRMatrix(dense: w, mask: m)
            guard let window = CSRRowWindow(csr, order: WT_WINDOW_ROWS) else { XCTFail(what); continue }
            XCTAssertNotNil(window.descriptor.pointee.index16, what)
            var perRow = window.descriptor.pointee
            perRow.index16 = nil
            perRow.slice_start = nil
            perRow.base = nil
            perRow.values = nil
            let rows = csr.rows, cols = csr.columns
            let bias = b.scalars(as: Float.self)
            func product(_ d: wt_sparse_window, _ x: [Float], _ n: Int, bias useBias: Bool, relu: Bool) -> [Float] {
                var d = d
                var y = [Float](repeating: -7, count: n * rows)
                csr.withArrays { rp, ci, vp in
                    bias.withUnsafeBufferPointer { bp in
                        y.withUnsafeMutableBufferPointer { yp in
                            XCTAssertEqual(wt_scsr_linear_windowed(rows, cols, rp, ci, vp, &d, useBias ? bp.baseAddress : nil, n, x, cols,
                                                                   yp.baseAddress, rows, relu ? WT_SPARSE_RELU : 0), 0)
                        }
                    }
                }
                return y
            }
            for isa in isas {
                _ = wt_set_isa(isa)
                for n in [1, 2, 3] {
                    var x = Sample.normal([n, cols], seed: UInt64(660 + n), dtype: .float32).scalars(as: Float.self)
                    for nonFinite in [0, 1, 2] {
                        // 1: a NaN in x[0] and an infinity in the last example's last input;
                        // 2: x[0] finite, a NaN and an infinity in other inputs of example 0.
                        if nonFinite == 1 { x[0] = .nan; x[n * cols - 1] = -.infinity }
                        if nonFinite == 2 { x[0] = 0.5; x[cols / 2] = .nan; x[1] = .infinity }
                        for (useBias, relu) in [(true, false), (false, false), (true, true), (false, true)] {
                            for threads in [1, 2] {
                                _ = wt_set_num_threads(Int32(threads))
                                let sorted = product(window.descriptor.pointee, x, n, bias: useBias, relu: relu)
                                let plain = product(perRow, x, n, bias: useBias, relu: relu)
                                XCTAssertEqual(sorted.map(\.bitPattern), plain.map(\.bitPattern),
                                               "\(what), isa \(isa.rawValue), batch \(n), non-finite \(nonFinite), bias \(useBias), relu \(relu), \(threads) threads")
                            }
                        }
                    }
                }
            }
        }
    }

    /// The AVX2 pick (`CSRRowWindow.avx2Order`, on any CPU): the row order below 4.5 nonzeros per
    /// 8-lane vector (since session 16; 3 since session 13, 2.5 before) — the bench's 400 × 784 at
    /// 99 %, 99.6 %, 97 % (2.8) and 95 % (3.5) sparsity, and 92 % (4.1) — and the 8-lane layout at
    /// 85 % (5.2) and 70 % and without nonzeros.
    func testAVX2PicksTheRowOrderForVerySparseWeights() {
        for (keep, order) in [(0.01, WT_WINDOW_ROWS), (0.004, WT_WINDOW_ROWS), (0.03, WT_WINDOW_ROWS), (0.05, WT_WINDOW_ROWS),
                              (0.08, WT_WINDOW_ROWS), (0.15, WT_WINDOW_LANES8), (0.3, WT_WINDOW_LANES8),
                              (0.0, WT_WINDOW_LANES8)] {
            let (w, m, _) = maskedLinearProblem(out: 400, in: 784, keep: keep, seed: 650)
            let csr = CSRMatrix(dense: w, mask: m)
            XCTAssertEqual(CSRRowWindow.avx2Order(csr, complex: false), order, "keep \(keep)")
            let vectors = csr.withArrays { rp, ci, _ in wt_scsr_window8_count(csr.rows, csr.columns, rp, ci) }
            XCTAssertEqual(order == WT_WINDOW_ROWS, 2 * csr.values.count < 9 * vectors, "keep \(keep)")
            let layer = SparseLinear(weight: w, bias: nil, mask: m, maxDensity: 1, smallBatchMaxDensity: 1)
            if Self.hasWindow, !Self.hasAVX512 { XCTAssertEqual(layer.window?.descriptor.pointee.by_position, order, "keep \(keep)") }
        }
    }

    /// The 8-lane layout of `csr` (`WT_WINDOW_LANES8`, the AVX2 tier's, built on any CPU) decoded:
    /// slices of 8 rows, windows of 16 columns at multiples of 8 inside the input rounded up to 8,
    /// indices below 16, absent lanes +0 at index 0, no empty vector, and every CSR nonzero once
    /// in ascending columns per row.
    func assertLanes8Layout(_ csr: CSRMatrix, _ what: String) {
        guard let window = CSRRowWindow(csr, order: WT_WINDOW_LANES8) else {
            XCTFail("\(what): no 8-lane layout for \(csr.columns) columns"); return
        }
        let d = window.descriptor.pointee
        XCTAssertEqual(d.by_position, WT_WINDOW_LANES8, what)
        XCTAssertEqual(d.slices, (csr.rows + 7) / 8, what)
        XCTAssertEqual(d.vectors, window.vectorCount, what)
        XCTAssertEqual(Int(d.slice_start[0]), 0, what)
        XCTAssertEqual(Int(d.slice_start[d.slices]), d.vectors, what)
        var decoded = [[(Int32, Float)]](repeating: [], count: csr.rows)
        for s in 0..<d.slices {
            for v in Int(d.slice_start[s])..<Int(d.slice_start[s + 1]) {
                let base = Int(d.base[v])
                XCTAssertEqual(base % 8, 0, "\(what): 8-lane window at \(base)")
                XCTAssertLessThanOrEqual(base + 16, (csr.columns + 7) / 8 * 8, "\(what): 8-lane window past the padded input")
                XCTAssertNotEqual(d.mask[v], 0, "\(what): an empty 8-lane vector is stored")
                XCTAssertEqual(Int(d.mask[v]) >> 8, 0, what)
                for lane in 0..<8 {
                    let index = d.index[8 * v + lane], value = d.values[8 * v + lane]
                    XCTAssertLessThan(index, 16, what)
                    if d.mask[v] >> lane & 1 == 0 {
                        XCTAssertEqual(value.bitPattern, 0, "\(what): absent 8-lane lane holds \(value)")
                        XCTAssertEqual(index, 0, what)
                        continue
                    }
                    XCTAssertLessThan(8 * s + lane, csr.rows, "\(what): a lane past the last row is set")
                    decoded[8 * s + lane].append((Int32(base) + Int32(index), value))
                }
            }
        }
        for r in 0..<csr.rows {
            let range = Int(csr.rowPointers[r])..<Int(csr.rowPointers[r + 1])
            XCTAssertEqual(decoded[r].map(\.0), Array(csr.columnIndices[range]), "\(what): 8-lane columns of row \(r)")
            XCTAssertEqual(decoded[r].map(\.1), Array(csr.values[range]), "\(what): 8-lane values of row \(r)")
        }
    }

    /// Batches 1–3 take the window product (the layer's layout at the AVX-512 or AVX2 tier, and
    /// the 8-lane layout and the row order at both; the portable tier the gathered CSR product), batch 4 the tiles:
    /// every tier within the float64 bound, with and without bias, fully masked rows exactly the
    /// bias (or +0), fused ReLU equal to Ops.relu of the plain output, and 1 and 2 threads giving
    /// the same bits.
    func testSmallBatchesMatchTheReferenceAtEveryTierAndThreadCount() {
        for (w, m, b, what) in cases() {
            let csr = CSRMatrix(dense: w, mask: m)
            let window8 = CSRRowWindow(csr, order: WT_WINDOW_LANES8), byRows = CSRRowWindow(csr, order: WT_WINDOW_ROWS)
            XCTAssertNotNil(window8, what)
            let rows = w.shape[0], ms = m.scalars, cols = w.shape[1]
            let empty = (0..<rows).filter { r in (0..<cols).allSatisfy { ms[r * cols + $0] == 0 } }
            for bias in [true, false] {
                let plain = SparseLinear(weight: w, bias: bias ? b : nil, mask: m, maxDensity: 1, smallBatchMaxDensity: 1)
                XCTAssertTrue(plain.isCSR, what)
                XCTAssertEqual(plain.window != nil, Self.hasWindow, what)
                if let window = plain.window, !Self.hasAVX512 {
                    XCTAssertEqual(window.descriptor.pointee.by_position, CSRRowWindow.avx2Order(csr, complex: false), what)
                }
                let fused = plain.fusingReLU()
                let bt = bias ? b : nil
                let calls: [(String, (Tensor) -> Tensor, (Tensor) -> Tensor)] = [
                    ("layer", { plain($0) }, { fused($0) }),
                    ("8-lane layout", { self.lanes8(csr, window8, $0, bias: bt) }, { self.lanes8(csr, window8, $0, bias: bt, relu: true) }),
                    ("row order", { self.lanes8(csr, byRows, $0, bias: bt) }, { self.lanes8(csr, byRows, $0, bias: bt, relu: true) }),
                ]
                for isa in tiers {
                    _ = wt_set_isa(isa)
                    for n in [1, 2, 3, 4] {
                        let x = Sample.normal([n, w.shape[1]], seed: UInt64(500 + n), dtype: .float32)
                        for (name, call, callFused) in calls {
                            _ = wt_set_num_threads(1)
                            let one = call(x).scalars
                            _ = wt_set_num_threads(2)
                            let two = call(x).scalars
                            let label = "\(what), bias \(bias), isa \(isa.rawValue), batch \(n), \(name)"
                            XCTAssertEqual(one.map { $0.bitPattern }, two.map { $0.bitPattern }, "\(label): thread counts differ")
                            assertWithinSummationBound(two, maskedLinearReference(x, w, m, bt), label)
                            let out = two.map { Float($0) }
                            for e in 0..<n {
                                for r in empty {
                                    XCTAssertEqual(out[e * rows + r].bitPattern, (bias ? b.scalars(as: Float.self)[r] : 0).bitPattern,
                                                   "\(label): fully masked row \(r) is not the bias")
                                }
                            }
                            let expected = relu(call(x)).scalars, got = callFused(x).scalars
                            XCTAssertEqual(got, expected, "\(label): fused ReLU")
                            XCTAssertEqual(got.map { $0.sign }, expected.map { $0.sign }, "\(label): ReLU gives +0")
                        }
                    }
                }
            }
        }
    }

    /// An 816 × 784 weight at 95 % sparsity (three groups of slices: 400, 400 and 16 rows), big
    /// enough to be split over two threads at batch 1.
    func testBenchSizedWeightSplitsOverThreadsWithTheSameBits() {
        let (w, m, b) = maskedLinearProblem(out: 816, in: 784, keep: 0.05, seed: 610)
        let layer = SparseLinear(weight: w, bias: b, mask: m)
        XCTAssertEqual(layer.window != nil, Self.hasWindow)
        let csr = CSRMatrix(dense: w, mask: m), window8 = CSRRowWindow(csr, order: WT_WINDOW_LANES8)
        let byRows = CSRRowWindow(csr, order: WT_WINDOW_ROWS)
        for isa in tiers {
            _ = wt_set_isa(isa)
            let x = Sample.normal([1, 784], seed: 611, dtype: .float32)
            for (name, call) in [("layer", { layer(x) }), ("8-lane layout", { self.lanes8(csr, window8, x, bias: b) }),
                                 ("row order", { self.lanes8(csr, byRows, x, bias: b) })] as [(String, () -> Tensor)] {
                _ = wt_set_num_threads(1)
                let one = call().scalars
                _ = wt_set_num_threads(2)
                XCTAssertEqual(call().scalars.map { $0.bitPattern }, one.map { $0.bitPattern }, "isa \(isa.rawValue), \(name)")
                assertWithinSummationBound(one, maskedLinearReference(x, w, m, b), "isa \(isa.rawValue), \(name)")
            }
        }
    }

    /// The bench's Linear(784, 400) at 92 %, 95 %, 99 % and 99.6 % sparsity, and 300 rows (19 slices) at
    /// 99 %: position order (three times), round-robin position order and slice order of the vectors
    /// (AVX-512 layouts; on a CPU whose best tier is AVX2 the row order for each, since session 16),
    /// and the 8-lane layout and the row order of each, within the float64 bound at every tier for
    /// batches 1–3, with and without the fused ReLU.
    func testBenchShapeInEveryOrderMatchesTheReference() {
        for (rows, keep, byPosition) in [(400, 0.08, Int32(1)), (400, 0.05, Int32(1)), (400, 0.01, Int32(1)),
                                         (400, 0.004, Int32(2)), (300, 0.01, Int32(0))] {
            let (w, m, b) = maskedLinearProblem(out: rows, in: 784, keep: keep, seed: 640)
            let layer = SparseLinear(weight: w, bias: b, mask: m)
            XCTAssertEqual(layer.window != nil, Self.hasWindow)
            let fused = layer.fusingReLU()
            let csr = CSRMatrix(dense: w, mask: m), window8 = CSRRowWindow(csr, order: WT_WINDOW_LANES8)
            let byRows = CSRRowWindow(csr, order: WT_WINDOW_ROWS)
            if let window = layer.window {
                XCTAssertEqual(window.descriptor.pointee.by_position, expectedOrder(byPosition, csr), "\(rows) rows, keep \(keep)")
            }
            for isa in tiers {
                _ = wt_set_isa(isa)
                for n in [1, 2, 3] {
                    let x = Sample.normal([n, 784], seed: UInt64(641 + n), dtype: .float32)
                    let label = "\(rows) rows, keep \(keep), isa \(isa.rawValue), batch \(n)"
                    let y = layer(x)
                    assertWithinSummationBound(y.scalars, maskedLinearReference(x, w, m, b), label)
                    XCTAssertEqual(fused(x).scalars, relu(y).scalars, "\(label): fused ReLU")
                    let y8 = lanes8(csr, window8, x, bias: b)
                    assertWithinSummationBound(y8.scalars, maskedLinearReference(x, w, m, b), "\(label), 8-lane layout")
                    XCTAssertEqual(lanes8(csr, window8, x, bias: b, relu: true).scalars, relu(y8).scalars, "\(label), 8-lane layout: fused ReLU")
                    let yr = lanes8(csr, byRows, x, bias: b)
                    assertWithinSummationBound(yr.scalars, maskedLinearReference(x, w, m, b), "\(label), row order")
                    XCTAssertEqual(lanes8(csr, byRows, x, bias: b, relu: true).scalars, relu(yr).scalars, "\(label), row order: fused ReLU")
                }
            }
        }
    }

    /// A NaN input reaches only the rows with a nonzero in its column (absent lanes are masked,
    /// not multiplied by 0), and an infinite one gives ±inf there and finite values elsewhere;
    /// the other rows have the bits of the unmasked product of a finite input.
    func testNonFiniteInputsReachOnlyTheRowsThatReadThem() {
        // 33 × 64, 10 % kept: vectors in slice order; 60 % kept: in position order; 400 × 784,
        // 1 % kept: in position order, 0.4 % kept: in round-robin position order (AVX-512 layouts);
        // each also through its 8-lane layout (the AVX2 tier's), 400 × 784 at 5 % kept too.
        for (rows, cols, keep, byPosition) in [(33, 64, 0.1, Int32(0)), (33, 64, 0.6, Int32(1)), (400, 784, 0.01, Int32(1)),
                                              (400, 784, 0.004, Int32(2)), (400, 784, 0.05, Int32(1))] {
            let (w, m, b) = maskedLinearProblem(out: rows, in: cols, keep: keep, seed: 620)
            let layer = SparseLinear(weight: w, bias: b, mask: m, maxDensity: 1, smallBatchMaxDensity: 1)
            let ms = m.scalars
            let csr = CSRMatrix(dense: w, mask: m), window8 = CSRRowWindow(csr, order: WT_WINDOW_LANES8)
            let byRows = CSRRowWindow(csr, order: WT_WINDOW_ROWS)
            if let window = layer.window { XCTAssertEqual(window.descriptor.pointee.by_position, expectedOrder(byPosition, csr), "keep \(keep)") }
            for (name, product) in [("layer", { layer($0) }), ("8-lane layout", { self.lanes8(csr, window8, $0, bias: b) }),
                                    ("row order", { self.lanes8(csr, byRows, $0, bias: b) })] as [(String, (Tensor) -> Tensor)] {
            for isa in tiers {
                _ = wt_set_isa(isa)
                // 784 inputs: also a −inf and a NaN near the end, so the scan of an input read in place
                // must reach its last vectors (columns 720 and 780).
                let late: [(Int, Float)] = cols == 784 ? [(720, -Float.infinity), (780, Float.nan)] : []
                for (column, value) in [(5, Float.nan), (40, Float.infinity)] + late {
                    var xs = Sample.normal([1, cols], seed: 621, dtype: .float32).scalars(as: Float.self)
                    xs[column] = value
                    let y = product(Tensor(shape: [1, cols], scalars: xs)).scalars
                    // The same input with that entry finite takes the unmasked product (AVX-512
                    // tier): the rows that do not read the column get the masked product's bits.
                    xs[column] = 0.5
                    let finite = product(Tensor(shape: [1, cols], scalars: xs)).scalars
                    XCTAssertTrue((0..<rows).contains { ms[$0 * cols + column] != 0 }, "no row reads column \(column)")
                    for r in 0..<rows {
                        let label = "keep \(keep), isa \(isa.rawValue), \(name), row \(r), input \(value) at \(column)"
                        XCTAssertEqual(y[r].isFinite, ms[r * cols + column] == 0, label)
                        if ms[r * cols + column] == 0 {
                            XCTAssertEqual(y[r].bitPattern, finite[r].bitPattern, "\(label): masked and unmasked products differ")
                        }
                    }
                }
            }
            }
        }
    }

    /// Fewer than 32 inputs have no 16-lane window and fewer than 16 no 8-lane one (the kernels
    /// take the CSR paths); both give the reference at every tier. More than 65 535 inputs do have
    /// windows (32-bit window starts), and give the reference.
    func testNarrowAndVeryWideWeights() {
        for narrow in [15, 31] {
            let (w1, m1, b1) = maskedLinearProblem(out: 20, in: narrow, keep: 0.3, seed: 630)
            let layer = SparseLinear(weight: w1, bias: b1, mask: m1, smallBatchMaxDensity: 1)
            XCTAssertEqual(layer.window == nil, narrow < 16 || !Self.hasWindow || Self.hasAVX512, "\(narrow) columns")
            let csr = CSRMatrix(dense: w1, mask: m1)
            XCTAssertNil(CSRRowWindow(csr, order: 0), "\(narrow) columns")
            let window8 = CSRRowWindow(csr, order: WT_WINDOW_LANES8), byRows = CSRRowWindow(csr, order: WT_WINDOW_ROWS)
            XCTAssertEqual(window8 == nil, narrow < 16, "\(narrow) columns")
            XCTAssertNotNil(byRows, "\(narrow) columns: the row order needs no window")
            for isa in tiers {
                _ = wt_set_isa(isa)
                let x = Sample.normal([2, narrow], seed: 633, dtype: .float32)
                let ref = maskedLinearReference(x, w1, m1, b1)
                assertWithinSummationBound(layer(x).scalars, ref, "\(narrow) columns, isa \(isa.rawValue)")
                assertWithinSummationBound(lanes8(csr, window8, x, bias: b1).scalars, ref, "\(narrow) columns, isa \(isa.rawValue), 8-lane layout")
                assertWithinSummationBound(lanes8(csr, byRows, x, bias: b1).scalars, ref, "\(narrow) columns, isa \(isa.rawValue), row order")
            }
        }
        let cols = 70_000
        let (w, _, b) = maskedLinearProblem(out: 5, in: cols, keep: 0, seed: 631)
        var mask = [Float](repeating: 0, count: 5 * cols)
        for (r, c) in [(0, 3), (0, 65_535), (0, 65_536), (1, 69_999), (2, 40_000), (2, 66_000), (4, 0), (4, 69_968)] { mask[r * cols + c] = 1 }
        let m = Tensor(shape: [5, cols], scalars: mask)
        let layer = SparseLinear(weight: w, bias: b, mask: m)
        XCTAssertEqual(layer.window != nil, Self.hasWindow)
        let csr = CSRMatrix(dense: w, mask: m), window8 = CSRRowWindow(csr, order: WT_WINDOW_LANES8)
        let byRows = CSRRowWindow(csr, order: WT_WINDOW_ROWS)
        XCTAssertNotNil(window8)
        assertRowOrder(csr, "70,000 columns: the per-row form")
        for isa in tiers {
            _ = wt_set_isa(isa)
            for n in [1, 3] {
                let x = Sample.normal([n, cols], seed: 632, dtype: .float32)
                let ref = maskedLinearReference(x, w, m, b)
                assertWithinSummationBound(layer(x).scalars, ref, "isa \(isa.rawValue), batch \(n)")
                assertWithinSummationBound(lanes8(csr, window8, x, bias: b).scalars, ref, "isa \(isa.rawValue), batch \(n), 8-lane layout")
                assertWithinSummationBound(lanes8(csr, byRows, x, bias: b).scalars, ref, "isa \(isa.rawValue), batch \(n), row order")
            }
        }
    }
}
