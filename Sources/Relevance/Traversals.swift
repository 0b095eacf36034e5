/// Model-wide traversals: they walk ``Module/namedModules(prefix:)`` and return results keyed
/// by the module path, like cplxmodule's generators, but computed from a parameter tree.

/// `(path, penalty)` for every Bayesian layer of `model` in `named_modules` order.
/// - Parameters:
///   - parameters: the whole model's tree (keys like `classifier.0.log_sigma2`).
///   - reduction: `.sum` (default), `.mean` or `.none` (elementwise).
///   - exact: report ``BayesianLayer/exactPenalty(parameters:)`` (the true KL, for logging)
///     instead of the training penalty; they differ only for `…VDBogus` layers.
public func namedPenalties(_ model: some Module, parameters: ParameterTree,
                           reduction: Reduction = .sum, exact: Bool = false) -> [(path: String, penalty: Tensor)] {
    model.namedModules().compactMap { path, module in
        guard let layer = module as? any BayesianLayer else { return nil }
        let scoped = parameters.scoped(path)
        func elementwise() -> Tensor { exact ? layer.exactPenalty(parameters: scoped) : layer.penalty(parameters: scoped) }
        return TraversalPath.at(path) {
            switch reduction {
            case .none: return (path, elementwise())
            case .sum: return (path, exact ? sum(elementwise()) : layer.penaltySum(parameters: scoped, scale: 1))
            case .mean: return (path, mean(elementwise()))
            }
        }
    }
}

/// The penalties of every Bayesian layer, values only.
public func penalties(_ model: some Module, parameters: ParameterTree, reduction: Reduction = .sum) -> [Tensor] {
    namedPenalties(model, parameters: parameters, reduction: reduction).map(\.penalty)
}

/// The sum of all summed penalties times `scale` (0 for a model with no Bayesian layer): the KL
/// term of the loss, `loss = data term + totalPenalty(model, parameters:, scale: coef)`. Each layer
/// contributes ``BayesianLayer/penaltySum(parameters:scale:)``, so for the built-in priors the
/// coefficient costs nothing (`coef · totalPenalty(model, parameters:)` is the same value, with
/// one more pass over every derivative).
public func totalPenalty(_ model: some Module, parameters: ParameterTree, scale: Double = 1) -> Tensor {
    // A sum started and finished at once is the plain sum: the same value, derivatives and bits.
    startTotalPenalty(model, parameters: parameters, scale: scale).record()
}

/// ``totalPenalty(_:parameters:scale:)`` started ahead of its use: the model is walked and every
/// Bayesian layer's ``BayesianLayer/startPenaltySum(parameters:scale:)`` is called now (built-in
/// complex VD/ARD layers in float32 start their kernel on the idle kernel threads). Its `record`
/// finishes the sums, records them on the tape and adds them in `named_modules` order: the same
/// value, derivatives and tape entries as `totalPenalty` called there. When every layer's sum has
/// the untaped form, so has the total: the sum of the values in the same order, and every layer's
/// cotangents (for a loss `… + total`, to hand to `valueWithGradient(at:deferring:)`). A training
/// step starts it before the forward pass, so that the second kernel thread computes the penalty
/// while the first runs the step's serial code.
public func startTotalPenalty(_ model: some Module, parameters: ParameterTree, scale: Double = 1) -> StartedPenalty {
    let started: [(path: String, sum: StartedPenalty)] = model.namedModules().compactMap { path, module in
        guard let layer = module as? any BayesianLayer else { return nil }
        return (path, TraversalPath.at(path) { layer.startPenaltySum(parameters: parameters.scoped(path), scale: scale) })
    }
    let dtype = parameters.keys.first.flatMap { parameters[$0]?.dtype } ?? .float32
    func total(_ term: ((path: String, sum: StartedPenalty)) -> Tensor) -> Tensor {
        guard var t = started.first.map(term) else { return Tensor(scalar: 0, dtype: dtype) }
        for s in started.dropFirst() { t = t + term(s) }
        return t
    }
    let record = { total { s in TraversalPath.at(s.path, s.sum.record) } }
    guard !started.isEmpty, started.allSatisfy({ $0.sum.untaped != nil }) else { return StartedPenalty(record: record) }
    return StartedPenalty(record: record, value: { total { s in s.sum.untaped!.value() } },
                          cotangents: started.flatMap { $0.sum.untaped!.cotangents })
}

// The relevance traversals take cplxmodule's keywords: `threshold:` (read by VD, ARD and LASSO
// layers) and `hard:` (read by L0 layers and masks), or `hard:` alone for a model whose Bayesian
// layers are all L0 layers. The `options: RelevanceOptions` spelling of each is deprecated
// (Docs/Relevance.md, "One spelling").

/// `(path, mask)` of every Bayesian layer in `named_modules` order: the relevance masks (see
/// ``BayesianLayer/relevance(parameters:options:)``), shape of each layer's weight, detached.
/// `threshold` is read by VD/ARD/LASSO layers (VD/ARD keep `log α ≤ threshold`, LASSO keeps
/// `log(|w| + 1e-20) ≥ threshold`) and `hard` by L0 layers (binary `gate > 0` or the soft gate),
/// so one call serves a mixed model (cplxmodule needs `threshold=` for some layers and `hard=`
/// for others).
public func namedRelevance(_ model: some Module, parameters: ParameterTree, threshold: Double,
                           hard: Bool = true) -> [(path: String, relevance: Tensor)] {
    relevanceMasks(model, parameters, RelevanceOptions(threshold: threshold, hard: hard))
}

/// ``namedRelevance(_:parameters:threshold:hard:)`` for a model whose Bayesian layers are all L0
/// layers, which read only `hard` (cplxmodule's `named_relevance(model, hard=True)`).
/// - Throws: ``RelevanceError/thresholdRequired(path:)`` naming the first VD, ARD or LASSO layer.
public func namedRelevance(_ model: some Module, parameters: ParameterTree, hard: Bool) throws -> [(path: String, relevance: Tensor)] {
    try checkNeedsNoThreshold(model)
    return relevanceMasks(model, parameters, RelevanceOptions(hard: hard))
}

/// `(path, mask)` of every Bayesian layer, with the options as one value.
@available(*, deprecated, message: "use namedRelevance(_:parameters:threshold:hard:), or namedRelevance(_:parameters:hard:) for an L0-only model")
public func namedRelevance(_ model: some Module, parameters: ParameterTree,
                           options: RelevanceOptions) -> [(path: String, relevance: Tensor)] {
    relevanceMasks(model, parameters, options)
}

/// The relevance masks as a tree keyed `path.mask` (`mask` for a root layer), ready to load
/// into masked layers (after ``binarizeMasks(_:masks:)``). `threshold` and `hard` as in
/// ``namedRelevance(_:parameters:threshold:hard:)``; cplxmodule's `compute_ard_masks(model, threshold=, hard=)`.
public func computeARDMasks(_ model: some Module, parameters: ParameterTree, threshold: Double,
                            hard: Bool = true) -> ParameterTree {
    maskTree(relevanceMasks(model, parameters, RelevanceOptions(threshold: threshold, hard: hard)))
}

/// ``computeARDMasks(_:parameters:threshold:hard:)`` for a model whose Bayesian layers are all L0
/// layers (cplxmodule's `compute_ard_masks(model, hard=True)`).
/// - Throws: ``RelevanceError/thresholdRequired(path:)`` naming the first VD, ARD or LASSO layer.
public func computeARDMasks(_ model: some Module, parameters: ParameterTree, hard: Bool) throws -> ParameterTree {
    try checkNeedsNoThreshold(model)
    return maskTree(relevanceMasks(model, parameters, RelevanceOptions(hard: hard)))
}

/// The relevance masks as a tree keyed `path.mask`, with the options as one value.
@available(*, deprecated, message: "use computeARDMasks(_:parameters:threshold:hard:), or computeARDMasks(_:parameters:hard:) for an L0-only model")
public func computeARDMasks(_ model: some Module, parameters: ParameterTree, options: RelevanceOptions) -> ParameterTree {
    maskTree(relevanceMasks(model, parameters, options))
}

extension BayesianLayer {
    /// ``relevance(parameters:options:)`` with cplxmodule's keywords (`layer.relevance(threshold=…)`):
    /// the mask, shape of the weight. `threshold` for VD/ARD/LASSO layers, `hard` for L0 layers.
    public func relevance(parameters: ParameterTree, threshold: Double, hard: Bool = true) -> Tensor {
        relevance(parameters: parameters, options: RelevanceOptions(threshold: threshold, hard: hard))
    }
}

/// The relevance of every Bayesian layer under `options`.
func relevanceMasks(_ model: some Module, _ parameters: ParameterTree, _ options: RelevanceOptions) -> [(path: String, relevance: Tensor)] {
    model.namedModules().compactMap { path, module in
        guard let layer = module as? any BayesianLayer else { return nil }
        return (path, TraversalPath.at(path) { layer.relevance(parameters: parameters.scoped(path), options: options).detached() })
    }
}

/// Throws ``RelevanceError/thresholdRequired(path:)`` at the first Bayesian layer of `model`
/// that reads a threshold: the check of the traversals' `hard:`-only forms.
func checkNeedsNoThreshold(_ model: some Module) throws {
    for (path, module) in model.namedModules() {
        if let layer = module as? any BayesianLayer, layer.needsThreshold { throw RelevanceError.thresholdRequired(path: path) }
    }
}

/// Masks keyed `path.mask` (`mask` at the root).
func maskTree(_ masks: [(path: String, relevance: Tensor)]) -> ParameterTree {
    var out = ParameterTree()
    for (path, mask) in masks { out[path.isEmpty ? "mask" : path + ".mask"] = mask }
    return out
}

/// Applies masks to a state dict and binarizes them (cplxmodule's `binarize_masks`).
///
/// For every mask `P.mask` the weight entries of the same layer — exactly `P.weight`, or
/// `P.weight.real` and `P.weight.imag` — are multiplied by the mask, with −0 turned into +0.
/// The returned masks are `mask ≠ 0` as 0/1. Unlike cplxmodule, which matches any key
/// containing the substring `weight`, only these exact names are touched.
public func binarizeMasks(_ stateDict: ParameterTree, masks: ParameterTree) -> (stateDict: ParameterTree, masks: ParameterTree) {
    var out = stateDict
    var binary = ParameterTree()
    for (maskKey, mask) in masks {
        let layer = String(maskKey.dropLast("mask".count))   // "classifier.0." or ""
        for suffix in ["weight", "weight.real", "weight.imag"] {
            let key = layer + suffix
            guard let w = stateDict[key] else { continue }
            out[key] = (w.detached() * mask.converted(to: w.dtype)).mapElements({ $0 == 0 ? 0 : $0 }, { $0 == 0 ? 0 : $0 })
        }
        binary[maskKey] = mask.detached().mapElements({ $0 != 0 ? 1 : 0 }, { $0 != 0 ? 1 : 0 })
    }
    return (out, binary)
}
