import Foundation
import XCTest
import Ops
import TestSupport

/// Forward values and vector–Jacobian products of the real elementwise ops, softmax family,
/// log-sum-exp and losses against PyTorch 2.13 (`Tests/Fixtures/ops_real.safetensors`, written by
/// `generate_fixtures.py`). Float64 cases must agree to rtol 1e-12, float32 cases to rtol 1e-5.
final class ElementwiseFixtureTests: XCTestCase {
    /// Tolerances: float64 agrees to rtol 1e-12; atol only absorbs rounding of values that are
    /// themselves ~1e-16 (differences of nearly equal numbers in pullbacks). Extreme-argument
    /// cases use atol 0, so tiny tails (σ(−700) ≈ 1e-304) are compared relatively.
    static let rtol64 = 1e-12, atol64 = 1e-15
    static let rtol32 = 1e-5, atol32 = 1e-12

    /// Loads `<id>/<role>` for `roles`, runs `f` with them as differentiable inputs, and compares
    /// the output with `<id>/output` and the pullback of `<id>/cot` with `<id>/grad/<role>`.
    func check(_ id: String, roles: [String] = ["input"], rtol: Double? = nil, atol: Double? = nil,
               file: StaticString = #filePath, line: UInt = #line, _ f: @escaping ([Tensor]) -> Tensor) throws {
        let fx = try Fixture.load("ops_real")
        let xs = try roles.map { try Fixture.tensor(fx, "\(id)/\($0)") }
        let expected = try Fixture.tensor(fx, "\(id)/output")
        let cot = try Fixture.tensor(fx, "\(id)/cot")
        let is32 = expected.dtype == .float32
        let rtol = rtol ?? (is32 ? Self.rtol32 : Self.rtol64)
        let atol = atol ?? (is32 ? Self.atol32 : Self.atol64)
        let (ys, pullback) = valueWithPullback(at: xs) { [f($0)] }
        XCTAssertEqual(ys[0].dtype, expected.dtype, "\(id): output dtype", file: file, line: line)
        assertClose(ys[0], expected, rtol: rtol, atol: atol, "\(id) output", file: file, line: line)
        let grads = pullback([cot])
        for (role, g) in zip(roles, grads) {
            let e = try Fixture.tensor(fx, "\(id)/grad/\(role)")
            assertClose(g, e, rtol: rtol, atol: atol, "\(id) grad/\(role)", file: file, line: line)
        }
    }

    /// Class indices stored as int64 (read as float64) → `[Int]`, row-major.
    func targets(_ id: String) throws -> [Int] {
        try Fixture.tensor(try Fixture.load("ops_real"), "\(id)/target").scalars.map { Int($0) }
    }

    func testActivationsAtExtremeArguments() throws {
        // ±700 in float64 and ±100 in float32 exercise the stable forms; atol 0 for float64.
        for suffix in ["", ".f32"] {
            let atol = suffix.isEmpty ? 0 : Self.atol32
            try check("softplus.extreme" + suffix, atol: atol) { softplus($0[0], beta: 1, threshold: 20) }
            try check("sigmoid.extreme" + suffix, atol: atol) { sigmoid($0[0]) }
            try check("logsigmoid.extreme" + suffix, atol: atol) { logSigmoid($0[0]) }
            try check("tanh.extreme" + suffix, atol: atol) { tanh($0[0]) }
        }
    }

    func testActivationsAtRandomArguments() throws {
        try check("softplus.random") { softplus($0[0]) }
        try check("sigmoid.random") { sigmoid($0[0]) }
        try check("logsigmoid.random") { logSigmoid($0[0]) }
        try check("tanh.random") { tanh($0[0]) }
    }

    func testSoftmaxAndLogSoftmax() throws {
        for (suffix, axis) in [("dim1", 1), ("dim-1", -1), ("large_values", 1)] {
            try check("softmax." + suffix) { softmax($0[0], axis: axis) }
            try check("log_softmax." + suffix) { logSoftmax($0[0], axis: axis) }
        }
    }

    func testLogSumExp() throws {
        try check("logsumexp.dim1") { logSumExp($0[0], axes: [1]) }
        try check("logsumexp.dim-1_keepdim") { logSumExp($0[0], axes: [-1], keepDims: true) }
        // Rows offset by ±1000 and one −inf entry, whose gradient must be exactly 0.
        try check("logsumexp.large_values") { logSumExp($0[0], axes: [1]) }
    }

    func testCrossEntropyAndNLL() throws {
        for (name, r) in [("mean", Reduction.mean), ("sum", .sum), ("none", .none)] {
            let ce = try targets("cross_entropy." + name)
            try check("cross_entropy." + name) { crossEntropy($0[0], targets: ce, reduction: r) }
            let nll = try targets("nll_loss." + name)
            try check("nll_loss." + name) { nllLoss($0[0], targets: nll, reduction: r) }
        }
        let spatial = try targets("cross_entropy.spatial_mean")
        try check("cross_entropy.spatial_mean") { crossEntropy($0[0], targets: spatial) }
    }

    func testMSEAndBinaryCrossEntropyWithLogits() throws {
        for (name, r) in [("mean", Reduction.mean), ("sum", .sum), ("none", .none)] {
            try check("mse_loss." + name, roles: ["input", "target"]) { mseLoss($0[0], $0[1], reduction: r) }
            // Logits include ±50 and ±700.
            try check("binary_cross_entropy_with_logits." + name, roles: ["input", "target"]) {
                binaryCrossEntropyWithLogits($0[0], $0[1], reduction: r)
            }
        }
    }
}

/// Behaviour the fixtures do not cover: comparisons, sign, dtype casts, tie and boundary rules,
/// precondition-free edge cases and Ei at known values.
final class ElementwiseBehaviourTests: XCTestCase {
    func testComparisonsReturnMasksOfTheOperandDType() {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, .nan], dtype: .float32)
        let b = Tensor(shape: [3], scalars: [1, 3, 2], dtype: .float32)
        let cases: [(Tensor, [Double])] = [
            (a .> b, [0, 0, 1, 1, 1, 0]), (a .< b, [0, 1, 0, 0, 0, 0]),
            (a .>= b, [1, 0, 1, 1, 1, 0]), (a .<= b, [1, 1, 0, 0, 0, 0]),
            (a .== b, [1, 0, 0, 0, 0, 0]), (a .!= b, [0, 1, 1, 1, 1, 1]),
            (a .> 2.5, [0, 0, 1, 1, 1, 0]), (a .== 4, [0, 0, 0, 1, 0, 0]), (2.5 .> a, [1, 1, 0, 0, 0, 0]),
        ]
        for (k, (mask, expected)) in cases.enumerated() {
            XCTAssertEqual(mask.dtype, .float32, "case \(k)")
            XCTAssertEqual(mask.shape, [2, 3], "case \(k)")
            XCTAssertEqual(mask.scalars, expected, "case \(k)")
        }
        // Not recorded: the gradient of anything built only from a mask is zero.
        let g = gradient(at: Sample.normal([4], seed: 1)) { x in sum((x .> 0) * 3) }
        XCTAssertEqual(g.scalars, [0, 0, 0, 0])
    }

    func testSignIsAConstant() {
        let x = Tensor([-2.0, -0.0, 0.0, 3.0, .nan])
        let s = sign(x).scalars
        XCTAssertEqual(Array(s[0..<4]), [-1, 0, 0, 1])
        XCTAssertTrue(s[4].isNaN)
        let g = gradient(at: Tensor([-2.0, 3.0])) { sum(sign($0) * $0) }
        XCTAssertEqual(g.scalars, [-1, 1])  // only through the second factor
    }

    func testCastRoundsAndConvertsTheGradientBack() {
        let x = Tensor([1.0 / 3.0, 2.5, -7.25])
        let (y, g) = valueWithGradient(at: x) { x in sum(cast(x, to: .float32) * 2) }
        XCTAssertEqual(y.dtype, .float32)
        XCTAssertEqual(g.dtype, .float64)
        XCTAssertEqual(g.scalars, [2, 2, 2])
        XCTAssertEqual(cast(x, to: .float32).scalars[0], Double(Float(1.0 / 3.0)))
    }

    func testClampGradientPassesAtTheBoundsInclusive() {
        let x = Tensor([-1.0, -0.5, 0.0, 1.0, 2.0])
        let (y, g) = valueWithGradient(at: x) { sum(clamp($0, min: -0.5, max: 1) * Tensor([1.0, 2, 3, 4, 5])) }
        XCTAssertEqual(y.item, -0.5 * 1 - 0.5 * 2 + 0 + 4 + 5)
        XCTAssertEqual(g.scalars, [0, 2, 3, 4, 0])
        // min > max: every value becomes max and nothing passes.
        XCTAssertEqual(clamp(x, min: 2, max: 1).scalars, [1, 1, 1, 1, 1])
    }

    func testMaximumAndMinimumSplitTiesHalfAndHalf() {
        let a = Tensor([1.0, 2.0, 3.0]), b = Tensor([1.0, 5.0, 0.0])
        let (_, (ga, gb)) = valueWithGradient(at: a, b) { sum(maximum($0, $1)) }
        XCTAssertEqual(ga.scalars, [0.5, 0, 1])
        XCTAssertEqual(gb.scalars, [0.5, 1, 0])
        let (_, (ha, hb)) = valueWithGradient(at: a, b) { sum(minimum($0, $1)) }
        XCTAssertEqual(ha.scalars, [0.5, 1, 0])
        XCTAssertEqual(hb.scalars, [0.5, 0, 1])
    }

    func testMaxAndMinReductionsSplitEvenlyAmongTies() {
        // Three tied maxima in row 0 (amax: ⅓ each), one in row 1.
        let x = Tensor(shape: [2, 4], scalars: [2, 2, 1, 2, -1, 4, 0, 3], dtype: .float64)
        let (y, g) = valueWithGradient(at: x) { sum(max($0, axes: [1]) * Tensor([3.0, 1.0])) }
        XCTAssertEqual(y.item, 2 * 3 + 4)
        XCTAssertEqual(g.scalars, [1, 1, 0, 1, 0, 1, 0, 0])
        let gmin = gradient(at: x) { min($0) }
        XCTAssertEqual(gmin.scalars, [0, 0, 0, 0, 1, 0, 0, 0])
        XCTAssertEqual(max(x, axes: [0], keepDims: true).shape, [1, 4])
        XCTAssertEqual(max(x, axes: [0], keepDims: true).scalars, [2, 4, 1, 3])
        XCTAssertTrue(max(Tensor([1.0, .nan, 3.0])).item.isNaN)
    }

    func testReluAndLeakyReLUAtZero() {
        let x = Tensor([-1.0, 0.0, 2.0])
        XCTAssertEqual(gradient(at: x) { sum(relu($0)) }.scalars, [0, 0, 1])
        XCTAssertEqual(gradient(at: x) { sum(leakyReLU($0, negativeSlope: 0.1)) }.scalars, [0.1, 0.1, 1])
        XCTAssertEqual(gradient(at: x) { sum(abs($0)) }.scalars, [-1, 0, 1])
    }

    func testSelectBroadcastsAndRoutesTheGradient() {
        let mask = Tensor(shape: [2, 1], scalars: [1, 0], dtype: .float32)  // any dtype
        let a = Tensor([1.0, 2.0, 3.0]), b = Tensor(scalar: -1, dtype: .float64)
        let (y, (ga, gb)) = valueWithGradient(at: a, b) { sum(select(mask, $0, $1) * Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6], dtype: .float64)) }
        XCTAssertEqual(y.item, 1 + 4 + 9 - 15)
        XCTAssertEqual(ga.scalars, [1, 2, 3])
        XCTAssertEqual(gb.scalars, [15])
    }

    func testPowEdgeCases() {
        // d/dx x⁰ = 0 even at x = 0; d/de xᵉ at x = 0, e ≥ 0 is 0 (not NaN from 0·log 0).
        XCTAssertEqual(gradient(at: Tensor([0.0, 2.0])) { sum(pow($0, 0)) }.scalars, [0, 0])
        let (_, (gx, ge)) = valueWithGradient(at: Tensor([0.0, 2.0]), Tensor([2.0, 3.0])) { sum(pow($0, $1)) }
        XCTAssertEqual(gx.scalars, [0, 12])
        XCTAssertEqual(ge.scalars[0], 0)
        XCTAssertEqual(ge.scalars[1], 8 * Foundation.log(2.0), accuracy: 1e-14)
    }

    func testSoftplusStaysFiniteBeyondTheThreshold() {
        // A huge threshold forces the log branch at x = 800, where log1p(exp(800)) would overflow.
        let y = softplus(Tensor([800.0, -700.0]), beta: 1, threshold: 1e6)
        XCTAssertEqual(y.scalars[0], 800)
        XCTAssertEqual(y.scalars[1], Foundation.exp(-700.0))
        XCTAssertEqual(softplus(Tensor([30.0]), beta: 2, threshold: 20).item, 30)
    }

    func testStableFormsInFloat32() {
        let x = Tensor([-100, -90, 90, 100] as [Float])
        let s = sigmoid(x).scalars
        XCTAssertEqual(s[0], Foundation.exp(-100.0), accuracy: 1e-6 * Foundation.exp(-100.0) + 1e-45)  // subnormal in float32
        XCTAssertEqual(s[1], Foundation.exp(-90.0), accuracy: 1e-6 * Foundation.exp(-90.0) + 1e-45)
        XCTAssertEqual(Array(s[2...]), [1, 1])
        XCTAssertEqual(logSigmoid(x).scalars(as: Float.self)[0], -100)
        XCTAssertEqual(softplus(x).scalars(as: Float.self)[3], 100)
        let lse = logSumExp(Tensor([1000, 1000] as [Float])).item
        XCTAssertEqual(lse, 1000 + Foundation.log(2.0), accuracy: 1e-3)
    }

    func testLogSumExpOfEmptyAndAllMinusInfinity() {
        XCTAssertEqual(logSumExp(Tensor.zeros([2, 0], dtype: .float64), axes: [1]).scalars, [-.infinity, -.infinity])
        XCTAssertEqual(logSumExp(Tensor([-Double.infinity, -.infinity])).item, -.infinity)
    }

    func testLossShapesAndEmptyBatches() {
        let logits = Sample.normal([4, 3, 2], seed: 5)
        XCTAssertEqual(crossEntropy(logits, targets: Array(repeating: 1, count: 8), reduction: .none).shape, [4, 2])
        XCTAssertEqual(nllLoss(Sample.normal([5], seed: 6), targets: [2], reduction: .none).shape, [])
        XCTAssertTrue(crossEntropy(Tensor.zeros([0, 3], dtype: .float64), targets: []).item.isNaN)  // mean of nothing
        XCTAssertEqual(crossEntropy(Tensor.zeros([0, 3], dtype: .float64), targets: [], reduction: .sum).item, 0)
        // log C for uniform logits.
        XCTAssertEqual(crossEntropy(Tensor.zeros([2, 4], dtype: .float64), targets: [0, 3]).item, Foundation.log(4.0), accuracy: 1e-15)
    }

    func testExpiAtKnownValuesAndItsDerivative() {
        // Ei(1) and Ei(−1) to 16 digits (Abramowitz & Stegun table 5.1 / scipy.special.expi).
        let x = Tensor([1.0, -1.0, 2.0])
        let g = gradient(at: x) { sum(expi($0)) }
        let v = expi(x).scalars
        XCTAssertEqual(v[0], 1.8951178163559368, accuracy: 1e-14)
        XCTAssertEqual(v[1], -0.21938393439552062, accuracy: 1e-15)
        XCTAssertEqual(v[2], 4.954234356001890, accuracy: 1e-13)
        XCTAssertEqual(g.scalars[0], Foundation.exp(1.0), accuracy: 1e-15)
        XCTAssertEqual(g.scalars[1], -Foundation.exp(-1.0), accuracy: 1e-15)
        XCTAssertEqual(g.scalars[2], Foundation.exp(2.0) / 2, accuracy: 1e-14)
        XCTAssertEqual(expi(Tensor([1, -1] as [Float])).dtype, .float32)
        XCTAssertEqual(expi(Tensor([1, -1] as [Float])).scalars[0], 1.8951178163559368, accuracy: 1e-6)
    }
}
