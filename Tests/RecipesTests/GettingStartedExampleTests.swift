import XCTest
import Wirtinger

// Docs/GettingStarted.md, "A model of your own": the model as printed there, through
// `import Wirtinger`, with the keys its comment names.
private struct Net: Layer {
    let features = Child("features", Sequential<Tensor, Tensor>(Flatten(), LinearVD(784, 100), ReLU()))
    let classifier = Child("classifier", Sequential<Tensor, Tensor>(LinearVD(100, 10)))

    func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        classifier(features(x, parameters: p, context: context), parameters: p, context: context)
    }
}

final class GettingStartedExampleTests: XCTestCase {
    func testCompositeModelOfTheGuide() throws {
        let net = Net()
        let netParams = net.initialParameters(key: RandomKey(seed: 0))
        XCTAssertEqual(netParams.keys, ["features.1.weight", "features.1.bias", "features.1.log_sigma2",
                                        "classifier.0.weight", "classifier.0.bias", "classifier.0.log_sigma2"])
        let sparse = sparsity(net, parameters: netParams, threshold: -0.5)
        XCTAssertEqual(sparse, sparsity(net, parameters: netParams, threshold: -0.5, hard: true))
        XCTAssertTrue((0...1).contains(sparse))
        let x = uniform([3, 1, 28, 28], key: RandomKey(seed: 1))
        XCTAssertEqual(try net.apply(x, parameters: netParams).shape, [3, 10])
        // The guide's text: the same child as a property wrapper gives the same tree.
        struct Wrapped: Layer {
            @Child("features") var features = Sequential<Tensor, Tensor>(Flatten(), LinearVD(784, 100), ReLU())
            @Child("classifier") var classifier = Sequential<Tensor, Tensor>(LinearVD(100, 10))
            func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
                $classifier($features(x, parameters: p, context: context), parameters: p, context: context)
            }
        }
        XCTAssertEqual(Wrapped().initialParameters(key: RandomKey(seed: 0)).keys, netParams.keys)
        XCTAssertEqual(Wrapped()(x, parameters: netParams).scalars, net(x, parameters: netParams).scalars)
    }
}
