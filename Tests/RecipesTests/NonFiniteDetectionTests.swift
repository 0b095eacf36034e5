import XCTest
import Foundation
import Autodiff
import Ops
import NN
import Recipes

/// The training loop's opt-in finite check names the first non-finite tensor by its path.
final class NonFiniteDetectionTests: XCTestCase {
    let data: LabeledDataset = {
        let x = normal([40, 6], key: RandomKey(seed: 1))
        return LabeledDataset(name: "tiny", inputs: x, labels: (0..<40).map { $0 % 3 }, classNames: ["a", "b", "c"])
    }()

    func options(check: Bool = true) -> TrainingOptions {
        var o = TrainingOptions()
        o.epochs = 2; o.batchSize = 10; o.checkFinite = check
        return o
    }

    func expectNonFinite(_ body: () throws -> Void, path: String, epoch: Int, step: Int, file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("expected TrainingError.nonFinite(\(path))", file: file, line: line)
        } catch TrainingError.nonFinite(let p, let e, let s) {
            XCTAssertEqual(p, path, file: file, line: line)
            XCTAssertEqual(e, epoch, file: file, line: line)
            XCTAssertEqual(s, step, file: file, line: line)
            let message = "\(TrainingError.nonFinite(path: p, epoch: e, step: s))"
            XCTAssertTrue(message.contains(path), message, file: file, line: line)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    func testNaNParameterIsNamedByItsPath() throws {
        for flavor in [LayerFlavor.dense, .vd] {
            let model = try makeClassifier(.mlp, flavor: flavor, sampleShape: [6], classes: 3, hidden: 5)
            var params = model.initialParameters(key: RandomKey(seed: 2))
            var b = params["classifier.2.bias"]!.scalars
            b[1] = .nan
            params["classifier.2.bias"] = Tensor(shape: [3], scalars: b, dtype: .float32)
            expectNonFinite({ _ = try train(model, parameters: params, data: data, options: options()) },
                            path: "classifier.2.bias", epoch: 0, step: 0)
            // an infinite log σ² too
            if flavor == .vd {
                var q = model.initialParameters(key: RandomKey(seed: 2))
                q["classifier.0.log_sigma2"] = Tensor.full([5, 6], .infinity, dtype: .float32)
                expectNonFinite({ _ = try train(model, parameters: q, data: data, options: options()) },
                                path: "classifier.0.log_sigma2", epoch: 0, step: 0)
            }
        }
    }

    func testNonFiniteGradientIsNamedByItsPath() throws {
        // finite parameters, but one input holds +inf: the first layer's weight gradient is the first non-finite tensor
        let model = try makeClassifier(.mlp, flavor: .dense, sampleShape: [6], classes: 3, hidden: 5)
        var bad = data
        var xs = bad.inputs.scalars
        xs[0] = .infinity
        bad.inputs = Tensor(shape: bad.inputs.shape, scalars: xs, dtype: .float32)
        var o = options()
        o.epochs = 1; o.batchSize = 40   // one step that sees the bad example
        expectNonFinite({ _ = try train(model, parameters: model.initialParameters(key: RandomKey(seed: 2)), data: bad, options: o) },
                        path: "gradient of classifier.0.weight", epoch: 0, step: 0)
    }

    func testCheckIsOptIn() throws {
        let model = try makeClassifier(.mlp, flavor: .dense, sampleShape: [6], classes: 3, hidden: 5)
        var params = model.initialParameters(key: RandomKey(seed: 2))
        params["classifier.2.bias"] = Tensor.full([3], .nan, dtype: .float32)
        let r = try train(model, parameters: params, data: data, options: options(check: false))
        XCTAssertEqual(r.completedEpochs, 2)
        XCTAssertFalse(isAllFinite(r.parameters["classifier.2.bias"]!))
    }

    func testFiniteTrainingPassesTheCheck() throws {
        let model = try makeClassifier(.mlp, flavor: .vd, sampleShape: [6], classes: 3, hidden: 5)
        let r = try train(model, parameters: model.initialParameters(key: RandomKey(seed: 2)), data: data, options: options())
        XCTAssertEqual(r.completedEpochs, 2)
        XCTAssertTrue(r.parameters.allSatisfy { isAllFinite($0.value) })
    }
}
