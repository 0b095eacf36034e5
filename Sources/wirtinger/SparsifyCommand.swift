import Foundation
import Recipes

let sparsifySpec = CommandSpec(
    name: "sparsify",
    summary: """
    Train a network dense, move its weights into variational-dropout / ARD / L0 layers, train with the KL
    penalty, compute relevance masks at a threshold, and fine-tune the masked network. Writes
    dense.safetensors, bayes.safetensors, masked.safetensors, report.json and SVG figures into --out.
    Without --mnist it runs on built-in data: 28×28 glyphs for real models, noisy I/Q modulations
    (BPSK … 64QAM) for complex ones.
    """,
    positionals: [],
    options: [
        OptionSpec(name: "model", valueName: "NAME", help: "mlp | lenet300 | lenet5 | cplx-mlp | cplx-conv", defaultValue: "mlp"),
        OptionSpec(name: "complex", valueName: nil, help: "use the complex counterpart of the model (mlp → cplx-mlp, lenet5 → cplx-conv)", defaultValue: nil),
        OptionSpec(name: "method", valueName: "NAME", help: "vd | ard | l0", defaultValue: "vd"),
        OptionSpec(name: "threshold", valueName: "T", help: "log α threshold of the masks", defaultValue: "-0.5"),
        OptionSpec(name: "epochs", valueName: "D,B,F", help: "epochs of the dense, Bayesian and fine-tuning stages", defaultValue: "3,6,2"),
        OptionSpec(name: "batch-size", valueName: "N", help: "examples per step", defaultValue: "128"),
        OptionSpec(name: "lr", valueName: "RATE", help: "Adam learning rate", defaultValue: "0.001"),
        OptionSpec(name: "kl-weight", valueName: "C", help: "penalty weight: loss = CE + C/N · Σ KL", defaultValue: "1"),
        OptionSpec(name: "hidden", valueName: "N", help: "hidden width of mlp / cplx-mlp", defaultValue: nil),
        OptionSpec(name: "seed", valueName: "N", help: "random seed", defaultValue: "0"),
        OptionSpec(name: "out", valueName: "DIR", help: "output directory", defaultValue: "sparsify-out"),
        OptionSpec(name: "dense", valueName: "FILE", help: "skip the dense stage: start the Bayesian stage from FILE (a dense.safetensors or a `wirtinger train` checkpoint)", defaultValue: nil),
        OptionSpec(name: "bayes", valueName: "FILE", help: "skip the dense and Bayesian stages: take the trained Bayesian model from FILE (a bayes.safetensors or a `wirtinger train` checkpoint)", defaultValue: nil),
        scheduleOption, warmupOption, threadsOption,
        OptionSpec(name: "no-check-finite", valueName: nil, help: "skip the per-step NaN/Inf check", defaultValue: nil),
    ] + dataOptions)

func runSparsify(_ args: CommandSpec.Parsed) throws {
    var config = SparsifyConfig()
    var arch = try args.choice("model", Architecture.self)!
    if args.flags.contains("complex") {
        switch arch {
        case .mlp, .lenet300: arch = .cplxMLP
        case .lenet5: arch = .cplxConv
        case .cplxMLP, .cplxConv: break
        }
    }
    config.architecture = arch
    guard let method = try args.choice("method", LayerFlavor.self), method.isBayesian else {
        throw UsageError(message: "--method: '\(args.string("method")!)' is not one of vd, ard, l0")
    }
    if method == .l0 && arch.isComplex { throw UsageError(message: "--method l0 exists for real models only (cplxmodule has no complex L0)") }
    config.method = method
    config.threshold = try args.double("threshold", .finite)!
    config.hidden = try args.int("hidden", in: 1...100_000)
    let seed = UInt64(try args.int("seed", in: 0...Int.max)!)
    config.seed = seed
    let epochs = args.string("epochs")!.split(separator: ",").map { Int($0) }
    guard epochs.count == 3, epochs.allSatisfy({ $0 != nil && $0! >= 0 }) else {
        throw UsageError(message: "--epochs: expected three non-negative integers like 3,6,2, got '\(args.string("epochs")!)'")
    }
    for (i, stage) in [\SparsifyConfig.dense, \SparsifyConfig.bayes, \SparsifyConfig.finetune].enumerated() {
        config[keyPath: stage].epochs = epochs[i]!
        config[keyPath: stage].batchSize = try args.int("batch-size", in: 1...1_000_000)!
        config[keyPath: stage].learningRate = try args.double("lr", .positive)!
        config[keyPath: stage].klWeight = try args.double("kl-weight", .nonNegative)!
        config[keyPath: stage].seed = seed &+ UInt64(i)
        config[keyPath: stage].checkFinite = !args.flags.contains("no-check-finite")
        try applySchedules(args, to: &config[keyPath: stage])
    }
    try applyThreads(args)
    if let file = args.string("dense") {
        config.pretrainedDense = try readModelParameters(file)
        config.pretrainedDenseSource = file
    }
    if let file = args.string("bayes") {
        config.pretrainedBayes = try readModelParameters(file)
        config.pretrainedBayesSource = file
    }
    let out = URL(fileURLWithPath: args.string("out")!)
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)

    let (train, test) = try loadData(args, architecture: arch, seed: seed)
    say("data: \(train.name), \(train.count) training / \(test.count) test examples of shape \(train.sampleShape), \(train.classCount) classes")
    say("model: \(arch.rawValue), method: \(method.rawValue), threshold: \(config.threshold)")
    // every output must be writable, with room for the three models, before the first stage
    let names = ["dense.safetensors", "bayes.safetensors", "masked.safetensors", "report.json", "curves.svg", "threshold.svg", "layers.svg"]
    var modelBytes = 1 << 22
    for flavor in [LayerFlavor.dense, method, .masked] {
        let m = try makeClassifier(arch, flavor: flavor, sampleShape: train.sampleShape, classes: train.classCount, hidden: config.hidden)
        modelBytes += 4 * m.initialParameters(key: RandomKey(seed: 0)).parameterCount
    }
    try checkOutputsWritable(names.map { out.appendingPathComponent($0) }, expectedBytes: modelBytes)

    let progress = Progress()
    let hook = InterruptHook()
    var observer = PipelineObserver()
    var currentStage = "dense", interruptedIn: String?
    observer.stageStarted = { name, epochs in
        if interruptedIn == nil { currentStage = name }
        say("— stage \(name): \(epochs) epoch(s)")
    }
    observer.step = { name, r in
        if r.step == 0 { progress.begin("\(name) epoch \(r.epoch + 1)", total: r.stepsPerEpoch) }
        progress.update(done: r.step + 1, detail: String(format: "loss %.4f kl %.1f acc %.3f", r.dataLoss, r.penalty, r.batchAccuracy))
        hook.stepTaken()
    }
    observer.stageFinished = { s in
        say(String(format: "  %@: train accuracy %.4f, test accuracy %.4f (%.1f s)", s.name, s.trainAccuracy, s.testAccuracy, s.seconds))
    }
    observer.message = { say("  " + $0) }
    observer.shouldStop = {
        guard interruptRequested != 0 else { return false }
        if interruptedIn == nil { interruptedIn = currentStage }
        return true
    }

    let result = try sparsify(config: config, train: train, test: test, observer: observer)
    let meta = ["producer": "wirtinger sparsify", "model": arch.rawValue, "method": method.rawValue]
    let rescue = OutputRescue()
    var lost: [OutputLostError] = []
    func save(_ name: String, _ write: (URL) throws -> Void) throws {
        if let l = try rescue.write(out.appendingPathComponent(name), write) { lost.append(l) }
    }
    func saveModel(_ name: String, _ tree: ParameterTree, _ extra: [String: String]) throws {
        try save(name) { try writeFiniteSafetensors(tree, metadata: meta.merging(extra) { $1 }, to: $0) }
    }
    func reportLost() throws {
        guard !lost.isEmpty else { return }
        for l in lost { printError("error: \(l)") }
        throw ExitCode(1)
    }

    if let stage = interruptedIn {
        // Ctrl-C: the stages up to the interrupted one are kept under names that say they are
        // partial (complete results of an earlier run in --out are left alone); exit 130
        let order = ["dense", method.rawValue, "masked"]
        let upTo = order.firstIndex(of: stage) ?? 0
        var written: [String] = []
        for (i, (name, tree)) in [("dense", result.dense), ("bayes", result.bayes), ("masked", result.masked)].enumerated()
        where i <= upTo && !tree.isEmpty {
            let file = "\(name).interrupted.safetensors"
            try saveModel(file, tree, ["stage": name, "interrupted": i == upTo ? "during stage \(stage)" : "after stage \(order[i])"])
            written.append(file)
        }
        say("interrupted during stage \(stage): wrote \(written.isEmpty ? "nothing" : written.joined(separator: ", ")) to \(out.path) "
            + "(partial results; no report or figures)")
        try reportLost()
        throw ExitCode(130)
    }

    if !result.dense.isEmpty { try saveModel("dense.safetensors", result.dense, ["stage": "dense"]) }
    try saveModel("bayes.safetensors", result.bayes, ["stage": "bayes"])
    try saveModel("masked.safetensors", result.masked, ["stage": "masked", "threshold": String(config.threshold)])

    say("\nper-layer sparsity (masked model):")
    for l in result.layers {
        say(String(format: "  %-24@ kept %8d / %8d  (%.2f%%)", l.path as NSString, l.kept, l.total, 100 * l.keptFraction))
    }
    say(String(format: "compression ratio: %.1f×  (a complex weight counts as two reals)", result.compressionRatio))

    let report = try reportJSON(result, config: config, train: train)
    try save("report.json") { try report.write(to: $0, options: .atomic) }
    for (name, svg) in figures(result, config: config) {
        try save(name) { try svg.write(to: $0, atomically: true, encoding: .utf8) }
    }
    try reportLost()
    let written = (result.dense.isEmpty ? [] : ["dense.safetensors"])
        + ["bayes.safetensors", "masked.safetensors", "report.json", "curves.svg", "threshold.svg", "layers.svg"]
    say("wrote \(written.joined(separator: ", ")) to \(out.path)")
}

/// report.json: the configuration, the stages, the sweep and the per-layer sparsity.
func reportJSON(_ r: SparsifyResult, config: SparsifyConfig, train: LabeledDataset) throws -> Data {
    struct Report: Codable {
        var model: String, method: String, threshold: Double, dataset: String, trainExamples: Int
        var stages: [StageSummary], sweep: [SweepPoint], layers: [LayerSparsity]
        var compressionRatio: Double, bayesLoad: [String: [String]], maskedLoad: [String: [String]]
    }
    func loadDict(_ l: LoadReport) -> [String: [String]] { ["missing": l.missing, "unexpected": l.unexpected] }
    let report = Report(model: config.architecture.rawValue, method: config.method.rawValue, threshold: config.threshold,
                        dataset: train.name, trainExamples: train.count, stages: r.stages, sweep: r.sweep, layers: r.layers,
                        compressionRatio: r.compressionRatio.isFinite ? r.compressionRatio : -1,
                        bayesLoad: loadDict(r.bayesLoad), maskedLoad: loadDict(r.maskedLoad))
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try enc.encode(report)
}

/// The SVG figures by file name: training curves, the threshold sweep, kept fraction per layer.
func figures(_ r: SparsifyResult, config: SparsifyConfig) -> [(name: String, svg: String)] {
    var curves = SVGChart(title: "Training curves", xLabel: "epoch (all stages)", yLabel: "mean cross entropy",
                          y2Label: "mean Σ penalty")
    var offset = 0.0
    for (i, s) in r.stages.enumerated() {
        let pts = s.epochLoss.enumerated().map { (x: offset + Double($0.offset + 1), y: $0.element) }
        curves.series.append(.init(name: "\(s.name): cross entropy", points: pts, color: SVGChart.palette[i % 6]))
        if s.epochPenalty.contains(where: { $0 > 0 }) {
            let pp = s.epochPenalty.enumerated().map { (x: offset + Double($0.offset + 1), y: $0.element) }
            curves.series.append(.init(name: "\(s.name): penalty (right axis)", points: pp, color: SVGChart.palette[(i + 3) % 6], axis: 1))
        }
        offset += Double(s.epochLoss.count)
    }

    var sweep = SVGChart(title: "Accuracy and sparsity against the log α threshold", xLabel: "threshold (log α)",
                         yLabel: "test accuracy", y2Label: "fraction of weights dropped", yRange: 0...1, y2Range: 0...1)
    sweep.series = [.init(name: "test accuracy (before fine-tuning)", points: r.sweep.map { ($0.threshold, $0.testAccuracy) }, color: SVGChart.palette[0]),
                    .init(name: "sparsity (right axis)", points: r.sweep.map { ($0.threshold, $0.sparsity) }, color: SVGChart.palette[1], axis: 1)]

    var layers = SVGChart(title: "Kept fraction per layer at threshold \(config.threshold)", xLabel: "layer", yLabel: "kept fraction",
                          yRange: 0...1)
    layers.bars = r.layers.map { ($0.path, $0.keptFraction) }
    return [("curves.svg", curves.render()), ("threshold.svg", sweep.render()), ("layers.svg", layers.render())]
}
