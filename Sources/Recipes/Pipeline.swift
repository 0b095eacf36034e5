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
    /// A trained dense model's parameters: when set (and `pretrainedBayes` is not), stage 1 is
    /// skipped and stage 2 starts from these (to try other Bayesian settings on one dense model).
    public var pretrainedDense: ParameterTree? = nil
    /// Names the origin of `pretrainedBayes` / `pretrainedDense` (a file path) in the
    /// ``CheckpointError/parametersDoNotMatch(file:detail:)`` a strict load of them throws.
    public var pretrainedBayesSource = "the given Bayesian parameters", pretrainedDenseSource = "the given dense parameters"
    /// Thresholds of the accuracy/sparsity sweep after stage 2.
    public var sweep: [Double] = stride(from: -3.0, through: 3.0, by: 0.5).map { $0 }

    /// The defaults: an MLP, VD at threshold −0.5, default training options for every stage (the
    /// Bayesian stage with ``defaultGateLearningRateScale`` for L0 gates), sweep −3…3 in steps of 0.5.
    public init() { bayes.gateLearningRateScale = Self.defaultGateLearningRateScale }

    /// The factor on the learning rate of L0 gates in the Bayesian stage (see
    /// ``TrainingOptions/gateLearningRateScale``): 30, so that at Adam's 1e-3 a useless gate closes
    /// (`log_alpha` from −2.2 past 2.4) in about 150 steps, within the default six epochs.
    public static let defaultGateLearningRateScale = 30.0
}

/// Accuracy and losses of one stage.
public struct StageSummary: Sendable, Codable {
    /// `dense`, the method's name (`vd`, `ard`, `l0`) or `masked`.
    public var name: String
    /// Accuracy (fraction in [0, 1]) on the training set after the stage, evaluation mode (on its first
    /// ``trainEvaluationLimit`` examples when it is larger).
    public var trainAccuracy: Double
    /// Accuracy (fraction in [0, 1]) on the test set after the stage, evaluation mode.
    public var testAccuracy: Double
    /// Mean cross entropy per test example after the stage.
    public var testLoss: Double
    /// Mean data loss (batch cross entropy) of each epoch.
    public var epochLoss: [Double]
    /// Mean penalty of each epoch (the unweighted Σ of the model's penalties, per step).
    public var epochPenalty: [Double]
    /// Wall-clock duration of the stage, including the two evaluations.
    public var seconds: Double
    /// Test accuracy per SNR, when the test set carries SNRs (radio signals); nil otherwise.
    public var testAccuracyBySNR: [SNRAccuracy]? = nil
    /// Confusion matrix `[true][predicted]` over the test examples with SNR ≥ ``highSNR`` dB, when
    /// the test set carries SNRs.
    public var testConfusionHighSNR: [[Int]]? = nil
    /// The SNR (dB) from which ``testConfusionHighSNR`` counts: 10.
    public static let highSNR = 10.0
    /// Largest number of training examples ``trainAccuracy`` is measured on (the first ones):
    /// 5000, so that a large training set does not double a stage's evaluation time.
    public static let trainEvaluationLimit = 5000
}

/// One point of the threshold sweep.
public struct SweepPoint: Sendable, Codable {
    /// The log α threshold of the masks.
    public var threshold: Double
    /// Test accuracy (fraction in [0, 1]) of the masked model at this threshold, before fine-tuning.
    public var testAccuracy: Double
    /// Fraction of (real) weights dropped over the masked layers.
    public var sparsity: Double
}

/// Kept and total weights of one layer (a complex weight counts as two reals).
public struct LayerSparsity: Sendable, Codable {
    /// Dotted path of the layer (`classifier.0`).
    public var path: String
    /// Weights with a nonzero mask (a complex weight counts as two).
    public var kept: Int
    /// All weights of the layer (a complex weight counts as two).
    public var total: Int
    /// `kept / total` (1 for a layer without weights).
    public var keptFraction: Double { total == 0 ? 1 : Double(kept) / Double(total) }
}

/// Everything the pipeline produced.
public struct SparsifyResult: Sendable {
    /// Parameters after stage 1 (empty when the config gave `pretrainedBayes`).
    public var dense: ParameterTree
    /// Parameters of the Bayesian model after stage 2 (or the given `pretrainedBayes`).
    public var bayes: ParameterTree
    /// Parameters of the masked model after fine-tuning, including its `mask` entries.
    public var masked: ParameterTree
    /// One summary per stage that ran, in order.
    public var stages: [StageSummary]
    /// Test accuracy and sparsity at each threshold of `SparsifyConfig.sweep`.
    public var sweep: [SweepPoint]
    /// Kept/total weights of each masked layer of the final model.
    public var layers: [LayerSparsity]
    /// What the load into the Bayesian model reported (non-strict from the dense tree; strict from
    /// `pretrainedBayes`).
    public var bayesLoad: LoadReport
    /// What the non-strict load into the masked model at the chosen threshold reported.
    public var maskedLoad: LoadReport
    /// total weights / kept weights over the masked layers.
    public var compressionRatio: Double {
        let kept = layers.reduce(0) { $0 + $1.kept }, total = layers.reduce(0) { $0 + $1.total }
        return kept == 0 ? .infinity : Double(total) / Double(kept)
    }
}

/// Callbacks of the pipeline, for progress display.
public struct PipelineObserver {
    /// Called with the stage name and its number of epochs when a stage begins.
    public var stageStarted: (String, Int) -> Void = { _, _ in }
    /// Called after every optimisation step with the stage name and the step's report.
    public var step: (String, StepReport) -> Void = { _, _ in }
    /// Called with the summary when a stage ends.
    public var stageFinished: (StageSummary) -> Void = { _ in }
    /// Called with a human-readable note (what a non-strict load matched, skipped stages).
    public var message: (String) -> Void = { _ in }
    /// Polled between steps and sweep points; returning true ends the run early.
    public var shouldStop: () -> Bool = { false }
    /// An observer whose callbacks do nothing and which never asks to stop.
    public init() {}
}

/// Per-layer kept/total weights of a masked model's tree (masks ≠ 0 count as kept; a complex
/// weight counts as two reals): the prunable-weight columns of ``CompressionReport``.
public func maskedLayerSparsity(_ model: some Module, parameters: ParameterTree) -> [LayerSparsity] {
    CompressionReport(model, parameters: parameters, threshold: 0, hard: true).layers
        .filter { $0.weightsTotal > 0 }
        .map { LayerSparsity(path: $0.path, kept: Int($0.weightsKept), total: $0.weightsTotal) }
}

/// The masked model's parameters from a Bayesian model's at a log α `threshold`: relevance masks
/// (``computeARDMasks(_:parameters:threshold:hard:)``, hard), binarised
/// (``binarizeMasks(_:masks:)``), and the weights with their masks loaded non-strictly into
/// `template` (the masked model's initial parameters). What `sparsify` fine-tunes, sweeps and
/// `wirtinger evaluate` / `inspect --threshold` measure for a Bayesian file.
public func maskedParameters(_ bayesModel: some Module, parameters bayes: ParameterTree, threshold: Double,
                             into template: ParameterTree) throws -> (ParameterTree, LoadReport) {
    let masks = computeARDMasks(bayesModel, parameters: bayes, threshold: threshold, hard: true)
    let (sd, binary) = binarizeMasks(bayes, masks: masks)
    return try template.loading(sd.merging(binary), strict: false)
}

/// `target.loading(source, strict: true)`, with a failure reported as
/// ``CheckpointError/parametersDoNotMatch(file:detail:)`` naming `name`.
func strictLoad(_ source: ParameterTree, into target: ParameterTree, source name: String) throws -> (ParameterTree, LoadReport) {
    do {
        return try target.loading(source, strict: true)
    } catch let ParameterTreeError.strictLoadFailed(report) {
        throw CheckpointError.parametersDoNotMatch(file: name, detail: "\(report)")
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
        // the training accuracy is a check, not a result: a prefix of at most trainEvaluationLimit examples
        let trainEval = evaluate(model, parameters: out,
                                 data: train.count > StageSummary.trainEvaluationLimit ? train.subset(0..<StageSummary.trainEvaluationLimit) : train)
        let testEval = predict(model, parameters: out, data: test)
        func meanOf(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
        var summary = StageSummary(name: name, trainAccuracy: trainEval.accuracy, testAccuracy: testEval.accuracy, testLoss: testEval.loss,
                                   epochLoss: losses.map(meanOf), epochPenalty: pens.map(meanOf), seconds: Date().timeIntervalSince(start))
        addSNRResults(&summary, predictions: testEval.predictions, test: test)
        stages.append(summary)
        observer.stageFinished(summary)
        return out
    }

    var options = config.dense; options.klWeight = 0
    let dense: ParameterTree, bayes: ParameterTree, bayesLoad: LoadReport
    if let pretrained = config.pretrainedBayes {
        // start from a trained Bayesian model: its keys must match the architecture exactly
        dense = ParameterTree()
        (bayes, bayesLoad) = try strictLoad(pretrained, into: bayesModel.initialParameters(key: key.fold("bayes")),
                                            source: config.pretrainedBayesSource)
        observer.message("using the given \(config.method.rawValue) parameters; stages dense and \(config.method.rawValue) skipped")
    } else {
        // 1. dense (or the given dense parameters, loaded strictly)
        if let pretrained = config.pretrainedDense {
            (dense, _) = try strictLoad(pretrained, into: denseModel.initialParameters(key: key.fold("dense")),
                                        source: config.pretrainedDenseSource)
            observer.message("using the given dense parameters; stage dense skipped")
        } else {
            dense = try runStage("dense", denseModel, denseModel.initialParameters(key: key.fold("dense")), options)
        }
        // 2. Bayesian, initialised from the dense weights
        let (bayesInit, report) = try bayesModel.initialParameters(key: key.fold("bayes")).loading(dense, strict: false)
        bayesLoad = report
        observer.message("dense → \(config.method.rawValue): \(bayesLoad)")
        bayes = try runStage(config.method.rawValue, bayesModel, bayesInit, config.bayes)
    }

    // threshold sweep (masked model evaluated without fine-tuning)
    func maskedParameters(threshold: Double) throws -> (ParameterTree, LoadReport) {
        try Recipes.maskedParameters(bayesModel, parameters: bayes, threshold: threshold,
                                     into: maskedModel.initialParameters(key: key.fold("masked")))
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
