import XCTest
import Dispatch
import Synchronization
import Autodiff
import Kernels
import NN
import Ops
import Relevance
import TestSupport

/// The sparse inference path (`CSRMatrix`, `SparseLinear`, `compileSparse`, the C kernel
/// `wt_scsr_linear`) against the dense masked path and a float64 reference.
final class SparseDeploymentTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    func testCSRRoundTripKeepsExactlyTheMaskedNonzeros() {
        let (w, m, _) = maskedLinearProblem(out: 9, in: 13, keep: 0.3, emptyRows: [0, 4, 8], seed: 11)
        let csr = CSRMatrix(dense: w, mask: m)
        XCTAssertEqual(csr.rowPointers.count, 10)
        XCTAssertEqual(csr.rowPointers[1], 0, "row 0 is empty")
        XCTAssertEqual(csr.nonzeroCount, m.scalars.filter { $0 != 0 }.count)
        XCTAssertEqual(csr.dense().scalars, (w * m).scalars)
        for r in 0..<9 {
            let cols = csr.columnIndices[Int(csr.rowPointers[r])..<Int(csr.rowPointers[r + 1])]
            XCTAssertEqual(Array(cols), cols.sorted(), "columns ascend in row \(r)")
        }
        XCTAssertEqual(CSRMatrix(dense: Tensor.zeros([3, 4])).nonzeroCount, 0)
        XCTAssertEqual(CSRMatrix(dense: Tensor.zeros([3, 4])).rowPointers, [0, 0, 0, 0])
    }

    /// Every batch regime (gathered dot products, full tiles, partial tiles) on both kernels.
    func testSparseEqualsDenseMaskedPathAcrossBatchSizesAndKernels() {
        let (w, m, b) = maskedLinearProblem(out: 37, in: 53, keep: 0.1, emptyRows: [0, 5, 36], seed: 21)
        let layer = LinearMasked(53, 37)
        let params: ParameterTree = ["weight": w, "bias": b, "mask": m]
        let sparse = SparseLinear(layer, parameters: params)
        XCTAssertTrue(sparse.isCSR)
        for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            for n in [1, 2, 3, 4, 7, 8, 9, 63, 64, 65, 130] {
                let x = Sample.normal([n, 53], seed: UInt64(100 + n), dtype: .float32)
                let ref = maskedLinearReference(x, w, m, b)
                let dense = layer(x, parameters: params)
                let y = sparse(x)
                XCTAssertEqual(y.shape, [n, 37])
                assertWithinSummationBound(dense.scalars, ref, "dense masked path, batch \(n)")
                assertWithinSummationBound(y.scalars, ref, "sparse path, isa \(isa.rawValue), batch \(n)")
                // Fully masked rows give exactly the bias.
                for i in 0..<n { for r in [0, 5, 36] { XCTAssertEqual(y[i, r], b[r], "empty row \(r), example \(i)") } }
            }
        }
    }

    func testFullySparseGivesTheBiasAndNoBiasGivesZeros() {
        let (w, _, b) = maskedLinearProblem(out: 16, in: 24, keep: 0, emptyRows: [], seed: 31)
        let zeroMask = Tensor.zeros([16, 24])
        for n in [1, 5, 128] {
            let x = Sample.normal([n, 24], seed: 32, dtype: .float32)
            let withBias = SparseLinear(weight: w, bias: b, mask: zeroMask)
            XCTAssertTrue(withBias.isCSR)
            XCTAssertEqual(withBias.storedWeightCount, 0)
            let y = withBias(x)
            for i in 0..<n { for r in 0..<16 { XCTAssertEqual(y[i, r], b[r]) } }
            let noBias = SparseLinear(weight: w, bias: nil, mask: zeroMask)(x)
            XCTAssertEqual(noBias.scalars, [Double](repeating: 0, count: n * 16))
        }
    }

    func testUnmaskedWeightInCSRAndInDenseStorage() {
        let (w, _, b) = maskedLinearProblem(out: 40, in: 70, keep: 1, emptyRows: [], seed: 41)
        let ones = Tensor.ones([40, 70])
        let forcedCSR = SparseLinear(weight: w, bias: b, mask: ones, maxDensity: 1, smallBatchMaxDensity: 1)
        let automatic = SparseLinear(weight: w, bias: b, mask: ones)
        XCTAssertTrue(forcedCSR.isCSR)
        XCTAssertEqual(forcedCSR.storedWeightCount, 40 * 70)
        XCTAssertFalse(automatic.isCSR, "a fully dense weight is stored dense")
        for n in [1, 6, 128] {
            let x = Sample.normal([n, 70], seed: UInt64(42 + n), dtype: .float32)
            let ref = maskedLinearReference(x, w, ones, b)
            assertWithinSummationBound(forcedCSR(x).scalars, ref, "CSR at 0% sparsity, batch \(n)")
            assertWithinSummationBound(automatic(x).scalars, ref, "dense storage, batch \(n)")
        }
    }

    /// Big enough to be split over two threads; the split does not change any row's arithmetic.
    /// The AVX-512 tile piece (16-float accumulators, two rows interleaved) forms every output
    /// with the AVX2 piece's sums in the same order: equal bit for bit, with and without the fused
    /// ReLU, for full and partial tiles and rows of unequal lengths.
    func testAVX512TilePathEqualsAVX2BitForBit() throws {
        guard wt_detected_isa() == WT_ISA_AVX512 else { throw XCTSkip("the host has no AVX-512 tier to compare with AVX2") }
        let (w, m, b) = maskedLinearProblem(out: 45, in: 70, keep: 0.25, emptyRows: [3, 8, 44], seed: 61)
        let plain = SparseLinear(weight: w, bias: b, mask: m, maxDensity: 1, smallBatchMaxDensity: 1)
        XCTAssertTrue(plain.isCSR)
        for layer in [plain, plain.fusingReLU()] {
            for n in [4, 64, 100, 130] {
                let x = Sample.normal([n, 70], seed: UInt64(62 + n), dtype: .float32)
                _ = wt_set_isa(WT_ISA_AVX2_FMA)
                let avx2 = layer(x).scalars
                _ = wt_set_isa(WT_ISA_AVX512)
                let avx512 = layer(x).scalars
                XCTAssertEqual(avx512, avx2, "batch \(n), relu \(layer.fusedReLU)")
            }
        }
        _ = wt_set_isa(wt_detected_isa())
    }

    /// The kernels keep their scratch buffer between calls (per thread): a call after one that
    /// filled it with NaN from a larger batch gives the same bits as before.
    func testScratchLeftByAnotherCallDoesNotLeak() {
        let (w, m, b) = maskedLinearProblem(out: 40, in: 90, keep: 0.2, emptyRows: [1], seed: 71)
        let real = SparseLinear(weight: w, bias: b, mask: m, maxDensity: 1)
        let cplx = SparseComplexLinear(weight: ComplexTensor(real: w, imag: w * 0.5), bias: nil, mask: m, maxDensity: 1)
        let x = Sample.normal([70, 90], seed: 72, dtype: .float32)
        let z = ComplexTensor(real: x, imag: x * -1)
        let nan = Tensor(shape: [200, 90], scalars: [Float](repeating: .nan, count: 200 * 90))
        let (y1, c1) = (real(x).scalars, cplx(z))
        _ = real(nan)
        _ = cplx(ComplexTensor(real: nan, imag: nan))
        XCTAssertEqual(real(x).scalars, y1)
        let c2 = cplx(z)
        XCTAssertEqual(c2.real.scalars, c1.real.scalars)
        XCTAssertEqual(c2.imag.scalars, c1.imag.scalars)
        XCTAssertFalse(y1.contains { $0.isNaN } || c1.real.scalars.contains { $0.isNaN })
    }

    func testTwoThreadsGiveIdenticalResults() {
        let (w, m, b) = maskedLinearProblem(out: 300, in: 500, keep: 0.2, emptyRows: [7, 299], seed: 51)
        let sparse = SparseLinear(weight: w, bias: b, mask: m, smallBatchMaxDensity: 1)
        for n in [1, 130] {
            let x = Sample.normal([n, 500], seed: 52, dtype: .float32)
            _ = wt_set_num_threads(1)
            let one = sparse(x)
            _ = wt_set_num_threads(2)
            let two = sparse(x)
            XCTAssertEqual(one.scalars, two.scalars, "batch \(n)")
            assertWithinSummationBound(two.scalars, maskedLinearReference(x, w, m, b), "two threads, batch \(n)")
        }
    }

    /// The fused ReLU equals Ops.relu of the unfused output exactly, on both kernels, both storages,
    /// with NaN inputs propagating and negative results becoming +0.
    func testFusedReLUEqualsReLUOfTheOutput() {
        let (w, m, b) = maskedLinearProblem(out: 19, in: 33, keep: 0.3, emptyRows: [4], seed: 81)
        for isa in (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            for maxDensity in [1.0, 0.0] {
                let plain = SparseLinear(weight: w, bias: b, mask: m, maxDensity: maxDensity, smallBatchMaxDensity: 1)
                let fused = plain.fusingReLU()
                for n in [1, 5, 70] {
                    var xs = Sample.normal([n, 33], seed: UInt64(82 + n), dtype: .float32).scalars(as: Float.self)
                    xs[0] = .nan
                    let x = Tensor(shape: [n, 33], scalars: xs)
                    let expected = relu(plain(x)).scalars, got = fused(x).scalars
                    XCTAssertEqual(got.count, expected.count)
                    for i in 0..<got.count {
                        if expected[i].isNaN { XCTAssertTrue(got[i].isNaN, "NaN kept at \(i)"); continue }
                        XCTAssertEqual(got[i], expected[i], "isa \(isa.rawValue), maxDensity \(maxDensity), batch \(n), element \(i)")
                        XCTAssertEqual(got[i].sign, expected[i].sign, "+0 for non-positive values at \(i)")
                    }
                }
            }
        }
    }

    /// A CSR weight denser than `smallBatchMaxDensity` runs batches below `smallBatch` through its
    /// packed dense copy (the same bits as the dense storage) and larger ones through CSR (the same
    /// bits as CSR alone); a sparser one runs every batch through CSR.
    func testSmallBatchesOfAModeratelyDenseWeightTakeTheDenseProduct() {
        let (w, m, b) = maskedLinearProblem(out: 50, in: 80, keep: 0.3, emptyRows: [], seed: 91)
        // The cut-off given explicitly: the default (0.4 with AVX-512 since session 8) is above 30 %.
        let hybrid = SparseLinear(weight: w, bias: b, mask: m, maxDensity: 1, smallBatchMaxDensity: 0.2)
        let csrOnly = SparseLinear(weight: w, bias: b, mask: m, maxDensity: 1, smallBatchMaxDensity: 1)
        let denseOnly = SparseLinear(weight: w, bias: b, mask: m, maxDensity: -.infinity)
        XCTAssertTrue(hybrid.isCSR && csrOnly.isCSR && !denseOnly.isCSR)
        for layers in [(hybrid, csrOnly, denseOnly), (hybrid.fusingReLU(), csrOnly.fusingReLU(), denseOnly.fusingReLU())] {
            for n in [1, 2, 3, 4, 9, 70] {
                let x = Sample.normal([n, 80], seed: UInt64(92 + n), dtype: .float32)
                let expected = n < SparseLinear.smallBatch ? layers.2(x).scalars : layers.1(x).scalars
                XCTAssertEqual(layers.0(x).scalars, expected, "batch \(n), relu \(layers.0.fusedReLU)")
                if !layers.0.fusedReLU { assertWithinSummationBound(layers.0(x).scalars, maskedLinearReference(x, w, m, b), "batch \(n)") }
            }
        }
        // 5 % kept: below the small-batch cut-off, CSR at every batch
        let (w2, m2, b2) = maskedLinearProblem(out: 50, in: 80, keep: 0.05, emptyRows: [], seed: 93)
        let sparse = SparseLinear(weight: w2, bias: b2, mask: m2)
        let x = Sample.normal([1, 80], seed: 94, dtype: .float32)
        XCTAssertEqual(sparse(x).scalars, SparseLinear(weight: w2, bias: b2, mask: m2, smallBatchMaxDensity: 1)(x).scalars)
    }

    /// A compiled CSR layer keeps its small output tensor between calls (`SparseReusableOutput`):
    /// a result the caller still holds is never written by a later call, a dropped one's memory
    /// takes the next result, another shape gets a tensor of its own, and calls on several
    /// threads at once all get their own correct results.
    func testKeptOutputIsReusedOnlyWhenTheCallerDroppedIt() {
        let (w, m, b) = maskedLinearProblem(out: 40, in: 64, keep: 0.1, emptyRows: [3], seed: 71)
        let sparse = SparseLinear(weight: w, bias: b, mask: m).fusingReLU()
        XCTAssertTrue(sparse.isCSR)
        let x1 = Sample.normal([2, 64], seed: 72, dtype: .float32), x2 = Sample.normal([2, 64], seed: 73, dtype: .float32)
        // Each expected result from a layer of its own, on its first call (a fresh output tensor).
        let fresh = { (x: Tensor) in SparseLinear(weight: w, bias: b, mask: m).fusingReLU()(x).scalars }
        let e1 = fresh(x1), e2 = fresh(x2)
        XCTAssertNotEqual(e1, e2)
        func address(_ t: Tensor) -> UInt { t.withUnsafeRawBytes { UInt(bitPattern: $0.baseAddress) } }
        let y1 = sparse(x1)
        let y2 = sparse(x2)  // y1 is held: written elsewhere
        XCTAssertNotEqual(address(y1), address(y2))
        XCTAssertEqual(y1.scalars, e1, "a held result is not overwritten by the next call")
        XCTAssertEqual(y2.scalars, e2)
        var dropped: UInt = 0
        do { dropped = address(sparse(x1)) }
        let y3 = sparse(x2)
        XCTAssertEqual(address(y3), dropped, "a dropped result's memory takes the next one")
        XCTAssertEqual(y3.scalars, e2)
        XCTAssertEqual(y1.scalars, e1)
        let x5 = Sample.normal([5, 64], seed: 74, dtype: .float32)
        let y5 = sparse(x5)
        XCTAssertEqual(y5.shape, [5, 40])
        XCTAssertEqual(y5.scalars, fresh(x5))
        XCTAssertEqual(sparse(x1.withShape([1, 2, 64])).shape, [1, 2, 40])
        let wrong = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let y = sparse(i % 2 == 0 ? x1 : x2).scalars
            if y != (i % 2 == 0 ? e1 : e2) { wrong.withLock { $0 += 1 } }
        }
        XCTAssertEqual(wrong.withLock { $0 }, 0, "concurrent calls")
    }

    func testLeadingAxesAreBatchAxes() {
        let (w, m, b) = maskedLinearProblem(out: 6, in: 10, keep: 0.5, emptyRows: [2], seed: 61)
        let sparse = SparseLinear(weight: w, bias: b, mask: m, maxDensity: 1)
        let x = Sample.normal([3, 5, 10], seed: 62, dtype: .float32)
        let y = sparse(x)
        XCTAssertEqual(y.shape, [3, 5, 6])
        XCTAssertEqual(y.scalars, sparse(x.withShape([15, 10])).scalars)
    }

    /// A masked MLP compiled as a whole: same outputs, SparseLinear layers, no parameters left;
    /// a plain Linear whose weight was zeroed (binarized) compiles to CSR as well.
    func testCompileSparseReplacesMaskedAndBinarizedLinearLayers() {
        let model = Sequential<Tensor, Tensor>(Flatten(1, -1), LinearMasked(48, 30), ReLU(),
                                               Sequential<Tensor, Tensor>(LinearMasked(30, 12), ReLU()), Linear(12, 5))
        var params = model.initialParameters(key: RandomKey(seed: 7))
        let (_, m1, _) = maskedLinearProblem(out: 30, in: 48, keep: 0.05, emptyRows: [3], seed: 71)
        let (_, m2, _) = maskedLinearProblem(out: 12, in: 30, keep: 0.1, emptyRows: [], seed: 72)
        let (_, m3, _) = maskedLinearProblem(out: 5, in: 12, keep: 0.2, emptyRows: [1], seed: 73)
        params["1.mask"] = m1
        params["3.0.mask"] = m2
        params["4.weight"] = params["4.weight"]! * m3  // binarized: zeros live in the weight itself
        let (compiled, rest) = compileSparse(model, parameters: params)
        XCTAssertTrue(rest.isEmpty, "compiled layers keep no parameters, got \(rest.keys)")
        XCTAssertTrue((compiled.layers[1] as? SparseLinear)?.fusedReLU ?? false, "the ReLU after layer 1 is fused")
        XCTAssertTrue(compiled.layers[2] is Identity<Tensor>)
        XCTAssertTrue(compiled.layers[4] is SparseLinear)
        XCTAssertFalse((compiled.layers[4] as? SparseLinear)?.fusedReLU ?? true)
        XCTAssertTrue(((compiled.layers[3] as? Sequential<Tensor, Tensor>)?.layers[0] as? SparseLinear)?.fusedReLU ?? false)
        XCTAssertTrue((compiled.layers[4] as? SparseLinear)?.isCSR ?? false)
        for n in [1, 3, 128] {
            let x = Sample.normal([n, 3, 4, 4], seed: UInt64(74 + n), dtype: .float32)
            let dense = model(x, parameters: params)
            let sparse = compiled(x, parameters: rest)
            XCTAssertEqual(sparse.shape, [n, 5])
            let d = dense.scalars, s = sparse.scalars
            // Three layers of float32 sums of ≤ 48 terms of magnitude ≲ 10: a few 1e-5 at most.
            let scale = d.map(abs).max() ?? 1
            for i in 0..<d.count { XCTAssertEqual(s[i], d[i], accuracy: 1e-5 * max(scale, 1), "batch \(n), element \(i)") }
        }
    }
}
