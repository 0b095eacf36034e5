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
    /// The tensors, in the order of `keys` (iterating, filtering and scoping a tree read these
    /// without hashing a key per entry).
    private var tensors: [Tensor] = []
    /// key → its position in `keys` and `tensors`.
    private var index: [String: Int] = [:]

    /// An empty tree.
    public init() {}

    /// A tree with the given entries, in order.
    /// - Precondition: no key appears twice.
    public init(_ entries: [(String, Tensor)]) {
        reserveCapacity(entries.count)
        for (k, v) in entries {
            require(index.updateValue(keys.count, forKey: k) == nil, "ParameterTree: duplicate key \(k)")
            keys.append(k)
            tensors.append(v)
        }
    }

    public init(dictionaryLiteral elements: (String, Tensor)...) { self.init(elements) }

    /// Makes room for `n` entries in all, so that filling a large tree does not regrow (and
    /// briefly double) its storage.
    public mutating func reserveCapacity(_ n: Int) {
        keys.reserveCapacity(n)
        tensors.reserveCapacity(n)
        index.reserveCapacity(n)
    }

    /// Number of entries.
    public var count: Int { keys.count }
    /// Whether the tree has no entries.
    public var isEmpty: Bool { keys.isEmpty }

    /// `x` (reads a dictionary slot through its modify accessor, which inserts the default value of
    /// a missing key with the same lookup).
    private static func read(_ x: inout Int) -> Int { x }

    /// The tensor at `key`; assigning `nil` removes the entry, assigning a new key appends it.
    public subscript(key: String) -> Tensor? {
        get { index[key].map { tensors[$0] } }
        set {
            if let v = newValue {
                let n = keys.count
                let i = Self.read(&index[key, default: n])   // one lookup whether the key is new or not
                if i == n {
                    keys.append(key)
                    tensors.append(v)
                } else {
                    tensors[i] = v
                }
            } else if let i = index.removeValue(forKey: key) {
                keys.remove(at: i)
                tensors.remove(at: i)
                for j in i..<keys.count { index[keys[j]] = j }
            }
        }
    }

    /// Appends an entry whose key is known to be absent (one lookup, to record its position).
    private mutating func appendNew(_ key: String, _ value: Tensor) {
        let n = keys.count
        if Self.read(&index[key, default: n]) == n {
            keys.append(key)
            tensors.append(value)
        } else {
            self[key] = value
        }
    }

    /// Whether `key` is present.
    public func contains(_ key: String) -> Bool { index[key] != nil }

    /// The complex parameter stored as `key.real` and `key.imag`, if both are present.
    public func complex(_ key: String) -> ComplexTensor? {
        guard let re = self[key + ".real"], let im = self[key + ".imag"] else { return nil }
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
        for (i, k) in keys.enumerated() {
            // the same keys as `k.hasPrefix(p)` and `dropFirst(p.count)`, compared and cut by bytes
            // when k's bytes start with p's and go on with an ASCII byte (then the characters of the
            // prefix are p's, and the cut is at a character boundary); by characters otherwise
            let u = k.utf8
            if u.starts(with: p.utf8) {
                let cut = u.index(u.startIndex, offsetBy: bytes)
                if cut == u.endIndex || u[cut] < 0x80 {
                    out.appendNew(String(k[cut...]), tensors[i])
                    continue
                }
            }
            if k.hasPrefix(p) { out.appendNew(String(k.dropFirst(p.count)), tensors[i]) }
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
        out.reserveCapacity(count)
        for (k, v) in Swift.zip(keys, tensors) { out.appendNew(prefix + "." + k, v) }
        return out
    }

    /// Adds or replaces the entries of `other` (keys already present keep their position).
    public mutating func merge(_ other: ParameterTree) {
        for (k, v) in Swift.zip(other.keys, other.tensors) { self[k] = v }
    }

    /// A tree with `other`'s entries added or replacing these.
    public func merging(_ other: ParameterTree) -> ParameterTree {
        if other.isEmpty { return self }
        var t = self; t.merge(other); return t
    }

    /// Applies `transform` to every tensor, keeping keys and order.
    public func mapValues(_ transform: (Tensor) throws -> Tensor) rethrows -> ParameterTree {
        var out = self
        for i in out.tensors.indices { out.tensors[i] = try transform(tensors[i]) }
        return out
    }

    /// Applies `transform` to every (key, tensor) pair, keeping keys and order.
    public func map(_ transform: (String, Tensor) throws -> Tensor) rethrows -> ParameterTree {
        var out = self
        for i in out.tensors.indices { out.tensors[i] = try transform(keys[i], tensors[i]) }
        return out
    }

    /// Combines two trees with the same keys entry by entry (e.g. an optimizer update).
    /// - Precondition: `other` has every key of `self`.
    public func zip(_ other: ParameterTree, _ combine: (String, Tensor, Tensor) throws -> Tensor) rethrows -> ParameterTree {
        var out = self
        for i in out.tensors.indices {
            guard let o = other[keys[i]] else { fatalError("ParameterTree.zip: key \(keys[i]) missing from the second tree") }
            out.tensors[i] = try combine(keys[i], tensors[i], o)
        }
        return out
    }

    /// The entries for which `isIncluded` is true.
    public func filter(_ isIncluded: (String, Tensor) throws -> Bool) rethrows -> ParameterTree {
        var out = ParameterTree()
        for i in keys.indices where try isIncluded(keys[i], tensors[i]) { out.appendNew(keys[i], tensors[i]) }
        return out
    }

    /// The entries for which `isIncluded` is true and the others, as two trees (one pass).
    public func partitioned(_ isIncluded: (String, Tensor) throws -> Bool) rethrows -> (included: ParameterTree, excluded: ParameterTree) {
        var yes = ParameterTree(), no = ParameterTree()
        for i in keys.indices {
            if try isIncluded(keys[i], tensors[i]) { yes.appendNew(keys[i], tensors[i]) } else { no.appendNew(keys[i], tensors[i]) }
        }
        return (yes, no)
    }

    /// Every tensor without tape records.
    public func detached() -> ParameterTree { mapValues { $0.detached() } }

    /// Every tensor converted to `dtype`.
    public func converted(to dtype: DType) -> ParameterTree { mapValues { $0.converted(to: dtype) } }

    /// Total number of elements over all entries.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.count } }

    /// Iterates the entries in order.
    public struct Iterator: IteratorProtocol {
        let keys: [String], tensors: [Tensor]
        var i = 0
        /// The next (key, tensor) pair, or nil after the last.
        public mutating func next() -> (key: String, value: Tensor)? {
            guard i < keys.count else { return nil }
            defer { i += 1 }
            return (keys[i], tensors[i])
        }
    }

    /// The entries as `(key, value)` pairs in insertion order.
    public func makeIterator() -> Iterator { Iterator(keys: keys, tensors: tensors) }
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
            let target = self[k]!
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
