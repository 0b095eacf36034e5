import XCTest
import Autodiff
import Ops
import NN
import Relevance

/// A model whose second child is called through a handle of a wrong name, made on the fly.
private struct Misnamed: Layer {
    @Child("features") var features = Sequential<Tensor, Tensor>(Flatten(1, -1))
    @Child("classifier") var classifier = Sequential<Tensor, Tensor>(Linear(12, 5), ReLU(), Linear(5, 3))
    func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        Child("clasifier", classifier)($features(x, parameters: p, context: context), parameters: p, context: context)
    }
}

/// A layer of a user's own, checked by conforming to `ShapeChecking` (Docs/Errors.md).
private struct Scale: SequentialLayer, ShapeChecking {
    let features: Int
    func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree { ["scale": .ones([features], dtype: dtype)] }
    func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor { x * p.required("scale", by: context) }
    var parameterShapes: [(key: String, shape: [Int])] { [("scale", [features])] }
    func inputShapeProblem(_ shape: [Int]) -> String? { shape.last == features ? nil : "the last axis must be \(features)" }
    func outputShape(forInput shape: [Int]) -> [Int]? { shape }
}

/// The former traps of issue 16, each caught as a typed error whose message names the path,
/// keys, shapes or dtypes at fault.
final class CatchableErrorTests: XCTestCase {
    let key = RandomKey(seed: 3)
    let mlp = Sequential<Tensor, Tensor>(Linear(12, 5), ReLU(), Linear(5, 3))

    func testGoodCallIsThePlainCall() throws {
        let p = mlp.initialParameters(key: key), x = uniform([4, 12], key: key)
        XCTAssertEqual(try mlp.apply(x, parameters: p).scalars, mlp(x, parameters: p).scalars)
        XCTAssertEqual(try withErrors { mlp(x, parameters: p) }.scalars, mlp(x, parameters: p).scalars)
    }

    func testWrongChildName() throws {
        let model = Misnamed(), p = model.initialParameters(key: key)
        XCTAssertThrowsError(try model.apply(uniform([2, 3, 4], key: key), parameters: p)) { error in
            XCTAssertEqual(error as? LayerError, .unknownChild(parent: "", name: "clasifier", children: ["features", "classifier"]))
            XCTAssertEqual("\(error)", "<root>: no child is named \"clasifier\"; the module's children are [\"features\", \"classifier\"]")
        }
        // Without the model (a context made in withErrors), the child's missing weight is the error.
        XCTAssertThrowsError(try withErrors { model(uniform([2, 3, 4], key: key), parameters: p) }) { error in
            XCTAssertEqual(error as? LayerError, .missingParameter(path: "clasifier.0", key: "weight", available: []))
            XCTAssertTrue("\(error)".hasPrefix("clasifier.0: parameter 'weight' is missing"), "\(error)")
        }
    }

    func testInputShapeAtALayerBoundary() throws {
        let p = mlp.initialParameters(key: key)
        XCTAssertThrowsError(try mlp.apply(uniform([4, 10], key: key), parameters: p)) { error in
            XCTAssertEqual(error as? LayerError,
                           .inputShape(path: "0", layer: "Linear", shape: [4, 10], reason: "the last axis must be 12 (in_features)"))
            XCTAssertEqual("\(error)", "0 (Linear): input of shape [4, 10] does not fit: the last axis must be 12 (in_features)")
        }
        // Layers that do not chain: the second linear layer gets 5 features where it takes 6.
        let broken = Sequential<Tensor, Tensor>(Linear(12, 5), ReLU(), Linear(6, 3))
        XCTAssertThrowsError(try broken.apply(uniform([4, 12], key: key), parameters: broken.initialParameters(key: key))) { error in
            XCTAssertEqual("\(error)", "2 (Linear): input of shape [4, 5] does not fit: the last axis must be 6 (in_features)")
        }
        // A convolution given the wrong channel count, and the wrong rank.
        let conv = Sequential<Tensor, Tensor>(Conv2d(3, 4, 3), ReLU())
        let cp = conv.initialParameters(key: key)
        XCTAssertThrowsError(try conv.apply(uniform([1, 2, 8, 8], key: key), parameters: cp)) { error in
            XCTAssertEqual("\(error)", "0 (Convolution<Spatial2D>): input of shape [1, 2, 8, 8] does not fit: axis 1 (channels) must be 3 (in_channels)")
        }
        XCTAssertThrowsError(try conv.apply(uniform([2, 8, 8], key: key), parameters: cp)) { error in
            XCTAssertTrue("\(error)".contains("input of shape [2, 8, 8] does not fit: a 2-d convolution takes"), "\(error)")
        }
        // Batch norm: features, and a running statistic of the wrong shape.
        let bn = Sequential<Tensor, Tensor>(Linear(12, 5), BatchNorm1d(6))
        var bp = bn.initialParameters(key: key)
        XCTAssertThrowsError(try bn.apply(uniform([4, 12], key: key), parameters: bp)) { error in
            XCTAssertEqual("\(error)", "1 (BatchNorm<Spatial1D>): input of shape [4, 5] does not fit: axis 1 (features) must be 6 (num_features)")
        }
        let bn5 = Sequential<Tensor, Tensor>(Linear(12, 5), BatchNorm1d(5))
        bp = bn5.initialParameters(key: key)
        bp["1.running_var"] = .ones([4])
        XCTAssertThrowsError(try bn5.apply(uniform([4, 12], key: key), parameters: bp)) { error in
            XCTAssertEqual("\(error)", "1: parameter 'running_var' has shape [4], the layer needs [5]")
        }
        // Complex layers too.
        let cplx = CplxLinear(4, 2), zp = cplx.initialParameters(key: key)
        XCTAssertThrowsError(try cplx.apply(complexNormal([3, 5], key: key), parameters: zp)) { error in
            XCTAssertEqual("\(error)", "<root> (CplxLinear): input of shape [3, 5] does not fit: the last axis must be 4 (in_features)")
        }
    }

    func testALayerOfYourOwnIsCheckedThroughShapeChecking() throws {
        let model = Sequential<Tensor, Tensor>(Linear(12, 5), Scale(features: 5), ReLU(), Linear(5, 3))
        var p = model.initialParameters(key: key)
        let x = uniform([4, 12], key: key)
        XCTAssertEqual(try model.apply(x, parameters: p).scalars, model(x, parameters: p).scalars)
        p["1.scale"] = nil
        XCTAssertThrowsError(try model.apply(x, parameters: p)) { error in
            XCTAssertEqual("\(error)", "1: parameter 'scale' is missing (the layer's scope of the tree has [])")
        }
    }

    func testParameterOfTheWrongShapeAndDtype() throws {
        var p = mlp.initialParameters(key: key)
        p["2.weight"] = .zeros([3, 4])
        XCTAssertThrowsError(try mlp.apply(uniform([4, 12], key: key), parameters: p)) { error in
            XCTAssertEqual("\(error)", "2: parameter 'weight' has shape [3, 4], the layer needs [3, 5]")
        }
        let p64 = mlp.initialParameters(key: key, dtype: .float64)
        XCTAssertThrowsError(try mlp.apply(uniform([4, 12], key: key), parameters: p64)) { error in
            XCTAssertEqual(error as? LayerError, .dtypeMismatch(path: "0", layer: "Linear", input: .float32, parameters: .float64))
            XCTAssertTrue("\(error)".hasPrefix("0 (Linear): input is float32 but the parameters are float64"), "\(error)")
        }
    }

    func testMaskedLayerWithoutItsMask() throws {
        let model = Sequential<Tensor, Tensor>(LinearMasked(12, 5), ReLU(), LinearMasked(5, 3))
        let p = try removingMasks(model, parameters: model.initialParameters(key: key), at: ["2"])
        XCTAssertEqual(p.keys, ["0.weight", "0.bias", "0.mask", "2.weight", "2.bias"])
        XCTAssertThrowsError(try model.apply(uniform([4, 12], key: key), parameters: p)) { error in
            XCTAssertEqual(error as? RelevanceError, .missingMask(path: "2"))
            XCTAssertEqual("\(error)", "2: masked layer has no sparsity mask; load one (computeARDMasks + binarizeMasks) or call deployMasks")
        }
        XCTAssertThrowsError(try removingMasks(model, parameters: p, at: ["1"])) { error in
            XCTAssertEqual("\(error)", "1 is not a masked layer of the model (masked layers: [\"0\", \"2\"])")
        }
    }

    func testMaskThatDoesNotBroadcastInDeployMasks() throws {
        let model = Sequential<Tensor, Tensor>(LinearMasked(12, 5))
        let p = model.initialParameters(key: key)
        XCTAssertThrowsError(try deployMasks(model, parameters: p, masks: ["0.mask": .ones([5, 2])])) { error in
            XCTAssertEqual(error as? RelevanceError, .maskShape(maskKey: "0.mask", mask: [5, 2], weightKey: "0.weight", weight: [5, 12]))
            XCTAssertEqual("\(error)", "mask 0.mask of shape [5, 2] does not broadcast to the weight 0.weight of shape [5, 12]")
        }
        XCTAssertEqual(try deployMasks(model, parameters: p, masks: ["0.mask": .ones([1, 12])])["0.mask"]!.shape, [5, 12])
    }

    func testNonScalarLossGivenToValueWithGradient() throws {
        let p = mlp.initialParameters(key: key), x = uniform([4, 12], key: key)
        XCTAssertThrowsError(try withErrors { valueWithGradient(at: p) { q in mlp(x, parameters: q) } }) { error in
            XCTAssertEqual(error as? GradientError, .nonScalarOutput(shape: [4, 3]))
            XCTAssertTrue("\(error)".hasPrefix("valueWithGradient: the function returned shape [4, 3]; a gradient needs a one-element output"))
        }
        // the scalar loss is fine in the scope
        let (loss, grads) = try withErrors { valueWithGradient(at: p) { q in crossEntropy(mlp(x, parameters: q), targets: [0, 1, 2, 0]) } }
        XCTAssertTrue(loss.item.isFinite)
        XCTAssertEqual(grads.keys, p.keys)
    }

    /// A failing layer inside a training step: the loss still runs on the stand-in output (no
    /// trap in crossEntropy) and the scope throws the layer's error.
    func testLayerErrorInsideATrainingStep() throws {
        let bayes = Sequential<Tensor, Tensor>(LinearVD(12, 5), ReLU(), LinearVD(5, 3))
        var p = bayes.initialParameters(key: key)
        p["0.log_sigma2"] = nil
        XCTAssertThrowsError(try withErrors {
            valueWithGradient(at: p) { q in
                crossEntropy(bayes(uniform([4, 12], key: key), parameters: q, context: Context(training: true, key: key)), targets: [0, 1, 2, 0])
            }
        }) { error in
            XCTAssertEqual("\(error)", "0: parameter 'log_sigma2' is missing (the layer's scope of the tree has [\"weight\", \"bias\"])")
        }
    }
}
