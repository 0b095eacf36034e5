/// A model's parameters and buffers as PyTorch's `state_dict()` holds them: the module tree
/// flattened into an ordered map from dotted paths (`classifier.0.weight`,
/// `classifier.0.log_sigma2`) to real tensors.
///
/// Despite the name it stores no tree: the structure is in the keys. ``childNames(at:)`` lists
/// the children at a path (`classifier` → `0`, `1`) and ``scoped(_:)`` gives the subtree at a
/// path with the path removed from its keys, which is how a layer receives its own parameters.
///
/// A complex parameter `weight` is stored as two entries, `weight.real` and `weight.imag`,
/// as cplxmodule does, so files move both ways between PyTorch and Swift. Insertion order is
/// kept (it is the order a safetensors writer and `inspect` show).
public struct ParameterTree: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// The paths, in insertion order.
    public private(set) var keys: [String] = []
    private var values: [String: Tensor] = [:]

    /// An empty tree.
    public init() {}

    /// A tree with the given entries, in order.
    /// - Precondition: no key appears twice.
    public init(_ entries: [(String, Tensor)]) {
        for (k, v) in entries {
            require(values[k] == nil, "ParameterTree: duplicate key \(k)")
            self[k] = v
        }
    }

    public init(dictionaryLiteral elements: (String, Tensor)...) { self.init(elements) }

    /// Makes room for `n` entries in all, so that filling a large tree does not regrow (and
    /// briefly double) its storage.
    public mutating func reserveCapacity(_ n: Int) {
        keys.reserveCapacity(n)
        values.reserveCapacity(n)
    }

    /// Number of entries.
    public var count: Int { keys.count }
    /// Whether the tree has no entries.
    public var isEmpty: Bool { keys.isEmpty }

    /// The tensor at `key`; assigning `nil` removes the entry, assigning a new key appends it.
    public subscript(key: String) -> Tensor? {
        get { values[key] }
        set {
            if let v = newValue {
                if values.updateValue(v, forKey: key) == nil { keys.append(key) }
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Whether `key` is present.
    public func contains(_ key: String) -> Bool { values[key] != nil }

    /// The complex parameter stored as `key.real` and `key.imag`, if both are present.
    public func complex(_ key: String) -> ComplexTensor? {
        guard let re = values[key + ".real"], let im = values[key + ".imag"] else { return nil }
        return ComplexTensor(real: re, imag: im)
    }

    /// Stores a complex parameter as `key.real` and `key.imag`.
    public mutating func setComplex(_ key: String, _ z: ComplexTensor) {
        self[key + ".real"] = z.real
        self[key + ".imag"] = z.imag
    }

    /// The subtree at `prefix`: the entries under `prefix.`, with the prefix removed
    /// (`scoped("classifier.0")` turns `classifier.0.weight` into `weight`). An empty prefix
    /// returns the whole tree.
    public func scoped(_ prefix: String) -> ParameterTree {
        if prefix.isEmpty { return self }
        let p = prefix + "."
        let bytes = p.utf8.count
        var out = ParameterTree()
        for k in keys {
            // the same keys as `k.hasPrefix(p)` and `dropFirst(p.count)`, compared and cut by bytes
            // when k's bytes start with p's and go on with an ASCII byte (then the characters of the
            // prefix are p's, and the cut is at a character boundary); by characters otherwise
            let u = k.utf8
            if u.starts(with: p.utf8) {
                let cut = u.index(u.startIndex, offsetBy: bytes)
                if cut == u.endIndex || u[cut] < 0x80 {
                    out[String(k[cut...])] = values[k]
                    continue
                }
            }
            if k.hasPrefix(p) { out[String(k.dropFirst(p.count))] = values[k] }
        }
        return out
    }

    /// The names one level below `prefix` (the whole tree when `prefix` is empty), in the order
    /// their first entries appear: for `classifier.0.weight`, `classifier.0.bias` and
    /// `classifier.1.weight`, `childNames(at: "classifier")` is `["0", "1"]` and
    /// `childNames(at: "classifier.0")` is `["weight", "bias"]`. Empty when nothing lies below.
    public func childNames(at prefix: String = "") -> [String] {
        let p = prefix.isEmpty ? "" : prefix + "."
        var seen = Set<Substring>(), names: [String] = []
        for k in keys where k.hasPrefix(p) && k.count > p.count {
            let rest = k.dropFirst(p.count)
            let name = rest.prefix { $0 != "." }
            if seen.insert(name).inserted { names.append(String(name)) }
        }
        return names
    }

    /// The same entries with `prefix.` put in front of every key.
    public func prefixed(_ prefix: String) -> ParameterTree {
        if prefix.isEmpty { return self }
        var out = ParameterTree()
        for k in keys { out[prefix + "." + k] = values[k] }
        return out
    }

    /// Adds or replaces the entries of `other` (keys already present keep their position).
    public mutating func merge(_ other: ParameterTree) {
        for (k, v) in other { self[k] = v }
    }

    /// A tree with `other`'s entries added or replacing these.
    public func merging(_ other: ParameterTree) -> ParameterTree {
        var t = self; t.merge(other); return t
    }

    /// Applies `transform` to every tensor, keeping keys and order.
    public func mapValues(_ transform: (Tensor) throws -> Tensor) rethrows -> ParameterTree {
        var out = ParameterTree()
        for k in keys { out[k] = try transform(values[k]!) }
        return out
    }

    /// Applies `transform` to every (key, tensor) pair, keeping keys and order.
    public func map(_ transform: (String, Tensor) throws -> Tensor) rethrows -> ParameterTree {
        var out = ParameterTree()
        for k in keys { out[k] = try transform(k, values[k]!) }
        return out
    }

    /// Combines two trees with the same keys entry by entry (e.g. an optimizer update).
    /// - Precondition: `other` has every key of `self`.
    public func zip(_ other: ParameterTree, _ combine: (String, Tensor, Tensor) throws -> Tensor) rethrows -> ParameterTree {
        var out = ParameterTree()
        for k in keys {
            guard let o = other.values[k] else { fatalError("ParameterTree.zip: key \(k) missing from the second tree") }
            out[k] = try combine(k, values[k]!, o)
        }
        return out
    }

    /// The entries for which `isIncluded` is true.
    public func filter(_ isIncluded: (String, Tensor) throws -> Bool) rethrows -> ParameterTree {
        var out = ParameterTree()
        for k in keys where try isIncluded(k, values[k]!) { out[k] = values[k] }
        return out
    }

    /// Every tensor without tape records.
    public func detached() -> ParameterTree { mapValues { $0.detached() } }

    /// Every tensor converted to `dtype`.
    public func converted(to dtype: DType) -> ParameterTree { mapValues { $0.converted(to: dtype) } }

    /// Total number of elements over all entries.
    public var parameterCount: Int { keys.reduce(0) { $0 + values[$1]!.count } }

    public func makeIterator() -> AnyIterator<(key: String, value: Tensor)> {
        var i = 0
        let ks = keys, vs = values
        return AnyIterator {
            guard i < ks.count else { return nil }
            defer { i += 1 }
            return (ks[i], vs[ks[i]]!)
        }
    }
}

// MARK: - Loading (PyTorch's load_state_dict)

/// What ``ParameterTree/loading(_:strict:)`` did: the keys the receiving tree expected but did
/// not get, the keys of the source it did not use, and the keys whose shapes disagree.
public struct LoadReport: Sendable, Equatable, CustomStringConvertible {
    /// Keys of the receiving tree absent from the source (they keep their current values).
    public var missing: [String] = []
    /// Keys of the source the receiving tree does not have (ignored).
    public var unexpected: [String] = []
    /// Keys present in both whose shapes differ: (key, expected shape, shape in the source).
    public var shapeMismatches: [ShapeMismatch] = []
    /// Complex parameters filled from a real source entry (`P` → `P.real`, `P.imag` = 0).
    public var promoted: [String] = []

    /// A key present on both sides with different shapes.
    public struct ShapeMismatch: Sendable, Equatable {
        public var key: String
        public var expected: [Int]
        public var found: [Int]
        /// A mismatch of `key`: the receiver has `expected`, the source `found`.
        public init(key: String, expected: [Int], found: [Int]) { self.key = key; self.expected = expected; self.found = found }
    }

    public init() {}

    /// Whether nothing was missing, unexpected or mismatched.
    public var isClean: Bool { missing.isEmpty && unexpected.isEmpty && shapeMismatches.isEmpty }

    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing keys: \(missing)") }
        if !unexpected.isEmpty { parts.append("unexpected keys: \(unexpected)") }
        for m in shapeMismatches { parts.append("size mismatch for \(m.key): expected \(m.expected), found \(m.found)") }
        if !promoted.isEmpty { parts.append("promoted real to complex: \(promoted)") }
        return parts.isEmpty ? "all keys matched" : parts.joined(separator: "; ")
    }
}

/// Errors from loading one parameter tree into another.
public enum ParameterTreeError: Error, Equatable, CustomStringConvertible {
    /// A strict load found missing, unexpected or shape-mismatched keys.
    case strictLoadFailed(LoadReport)
    /// A non-strict load found keys present on both sides with different shapes (PyTorch's
    /// "size mismatch", raised by `load_state_dict` whatever `strict` says). Each mismatch names
    /// the key, the shape in the source and the shape in the receiving tree.
    case sizeMismatch([LoadReport.ShapeMismatch])

    /// One line per problem: the report of a strict load, or PyTorch's wording for each mismatch
    /// (`size mismatch for classifier.0.weight: copying a param with shape [400, 784] from the
    /// source, the shape in the current model is [100, 784]`).
    public var description: String {
        switch self {
        case .strictLoadFailed(let r): return "strict load failed: \(r)"
        case .sizeMismatch(let ms):
            return ms.map {
                "size mismatch for \($0.key): copying a param with shape \($0.found) from the source, "
                    + "the shape in the current model is \($0.expected)"
            }.joined(separator: "; ")
        }
    }
}

extension ParameterTree {
    /// This tree with the values of `source` loaded into it, like PyTorch's
    /// `load_state_dict(source, strict:)`, and a report of what did not match.
    ///
    /// - Keys of `self` found in `source` with the same shape take the source value, converted
    ///   to this tree's dtype for that key.
    /// - A complex parameter `P` (entries `P.real`, `P.imag`) whose parts are both absent while
    ///   the source has a real `P` of the same shape is promoted: `P.real ← source[P]`,
    ///   `P.imag ← 0` (cplxmodule's documented semantics, which torch 2.x broke for nested modules).
    /// - `strict: true` throws ``ParameterTreeError/strictLoadFailed(_:)`` when anything is
    ///   missing, unexpected or mismatched; `strict: false` accepts missing and unexpected keys.
    /// - A key present on both sides with different shapes is never loaded. As in PyTorch, it
    ///   is an error even when not strict: ``ParameterTreeError/sizeMismatch(_:)`` names every
    ///   such key with both shapes. With `skipShapeMismatches: true` (an explicit opt-in,
    ///   non-strict loads only) those entries keep their current values and are listed in
    ///   ``LoadReport/shapeMismatches`` instead.
    /// - A dtype difference is not a mismatch: the value is converted to the receiving entry's
    ///   dtype, as PyTorch's `copy_` does.
    public func loading(_ source: ParameterTree, strict: Bool,
                        skipShapeMismatches: Bool = false) throws -> (tree: ParameterTree, report: LoadReport) {
        var out = self
        var report = LoadReport()
        var used = Set<String>()
        for k in keys {
            let target = values[k]!
            if let s = source[k] {
                used.insert(k)
                if s.shape == target.shape {
                    out[k] = s.converted(to: target.dtype)
                } else {
                    report.shapeMismatches.append(.init(key: k, expected: target.shape, found: s.shape))
                }
                continue
            }
            // real → complex promotion: P.real / P.imag both absent, P present
            var handled = false
            for (suffix, isReal) in [(".real", true), (".imag", false)] where k.hasSuffix(suffix) {
                let base = String(k.dropLast(suffix.count))
                let partner = base + (isReal ? ".imag" : ".real")
                guard contains(partner), source[partner] == nil, let s = source[base] else { continue }
                used.insert(base)
                handled = true
                if s.shape != target.shape {
                    if !report.shapeMismatches.contains(where: { $0.key == base }) {
                        report.shapeMismatches.append(.init(key: base, expected: target.shape, found: s.shape))
                    }
                } else {
                    out[k] = isReal ? s.converted(to: target.dtype) : .zeros(target.shape, dtype: target.dtype)
                    if !report.promoted.contains(base) { report.promoted.append(base) }
                }
            }
            if !handled { report.missing.append(k) }
        }
        report.unexpected = source.keys.filter { !used.contains($0) }
        if strict && !report.isClean { throw ParameterTreeError.strictLoadFailed(report) }
        if !report.shapeMismatches.isEmpty && !skipShapeMismatches { throw ParameterTreeError.sizeMismatch(report.shapeMismatches) }
        return (out, report)
    }
}
