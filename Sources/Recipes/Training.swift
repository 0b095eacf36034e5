import Foundation

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
    /// (`gradient of classifier.0.weight`), else `loss`.
    public var checkFinite: Bool = true

    public init() {}
}

/// What the training loop reports after each step.
public struct StepReport: Sendable {
    public var epoch: Int
    public var step: Int
    public var stepsPerEpoch: Int
    /// Mean cross entropy of the batch.
    public var dataLoss: Double
    /// Σ penalties (unweighted) of the model at this step.
    public var penalty: Double
    /// Accuracy on the batch.
    public var batchAccuracy: Double
}

/// Why a training stage ended early.
public enum TrainingError: Error, CustomStringConvertible {
    /// The loss or a parameter became NaN or infinite.
    case nonFinite(path: String, epoch: Int, step: Int)

    public var description: String {
        switch self {
        case .nonFinite(let p, let e, let s): return "non-finite value in \(p) at epoch \(e + 1), step \(s + 1); lower the learning rate"
        }
    }
}

/// The order of the examples in `epoch`: a Fisher–Yates shuffle driven by SplitMix64 seeded
/// with (seed, epoch), identical on every machine.
public func shuffledOrder(count: Int, seed: UInt64, epoch: Int) -> [Int] {
    var order = Array(0..<count)
    var rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(epoch))
    if count > 1 {
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
    }
    return order
}

/// Trains `model` with Adam on `data`, minimising mean cross entropy plus the weighted
/// penalties of its Bayesian layers, and returns the new parameters and optimizer state.
///
/// Only trainable entries are differentiated (masks and batch-norm statistics are not);
/// batch-norm running statistics are merged after each step. `shouldStop` is polled between
/// steps (Ctrl-C); the parameters of the last completed step are returned.
public func train(_ model: any Layer<Tensor, Tensor>, parameters: ParameterTree, data: LabeledDataset, options: TrainingOptions,
                  optimizerState: OptimizerState? = nil, startEpoch: Int = 0,
                  onStep: (StepReport) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws
    -> (parameters: ParameterTree, optimizerState: OptimizerState, completedEpochs: Int) {
    let optimizer = Adam(learningRate: options.learningRate)
    var params = parameters
    var state = optimizerState ?? optimizer.initialState(for: params)
    let isTrainable = Optimizers.isTrainableByDefault
    let coef = options.klWeight / Double(Swift.max(data.count, 1))
    let stepsPerEpoch = (data.count + options.batchSize - 1) / options.batchSize
    let key = RandomKey(seed: options.seed)
    for epoch in startEpoch..<options.epochs {
        let order = shuffledOrder(count: data.count, seed: options.seed, epoch: epoch)
        for step in 0..<stepsPerEpoch {
            if shouldStop() { return (params, state, epoch) }
            let idx = Array(order[(step * options.batchSize)..<Swift.min(data.count, (step + 1) * options.batchSize)])
            let (x, y) = data.batch(idx)
            // a parameter that is already non-finite (e.g. loaded from a file) is the cause to name,
            // not the NaN loss it produces
            // A non-finite parameter (e.g. loaded from a file) is the cause to name, not the NaN loss
            // it produces. Parameters are scanned on the first step and whenever the loss or a
            // gradient turns non-finite; in between, finite parameters and gradients keep them finite.
            func nonFiniteParameter() -> String? { params.first(where: { !isAllFinite($0.value) })?.key }
            if options.checkFinite && epoch == startEpoch && step == 0, let bad = nonFiniteParameter() {
                throw TrainingError.nonFinite(path: bad, epoch: epoch, step: step)
            }
            let trainable = params.filter { k, _ in isTrainable(k) }
            let frozen = params.filter { k, _ in !isTrainable(k) }
            let updates = StateUpdates()
            let context = Context(training: true, key: key.fold(UInt64(epoch)).fold(UInt64(step)), state: updates)
            var dataLoss = 0.0, penalty = 0.0, correct = 0
            let (loss, grads) = valueWithGradient(at: trainable) { p in
                let all = p.merging(frozen)
                let logits = model(x.converted(to: all.keys.first.flatMap { all[$0]?.dtype } ?? .float32), parameters: all, context: context)
                let ce = crossEntropy(logits, targets: y)
                let kl = totalPenalty(model, parameters: all)
                dataLoss = ce.item; penalty = kl.item
                correct = zip(argmaxRows(logits), y).filter { $0 == $1 }.count
                return ce + coef * kl
            }
            if options.checkFinite {
                let badGradient = grads.first(where: { !isAllFinite($0.value) })?.key
                if badGradient != nil || !loss.item.isFinite {
                    if let bad = nonFiniteParameter() { throw TrainingError.nonFinite(path: bad, epoch: epoch, step: step) }
                    if let bad = badGradient { throw TrainingError.nonFinite(path: "gradient of " + bad, epoch: epoch, step: step) }
                    throw TrainingError.nonFinite(path: "loss", epoch: epoch, step: step)
                }
            }
            params = optimizer.update(params, gradients: grads, state: &state)
            params.merge(updates.tree)
            onStep(StepReport(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch, dataLoss: dataLoss, penalty: penalty,
                              batchAccuracy: Double(correct) / Double(idx.count)))
        }
    }
    return (params, state, options.epochs)
}

/// Accuracy and mean cross entropy of `model` on `data` in evaluation mode.
public func evaluate(_ model: any Layer<Tensor, Tensor>, parameters: ParameterTree, data: LabeledDataset,
                     batchSize: Int = 500) -> (accuracy: Double, loss: Double) {
    var correct = 0, lossSum = 0.0
    let dtype = parameters.keys.first.flatMap { parameters[$0]?.dtype } ?? .float32
    var start = 0
    while start < data.count {
        let idx = Array(start..<Swift.min(data.count, start + batchSize))
        let (x, y) = data.batch(idx)
        let logits = model(x.converted(to: dtype), parameters: parameters, context: Context(training: false))
        lossSum += crossEntropy(logits, targets: y, reduction: .sum).item
        correct += zip(argmaxRows(logits), y).filter { $0 == $1 }.count
        start += batchSize
    }
    return (Double(correct) / Double(Swift.max(data.count, 1)), lossSum / Double(Swift.max(data.count, 1)))
}

/// The index of the largest element of each row of a `[N, C]` tensor.
public func argmaxRows(_ t: Tensor) -> [Int] {
    require(t.rank == 2, "argmaxRows: need [N, C], got \(t.shape)")
    let v = t.scalars, c = t.shape[1]
    return (0..<t.shape[0]).map { r in
        var best = 0
        for j in 1..<Swift.max(c, 1) where v[r * c + j] > v[r * c + best] { best = j }
        return best
    }
}

/// Whether every element is finite. Reads the elements in place (no `[Double]` copy: this runs
/// on every gradient of every training step).
public func isAllFinite(_ t: Tensor) -> Bool {
    switch t.dtype {
    case .float32: return t.withUnsafeBufferPointer { (p: UnsafeBufferPointer<Float>) in p.allSatisfy { $0.isFinite } }
    case .float64: return t.withUnsafeBufferPointer { (p: UnsafeBufferPointer<Double>) in p.allSatisfy { $0.isFinite } }
    }
}
