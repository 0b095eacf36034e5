import Foundation
import Autodiff
import Kernels

/// Adam (Kingma & Ba 2015) with PyTorch's update, `torch.optim.Adam` (`amsgrad = false`,
/// `maximize = false`). For step t of a parameter (t counted per parameter, from 1):
///
///     g ← grad + weightDecay · p                 (L2 penalty, if weightDecay ≠ 0)
///     m ← m + (1 − β₁)(g − m)                     (torch's lerp)
///     v ← β₂ · v + (1 − β₂) · g²
///     p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// State: `<param>.exp_avg` (m), `<param>.exp_avg_sq` (v), zeros initially, and `<param>.step`.
public struct Adam: Optimizer {
    /// Step size (`lr`).
    public var learningRate: Double
    /// Decay of the first moment.
    public var beta1: Double
    /// Decay of the second moment.
    public var beta2: Double
    /// Added to the denominator for stability.
    public var eps: Double
    /// L2 penalty coefficient added to the gradient (coupled; see ``AdamW`` for decoupled decay).
    public var weightDecay: Double
    /// Which keys are optimized (default: all but `mask`, `running_mean`, `running_var`,
    /// `num_batches_tracked`).
    public var trainable: @Sendable (String) -> Bool
    /// Whether weight decay is decoupled (AdamW) instead of added to the gradient.
    var decoupled = false
    /// A factor on the learning rate per parameter key (1 for every key by default): entry `k`
    /// steps with `learningRate · learningRateScale(k)`, like a PyTorch parameter group with its
    /// own `lr`. Used to give L0 gates (`log_alpha`) the larger steps they need.
    public var learningRateScale: @Sendable (String) -> Double = { _ in 1 }

    /// - Precondition: `learningRate`, `eps`, `weightDecay` ≥ 0 and β₁, β₂ ∈ [0, 1) (PyTorch's checks).
    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                weightDecay: Double = 0,
                trainable: @escaping @Sendable (String) -> Bool = { Optimizers.isTrainableByDefault($0) }) {
        self.learningRate = Optimizers.hyperparameter(learningRate, "learning rate", of: "Adam", valid: learningRate >= 0)
        self.eps = Optimizers.hyperparameter(eps, "epsilon", of: "Adam", valid: eps >= 0)
        self.beta1 = Optimizers.hyperparameter(beta1, "beta1", of: "Adam", valid: (0..<1).contains(beta1))
        self.beta2 = Optimizers.hyperparameter(beta2, "beta2", of: "Adam", valid: (0..<1).contains(beta2))
        self.weightDecay = Optimizers.hyperparameter(weightDecay, "weight decay", of: "Adam", valid: weightDecay >= 0)
        self.trainable = trainable
    }

    /// Zero first and second moments for every trainable parameter.
    public func initialState(for params: ParameterTree) -> OptimizerState {
        var buffers = ParameterTree()
        for (k, p) in params where trainable(k) {
            buffers[k + ".exp_avg"] = .zeros(p.shape, dtype: p.dtype)
            buffers[k + ".exp_avg_sq"] = .zeros(p.shape, dtype: p.dtype)
        }
        return OptimizerState(step: 0, buffers: buffers)
    }

    public func update(_ params: ParameterTree, gradients: ParameterTree, state: inout OptimizerState) -> ParameterTree {
        update(params, gradients: gradients, state: &state, allFinite: nil)
    }

    /// ``update(_:gradients:state:)`` that also says whether every parameter and gradient it read
    /// and every parameter it wrote (the trainable entries that have a gradient) is finite, found in
    /// the same pass over each tensor: what a training loop's NaN/inf checks need, without passes of
    /// their own. The entries it passes through unchanged are not checked.
    public func updateCheckingFinite(_ params: ParameterTree, gradients: ParameterTree, state: inout OptimizerState)
        -> (parameters: ParameterTree, allFinite: Bool) {
        var finite = true
        let out = update(params, gradients: gradients, state: &state, allFinite: &finite)
        return (out, finite)
    }

    /// The update; `allFinite`, when given, is cleared if a parameter or gradient read or a parameter written is NaN or infinite.
    private func update(_ params: ParameterTree, gradients: ParameterTree, state: inout OptimizerState,
                        allFinite: UnsafeMutablePointer<Bool>?) -> ParameterTree {
        let name = decoupled ? "AdamW" : "Adam"
        Optimizers.checkKeys(params, gradients, trainable: trainable, optimizer: name)
        let b1 = beta1, b2 = beta2, eps = eps, wd = weightDecay
        var out = ParameterTree()
        for (key, p0) in params {
            let p = p0.detached()
            guard trainable(key), let g = Optimizers.gradient(gradients, key, for: p, optimizer: name) else {
                out[key] = p0
                continue
            }
            let lr = learningRate * learningRateScale(key)
            let t = Optimizers.stepCount(state, key) + 1
            let mKey = key + ".exp_avg", vKey = key + ".exp_avg_sq"
            var m = Optimizers.takeBuffer(&state, mKey, like: p, optimizer: name)
            var v = Optimizers.takeBuffer(&state, vKey, like: p, optimizer: name)
            // One fused pass (Kernels wt_adam_*), element by element the same operations as
            // torch.optim.Adam's foreach update:
            //   p ← p·(1 − lr·wd) (AdamW);  g ← g + wd·p (Adam's L2 term)
            //   m.lerp_(g, 1 − β₁) with torch's two-sided lerp formula
            //   v ← v·β₂ + (1 − β₂)·g·g
            //   p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
            let w = 1 - b1, c = 1 - b2
            let bc1 = 1 - Foundation.pow(b1, Double(t))
            let bc2Sqrt = (1 - Foundation.pow(b2, Double(t))).squareRoot()
            let negStep = -(lr / bc1)
            let decay = decoupled && wd != 0 ? 1 - lr * wd : 1
            let coupled = decoupled ? 0 : wd
            var next = Tensor(uninitializedShape: p.shape, dtype: p.dtype)
            let n = p.count
            func run<T: TensorScalar>(_: T.Type, _ kernel: (UnsafeMutablePointer<T>?, UnsafePointer<T>?, UnsafePointer<T>?,
                                                            UnsafeMutablePointer<T>?, UnsafeMutablePointer<T>?) -> Int32) {
                p.withUnsafeBufferPointer { (pp: UnsafeBufferPointer<T>) in
                g.withUnsafeBufferPointer { (gp: UnsafeBufferPointer<T>) in
                m.withUnsafeMutableBufferPointer { (mp: UnsafeMutableBufferPointer<T>) in
                v.withUnsafeMutableBufferPointer { (vp: UnsafeMutableBufferPointer<T>) in
                next.withUnsafeMutableBufferPointer { (op: UnsafeMutableBufferPointer<T>) in
                    if kernel(op.baseAddress, pp.baseAddress, gp.baseAddress, mp.baseAddress, vp.baseAddress) == 0 {
                        allFinite?.pointee = false
                    }
                }}}}}
            }
            switch p.dtype {   // one C kernel per dtype (the same values with or without the check)
            case .float64:
                run(Double.self) {
                    wt_adam_f64_checked($0, $1, $2, $3, $4, n, decay, coupled, w, 1 - w, b2, c, bc2Sqrt, eps, negStep)
                }
            case .float32:
                let w32 = Float(w)
                run(Float.self) {
                    wt_adam_f32_checked($0, $1, $2, $3, $4, n, Float(decay), Float(coupled), w32, 1 - w32, Float(b2), Float(c),
                                        Float(bc2Sqrt), Float(eps), Float(negStep))
                }
            }
            out[key] = next
            state.buffers[mKey] = m
            state.buffers[vKey] = v
            state.buffers[key + ".step"] = Tensor(scalar: Double(t), dtype: .float64)
        }
        state.step += 1
        return out
    }
}

/// AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay, `torch.optim.AdamW`.
/// Before the Adam update of step t the parameter shrinks, and the gradient is left alone:
///
///     p ← p · (1 − lr · weightDecay)
///     (then the ``Adam`` update with weightDecay = 0)
///
/// PyTorch's default weight decay for AdamW is 0.01. State as ``Adam``.
public struct AdamW: Optimizer {
    private var adam: Adam

    /// Step size (`lr`).
    public var learningRate: Double { get { adam.learningRate } set { adam.learningRate = newValue } }
    /// Decay of the first moment.
    public var beta1: Double { get { adam.beta1 } set { adam.beta1 = newValue } }
    /// Decay of the second moment.
    public var beta2: Double { get { adam.beta2 } set { adam.beta2 = newValue } }
    /// Added to the denominator for stability.
    public var eps: Double { get { adam.eps } set { adam.eps = newValue } }
    /// Decoupled decay coefficient.
    public var weightDecay: Double { get { adam.weightDecay } set { adam.weightDecay = newValue } }
    /// Which keys are optimized (default: all but `mask`, `running_mean`, `running_var`,
    /// `num_batches_tracked`).
    public var trainable: @Sendable (String) -> Bool { adam.trainable }

    /// - Precondition: as ``Adam/init(learningRate:beta1:beta2:eps:weightDecay:trainable:)``.
    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                weightDecay: Double = 0.01,
                trainable: @escaping @Sendable (String) -> Bool = { Optimizers.isTrainableByDefault($0) }) {
        adam = Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, trainable: trainable)
        adam.decoupled = true
    }

    /// Zero first and second moments for every trainable parameter.
    public func initialState(for params: ParameterTree) -> OptimizerState { adam.initialState(for: params) }

    public func update(_ params: ParameterTree, gradients: ParameterTree, state: inout OptimizerState) -> ParameterTree {
        adam.update(params, gradients: gradients, state: &state)
    }
}
