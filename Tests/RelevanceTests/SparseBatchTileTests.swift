import XCTest
import Autodiff
import Kernels

/// The tile path of the real sparse product (`wt_scsr_linear` at batch ≥ 4: the input transposed
/// tile by tile, rows summed over 64 examples, each group of 16 output rows transposed back): at
/// the AVX2 and AVX-512 tiers every output is exactly bias[r] + the row's nonzeros as fused
/// multiply-adds in storage order (the portable tier: the same chain, a rounding per operation),
/// whatever the batch, the widths, the strides, the NaN inputs or the thread count.
final class SparseBatchTileTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    /// A CSR weight: rows × cols, columns ascending within a row.
    struct Problem {
        var rows: Int, cols: Int
        var rowPtr: [Int32] = [0], colIdx: [Int32] = [], values: [Float] = []
        var bias: [Float]?
    }

    /// Each weight kept with probability `keep`; rows in `emptyRows` have no nonzero.
    func problem(rows: Int, cols: Int, keep: Double, seed: UInt64, bias: Bool = true, emptyRows: Set<Int> = []) -> Problem {
        var g = SplitMix64(seed: seed)
        var p = Problem(rows: rows, cols: cols)
        for r in 0..<rows {
            for c in 0..<cols where g.nextUniform() < keep && !emptyRows.contains(r) {
                p.colIdx.append(Int32(c))
                p.values.append(g.float(-1, 1))
            }
            p.rowPtr.append(Int32(p.colIdx.count))
        }
        if bias { p.bias = (0..<rows).map { _ in g.float(-1, 1) } }
        return p
    }

    func input(batch: Int, cols: Int, ldx: Int, seed: UInt64) -> [Float] {
        var g = SplitMix64(seed: seed)
        return (0..<(batch * ldx)).map { i in i % ldx < cols ? g.float(-2, 2) : .nan }  // NaN in the row padding: never read
    }

    /// wt_scsr_linear into a buffer pre-filled with a sentinel (rows padded to ldy).
    func run(_ p: Problem, _ x: [Float], batch: Int, ldx: Int, ldy: Int, relu: Bool) -> [Float] {
        var y = [Float](repeating: -7.25, count: batch * ldy)
        let status = p.rowPtr.withUnsafeBufferPointer { rp in
            p.colIdx.withUnsafeBufferPointer { ci in
                p.values.withUnsafeBufferPointer { v in
                    x.withUnsafeBufferPointer { xp in
                        y.withUnsafeMutableBufferPointer { yp in
                            if let bias = p.bias {
                                return bias.withUnsafeBufferPointer { bp in
                                    wt_scsr_linear(p.rows, p.cols, rp.baseAddress, ci.baseAddress, v.baseAddress, bp.baseAddress,
                                                   batch, xp.baseAddress, ldx, yp.baseAddress, ldy, relu ? WT_SPARSE_RELU : 0)
                                }
                            }
                            return wt_scsr_linear(p.rows, p.cols, rp.baseAddress, ci.baseAddress, v.baseAddress, nil,
                                                  batch, xp.baseAddress, ldx, yp.baseAddress, ldy, relu ? WT_SPARSE_RELU : 0)
                        }
                    }
                }
            }
        }
        XCTAssertEqual(status, 0)
        return y
    }

    /// bias[r] + Σ_k values[k] · x[col_k] in storage order, each step a fused multiply-add (`fused`)
    /// or a product and a sum, then ReLU (kept where > 0 or NaN, else +0); row-padded like `run`.
    func reference(_ p: Problem, _ x: [Float], batch: Int, ldx: Int, ldy: Int, relu: Bool, fused: Bool) -> [Float] {
        var y = [Float](repeating: -7.25, count: batch * ldy)
        for b in 0..<batch {
            for r in 0..<p.rows {
                var acc = p.bias?[r] ?? 0
                for k in Int(p.rowPtr[r])..<Int(p.rowPtr[r + 1]) {
                    let xv = x[b * ldx + Int(p.colIdx[k])]
                    acc = fused ? acc.addingProduct(p.values[k], xv) : acc + p.values[k] * xv
                }
                y[b * ldy + r] = relu && !(acc > 0 || acc.isNaN) ? 0 : acc
            }
        }
        return y
    }

    /// Equal bit for bit, any NaN matching any NaN; the first mismatch reported.
    func assertSameBits(_ got: [Float], _ expected: [Float], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, expected.count, message, file: file, line: line)
        for i in 0..<min(got.count, expected.count) {
            let same = got[i].isNaN ? expected[i].isNaN : got[i].bitPattern == expected[i].bitPattern
            if !same {
                XCTFail("\(message): element \(i) is \(got[i]), expected \(expected[i])", file: file, line: line)
                return
            }
        }
    }

    func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.isNaN ? $1.isNaN : $0.bitPattern == $1.bitPattern }
    }

    /// The vector tiers present on this CPU (AVX2, AVX-512).
    var vectorTiers: [wt_isa] {
        (0...wt_detected_isa().rawValue).filter { $0 >= WT_ISA_AVX2_FMA.rawValue }.map(wt_isa.init(rawValue:))
    }

    /// The shapes: batches around the tile (64) and the register block (8 or 16 examples), rows
    /// and columns not multiples of 16, tiny (1–3) and wide (5000 columns, 2000 rows) weights,
    /// empty rows, no bias, strided input and output.
    var shapes: [(rows: Int, cols: Int, keep: Double, bias: Bool, batches: [Int])] {
        [(37, 53, 0.15, true, [4, 5, 15, 16, 17, 63, 64, 65, 100, 130]),
         (16, 16, 0.5, true, [4, 64, 128]),
         (1, 1, 1, true, [4, 70]),
         (3, 2, 0.7, false, [9, 64]),
         (2, 3, 0.7, true, [33]),
         (45, 70, 0.25, false, [8, 130]),
         (3, 5000, 0.05, true, [20]),
         (2000, 20, 0.2, true, [8]),
         (400, 784, 0.05, true, [128])]
    }

    func testVectorTiersGiveTheFusedChainInStorageOrder() throws {
        guard wt_detected_isa().rawValue >= WT_ISA_AVX2_FMA.rawValue else { throw XCTSkip("no vector tier on this CPU") }
        _ = wt_set_num_threads(1)
        for (s, shape) in shapes.enumerated() {
            let p = problem(rows: shape.rows, cols: shape.cols, keep: shape.keep, seed: UInt64(700 + s), bias: shape.bias,
                            emptyRows: shape.rows > 4 ? [0, shape.rows - 2] : [])
            for batch in shape.batches {
                let ldx = shape.cols + (batch % 2 == 0 ? 0 : 3), ldy = shape.rows + (batch % 3 == 0 ? 0 : 5)
                let x = input(batch: batch, cols: shape.cols, ldx: ldx, seed: UInt64(batch))
                for relu in [false, true] {
                    let expected = reference(p, x, batch: batch, ldx: ldx, ldy: ldy, relu: relu, fused: true)
                    for tier in vectorTiers {
                        _ = wt_set_isa(tier)
                        assertSameBits(run(p, x, batch: batch, ldx: ldx, ldy: ldy, relu: relu), expected,
                                       "tier \(tier.rawValue), \(shape.rows)×\(shape.cols), batch \(batch), relu \(relu)")
                    }
                }
            }
        }
    }

    /// The portable tier forms the same chain, each step rounded as written (one product and one
    /// sum; a compiler for a CPU with fused multiply-adds may fuse them: then every step is fused).
    func testPortableTierGivesTheChainInStorageOrder() {
        _ = wt_set_isa(WT_ISA_PORTABLE)
        for (s, shape) in shapes.enumerated() where shape.rows * shape.cols <= 100_000 {
            let p = problem(rows: shape.rows, cols: shape.cols, keep: shape.keep, seed: UInt64(800 + s), bias: shape.bias)
            for batch in shape.batches {
                let ldx = shape.cols + 1, ldy = shape.rows + 2
                let x = input(batch: batch, cols: shape.cols, ldx: ldx, seed: UInt64(900 + batch))
                let got = run(p, x, batch: batch, ldx: ldx, ldy: ldy, relu: batch % 2 == 1)
                let unfused = reference(p, x, batch: batch, ldx: ldx, ldy: ldy, relu: batch % 2 == 1, fused: false)
                let fused = reference(p, x, batch: batch, ldx: ldx, ldy: ldy, relu: batch % 2 == 1, fused: true)
                XCTAssertTrue(sameBits(got, unfused) || sameBits(got, fused), "portable, \(shape.rows)×\(shape.cols), batch \(batch)")
            }
        }
    }

    /// NaN and infinite inputs reach exactly the outputs whose rows read them (in the lanes of
    /// their examples only); rows without nonzeros give the bias.
    func testNaNAndInfiniteInputsPropagateLikeTheChain() {
        let p = problem(rows: 40, cols: 90, keep: 0.1, seed: 41, emptyRows: [3, 20])
        for batch in [4, 17, 64, 70] {
            var x = input(batch: batch, cols: 90, ldx: 90, seed: 42)
            x[0] = .nan
            x[2 * 90 + 11] = .infinity
            x[(batch - 1) * 90 + 89] = -.infinity
            x[(batch - 1) * 90 + 5] = .nan
            for tier in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
                _ = wt_set_isa(tier)
                let y = run(p, x, batch: batch, ldx: 90, ldy: 40, relu: false)
                if tier.rawValue >= WT_ISA_AVX2_FMA.rawValue {
                    assertSameBits(y, reference(p, x, batch: batch, ldx: 90, ldy: 40, relu: false, fused: true),
                                   "tier \(tier.rawValue), batch \(batch)")
                }
                for b in 0..<batch {
                    for r in [3, 20] { XCTAssertEqual(y[b * 40 + r], p.bias![r], "empty row \(r), example \(b)") }
                    for r in 0..<40 {
                        let reads = (Int(p.rowPtr[r])..<Int(p.rowPtr[r + 1])).contains { !x[b * 90 + Int(p.colIdx[$0])].isFinite }
                        XCTAssertEqual(y[b * 40 + r].isFinite, !reads, "tier \(tier.rawValue), example \(b), row \(r)")
                    }
                }
            }
        }
    }

    /// Big enough for two parts: whole tiles per thread (2 or 4 tiles, or 9: four and five) or
    /// rows split (3 tiles), the same bits as one thread and as the chain.
    func testOneAndTwoThreadsGiveTheSameBits() {
        let p = problem(rows: 400, cols: 784, keep: 0.05, seed: 51, emptyRows: [7, 399])
        for batch in [128, 130, 192, 256, 520] {
            let x = input(batch: batch, cols: 784, ldx: 784, seed: UInt64(52 + batch))
            for tier in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
                _ = wt_set_isa(tier)
                for relu in [false, true] {
                    _ = wt_set_num_threads(1)
                    let one = run(p, x, batch: batch, ldx: 784, ldy: 400, relu: relu)
                    _ = wt_set_num_threads(2)
                    let two = run(p, x, batch: batch, ldx: 784, ldy: 400, relu: relu)
                    assertSameBits(two, one, "tier \(tier.rawValue), batch \(batch), relu \(relu)")
                    if tier.rawValue >= WT_ISA_AVX2_FMA.rawValue {
                        assertSameBits(two, reference(p, x, batch: batch, ldx: 784, ldy: 400, relu: relu, fused: true),
                                       "tier \(tier.rawValue), batch \(batch), relu \(relu)")
                    }
                }
            }
        }
    }
}

extension SplitMix64 {
    /// A uniform float32 in [lo, hi) for the weights and inputs of these tests.
    mutating func float(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * Float(nextUniform()) }
}
