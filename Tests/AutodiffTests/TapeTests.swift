import XCTest
import Ops

final class TapeTests: XCTestCase {
    func testNothingIsRecordedOutsideAGradientCall() {
        let x = Tensor([1, 2] as [Float])
        let y = x * x + x
        XCTAssertNil(y.trace)
    }

    func testGradientOfValueUsedTwiceIsSummed() {
        let x = Tensor([1, 2, 3], dtype: .float64)
        let (v, g) = valueWithGradient(at: x) { x in sum(x * x + x) }
        XCTAssertEqual(v.item, 1 + 4 + 9 + 6)
        XCTAssertEqual(g.scalars, [3, 5, 7])
        XCTAssertNil(v.trace, "returned values are detached")
    }

    func testBroadcastGradientIsUnbroadcast() {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6], dtype: .float64)
        let b = Tensor([10, 20, 30], dtype: .float64)
        let (_, (ga, gb)) = valueWithGradient(at: a, b) { a, b in sum(a * b) }
        XCTAssertEqual(ga.scalars, [10, 20, 30, 10, 20, 30])
        XCTAssertEqual(gb.shape, [3]); XCTAssertEqual(gb.scalars, [5, 7, 9])
    }

    func testUnusedInputGetsZeroGradient() {
        let g = gradient(at: Tensor([1, 2], dtype: .float64)) { _ in Tensor(scalar: 3, dtype: .float64) }
        XCTAssertEqual(g.scalars, [0, 0])
    }

    func testCapturedTensorIsAConstant() {
        let c = Tensor([2, 3], dtype: .float64)
        let g = gradient(at: Tensor([1, 1], dtype: .float64)) { x in sum(x * c) }
        XCTAssertEqual(g.scalars, [2, 3])
    }

    func testParameterTreeGradientHasTheSameKeys() {
        let tree: ParameterTree = ["layer.weight": Tensor([1, 2], dtype: .float64), "layer.bias": Tensor([5], dtype: .float64),
                                   "unused": Tensor([0], dtype: .float64)]
        let (v, g) = valueWithGradient(at: tree) { p in sum(p["layer.weight"]! * p["layer.weight"]!) + sum(p["layer.bias"]!) }
        XCTAssertEqual(v.item, 10)
        XCTAssertEqual(g.keys, tree.keys)
        XCTAssertEqual(g["layer.weight"]!.scalars, [2, 4])
        XCTAssertEqual(g["layer.bias"]!.scalars, [1])
        XCTAssertEqual(g["unused"]!.scalars, [0])
    }

    func testComplexGradientFollowsPyTorchConvention() {
        // L = |z|² = x² + y²  →  grad = ∂L/∂x + i ∂L/∂y = 2x + 2iy
        let z = ComplexTensor(real: Tensor([3], dtype: .float64), imag: Tensor([-4], dtype: .float64))
        let g = gradient(at: z) { z in sum(z.real * z.real + z.imag * z.imag) }
        XCTAssertEqual(g.real.scalars, [6]); XCTAssertEqual(g.imag.scalars, [-8])
    }

    func testPullbackWithExplicitCotangent() {
        let (ys, pb) = valueWithPullback(at: [Tensor([1, 2], dtype: .float64)]) { [$0[0] * 3] }
        XCTAssertEqual(ys[0].scalars, [3, 6])
        XCTAssertEqual(pb([Tensor([1, 10], dtype: .float64)])[0].scalars, [3, 30])
        XCTAssertEqual(pb([Tensor([2, 0], dtype: .float64)])[0].scalars, [6, 0], "pullback can be called again")
    }

    func testIndependentGradientCallsRunConcurrently() {
        let inputs = (0..<8).map { Tensor([Double($0), 1, 2], dtype: .float64) }
        let serial = inputs.map { x in gradient(at: x) { x in sum(x * x * x) }.scalars }
        let results = UnsafeMutableBufferPointer<[Double]>.allocate(capacity: inputs.count)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: inputs.count) { i in
            out[i] = gradient(at: inputs[i]) { x in sum(x * x * x) }.scalars
        }
        XCTAssertEqual(Array(results), serial)
    }
}
