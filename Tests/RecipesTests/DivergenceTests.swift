import XCTest
import Foundation
import Recipes

/// Reliability class 2 (library side): the parameters are checked after the last update of an
/// epoch as after every other, so no call returns, and no writer writes, a non-finite
/// parameter; and bad options are typed errors, not traps (class 8).
final class DivergenceTests: XCTestCase {
    let data: LabeledDataset = {
        let x = normal([20, 6], key: RandomKey(seed: 1))
        return LabeledDataset(name: "tiny", inputs: x, labels: (0..<20).map { $0 % 3 }, classNames: ["a", "b", "c"])
    }()

    func testHugeLearningRateStopsAtTheUpdateThatDiverged() throws {
        // batch 20 = one step per epoch: before the fix that step was never followed by a check,
        // so the call returned all-NaN parameters
        let model = try makeClassifier(.mlp, flavor: .dense, sampleShape: [6], classes: 3, hidden: 5)
        var o = TrainingOptions(); o.epochs = 1; o.batchSize = 20; o.learningRate = 1e300
        XCTAssertThrowsError(try train(model, parameters: model.initialParameters(key: RandomKey(seed: 2)), data: data, options: o)) { e in
            guard case .diverged(let path, let epoch, let step)? = e as? TrainingError else { return XCTFail("\(e)") }
            XCTAssertTrue(path.hasPrefix("classifier."), path)
            XCTAssertEqual(epoch, 0); XCTAssertEqual(step, 0)
            XCTAssertTrue("\(e)".contains(path) && "\(e)".contains("learning rate"), "\(e)")
        }
        o.checkFinite = false   // opt-out still trains through
        let r = try train(model, parameters: model.initialParameters(key: RandomKey(seed: 2)), data: data, options: o)
        XCTAssertNotNil(firstNonFiniteKey(r.parameters))
    }

    func testNonFiniteTreesAreNeverWrittenOverAGoodFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wirtinger-div-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("good.safetensors")
        try writeFiniteSafetensors(["a": Tensor(shape: [2], scalars: [1, 2])], metadata: [:], to: f)
        let before = try Data(contentsOf: f)
        let bad: ParameterTree = ["a": Tensor(shape: [2], scalars: [1, 2]), "b": Tensor(shape: [1], scalars: [.nan])]
        XCTAssertThrowsError(try writeFiniteSafetensors(bad, metadata: [:], to: f)) { e in
            XCTAssertEqual(e as? CheckpointError, .refusedNonFiniteWrite(file: f.path, key: "b"))
        }
        let state = OptimizerState(step: 1, buffers: ["a.exp_avg": Tensor(shape: [2], scalars: [.infinity, 0])])
        XCTAssertThrowsError(try TrainingCheckpoint(parameters: ["a": Tensor(shape: [2], scalars: [1, 2])], optimizerState: state,
                                                    completedEpochs: 1).write(to: f)) { e in
            XCTAssertEqual(e as? CheckpointError, .refusedNonFiniteWrite(file: f.path, key: "optimizer.a.exp_avg"))
        }
        XCTAssertEqual(try Data(contentsOf: f), before, "the good file changed")
    }

    func testInvalidOptionsAreTypedErrors() throws {
        let model = try makeClassifier(.mlp, flavor: .dense, sampleShape: [6], classes: 3, hidden: 5)
        let p = model.initialParameters(key: RandomKey(seed: 2))
        let cases: [(String, (inout TrainingOptions) -> Void)] = [
            ("learningRate", { $0.learningRate = -1 }), ("learningRate", { $0.learningRate = 0 }),
            ("learningRate", { $0.learningRate = .nan }), ("learningRate", { $0.learningRate = .infinity }),
            ("klWeight", { $0.klWeight = -0.5 }), ("klWeight", { $0.klWeight = .nan }),
            ("klWarmupEpochs", { $0.klWarmupEpochs = -1 }), ("batchSize", { $0.batchSize = 0 }), ("epochs", { $0.epochs = -1 }),
            ("learningRateSchedule.final", { $0.learningRateSchedule = .linear(final: 2) }),
        ]
        for (option, set) in cases {
            var o = TrainingOptions(); o.epochs = 1
            set(&o)
            XCTAssertThrowsError(try train(model, parameters: p, data: data, options: o), option) { e in
                guard case .invalidOption(let name, _, _)? = e as? TrainingError else { return XCTFail("\(e)") }
                XCTAssertEqual(name, option)
            }
        }
        var empty = data
        empty.inputs = Tensor.zeros([0, 6]); empty.labels = []
        XCTAssertThrowsError(try train(model, parameters: p, data: empty, options: TrainingOptions())) { e in
            guard case .noTrainingExamples? = e as? TrainingError else { return XCTFail("\(e)") }
        }
    }
}
