import Foundation

// A model file's metadata say how large a model to rebuild (`wirtinger.hidden`, `.classes`,
// `.input_shape`, `.data.test_size`). The metadata are checked against the file's own tensors
// and against the machine's memory before anything of that size is allocated: edited or damaged
// metadata then give a typed error naming the file and key instead of an allocation failure.

/// The entries the layers of `model` declare (``ShapeChecking/parameterShapes``) under their full
/// keys (`classifier.0.weight`), in module order, computed from the hyper-parameters alone:
/// nothing is allocated. Layers that declare no shapes (activations, pooling, the Bayesian and
/// masked wrappers) add none; use the dense model of an architecture to list all its weights.
public func declaredParameterShapes(_ model: any Module) -> [(key: String, shape: [Int])] {
    model.namedModules().flatMap { path, module -> [(key: String, shape: [Int])] in
        guard let layer = module as? any ShapeChecking else { return [] }
        return layer.parameterShapes.map { (path.isEmpty ? $0.key : path + "." + $0.key, $0.shape) }
    }
}

/// The number of elements of `shapes` together, or nil when it overflows `Int`.
public func elementCount(_ shapes: [(key: String, shape: [Int])]) -> Int? {
    var total = 0
    for (_, shape) in shapes {
        var n = 1
        for d in shape {
            let (p, o) = n.multipliedReportingOverflow(by: Swift.max(d, 0))
            guard !o else { return nil }
            n = p
        }
        let (s, o) = total.addingReportingOverflow(n)
        guard !o else { return nil }
        total = s
    }
    return total
}

/// Bytes a program may give to one model or data set it builds: half the physical memory (1 GiB
/// when it cannot be read).
public func halfPhysicalMemory() -> Int {
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, size > 0 else { return 1 << 30 }
    return pages.multipliedReportingOverflow(by: size).overflow ? Int.max / 2 : pages * size / 2
}

extension DataSource {
    /// Bytes of one generated example's float32 input: a 28 × 28 glyph (3,136) or 128 I/Q
    /// samples (1,024); nil for data read from files.
    public static func builtInBytesPerExample(_ kind: Kind) -> Int? {
        switch kind {
        case .glyphs: return 4 * 28 * 28
        case .radio: return 4 * 2 * 128
        case .mnist, .file: return nil
        }
    }
}

extension ModelDescription {
    /// Bytes per parameter a rebuilt model may take while it is loaded and run (the file's
    /// tensors, the template, the loaded tree, a masked or compiled copy, in float64 at most).
    public static let rebuildBytesPerParameter = 32

    /// The weights of the dense model of this description with the shapes its layers declare
    /// (``declaredParameterShapes(_:)``; nothing allocated).
    /// - Throws: ``ModelDescriptionError/invalidValue(file:key:value:reason:)`` on
    ///   `wirtinger.architecture` when no model has this description.
    public func declaredDenseShapes(file: String) throws -> [(key: String, shape: [Int])] {
        do {
            return declaredParameterShapes(try makeModel(flavor: .dense))
        } catch let e as ModelError {
            throw ModelDescriptionError.invalidValue(file: file, key: Key.architecture, value: architecture.rawValue, reason: "\(e)")
        }
    }

    /// Checks, before the model is allocated, that the model of this description fits in half the
    /// physical memory at ``rebuildBytesPerParameter`` bytes per parameter.
    /// - Throws: ``ModelDescriptionError/invalidValue(file:key:value:reason:)`` naming the width
    ///   that sets the size (`wirtinger.hidden`, else `wirtinger.classes`).
    public func checkFitsInMemory(_ declared: [(key: String, shape: [Int])], file: String) throws {
        let budget = halfPhysicalMemory()
        let count = elementCount(declared)
        if let count, count <= budget / Self.rebuildBytesPerParameter { return }
        let key = hidden != nil ? Key.hidden : Key.classes
        throw ModelDescriptionError.invalidValue(
            file: file, key: key, value: hidden.map(String.init) ?? String(classes),
            reason: "the \(architecture.rawValue) model it describes has " + (count.map { "\($0) parameters" } ?? "too many parameters to count")
                + String(format: ", more than half this machine's memory (%.1f GiB) holds", Double(budget) / Double(1 << 30)))
    }

    /// Checks, before the model is allocated, that `shapes` (the file's tensors: key → shape)
    /// hold every weight the model of this description declares with the declared shape.
    /// - Throws: ``CheckpointError/parametersDoNotMatch(file:detail:)`` naming the first entry
    ///   that is absent or of another shape, and the description that declares it.
    public func checkDeclaredShapes(_ declared: [(key: String, shape: [Int])], against shapes: [String: [Int]], file: String) throws {
        for (key, shape) in declared where shapes[key] != shape {
            let model = "\(architecture.rawValue)" + (hidden.map { ", hidden \($0)" } ?? "") + ", \(classes) classes, input \(sampleShape)"
            throw CheckpointError.parametersDoNotMatch(
                file: file, detail: "its metadata describe a model (\(model)) with '\(key)' of shape \(shape), but the file "
                    + (shapes[key].map { "holds \($0)" } ?? "has no such tensor"))
        }
    }
}

extension ParameterTree {
    /// Every entry's shape, by key.
    public var shapes: [String: [Int]] {
        Dictionary(uniqueKeysWithValues: keys.map { ($0, self[$0]!.shape) })
    }
}
