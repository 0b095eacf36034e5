import Autodiff

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
        require(learningRate >= 0, "SGD: invalid learning rate \(learningRate)")
        require(momentum >= 0, "SGD: invalid momentum \(momentum)")
        require(weightDecay >= 0, "SGD: invalid weight decay \(weightDecay)")
        require(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum requires a momentum and zero dampening")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
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
            guard trainable(key), var g = Optimizers.gradient(gradients, key, for: p, optimizer: "SGD") else {
                out[key] = p0
                continue
            }
            if wd != 0 {
                let wd32 = Float(wd)
                g = Tensor.zipElements(g, p, op: "SGD weight decay", { $0 + wd32 * $1 }, { $0 + wd * $1 })
            }
            if mom != 0 {
                let bufKey = key + ".momentum_buffer"
                let buf: Tensor
                if let b = state.buffers[bufKey] {
                    let m32 = Float(mom), d32 = Float(1 - damp), d = 1 - damp
                    buf = Tensor.zipElements(b, g, op: "SGD momentum", { m32 * $0 + d32 * $1 }, { mom * $0 + d * $1 })
                } else {
                    buf = g
                }
                state.buffers[bufKey] = buf
                if nesterov {
                    let m32 = Float(mom)
                    g = Tensor.zipElements(g, buf, op: "SGD nesterov", { $0 + m32 * $1 }, { $0 + mom * $1 })
                } else {
                    g = buf
                }
            }
            let lr32 = Float(lr)
            out[key] = Tensor.zipElements(p, g, op: "SGD step", { $0 - lr32 * $1 }, { $0 - lr * $1 })
            state.buffers[key + ".step"] = Tensor(scalar: Double(Optimizers.stepCount(state, key) + 1), dtype: .float64)
        }
        state.step += 1
        return out
    }
}
