import Foundation
import Recipes
import Wirtinger

let sparsifySpec = CommandSpec(
    name: "sparsify",
    summary: """
    Train a network dense, move its weights into variational-dropout / ARD / L0 layers, train with the KL
    penalty, compute relevance masks at a threshold, and fine-tune the masked network. Writes
    dense.safetensors, bayes.safetensors, masked.safetensors, report.json and SVG figures into --out.
    Without --data or --mnist it runs on built-in data: 28×28 glyphs for real models, radio signals (11
    modulations, 128 I/Q samples, SNR −10…20 dB; Docs/RadioSignals.md) for complex ones.
    """,
    positionals: [],
    options: [
        OptionSpec(name: "model", valueName: "NAME", help: "mlp | lenet300 | lenet5 | cplx-mlp | cplx-conv (default: mlp, or cplx-conv with --complex)", defaultValue: nil),
        OptionSpec(name: "complex", valueName: nil, help: "use a complex model: cplx-conv, or the complex counterpart of --model (mlp, lenet300 → cplx-mlp, lenet5 → cplx-conv)", defaultValue: nil),
        OptionSpec(name: "method", valueName: "NAME", help: "vd | ard | l0", defaultValue: "vd"),
        OptionSpec(name: "threshold", valueName: "T", help: "log α threshold of the masks", defaultValue: "-0.5"),
        OptionSpec(name: "epochs", valueName: "D,B,F", help: "epochs of the dense, Bayesian and fine-tuning stages (default 3,6,2; cplx-conv: \(complexConvDefaults.epochs))", defaultValue: nil),
        OptionSpec(name: "batch-size", valueName: "N", help: "examples per step", defaultValue: "128"),
        OptionSpec(name: "lr", valueName: "RATE", help: "Adam learning rate (default 0.001; cplx-conv: \(complexConvDefaults.lr))", defaultValue: nil),
        OptionSpec(name: "kl-weight", valueName: "C", help: "penalty weight: loss = CE + C/N · Σ KL (default 1; cplx-conv: \(complexConvDefaults.klWeight))", defaultValue: nil),
        OptionSpec(name: "hidden", valueName: "N", help: "hidden width of mlp / cplx-mlp, first width of the cplx-conv signal network", defaultValue: nil),
        OptionSpec(name: "seed", valueName: "N", help: "random seed", defaultValue: "0"),
        OptionSpec(name: "out", valueName: "DIR", help: "output directory", defaultValue: "sparsify-out"),
        OptionSpec(name: "force", valueName: nil, help: "replace the models and report an earlier run left in --out", defaultValue: nil),
        OptionSpec(name: "dense", valueName: "FILE", help: "skip the dense stage: start the Bayesian stage from FILE (a dense.safetensors or a `wirtinger train` checkpoint)", defaultValue: nil),
        OptionSpec(name: "bayes", valueName: "FILE", help: "skip the dense and Bayesian stages: take the trained Bayesian model from FILE (a bayes.safetensors or a `wirtinger train` checkpoint)", defaultValue: nil),
        OptionSpec(name: "gate-lr-scale", valueName: "F", help: "learning-rate factor of the L0 gates (log_alpha) in the Bayesian stage", defaultValue: "30"),
        OptionSpec(name: "lr-schedule", valueName: "NAME",
                   help: "constant | linear (decay to 0 over each stage, as Molchanov et al. 2017; default constant, cplx-conv: linear)",
                   defaultValue: nil),
        warmupOption, threadsOption,
        OptionSpec(name: "no-check-finite", valueName: nil, help: "skip the per-step NaN/Inf check", defaultValue: nil),
    ] + dataOptions)

/// The schedule `sparsify` uses for `cplx-conv` unless `--epochs`, `--lr`, `--kl-weight` or
/// `--lr-schedule` say otherwise: the signal network needs more steps than the MLPs on the glyphs,
/// and KL weight 5 to reach 20× (Docs/Results.md, "Modulation recognition").
let complexConvDefaults = (epochs: "8,8,2", lr: 0.003, klWeight: 5.0, linearSchedule: true)

/// `wirtinger sparsify`: the data and the configuration from the options, a check that every
/// output can be written, the three stages, then the models, the report and the figures (or, after
/// Ctrl-C or SIGTERM, the finished stages under names that say they are partial, and exit 130 or 143).
func runSparsify(_ args: CommandSpec.Parsed) throws {
    let seed = UInt64(try args.int("seed", in: 0...Int.max)!)
    let modelGiven = try args.choice("model", Architecture.self)
    let (train, test, complexData) = try loadData(args, complex: args.flags.contains("complex") || (modelGiven?.isComplex ?? false), seed: seed)
    let config = try sparsifyConfig(args, architecture: try chooseArchitecture(args, complexData: complexData), seed: seed)
    try checkModelFitsInMemory(config.architecture, sampleShape: train.sampleShape, classes: train.classCount, hidden: config.hidden)
    try applyThreads(args)
    let out = URL(fileURLWithPath: args.string("out")!)
    try createOutputDirectory(out, option: "out")
    if !args.flags.contains("force") {
        // a run's results are not replaced silently (as `train` does not replace a checkpoint)
        let earlier = SparsifyOutputs.resultNames.filter { FileManager.default.fileExists(atPath: out.appendingPathComponent($0).path) }
        if !earlier.isEmpty {
            throw UsageError(message: "--out: \(out.path) holds \(earlier.joined(separator: ", ")) of an earlier run; "
                             + "pass --force to replace them or choose another --out")
        }
    }

    say("data: \(train.name), \(train.count) training / \(test.count) test examples of shape \(train.sampleShape), \(train.classCount) classes")
    say("model: \(config.architecture.rawValue), method: \(config.method.rawValue), threshold: \(config.threshold)")
    say(kernelsLine())
    try checkSparsifyOutputs(in: out, config: config, train: train)

    let run = SparsifyRunState(classNames: test.classNames)
    let result = try sparsify(config: config, train: train, test: test, observer: run.observer())
    let outputs = SparsifyOutputs(directory: out, config: config, train: train,
                                  source: dataSource(args, complexData: complexData, seed: seed, train: train, test: test))
    if let stage = run.interruptedIn {
        try outputs.writeInterrupted(result, stage: stage)
        throw ExitCode(interruptExitStatus)
    }
    try outputs.writeResults(result)
}

/// The pipeline configuration from the options: method, threshold, width, the three stages'
/// epochs, batch size, learning rate, schedule and KL weight (`complexConvDefaults` for
/// `cplx-conv` unless given), the L0 gate rate and the `--dense` / `--bayes` starting points.
func sparsifyConfig(_ args: CommandSpec.Parsed, architecture arch: Architecture, seed: UInt64) throws -> SparsifyConfig {
    var config = SparsifyConfig()
    config.architecture = arch
    let given = args.string("method") ?? ""
    guard let method = LayerFlavor(rawValue: given), method.isBayesian else {
        let bayesian = LayerFlavor.allCases.filter(\.isBayesian).map(\.rawValue)
        throw UsageError(message: "--method: '\(given)' is not one of \(bayesian.joined(separator: ", "))")
    }
    if method == .l0 && arch.isComplex { throw UsageError(message: "--method l0 exists for real models only (cplxmodule has no complex L0)") }
    config.method = method
    config.threshold = try args.double("threshold", .finite)!
    config.hidden = try args.int("hidden", in: 1...100_000)
    config.seed = seed
    let epochsText = args.string("epochs") ?? (arch == .cplxConv ? complexConvDefaults.epochs : "3,6,2")
    let epochs = epochsText.split(separator: ",").map { Int($0) }
    guard epochs.count == 3, epochs.allSatisfy({ $0 != nil && $0! >= 0 }) else {
        throw UsageError(message: "--epochs: expected three non-negative integers like 3,6,2, got '\(epochsText)'")
    }
    for (i, stage) in [\SparsifyConfig.dense, \SparsifyConfig.bayes, \SparsifyConfig.finetune].enumerated() {
        config[keyPath: stage].epochs = epochs[i]!
        config[keyPath: stage].batchSize = try args.int("batch-size", in: 1...1_000_000)!
        config[keyPath: stage].learningRate = try args.double("lr", .positive) ?? (arch == .cplxConv ? complexConvDefaults.lr : 0.001)
        config[keyPath: stage].klWeight = try args.double("kl-weight", .nonNegative) ?? (arch == .cplxConv ? complexConvDefaults.klWeight : 1)
        config[keyPath: stage].seed = seed &+ UInt64(i)
        config[keyPath: stage].checkFinite = !args.flags.contains("no-check-finite")
        try applySchedules(args, to: &config[keyPath: stage])
        if arch == .cplxConv && complexConvDefaults.linearSchedule && args.string("lr-schedule") == nil {
            config[keyPath: stage].learningRateSchedule = .linear(final: 0)
        }
    }
    guard let gateScale = try args.double("gate-lr-scale"), gateScale > 0 else {
        throw UsageError(message: "--gate-lr-scale: expected a positive number, got '\(args.string("gate-lr-scale")!)'")
    }
    config.bayes.gateLearningRateScale = gateScale
    if let file = args.string("dense") {
        config.pretrainedDense = try readModelParameters(file)
        config.pretrainedDenseSource = file
    }
    if let file = args.string("bayes") {
        config.pretrainedBayes = try readModelParameters(file)
        config.pretrainedBayesSource = file
    }
    return config
}

/// Every output of `sparsify` must be writable in `out`, with room for the three models, before
/// the first stage starts (``checkOutputsWritable(_:expectedBytes:)``).
///
/// The room asked for is an upper bound counted from the dense model's `P` parameters
/// (``denseParameterCount(_:sampleShape:classes:hidden:)``, nothing allocated): float32 dense
/// weights `4P`, the Bayesian file at most twice that (a log σ² or log α per weight), the masked
/// file the same (a mask per weight): `20P` bytes, plus 4 MiB for headers, report and charts.
func checkSparsifyOutputs(in out: URL, config: SparsifyConfig, train: LabeledDataset) throws {
    let names = ["dense.safetensors", "bayes.safetensors", "masked.safetensors", "report.json", "curves.svg", "threshold.svg",
                 "tradeoff.svg", "layers.svg", "snr.svg", "inputs.svg"]
    let count = try denseParameterCount(config.architecture, sampleShape: train.sampleShape, classes: train.classCount,
                                        hidden: config.hidden) ?? Int.max / 32
    try checkOutputsWritable(names.map { out.appendingPathComponent($0) }, expectedBytes: (1 << 22) + 20 * count)
}

/// What the terminal shows while the stages run (progress per step, a summary per stage), and
/// where Ctrl-C stopped them: `interruptedIn` names the stage that was running.
final class SparsifyRunState {
    let classNames: [String]
    private let progress = Progress()
    private let hook = InterruptHook()
    private var currentStage = "dense"
    /// The stage Ctrl-C interrupted, nil while none did.
    private(set) var interruptedIn: String?

    init(classNames: [String]) { self.classNames = classNames }

    /// The pipeline observer that prints and watches for Ctrl-C.
    func observer() -> PipelineObserver {
        var observer = PipelineObserver()
        observer.stageStarted = { name, epochs in
            if self.interruptedIn == nil { self.currentStage = name }
            say("— stage \(name): \(epochs) epoch(s)")
        }
        observer.step = { name, r in
            if r.step == 0 { self.progress.begin("\(name) epoch \(r.epoch + 1)", total: r.stepsPerEpoch) }
            self.progress.update(done: r.step + 1, detail: String(format: "loss %.4f kl %.1f acc %.3f", r.dataLoss, r.penalty, r.batchAccuracy))
            self.hook.stepTaken()
        }
        observer.stageFinished = { s in
            say(String(format: "  %@: train accuracy %.4f, test accuracy %.4f (%.1f s)", s.name, s.trainAccuracy, s.testAccuracy, s.seconds))
            if let line = highSNRSummary(s, classNames: self.classNames) { say("  " + line) }
        }
        observer.message = { say("  " + $0) }
        observer.shouldStop = {
            guard interruptRequested != 0 else { return false }
            if self.interruptedIn == nil { self.interruptedIn = self.currentStage }
            return true
        }
        return observer
    }
}

/// The files `sparsify` writes into its output directory, each atomically; a write that fails
/// is rescued (``OutputRescue``) and reported at the end as exit status 1.
final class SparsifyOutputs {
    /// The results of a run, which a later run replaces only with `--force`.
    static let resultNames = ["dense.safetensors", "bayes.safetensors", "masked.safetensors", "report.json"]

    let directory: URL, config: SparsifyConfig, train: LabeledDataset, source: DataSource
    private let rescue = OutputRescue()
    private var lost: [OutputLostError] = []

    init(directory: URL, config: SparsifyConfig, train: LabeledDataset, source: DataSource) {
        self.directory = directory; self.config = config; self.train = train; self.source = source
    }

    private func save(_ name: String, _ write: (URL) throws -> Void) throws {
        if let l = try rescue.write(directory.appendingPathComponent(name), write) { lost.append(l) }
    }

    private func saveModel(_ name: String, _ tree: ParameterTree, _ extra: [String: String]) throws {
        let meta = ["producer": "wirtinger sparsify", "model": config.architecture.rawValue, "method": config.method.rawValue]
        let described = meta.merging(extra) { $1 }
            .merging(sparsifyFileMetadata(stage: extra["stage"]!, config: config, data: source, train: train)) { $1 }
        try save(name) { try writeFiniteSafetensors(tree, metadata: described, to: $0) }
    }

    private func reportLost() throws {
        guard !lost.isEmpty else { return }
        for l in lost { printError("error: \(l)") }
        throw ExitCode(1)
    }

    /// After Ctrl-C: the stages up to the interrupted one under names that say they are partial
    /// (complete results of an earlier run in the directory are left alone); no report or figures.
    func writeInterrupted(_ result: SparsifyResult, stage: String) throws {
        let order = ["dense", config.method.rawValue, "masked"]
        let upTo = order.firstIndex(of: stage) ?? 0
        var written: [String] = []
        for (i, (name, tree)) in [("dense", result.dense), ("bayes", result.bayes), ("masked", result.masked)].enumerated()
        where i <= upTo && !tree.isEmpty {
            let file = "\(name).interrupted.safetensors"
            try saveModel(file, tree, ["stage": name, "interrupted": i == upTo ? "during stage \(stage)" : "after stage \(order[i])"])
            written.append(file)
        }
        say("interrupted during stage \(stage): wrote \(written.isEmpty ? "nothing" : written.joined(separator: ", ")) to \(directory.path) "
            + "(partial results; no report or figures)")
        try reportLost()
    }

    /// The three models, the sparsity and per-SNR tables on the terminal, report.json and the figures.
    func writeResults(_ result: SparsifyResult) throws {
        if !result.dense.isEmpty { try saveModel("dense.safetensors", result.dense, ["stage": "dense"]) }
        try saveModel("bayes.safetensors", result.bayes, ["stage": "bayes"])
        try saveModel("masked.safetensors", result.masked, ["stage": "masked", "threshold": String(config.threshold)])

        say("\nper-layer sparsity (masked model):")
        for l in result.layers {
            say(String(format: "  %-24@ kept %8d / %8d  (%.2f%%)", l.path as NSString, l.kept, l.total, 100 * l.keptFraction))
        }
        say(String(format: "compression ratio: %.1f×  (a complex weight counts as two reals)", result.compressionRatio))
        if let table = snrTable(result.stages) { say("\ntest accuracy per SNR:\n" + table) }

        let report = try reportJSON(result, config: config, train: train)
        try save("report.json") { try report.write(to: $0, options: .atomic) }
        var written = result.dense.isEmpty ? [] : ["dense.safetensors"]
        written += ["bayes.safetensors", "masked.safetensors", "report.json"]
        for (name, svg) in figures(result, config: config, sampleShape: train.sampleShape) {
            try save(name) { try svg.write(to: $0, atomically: true, encoding: .utf8) }
            written.append(name)
        }
        try reportLost()
        say("wrote \(written.joined(separator: ", ")) to \(directory.path)")
    }
}

/// report.json: the configuration, the stages, the sweep, the per-layer sparsity and the machine
/// (CPU, kernel tier, threads, version) the stages' times come from.
func reportJSON(_ r: SparsifyResult, config: SparsifyConfig, train: LabeledDataset) throws -> Data {
    struct Report: Codable {
        var model: String, method: String, threshold: Double, dataset: String, trainExamples: Int
        var stages: [StageSummary], sweep: [SweepPoint], layers: [LayerSparsity]
        var compressionRatio: Double, bayesLoad: [String: [String]], maskedLoad: [String: [String]]
        /// Where the stages' `seconds` were measured: CPU, kernel tier, threads, library version.
        var machine: Machine
    }
    struct Machine: Codable { var cpu: String, kernelTier: String, threads: Int, version: String }
    func loadDict(_ l: LoadReport) -> [String: [String]] { ["missing": l.missing, "unexpected": l.unexpected] }
    let report = Report(model: config.architecture.rawValue, method: config.method.rawValue, threshold: config.threshold,
                        dataset: train.name, trainExamples: train.count, stages: r.stages, sweep: r.sweep, layers: r.layers,
                        compressionRatio: r.compressionRatio.isFinite ? r.compressionRatio : -1,
                        bayesLoad: loadDict(r.bayesLoad), maskedLoad: loadDict(r.maskedLoad),
                        machine: Machine(cpu: KernelTier.cpuModel, kernelTier: KernelTier.active.description,
                                         threads: KernelThreads.count, version: Wirtinger.version))
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try enc.encode(report)
}

/// The SVG figures by file name: training curves, the threshold sweep, the compression/error
/// trade-off, kept fraction per layer; accuracy against SNR when the data has SNRs; the inputs the
/// first layer still reads for image inputs to an MLP.
func figures(_ r: SparsifyResult, config: SparsifyConfig, sampleShape: [Int]) -> [(name: String, svg: String)] {
    var curves = SVGChart(title: "Training curves", xLabel: "epoch (all stages)", yLabel: "mean cross entropy",
                          y2Label: "mean Σ penalty (log scale)")
    curves.y2Log = true
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

    // the sweep, its accuracy axis zoomed to the range the accuracy covers
    let accs = r.sweep.map(\.testAccuracy)
    let lo = max(0, (accs.min() ?? 0) - 0.02), hi = min(1, (accs.max() ?? 1) + 0.02)
    var sweep = SVGChart(title: "Accuracy and sparsity against the log α threshold", xLabel: "threshold (log α)",
                         yLabel: "test accuracy", y2Label: "fraction of weights dropped", yRange: lo...max(hi, lo + 0.01), y2Range: 0...1)
    sweep.series = [.init(name: "test accuracy (before fine-tuning)", points: r.sweep.map { ($0.threshold, $0.testAccuracy) }, color: SVGChart.palette[0]),
                    .init(name: "sparsity (right axis)", points: r.sweep.map { ($0.threshold, $0.sparsity) }, color: SVGChart.palette[1], axis: 1)]

    // the pruning trade-off: compression (log) against test error, each point labelled with its threshold
    let kept = r.sweep.filter { $0.sparsity < 1 }
    var tradeoff = SVGChart(title: "Compression against test error (threshold sweep, before fine-tuning)",
                            xLabel: "compression (total / kept weights, log scale)", yLabel: "test error (%)")
    tradeoff.xLog = true
    tradeoff.series = [.init(name: "masked model at each log α threshold", points: kept.map { (1 / (1 - $0.sparsity), 100 * (1 - $0.testAccuracy)) },
                             color: SVGChart.palette[0], labels: kept.map { String(format: "%g", $0.threshold) })]

    var layers = SVGChart(title: "Kept fraction per layer at threshold \(config.threshold)", xLabel: "layer", yLabel: "kept fraction",
                          yRange: 0...1)
    layers.bars = r.layers.map { ($0.path, $0.keptFraction) }
    var out = [("curves.svg", curves.render()), ("threshold.svg", sweep.render()), ("tradeoff.svg", tradeoff.render()),
               ("layers.svg", layers.render())]
    if r.stages.contains(where: { $0.testAccuracyBySNR != nil }) { out.append(("snr.svg", snrChart(r.stages).render())) }
    if let chart = keptInputsImage(r.masked, sampleShape: sampleShape, architecture: config.architecture) {
        out.append(("inputs.svg", chart.render()))
    }
    return out
}

/// "at SNR ≥ 10 dB: 0.93 over 1650 examples (digital classes 0.97)" from a stage's confusion matrix
/// at high SNR; nil when the data has no SNRs. Digital classes are those not named AM-DSB, AM-SSB, WBFM.
func highSNRSummary(_ s: StageSummary, classNames: [String]) -> String? {
    guard let m = s.testConfusionHighSNR else { return nil }
    let analog: Set<String> = ["AM-DSB", "AM-SSB", "WBFM"]
    func acc(_ rows: [Int]) -> (Double, Int) {
        let total = rows.reduce(0) { $0 + m[$1].reduce(0, +) }, hit = rows.reduce(0) { $0 + m[$1][$1] }
        return (total == 0 ? .nan : Double(hit) / Double(total), total)
    }
    let all = acc(Array(m.indices))
    let digital = acc(m.indices.filter { $0 < classNames.count && !analog.contains(classNames[$0]) })
    return String(format: "at SNR ≥ %g dB: test accuracy %.4f over %d examples (digital classes %.4f over %d)",
                  StageSummary.highSNR, all.0, all.1, digital.0, digital.1)
}

/// The per-SNR test accuracy of every stage as a text table (one row per SNR); nil without SNRs.
func snrTable(_ stages: [StageSummary]) -> String? {
    let withSNR = stages.filter { $0.testAccuracyBySNR != nil }
    guard let first = withSNR.first?.testAccuracyBySNR else { return nil }
    var out = "  SNR (dB)  count" + withSNR.map { $0.name.padding(toLength: 9, withPad: " ", startingAt: 0) }.map { "  " + $0 }.joined() + "\n"
    for (i, row) in first.enumerated() {
        out += String(format: "  %8g  %5d", row.snr, row.count)
        for s in withSNR { out += String(format: "  %9.4f", i < s.testAccuracyBySNR!.count ? s.testAccuracyBySNR![i].accuracy : .nan) }
        out += "\n"
    }
    return out
}

/// Test accuracy against SNR, one line per stage (dense, Bayesian, masked).
func snrChart(_ stages: [StageSummary]) -> SVGChart {
    var chart = SVGChart(title: "Test accuracy against SNR", xLabel: "SNR (dB)", yLabel: "test accuracy", yRange: 0...1)
    for (i, s) in stages.enumerated() {
        guard let rows = s.testAccuracyBySNR else { continue }
        chart.series.append(.init(name: s.name, points: rows.map { ($0.snr, $0.accuracy) }, color: SVGChart.palette[i % 6]))
    }
    return chart
}

/// For image inputs (`[1, H, W]` or `[H, W]`) read by an MLP (`mlp`, `lenet300`, `cplx-mlp`): the
/// pixels the masked model's first layer still reads — a pixel is kept when any weight from it
/// survives (for `cplx-mlp` a complex input is the pixel pair it was made of). Nil otherwise.
func keptInputsImage(_ masked: ParameterTree, sampleShape: [Int], architecture: Architecture) -> SVGChart? {
    let dims = sampleShape.count == 3 && sampleShape[0] == 1 ? Array(sampleShape.dropFirst()) : sampleShape
    guard dims.count == 2, [.mlp, .lenet300, .cplxMLP].contains(architecture),
          let mask = masked["classifier.0.mask"], mask.rank == 2 else { return nil }
    let (outs, ins) = (mask.shape[0], mask.shape[1]), m = mask.scalars
    let pixels = dims[0] * dims[1]
    let pairs = architecture == .cplxMLP ? 2 : 1
    guard ins * pairs == pixels else { return nil }
    var kept = [Bool](repeating: false, count: pixels)
    for j in 0..<ins where (0..<outs).contains(where: { m[$0 * ins + j] != 0 }) {
        for q in 0..<pairs { kept[j * pairs + q] = true }
    }
    var chart = SVGChart(title: "Inputs the first layer still reads", xLabel: "\(kept.filter { $0 }.count) of \(pixels) pixels kept (dark)",
                         yLabel: "")
    chart.image = (dims[0], dims[1], kept)
    return chart
}
