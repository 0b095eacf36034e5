import Foundation

/// The seed's sparsification recipe as one configurable procedure:
/// dense training → Bayesian layers by non-strict load → training with the KL penalty →
/// relevance masks at a threshold → binarize → masked layers by non-strict load → fine-tuning.
public struct SparsifyConfig: Sendable {
    /// The network.
    public var architecture: Architecture = .mlp
    /// The Bayesian flavour of stage 2: `.vd`, `.ard` or `.l0`.
    public var method: LayerFlavor = .vd
    /// log α threshold of the masks (VD/ARD; L0 masks are the hard gates).
    public var threshold: Double = -0.5
    /// Hidden width override for the MLPs.
    public var hidden: Int? = nil
    /// Seed of parameter initialisation (each stage derives its own).
    public var seed: UInt64 = 0
    /// Stage 1 (dense), 2 (Bayesian) and 3 (masked fine-tuning) settings.
    public var dense = TrainingOptions(), bayes = TrainingOptions(), finetune = TrainingOptions()
    /// A trained Bayesian model's parameters: when set, stages 1 and 2 are skipped and the
    /// masks are computed from these (to try other thresholds or longer fine-tuning).
    public var pretrainedBayes: ParameterTree? = nil
    /// Thresholds of the accuracy/sparsity sweep after stage 2.
    public var sweep: [Double] = stride(from: -3.0, through: 3.0, by: 0.5).map { $0 }

    public init() {}
}

/// Accuracy and losses of one stage.
public struct StageSummary: Sendable, Codable {
    public var name: String
    public var trainAccuracy: Double
    public var testAccuracy: Double
    public var testLoss: Double
    /// Mean data loss and mean penalty per epoch.
    public var epochLoss: [Double]
    public var epochPenalty: [Double]
    public var seconds: Double
}

/// One point of the threshold sweep.
public struct SweepPoint: Sendable, Codable {
    public var threshold: Double
    public var testAccuracy: Double
    /// Fraction of (real) weights dropped over the masked layers.
    public var sparsity: Double
}

/// Kept and total weights of one layer (a complex weight counts as two reals).
public struct LayerSparsity: Sendable, Codable {
    public var path: String
    public var kept: Int
    public var total: Int
    public var keptFraction: Double { total == 0 ? 1 : Double(kept) / Double(total) }
}

/// Everything the pipeline produced.
public struct SparsifyResult: Sendable {
    public var dense: ParameterTree
    public var bayes: ParameterTree
    public var masked: ParameterTree
    public var stages: [StageSummary]
    public var sweep: [SweepPoint]
    public var layers: [LayerSparsity]
    /// What the non-strict loads reported (stage 2 and 3).
    public var bayesLoad: LoadReport
    public var maskedLoad: LoadReport
    /// total weights / kept weights over the masked layers.
    public var compressionRatio: Double {
        let kept = layers.reduce(0) { $0 + $1.kept }, total = layers.reduce(0) { $0 + $1.total }
        return kept == 0 ? .infinity : Double(total) / Double(kept)
    }
}

/// Callbacks of the pipeline, for progress display.
public struct PipelineObserver {
    public var stageStarted: (String, Int) -> Void = { _, _ in }
    public var step: (String, StepReport) -> Void = { _, _ in }
    public var stageFinished: (StageSummary) -> Void = { _ in }
    public var message: (String) -> Void = { _ in }
    public var shouldStop: () -> Bool = { false }
    public init() {}
}

/// Per-layer kept/total weights of a masked model's tree (masks ≠ 0 count as kept).
public func maskedLayerSparsity(_ model: some Module, parameters: ParameterTree) -> [LayerSparsity] {
    namedMasks(model, parameters: parameters).compactMap { path, mask in
        guard let mask else { return nil }
        let prefix = path.isEmpty ? "" : path + "."
        let isComplex = parameters.contains(prefix + "weight.real")
        let kept = mask.scalars.filter { $0 != 0 }.count
        let factor = isComplex ? 2 : 1
        return LayerSparsity(path: path, kept: kept * factor, total: mask.count * factor)
    }
}

/// Runs the whole recipe on `train`/`test` data. Stops early (returning what it has) when
/// `observer.shouldStop()` turns true.
public func sparsify(config: SparsifyConfig, train: LabeledDataset, test: LabeledDataset,
                     observer: PipelineObserver = PipelineObserver()) throws -> SparsifyResult {
    let shape = train.sampleShape, classes = train.classCount
    let denseModel = try makeClassifier(config.architecture, flavor: .dense, sampleShape: shape, classes: classes, hidden: config.hidden)
    let bayesModel = try makeClassifier(config.architecture, flavor: config.method, sampleShape: shape, classes: classes, hidden: config.hidden)
    let maskedModel = try makeClassifier(config.architecture, flavor: .masked, sampleShape: shape, classes: classes, hidden: config.hidden)
    let key = RandomKey(seed: config.seed)
    var stages: [StageSummary] = []

    func runStage(_ name: String, _ model: any Layer<Tensor, Tensor>, _ params: ParameterTree, _ options: TrainingOptions) throws -> ParameterTree {
        let start = Date()
        observer.stageStarted(name, options.epochs)
        var losses: [[Double]] = Array(repeating: [], count: options.epochs)
        var pens: [[Double]] = Array(repeating: [], count: options.epochs)
        let out = try Recipes.train(model, parameters: params, data: train, options: options, onStep: { r in
            losses[r.epoch].append(r.dataLoss); pens[r.epoch].append(r.penalty)
            observer.step(name, r)
        }, shouldStop: observer.shouldStop).parameters
        let trainEval = evaluate(model, parameters: out, data: train)
        let testEval = evaluate(model, parameters: out, data: test)
        func meanOf(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
        let summary = StageSummary(name: name, trainAccuracy: trainEval.accuracy, testAccuracy: testEval.accuracy, testLoss: testEval.loss,
                                   epochLoss: losses.map(meanOf), epochPenalty: pens.map(meanOf), seconds: Date().timeIntervalSince(start))
        stages.append(summary)
        observer.stageFinished(summary)
        return out
    }

    var options = config.dense; options.klWeight = 0
    let dense: ParameterTree, bayes: ParameterTree, bayesLoad: LoadReport
    if let pretrained = config.pretrainedBayes {
        // start from a trained Bayesian model: its keys must match the architecture exactly
        dense = ParameterTree()
        (bayes, bayesLoad) = try bayesModel.initialParameters(key: key.fold("bayes")).loading(pretrained, strict: true)
        observer.message("using the given \(config.method.rawValue) parameters; stages dense and \(config.method.rawValue) skipped")
    } else {
        // 1. dense
        dense = try runStage("dense", denseModel, denseModel.initialParameters(key: key.fold("dense")), options)
        // 2. Bayesian, initialised from the dense weights
        let (bayesInit, report) = try bayesModel.initialParameters(key: key.fold("bayes")).loading(dense, strict: false)
        bayesLoad = report
        observer.message("dense → \(config.method.rawValue): \(bayesLoad)")
        bayes = try runStage(config.method.rawValue, bayesModel, bayesInit, config.bayes)
    }

    // threshold sweep (masked model evaluated without fine-tuning)
    func maskedParameters(threshold: Double) throws -> (ParameterTree, LoadReport) {
        let masks = computeARDMasks(bayesModel, parameters: bayes, threshold: threshold, hard: true)
        let (sd, binary) = binarizeMasks(bayes, masks: masks)
        return try maskedModel.initialParameters(key: key.fold("masked")).loading(sd.merging(binary), strict: false)
    }
    var sweep: [SweepPoint] = []
    for t in config.sweep where !observer.shouldStop() {
        let (p, _) = try maskedParameters(threshold: t)
        let layers = maskedLayerSparsity(maskedModel, parameters: p)
        let kept = layers.reduce(0) { $0 + $1.kept }, total = layers.reduce(0) { $0 + $1.total }
        sweep.append(SweepPoint(threshold: t, testAccuracy: evaluate(maskedModel, parameters: p, data: test).accuracy,
                                sparsity: total == 0 ? 0 : 1 - Double(kept) / Double(total)))
    }

    // 3. masked fine-tuning at the chosen threshold
    let (maskedInit, maskedLoad) = try maskedParameters(threshold: config.threshold)
    observer.message("\(config.method.rawValue) → masked at threshold \(config.threshold): \(maskedLoad)")
    options = config.finetune; options.klWeight = 0
    let masked = try runStage("masked", maskedModel, maskedInit, options)

    return SparsifyResult(dense: dense, bayes: bayes, masked: masked, stages: stages, sweep: sweep,
                          layers: maskedLayerSparsity(maskedModel, parameters: masked), bayesLoad: bayesLoad, maskedLoad: maskedLoad)
}
