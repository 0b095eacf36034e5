import Foundation

/// A model rebuilt from a parameter file alone: its ``ModelDescription`` (from the metadata), the
/// network it describes and the file's parameters, loaded strictly into it (a `wirtinger train`
/// checkpoint's `optimizer.*` entries are left out).
public struct SavedModel {
    /// The file's path, as given.
    public var file: String
    /// What the metadata say.
    public var description: ModelDescription
    /// The network of ``description``.
    public var model: any Layer<Tensor, Tensor>
    /// The file's parameters, every key of the model present with its shape and dtype.
    public var parameters: ParameterTree

    /// Reads the file at `url` and rebuilds its model.
    /// - Throws: ``SafetensorsError`` for a missing or malformed file, ``ModelDescriptionError``
    ///   for absent or unreadable `wirtinger.*` metadata or a description no model has (naming
    ///   `wirtinger.architecture`, or metadata describing a model too large for half the memory),
    ///   ``CheckpointError/parametersDoNotMatch(file:detail:)`` when the tensors are those of
    ///   another model (checked against the described model's declared shapes before it is
    ///   allocated), ``CheckpointError/nonFiniteParameter(file:key:)`` for NaN/∞.
    public static func load(contentsOf url: URL) throws -> SavedModel {
        let path = url.path
        let file = try Safetensors.read(contentsOf: url)
        let description = try ModelDescription(metadata: file.metadata, file: path)
        let model: any Layer<Tensor, Tensor>
        do {
            model = try description.makeModel()
        } catch let e as ModelError {
            // the description parses but no model has it (LeNet-5 on [1, 28, 14], complex L0, …)
            throw ModelDescriptionError.invalidValue(file: path, key: ModelDescription.Key.architecture,
                                                     value: description.architecture.rawValue, reason: "\(e)")
        }
        let tree = try TrainingCheckpoint.modelParameters(of: file, source: path)
        // the metadata's sizes against the file's tensors and the memory, before allocating the model
        let declared = try description.declaredDenseShapes(file: path)
        try description.checkDeclaredShapes(declared, against: tree.shapes, file: path)
        try description.checkFitsInMemory(declared, file: path)
        let template = model.initialParameters(key: RandomKey(seed: description.seed), dtype: description.dtype)
        // keys and shapes must match; values of another dtype are converted to the described one
        let (parameters, _) = try strictLoad(tree, into: template, source: path)
        return SavedModel(file: path, description: description, model: model, parameters: parameters)
    }

    /// For a Bayesian file (flavour `vd`, `ard`, `l0`): the masked model at log α `threshold` and
    /// its parameters, built by ``maskedParameters(_:parameters:threshold:into:)`` exactly as
    /// `sparsify` builds the masked model it sweeps and fine-tunes (template key
    /// `RandomKey(seed).fold("masked")`).
    /// - Precondition: `description.flavor.isBayesian`.
    public func masked(threshold: Double) throws -> (model: any Layer<Tensor, Tensor>, parameters: ParameterTree, load: LoadReport) {
        precondition(description.flavor.isBayesian, "SavedModel.masked: \(file) holds a \(description.flavor.rawValue) model")
        let maskedModel = try description.makeModel(flavor: .masked)
        let template = maskedModel.initialParameters(key: RandomKey(seed: description.seed).fold("masked"), dtype: description.dtype)
        let (p, report) = try maskedParameters(model, parameters: parameters, threshold: threshold, into: template)
        return (maskedModel, p, report)
    }
}

/// The test-set measurements of a model, as ``sparsify(config:train:test:observer:)`` takes them
/// after a stage: the summary (its training fields empty: `trainAccuracy` NaN, no epochs) and
/// every prediction.
/// - Parameters:
///   - name: the summary's name (`dense`, `vd`, `masked`, …).
///   - batchSize: examples per forward pass (the pipeline's is 500).
public func testSummary(name: String, model: any Layer<Tensor, Tensor>, parameters: ParameterTree, test: LabeledDataset,
                        batchSize: Int = 500) -> (summary: StageSummary, predictions: [Int]) {
    let start = Date()
    let r = predict(model, parameters: parameters, data: test, batchSize: batchSize)
    var s = StageSummary(name: name, trainAccuracy: .nan, testAccuracy: r.accuracy, testLoss: r.loss, epochLoss: [], epochPenalty: [],
                         seconds: 0)
    addSNRResults(&s, predictions: r.predictions, test: test)
    s.seconds = Date().timeIntervalSince(start)
    return (s, r.predictions)
}

/// Fills a summary's per-SNR accuracy and high-SNR confusion matrix when `test` has SNRs.
func addSNRResults(_ summary: inout StageSummary, predictions: [Int], test: LabeledDataset) {
    guard let snr = test.snr else { return }
    summary.testAccuracyBySNR = accuracyBySNR(predictions: predictions, labels: test.labels, snr: snr)
    summary.testConfusionHighSNR = confusionMatrix(predictions: predictions, labels: test.labels, classes: test.classCount,
                                                   include: { snr[$0] >= StageSummary.highSNR })
}
