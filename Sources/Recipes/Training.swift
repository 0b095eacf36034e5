import Foundation
import Kernels

/// Settings of one training stage.
public struct TrainingOptions: Sendable {
    /// Passes over the training set.
    public var epochs: Int = 5
    /// Examples per step.
    public var batchSize: Int = 128
    /// Adam's step size.
    public var learningRate: Double = 1e-3
    /// Weight of the summed penalties in the loss, per example:
    /// `loss = mean cross entropy + klWeight / N · Σ penalties` (the seed's `coef = 1e-2 / N`).
    public var klWeight: Double = 1e-2
    /// Seed of the shuffling order and of the layers' noise.
    public var seed: UInt64 = 0
    /// Check every step that the loss and the gradients are finite (and the parameters on the
    /// first step); stop with ``TrainingError/nonFinite(path:epoch:step:)`` naming the cause:
    /// a non-finite parameter first (`classifier.0.weight`), else a gradient
    /// (`gradient of classifier.0.weight`), else `loss`. After every update the parameters are
    /// checked again, and a non-finite one stops the run with
    /// ``TrainingError/diverged(path:epoch:step:)``: no call returns non-finite parameters.
    public var checkFinite: Bool = true
    /// How the learning rate moves over the `epochs` of the stage (constant by default).
    public var learningRateSchedule: LearningRateSchedule = .constant
    /// Epochs over which the penalty weight ramps linearly from 0 to `klWeight` (0: no warm-up).
    /// Fractions are allowed. The factor at global step `s` (counted from the stage's first
    /// epoch, `S` steps per epoch) is `min(1, (s + 1) / (klWarmupEpochs · S))`.
    public var klWarmupEpochs: Double = 0

    /// Factor on the learning rate of the L0 gate parameters (keys ending in `log_alpha` of
    /// ``LinearL0``). A gate starts at `log_alpha = −2.197` (open) and closes only past
    /// `log_alpha ≈ 2.4`; Adam moves a parameter by at most about one learning rate per step, so at
    /// 1e-3 a gate needs thousands of steps to close. 1 keeps cplxmodule's single learning rate.
    public var gateLearningRateScale: Double = 1

    /// The defaults: 5 epochs of batch 128, Adam at 1e-3 (constant), KL weight 1e-2, seed 0, the
    /// finite check on, no warm-up, one learning rate for every parameter.
    public init() {}

    /// The learning rate of step `step` of epoch `epoch`, `stepsPerEpoch` steps per epoch.
    public func learningRate(epoch: Int, step: Int, stepsPerEpoch: Int) -> Double {
        switch learningRateSchedule {
        case .constant:
            return learningRate
        case .linear(let final):
            let total = Swift.max(1, epochs * stepsPerEpoch - 1)
            let t = Swift.min(1, Double(epoch * stepsPerEpoch + step) / Double(total))
            return learningRate * (1 - (1 - final) * t)
        }
    }

    /// The penalty weight factor in [0, 1] of step `step` of epoch `epoch` (see ``klWarmupEpochs``).
    public func klFactor(epoch: Int, step: Int, stepsPerEpoch: Int) -> Double {
        guard klWarmupEpochs > 0 else { return 1 }
        return Swift.min(1, Double(epoch * stepsPerEpoch + step + 1) / (klWarmupEpochs * Double(stepsPerEpoch)))
    }
}

/// The learning rate over a training stage.
public enum LearningRateSchedule: Sendable, Equatable {
    /// `learningRate` at every step.
    case constant
    /// Linear from `learningRate` at the first step to `final · learningRate` at the last step of
    /// the stage: `lr(t) = learningRate · (1 − (1 − final) · t)`, `t = step / (steps − 1)` over all
    /// steps of all epochs (Molchanov et al. 2017 decay to 0, `final = 0`).
    case linear(final: Double)
}

/// What the training loop reports after each step.
public struct StepReport: Sendable {
    /// The epoch of the step, from 0.
    public var epoch: Int
    /// The step within its epoch, from 0.
    public var step: Int
    /// Steps in every epoch (the last batch may be shorter).
    public var stepsPerEpoch: Int
    /// Mean cross entropy of the batch.
    public var dataLoss: Double
    /// Σ penalties (unweighted) of the model at this step.
    public var penalty: Double
    /// Accuracy on the batch.
    public var batchAccuracy: Double
}

/// Why a training stage ended early, or could not start.
public enum TrainingError: Error, CustomStringConvertible {
    /// Before the update of a step, a parameter (at the first step: the starting values), a
    /// gradient (`gradient of <path>`) or the loss (`loss`) was NaN or infinite.
    case nonFinite(path: String, epoch: Int, step: Int)
    /// The update of a step turned parameter `path` NaN or infinite (the step was too large).
    case diverged(path: String, epoch: Int, step: Int)
    /// An option is outside its domain (`option` names it, e.g. `learningRate`).
    case invalidOption(option: String, value: String, requirement: String)
    /// The training set is empty.
    case noTrainingExamples(dataset: String)

    /// One line naming the path, the epoch and the step (both from 1), with a hint.
    public var description: String {
        switch self {
        case .nonFinite(let p, let e, let s):
            let hint = p == "loss" || p.hasPrefix("gradient of ") ? "lower the learning rate or check the data"
                : "the parameter was already non-finite before this step's update (check the file the training started from)"
            return "non-finite value in \(p) at epoch \(e + 1), step \(s + 1); \(hint)"
        case .diverged(let p, let e, let s):
            return "parameter \(p) became NaN or infinite in the update of epoch \(e + 1), step \(s + 1); lower the learning rate"
        case .invalidOption(let o, let v, let r):
            return "training option \(o) = \(v): \(r)"
        case .noTrainingExamples(let d):
            return "the training set \(d) holds no examples"
        }
    }
}

extension TrainingOptions {
    /// Checks every option against its domain: `epochs` ≥ 0, `batchSize` ≥ 1, `learningRate` > 0
    /// and finite, `klWeight` ≥ 0 and finite, `klWarmupEpochs` ≥ 0 and finite, a linear
    /// schedule's `final` in [0, 1].
    /// - Throws: ``TrainingError/invalidOption(option:value:requirement:)`` naming the first
    ///   option outside its domain.
    public func validate() throws {
        func bad(_ o: String, _ v: Any, _ r: String) -> TrainingError { .invalidOption(option: o, value: "\(v)", requirement: r) }
        guard epochs >= 0 else { throw bad("epochs", epochs, "must be ≥ 0") }
        guard batchSize >= 1 else { throw bad("batchSize", batchSize, "must be ≥ 1") }
        guard learningRate.isFinite, learningRate > 0 else { throw bad("learningRate", learningRate, "must be a finite number > 0") }
        guard klWeight.isFinite, klWeight >= 0 else { throw bad("klWeight", klWeight, "must be a finite number ≥ 0") }
        guard klWarmupEpochs.isFinite, klWarmupEpochs >= 0 else { throw bad("klWarmupEpochs", klWarmupEpochs, "must be a finite number ≥ 0") }
        if case .linear(let f) = learningRateSchedule, !(0...1).contains(f) {
            throw bad("learningRateSchedule.final", f, "must lie in [0, 1]")
        }
    }
}

/// Trains `model` with Adam on `data`, minimising mean cross entropy plus the weighted
/// penalties of its Bayesian layers, and returns the new parameters and optimizer state.
///
/// Only trainable entries are differentiated (masks and batch-norm statistics are not);
/// batch-norm running statistics are merged after each step. `shouldStop` is polled between
/// steps (Ctrl-C); the parameters of the last completed step are returned.
///
/// Epochs `startEpoch..<(endEpoch ?? options.epochs)` run, the first of them from step
/// `startStep` (the steps before it are the ones a stopped call already took: the batches, noise
/// keys and schedules depend only on epoch and step, so stopping and resuming gives the same
/// result as one call). When `shouldStop` ends the run, `completedEpochs` is the epoch in
/// progress and `stepsIntoEpoch` the steps of it that were taken. The schedules of `options` always
/// span all `options.epochs`, so a stage trained one epoch per call (checkpointing in between)
/// takes the same steps as one call. `optimizerState` is consumed: pass it without keeping a
/// copy (`state.take()`) and Adam updates its moment buffers in place instead of copying them on
/// the first step. The examples of each epoch come in the order of
/// ``Batches`` for `(options.seed, epoch)`. Options that cannot be trained with (a batch size of
/// 0, a negative learning rate, …) throw ``TrainingError/invalidOption(option:value:requirement:)``
/// before the first step.
public func train(_ model: any Layer<Tensor, Tensor>, parameters: ParameterTree, data: LabeledDataset, options: TrainingOptions,
                  optimizerState: consuming OptimizerState? = nil, startEpoch: Int = 0, startStep: Int = 0, endEpoch: Int? = nil,
                  onStep: (StepReport) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws
    -> (parameters: ParameterTree, optimizerState: OptimizerState, completedEpochs: Int, stepsIntoEpoch: Int) {
    try options.validate()
    guard data.count > 0 else { throw TrainingError.noTrainingExamples(dataset: data.name) }
    guard startEpoch >= 0, startStep >= 0 else {
        throw TrainingError.invalidOption(option: "startEpoch/startStep", value: "\(startEpoch)/\(startStep)", requirement: "must be ≥ 0")
    }
    let lastEpoch = Swift.min(endEpoch ?? options.epochs, options.epochs)
    var params = parameters
    var state = optimizerState.take() ?? Adam(learningRate: options.learningRate).initialState(for: params)
    let isTrainable = Optimizers.isTrainableByDefault
    let coef = options.klWeight / Double(Swift.max(data.count, 1))
    let stepsPerEpoch = (data.count + options.batchSize - 1) / options.batchSize
    let key = RandomKey(seed: options.seed)
    for epoch in startEpoch..<Swift.max(startEpoch, lastEpoch) {
        let batches = Batches(count: data.count, batchSize: options.batchSize, seed: options.seed, epoch: epoch)
        for (step, idx) in batches.enumerated() where epoch > startEpoch || step >= startStep {
            if shouldStop() { return (params, state, epoch, step) }
            let (x, y) = data.batch(idx)
            var optimizer = Adam(learningRate: options.learningRate(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch))
            if options.gateLearningRateScale != 1 {
                let scale = options.gateLearningRateScale
                optimizer.learningRateScale = { $0 == "log_alpha" || $0.hasSuffix(".log_alpha") ? scale : 1 }
            }
            let stepCoef = coef * options.klFactor(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch)
            // A non-finite parameter (e.g. loaded from a file) is the cause to name, not the NaN loss
            // it produces. Parameters are checked on the first step (the ones Adam updates by its
            // own pass, which reads them) and after every update.
            func nonFiniteParameter() -> String? { params.first(where: { !isAllFinite($0.value) })?.key }
            let (trainable, frozen) = params.partitioned { k, _ in isTrainable(k) }
            if options.checkFinite && epoch == startEpoch && step == startStep,
               frozen.contains(where: { !isAllFinite($0.value) }), let bad = nonFiniteParameter() {
                throw TrainingError.nonFinite(path: bad, epoch: epoch, step: step)
            }
            let updates = StateUpdates()
            let context = Context(training: true, key: key.fold(UInt64(epoch)).fold(UInt64(step)), state: updates)
            var dataLoss = 0.0, penalty = 0.0, correct = 0
            // the coefficient goes into the fused penalty kernels (no pass over the derivatives
            // for it); with a zero coefficient the penalty is only reported
            let scale = stepCoef > 0 ? stepCoef : 1
            var untapedPenalty: (() -> Tensor)?
            let (taped, grads) = valueWithGradient(at: trainable, deferring: { p in
                let all = p.merging(frozen)
                // The penalties depend on the parameters alone: started before the forward pass,
                // the idle kernel threads compute them while this thread runs the serial parts of
                // the step. Where every penalty has the untaped form (complex VD/ARD in float32),
                // its derivatives join the gradients as deferred cotangents, waited for only when
                // the backward pass reaches those parameters, and its value is added to the loss
                // afterwards: the same sums in the same order as the taped `ce + kl`. Otherwise it
                // is finished and recorded after the cross entropy.
                let penalties = startTotalPenalty(model, parameters: all, scale: scale)
                let logits = model(x.converted(to: all.keys.first.flatMap { all[$0]?.dtype } ?? .float32), parameters: all, context: context)
                let ce = crossEntropy(logits, targets: y)
                dataLoss = ce.item
                correct = zip(argmaxRows(logits), y).filter { $0 == $1 }.count
                if stepCoef > 0, let untaped = penalties.untaped {
                    untapedPenalty = untaped.value
                    return (ce, untaped.cotangents)
                }
                let kl = penalties.record()
                penalty = kl.item / scale
                return (stepCoef > 0 ? ce + kl : ce, [])
            })
            var loss = taped
            if let value = untapedPenalty {
                let kl = value()
                penalty = kl.item / scale
                loss = taped + kl
            }
            guard options.checkFinite else {
                params = optimizer.update(params, gradients: grads, state: &state)
                params.merge(updates.tree)
                onStep(StepReport(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch, dataLoss: dataLoss, penalty: penalty,
                                  batchAccuracy: Double(correct) / Double(idx.count)))
                continue
            }
            // Adam notes a non-finite parameter, gradient or updated parameter in its own pass; only
            // then are the tensors scanned, to name the first one at fault as the checks before and
            // after the update would (the update is dropped when a parameter, a gradient or the loss
            // is bad). Parameters can only be bad here on the first step: later ones start from
            // parameters checked after the previous update.
            let (next, adamFinite) = optimizer.updateCheckingFinite(params, gradients: grads, state: &state)
            if !adamFinite || !loss.item.isFinite {
                if let bad = nonFiniteParameter() { throw TrainingError.nonFinite(path: bad, epoch: epoch, step: step) }
                if let bad = grads.first(where: { !isAllFinite($0.value) })?.key {
                    throw TrainingError.nonFinite(path: "gradient of " + bad, epoch: epoch, step: step)
                }
                if !loss.item.isFinite { throw TrainingError.nonFinite(path: "loss", epoch: epoch, step: step) }
            }
            params = next
            params.merge(updates.tree)
            // finite gradients times a huge step still overflow: check what the update produced,
            // so that no epoch ends (and no checkpoint is written) with a non-finite parameter
            // (Adam checked the entries it wrote; the others are scanned here)
            // (Adam wrote every trainable entry, all of which have a gradient; when its check passed,
            // only the frozen entries and the state updates can still be non-finite: scan those, and
            // only when one is bad find the first one in the tree's order)
            let merged = updates.tree
            if !adamFinite || frozen.contains(where: { !isAllFinite($0.value) }) || merged.contains(where: { !isAllFinite($0.value) }) {
                let written = Set(grads.keys).subtracting(merged.keys)
                if let bad = params.first(where: { !(adamFinite && written.contains($0.key)) && !isAllFinite($0.value) })?.key {
                    throw TrainingError.diverged(path: bad, epoch: epoch, step: step)
                }
            }
            onStep(StepReport(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch, dataLoss: dataLoss, penalty: penalty,
                              batchAccuracy: Double(correct) / Double(idx.count)))
        }
    }
    return (params, state, Swift.max(startEpoch, lastEpoch), 0)
}

/// Accuracy and mean cross entropy of `model` on `data` in evaluation mode.
public func evaluate(_ model: any Layer<Tensor, Tensor>, parameters: ParameterTree, data: LabeledDataset,
                     batchSize: Int = 500) -> (accuracy: Double, loss: Double) {
    let r = predict(model, parameters: parameters, data: data, batchSize: batchSize)
    return (r.accuracy, r.loss)
}

/// The predicted class of every example of `data` (evaluation mode), with the accuracy and the
/// mean cross entropy. An example whose logits hold a NaN has no prediction (−1, counted as
/// wrong; see ``argmaxRows(_:)``) and makes the loss NaN.
public func predict(_ model: any Layer<Tensor, Tensor>, parameters: ParameterTree, data: LabeledDataset,
                    batchSize: Int = 500) -> (predictions: [Int], accuracy: Double, loss: Double) {
    var predictions: [Int] = [], lossSum = 0.0
    predictions.reserveCapacity(data.count)
    let dtype = parameters.keys.first.flatMap { parameters[$0]?.dtype } ?? .float32
    var start = 0
    while start < data.count {
        let idx = Array(start..<Swift.min(data.count, start + batchSize))
        let (x, y) = data.batch(idx)
        let logits = model(x.converted(to: dtype), parameters: parameters, context: Context(training: false))
        lossSum += crossEntropy(logits, targets: y, reduction: .sum).item
        predictions += argmaxRows(logits)
        start += batchSize
    }
    let correct = zip(predictions, data.labels).filter { $0 == $1 }.count
    return (predictions, Double(correct) / Double(Swift.max(data.count, 1)), lossSum / Double(Swift.max(data.count, 1)))
}

/// Accuracy over the examples of one SNR.
public struct SNRAccuracy: Sendable, Codable, Equatable {
    /// The SNR in dB.
    public var snr: Double
    /// Fraction of the `count` examples at this SNR classified correctly.
    public var accuracy: Double
    /// Examples at this SNR.
    public var count: Int
    /// A row of the table.
    public init(snr: Double, accuracy: Double, count: Int) { self.snr = snr; self.accuracy = accuracy; self.count = count }
}

/// Accuracy per distinct SNR, in increasing SNR order: `predictions[i]` against `labels[i]` for
/// the examples with `snr[i]` equal to each value. Examples whose SNR is NaN are in no row (NaN
/// equals no value; data files refuse such SNRs).
/// - Precondition: the three arrays have the same length.
public func accuracyBySNR(predictions: [Int], labels: [Int], snr: [Double]) -> [SNRAccuracy] {
    require(predictions.count == labels.count && labels.count == snr.count,
            "accuracyBySNR: \(predictions.count) predictions, \(labels.count) labels, \(snr.count) SNRs")
    var hits: [Double: (correct: Int, count: Int)] = [:]
    for i in predictions.indices where !snr[i].isNaN {
        let h = hits[snr[i], default: (0, 0)]
        hits[snr[i]] = (h.correct + (predictions[i] == labels[i] ? 1 : 0), h.count + 1)
    }
    return hits.keys.sorted().map { s in SNRAccuracy(snr: s, accuracy: Double(hits[s]!.correct) / Double(hits[s]!.count), count: hits[s]!.count) }
}

/// The confusion matrix `m[true][predicted]` (counts) over the examples `include` accepts; an
/// example without a prediction (−1, see ``argmaxRows(_:)``) or with a label or prediction
/// outside `0..<classes` is in no cell.
public func confusionMatrix(predictions: [Int], labels: [Int], classes: Int, include: (Int) -> Bool = { _ in true }) -> [[Int]] {
    var m = Array(repeating: Array(repeating: 0, count: classes), count: classes)
    for i in predictions.indices where include(i) && (0..<classes).contains(labels[i]) && (0..<classes).contains(predictions[i]) {
        m[labels[i]][predictions[i]] += 1
    }
    return m
}

/// The index of the largest element of each row of a `[N, C]` tensor (the first one on ties;
/// `+∞` is larger than every finite value), or −1 for a row holding a NaN or having no columns:
/// such a row has no largest element, so it never counts as a correct prediction. (PyTorch's and
/// NumPy's `argmax` return the NaN's position instead, which would pass for a class.)
public func argmaxRows(_ t: Tensor) -> [Int] {
    require(t.rank == 2, "argmaxRows: need [N, C], got \(t.shape)")
    let v = t.scalars, c = t.shape[1]
    return (0..<t.shape[0]).map { r in
        let row = v[(r * c)..<(r * c + c)]
        guard !row.isEmpty, !row.contains(where: \.isNaN) else { return -1 }
        var best = row.startIndex
        for j in row.indices where row[j] > row[best] { best = j }
        return best - r * c
    }
}

/// Whether every element is finite. Reads the elements in place with the vectorised scan of
/// Kernels (`wt_all_finite_*`): this runs on every gradient of every training step.
public func isAllFinite(_ t: Tensor) -> Bool {
    func run<T: TensorScalar>(_: T.Type, _ scan: (UnsafePointer<T>?, Int) -> Int32) -> Bool {
        t.withUnsafeBufferPointer { (p: UnsafeBufferPointer<T>) in scan(p.baseAddress, p.count) != 0 }
    }
    switch t.dtype {   // one C kernel per dtype
    case .float32: return run(Float.self, wt_all_finite_f32)
    case .float64: return run(Double.self, wt_all_finite_f64)
    }
}
