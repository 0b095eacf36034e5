/// A ``TrainingOptions`` value that cannot be trained with.
public enum TrainingOptionsError: Error, Equatable, CustomStringConvertible {
    /// The option `option` has `value`; `requirement` says what it must be.
    case invalid(option: String, value: String, requirement: String)

    /// One line naming the option, its value and what it must be.
    public var description: String {
        switch self {
        case .invalid(let o, let v, let r): return "training option \(o) is \(v); it must be \(r)"
        }
    }
}

extension TrainingOptions {
    /// Throws ``TrainingOptionsError/invalid(option:value:requirement:)`` for the first option that
    /// cannot be trained with: `epochs` < 0, `batchSize` < 1, a learning rate that is not finite
    /// and positive, a KL weight or warm-up that is not finite and ≥ 0, a linear schedule whose
    /// `final` factor is not finite and ≥ 0. ``train(_:parameters:data:options:optimizerState:startEpoch:startStep:endEpoch:onStep:shouldStop:)``
    /// calls it before the first step.
    public func validate() throws {
        func fail(_ option: String, _ value: Any, _ requirement: String) -> TrainingOptionsError {
            .invalid(option: option, value: "\(value)", requirement: requirement)
        }
        guard epochs >= 0 else { throw fail("epochs", epochs, "≥ 0") }
        guard batchSize >= 1 else { throw fail("batchSize", batchSize, "≥ 1") }
        guard learningRate.isFinite && learningRate > 0 else { throw fail("learningRate", learningRate, "finite and > 0") }
        guard klWeight.isFinite && klWeight >= 0 else { throw fail("klWeight", klWeight, "finite and ≥ 0") }
        guard klWarmupEpochs.isFinite && klWarmupEpochs >= 0 else { throw fail("klWarmupEpochs", klWarmupEpochs, "finite and ≥ 0") }
        if case .linear(let final) = learningRateSchedule, !(final.isFinite && final >= 0) {
            throw fail("learningRateSchedule.linear(final:)", final, "finite and ≥ 0")
        }
    }
}
