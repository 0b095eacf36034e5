import Foundation

/// What is wrong with a data-set file; each case names the file and the tensor at fault.
public enum DatasetFileError: Error, Equatable, CustomStringConvertible {
    /// A required tensor is absent.
    case missingTensor(file: String, key: String)
    /// A tensor has a dtype the format does not allow there.
    case badDType(file: String, key: String, dtype: String, expected: String)
    /// A tensor has a shape the format does not allow there.
    case badShape(file: String, key: String, shape: [Int], expected: String)
    /// A label is negative, not an integer, or not below the number of classes.
    case labelOutOfRange(file: String, key: String, index: Int, value: Double, classes: Int?)
    /// Two tensors that must have one row per example disagree.
    case countMismatch(file: String, key: String, count: Int, otherKey: String, otherCount: Int)
    /// Both a real and a complex version of the inputs are present.
    case ambiguousInputs(file: String, key: String)
    /// The labels (the largest + 1) or the metadata entry `classes` give more classes than
    /// ``DatasetFile/maxClasses``: `key` and `index` name the label (or `classes` and its count).
    case tooManyClasses(file: String, key: String, index: Int, classes: Int, limit: Int)
    /// An input (after conversion to float32) or an SNR is NaN or ±∞; `example` is its row.
    case nonFiniteValue(file: String, key: String, example: Int)

    /// One line naming the file, the key and what is wrong.
    public var description: String {
        switch self {
        case .missingTensor(let f, let k):
            return "\(f): tensor '\(k)' is missing (a data file holds train.inputs, train.labels, test.inputs, test.labels; "
                + "complex inputs as <split>.inputs.real and <split>.inputs.imag)"
        case .badDType(let f, let k, let d, let e): return "\(f): tensor '\(k)' has dtype \(d), expected \(e)"
        case .badShape(let f, let k, let s, let e): return "\(f): tensor '\(k)' has shape \(s), expected \(e)"
        case .labelOutOfRange(let f, let k, let i, let v, let c):
            return "\(f): \(k)[\(i)] = \(v) is not a class index" + (c.map { " in 0..<\($0)" } ?? " (need an integer ≥ 0)")
        case .countMismatch(let f, let k, let n, let o, let m):
            return "\(f): '\(k)' has \(n) examples but '\(o)' has \(m)"
        case .ambiguousInputs(let f, let k): return "\(f): both '\(k)' and '\(k).real'/'\(k).imag' are present; keep one"
        case .tooManyClasses(let f, let k, let i, let c, let limit):
            let source = k == "classes" ? "the metadata entry 'classes' names \(c) classes" : "\(k)[\(i)] = \(c - 1) would make \(c) classes (the largest label + 1)"
            return "\(f): \(source), more than \(limit); labels must be class indices 0 ..< classes"
        case .nonFiniteValue(let f, let k, let e):
            return "\(f): '\(k)' holds NaN or ±∞ (as float32) at example \(e)"
        }
    }
}

/// Users' own data in one safetensors file, for every command that takes data.
///
/// Tensors (`<split>` is `train` or `test`):
/// - `<split>.inputs`: `F32` or `F64`, `[N, …]` (real examples); or complex examples as
///   `<split>.inputs.real` and `<split>.inputs.imag` of one shape `[N, …, L]` (or one `C64` tensor
///   `<split>.inputs`, which the reader splits the same way);
/// - `<split>.labels`: an integer dtype (`I64` as PyTorch writes it; `I32`, `U8`, … accepted),
///   `[N]`, values in `0 ..< classes`;
/// - `<split>.snr` (optional): `F32`/`F64` `[N]`, the SNR of each example in dB (results are then
///   reported per SNR).
///
/// Metadata (optional): `classes` = class names separated by commas (their count fixes the number
/// of classes; otherwise it is the largest label + 1 over both splits).
///
/// Complex inputs are stored in the ``LabeledDataset`` interleaved along the last axis
/// (`[N, …, 2L]`, I₀ Q₀ I₁ Q₁ …), the layout complex models read; a complex `[N, L]` gets a channel
/// axis, `[N, 1, 2L]`. Both splits must have the same example shape.
public enum DatasetFile {
    /// The most classes a data file may give (by its largest label or its `classes` entry): a
    /// larger count is taken for a stray label, since the classifier's last layer grows with it.
    public static let maxClasses = 100_000

    /// The two splits of a data file, and whether its inputs are complex.
    public struct Contents: Sendable {
        /// The training split.
        public var train: LabeledDataset
        /// The test split.
        public var test: LabeledDataset
        /// Whether the inputs were complex (now interleaved).
        public var isComplex: Bool
    }

    /// Reads and checks a data file (see the type's documentation).
    /// - Throws: ``DatasetFileError`` naming the file and key at fault, or the reader's
    ///   ``SafetensorsError`` for a malformed file.
    public static func load(contentsOf url: URL) throws -> Contents {
        let file = try Safetensors.read(contentsOf: url)
        let path = url.path
        let names = file.metadata["classes"].map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }

        func inputs(_ split: String) throws -> (Tensor, Bool) {
            let key = split + ".inputs"
            let hasComplex = file.tensors[key + ".real"] != nil || file.tensors[key + ".imag"] != nil
            if let x = file.tensors[key] {
                if hasComplex { throw DatasetFileError.ambiguousInputs(file: path, key: key) }
                let d = file.storedDTypes[key] ?? .f32
                guard d == .f32 || d == .f64 else { throw DatasetFileError.badDType(file: path, key: key, dtype: d.rawValue, expected: "F32 or F64") }
                guard x.rank >= 2 else { throw DatasetFileError.badShape(file: path, key: key, shape: x.shape, expected: "[N, …] with at least one axis per example") }
                return (x.converted(to: .float32), false)
            }
            guard let re = file.tensors[key + ".real"] else { throw DatasetFileError.missingTensor(file: path, key: hasComplex ? key + ".real" : key) }
            guard let im = file.tensors[key + ".imag"] else { throw DatasetFileError.missingTensor(file: path, key: key + ".imag") }
            for k in [key + ".real", key + ".imag"] {
                let d = file.storedDTypes[k] ?? .f32
                guard d == .f32 || d == .f64 || d == .c64 else { throw DatasetFileError.badDType(file: path, key: k, dtype: d.rawValue, expected: "F32 or F64") }
            }
            guard re.rank >= 2 else { throw DatasetFileError.badShape(file: path, key: key + ".real", shape: re.shape, expected: "[N, …, L]") }
            guard im.shape == re.shape else {
                throw DatasetFileError.badShape(file: path, key: key + ".imag", shape: im.shape, expected: "\(re.shape), the shape of \(key).real")
            }
            // interleave along the last axis: [N, …, L] → [N, …, 2L]
            let a = re.converted(to: .float32).scalars, b = im.converted(to: .float32).scalars
            var v = [Float](repeating: 0, count: 2 * a.count)
            for i in a.indices { v[2 * i] = Float(a[i]); v[2 * i + 1] = Float(b[i]) }
            var shape = re.shape
            shape[shape.count - 1] *= 2
            if shape.count == 2 { shape.insert(1, at: 1) }
            return (Tensor(shape: shape, scalars: v), true)
        }

        func labels(_ split: String, count: Int) throws -> [Int] {
            let key = split + ".labels"
            guard let t = file.tensors[key] else { throw DatasetFileError.missingTensor(file: path, key: key) }
            let d = file.storedDTypes[key] ?? .f32
            guard [.i64, .i32, .i16, .i8, .u8, .u16, .u32, .u64].contains(d) else {
                throw DatasetFileError.badDType(file: path, key: key, dtype: d.rawValue, expected: "an integer dtype (I64)")
            }
            guard t.rank == 1 else { throw DatasetFileError.badShape(file: path, key: key, shape: t.shape, expected: "[N]") }
            guard t.count == count else { throw DatasetFileError.countMismatch(file: path, key: key, count: t.count, otherKey: split + ".inputs", otherCount: count) }
            return try t.scalars.enumerated().map { i, v in
                guard v >= 0, v < Double(names?.count ?? Int.max) else {
                    throw DatasetFileError.labelOutOfRange(file: path, key: key, index: i, value: v, classes: names?.count)
                }
                return Int(v)
            }
        }

        func snr(_ split: String, count: Int) throws -> [Double]? {
            let key = split + ".snr"
            guard let t = file.tensors[key] else { return nil }
            let d = file.storedDTypes[key] ?? .f32
            guard d == .f32 || d == .f64 else { throw DatasetFileError.badDType(file: path, key: key, dtype: d.rawValue, expected: "F32 or F64") }
            guard t.rank == 1 else { throw DatasetFileError.badShape(file: path, key: key, shape: t.shape, expected: "[N]") }
            guard t.count == count else { throw DatasetFileError.countMismatch(file: path, key: key, count: t.count, otherKey: split + ".inputs", otherCount: count) }
            let values = t.scalars
            if let i = values.firstIndex(where: { !$0.isFinite }) { throw DatasetFileError.nonFiniteValue(file: path, key: key, example: i) }
            return values
        }

        // inputs are float32 from here: NaN, ±∞ or an F64 value beyond float32's range is refused
        func checkFinite(_ x: Tensor, split: String, complex: Bool) throws {
            let perExample = x.count / Swift.max(x.shape[0], 1)
            let bad = x.withUnsafeBufferPointer { (p: UnsafeBufferPointer<Float>) in p.firstIndex { !$0.isFinite } }
            if let bad {
                let key = split + ".inputs" + (complex ? (bad % 2 == 0 ? ".real" : ".imag") : "")
                throw DatasetFileError.nonFiniteValue(file: path, key: key, example: bad / perExample)
            }
        }

        let (trainX, trainComplex) = try inputs("train")
        let (testX, testComplex) = try inputs("test")
        guard trainComplex == testComplex else {
            let k = trainComplex ? "test.inputs" : "train.inputs"
            throw DatasetFileError.missingTensor(file: path, key: k + ".real")
        }
        guard Array(testX.shape.dropFirst()) == Array(trainX.shape.dropFirst()) else {
            throw DatasetFileError.badShape(file: path, key: trainComplex ? "test.inputs.real" : "test.inputs", shape: testX.shape,
                                            expected: "[N] + \(Array(trainX.shape.dropFirst())) (the example shape of train)")
        }
        try checkFinite(trainX, split: "train", complex: trainComplex)
        try checkFinite(testX, split: "test", complex: testComplex)
        if let names, names.count > maxClasses {
            throw DatasetFileError.tooManyClasses(file: path, key: "classes", index: 0, classes: names.count, limit: maxClasses)
        }
        let trainY = try labels("train", count: trainX.shape[0]), testY = try labels("test", count: testX.shape[0])
        for (key, ys) in [("train.labels", trainY), ("test.labels", testY)] {
            if let i = ys.indices.first(where: { ys[$0] >= maxClasses }) {
                throw DatasetFileError.tooManyClasses(file: path, key: key, index: i, classes: ys[i] + 1, limit: maxClasses)
            }
        }
        let classes = names?.count ?? ((trainY + testY).max() ?? 0) + 1
        let classNames = names ?? (0..<classes).map(String.init)
        let name = url.deletingPathExtension().lastPathComponent
        return Contents(train: LabeledDataset(name: name, inputs: trainX, labels: trainY, classNames: classNames, snr: try snr("train", count: trainY.count)),
                        test: LabeledDataset(name: name, inputs: testX, labels: testY, classNames: classNames, snr: try snr("test", count: testY.count)),
                        isComplex: trainComplex)
    }

    /// The tensors of a data file for `train` and `test` (the inverse of ``load(contentsOf:)``):
    /// `<split>.inputs` — or, with `complex`, the interleaved last axis split into
    /// `<split>.inputs.real` and `.imag` of shape `[N, …, L]` — `<split>.labels` (written as `I64` by
    /// ``write(train:test:complex:to:)``) and `<split>.snr` when the split has SNRs.
    /// - Precondition: with `complex`, the last axis of the inputs is even.
    public static func tensors(train: LabeledDataset, test: LabeledDataset, complex: Bool = false) -> ParameterTree {
        var tree = ParameterTree()
        for (split, d) in [("train", train), ("test", test)] {
            if complex {
                let x = d.inputs.converted(to: .float32).scalars
                require(d.inputs.shape.last.map { $0 % 2 == 0 } ?? false, "DatasetFile.tensors: complex inputs need an even last axis, got \(d.inputs.shape)")
                var shape = d.inputs.shape
                shape[shape.count - 1] /= 2
                tree[split + ".inputs.real"] = Tensor(shape: shape, scalars: stride(from: 0, to: x.count, by: 2).map { Float(x[$0]) })
                tree[split + ".inputs.imag"] = Tensor(shape: shape, scalars: stride(from: 1, to: x.count, by: 2).map { Float(x[$0]) })
            } else {
                tree[split + ".inputs"] = d.inputs
            }
            tree[split + ".labels"] = Tensor(shape: [d.count], scalars: d.labels.map(Double.init), dtype: .float64)
            if let s = d.snr { tree[split + ".snr"] = Tensor(shape: [d.count], scalars: s.map(Float.init)) }
        }
        return tree
    }

    /// Writes `train` and `test` as a data file (atomically): labels as `I64`, the class names in the
    /// metadata, and with `complex` the inputs (interleaved pairs along the last axis, as
    /// ``RadioSignals`` makes them) as real and imaginary parts.
    public static func write(train: LabeledDataset, test: LabeledDataset, complex: Bool = false, to url: URL) throws {
        try Safetensors.write(tensors(train: train, test: test, complex: complex), metadata: ["classes": train.classNames.joined(separator: ",")],
                              int64: { $0.hasSuffix(".labels") }, to: url)
    }
}
