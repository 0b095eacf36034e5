import XCTest
import Foundation
import Autodiff
import Ops
import NN
import TestSupport

// The dense ↔ complex rows of cplxmodule's load_state_dict matrix (inventory §10), with
// `ParameterTree.loading(_:strict:)`. Where torch 2.13 + cplxmodule is broken (nested
// real → complex promotion loads nothing and reports the keys both missing and unexpected),
// Wirtinger implements the documented behaviour: `P.real ← P`, `P.imag ← 0`.

final class LoadMatrixTests: XCTestCase {
    let key = RandomKey(seed: 42)

    /// Linear → CplxLinear: promotion of every parameter, nothing missing or unexpected
    /// (cplxmodule on torch 2.13: missing [weight, bias] and unexpected [weight, bias]).
    func testLinearIntoCplxLinearPromotes() throws {
        let dense = Linear(3, 4).initialParameters(key: key, dtype: .float64)
        let cplx = CplxLinear(3, 4).initialParameters(key: key.fold(1), dtype: .float64)
        for strict in [false, true] {
            let (tree, report) = try cplx.loading(dense, strict: strict)
            XCTAssertTrue(report.isClean, "\(report)")
            XCTAssertEqual(Set(report.promoted), ["weight", "bias"])
            XCTAssertEqual(tree.keys, cplx.keys, "the receiver's key order is kept")
            XCTAssertTrue(tree["weight.real"]!.isIdentical(to: dense["weight"]!))
            XCTAssertTrue(tree["bias.real"]!.isIdentical(to: dense["bias"]!))
            XCTAssertEqual(tree["weight.imag"]!.scalars, [Double](repeating: 0, count: 12))
            XCTAssertEqual(tree["bias.imag"]!.scalars, [0, 0, 0, 0])
        }
        // the promoted complex layer computes the real layer on real input
        let (tree, _) = try cplx.loading(dense, strict: true)
        let x = Sample.normal([5, 3], seed: 1)
        let z = CplxLinear(3, 4)(ComplexTensor(real: x), parameters: tree)
        assertClose(z.real, Linear(3, 4)(x, parameters: dense), rtol: 1e-14, atol: 1e-15, "promoted forward")
        XCTAssertEqual(z.imag.scalars, [Double](repeating: 0, count: 20))
    }

    /// Sequential(Linear) → Sequential(CplxLinear): the nested case (cplxmodule: `0.weight`,
    /// `0.bias` both missing and unexpected; here promoted).
    func testNestedSequentialPromotion() throws {
        let dense = Sequential<Tensor, Tensor>(Linear(3, 4), ReLU(), Linear(4, 2)).initialParameters(key: key, dtype: .float32)
        let model = Sequential<ComplexTensor, ComplexTensor>(CplxLinear(3, 4), CplxModReLU(), CplxLinear(4, 2))
        let cplx = model.initialParameters(key: key, dtype: .float32)
        let (tree, report) = try cplx.loading(dense, strict: true)
        XCTAssertEqual(Set(report.promoted), ["0.weight", "0.bias", "2.weight", "2.bias"])
        XCTAssertTrue(report.isClean)
        XCTAssertTrue(tree["2.weight.real"]!.isIdentical(to: dense["2.weight"]!))
    }

    /// CplxLinear → Linear: missing [weight, bias], unexpected the four complex parts; strict throws.
    func testCplxLinearIntoLinear() throws {
        let cplx = CplxLinear(3, 4).initialParameters(key: key, dtype: .float64)
        let dense = Linear(3, 4).initialParameters(key: key, dtype: .float64)
        let (tree, report) = try dense.loading(cplx, strict: false)
        XCTAssertEqual(report.missing, ["weight", "bias"])
        XCTAssertEqual(report.unexpected, ["weight.imag", "weight.real", "bias.imag", "bias.real"])
        XCTAssertTrue(tree["weight"]!.isIdentical(to: dense["weight"]!), "nothing loaded")
        XCTAssertThrowsError(try dense.loading(cplx, strict: true)) { error in
            guard case ParameterTreeError.strictLoadFailed(let r) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(r, report)
        }
    }

    /// CplxLinear ↔ CplxLinear and Linear ↔ Linear: clean, values copied.
    func testSameKindRoundTrips() throws {
        let a = CplxLinear(3, 4).initialParameters(key: key, dtype: .float64)
        let b = CplxLinear(3, 4).initialParameters(key: key.fold(9), dtype: .float64)
        let (tree, report) = try b.loading(a, strict: true)
        XCTAssertTrue(report.isClean && report.promoted.isEmpty)
        for k in a.keys { XCTAssertTrue(tree[k]!.isIdentical(to: a[k]!), k) }
        // dtype follows the receiver
        let (t32, _) = try CplxLinear(3, 4).initialParameters(key: key, dtype: .float32).loading(a, strict: true)
        XCTAssertEqual(t32["weight.real"]!.dtype, .float32)
    }

    /// Promotion with a wrong shape is a shape mismatch, not a load.
    func testPromotionShapeMismatch() throws {
        let dense = Linear(3, 5).initialParameters(key: key, dtype: .float64)
        let cplx = CplxLinear(3, 4).initialParameters(key: key, dtype: .float64)
        XCTAssertThrowsError(try cplx.loading(dense, strict: false)) { error in
            XCTAssertTrue("\(error)".hasPrefix("size mismatch for weight: copying a param with shape [5, 3]"), "\(error)")
        }
        let (_, report) = try cplx.loading(dense, strict: false, skipShapeMismatches: true)
        XCTAssertEqual(Set(report.shapeMismatches.map(\.key)), ["weight", "bias"])
        XCTAssertTrue(report.promoted.isEmpty)
        XCTAssertThrowsError(try cplx.loading(dense, strict: true))
    }

    /// Only `weight.real` given: the imaginary part is reported missing (cplxmodule raises
    /// "Complex parameter requires both parts" even with strict=False; here a non-strict load
    /// keeps the current imaginary part and reports it).
    func testOnlyOnePartGiven() throws {
        let cplx = CplxLinear(3, 4, bias: false).initialParameters(key: key, dtype: .float64)
        let src: ParameterTree = ["weight.real": Tensor.ones([4, 3], dtype: .float64)]
        let (tree, report) = try cplx.loading(src, strict: false)
        XCTAssertEqual(report.missing, ["weight.imag"])
        XCTAssertEqual(tree["weight.real"]!.scalars, [Double](repeating: 1, count: 12))
        XCTAssertThrowsError(try cplx.loading(src, strict: true))
    }

    /// A cplxmodule state dict (fixture parameters) loads strictly into our complex layers, and
    /// real batch norm's int64 `num_batches_tracked` into our float64 entry.
    func testCplxmoduleStateDictsLoadStrictly() throws {
        let file = try Fixture.load("layers")
        let conv = CplxConv2d(4, 4, 3, padding: 1, groups: 2).initialParameters(key: key, dtype: .float64)
        let (tree, report) = try conv.loading(Fixture.params(file, case: "CplxConv2d.groups2"), strict: true)
        XCTAssertTrue(report.isClean)
        XCTAssertTrue(tree["weight.imag"]!.isIdentical(to: try Fixture.tensor(file, "CplxConv2d.groups2/param/weight.imag")))
        let bn = BatchNorm1d(3).initialParameters(key: key, dtype: .float32)
        let (bnTree, bnReport) = try bn.loading(Fixture.params(file, case: "BatchNorm1d.input2d.eval"), strict: true)
        XCTAssertTrue(bnReport.isClean)
        XCTAssertEqual(bnTree["num_batches_tracked"]!.item, 1)
    }
}

/// The typed Sequential refuses a real layer after a complex one: the check the initialiser
/// makes, as a throwing function (so the test does not stop the process).
final class SequentialKindTests: XCTestCase {
    func testRealLayerAfterComplexLayerIsRefused() {
        XCTAssertThrowsError(try Sequential<ComplexTensor, ComplexTensor>.validate([CplxLinear(3, 4), ReLU()])) { error in
            XCTAssertEqual(error as? SequentialError,
                           .kindMismatch(index: 1, layer: "ReLU", takes: .real, receives: .complex, previous: "CplxLinear"))
            XCTAssertEqual("\(error)", "Sequential: layer 1 (ReLU) takes real input but receives complex from layer 0 (CplxLinear)")
        }
        XCTAssertThrowsError(try Sequential<Tensor, Tensor>.validate([CplxLinear(3, 4)])) { error in
            XCTAssertEqual("\(error)", "Sequential: layer 0 (CplxLinear) takes complex input but receives real (the container's input)")
        }
        XCTAssertThrowsError(try Sequential<Tensor, Tensor>.validate([RealToCplx(), CplxLinear(2, 2)])) { error in
            XCTAssertEqual(error as? SequentialError, .outputMismatch(produces: .complex, expected: .real))
        }
        XCTAssertThrowsError(try Sequential<Tensor, ComplexTensor>.validate([]))
    }

    func testMixedChainsThroughCastingLayersAreAccepted() throws {
        let layers: [any SequentialLayer] = [Flatten(1, -1), RealToCplx(), CplxLinear(4, 3), CplxModReLU(.fixed(0.1)),
                                             CplxLinear(3, 2), CplxModulus()]
        XCTAssertNoThrow(try Sequential<Tensor, Tensor>.validate(layers))
        let model = Sequential<Tensor, Tensor>(layers)
        let p = model.initialParameters(key: RandomKey(seed: 0), dtype: .float64)
        XCTAssertEqual(p.keys, ["2.weight.imag", "2.weight.real", "2.bias.imag", "2.bias.real",
                                "4.weight.imag", "4.weight.real", "4.bias.imag", "4.bias.real"])
        let y = model(Sample.normal([5, 2, 4], seed: 1), parameters: p)
        XCTAssertEqual(y.shape, [5, 2])
        XCTAssertTrue(y.scalars.allSatisfy { $0 >= 0 })
        XCTAssertNoThrow(try Sequential<ComplexTensor, ComplexTensor>.validate([]))
    }
}
