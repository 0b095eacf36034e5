import XCTest
import Autodiff
import Ops
import NN
import Recipes

/// The learning-rate schedule and the KL warm-up of `TrainingOptions`, and their effect on `train`.
final class ScheduleTests: XCTestCase {
    let data: LabeledDataset = {
        let x = normal([40, 6], key: RandomKey(seed: 1))
        return LabeledDataset(name: "tiny", inputs: x, labels: (0..<40).map { $0 % 3 }, classNames: ["a", "b", "c"])
    }()

    func options(epochs: Int) -> TrainingOptions {
        var o = TrainingOptions()
        o.epochs = epochs; o.batchSize = 10; o.learningRate = 0.01; o.klWeight = 1
        return o
    }

    func testLinearScheduleRunsFromTheBaseRateToTheFinalFraction() {
        var o = options(epochs: 3)
        XCTAssertEqual(o.learningRate(epoch: 2, step: 3, stepsPerEpoch: 4), 0.01)
        o.learningRateSchedule = .linear(final: 0)
        XCTAssertEqual(o.learningRate(epoch: 0, step: 0, stepsPerEpoch: 4), 0.01)
        XCTAssertEqual(o.learningRate(epoch: 2, step: 3, stepsPerEpoch: 4), 0)              // step 11 of 0...11
        XCTAssertEqual(o.learningRate(epoch: 1, step: 1, stepsPerEpoch: 4), 0.01 * (1 - 5.0 / 11), accuracy: 1e-15)
        o.learningRateSchedule = .linear(final: 0.1)
        XCTAssertEqual(o.learningRate(epoch: 2, step: 3, stepsPerEpoch: 4), 0.001, accuracy: 1e-15)
    }

    func testWarmupRampsTheKLFactorToOne() {
        var o = options(epochs: 3)
        XCTAssertEqual(o.klFactor(epoch: 0, step: 0, stepsPerEpoch: 4), 1)
        o.klWarmupEpochs = 2
        XCTAssertEqual(o.klFactor(epoch: 0, step: 0, stepsPerEpoch: 4), 1.0 / 8)
        XCTAssertEqual(o.klFactor(epoch: 1, step: 0, stepsPerEpoch: 4), 5.0 / 8)
        XCTAssertEqual(o.klFactor(epoch: 1, step: 3, stepsPerEpoch: 4), 1)
        XCTAssertEqual(o.klFactor(epoch: 2, step: 2, stepsPerEpoch: 4), 1)
    }

    /// With a decay to 0, the last step of the stage has rate 0 and leaves the parameters alone:
    /// stopping before it gives the same parameters as running it.
    func testTheLastStepOfALinearDecayToZeroMovesNothing() throws {
        let model = try makeClassifier(.mlp, flavor: .dense, sampleShape: [6], classes: 3, hidden: 5)
        let start = model.initialParameters(key: RandomKey(seed: 2))
        var o = options(epochs: 1); o.learningRateSchedule = .linear(final: 0)
        let full = try train(model, parameters: start, data: data, options: o)
        var steps = 0
        let stopped = try train(model, parameters: start, data: data, options: o, onStep: { _ in steps += 1 }, shouldStop: { steps == 3 })
        XCTAssertEqual(steps, 3)
        XCTAssertNotEqual(full.parameters["classifier.0.weight"]!.scalars, start["classifier.0.weight"]!.scalars)
        for (k, v) in full.parameters { XCTAssertEqual(v.scalars, stopped.parameters[k]!.scalars, k) }
        // and a constant rate does move them on the fourth step
        o.learningRateSchedule = .constant
        let constant = try train(model, parameters: start, data: data, options: o)
        steps = 0
        let constantStopped = try train(model, parameters: start, data: data, options: o, onStep: { _ in steps += 1 }, shouldStop: { steps == 3 })
        XCTAssertNotEqual(constant.parameters["classifier.0.weight"]!.scalars, constantStopped.parameters["classifier.0.weight"]!.scalars)
    }

    /// The schedules span all `epochs`: one epoch per call (as `wirtinger train` checkpoints)
    /// takes exactly the steps of one call.
    func testEpochByEpochEqualsOneCall() throws {
        let model = try makeClassifier(.mlp, flavor: .vd, sampleShape: [6], classes: 3, hidden: 5)
        let start = model.initialParameters(key: RandomKey(seed: 3))
        var o = options(epochs: 3); o.learningRateSchedule = .linear(final: 0.2); o.klWarmupEpochs = 1.5
        let whole = try train(model, parameters: start, data: data, options: o)
        var params = start
        var state: OptimizerState? = nil
        for e in 0..<3 {
            let r = try train(model, parameters: params, data: data, options: o, optimizerState: state, startEpoch: e, endEpoch: e + 1)
            XCTAssertEqual(r.completedEpochs, e + 1)
            params = r.parameters; state = r.optimizerState
        }
        for (k, v) in whole.parameters { XCTAssertEqual(v.scalars, params[k]!.scalars, k) }
    }

    /// During the warm-up the penalty enters with weight `klWeight · factor`: the first step with a
    /// 4-epoch warm-up (factor 1/16 at 4 steps per epoch) equals a step at a 16× smaller weight.
    func testWarmupScalesThePenaltyWeight() throws {
        let model = try makeClassifier(.mlp, flavor: .vd, sampleShape: [6], classes: 3, hidden: 5)
        let start = model.initialParameters(key: RandomKey(seed: 4))
        let stop = { (n: Int) -> () -> Bool in var steps = 0; return { defer { steps += 1 }; return steps == n } }
        var warm = options(epochs: 1); warm.klWarmupEpochs = 4; warm.klWeight = 100
        var scaled = options(epochs: 1); scaled.klWeight = 100.0 / 16
        let a = try train(model, parameters: start, data: data, options: warm, shouldStop: stop(1))
        let b = try train(model, parameters: start, data: data, options: scaled, shouldStop: stop(1))
        let c = try train(model, parameters: start, data: data, options: { var o = warm; o.klWarmupEpochs = 0; return o }(), shouldStop: stop(1))
        for (k, v) in a.parameters { XCTAssertEqual(v.scalars, b.parameters[k]!.scalars, k) }
        XCTAssertNotEqual(a.parameters["classifier.0.log_sigma2"]!.scalars, c.parameters["classifier.0.log_sigma2"]!.scalars)
    }

    /// A run stopped after any step and resumed from (epoch, step) with the returned state takes
    /// exactly the steps of one call, schedules included.
    func testStoppingAfterAnyStepAndResumingEqualsOneCall() throws {
        let model = try makeClassifier(.mlp, flavor: .vd, sampleShape: [6], classes: 3, hidden: 5)
        let start = model.initialParameters(key: RandomKey(seed: 5))
        var o = options(epochs: 2); o.learningRateSchedule = .linear(final: 0.1); o.klWarmupEpochs = 1
        let whole = try train(model, parameters: start, data: data, options: o)
        for stopAfter in [1, 3, 4, 6] {   // 4 steps per epoch: inside epoch 0, at its end, inside epoch 1
            var taken = 0
            let first = try train(model, parameters: start, data: data, options: o, onStep: { _ in taken += 1 },
                                  shouldStop: { taken == stopAfter })
            XCTAssertEqual(first.completedEpochs * 4 + first.stepsIntoEpoch, stopAfter)
            let rest = try train(model, parameters: first.parameters, data: data, options: o, optimizerState: first.optimizerState,
                                 startEpoch: first.completedEpochs, startStep: first.stepsIntoEpoch)
            XCTAssertEqual(rest.completedEpochs, 2)
            XCTAssertEqual(rest.optimizerState.step, whole.optimizerState.step)
            for (k, v) in whole.parameters { XCTAssertEqual(v.scalars, rest.parameters[k]!.scalars, "\(k), stopped after \(stopAfter)") }
        }
    }
}
