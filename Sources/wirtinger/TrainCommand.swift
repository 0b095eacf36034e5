import Foundation
import Recipes

let trainSpec = CommandSpec(
    name: "train",
    summary: """
    Train one stage alone (dense, vd, ard, l0 or masked layers), optionally starting from the weights of another
    stage's file (non-strict load, as the seed does). A checkpoint with the parameters and the optimizer state is
    written atomically after every epoch and on Ctrl-C or SIGTERM; --resume continues from it with the same results as an
    uninterrupted run.
    """,
    positionals: [],
    options: [
        OptionSpec(name: "model", valueName: "NAME", help: "mlp | lenet300 | lenet5 | cplx-mlp | cplx-conv (default: mlp, or cplx-conv with --complex or complex --data)", defaultValue: nil),
        OptionSpec(name: "complex", valueName: nil, help: "use a complex model: cplx-conv, or the complex counterpart of --model", defaultValue: nil),
        OptionSpec(name: "flavor", valueName: "NAME", help: "dense | vd | ard | l0 | masked", defaultValue: "dense"),
        OptionSpec(name: "init", valueName: "FILE", help: "start from these weights (non-strict load; at least one parameter must load; a deployable file gives its dense weights)", defaultValue: nil),
        OptionSpec(name: "epochs", valueName: "N", help: "epochs", defaultValue: "3"),
        OptionSpec(name: "batch-size", valueName: "N", help: "examples per step", defaultValue: "128"),
        OptionSpec(name: "lr", valueName: "RATE", help: "Adam learning rate", defaultValue: "0.001"),
        OptionSpec(name: "kl-weight", valueName: "C", help: "penalty weight: loss = CE + C/N · Σ KL", defaultValue: "1"),
        OptionSpec(name: "hidden", valueName: "N", help: "hidden width of mlp / cplx-mlp, first width of the cplx-conv signal network", defaultValue: nil),
        OptionSpec(name: "seed", valueName: "N", help: "random seed", defaultValue: "0"),
        OptionSpec(name: "checkpoint", valueName: "FILE", help: "checkpoint file", defaultValue: "checkpoint.safetensors"),
        OptionSpec(name: "resume", valueName: nil, help: "continue from --checkpoint", defaultValue: nil),
        OptionSpec(name: "force", valueName: nil, help: "start over even if --checkpoint exists (it is replaced after the first epoch)", defaultValue: nil),
        OptionSpec(name: "gate-lr-scale", valueName: "F", help: "learning-rate factor of the L0 gates (log_alpha)", defaultValue: "30"),
        scheduleOption, warmupOption, threadsOption,
        OptionSpec(name: "no-check-finite", valueName: nil, help: "skip the per-step NaN/Inf check", defaultValue: nil),
    ] + dataOptions)

/// The most bytes a checkpoint of `params` takes: the values and Adam's two moments in their
/// dtypes, plus room for the header.
func checkpointBytes(_ params: ParameterTree) -> Int {
    params.reduce(0) { $0 + 3 * $1.value.count * ($1.value.dtype == .float64 ? 8 : 4) } + (1 << 20)
}

func runTrain(_ args: CommandSpec.Parsed) throws {
    let flavor = try args.choice("flavor", LayerFlavor.self)!
    let seed = UInt64(try args.int("seed", in: 0...Int.max)!)
    var options = TrainingOptions()
    options.epochs = try args.int("epochs", in: 0...100_000)!
    options.batchSize = try args.int("batch-size", in: 1...1_000_000)!
    options.learningRate = try args.double("lr", .positive)!
    options.klWeight = try args.double("kl-weight", .nonNegative)!
    options.seed = seed
    options.checkFinite = !args.flags.contains("no-check-finite")
    try applySchedules(args, to: &options)
    guard let gateScale = try args.double("gate-lr-scale"), gateScale > 0 else {
        throw UsageError(message: "--gate-lr-scale: expected a positive number, got '\(args.string("gate-lr-scale")!)'")
    }
    options.gateLearningRateScale = gateScale
    try applyThreads(args)
    let checkpoint = URL(fileURLWithPath: args.string("checkpoint")!)
    let resume = args.flags.contains("resume")
    if resume && args.flags.contains("force") { throw UsageError(message: "--resume and --force exclude each other") }
    if !resume && !args.flags.contains("force") && FileManager.default.fileExists(atPath: checkpoint.path) {
        throw UsageError(message: "--checkpoint: \(checkpoint.path) exists; pass --resume to continue from it or --force to start over and replace it")
    }

    let modelGiven = try args.choice("model", Architecture.self)
    let (train, test, complexData) = try loadData(args, complex: args.flags.contains("complex") || (modelGiven?.isComplex ?? false), seed: seed)
    let arch = try chooseArchitecture(args, complexData: complexData)
    let hidden = try args.int("hidden", in: 1...100_000)
    try checkModelFitsInMemory(arch, sampleShape: train.sampleShape, classes: train.classCount, hidden: hidden)
    let model = try makeClassifier(arch, flavor: flavor, sampleShape: train.sampleShape, classes: train.classCount, hidden: hidden)
    var description = ModelDescription(architecture: arch, flavor: flavor, hidden: hidden, classes: train.classCount,
                                       sampleShape: train.sampleShape, seed: seed,
                                       data: dataSource(args, complexData: complexData, seed: seed, train: train, test: test))
    var params = model.initialParameters(key: RandomKey(seed: seed))
    var state: OptimizerState?
    var startEpoch = 0, startStep = 0
    say(kernelsLine())
    if resume {
        let ckpt = try TrainingCheckpoint.read(contentsOf: checkpoint, template: params)
        let stepsPerEpoch = (train.count + options.batchSize - 1) / options.batchSize
        guard ckpt.completedSteps < stepsPerEpoch else {
            throw CheckpointError.invalidMetadata(file: checkpoint.path, key: "completed_steps", value: String(ckpt.completedSteps),
                                                  reason: "an epoch of these data has \(stepsPerEpoch) steps")
        }
        params = ckpt.parameters
        state = ckpt.optimizerState
        startEpoch = ckpt.completedEpochs
        startStep = ckpt.completedSteps
        say("resuming \(checkpoint.path) after epoch \(startEpoch)" + (startStep > 0 ? " and \(startStep) step(s) of epoch \(startEpoch + 1)" : ""))
    } else if let initFile = args.string("init") {
        let source = try readModelParameters(initFile)
        let (loaded, report): (ParameterTree, LoadReport)
        do {
            (loaded, report) = try params.loading(source, strict: false)
        } catch let e as ParameterTreeError {
            // a size mismatch (refused even by a non-strict load, as in PyTorch): name the file
            throw CheckpointError.parametersDoNotMatch(file: initFile, detail: "\(e)")
        }
        // a non-strict load may leave parameters at their initial values, but not all of them
        guard params.keys.count > report.missing.count + report.shapeMismatches.count else {
            throw CheckpointError.parametersDoNotMatch(file: initFile, detail: "--init loads none of the model's \(params.keys.count) "
                                                       + "parameters (a file of another architecture, width or kind?): \(report)")
        }
        params = loaded
        say("loaded \(initFile): \(report)")
        // masks loaded from a masked or Bayesian file keep the threshold they were made at
        if flavor == .masked, let t = try Safetensors.readHeader(contentsOf: URL(fileURLWithPath: initFile)).metadata[ModelDescription.Key.threshold] {
            description.threshold = Double(t)
        }
    }
    // the checkpoint must be writable before the first epoch, not after it
    try checkOutputsWritable([checkpoint], expectedBytes: checkpointBytes(params))

    let progress = Progress()
    let hook = InterruptHook()
    let rescue = OutputRescue()
    func save(_ c: TrainingCheckpoint) throws {
        var c = c
        c.extraMetadata = description.metadata
        if let lost = try rescue.write(checkpoint, { try c.write(to: $0) }) { throw lost }
    }
    var epoch = startEpoch
    while epoch < options.epochs {
        let r = try Recipes.train(model, parameters: params, data: train, options: options, optimizerState: state.take(),
                                  startEpoch: epoch, startStep: startStep, endEpoch: epoch + 1, onStep: { r in
            if r.step == 0 { progress.begin("epoch \(r.epoch + 1)/\(options.epochs)", total: r.stepsPerEpoch) }
            progress.update(done: r.step + 1, detail: String(format: "loss %.4f kl %.1f acc %.3f", r.dataLoss, r.penalty, r.batchAccuracy))
            hook.stepTaken()
        }, shouldStop: { interruptRequested != 0 })
        if r.completedEpochs <= epoch {   // interrupted inside the epoch: checkpoint the steps taken
            if r.stepsIntoEpoch > startStep {
                try save(TrainingCheckpoint(parameters: r.parameters, optimizerState: r.optimizerState,
                                            completedEpochs: epoch, completedSteps: r.stepsIntoEpoch))
                say("interrupted: the checkpoint \(checkpoint.path) holds \(epoch) epoch(s) and \(r.stepsIntoEpoch) step(s) of epoch \(epoch + 1)")
            } else {
                say("interrupted before the first step: no checkpoint written")
            }
            throw ExitCode(interruptExitStatus)
        }
        startStep = 0
        params = r.parameters; epoch = r.completedEpochs
        let c = TrainingCheckpoint(parameters: params, optimizerState: r.optimizerState, completedEpochs: epoch)
        try save(c)
        state = c.optimizerState
        let acc = evaluate(model, parameters: params, data: test).accuracy
        say(String(format: "epoch %d: test accuracy %.4f, checkpoint written", epoch, acc))
        if interruptRequested != 0 { throw ExitCode(interruptExitStatus) }
    }
}

/// Ends the process with a given status after a clean stop.
struct ExitCode: Error { let code: Int32; init(_ c: Int32) { code = c } }
