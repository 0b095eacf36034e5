import Foundation

/// Why a file's metadata does not describe a model that can be rebuilt. Every case names the
/// file and the metadata key at fault.
public enum ModelDescriptionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A key the description needs is absent (`wirtinger.format` absent: a file written before
    /// descriptions existed, or by another program).
    case missingKey(file: String, key: String)
    /// A key holds a value that cannot be read or is out of range.
    case invalidValue(file: String, key: String, value: String, reason: String)

    /// One line naming the file, the key and what is wrong.
    public var description: String {
        switch self {
        case let .missingKey(f, k) where k == ModelDescription.Key.format:
            return "\(f): no model description: metadata \"\(k)\" is missing (a file written by another program or an older wirtinger)"
        case let .missingKey(f, k):
            return "\(f): incomplete model description: metadata \"\(k)\" is missing"
        case let .invalidValue(f, k, v, reason):
            return "\(f): bad model description: metadata \"\(k)\" = \"\(v)\": \(reason)"
        }
    }
}

/// Where a model's data came from, enough to rebuild its test set: the built-in glyphs or radio
/// signals (regenerated from the seed and the sizes), or MNIST / a data file at a path (whose
/// first `testSize` test examples were used).
public struct DataSource: Sendable, Equatable {
    /// The kinds of data.
    public enum Kind: String, Sendable, CaseIterable {
        /// Built-in 28×28 glyphs (``SyntheticData/glyphs(count:seed:sampleSeed:)``).
        case glyphs
        /// Built-in radio signals (``RadioSignals``).
        case radio
        /// MNIST IDX files in the directory `path`.
        case mnist
        /// A `--data` safetensors file at `path` (``DatasetFile``).
        case file
    }
    /// The kind.
    public var kind: Kind
    /// The seed the built-in data were generated from (nil for `mnist` / `file`).
    public var seed: UInt64?
    /// The MNIST directory or data file (nil for built-in data).
    public var path: String?
    /// Training examples used.
    public var trainSize: Int
    /// Test examples used (the first ones of the test split).
    public var testSize: Int

    /// A data source.
    public init(kind: Kind, seed: UInt64? = nil, path: String? = nil, trainSize: Int, testSize: Int) {
        self.kind = kind; self.seed = seed; self.path = path; self.trainSize = trainSize; self.testSize = testSize
    }

    /// The built-in training and test sets of `kind` (`.glyphs` or `.radio`) for `seed`: the one
    /// definition `wirtinger evaluate` regenerates; it matches what `sparsify` and `train` generate
    /// without `--data` / `--mnist` (Sources/wirtinger/DataChoice.swift; the evaluate tests check it). Glyphs:
    /// training from sample seed 1, test from sample seed 2; radio: training from seed `2s+1`,
    /// test from `2s+2`.
    /// - Precondition: `kind` is built in.
    public static func builtIn(_ kind: Kind, seed: UInt64, trainSize: Int, testSize: Int) -> (train: LabeledDataset, test: LabeledDataset) {
        (builtInSplit(kind, seed: seed, count: trainSize, test: false), builtInSplit(kind, seed: seed, count: testSize, test: true))
    }

    /// One split of ``builtIn(_:seed:trainSize:testSize:)``.
    public static func builtInSplit(_ kind: Kind, seed: UInt64, count: Int, test: Bool) -> LabeledDataset {
        switch kind {
        case .radio: return RadioSignals().dataset(count: count, seed: seed &* 2 &+ (test ? 2 : 1), name: "radio")
        case .glyphs: return SyntheticData.glyphs(count: count, seed: seed, sampleSeed: test ? 2 : 1)
        case .mnist, .file: preconditionFailure("DataSource.builtInSplit: \(kind) is not built in")
        }
    }

    /// The test set this source describes: regenerated for built-in data, read from `path` and
    /// cut to the first `testSize` examples otherwise.
    /// - Throws: the reader's errors for a missing or malformed MNIST directory or data file,
    ///   ``ModelDescriptionError`` when the file's test split is smaller than `testSize` or
    ///   built-in examples of that number would not fit in half the memory; `file` names the
    ///   model file in that error.
    public func testSet(describedIn file: String) throws -> LabeledDataset {
        let test: LabeledDataset
        switch kind {
        case .glyphs, .radio:
            // regenerated: bounded by the memory before anything is generated
            let perExample = Self.builtInBytesPerExample(kind)!, budget = halfPhysicalMemory()
            guard testSize <= budget / perExample else {
                throw ModelDescriptionError.invalidValue(
                    file: file, key: ModelDescription.Key.testSize, value: String(testSize),
                    reason: "\(testSize) built-in examples would take more than half this machine's memory (at most \(budget / perExample))")
            }
            return Self.builtInSplit(kind, seed: seed ?? 0, count: testSize, test: true)
        case .mnist: test = try MNIST.loadTest(directory: URL(fileURLWithPath: path ?? ""))
        case .file: test = try DatasetFile.load(contentsOf: URL(fileURLWithPath: path ?? "")).test
        }
        guard test.count >= testSize else {
            throw ModelDescriptionError.invalidValue(file: file, key: ModelDescription.Key.testSize, value: String(testSize),
                                                     reason: "\(path ?? "") now holds \(test.count) test examples")
        }
        return test.count == testSize ? test : test.subset(0..<testSize)
    }
}

/// What is needed to rebuild the model a parameter file holds, kept in the file's safetensors
/// metadata under `wirtinger.*` keys (Docs/Serialization.md, "Model description"): the format
/// version, architecture, layer flavour, hidden width, classes, input shape, dtype, real or
/// complex, the parameter seed, the data it was trained on and, for masked and Bayesian files,
/// the log α threshold of the masks.
///
/// ``metadata`` and ``init(metadata:file:)`` are the one encoder and decoder of these keys.
public struct ModelDescription: Sendable, Equatable {
    /// The version of the key set this code writes and reads: "1".
    public static let formatVersion = "1"

    /// The metadata keys.
    public enum Key {
        /// Format version (``formatVersion``).
        public static let format = "wirtinger.format"
        /// ``Architecture`` raw value (`mlp`, `cplx-conv`, …).
        public static let architecture = "wirtinger.architecture"
        /// ``LayerFlavor`` raw value (`dense`, `vd`, `ard`, `l0`, `masked`).
        public static let flavor = "wirtinger.flavor"
        /// Hidden width given with `--hidden` (absent: the architecture's default).
        public static let hidden = "wirtinger.hidden"
        /// Number of classes.
        public static let classes = "wirtinger.classes"
        /// Shape of one input example, comma-separated (`1,28,28`; complex inputs interleaved).
        public static let inputShape = "wirtinger.input_shape"
        /// Parameter dtype (`float32`, `float64`).
        public static let dtype = "wirtinger.dtype"
        /// `complex` or `real`: whether the network is complex inside.
        public static let numbers = "wirtinger.numbers"
        /// Seed of the parameter initialisation.
        public static let seed = "wirtinger.seed"
        /// log α threshold of the masks (masked files; Bayesian files written by `sparsify`).
        public static let threshold = "wirtinger.threshold"
        /// ``DataSource/Kind`` raw value.
        public static let data = "wirtinger.data"
        /// Seed of built-in data.
        public static let dataSeed = "wirtinger.data.seed"
        /// MNIST directory or data file.
        public static let dataPath = "wirtinger.data.path"
        /// Training examples.
        public static let trainSize = "wirtinger.data.train_size"
        /// Test examples (the first ones of the test split).
        public static let testSize = "wirtinger.data.test_size"
    }

    /// The network.
    public var architecture: Architecture
    /// The version of its weighted layers.
    public var flavor: LayerFlavor
    /// The hidden width override (`--hidden`), nil for the architecture's default.
    public var hidden: Int?
    /// Number of classes (outputs).
    public var classes: Int
    /// Shape of one input example, without the batch axis.
    public var sampleShape: [Int]
    /// The parameters' dtype.
    public var dtype: DType
    /// Seed of the parameter initialisation (`sparsify` derives each stage's key from it).
    public var seed: UInt64
    /// The data the model was trained on.
    public var data: DataSource
    /// log α threshold of the masks, when the file has one.
    public var threshold: Double?

    /// A description.
    public init(architecture: Architecture, flavor: LayerFlavor, hidden: Int? = nil, classes: Int, sampleShape: [Int],
                dtype: DType = .float32, seed: UInt64, data: DataSource, threshold: Double? = nil) {
        self.architecture = architecture; self.flavor = flavor; self.hidden = hidden; self.classes = classes
        self.sampleShape = sampleShape; self.dtype = dtype; self.seed = seed; self.data = data; self.threshold = threshold
    }

    /// The metadata entries of this description (merge them into a file's metadata).
    public var metadata: [String: String] {
        var m = [Key.format: Self.formatVersion, Key.architecture: architecture.rawValue, Key.flavor: flavor.rawValue,
                 Key.classes: String(classes), Key.inputShape: sampleShape.map(String.init).joined(separator: ","),
                 Key.dtype: dtype.rawValue, Key.numbers: architecture.isComplex ? "complex" : "real", Key.seed: String(seed),
                 Key.data: data.kind.rawValue, Key.trainSize: String(data.trainSize), Key.testSize: String(data.testSize)]
        if let hidden { m[Key.hidden] = String(hidden) }
        if let threshold { m[Key.threshold] = String(threshold) }
        if let s = data.seed { m[Key.dataSeed] = String(s) }
        if let p = data.path { m[Key.dataPath] = p }
        return m
    }

    /// Reads the description from a file's metadata; `file` names the file in errors.
    /// - Throws: ``ModelDescriptionError`` naming the first key that is missing or unreadable
    ///   (a format version other than ``formatVersion``, an unknown architecture or flavour, a
    ///   non-positive size, `wirtinger.numbers` contradicting the architecture, …).
    public init(metadata m: [String: String], file: String) throws {
        func value(_ key: String) throws -> String {
            guard let v = m[key] else { throw ModelDescriptionError.missingKey(file: file, key: key) }
            return v
        }
        func bad(_ key: String, _ v: String, _ reason: String) -> ModelDescriptionError {
            .invalidValue(file: file, key: key, value: v, reason: reason)
        }
        func positive(_ key: String, _ v: String) throws -> Int {
            guard let n = Int(v), n >= 1 else { throw bad(key, v, "not a positive whole number") }
            return n
        }
        func choice<T: RawRepresentable & CaseIterable>(_ key: String, _: T.Type) throws -> T where T.RawValue == String {
            let v = try value(key)
            guard let c = T(rawValue: v) else {
                throw bad(key, v, "not one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return c
        }
        let format = try value(Key.format)
        guard format == Self.formatVersion else {
            throw bad(Key.format, format, "this wirtinger reads format \(Self.formatVersion)")
        }
        architecture = try choice(Key.architecture, Architecture.self)
        flavor = try choice(Key.flavor, LayerFlavor.self)
        hidden = try m[Key.hidden].map { try positive(Key.hidden, $0) }
        classes = try positive(Key.classes, value(Key.classes))
        let shapeText = try value(Key.inputShape)
        let dims = shapeText.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard !dims.isEmpty, dims.allSatisfy({ $0 != nil && $0! >= 1 }) else {
            throw bad(Key.inputShape, shapeText, "expected positive sizes separated by commas, like 1,28,28")
        }
        sampleShape = dims.map { $0! }
        dtype = try choice(Key.dtype, DType.self)
        let numbers = try value(Key.numbers)
        guard numbers == (architecture.isComplex ? "complex" : "real") else {
            throw bad(Key.numbers, numbers, "architecture \(architecture.rawValue) is \(architecture.isComplex ? "complex" : "real")")
        }
        let seedText = try value(Key.seed)
        guard let s = UInt64(seedText) else { throw bad(Key.seed, seedText, "not a non-negative whole number") }
        seed = s
        threshold = try m[Key.threshold].map { v in
            guard let t = Double(v), t.isFinite else { throw bad(Key.threshold, v, "not a finite number") }
            return t
        }
        let kind = try choice(Key.data, DataSource.Kind.self)
        let trainSize = try positive(Key.trainSize, value(Key.trainSize))
        let testSize = try positive(Key.testSize, value(Key.testSize))
        switch kind {
        case .glyphs, .radio:
            let v = try value(Key.dataSeed)
            guard let ds = UInt64(v) else { throw bad(Key.dataSeed, v, "not a non-negative whole number") }
            data = DataSource(kind: kind, seed: ds, trainSize: trainSize, testSize: testSize)
        case .mnist, .file:
            let p = try value(Key.dataPath)
            guard !p.isEmpty else { throw bad(Key.dataPath, p, "empty path") }
            data = DataSource(kind: kind, path: p, trainSize: trainSize, testSize: testSize)
        }
    }

    /// A fresh model of this description (``makeClassifier(_:flavor:sampleShape:classes:hidden:)``).
    /// - Throws: ``ModelError`` when the architecture cannot take the input shape or flavour.
    public func makeModel(flavor other: LayerFlavor? = nil) throws -> any Layer<Tensor, Tensor> {
        try makeClassifier(architecture, flavor: other ?? flavor, sampleShape: sampleShape, classes: classes, hidden: hidden)
    }
}
