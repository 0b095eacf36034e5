import Foundation

/// Why a training checkpoint, or a parameter file given as a starting point, cannot be used.
/// Every case names the file and the key at fault.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A metadata entry the checkpoint needs is absent.
    case missingMetadata(file: String, key: String)
    /// A metadata entry is not a number in the allowed range (`completed_epochs` = −1, `1e300`, …).
    case invalidMetadata(file: String, key: String, value: String, reason: String)
    /// An `optimizer.*` entry is unknown, of the wrong shape or dtype, or holds an impossible
    /// value (a step that is not a whole number in `0…optimizer_step`, a non-finite moment, a
    /// negative second moment).
    case invalidOptimizerState(file: String, key: String, reason: String)
    /// The file's model entries do not match the model (a strict load: missing, unexpected or
    /// differently shaped keys); `detail` is the load report.
    case parametersDoNotMatch(file: String, detail: String)
    /// A model entry of the file holds NaN or ±∞.
    case nonFiniteParameter(file: String, key: String)
    /// Writing was refused because parameter `key` of the tree to be written is NaN or ±∞; the
    /// file at `file` (if any) was left as it was.
    case refusedNonFiniteWrite(file: String, key: String)

    /// One line naming the file, the key and what is wrong.
    public var description: String {
        switch self {
        case let .missingMetadata(f, k):
            return "\(f): not a wirtinger checkpoint: metadata \"\(k)\" is missing"
        case let .invalidMetadata(f, k, v, reason):
            return "\(f): corrupt checkpoint: metadata \"\(k)\" = \"\(v)\": \(reason)"
        case let .invalidOptimizerState(f, k, reason):
            return "\(f): corrupt optimizer state in the checkpoint: \"\(k)\": \(reason)"
        case let .parametersDoNotMatch(f, detail):
            return "\(f): the file's parameters do not match the model: \(detail)"
        case let .nonFiniteParameter(f, k):
            return "\(f): parameter \"\(k)\" holds NaN or infinite values"
        case let .refusedNonFiniteWrite(f, k):
            return "\(f): not written: parameter \"\(k)\" is NaN or infinite (an existing file is kept as it was)"
        }
    }
}

/// The key of the first entry of `tree` that holds a NaN or an infinity, or nil.
public func firstNonFiniteKey(_ tree: ParameterTree) -> String? {
    tree.first(where: { !isAllFinite($0.value) })?.key
}

/// Writes `tree` to `url` atomically (``Safetensors/write(_:metadata:int64:to:)``) unless an
/// entry is not finite: then nothing is written and
/// ``CheckpointError/refusedNonFiniteWrite(file:key:)`` names the entry.
public func writeFiniteSafetensors(_ tree: ParameterTree, metadata: [String: String], to url: URL) throws {
    if let bad = firstNonFiniteKey(tree) { throw CheckpointError.refusedNonFiniteWrite(file: url.path, key: bad) }
    try Safetensors.write(tree, metadata: metadata, to: url)
}

/// A `wirtinger train` checkpoint: the model's entries as they are, the Adam buffers under
/// `optimizer.<param>.exp_avg`, `optimizer.<param>.exp_avg_sq`, `optimizer.<param>.step`, and
/// metadata `completed_epochs`, `completed_steps` (steps of the next epoch already taken:
/// nonzero only for a checkpoint written on Ctrl-C), `optimizer_step` and `producer`.
///
/// Reading validates every field before anything uses it: the metadata are integers in range,
/// the model entries load strictly into the model and are finite, and every optimizer entry
/// belongs to a trainable parameter with its shape and dtype, finite moments, a non-negative
/// second moment and a whole step count in `0…optimizer_step`. A file that fails any of these
/// throws ``CheckpointError``; none of it reaches the optimizer.
public struct TrainingCheckpoint: Sendable {
    /// The `producer` metadata of a checkpoint.
    public static let producer = "wirtinger train"
    /// The largest `completed_epochs` accepted.
    public static let maxEpochs = 1_000_000
    /// The largest step count accepted (`optimizer_step`, `completed_steps`, per-parameter
    /// steps): 2⁵³, the largest whole number a `float64` step buffer holds exactly.
    public static let maxSteps = 1 << 53

    /// The model's parameters (and buffers such as masks).
    public var parameters: ParameterTree
    /// Adam's state: its step count and per-parameter buffers (keys without `optimizer.`).
    public var optimizerState: OptimizerState
    /// Epochs finished.
    public var completedEpochs: Int
    /// Steps of epoch `completedEpochs` (from 0) already taken.
    public var completedSteps: Int
    /// Further metadata written with the checkpoint (its ``ModelDescription/metadata``); the
    /// checkpoint's own keys take precedence. Not read back by ``read(contentsOf:template:trainable:)``.
    public var extraMetadata: [String: String] = [:]

    /// A checkpoint value.
    public init(parameters: ParameterTree, optimizerState: OptimizerState, completedEpochs: Int, completedSteps: Int = 0) {
        self.parameters = parameters
        self.optimizerState = optimizerState
        self.completedEpochs = completedEpochs
        self.completedSteps = completedSteps
    }

    /// The tree and metadata of the file.
    public var contents: (tree: ParameterTree, metadata: [String: String]) {
        var tree = parameters
        tree.merge(optimizerState.buffers.prefixed("optimizer"))
        return (tree, extraMetadata.merging(["completed_epochs": String(completedEpochs), "completed_steps": String(completedSteps),
                                             "optimizer_step": String(optimizerState.step), "producer": Self.producer]) { $1 })
    }

    /// Writes the checkpoint atomically to `url`, or throws
    /// ``CheckpointError/refusedNonFiniteWrite(file:key:)`` without touching `url` when a
    /// parameter or optimizer buffer is not finite.
    public func write(to url: URL) throws {
        let (tree, metadata) = contents
        try writeFiniteSafetensors(tree, metadata: metadata, to: url)
    }

    /// Reads and validates the checkpoint at `url` for a model whose freshly initialised
    /// parameters are `template` (keys, shapes and dtypes are taken from it).
    /// - Throws: ``SafetensorsError`` for an unreadable file, ``CheckpointError`` for a readable
    ///   one that is not a usable checkpoint.
    public static func read(contentsOf url: URL, template: ParameterTree,
                            trainable: (String) -> Bool = Optimizers.isTrainableByDefault) throws -> TrainingCheckpoint {
        try decode(Safetensors.read(contentsOf: url), source: url.path, template: template, trainable: trainable)
    }

    /// Validates a decoded safetensors file as a checkpoint of the model `template` is the
    /// initial parameter tree of. `source` names the file in errors.
    public static func decode(_ file: SafetensorsFile, source: String, template: ParameterTree,
                              trainable: (String) -> Bool = Optimizers.isTrainableByDefault) throws -> TrainingCheckpoint {
        func count(_ key: String, required: Bool, max: Int) throws -> Int {
            guard let v = file.metadata[key] else {
                if required { throw CheckpointError.missingMetadata(file: source, key: key) }
                return 0
            }
            guard let n = Int(v) else {
                throw CheckpointError.invalidMetadata(file: source, key: key, value: v, reason: "not a whole number")
            }
            guard (0...max).contains(n) else {
                throw CheckpointError.invalidMetadata(file: source, key: key, value: v, reason: "outside 0…\(max)")
            }
            return n
        }
        let epochs = try count("completed_epochs", required: true, max: maxEpochs)
        let optimizerStep = try count("optimizer_step", required: true, max: maxSteps)
        let steps = try count("completed_steps", required: false, max: maxSteps)

        let model = file.tensors.filter { k, _ in !k.hasPrefix("optimizer.") }
        let params: ParameterTree
        do {
            params = try template.loading(model, strict: true).tree
        } catch let ParameterTreeError.strictLoadFailed(report) {
            throw CheckpointError.parametersDoNotMatch(file: source, detail: "\(report)")
        }
        if let bad = firstNonFiniteKey(params) { throw CheckpointError.nonFiniteParameter(file: source, key: bad) }

        var buffers = ParameterTree()
        for (key, t) in file.tensors.scoped("optimizer") {
            let full = "optimizer." + key
            func fail(_ reason: String) -> CheckpointError { .invalidOptimizerState(file: source, key: full, reason: reason) }
            guard let suffix = [".exp_avg_sq", ".exp_avg", ".step"].first(where: { key.hasSuffix($0) }) else {
                throw fail("not an Adam buffer (exp_avg, exp_avg_sq or step)")
            }
            let param = String(key.dropLast(suffix.count))
            guard let p = params[param], trainable(param) else { throw fail("\(param) is not a trainable parameter of the model") }
            if suffix == ".step" {
                guard t.count == 1, t.rank <= 1 else { throw fail("a step count must be one number, found shape \(t.shape)") }
                let s = t.scalars[0]
                guard s.isFinite, s.rounded() == s, s >= 0, s <= Double(optimizerStep) else {
                    throw fail("step \(s) is not a whole number in 0…\(optimizerStep) (optimizer_step)")
                }
                buffers[key] = Tensor(scalar: s, dtype: .float64)
                continue
            }
            guard t.shape == p.shape else { throw fail("shape \(t.shape), but the parameter \(param) has \(p.shape)") }
            guard t.dtype == p.dtype else { throw fail("dtype \(t.dtype), but the parameter \(param) is \(p.dtype)") }
            guard isAllFinite(t) else { throw fail("holds NaN or infinite values") }
            if suffix == ".exp_avg_sq", t.scalars.contains(where: { $0 < 0 }) {
                throw fail("a second moment must not be negative")
            }
            buffers[key] = t
        }
        return TrainingCheckpoint(parameters: params, optimizerState: OptimizerState(step: optimizerStep, buffers: buffers),
                                  completedEpochs: epochs, completedSteps: steps)
    }

    /// The model entries of a parameter file given as a starting point (`--init`, `--dense`,
    /// `--bayes`): all its tensors, without the `optimizer.` entries when the file is a
    /// checkpoint. They must be finite.
    /// - Throws: ``SafetensorsError`` for an unreadable file,
    ///   ``CheckpointError/nonFiniteParameter(file:key:)`` naming a NaN or infinite entry.
    public static func modelParameters(contentsOf url: URL) throws -> ParameterTree {
        try modelParameters(of: Safetensors.read(contentsOf: url), source: url.path)
    }

    /// As ``modelParameters(contentsOf:)`` for a decoded file; `source` names it in errors.
    public static func modelParameters(of file: SafetensorsFile, source: String) throws -> ParameterTree {
        let tree = file.metadata["producer"] == producer ? file.tensors.filter { k, _ in !k.hasPrefix("optimizer.") } : file.tensors
        if let bad = firstNonFiniteKey(tree) { throw CheckpointError.nonFiniteParameter(file: source, key: bad) }
        return tree
    }
}
