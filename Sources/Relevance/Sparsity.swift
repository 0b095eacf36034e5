import Foundation

/// The sparsity of one parameter entry: how many of its elements are dropped.
public struct SparsityEntry: Sendable, Equatable {
    /// Full key of the entry (`classifier.0.weight`, `classifier.0.weight.real`).
    public var key: String
    /// Number of dropped elements (fractional for soft L0 gates or soft masks).
    public var dropped: Double
    /// Number of elements.
    public var total: Int
}

/// Per-entry sparsity of a model, cplxmodule's `named_sparsity`, in tree order.
///
/// Every entry of `parameters` is listed except the variational parameters of Bayesian layers
/// (`log_sigma2`, `log_alpha`) and the `mask` of masked layers. Dropped counts:
/// - the weight of a Bayesian layer: `numel − Σ relevance` (the masks of
///   ``namedRelevance(_:parameters:threshold:hard:)``; both parts of a complex weight get the same
///   count, so a complex weight counts as two reals);
/// - the weight of a masked layer with a mask: `numel − #(mask ≠ 0)` when `hard`
///   (the rule ``binarizeMasks(_:masks:)`` applies; cplxmodule counts `mask > 0` here), else
///   `numel − Σ mask`; a masked layer without a mask drops nothing;
/// - everything else (biases, other layers, buffers): 0.
public func namedSparsity(_ model: some Module, parameters: ParameterTree, threshold: Double, hard: Bool = true) -> [SparsityEntry] {
    sparsityEntries(model, parameters, RelevanceOptions(threshold: threshold, hard: hard))
}

/// ``namedSparsity(_:parameters:threshold:hard:)`` for a model whose Bayesian layers are all L0
/// layers (or that has none): only `hard` is read.
/// - Throws: ``RelevanceError/thresholdRequired(path:)`` naming the first VD, ARD or LASSO layer.
public func namedSparsity(_ model: some Module, parameters: ParameterTree, hard: Bool) throws -> [SparsityEntry] {
    try checkNeedsNoThreshold(model)
    return sparsityEntries(model, parameters, RelevanceOptions(hard: hard))
}

/// ``namedSparsity(_:parameters:threshold:hard:)`` with the options as one value.
@available(*, deprecated, message: "use namedSparsity(_:parameters:threshold:hard:), or namedSparsity(_:parameters:hard:) for an L0-only model")
public func namedSparsity(_ model: some Module, parameters: ParameterTree, options: RelevanceOptions) -> [SparsityEntry] {
    sparsityEntries(model, parameters, options)
}

/// The entries of ``namedSparsity(_:parameters:threshold:hard:)`` under `options`.
func sparsityEntries(_ model: some Module, _ parameters: ParameterTree, _ options: RelevanceOptions) -> [SparsityEntry] {
    var ignored = Set<String>()
    var dropped: [String: Double] = [:]
    func full(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }
    for (path, module) in model.namedModules() {
        let scoped = parameters.scoped(path)
        if let layer = module as? any BayesianLayer {
            for k in layer.variationalKeys { ignored.insert(full(path, k)) }
            let keys = layer.weightKeys.map { full(path, $0) }
            guard keys.allSatisfy({ parameters.contains($0) }) else { continue }
            let r = TraversalPath.at(path) { layer.relevance(parameters: scoped, options: options) }
            let kept = r.scalars.reduce(0, +)
            for k in keys { dropped[k] = Double(parameters[k]!.count) - kept }
        } else if let layer = module as? any MaskedLayer {
            let maskKey = full(path, "mask")
            ignored.insert(maskKey)
            guard let mask = parameters[maskKey] else { continue }
            for k in layer.weightKeys.map({ full(path, $0) }) {
                guard let w = parameters[k] else { continue }
                let m = expand(mask.detached(), to: w.shape).scalars
                let kept = options.hard ? Double(m.filter { $0 != 0 }.count) : m.reduce(0, +)
                dropped[k] = Double(w.count) - kept
            }
        }
    }
    return parameters.keys.filter { !ignored.contains($0) }.map {
        SparsityEntry(key: $0, dropped: dropped[$0] ?? 0, total: parameters[$0]!.count)
    }
}

/// The fraction of dropped elements over every counted entry (cplxmodule's `sparsity`):
/// `Σ dropped / max(Σ total, 1)`.
/// `threshold` and `hard` as in ``namedSparsity(_:parameters:threshold:hard:)``.
public func sparsity(_ model: some Module, parameters: ParameterTree, threshold: Double, hard: Bool = true) -> Double {
    droppedFraction(sparsityEntries(model, parameters, RelevanceOptions(threshold: threshold, hard: hard)))
}

/// ``sparsity(_:parameters:threshold:hard:)`` for a model whose Bayesian layers are all L0 layers.
/// - Throws: ``RelevanceError/thresholdRequired(path:)`` naming the first VD, ARD or LASSO layer.
public func sparsity(_ model: some Module, parameters: ParameterTree, hard: Bool) throws -> Double {
    try checkNeedsNoThreshold(model)
    return droppedFraction(sparsityEntries(model, parameters, RelevanceOptions(hard: hard)))
}

/// ``sparsity(_:parameters:threshold:hard:)`` with the options as one value.
@available(*, deprecated, message: "use sparsity(_:parameters:threshold:hard:), or sparsity(_:parameters:hard:) for an L0-only model")
public func sparsity(_ model: some Module, parameters: ParameterTree, options: RelevanceOptions) -> Double {
    droppedFraction(sparsityEntries(model, parameters, options))
}

/// `Σ dropped / max(Σ total, 1)`.
func droppedFraction(_ entries: [SparsityEntry]) -> Double {
    entries.reduce(0) { $0 + $1.dropped } / Double(max(entries.reduce(0) { $0 + $1.total }, 1))
}

/// How much a model compresses: per layer, kept and total elements, and the overall ratio.
///
/// Built from ``namedSparsity(_:parameters:threshold:hard:)``, so variational keys and masks are not
/// counted and a complex weight counts as two reals. A layer's row holds its own entries
/// (weights, biases, buffers), not its children's; modules without counted entries have no row.
public struct CompressionReport: Sendable, CustomStringConvertible {
    /// One module's counts.
    public struct Layer: Sendable, Equatable {
        /// Module path (`classifier.0`; empty for a root layer).
        public var path: String
        /// Elements of the prunable weights (Bayesian and masked layers' `weight` entries) kept.
        public var weightsKept: Double
        /// Elements of the prunable weights.
        public var weightsTotal: Int
        /// Elements of every counted entry kept (weights, biases, buffers).
        public var kept: Double
        /// Elements of every counted entry.
        public var total: Int
    }

    /// Rows in `named_modules` order.
    public var layers: [Layer]

    /// Kept elements over the whole model.
    public var kept: Double { layers.reduce(0) { $0 + $1.kept } }
    /// Counted elements over the whole model.
    public var total: Int { layers.reduce(0) { $0 + $1.total } }
    /// Kept prunable weight elements over the whole model.
    public var weightsKept: Double { layers.reduce(0) { $0 + $1.weightsKept } }
    /// Prunable weight elements over the whole model.
    public var weightsTotal: Int { layers.reduce(0) { $0 + $1.weightsTotal } }
    /// `total / kept`: how many times smaller the kept model is (∞ when nothing is kept).
    public var compressionRatio: Double { kept > 0 ? Double(total) / kept : .infinity }
    /// Fraction of prunable weight elements dropped, `1 − weightsKept / weightsTotal` (0 without any).
    public var weightSparsity: Double { weightsTotal > 0 ? 1 - weightsKept / Double(weightsTotal) : 0 }

    /// The report of `model` with `parameters`: `threshold` for VD/ARD/LASSO layers, `hard` for
    /// L0 layers and masks (as in ``namedSparsity(_:parameters:threshold:hard:)``).
    public init(_ model: some Module, parameters: ParameterTree, threshold: Double, hard: Bool = true) {
        self.init(model, parameters, RelevanceOptions(threshold: threshold, hard: hard))
    }

    /// The report of a model whose Bayesian layers are all L0 layers (or that has none, as a
    /// masked model): only `hard` is read.
    /// - Throws: ``RelevanceError/thresholdRequired(path:)`` naming the first VD, ARD or LASSO layer.
    public init(_ model: some Module, parameters: ParameterTree, hard: Bool) throws {
        try checkNeedsNoThreshold(model)
        self.init(model, parameters, RelevanceOptions(hard: hard))
    }

    /// The report with the options as one value.
    @available(*, deprecated, message: "use CompressionReport(_:parameters:threshold:hard:), or CompressionReport(_:parameters:hard:) for a model without VD, ARD or LASSO layers")
    public init(_ model: some Module, parameters: ParameterTree, options: RelevanceOptions) {
        self.init(model, parameters, options)
    }

    init(_ model: some Module, _ parameters: ParameterTree, _ options: RelevanceOptions) {
        let entries = sparsityEntries(model, parameters, options)
        var byKey: [String: SparsityEntry] = [:]
        for e in entries { byKey[e.key] = e }
        var rows: [Layer] = []
        for (path, module) in model.namedModules() {
            let prefix = path.isEmpty ? "" : path + "."
            let childPrefixes = module.children.map { prefix + $0.name + "." }
            var weightKeys = Set<String>()
            if let b = module as? any BayesianLayer { weightKeys = Set(b.weightKeys.map { prefix + $0 }) }
            if let m = module as? any MaskedLayer { weightKeys = Set(m.weightKeys.map { prefix + $0 }) }
            var row = Layer(path: path, weightsKept: 0, weightsTotal: 0, kept: 0, total: 0)
            var any = false
            for e in entries where e.key.hasPrefix(prefix) && !childPrefixes.contains(where: { e.key.hasPrefix($0) }) {
                any = true
                row.kept += Double(e.total) - e.dropped
                row.total += e.total
                if weightKeys.contains(e.key) {
                    row.weightsKept += Double(e.total) - e.dropped
                    row.weightsTotal += e.total
                }
            }
            if any { rows.append(row) }
        }
        layers = rows
    }

    /// A table: one line per layer with kept/total and the layer's compression, then the totals.
    public var description: String {
        func fmt(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(format: "%.1f", x) }
        func ratio(_ kept: Double, _ total: Int) -> String { kept > 0 ? String(format: "%.2f×", Double(total) / kept) : "∞" }
        let width = max(5, layers.map { $0.path.isEmpty ? 6 : $0.path.count }.max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        var lines = [pad("layer", width) + "  weights kept/total   all kept/total   compression"]
        for l in layers {
            let w = l.weightsTotal > 0 ? "\(fmt(l.weightsKept))/\(l.weightsTotal)" : "-"
            lines.append(pad(l.path.isEmpty ? "<root>" : l.path, width) + "  " + pad(w, 19) + "  "
                         + pad("\(fmt(l.kept))/\(l.total)", 15) + "  " + ratio(l.kept, l.total))
        }
        lines.append(pad("total", width) + "  " + pad("\(fmt(weightsKept))/\(weightsTotal)", 19) + "  "
                     + pad("\(fmt(kept))/\(total)", 15) + "  " + ratio(kept, total)
                     + String(format: "  (%.2f%% of prunable weights dropped)", 100 * weightSparsity))
        return lines.joined(separator: "\n")
    }
}
