import XCTest
import Foundation
import Autodiff
import Ops
import NN
import TestSupport

// The seed's `MNISTFullyConnected` in Swift, with layer substitution by a closure (the Python
// passes a class through `**types`). Docs/Layers.md shows it next to the Python; this file
// proves it compiles and matches PyTorch on the models fixture (dense layers; the Relevance
// target adds the Bayesian and masked flavours).

/// `features = Sequential(Flatten(-3, -1))`, `classifier = Sequential(linear(784, h), ReLU(),
/// linear(h, 10))`: input `[B, 1, 28, 28]` → logits `[B, 10]`. State-dict keys
/// `classifier.0.*`, `classifier.2.*`, exactly PyTorch's.
struct MNISTFullyConnected: Layer {
    /// Builds one linear layer: (in features, out features, bias) → layer. The substitution table.
    typealias LinearFactory = (_ inFeatures: Int, _ outFeatures: Int, _ bias: Bool) -> any SequentialLayer

    let features: Child<Sequential<Tensor, Tensor>>
    let classifier: Child<Sequential<Tensor, Tensor>>

    init(nHidden: Int = 400, linear: LinearFactory = { Linear($0, $1, bias: $2) }) {
        features = Child("features", Sequential(Flatten(-3, -1)))
        classifier = Child("classifier", Sequential(linear(28 * 28, nHidden, true), ReLU(), linear(nHidden, 10, true)))
    }

    func callAsFunction(_ input: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        classifier(features(input, parameters: p, context: context), parameters: p, context: context)
    }
}

final class MNISTFullyConnectedTests: XCTestCase {
    func testKeysMatchPyTorch() {
        let model = MNISTFullyConnected(nHidden: 400)
        let p = model.initialParameters(key: RandomKey(seed: 0))
        XCTAssertEqual(p.keys, ["classifier.0.weight", "classifier.0.bias", "classifier.2.weight", "classifier.2.bias"])
        XCTAssertEqual(p["classifier.0.weight"]!.shape, [400, 784])
        XCTAssertEqual(p["classifier.2.weight"]!.shape, [10, 400])
    }

    /// Substitution: the factory decides the layer, here a bias-free Linear.
    func testLayerSubstitution() {
        let model = MNISTFullyConnected(nHidden: 16) { inFeatures, outFeatures, _ in Linear(inFeatures, outFeatures, bias: false) }
        let p = model.initialParameters(key: RandomKey(seed: 0))
        XCTAssertEqual(p.keys, ["classifier.0.weight", "classifier.2.weight"])
        let y = model(Sample.normal([3, 1, 28, 28], seed: 1, dtype: .float32), parameters: p)
        XCTAssertEqual(y.shape, [3, 10])
    }

    /// Forward logits and the loss gradient equal PyTorch's on the `mlp.dense` fixture case.
    func testDenseMatchesPyTorchFixture() throws {
        let file = try Fixture.load("models")
        let model = MNISTFullyConnected(nHidden: 8)
        let fresh = model.initialParameters(key: RandomKey(seed: 0), dtype: .float64)
        let (params, report) = try fresh.loading(Fixture.params(file, case: "mlp.dense"), strict: true)
        XCTAssertTrue(report.isClean)
        let x = try Fixture.tensor(file, "mlp.dense/input")
        let targets = try Fixture.tensor(file, "mlp.dense/target").scalars.map { Int($0) }
        assertClose(model(x, parameters: params), try Fixture.tensor(file, "mlp.dense/output"), rtol: 1e-10, atol: 1e-12, "logits")
        let (loss, grads) = valueWithGradient(at: params) { p in crossEntropy(model(x, parameters: p), targets: targets) }
        assertClose(loss, try Fixture.tensor(file, "mlp.dense/loss"), rtol: 1e-10, atol: 1e-12, "loss")
        for k in params.keys {
            assertClose(grads[k]!, try Fixture.tensor(file, "mlp.dense/grad_loss/\(k)"), rtol: 1e-10, atol: 1e-12, "grad \(k)")
        }
    }
}
