import Foundation
import Autodiff

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

    /// - Precondition: `learningRate`, `eps`, `weightDecay` ≥ 0 and β₁, β₂ ∈ [0, 1) (PyTorch's checks).
    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                weightDecay: Double = 0,
                trainable: @escaping @Sendable (String) -> Bool = { Optimizers.isTrainableByDefault($0) }) {
        require(learningRate >= 0, "Adam: invalid learning rate \(learningRate)")
        require(eps >= 0, "Adam: invalid epsilon \(eps)")
        require((0..<1).contains(beta1), "Adam: invalid beta1 \(beta1)")
        require((0..<1).contains(beta2), "Adam: invalid beta2 \(beta2)")
        require(weightDecay >= 0, "Adam: invalid weight decay \(weightDecay)")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
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
        let name = decoupled ? "AdamW" : "Adam"
        Optimizers.checkKeys(params, gradients, trainable: trainable, optimizer: name)
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = eps, wd = weightDecay
        var out = ParameterTree()
        for (key, p0) in params {
            var p = p0.detached()
            guard trainable(key), var g = Optimizers.gradient(gradients, key, for: p, optimizer: name) else {
                out[key] = p0
                continue
            }
            let t = Optimizers.stepCount(state, key) + 1
            if wd != 0 {
                if decoupled {
                    let f = 1 - lr * wd, f32 = Float(f)
                    p = p.mapElements({ $0 * f32 }, { $0 * f })
                } else {
                    let wd32 = Float(wd)
                    g = Tensor.zipElements(g, p, op: "\(name) weight decay", { $0 + wd32 * $1 }, { $0 + wd * $1 })
                }
            }
            let m0 = state.buffers[key + ".exp_avg"] ?? .zeros(p.shape, dtype: p.dtype)
            let v0 = state.buffers[key + ".exp_avg_sq"] ?? .zeros(p.shape, dtype: p.dtype)
            // m.lerp_(g, 1 − β₁), with torch's two-sided lerp formula
            let w = 1 - b1, w32 = Float(w)
            let m = Tensor.zipElements(m0, g, op: "\(name) exp_avg",
                                       { w32 < 0.5 ? $0 + w32 * ($1 - $0) : $1 - ($1 - $0) * (1 - w32) },
                                       { w < 0.5 ? $0 + w * ($1 - $0) : $1 - ($1 - $0) * (1 - w) })
            // v.mul_(β₂).addcmul_(g, g, value = 1 − β₂), evaluated as v·β₂ + (1 − β₂)·g·g left to right
            let c = 1 - b2, c32 = Float(c), b2f = Float(b2)
            let v = Tensor.zipElements(v0, g, op: "\(name) exp_avg_sq", { $0 * b2f + c32 * $1 * $1 }, { $0 * b2 + c * $1 * $1 })
            let bc1 = 1 - Foundation.pow(b1, Double(t))
            let bc2Sqrt = (1 - Foundation.pow(b2, Double(t))).squareRoot()
            let stepSize = lr / bc1
            // denom = √v / √bc2 + ε;  p ← p − stepSize · m / denom
            let bc32 = Float(bc2Sqrt), eps32 = Float(eps)
            let denom = v.mapElements({ $0.squareRoot() / bc32 + eps32 }, { $0.squareRoot() / bc2Sqrt + eps })
            // p.addcdiv_(m, denom, value = −stepSize)
            let s32 = Float(-stepSize), s = -stepSize
            let ratio = Tensor.zipElements(m, denom, op: "\(name) step", { $0 / $1 }, { $0 / $1 })
            let delta = ratio.mapElements({ s32 * $0 }, { s * $0 })
            out[key] = Tensor.zipElements(p, delta, op: "\(name) step", { $0 + $1 }, { $0 + $1 })
            state.buffers[key + ".exp_avg"] = m
            state.buffers[key + ".exp_avg_sq"] = v
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
