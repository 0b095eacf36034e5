import Autodiff
import Kernels

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2
/// weight decay — the update of `torch.optim.SGD` (`maximize = false`):
///
///     g ← grad + weightDecay · p                        (if weightDecay ≠ 0)
///     if momentum ≠ 0:
///         b ← g                                          (first step of this parameter)
///         b ← momentum · b + (1 − dampening) · g         (later steps)
///         g ← g + momentum · b  (nesterov)   or   g ← b
///     p ← p − learningRate · g
///
/// State: `<param>.momentum_buffer` (only when `momentum ≠ 0`, created by the first step) and
/// `<param>.step`.
public struct SGD: Optimizer {
    /// Step size (`lr`).
    public var learningRate: Double
    /// Momentum factor (0 = plain SGD).
    public var momentum: Double
    /// Dampening of the gradient in the momentum buffer after the first step.
    public var dampening: Double
    /// Nesterov momentum (needs `momentum > 0` and `dampening == 0`, as in PyTorch).
    public var nesterov: Bool
    /// L2 penalty coefficient added to the gradient.
    public var weightDecay: Double
    /// Which keys are optimized (default: all but `mask`, `running_mean`, `running_var`,
    /// `num_batches_tracked`).
    public var trainable: @Sendable (String) -> Bool

    /// - Precondition: `learningRate`, `momentum`, `weightDecay` ≥ 0; Nesterov needs momentum > 0
    ///   and zero dampening (PyTorch's checks).
    public init(learningRate: Double, momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false,
                weightDecay: Double = 0,
                trainable: @escaping @Sendable (String) -> Bool = { Optimizers.isTrainableByDefault($0) }) {
        self.learningRate = Optimizers.hyperparameter(learningRate, "learning rate", of: "SGD", valid: learningRate >= 0)
        self.momentum = Optimizers.hyperparameter(momentum, "momentum", of: "SGD", valid: momentum >= 0)
        self.weightDecay = Optimizers.hyperparameter(weightDecay, "weight decay", of: "SGD", valid: weightDecay >= 0)
        require(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum requires a momentum and zero dampening")
        self.dampening = dampening
        self.nesterov = nesterov
        self.trainable = trainable
    }

    /// No buffers yet: the momentum buffer is the first step's gradient, as in PyTorch.
    public func initialState(for params: ParameterTree) -> OptimizerState { OptimizerState() }

    public func update(_ params: ParameterTree, gradients: ParameterTree, state: inout OptimizerState) -> ParameterTree {
        Optimizers.checkKeys(params, gradients, trainable: trainable, optimizer: "SGD")
        let lr = learningRate, mom = momentum, damp = dampening, wd = weightDecay
        var out = ParameterTree()
        for (key, p0) in params {
            let p = p0.detached()
            guard trainable(key), let g = Optimizers.gradient(gradients, key, for: p, optimizer: "SGD") else {
                out[key] = p0
                continue
            }
            // One fused pass (Kernels wt_sgd_*) with torch.optim.SGD's operations per element.
            let bufKey = key + ".momentum_buffer"
            let first = mom != 0 && state.buffers[bufKey] == nil
            var buf: Tensor? = mom == 0 ? nil
                : (first ? Tensor(uninitializedShape: p.shape, dtype: p.dtype)
                         : Optimizers.takeBuffer(&state, bufKey, like: p, optimizer: "SGD"))
            var next = Tensor(uninitializedShape: p.shape, dtype: p.dtype)
            let n = p.count
            func run<T: TensorScalar>(_: T.Type, _ kernel: (UnsafeMutablePointer<T>?, UnsafePointer<T>?, UnsafePointer<T>?,
                                                            UnsafeMutablePointer<T>?) -> Void) {
                p.withUnsafeBufferPointer { (pp: UnsafeBufferPointer<T>) in
                    g.withUnsafeBufferPointer { (gp: UnsafeBufferPointer<T>) in
                        next.withUnsafeMutableBufferPointer { (op: UnsafeMutableBufferPointer<T>) in
                            if buf != nil {
                                buf!.withUnsafeMutableBufferPointer { (bp: UnsafeMutableBufferPointer<T>) in
                                    kernel(op.baseAddress, pp.baseAddress, gp.baseAddress, bp.baseAddress)
                                }
                            } else {
                                kernel(op.baseAddress, pp.baseAddress, gp.baseAddress, nil)
                            }
                        }
                    }
                }
            }
            let firstFlag: Int32 = first ? 1 : 0, nesterovFlag: Int32 = nesterov ? 1 : 0
            switch p.dtype {
            case .float64:
                run(Double.self) { wt_sgd_f64($0, $1, $2, $3, n, lr, wd, mom, 1 - damp, firstFlag, nesterovFlag) }
            case .float32:
                run(Float.self) { wt_sgd_f32($0, $1, $2, $3, n, Float(lr), Float(wd), Float(mom), Float(1 - damp), firstFlag, nesterovFlag) }
            }
            if let b = buf { state.buffers[bufKey] = b }
            out[key] = next
            state.buffers[key + ".step"] = Tensor(scalar: Double(Optimizers.stepCount(state, key) + 1), dtype: .float64)
        }
        state.step += 1
        return out
    }
}
