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
    let ps: [Tensor] = model.namedModules().compactMap { path, module in
        guard let layer = module as? any BayesianLayer else { return nil }
        return TraversalPath.at(path) { layer.penaltySum(parameters: parameters.scoped(path), scale: scale) }
    }
    guard var total = ps.first else { return Tensor(scalar: 0, dtype: parameters.keys.first.flatMap { parameters[$0]?.dtype } ?? .float32) }
    for p in ps.dropFirst() { total = total + p }
    return total
}

/// `(path, mask)` of every Bayesian layer: the relevance masks (see ``BayesianLayer/relevance(parameters:options:)``).
/// `threshold` is read by VD/ARD/LASSO layers and `hard` by L0 layers, so one call serves a
/// mixed model (cplxmodule needs `threshold=` for some layers and `hard=` for others).
public func namedRelevance(_ model: some Module, parameters: ParameterTree, threshold: Double,
                           hard: Bool = true) -> [(path: String, relevance: Tensor)] {
    namedRelevance(model, parameters: parameters, options: RelevanceOptions(threshold: threshold, hard: hard))
}

/// `(path, mask)` of every Bayesian layer, with the options as one value.
public func namedRelevance(_ model: some Module, parameters: ParameterTree,
                           options: RelevanceOptions) -> [(path: String, relevance: Tensor)] {
    model.namedModules().compactMap { path, module in
        guard let layer = module as? any BayesianLayer else { return nil }
        return (path, TraversalPath.at(path) { layer.relevance(parameters: parameters.scoped(path), options: options).detached() })
    }
}

/// The relevance masks as a tree keyed `path.mask` (`mask` for a root layer), ready to load
/// into masked layers.
public func computeARDMasks(_ model: some Module, parameters: ParameterTree, threshold: Double,
                            hard: Bool = true) -> ParameterTree {
    var out = ParameterTree()
    for (path, mask) in namedRelevance(model, parameters: parameters, threshold: threshold, hard: hard) {
        out[path.isEmpty ? "mask" : path + ".mask"] = mask
    }
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
