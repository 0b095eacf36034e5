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

    /// One trainable tensor of a step: its buffers and its constants, in Double (converted to the
    /// tensor's dtype at the kernel call, as the one-tensor kernel's arguments were).
    private struct Item {
        var key: String, mKey: String, vKey: String, stepKey: String
        var p: Tensor, g: Tensor, m: Tensor, v: Tensor, next: Tensor
        var t: Int
        var decay: Double, coupled: Double, w: Double, c: Double, bc2Sqrt: Double, negStep: Double
    }

    /// The update; `allFinite`, when given, is cleared if a parameter or gradient read or a parameter written is NaN or infinite.
    ///
    /// Every trainable tensor's step runs in one multi-tensor kernel call per dtype
    /// (`wt_adam_multi_*_checked`: one parallel loop over the elements of all tensors, each element
    /// with the operations of the one-tensor pass), so that the small tensors (biases, a small
    /// layer's weights) share the threads and the threads are dispatched once per step.
    private func update(_ params: ParameterTree, gradients: ParameterTree, state: inout OptimizerState,
                        allFinite: UnsafeMutablePointer<Bool>?) -> ParameterTree {
        let name = decoupled ? "AdamW" : "Adam"
        Optimizers.checkKeys(params, gradients, trainable: trainable, optimizer: name)
        let b1 = beta1, b2 = beta2, eps = eps, wd = weightDecay
        // the entries in order: the index of the item that updates it, or −1 (passed through)
        var slots: [(key: String, value: Tensor, item: Int)] = []
        slots.reserveCapacity(params.count)
        var items: [Item] = []
        items.reserveCapacity(params.count)
        for (key, p0) in params {
            let p = p0.detached()
            guard trainable(key), let g = Optimizers.gradient(gradients, key, for: p, optimizer: name) else {
                slots.append((key, p0, -1))
                continue
            }
            let lr = learningRate * learningRateScale(key)
            let mKey = key + ".exp_avg", vKey = key + ".exp_avg_sq", stepKey = key + ".step"
            let t = (state.buffers[stepKey].map { Int($0.item) } ?? 0) + 1
            let m = Optimizers.takeBuffer(&state, mKey, like: p, optimizer: name)
            let v = Optimizers.takeBuffer(&state, vKey, like: p, optimizer: name)
            // Element by element the same operations as torch.optim.Adam's foreach update
            // (Kernels wt_adam_*):
            //   p ← p·(1 − lr·wd) (AdamW);  g ← g + wd·p (Adam's L2 term)
            //   m.lerp_(g, 1 − β₁) with torch's two-sided lerp formula
            //   v ← v·β₂ + (1 − β₂)·g·g
            //   p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
            let bc1 = 1 - Foundation.pow(b1, Double(t))
            let bc2Sqrt = (1 - Foundation.pow(b2, Double(t))).squareRoot()
            slots.append((key, p0, items.count))
            items.append(Item(key: key, mKey: mKey, vKey: vKey, stepKey: stepKey, p: p, g: g, m: m, v: v, next: Tensor(uninitializedShape: p.shape, dtype: p.dtype), t: t,
                              decay: decoupled && wd != 0 ? 1 - lr * wd : 1, coupled: decoupled ? 0 : wd,
                              w: 1 - b1, c: 1 - b2, bc2Sqrt: bc2Sqrt, negStep: -(lr / bc1)))
        }
        // one kernel call per dtype (a tree normally has one)
        for dtype in [DType.float32, .float64] {
            let group = items.indices.filter { items[$0].p.dtype == dtype }
            if group.isEmpty { continue }
            let reading = group.flatMap { [items[$0].p, items[$0].g] }
            var writing = group.flatMap { [items[$0].m, items[$0].v, items[$0].next] }
            for k in group { items[k].m = Adam.placeholder; items[k].v = Adam.placeholder; items[k].next = Adam.placeholder }
            let finite: Bool
            switch dtype {
            case .float32:
                finite = Tensor.withBaseAddresses(reading: reading, writing: &writing, as: Float.self) { r, o in
                    var descs = group.indices.map { j -> wt_adam_tensor_f32 in
                        let it = items[group[j]], w32 = Float(it.w)
                        return wt_adam_tensor_f32(p_out: o[3 * j + 2], p: r[2 * j], g: r[2 * j + 1], m: o[3 * j], v: o[3 * j + 1],
                                                  n: it.p.count, decay: Float(it.decay), weight_decay: Float(it.coupled),
                                                  w: w32, one_minus_w: 1 - w32, beta2: Float(b2), c2: Float(it.c),
                                                  bc2_sqrt: Float(it.bc2Sqrt), eps: Float(eps), neg_step: Float(it.negStep))
                    }
                    return descs.withUnsafeMutableBufferPointer { wt_adam_multi_f32_checked($0.baseAddress, $0.count) } != 0
                }
            case .float64:
                finite = Tensor.withBaseAddresses(reading: reading, writing: &writing, as: Double.self) { r, o in
                    var descs = group.indices.map { j -> wt_adam_tensor_f64 in
                        let it = items[group[j]]
                        return wt_adam_tensor_f64(p_out: o[3 * j + 2], p: r[2 * j], g: r[2 * j + 1], m: o[3 * j], v: o[3 * j + 1],
                                                  n: it.p.count, decay: it.decay, weight_decay: it.coupled, w: it.w,
                                                  one_minus_w: 1 - it.w, beta2: b2, c2: it.c, bc2_sqrt: it.bc2Sqrt, eps: eps,
                                                  neg_step: it.negStep)
                    }
                    return descs.withUnsafeMutableBufferPointer { wt_adam_multi_f64_checked($0.baseAddress, $0.count) } != 0
                }
            }
            if !finite { allFinite?.pointee = false }
            for (j, k) in group.enumerated() {
                items[k].m = writing[3 * j]; items[k].v = writing[3 * j + 1]; items[k].next = writing[3 * j + 2]
            }
        }
        var out = ParameterTree()
        out.reserveCapacity(slots.count)
        for s in slots { out[s.key] = s.item < 0 ? s.value : items[s.item].next }
        for it in items {
            state.buffers[it.mKey] = it.m
            state.buffers[it.vKey] = it.v
            state.buffers[it.stepKey] = Tensor(scalar: Double(it.t), dtype: .float64)
        }
        state.step += 1
        return out
    }

    /// An empty tensor that holds an item's place while its buffers are in the kernel call.
    private static let placeholder = Tensor.zeros([0], dtype: .float32)
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
