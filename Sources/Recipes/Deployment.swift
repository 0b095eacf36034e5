import Foundation

// The deployable file `wirtinger export` writes and `evaluate` / `predict` read: masks applied,
// zero weights dropped, each masked layer's weight in CSR form or dense (Docs/Serialization.md,
// "Deployable files").

/// Keys and constants of the deployable format.
public enum DeployFormat {
    /// The version of the deployable layout this code writes and reads: "1".
    public static let version = "1"
    /// Metadata key holding ``version``; its presence marks a deployable file.
    public static let versionKey = "wirtinger.deploy"
    /// Metadata key: the density cut-off the file was written with (a weight denser than this is dense).
    public static let maxDensityKey = "wirtinger.deploy.max_density"
    /// Metadata key prefix: `wirtinger.csr.<weight key>` = the weight's dense shape, comma-separated.
    public static let csrPrefix = "wirtinger.csr."
    /// Metadata key prefix: `wirtinger.dense.<weight key>` = the dense shape of a masked weight
    /// stored densely (too dense for CSR); informative, the weight is an ordinary tensor.
    public static let densePrefix = "wirtinger.dense."
    /// Tensor suffix of the `rows + 1` row pointers (`I32`).
    public static let rowPointers = ".indptr"
    /// Tensor suffix of the column indices (`U16` when the flattened weight has at most 65,536 columns, else `I32`).
    public static let columnIndices = ".indices"
    /// Tensor suffix of the real values (`F32`); complex weights have `.values.real` and `.values.imag`.
    public static let values = ".values"

    /// The density at or below which ``deployableFile(_:threshold:maxDensity:)`` stores a weight
    /// in CSR form: the cut-off of ``SparseLinear/defaultMaxDensity`` (0.4), where the CSR kernels stop
    /// beating the dense ones (Docs/Inference.md, "Where CSR stops paying off"). On file size alone
    /// CSR (6 bytes per kept weight with 16-bit indices) wins up to 2/3.
    public static let defaultMaxDensity = SparseLinear.defaultMaxDensity
}

/// Why a file cannot be exported or read as a deployable file. Each case names the file (and
/// the tensor or metadata key) at fault.
public enum DeployError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A dense model has neither masks nor relevance to drop weights by.
    case nothingToSparsify(file: String, flavor: String)
    /// `--threshold` given for a masked file, whose masks are fixed.
    case thresholdForMaskedFile(file: String)
    /// The input to `export` is already a deployable file.
    case alreadyExported(file: String)
    /// A deployable file of another format version.
    case unsupportedVersion(file: String, version: String)
    /// A tensor a CSR weight needs is missing.
    case missingTensor(file: String, key: String)
    /// A tensor of a CSR weight has the wrong dtype, shape or contents.
    case invalidTensor(file: String, key: String, reason: String)
    /// A `wirtinger.csr.*` metadata entry cannot be read.
    case invalidMetadata(file: String, key: String, value: String, reason: String)

    /// One line naming the file and what is wrong.
    public var description: String {
        switch self {
        case let .nothingToSparsify(f, flavor):
            return "\(f) holds a \(flavor) model without masks or relevance: export the masked or Bayesian file sparsify wrote"
        case let .thresholdForMaskedFile(f):
            return "\(f) holds a masked model whose masks are fixed: --threshold applies to Bayesian files"
        case let .alreadyExported(f):
            return "\(f) is already a deployable file (metadata \(DeployFormat.versionKey)); export a masked or Bayesian model file"
        case let .unsupportedVersion(f, v):
            return "\(f): deployable format \"\(v)\" (metadata \(DeployFormat.versionKey)); this wirtinger reads format \(DeployFormat.version)"
        case let .missingTensor(f, k):
            return "\(f): deployable file lacks tensor '\(k)'"
        case let .invalidTensor(f, k, reason):
            return "\(f): tensor '\(k)': \(reason)"
        case let .invalidMetadata(f, k, v, reason):
            return "\(f): metadata \"\(k)\" = \"\(v)\": \(reason)"
        }
    }
}

/// One weight of a deployable file.
public struct DeployedWeight: Sendable, Equatable {
    /// The weight's parameter key (`classifier.0.weight`; complex weights without `.real`/`.imag`).
    public var key: String
    /// Its dense shape (`[out, in]`, or `[out, in/groups, *k]` for a convolution).
    public var shape: [Int]
    /// Whether it is complex.
    public var isComplex: Bool
    /// Nonzero (complex: not `0 + 0i`) elements kept.
    public var kept: Int
    /// Whether it is stored in CSR form (else dense).
    public var isCSR: Bool

    /// All elements of the weight.
    public var total: Int { shape.reduce(1, *) }
}

/// The contents of a deployable file before writing: tensors, the dtype each is stored as, the
/// metadata, and a summary per masked weight.
public struct DeployableFile {
    /// The tensors (indices and row pointers held as whole numbers in float64 tensors).
    public var tensors: ParameterTree
    /// The integer dtype of each index tensor (`I32`, `U16`); other keys are stored as `F32`.
    public var integerDTypes: [String: SafetensorsDType]
    /// The metadata: the model description (flavour `masked`, dtype `float32`) and the deploy keys.
    public var metadata: [String: String]
    /// One entry per masked weight, in parameter order.
    public var weights: [DeployedWeight]

    /// Writes the file atomically (``Safetensors/write(_:metadata:storedAs:to:)``).
    public func write(to url: URL) throws {
        try Safetensors.write(tensors, metadata: metadata, storedAs: { integerDTypes[$0] }, to: url)
    }
}

/// The deployable form of a model file: a masked file's masks, or a Bayesian file's relevance
/// masks at log α `threshold` (default: the file's threshold, else −0.5, as `sparsify`), are
/// multiplied into their weights; each such weight of density (kept / elements) at most
/// `maxDensity` is stored in CSR form over rows = `shape[0]` and columns = the product of the
/// other axes (`<key>.indptr`, `<key>.indices`, `<key>.values` or `.values.real`/`.values.imag`),
/// denser ones as the dense masked weight under their own key. Every other parameter is kept,
/// masks are dropped, all values are float32.
/// - Throws: ``DeployError`` for a dense model file, a masked file with a `threshold`; the errors
///   of ``SavedModel/masked(threshold:)``.
public func deployableFile(_ saved: SavedModel, threshold: Double? = nil,
                           maxDensity: Double = DeployFormat.defaultMaxDensity) throws -> DeployableFile {
    var d = saved.description
    let params: ParameterTree
    switch d.flavor {
    case .dense:
        throw DeployError.nothingToSparsify(file: saved.file, flavor: d.flavor.rawValue)
    case .masked:
        if threshold != nil { throw DeployError.thresholdForMaskedFile(file: saved.file) }
        params = saved.parameters
    case .vd, .ard, .l0:
        let t = threshold ?? d.threshold ?? -0.5
        params = try saved.masked(threshold: t).parameters
        d.threshold = t
    }
    d.flavor = .masked
    d.dtype = .float32
    var out = ParameterTree(), integer: [String: SafetensorsDType] = [:], weights: [DeployedWeight] = []
    var metadata = d.metadata
    metadata[DeployFormat.versionKey] = DeployFormat.version
    metadata[DeployFormat.maxDensityKey] = String(maxDensity)
    let masks = params.keys.filter { $0 == "mask" || $0.hasSuffix(".mask") }
    let maskedWeights = Set(masks.flatMap { m -> [String] in
        let w = String(m.dropLast("mask".count)) + "weight"
        return [w, w + ".real", w + ".imag"]
    })
    for (key, t) in params where !masks.contains(key) && !maskedWeights.contains(key) { out[key] = t.converted(to: .float32) }
    for m in masks {
        let key = String(m.dropLast("mask".count)) + "weight"
        let mask = params[m]!.converted(to: .float32)
        let real = params[key], re = params[key + ".real"], im = params[key + ".imag"]
        guard let weight = real ?? re, real != nil || im != nil else {
            throw DeployError.missingTensor(file: saved.file, key: key)
        }
        let shape = weight.shape
        let rows = shape.first ?? 1, columns = shape.dropFirst().reduce(1, *)
        func flat(_ t: Tensor) -> Tensor { reshape(t.converted(to: .float32), [rows, columns]) }
        let pattern: CSRMatrix, imaginary: [Float]?
        if let real {
            pattern = CSRMatrix(dense: flat(real), mask: flat(mask))
            imaginary = nil
        } else {
            let c = ComplexCSRMatrix(dense: ComplexTensor(real: flat(re!), imag: flat(im!)), mask: flat(mask))
            pattern = c.pattern; imaginary = c.imaginaryValues
        }
        let isCSR = pattern.density <= maxDensity
        weights.append(DeployedWeight(key: key, shape: shape, isComplex: imaginary != nil, kept: pattern.nonzeroCount, isCSR: isCSR))
        guard isCSR else {
            metadata[DeployFormat.densePrefix + key] = shape.map(String.init).joined(separator: ",")
            if let real { out[key] = real.converted(to: .float32) * mask } else {
                out[key + ".real"] = re!.converted(to: .float32) * mask
                out[key + ".imag"] = im!.converted(to: .float32) * mask
            }
            continue
        }
        metadata[DeployFormat.csrPrefix + key] = shape.map(String.init).joined(separator: ",")
        out[key + DeployFormat.rowPointers] = Tensor(pattern.rowPointers.map(Double.init))
        integer[key + DeployFormat.rowPointers] = .i32
        out[key + DeployFormat.columnIndices] = Tensor(pattern.columnIndices.map(Double.init))
        integer[key + DeployFormat.columnIndices] = columns <= 1 << 16 ? .u16 : .i32
        if let imaginary {
            out[key + DeployFormat.values + ".real"] = Tensor(pattern.values)
            out[key + DeployFormat.values + ".imag"] = Tensor(imaginary)
        } else {
            out[key + DeployFormat.values] = Tensor(pattern.values)
        }
    }
    return DeployableFile(tensors: out, integerDTypes: integer, metadata: metadata, weights: weights)
}

/// A deployable file read back: its description, its weights, the plain (dense-flavour) model of
/// the description with the masked weights rebuilt densely, and that model compiled for sparse
/// inference (``compileSparseClassifier(_:parameters:maxDensity:)``).
public struct DeployedModel {
    /// The file's path, as given.
    public var file: String
    /// What the metadata say (flavour `masked`).
    public var description: ModelDescription
    /// The masked weights (CSR and dense), sorted by key.
    public var weights: [DeployedWeight]
    /// The dense-flavour model of ``description``.
    public var denseModel: any Layer<Tensor, Tensor>
    /// Its parameters: the file's, CSR weights expanded to dense float32 tensors.
    public var denseParameters: ParameterTree
    /// ``denseModel`` compiled for sparse inference (CSR kernels for weights at most the file's
    /// cut-off dense; one ``SparseLinearChain`` for the linear-only architectures).
    public var model: any Layer<Tensor, Tensor>
    /// What ``model`` still needs (parameters of layers that were not compiled).
    public var parameters: ParameterTree

    /// Whether a file's metadata mark it as deployable.
    public static func isDeployable(_ metadata: [String: String]) -> Bool { metadata[DeployFormat.versionKey] != nil }

    /// Reads and checks a deployable file and rebuilds its model.
    /// - Throws: ``SafetensorsError`` for a missing or malformed file, ``ModelDescriptionError``
    ///   for its description, ``DeployError`` for a missing deploy version or one of another
    ///   format, and for CSR tensors that are missing or of the wrong dtype, shape or contents
    ///   (row pointers not rising from 0 to the number of values, column indices out of range or
    ///   not ascending within a row), ``CheckpointError`` when the tensors are not those of the
    ///   described model or not finite.
    public static func load(contentsOf url: URL) throws -> DeployedModel {
        let path = url.path
        let file = try Safetensors.read(contentsOf: url)
        guard let version = file.metadata[DeployFormat.versionKey] else {
            throw ModelDescriptionError.missingKey(file: path, key: DeployFormat.versionKey)
        }
        guard version == DeployFormat.version else { throw DeployError.unsupportedVersion(file: path, version: version) }
        let description = try ModelDescription(metadata: file.metadata, file: path)
        let maxDensityText = file.metadata[DeployFormat.maxDensityKey] ?? String(DeployFormat.defaultMaxDensity)
        guard let maxDensity = Double(maxDensityText), !maxDensity.isNaN else {
            throw DeployError.invalidMetadata(file: path, key: DeployFormat.maxDensityKey, value: maxDensityText, reason: "not a number")
        }
        let denseModel: any Layer<Tensor, Tensor>
        do {
            denseModel = try description.makeModel(flavor: .dense)
        } catch let e as ModelError {
            throw ModelDescriptionError.invalidValue(file: path, key: ModelDescription.Key.architecture,
                                                     value: description.architecture.rawValue, reason: "\(e)")
        }
        // the described model's weights against the file's dense tensors and the CSR weights'
        // recorded shapes, and against the memory, before any weight is expanded or allocated
        let declared = try description.declaredDenseShapes(file: path)
        var shapes = file.tensors.shapes
        for metaKey in file.metadata.keys where metaKey.hasPrefix(DeployFormat.csrPrefix) {
            let key = String(metaKey.dropFirst(DeployFormat.csrPrefix.count))
            guard let shape = csrShape(file.metadata[metaKey]!) else {
                throw DeployError.invalidMetadata(file: path, key: metaKey, value: file.metadata[metaKey]!, reason: csrShapeRule)
            }
            if file.tensors[key + DeployFormat.values] == nil && file.tensors[key + DeployFormat.values + ".real"] != nil {
                shapes[key + ".real"] = shape; shapes[key + ".imag"] = shape
            } else {
                shapes[key] = shape
            }
        }
        try description.checkDeclaredShapes(declared, against: shapes, file: path)
        try description.checkFitsInMemory(declared, file: path)
        var tree = file.tensors
        var weights: [DeployedWeight] = []
        for metaKey in file.metadata.keys.sorted() where metaKey.hasPrefix(DeployFormat.csrPrefix) {
            let key = String(metaKey.dropFirst(DeployFormat.csrPrefix.count))
            let w = try expandCSR(key: key, shapeText: file.metadata[metaKey]!, metaKey: metaKey, file: file, tree: &tree, path: path)
            weights.append(w)
        }
        for metaKey in file.metadata.keys.sorted() where metaKey.hasPrefix(DeployFormat.densePrefix) {
            let key = String(metaKey.dropFirst(DeployFormat.densePrefix.count))
            if let w = tree[key] {
                weights.append(DeployedWeight(key: key, shape: w.shape, isComplex: false, kept: w.scalars.filter { $0 != 0 }.count, isCSR: false))
            } else if let re = tree[key + ".real"], let im = tree[key + ".imag"], re.shape == im.shape {
                let kept = zip(re.scalars, im.scalars).filter { $0 != 0 || $1 != 0 }.count
                weights.append(DeployedWeight(key: key, shape: re.shape, isComplex: true, kept: kept, isCSR: false))
            } else {
                throw DeployError.missingTensor(file: path, key: key)
            }
        }
        weights.sort { $0.key < $1.key }
        let finite = try TrainingCheckpoint.modelParameters(of: SafetensorsFile(tensors: tree, metadata: [:]), source: path)
        let template = denseModel.initialParameters(key: RandomKey(seed: description.seed), dtype: .float32)
        let (parameters, _) = try strictLoad(finite, into: template, source: path)
        let (model, rest) = compileSparseClassifier(denseModel, parameters: parameters, maxDensity: maxDensity, chained: true)
        return DeployedModel(file: path, description: description, weights: weights, denseModel: denseModel,
                             denseParameters: parameters, model: model, parameters: rest)
    }

    /// What a `wirtinger.csr.KEY` metadata value must be.
    private static let csrShapeRule = "expected positive sizes separated by commas, at most 2^31 − 1 elements"

    /// The shape a `wirtinger.csr.KEY` metadata value records (`"400,784"`): positive sizes,
    /// at most 2³¹ − 1 elements; nil otherwise.
    private static func csrShape(_ text: String) -> [Int]? {
        let dims = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard !dims.isEmpty, dims.allSatisfy({ $0 != nil && $0! >= 1 }) else { return nil }
        let shape = dims.map { $0! }
        var n = 1
        for d in shape {
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o, p <= Int(Int32.max) else { return nil }
            n = p
        }
        return shape
    }

    /// Replaces the CSR tensors of `key` in `tree` by the dense weight (`key`, or `key.real` and
    /// `key.imag`), after checking them.
    private static func expandCSR(key: String, shapeText: String, metaKey: String, file: SafetensorsFile,
                                  tree: inout ParameterTree, path: String) throws -> DeployedWeight {
        guard let shape = csrShape(shapeText) else {
            throw DeployError.invalidMetadata(file: path, key: metaKey, value: shapeText, reason: csrShapeRule)
        }
        let rows = shape[0], columns = shape.dropFirst().reduce(1, *)
        func tensor(_ suffix: String, _ dtypes: [SafetensorsDType]) throws -> [Double] {
            let k = key + suffix
            guard let t = file.tensors[k] else { throw DeployError.missingTensor(file: path, key: k) }
            guard let stored = file.storedDTypes[k], dtypes.contains(stored) else {
                throw DeployError.invalidTensor(file: path, key: k, reason: "dtype \(file.storedDTypes[k]?.rawValue ?? "?"), expected "
                                                + dtypes.map(\.rawValue).joined(separator: " or "))
            }
            guard t.rank == 1 else { throw DeployError.invalidTensor(file: path, key: k, reason: "shape \(t.shape), expected one axis") }
            tree[k] = nil
            return t.scalars
        }
        let pointers = try tensor(DeployFormat.rowPointers, [.i32])
        let indices = try tensor(DeployFormat.columnIndices, [.u16, .i32])
        let isComplex = file.tensors[key + DeployFormat.values] == nil && file.tensors[key + DeployFormat.values + ".real"] != nil
        let re = try tensor(DeployFormat.values + (isComplex ? ".real" : ""), [.f32])
        let im = isComplex ? try tensor(DeployFormat.values + ".imag", [.f32]) : nil
        let nnz = re.count
        guard pointers.count == rows + 1, pointers.first == 0, pointers.last == Double(nnz),
              zip(pointers, pointers.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw DeployError.invalidTensor(file: path, key: key + DeployFormat.rowPointers,
                                            reason: "expected \(rows + 1) non-decreasing row pointers from 0 to \(nnz) (the number of values)")
        }
        guard indices.count == nnz, im == nil || im!.count == nnz else {
            throw DeployError.invalidTensor(file: path, key: key + DeployFormat.columnIndices,
                                            reason: "\(indices.count) column indices for \(nnz) values" + (im.map { ", \($0.count) imaginary parts" } ?? ""))
        }
        var real = [Float](repeating: 0, count: rows * columns)
        var imag = [Float](repeating: 0, count: isComplex ? rows * columns : 0)
        for r in 0..<rows {
            var previous = -1.0
            for k in Int(pointers[r])..<Int(pointers[r + 1]) {
                let c = indices[k]
                guard c > previous, c < Double(columns) else {
                    throw DeployError.invalidTensor(file: path, key: key + DeployFormat.columnIndices,
                                                    reason: "row \(r): column \(Int(c)) is out of 0..<\(columns) or not ascending")
                }
                previous = c
                real[r * columns + Int(c)] = Float(re[k])
                if let im { imag[r * columns + Int(c)] = Float(im[k]) }
            }
        }
        if isComplex {
            guard tree[key + ".real"] == nil, tree[key + ".imag"] == nil else {
                throw DeployError.invalidTensor(file: path, key: key + ".real", reason: "stored both densely and in CSR form")
            }
            tree[key + ".real"] = Tensor(shape: shape, scalars: real)
            tree[key + ".imag"] = Tensor(shape: shape, scalars: imag)
        } else {
            guard tree[key] == nil else { throw DeployError.invalidTensor(file: path, key: key, reason: "stored both densely and in CSR form") }
            tree[key] = Tensor(shape: shape, scalars: real)
        }
        return DeployedWeight(key: key, shape: shape, isComplex: isComplex, kept: nnz, isCSR: true)
    }
}

/// `compileSparse` applied to both halves (`features`, `classifier`) of a classifier built by
/// ``makeClassifier(_:flavor:sampleShape:classes:hidden:)`` (``FeatureClassifier`` or
/// ``ComplexInputClassifier``), or to a `Sequential`; any other model is returned as it is.
/// `maxDensity: -.infinity` keeps every weight dense (``compileDense(_:parameters:path:)``).
///
/// With `chained`, a model that compiles to a flatten and linear layers only (the `mlp` and
/// `lenet300` architectures) becomes one ``SparseLinearChain``, which runs the whole forward in one
/// kernel call and gives the same outputs bit for bit; other models are returned as without it.
public func compileSparseClassifier(_ model: any Layer<Tensor, Tensor>, parameters: ParameterTree,
                                    maxDensity: Double = SparseLinear.defaultMaxDensity,
                                    chained: Bool = false) -> (model: any Layer<Tensor, Tensor>, parameters: ParameterTree) {
    func halves<F, C>(_ features: Sequential<F, C>, _ classifier: Sequential<C, Tensor>)
        -> (Sequential<F, C>, Sequential<C, Tensor>, ParameterTree) {
        let (f, pf) = compileSparse(features, parameters: parameters.scoped("features"), maxDensity: maxDensity, path: "features")
        let (c, pc) = compileSparse(classifier, parameters: parameters.scoped("classifier"), maxDensity: maxDensity, path: "classifier")
        return (f, c, pf.prefixed("features").merging(pc.prefixed("classifier")))
    }
    if let m = model as? FeatureClassifier<Tensor> {
        let (f, c, p) = halves(m.features, m.classifier)
        if chained, p.isEmpty, let chain = SparseLinearChain(layers: f.layers + c.layers) { return (chain, p) }
        return (FeatureClassifier(features: f, classifier: c), p)
    }
    if let m = model as? FeatureClassifier<ComplexTensor> {
        let (f, c, p) = halves(m.features, m.classifier)
        return (FeatureClassifier(features: f, classifier: c), p)
    }
    if let m = model as? ComplexInputClassifier<ComplexTensor> {
        let (f, c, p) = halves(m.features, m.classifier)
        return (ComplexInputClassifier(features: f, classifier: c, flattensInput: m.flattensInput), p)
    }
    if let m = model as? ComplexInputClassifier<Tensor> {
        let (f, c, p) = halves(m.features, m.classifier)
        return (ComplexInputClassifier(features: f, classifier: c, flattensInput: m.flattensInput), p)
    }
    if let s = model as? Sequential<Tensor, Tensor> {
        let (c, p) = compileSparse(s, parameters: parameters, maxDensity: maxDensity)
        if chained, p.isEmpty, let chain = SparseLinearChain(layers: c.layers) { return (chain, p) }
        return (c, p)
    }
    return (model, parameters)
}

/// Why a `predict` input file does not fit the model.
public struct PredictInputError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One line naming the input file, the tensor and the shapes.
    public let description: String
    /// An error with this message.
    public init(description: String) { self.description = description }
}

/// The tensor names of a `wirtinger predict` input file.
public enum PredictInput {
    /// A real input `[N, *sample shape]` (for a complex model: interleaved `(re, im)` pairs along the last axis).
    public static let real = "inputs"
    /// A complex input: `inputs.real` and `inputs.imag` `[N, *complex sample shape]` (or one `C64` tensor `inputs`).
    public static let complexParts = ("inputs.real", "inputs.imag")

    /// The stored dtypes an example tensor may have: floating point, as the training data
    /// (`C64` for the two parts of a complex one). Integer pixels, for instance, would be read at
    /// another scale than the model was trained on, so they are refused rather than converted.
    public static let acceptedDTypes: Set<SafetensorsDType> = [.f32, .f64, .c64]

    /// The examples of the input file `file` (decoded), as the real `[N, *sampleShape]` tensor a
    /// model of `description` takes. They are the tensor `name` (default ``real``, `inputs`), or
    /// for a complex model its parts `name.real` and `name.imag` (a `C64` tensor `name` is read as
    /// them) of the complex sample shape (last axis halved), interleaved. Without a `name`, a file
    /// that holds no `inputs` but exactly one tensor (or one pair `X.real` / `X.imag`) gives that one,
    /// whatever it is called.
    /// - Throws: ``PredictInputError`` naming the file and tensor when the examples are not found
    ///   (listing the names the file has), are found in both forms, are complex for a real model,
    ///   are not floating point (``acceptedDTypes``), hold no example, do not have the shape
    ///   `[N] + sample shape`, or hold a value that is not finite.
    public static func examples(_ file: SafetensorsFile, path: String, for description: ModelDescription,
                                name: String? = nil) throws -> Tensor {
        let sample = description.sampleShape
        var complexSample = sample
        complexSample[complexSample.count - 1] /= 2
        let isComplexModel = description.architecture.isComplex
        func shapeText(_ shape: [Int]) -> String { "[N, " + shape.map(String.init).joined(separator: ", ") + "]" }
        let keys = Array(file.tensors.keys)
        let found = keys.isEmpty ? "no tensors" : keys.prefix(5).map { "'\($0)'" }.joined(separator: ", ") + (keys.count > 5 ? ", …" : "")
        func checkDType(_ key: String) throws {
            let d = file.storedDTypes[key] ?? .f32
            guard acceptedDTypes.contains(d) else {
                throw PredictInputError(description: "\(path): '\(key)' is \(d.rawValue); the examples must be floating point (F32 or F64, "
                                        + "C64 for complex ones) at the scale of the training data, e.g. pixels / 255 as float32")
            }
        }
        // Which name holds the examples.
        let base: String
        if let name {
            base = name
        } else if file.tensors[real] != nil || file.tensors[complexParts.0] != nil || file.tensors[complexParts.1] != nil {
            base = real
        } else {
            let pair = keys.count == 2 ? keys.first { $0.hasSuffix(".real") }.map { String($0.dropLast(".real".count)) } : nil
            if keys.count == 1 {
                base = keys[0]
            } else if let pair, file.tensors[pair + ".imag"] != nil {
                base = pair
            } else {
                let names = isComplexModel ? "'\(real)' (interleaved) or '\(complexParts.0)' and '\(complexParts.1)'" : "'\(real)'"
                throw PredictInputError(description: "\(path): no tensor \(names); found \(found)"
                                        + (keys.isEmpty ? "" : " (name the examples' tensor with --key)"))
            }
        }
        let partKeys = (base + ".real", base + ".imag")
        let whole = file.tensors[base]
        let hasParts = file.tensors[partKeys.0] != nil || file.tensors[partKeys.1] != nil
        if whole != nil, hasParts {
            throw PredictInputError(description: "\(path): holds both '\(base)' and '\(partKeys.0)' / '\(partKeys.1)'; keep one form of the examples")
        }
        let x: Tensor, key: String
        if let whole {
            try checkDType(base)
            x = whole; key = base
        } else if hasParts {
            guard isComplexModel else {
                throw PredictInputError(description: "\(path): '\(base)' is complex ('\(partKeys.0)' / '\(partKeys.1)'; a C64 tensor "
                                        + "is read as its two parts), but the \(description.architecture.rawValue) model takes real "
                                        + shapeText(sample))
            }
            guard let re = file.tensors[partKeys.0], let im = file.tensors[partKeys.1] else {
                throw PredictInputError(description: "\(path): '\(file.tensors[partKeys.0] == nil ? partKeys.1 : partKeys.0)' has no "
                                        + "'\(file.tensors[partKeys.0] == nil ? partKeys.0 : partKeys.1)' to go with it")
            }
            try checkDType(partKeys.0)
            try checkDType(partKeys.1)
            guard re.shape == im.shape else {
                throw PredictInputError(description: "\(path): '\(partKeys.0)' has shape \(re.shape) but '\(partKeys.1)' \(im.shape)")
            }
            guard re.rank == complexSample.count + 1, Array(re.shape.dropFirst()) == complexSample else {
                throw PredictInputError(description: "\(path): '\(partKeys.0)' has shape \(re.shape); the model takes complex "
                                        + shapeText(complexSample))
            }
            x = toInterleaved(ComplexTensor(real: re.converted(to: .float32), imag: im.converted(to: .float32)), axis: -1)
            key = partKeys.0
        } else {
            throw PredictInputError(description: "\(path): no tensor '\(base)'" + (isComplexModel ? " or '\(partKeys.0)' and '\(partKeys.1)'" : "")
                                    + "; found \(found)")
        }
        guard x.rank == sample.count + 1, Array(x.shape.dropFirst()) == sample else {
            throw PredictInputError(description: "\(path): '\(key)' has shape \(x.shape); the model takes " + shapeText(sample))
        }
        guard x.shape[0] > 0 else { throw PredictInputError(description: "\(path): '\(key)' holds 0 examples") }
        if let bad = x.scalars.firstIndex(where: { !$0.isFinite }) {
            throw PredictInputError(description: "\(path): '\(key)' holds a non-finite value at flat index \(bad)")
        }
        return x
    }
}

/// The logits `[N, classes]` of `model` for real inputs `x [N, …]` in evaluation mode, `batchSize`
/// examples per forward pass, computed in the dtype of `parameters` (float32 when it is empty).
public func batchedLogits(_ model: any Layer<Tensor, Tensor>, parameters: ParameterTree, inputs x: Tensor, batchSize: Int = 500) -> Tensor {
    let dtype = parameters.keys.first.flatMap { parameters[$0]?.dtype } ?? .float32
    let n = x.shape.first ?? 0, per = x.count / Swift.max(n, 1)
    let all = x.converted(to: dtype).scalars
    var out: [Double] = [], classes = 0
    var start = 0
    while start < n {
        let end = Swift.min(n, start + Swift.max(batchSize, 1))
        let chunk = Tensor(shape: [end - start] + Array(x.shape.dropFirst()), scalars: Array(all[(start * per)..<(end * per)]), dtype: dtype)
        let logits = model(chunk, parameters: parameters, context: Context(training: false))
        classes = logits.shape.last ?? 0
        out += logits.scalars
        start = end
    }
    return Tensor(shape: [n, classes], scalars: out.map(Float.init))
}
