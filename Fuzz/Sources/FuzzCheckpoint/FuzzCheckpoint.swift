// libFuzzer entry point for the consumers of checkpoints and parameter files: what
// `wirtinger train --resume`, `--init` and `sparsify --dense/--bayes` do with a file.
//
// Every input that decodes as safetensors is used as
//  1. a checkpoint of a small VD MLP (`TrainingCheckpoint.decode`): it must be accepted or throw
//     `CheckpointError`. An accepted one must resume: one epoch of training from its optimizer
//     state, epoch and step must return finite parameters or throw `TrainingError`, and the
//     checkpoint written afterwards must decode and validate again;
//  2. a starting point (`TrainingCheckpoint.modelParameters`, then a non-strict load as `--init`
//     and strict loads into the dense and VD models as `--dense` / `--bayes`): each must return
//     or throw its typed error, and a loaded tree must keep the model's keys and shapes.
// Anything else (a trap, another error type, a broken property) stops with `fatalError`, which
// libFuzzer saves as `crash-*`.
import Foundation
import Recipes

/// The model every input is loaded into: MLP 4 → 3 → 3 with VD layers, and its dense twin.
let bayesModel = try! makeClassifier(.mlp, flavor: .vd, sampleShape: [4], classes: 3, hidden: 3)
let denseModel = try! makeClassifier(.mlp, flavor: .dense, sampleShape: [4], classes: 3, hidden: 3)
let template = bayesModel.initialParameters(key: RandomKey(seed: 1))
let denseTemplate = denseModel.initialParameters(key: RandomKey(seed: 1))
/// Six examples, batch 3: two steps per epoch.
let data = LabeledDataset(name: "fuzz", inputs: normal([6, 4], key: RandomKey(seed: 2)), labels: [0, 1, 2, 0, 1, 2],
                          classNames: ["a", "b", "c"])
let batchSize = 3, stepsPerEpoch = 2
let selfTestTrap = ProcessInfo.processInfo.environment["FUZZ_SELF_TEST_TRAP"] != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: bytes, count: size))
    // .ci/fuzz-smoke checks that a Swift trap leaves a crash-* input (it does not with Swift's
    // default backtracer): with FUZZ_SELF_TEST_TRAP set, the input "TRAP" traps
    if selfTestTrap && input == Array("TRAP".utf8) { preconditionFailure("self-test trap") }
    guard let file = try? Safetensors.decode(input, source: "fuzz") else { return 0 }   // the reader has its own target
    checkResume(file)
    checkStartingPoint(file)
    return 0
}

func checkResume(_ file: SafetensorsFile) {
    let c: TrainingCheckpoint
    do {
        c = try TrainingCheckpoint.decode(file, source: "fuzz", template: template)
    } catch is CheckpointError {
        return
    } catch {
        fatalError("TrainingCheckpoint.decode threw a non-CheckpointError: \(type(of: error)) \(error)")
    }
    guard c.completedSteps < stepsPerEpoch else { return }   // the CLI refuses these (checked against the data)
    var options = TrainingOptions()
    options.epochs = c.completedEpochs + 1
    options.batchSize = batchSize
    options.learningRate = 1e-2
    let r: (parameters: ParameterTree, optimizerState: OptimizerState, completedEpochs: Int, stepsIntoEpoch: Int)
    do {
        r = try train(bayesModel, parameters: c.parameters, data: data, options: options, optimizerState: c.optimizerState,
                      startEpoch: c.completedEpochs, startStep: c.completedSteps)
    } catch is TrainingError {
        return
    } catch {
        fatalError("train threw a non-TrainingError: \(type(of: error)) \(error)")
    }
    guard r.completedEpochs == options.epochs else { fatalError("resumed run ended at epoch \(r.completedEpochs) of \(options.epochs)") }
    if let bad = firstNonFiniteKey(r.parameters) { fatalError("training returned a non-finite \(bad)") }
    // what the CLI writes next must be a valid checkpoint again
    let next = TrainingCheckpoint(parameters: r.parameters, optimizerState: r.optimizerState, completedEpochs: r.completedEpochs)
    let (tree, metadata) = next.contents
    do {
        let bytes = try Safetensors.encode(tree, metadata: metadata)
        let again = try TrainingCheckpoint.decode(Safetensors.decode(bytes, source: "fuzz-next"), source: "fuzz-next", template: template)
        guard again.optimizerState.step == r.optimizerState.step, again.completedEpochs == r.completedEpochs else {
            fatalError("the next checkpoint does not round-trip its counters")
        }
    } catch let e as CheckpointError {
        // the only acceptable refusal: a moment that overflowed to ±∞ in float32
        guard case .invalidOptimizerState = e else { fatalError("the next checkpoint does not validate: \(e)") }
    } catch {
        fatalError("the next checkpoint does not validate: \(error)")
    }
}

func checkStartingPoint(_ file: SafetensorsFile) {
    let tree: ParameterTree
    do {
        tree = try TrainingCheckpoint.modelParameters(of: file, source: "fuzz")
    } catch is CheckpointError {
        return
    } catch {
        fatalError("modelParameters threw a non-CheckpointError: \(type(of: error)) \(error)")
    }
    // --init: non-strict, which still refuses a tensor of another shape (as PyTorch does)
    let loaded: ParameterTree
    do {
        (loaded, _) = try template.loading(tree, strict: false)
    } catch let e as ParameterTreeError {
        guard case .sizeMismatch = e else { fatalError("--init: a non-strict load threw \(e)") }
        return
    } catch {
        fatalError("--init: a non-strict load threw \(type(of: error)) \(error)")
    }
    guard loaded.keys == template.keys else { fatalError("--init load changed the keys") }
    for (k, t) in loaded where t.shape != template[k]!.shape || t.dtype != template[k]!.dtype {
        fatalError("--init load changed \(k) to \(t.dtype) \(t.shape)")
    }
    // --dense / --bayes: strict
    for (name, target) in [("dense", denseTemplate), ("bayes", template)] {
        do {
            let (strict, report) = try target.loading(tree, strict: true)
            guard report.isClean, strict.keys == target.keys else { fatalError("--\(name): strict load returned a report \(report)") }
        } catch is ParameterTreeError {
            continue
        } catch {
            fatalError("--\(name): strict load threw \(type(of: error)) \(error)")
        }
    }
}

/// Writes the seed corpus: real checkpoints of the model above (after one epoch, and one step
/// into the next epoch), a starting-point file without optimizer entries, and one file per
/// validation of `TrainingCheckpoint.decode` (bad step counts, moments, metadata, entries).
func writeCheckpointSeeds(to dir: URL) {
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    var options = TrainingOptions(); options.epochs = 1; options.batchSize = batchSize; options.learningRate = 1e-2
    let one = try! train(bayesModel, parameters: template, data: data, options: options)
    options.epochs = 2
    var stopAfter = 1
    let mid = try! train(bayesModel, parameters: one.parameters, data: data, options: options, optimizerState: one.optimizerState,
                         startEpoch: 1, shouldStop: { defer { stopAfter -= 1 }; return stopAfter < 0 })
    let good = TrainingCheckpoint(parameters: one.parameters, optimizerState: one.optimizerState, completedEpochs: 1)
    let midEpoch = TrainingCheckpoint(parameters: mid.parameters, optimizerState: mid.optimizerState,
                                      completedEpochs: mid.completedEpochs, completedSteps: mid.stepsIntoEpoch)
    func write(_ name: String, _ c: TrainingCheckpoint, edit: (inout ParameterTree, inout [String: String]) -> Void = { _, _ in }) {
        var (tree, metadata) = c.contents
        edit(&tree, &metadata)
        let bytes = try! Safetensors.encode(tree, metadata: metadata, int64: { _ in false })
        try! Data(bytes).write(to: dir.appendingPathComponent(name + ".safetensors"))
    }
    let step = "optimizer.classifier.0.weight.step", m = "optimizer.classifier.0.weight.exp_avg"
    let v = "optimizer.classifier.2.bias.exp_avg_sq"
    write("epoch1", good)
    write("mid-epoch", midEpoch)
    write("init-only", TrainingCheckpoint(parameters: good.parameters, optimizerState: OptimizerState(), completedEpochs: 0)) { t, meta in
        t = t.filter { k, _ in !k.hasPrefix("optimizer.") }; meta = ["producer": "other"]
    }
    write("dense-keys", good) { t, meta in
        t = t.filter { k, _ in !k.hasPrefix("optimizer.") && !k.hasSuffix("log_sigma2") }; meta = [:]
    }
    write("step-nan", good) { t, _ in t[step] = Tensor(scalar: .nan, dtype: .float64) }
    write("step-huge", good) { t, _ in t[step] = Tensor(scalar: 1e300, dtype: .float64) }
    write("step-vector", good) { t, _ in t[step] = Tensor.zeros([2], dtype: .float64) }
    write("exp-avg-shape", good) { t, _ in t[m] = Tensor.zeros([4, 3]) }
    write("exp-avg-dtype", good) { t, _ in t[m] = Tensor.zeros([3, 4], dtype: .float64) }
    write("exp-avg-sq-negative", good) { t, _ in t[v] = Tensor.full([3], -1) }
    write("unknown-buffer", good) { t, _ in t["optimizer.classifier.0.weight.momentum"] = Tensor.zeros([3, 4]) }
    write("epochs-negative", good) { _, meta in meta["completed_epochs"] = "-1" }
    write("epochs-min", good) { _, meta in meta["completed_epochs"] = String(Int.min) }
    write("steps-too-many", good) { _, meta in meta["completed_steps"] = "7" }
    write("optimizer-step-missing", good) { _, meta in meta["optimizer_step"] = nil }
    write("parameter-nan", good) { t, _ in t["classifier.2.bias"] = Tensor.full([3], .nan) }
}
