import Autodiff
import Kernels
import Ops
import TestSupport
import XCTest

/// `linear(x, PackedLinearWeight, bias:)` equals `linear(x, W, bias:)` bit for bit, on both sides of
/// the skinny cut-off, and differentiates through the ordinary op when the input is traced.
final class PackedLinearTests: XCTestCase {
    func testEqualsPlainLinearBitForBit() {
        for dtype in [DType.float32, .float64] {
            let w = Sample.normal([37, 45], seed: 1, dtype: dtype), b = Sample.normal([37], seed: 2, dtype: dtype)
            let packed = PackedLinearWeight(w)
            XCTAssertGreaterThanOrEqual(packed.packedByteCount, w.count * dtype.byteSize)
            for rows in [1, 16, 17, 64] {
                let x = Sample.normal([rows, 45], seed: UInt64(rows), dtype: dtype)
                XCTAssertEqual(linear(x, packed, bias: b).scalars, linear(x, w, bias: b).scalars, "\(dtype) rows \(rows)")
                XCTAssertEqual(linear(x, packed).scalars, linear(x, w).scalars, "\(dtype) rows \(rows), no bias")
            }
            let x3 = Sample.normal([3, 7, 45], seed: 9, dtype: dtype)
            let y3 = linear(x3, packed, bias: b)
            XCTAssertEqual(y3.shape, [3, 7, 37])
            XCTAssertEqual(y3.scalars, linear(x3, w, bias: b).scalars)
        }
    }

    /// `relu: true` equals `relu(linear(...))` bit for bit, NaN kept and −0 made +0, on both sides
    /// of the skinny cut-off and at 1 and 2 threads.
    func testFusedReLUEqualsReLUOfTheOutput() {
        let saved = wt_get_num_threads()
        defer { _ = wt_set_num_threads(saved) }
        var w = Sample.normal([33, 20], seed: 5, dtype: .float32)
        w.withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<Float>) in p[3] = .nan }  // row 0 of the output: NaN
        let packed = PackedLinearWeight(w), b = Sample.normal([33], seed: 6, dtype: .float32)
        for threads: Int32 in [1, 2] {
            _ = wt_set_num_threads(threads)
            for rows in [3, 17, 300] {
                let x = Sample.normal([rows, 20], seed: UInt64(rows), dtype: .float32)
                let fused = linear(x, packed, bias: b, relu: true), plain = relu(linear(x, w, bias: b))
                XCTAssertEqual(fused.scalars.map(\.bitPattern), plain.scalars.map(\.bitPattern), "rows \(rows), \(threads) threads")
                XCTAssertTrue(fused.scalars.contains { $0.isNaN }, "the NaN weight reaches the output")
                XCTAssertEqual(linear(x, packed, relu: true).scalars.map(\.bitPattern), relu(linear(x, w)).scalars.map(\.bitPattern))
            }
        }
    }

    func testTracedInputDifferentiatesThroughOrdinaryLinear() {
        let w = Sample.normal([6, 5], seed: 3), x = Sample.normal([20, 5], seed: 4)
        let packed = PackedLinearWeight(w)
        let (_, gp) = valueWithGradient(at: [x]) { t in sum(linear(t[0], packed)) }
        let (_, gw) = valueWithGradient(at: [x]) { t in sum(linear(t[0], w)) }
        XCTAssertEqual(gp[0].scalars, gw[0].scalars)
    }
}
