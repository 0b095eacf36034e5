import Foundation
import Autodiff

/// The state an optimizer carries between steps, itself a ``ParameterTree`` so that it can be
/// saved with ``Safetensors`` like any other tree.
///
/// `buffers` is keyed `<param>.<name>` with torch.optim's per-parameter state names:
/// `<param>.momentum_buffer` (SGD with momentum), `<param>.exp_avg` and `<param>.exp_avg_sq`
/// (Adam, AdamW), and `<param>.step` (a scalar `float64` tensor: how many updates this
/// parameter received — PyTorch keeps `step` per parameter too, and skips a parameter whose
/// gradient is absent).
public struct OptimizerState: Sendable {
    /// Number of ``Optimizer/update(_:gradients:state:)`` calls made with this state.
    public var step: Int
    /// The per-parameter buffers (see the type's documentation for the keys).
    public var buffers: ParameterTree

    /// A state with the given step count and buffers.
    public init(step: Int = 0, buffers: ParameterTree = ParameterTree()) {
        self.step = step
        self.buffers = buffers
    }
}

/// A first-order optimizer as a pure function over trees:
/// `new = update(params, gradients, &state)`. Nothing is stored in the optimizer value itself,
/// so one value can drive any number of independent trainings.
///
/// Updates are computed with untraced elementwise kernels (no tape) in each parameter's dtype.
/// Complex parameters are stored as `P.real` / `P.imag` entries and are updated as two real
/// parameters, which is exactly what torch.optim does for complex tensors (it optimizes
/// `view_as_real(p)`).
public protocol Optimizer: Sendable {
    /// Which keys are optimized; the others (buffers such as `running_mean`, masks) are
    /// returned unchanged and get no state.
    var trainable: @Sendable (String) -> Bool { get }

    /// The state before the first step for `params` (buffers created eagerly where torch's
    /// first step would create zeros; SGD's momentum buffer is created by the first step).
    func initialState(for params: ParameterTree) -> OptimizerState

    /// One optimization step: returns the updated parameters (same keys and order as `params`)
    /// and advances `state`.
    ///
    /// Entries of `params` that are not trainable, or have no gradient, are returned unchanged
    /// (like a PyTorch parameter whose `.grad` is `None`).
    /// - Precondition: every key of `gradients` that is trainable exists in `params` with the
    ///   same shape and dtype (the message names the key).
    func update(_ params: ParameterTree, gradients: ParameterTree, state: inout OptimizerState) -> ParameterTree
}

/// Helpers shared by the optimizers.
public enum Optimizers {
    /// The state-dict leaf names that are buffers, not parameters: `mask`, `running_mean`,
    /// `running_var`, `num_batches_tracked`.
    public static let bufferNames: Set<String> = ["mask", "running_mean", "running_var", "num_batches_tracked"]

    /// The default trainability filter: a key is trainable unless its last dotted component is
    /// one of ``bufferNames`` (`features.1.running_mean`, `classifier.0.mask` are skipped).
    public static func isTrainableByDefault(_ key: String) -> Bool {
        // the text after the last "." (the whole key without one), compared in place: a training
        // step asks this of every key several times, and splitting the key allocated each time
        let utf8 = key.utf8
        let last = utf8.lastIndex(of: UInt8(ascii: ".")).map { key[utf8.index(after: $0)...] } ?? key[...]
        return !bufferNames.contains { $0 == last }
    }

    /// `value`, stopping with PyTorch's message `"<optimizer>: invalid <name> <value>"` unless
    /// `valid`: how every optimizer checks its hyper-parameters (the stop names the caller's line).
    static func hyperparameter(_ value: Double, _ name: String, of optimizer: String, valid: Bool,
                               file: StaticString = #fileID, line: UInt = #line) -> Double {
        require(valid, "\(optimizer): invalid \(name) \(value)", file: file, line: line)
        return value
    }

    /// The gradient for `key`, checked against the parameter.
    static func gradient(_ gradients: ParameterTree, _ key: String, for p: Tensor, optimizer: String) -> Tensor? {
        guard let g = gradients[key] else { return nil }
        require(g.shape == p.shape, "\(optimizer): gradient for \(key) has shape \(g.shape) but the parameter has \(p.shape)")
        require(g.dtype == p.dtype, "\(optimizer): gradient for \(key) is \(g.dtype) but the parameter is \(p.dtype)")
        return g.detached()
    }

    /// Stops when `gradients` has a trainable key that `params` lacks.
    static func checkKeys(_ params: ParameterTree, _ gradients: ParameterTree, trainable: (String) -> Bool, optimizer: String) {
        for k in gradients.keys where trainable(k) {
            require(params.contains(k), "\(optimizer): gradient for \(k), which is not a parameter")
        }
    }

    /// An empty tensor that holds a buffer's place in a state tree while the buffer is updated.
    static let placeholder = Tensor.zeros([0], dtype: .float64)

    /// The state buffer at `key` (zeros shaped like `p` when absent), detached from the tree so
    /// that a fused kernel can update it in place: the entry keeps its position but holds a
    /// placeholder until the caller stores the updated buffer back.
    /// - Precondition: the buffer has the parameter's shape and dtype (the message names the key).
    static func takeBuffer(_ state: inout OptimizerState, _ key: String, like p: Tensor, optimizer: String) -> Tensor {
        guard let b = state.buffers[key] else { return .zeros(p.shape, dtype: p.dtype) }
        require(b.shape == p.shape && b.dtype == p.dtype,
                "\(optimizer): state \(key) is \(b.dtype) \(b.shape) but the parameter is \(p.dtype) \(p.shape)")
        state.buffers[key] = placeholder
        return b.detached()
    }

    /// The per-parameter step count stored at `<key>.step` (0 when absent).
    static func stepCount(_ state: OptimizerState, _ key: String) -> Int {
        state.buffers[key + ".step"].map { Int($0.item) } ?? 0
    }
}

/// Total norm of a set of gradients and the gradients rescaled so that this norm is at most
/// `maxNorm`, like `torch.nn.utils.clip_grad_norm_`.
///
/// `total = ‖(‖g₁‖ₚ, ‖g₂‖ₚ, …)‖ₚ` over the trainable entries (p = `normType`, default 2;
/// `.infinity` gives the largest |gᵢ|), `coef = min(1, maxNorm / (total + 1e-6))`, and every
/// trainable gradient is multiplied by `coef` (in its own dtype; entries for which
/// `trainable` is false are returned unchanged and do not count). The norm is accumulated in
/// `Double`. Returns the clipped tree and the norm **before** clipping.
/// - Precondition: `maxNorm` ≥ 0 and `normType` > 0.
public func clipGradNorm(_ grads: ParameterTree, maxNorm: Double, normType: Double = 2,
                         trainable: (String) -> Bool = Optimizers.isTrainableByDefault) -> (ParameterTree, totalNorm: Double) {
    require(maxNorm >= 0, "clipGradNorm: maxNorm must be ≥ 0, got \(maxNorm)")
    require(normType > 0, "clipGradNorm: normType must be > 0, got \(normType)")
    var total = 0.0
    var anyEntry = false
    /// Σ|x|ᵖ (or max |x| for p = ∞) over one tensor, accumulated in Double.
    func accumulate<T: TensorScalar>(_ p: UnsafeBufferPointer<T>, into total: inout Double) {
        if normType == .infinity {
            for x in p {
                let a = Double(abs(x))
                if a.isNaN { total = .nan } else if a > total { total = a }
            }
        } else if normType == 2 {
            var s = 0.0
            for x in p { let d = Double(x); s += d * d }
            total += s
        } else {
            var s = 0.0
            for x in p { s += Foundation.pow(Double(abs(x)), normType) }
            total += s
        }
    }
    for (k, g) in grads where trainable(k) {
        anyEntry = true
        func run<T: TensorScalar>(_: T.Type) {
            g.withUnsafeBufferPointer { (p: UnsafeBufferPointer<T>) in accumulate(p, into: &total) }
        }
        g.dtype.dispatch { run($0) }
    }
    if !anyEntry { return (grads, 0) }
    if normType == 2 { total = total.squareRoot() } else if normType != .infinity { total = Foundation.pow(total, 1 / normType) }
    let coef = Swift.min(1, maxNorm / (total + 1e-6))
    let out = grads.map { k, g in
        guard trainable(k) else { return g }
        let c32 = Float(coef)
        return g.detached().mapElements({ $0 * c32 }, { $0 * coef })
    }
    return (out, total)
}
