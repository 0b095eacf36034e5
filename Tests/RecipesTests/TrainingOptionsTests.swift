import XCTest
import Wirtinger

/// Options that cannot be trained with throw a typed error naming the option, before any step.
final class TrainingOptionsTests: XCTestCase {
    func testInvalidOptionsThrowNamingTheOption() throws {
        let data = SyntheticData.glyphs(count: 20, sampleSeed: 1)
        let model = try makeClassifier(.mlp, flavor: .dense, sampleShape: data.sampleShape, classes: 10, hidden: 8)
        let params = model.initialParameters(key: RandomKey(seed: 0))
        let cases: [(WritableKeyPath<TrainingOptions, Int>?, WritableKeyPath<TrainingOptions, Double>?, Double, String)] = [
            (\.batchSize, nil, 0, "training option batchSize = 0: must be ≥ 1"),
            (\.epochs, nil, -1, "training option epochs = -1: must be ≥ 0"),
            (nil, \.learningRate, -1e-3, "training option learningRate = -0.001: must be a finite number > 0"),
            (nil, \.klWeight, .nan, "training option klWeight = nan: must be a finite number ≥ 0"),
            (nil, \.klWarmupEpochs, -2, "training option klWarmupEpochs = -2.0: must be a finite number ≥ 0"),
        ]
        for (intPath, doublePath, value, message) in cases {
            var options = TrainingOptions()
            if let intPath { options[keyPath: intPath] = Int(value) }
            if let doublePath { options[keyPath: doublePath] = value }
            XCTAssertThrowsError(try train(model, parameters: params, data: data, options: options)) { error in
                XCTAssertEqual("\(error)", message)
            }
        }
        var options = TrainingOptions()
        options.learningRateSchedule = .linear(final: -1)
        XCTAssertThrowsError(try options.validate()) { XCTAssertTrue("\($0)".hasPrefix("training option learningRateSchedule.final = -1.0: must lie in [0, 1]")) }
        options = TrainingOptions(); options.epochs = 1; options.batchSize = 10
        XCTAssertNoThrow(try train(model, parameters: params, data: data, options: options))
    }
}
