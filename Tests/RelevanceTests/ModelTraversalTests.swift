import XCTest
import Foundation
import Autodiff
import Ops
import NN
import Relevance
import TestSupport

/// The seed's two-stage model: `features` then `classifier`, each a `Sequential`, mirroring
/// `MNISTFullyConnected` and its complex and convolutional variants.
struct TwoStage<Mid: ActivationValue, Out: ActivationValue>: SequentialLayer {
    @Child var features: Sequential<Tensor, Mid>
    @Child var classifier: Sequential<Mid, Out>
    init(features: Sequential<Tensor, Mid>, classifier: Sequential<Mid, Out>) {
        _features = Child("features", features); _classifier = Child("classifier", classifier)
    }
    func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Out {
        $classifier($features(x, parameters: p, context: context), parameters: p, context: context)
    }
}

/// The seed's `MNISTFullyConnected(n_hidden, linear=…)`, with the type-substitution argument
/// as a closure: `mnistFullyConnected(8) { LinearARD($0, $1) }`.
func mnistFullyConnected(_ nHidden: Int = 400, linear: (Int, Int) -> any SequentialLayer = { Linear($0, $1) })
    -> TwoStage<Tensor, Tensor> {
    TwoStage(features: Sequential(Flatten(-3, -1)),
             classifier: Sequential(linear(28 * 28, nHidden), ReLU(), linear(nHidden, 10)))
}

/// The complex variant: interleaved real-to-complex features, modReLU, modulus at the end.
func cplxMNISTFullyConnected(_ nHidden: Int = 400, linear: (Int, Int) -> any SequentialLayer = { CplxLinear($0, $1) })
    -> TwoStage<ComplexTensor, Tensor> {
    TwoStage(features: Sequential(Flatten(-3, -1), RealToCplx()),
             classifier: Sequential(linear(392, nHidden), CplxModReLU(.fixed(0.1)), linear(nHidden, 10), CplxModulus()))
}

/// The small convolutional variant of `models.safetensors`.
func smallConvNet(conv: (Int, Int) -> any SequentialLayer, linear: (Int, Int) -> any SequentialLayer) -> TwoStage<Tensor, Tensor> {
    TwoStage(features: Sequential(conv(1, 2), ReLU(), Flatten(-3, -1)), classifier: Sequential(linear(128, 10)))
}

/// `models.safetensors`: whole models of cplxmodule 2022.6 (float64, eval mode, n_hidden = 8).
final class ModelTraversalTests: XCTestCase {
    func check<M: SequentialLayer>(_ model: M, _ id: String, maskedTwin: (any SequentialLayer)? = nil) throws
    where M.Input == Tensor, M.Output == Tensor {
        let file = try Fixture.load("models")
        let meta = try Fixture.metadata(file, case: id)
        func t(_ role: String) throws -> Tensor { try Fixture.tensor(file, "\(id)/\(role)") }
        let stored = Fixture.params(file, case: id)

        // Keys, order and shapes of a fresh tree are cplxmodule's; the stored state dict loads strictly.
        let fresh = model.initialParameters(key: RandomKey(seed: 7), dtype: .float64)
        XCTAssertEqual(fresh.keys, meta["keys"] as? [String], "\(id): keys")
        let (params, report) = try fresh.loading(stored, strict: true)
        XCTAssertTrue(report.isClean, "\(id): \(report)")

        // Eval output, and the loss cross_entropy + 0.01·Σ penalties with its gradient.
        let x = try t("input")
        assertClose(model(x, parameters: params), try t("output"), rtol: 1e-10, atol: 1e-12, "\(id): output")
        let targets = try t("target").scalars.map { Int($0) }
        let (loss, grads) = valueWithGradient(at: params) { p in
            crossEntropy(model(x, parameters: p), targets: targets) + 0.01 * totalPenalty(model, parameters: p)
        }
        assertClose(loss, try t("loss").withShape(loss.shape), rtol: 1e-10, atol: 1e-12, "\(id): loss")
        for k in params.keys where !k.hasSuffix("mask") {   // masks are buffers: cplxmodule stores no gradient
            assertClose(grads[k]!, try t("grad_loss/" + k), rtol: 1e-9, atol: 1e-12, "\(id): grad_loss/\(k)")
        }

        // Penalties by path for the three reductions.
        let paths = meta["penalty_paths"] as? [String] ?? []
        XCTAssertEqual(namedPenalties(model, parameters: params).map(\.path), paths, "\(id): penalty paths")
        for (reduction, role) in [(Reduction.sum, "penalty_sum"), (.mean, "penalty_mean"), (.none, "penalty_none")] {
            for (path, value) in namedPenalties(model, parameters: params, reduction: reduction) {
                let expected = try t("\(role)/\(path)")
                assertClose(value, expected.withShape(value.shape), rtol: 1e-10, atol: 1e-12, "\(id): \(role)/\(path)")
            }
        }
        guard let twin = maskedTwin else { return }

        // Masks by path at both thresholds.
        for threshold in ["-0.5", "3"] {
            let masks = computeARDMasks(model, parameters: params, threshold: Double(threshold)!)
            let expected = Fixture.entries(file, case: id, role: "masks@\(threshold)")
            XCTAssertEqual(masks.keys, meta["masks"] as? [String], "\(id): mask keys")
            for k in expected.keys { assertClose(masks[k]!, expected[k]!, rtol: 0, atol: 0, "\(id): masks@\(threshold)/\(k)") }
        }

        // The seed's state_dict_with_masks recipe at −0.5: binarize, then load into the masked twin.
        let masks = computeARDMasks(model, parameters: params, threshold: -0.5)
        var (stateDict, binary) = binarizeMasks(params, masks: masks)
        let changed = Fixture.entries(file, case: id, role: "binarized@-0.5")
        XCTAssertEqual(Set(changed.keys), Set(meta["binarized_keys"] as? [String] ?? []))
        for k in changed.keys {
            let ours = k.hasSuffix("mask") ? binary[k]! : stateDict[k]!
            assertClose(ours, changed[k]!, rtol: 0, atol: 0, "\(id): binarized@-0.5/\(k)")
        }
        for k in params.keys where changed[k] == nil {
            XCTAssertTrue(stateDict[k]!.scalars == params[k]!.scalars, "\(id): \(k) is not changed by binarizeMasks")
        }
        stateDict.merge(binary)
        let maskedFresh = twin.initialParameters(key: RandomKey(seed: 8), dtype: .float64)
        let (maskedParams, maskedReport) = try maskedFresh.loading(stateDict, strict: false)
        let expectedLoad = meta["masked_load"] as? [String: [String]] ?? [:]
        XCTAssertEqual(maskedReport.missing, expectedLoad["missing"], "\(id): masked load, missing")
        XCTAssertEqual(maskedReport.unexpected, expectedLoad["unexpected"], "\(id): masked load, unexpected")
        XCTAssertEqual(maskedReport.unexpected.allSatisfy { $0.hasSuffix("log_sigma2") }, true)
        let y = runErased(twin, x, maskedParams)
        assertClose(y, try t("masked_output@-0.5"), rtol: 1e-10, atol: 1e-12, "\(id): masked twin output")
    }

    func runErased<L: SequentialLayer>(_ layer: L, _ x: Tensor, _ p: ParameterTree) -> Tensor {
        layer(x as! L.Input, parameters: p) as! Tensor
    }

    func testDenseMLP() throws { try check(mnistFullyConnected(8), "mlp.dense") }

    func testARDMLP() throws {
        try check(mnistFullyConnected(8) { LinearARD($0, $1) }, "mlp.ard",
                  maskedTwin: mnistFullyConnected(8) { LinearMasked($0, $1) })
    }

    func testMaskedMLP() throws { try check(mnistFullyConnected(8) { LinearMasked($0, $1) }, "mlp.masked") }

    func testComplexMLPs() throws {
        try check(cplxMNISTFullyConnected(8), "cplx_mlp.dense")
        try check(cplxMNISTFullyConnected(8) { CplxLinearVD($0, $1) }, "cplx_mlp.vd",
                  maskedTwin: cplxMNISTFullyConnected(8) { CplxLinearMasked($0, $1) })
        try check(cplxMNISTFullyConnected(8) { CplxLinearMasked($0, $1) }, "cplx_mlp.masked")
    }

    func testConvVD() throws {
        try check(smallConvNet(conv: { Conv2dVD($0, $1, 5, stride: 3) }, linear: { LinearVD($0, $1) }), "conv.vd",
                  maskedTwin: smallConvNet(conv: { Conv2dMasked($0, $1, 5, stride: 3) }, linear: { LinearMasked($0, $1) }))
    }

    func testEveryModelCaseIsCovered() throws {
        XCTAssertEqual(Fixture.cases(try Fixture.load("models")),
                       ["conv.vd", "cplx_mlp.dense", "cplx_mlp.masked", "cplx_mlp.vd", "mlp.ard", "mlp.dense", "mlp.masked"])
    }
}
