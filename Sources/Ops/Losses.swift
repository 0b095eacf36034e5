// Softmax, log-softmax and the standard losses. softmax, logSoftmax, nllLoss and the
// elementwise part of binaryCrossEntropyWithLogits are primitives (forward kernel + pullback);
// crossEntropy and mseLoss are compositions of primitives.

/// How a loss combines its per-element values.
public enum Reduction: Sendable, Hashable {
    /// Keep one loss per element (per sample for classification losses).
    case none
    /// Add them up (a scalar).
    case sum
    /// Average them (a scalar; NaN when there are none, like PyTorch).
    case mean
}

/// Applies `reduction` to a tensor of per-element losses.
private func reduce(_ loss: Tensor, _ reduction: Reduction) -> Tensor {
    switch reduction {
    case .none: return loss
    case .sum: return sum(loss)
    case .mean: return mean(loss)
    }
}

/// The normalised class/softmax axis of a tensor of `rank`, or a stop naming `op`.
private func softmaxAxis(_ axis: Int, rank: Int, op: String) -> [Int] {
    let r = Swift.max(rank, 1)
    require(axis >= -r && axis < r, "\(op): axis \(axis) is out of range for rank \(rank)")
    return normalizedAxes([axis], rank: rank, op: op)
}

/// softmax along `axis`: yᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m) with m the slice maximum (so large
/// inputs do not overflow). Same shape and dtype as `x`.
/// Pullback: gₓ = y ⊙ (g − Σ(g ⊙ y) along the axis).
public func softmax(_ x: Tensor, axis: Int) -> Tensor {
    let ax = softmaxAxis(axis, rank: x.rank, op: "softmax")
    let lse = ElementwiseSupport.logSumExpKept(x, axes: ax)
    let y = Tensor.zipElements(x, lse, op: "softmax", { Float.exp($0 - $1) }, { Double.exp($0 - $1) })
    return Tape.record("softmax", y, inputs: [x]) { g in
        let gy = Tensor.zipElements(g, y, op: "softmax pullback", .multiply)
        let s = gy.summed(toShape: lse.shape)
        let centered = Tensor.zipElements(g, s, op: "softmax pullback", .subtract)
        return [Tensor.zipElements(y, centered, op: "softmax pullback", .multiply)]
    }
}

/// log-softmax along `axis`: yᵢ = xᵢ − log Σⱼ exp(xⱼ), with the log-sum-exp shifted by the slice
/// maximum. Same shape and dtype as `x`.
/// Pullback: gₓ = g − softmax(x) ⊙ Σ g along the axis.
public func logSoftmax(_ x: Tensor, axis: Int) -> Tensor {
    let ax = softmaxAxis(axis, rank: x.rank, op: "logSoftmax")
    let lse = ElementwiseSupport.logSumExpKept(x, axes: ax)
    let y = Tensor.zipElements(x, lse, op: "logSoftmax", .subtract)
    return Tape.record("logSoftmax", y, inputs: [x]) { g in
        let s = g.summed(toShape: lse.shape)
        let p = y.mapElements(Float.exp, Double.exp)
        let ps = Tensor.zipElements(p, s, op: "logSoftmax pullback", .multiply)
        return [Tensor.zipElements(g, ps, op: "logSoftmax pullback", .subtract)]
    }
}

/// Negative log-likelihood of class indices: lossₖ = −logProbs[n, targetₖ, d…].
///
/// - Parameters:
///   - logProbs: `[N, C]`, `[N, C, d₁, …]` (class axis 1), or `[C]` for one sample.
///   - targets: class indices in `0..<C`, one per sample position, row-major over `[N, d₁, …]`
///     (`N·d₁·…` values; one value for a `[C]` input). No ignore-index.
///   - reduction: `.none` gives shape `[N, d₁, …]` (`[]` for a `[C]` input), `.sum` and `.mean` a scalar.
/// Pullback: −g (scaled by 1/count for `.mean`) at each target position, 0 elsewhere.
/// - Precondition: the target count matches and every target is in range (the message names the op
///   and the value).
public func nllLoss(_ logProbs: Tensor, targets: [Int], reduction: Reduction = .mean) -> Tensor {
    nll(logProbs, targets: targets, reduction: reduction, op: "nllLoss")
}

private func nll(_ x: Tensor, targets: [Int], reduction: Reduction, op: String) -> Tensor {
    require(x.rank >= 1, "\(op): input must have a class axis, got shape \(x.shape)")
    let oneSample = x.rank == 1
    let n = oneSample ? 1 : x.shape[0]
    let c = oneSample ? x.shape[0] : x.shape[1]
    let inner = oneSample ? 1 : x.shape.dropFirst(2).reduce(1, *)
    let outShape = oneSample ? [] : [n] + x.shape.dropFirst(2)
    let m = n * inner
    require(targets.count == m,
                 "\(op): \(targets.count) targets for input of shape \(x.shape) (need \(m), one per position of \(outShape))")
    for (k, t) in targets.enumerated() {
        require(t >= 0 && t < c, "\(op): target \(t) at position \(k) is out of range for \(c) classes")
    }
    // Flat offset of the selected log-probability of each position k = i·inner + s.
    let offsets = (0..<m).map { k -> Int in
        let i = k / inner, s = k % inner
        return (i * c + targets[k]) * inner + s
    }
    // the selected values only (−x is exact in x's dtype, so these are the losses' values)
    func pick<T: TensorScalar>(_: T.Type) -> [Double] {
        x.withUnsafeBufferPointer { (p: UnsafeBufferPointer<T>) in offsets.map { -Double(p[$0]) } }
    }
    let picked = x.dtype == .float32 ? pick(Float.self) : pick(Double.self)
    let losses: Tensor
    let scale: Double
    switch reduction {
    case .none:
        losses = Tensor(shape: outShape, scalars: picked, dtype: x.dtype)
        scale = 1
    case .sum:
        losses = Tensor(scalar: picked.reduce(0, +), dtype: x.dtype)
        scale = 1
    case .mean:
        losses = Tensor(scalar: picked.reduce(0, +) / Double(m), dtype: x.dtype)
        scale = 1 / Double(m)
    }
    let shape = x.shape, dtype = x.dtype
    return Tape.record(op, losses, inputs: [x]) { g in
        let gs = g.scalars
        var gx = [Double](repeating: 0, count: shape.reduce(1, *))
        for (k, o) in offsets.enumerated() {
            gx[o] -= (reduction == .none ? gs[k] : gs[0]) * scale
        }
        return [Tensor(shape: shape, scalars: gx, dtype: dtype)]
    }
}

/// Cross-entropy of logits against class indices: `nllLoss(logSoftmax(logits, axis: 1), targets)`
/// (axis 0 for a `[C]` input), i.e. lossₖ = log Σ_c exp(logits[n, c, …]) − logits[n, targetₖ, …].
///
/// - Parameters:
///   - logits: `[N, C]`, `[N, C, d₁, …]` or `[C]`.
///   - targets: class indices, row-major over `[N, d₁, …]` (see ``nllLoss(_:targets:reduction:)``).
/// Pullback (through the two primitives): softmax(logits) − onehot(target), times g (and 1/count for `.mean`).
/// - Precondition: every target is in range (the message names `crossEntropy` and the value).
public func crossEntropy(_ logits: Tensor, targets: [Int], reduction: Reduction = .mean) -> Tensor {
    require(logits.rank >= 1, "crossEntropy: logits must have a class axis, got shape \(logits.shape)")
    return nll(logSoftmax(logits, axis: logits.rank == 1 ? 0 : 1), targets: targets, reduction: reduction,
               op: "crossEntropy")
}

/// Mean squared error: ℓ = (x − y)² elementwise (broadcasting), then `reduction`.
/// Gradients through `-` and `square`: 2(x − y)·g to x, −2(x − y)·g to y.
public func mseLoss(_ x: Tensor, _ y: Tensor, reduction: Reduction = .mean) -> Tensor {
    reduce(square(x - y), reduction)
}

/// Binary cross-entropy on logits: ℓ = −[t·ln σ(x) + (1 − t)·ln(1 − σ(x))], evaluated as
/// (1 − t)·x + softplus(−x) with softplus(−x) = max(−x, 0) + log1p(e^{−|x|}) — finite for any
/// finite logit (x = ±700 included). `logits` and `targets` broadcast; targets are
/// probabilities in [0, 1] (not checked, like PyTorch). Then `reduction`.
/// Pullback of the elementwise loss: (σ(x) − t)·g to the logits, −x·g to the targets.
public func binaryCrossEntropyWithLogits(_ logits: Tensor, _ targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    func loss<T: TensorScalar>(_ x: T, _ t: T) -> T { (1 - t) * x + ElementwiseSupport.softplusStable(-x) }
    let l = Tensor.zipElements(logits, targets, op: "binaryCrossEntropyWithLogits", loss, loss)
    let x0 = logits.detached(), t0 = targets.detached()
    let elementwise = Tape.record("binaryCrossEntropyWithLogits", l, inputs: [logits, targets]) { g in
        func dx<T: TensorScalar>(_ x: T, _ t: T) -> T { ElementwiseSupport.sigmoid(x) - t }
        let fx = Tensor.zipElements(x0, t0, op: "binaryCrossEntropyWithLogits pullback", dx, dx)
        let negX = x0.negatedElements()
        return [Tensor.zipElements(g, fx, op: "binaryCrossEntropyWithLogits pullback", .multiply),
                Tensor.zipElements(g, negX, op: "binaryCrossEntropyWithLogits pullback", .multiply)]
    }
    return reduce(elementwise, reduction)
}
