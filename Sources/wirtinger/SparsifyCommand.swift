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
    config.threshold = try args.double("threshold")!
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
        config[keyPath: stage].learningRate = try args.double("lr")!
        config[keyPath: stage].klWeight = try args.double("kl-weight")!
        config[keyPath: stage].seed = seed &+ UInt64(i)
        config[keyPath: stage].checkFinite = !args.flags.contains("no-check-finite")
        try applySchedules(args, to: &config[keyPath: stage])
    }
    try applyThreads(args)
    if let file = args.string("dense") {
        config.pretrainedDense = try readModelParameters(file)
    }
    if let file = args.string("bayes") {
        config.pretrainedBayes = try readModelParameters(file)
    }
    let out = URL(fileURLWithPath: args.string("out")!)
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)

    let (train, test) = try loadData(args, architecture: arch, seed: seed)
    say("data: \(train.name), \(train.count) training / \(test.count) test examples of shape \(train.sampleShape), \(train.classCount) classes")
    say("model: \(arch.rawValue), method: \(method.rawValue), threshold: \(config.threshold)")

    let progress = Progress()
    var observer = PipelineObserver()
    observer.stageStarted = { name, epochs in say("— stage \(name): \(epochs) epoch(s)") }
    observer.step = { name, r in
        if r.step == 0 { progress.begin("\(name) epoch \(r.epoch + 1)", total: r.stepsPerEpoch) }
        progress.update(done: r.step + 1, detail: String(format: "loss %.4f kl %.1f acc %.3f", r.dataLoss, r.penalty, r.batchAccuracy))
    }
    observer.stageFinished = { s in
        say(String(format: "  %@: train accuracy %.4f, test accuracy %.4f (%.1f s)", s.name, s.trainAccuracy, s.testAccuracy, s.seconds))
    }
    observer.message = { say("  " + $0) }
    observer.shouldStop = { interruptRequested != 0 }

    let result = try sparsify(config: config, train: train, test: test, observer: observer)
    if interruptRequested != 0 { say("interrupted: writing what was computed so far") }

    let meta = ["producer": "wirtinger sparsify", "model": arch.rawValue, "method": method.rawValue]
    if !result.dense.isEmpty {
        try Safetensors.write(result.dense, metadata: meta.merging(["stage": "dense"]) { $1 }, to: out.appendingPathComponent("dense.safetensors"))
    }
    try Safetensors.write(result.bayes, metadata: meta.merging(["stage": "bayes"]) { $1 }, to: out.appendingPathComponent("bayes.safetensors"))
    try Safetensors.write(result.masked, metadata: meta.merging(["stage": "masked", "threshold": String(config.threshold)]) { $1 },
                          to: out.appendingPathComponent("masked.safetensors"))

    say("\nper-layer sparsity (masked model):")
    for l in result.layers {
        say(String(format: "  %-24@ kept %8d / %8d  (%.2f%%)", l.path as NSString, l.kept, l.total, 100 * l.keptFraction))
    }
    say(String(format: "compression ratio: %.1f×  (a complex weight counts as two reals)", result.compressionRatio))

    try writeReport(result, config: config, train: train, to: out)
    try writeFigures(result, config: config, to: out)
    let written = (result.dense.isEmpty ? [] : ["dense.safetensors"])
        + ["bayes.safetensors", "masked.safetensors", "report.json", "curves.svg", "threshold.svg", "layers.svg"]
    say("wrote \(written.joined(separator: ", ")) to \(out.path)")
}

func writeReport(_ r: SparsifyResult, config: SparsifyConfig, train: LabeledDataset, to dir: URL) throws {
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
    try enc.encode(report).write(to: dir.appendingPathComponent("report.json"), options: .atomic)
}

func writeFigures(_ r: SparsifyResult, config: SparsifyConfig, to dir: URL) throws {
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
    try curves.render().write(to: dir.appendingPathComponent("curves.svg"), atomically: true, encoding: .utf8)

    var sweep = SVGChart(title: "Accuracy and sparsity against the log α threshold", xLabel: "threshold (log α)",
                         yLabel: "test accuracy", y2Label: "fraction of weights dropped", yRange: 0...1, y2Range: 0...1)
    sweep.series = [.init(name: "test accuracy (before fine-tuning)", points: r.sweep.map { ($0.threshold, $0.testAccuracy) }, color: SVGChart.palette[0]),
                    .init(name: "sparsity (right axis)", points: r.sweep.map { ($0.threshold, $0.sparsity) }, color: SVGChart.palette[1], axis: 1)]
    try sweep.render().write(to: dir.appendingPathComponent("threshold.svg"), atomically: true, encoding: .utf8)

    var layers = SVGChart(title: "Kept fraction per layer at threshold \(config.threshold)", xLabel: "layer", yLabel: "kept fraction",
                          yRange: 0...1)
    layers.bars = r.layers.map { ($0.path, $0.keptFraction) }
    try layers.render().write(to: dir.appendingPathComponent("layers.svg"), atomically: true, encoding: .utf8)
}
