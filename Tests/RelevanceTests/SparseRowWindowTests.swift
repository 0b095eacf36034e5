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
    /// Whether compiled layers build the window (only a CPU with the AVX-512 tier reads it).
    static let hasAVX512 = wt_detected_isa() == WT_ISA_AVX512

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
            guard let window = CSRRowWindow(csr) else { XCTFail("\(what): no window for \(csr.columns) columns"); continue }
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

    /// Batches 1–3 take the window product (AVX-512 tier; the others the gathered CSR product),
    /// batch 4 the tiles: every tier within the float64 bound, with and without bias,
    /// fused ReLU equal to Ops.relu of the plain output, and 1 and 2 threads giving the same bits.
    func testSmallBatchesMatchTheReferenceAtEveryTierAndThreadCount() {
        for (w, m, b, what) in cases() {
            for bias in [true, false] {
                let plain = SparseLinear(weight: w, bias: bias ? b : nil, mask: m, maxDensity: 1, smallBatchMaxDensity: 1)
                XCTAssertTrue(plain.isCSR, what)
                XCTAssertEqual(plain.window != nil, Self.hasAVX512, what)
                let fused = plain.fusingReLU()
                for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
                    _ = wt_set_isa(isa)
                    for n in [1, 2, 3, 4] {
                        let x = Sample.normal([n, w.shape[1]], seed: UInt64(500 + n), dtype: .float32)
                        _ = wt_set_num_threads(1)
                        let one = plain(x).scalars
                        _ = wt_set_num_threads(2)
                        let two = plain(x).scalars
                        let label = "\(what), bias \(bias), isa \(isa.rawValue), batch \(n)"
                        XCTAssertEqual(one, two, "\(label): thread counts differ")
                        assertWithinSummationBound(two, maskedLinearReference(x, w, m, bias ? b : nil), label)
                        let expected = relu(plain(x)).scalars, got = fused(x).scalars
                        XCTAssertEqual(got, expected, "\(label): fused ReLU")
                        XCTAssertEqual(got.map { $0.sign }, expected.map { $0.sign }, "\(label): ReLU gives +0")
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
        XCTAssertEqual(layer.window != nil, Self.hasAVX512)
        for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            let x = Sample.normal([1, 784], seed: 611, dtype: .float32)
            _ = wt_set_num_threads(1)
            let one = layer(x).scalars
            _ = wt_set_num_threads(2)
            XCTAssertEqual(layer(x).scalars, one, "isa \(isa.rawValue)")
            assertWithinSummationBound(one, maskedLinearReference(x, w, m, b), "isa \(isa.rawValue)")
        }
    }

    /// The bench's Linear(784, 400) at 95 %, 99 % and 99.6 % sparsity, and 300 rows (19 slices) at
    /// 99 %: position order (twice), round-robin position order and slice order of the vectors
    /// (AVX-512 layouts), each within the float64 bound at every tier for batches 1–3, with and without the
    /// fused ReLU.
    func testBenchShapeInEveryOrderMatchesTheReference() {
        for (rows, keep, byPosition) in [(400, 0.05, Int32(1)), (400, 0.01, Int32(1)), (400, 0.004, Int32(2)),
                                         (300, 0.01, Int32(0))] {
            let (w, m, b) = maskedLinearProblem(out: rows, in: 784, keep: keep, seed: 640)
            let layer = SparseLinear(weight: w, bias: b, mask: m)
            XCTAssertEqual(layer.window != nil, Self.hasAVX512)
            if let window = layer.window { XCTAssertEqual(window.descriptor.pointee.by_position, byPosition, "\(rows) rows, keep \(keep)") }
            let fused = layer.fusingReLU()
            for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
                _ = wt_set_isa(isa)
                for n in [1, 2, 3] {
                    let x = Sample.normal([n, 784], seed: UInt64(641 + n), dtype: .float32)
                    let y = layer(x)
                    assertWithinSummationBound(y.scalars, maskedLinearReference(x, w, m, b), "\(rows) rows, keep \(keep), isa \(isa.rawValue), batch \(n)")
                    XCTAssertEqual(fused(x).scalars, relu(y).scalars, "\(rows) rows, keep \(keep), isa \(isa.rawValue), batch \(n): fused ReLU")
                }
            }
        }
    }

    /// A NaN input reaches only the rows with a nonzero in its column (absent lanes are masked,
    /// not multiplied by 0), and an infinite one gives ±inf there and finite values elsewhere;
    /// the other rows have the bits of the unmasked product of a finite input.
    func testNonFiniteInputsReachOnlyTheRowsThatReadThem() {
        // 33 × 64, 10 % kept: vectors in slice order; 60 % kept: in position order; 400 × 784,
        // 1 % kept: in position order, 0.4 % kept: in round-robin position order (AVX-512 layouts).
        for (rows, cols, keep, byPosition) in [(33, 64, 0.1, Int32(0)), (33, 64, 0.6, Int32(1)), (400, 784, 0.01, Int32(1)),
                                              (400, 784, 0.004, Int32(2))] {
            let (w, m, b) = maskedLinearProblem(out: rows, in: cols, keep: keep, seed: 620)
            let layer = SparseLinear(weight: w, bias: b, mask: m, maxDensity: 1, smallBatchMaxDensity: 1)
            if let window = layer.window { XCTAssertEqual(window.descriptor.pointee.by_position, byPosition, "keep \(keep)") }
            let ms = m.scalars
            for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
                _ = wt_set_isa(isa)
                // 784 inputs: also a −inf and a NaN near the end, so the scan of an input read in place
                // must reach its last vectors (columns 720 and 780).
                let late: [(Int, Float)] = cols == 784 ? [(720, -Float.infinity), (780, Float.nan)] : []
                for (column, value) in [(5, Float.nan), (40, Float.infinity)] + late {
                    var xs = Sample.normal([1, cols], seed: 621, dtype: .float32).scalars(as: Float.self)
                    xs[column] = value
                    let y = layer(Tensor(shape: [1, cols], scalars: xs)).scalars
                    // The same input with that entry finite takes the unmasked product (AVX-512
                    // tier): the rows that do not read the column get the masked product's bits.
                    xs[column] = 0.5
                    let finite = layer(Tensor(shape: [1, cols], scalars: xs)).scalars
                    XCTAssertTrue((0..<rows).contains { ms[$0 * cols + column] != 0 }, "no row reads column \(column)")
                    for r in 0..<rows {
                        let label = "keep \(keep), isa \(isa.rawValue), row \(r), input \(value) at \(column)"
                        XCTAssertEqual(y[r].isFinite, ms[r * cols + column] == 0, label)
                        if ms[r * cols + column] == 0 {
                            XCTAssertEqual(y[r].bitPattern, finite[r].bitPattern, "\(label): masked and unmasked products differ")
                        }
                    }
                }
            }
        }
    }

    /// Fewer than 32 inputs have no window (the kernels take the CSR paths); more than 65 535
    /// inputs do (32-bit window starts), and give the reference.
    func testNarrowAndVeryWideWeights() {
        let (w1, m1, b1) = maskedLinearProblem(out: 20, in: 31, keep: 0.3, seed: 630)
        XCTAssertNil(SparseLinear(weight: w1, bias: b1, mask: m1, smallBatchMaxDensity: 1).window)
        let cols = 70_000
        let (w, _, b) = maskedLinearProblem(out: 5, in: cols, keep: 0, seed: 631)
        var mask = [Float](repeating: 0, count: 5 * cols)
        for (r, c) in [(0, 3), (0, 65_535), (0, 65_536), (1, 69_999), (2, 40_000), (2, 66_000), (4, 0), (4, 69_968)] { mask[r * cols + c] = 1 }
        let m = Tensor(shape: [5, cols], scalars: mask)
        let layer = SparseLinear(weight: w, bias: b, mask: m)
        XCTAssertEqual(layer.window != nil, Self.hasAVX512)
        for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            for n in [1, 3] {
                let x = Sample.normal([n, cols], seed: 632, dtype: .float32)
                assertWithinSummationBound(layer(x).scalars, maskedLinearReference(x, w, m, b), "isa \(isa.rawValue), batch \(n)")
            }
        }
    }
}
