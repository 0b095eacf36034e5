import Foundation
import Recipes

let predictSpec = CommandSpec(
    name: "predict",
    summary: """
    Run a model on the examples of a safetensors file and write the logits (float32 [N, classes], tensor "logits") and
    the predicted classes (int64 [N], tensor "predictions"). The input holds "inputs" [N, …] (F32 or F64) of the model's
    input shape (for a complex model interleaved (re, im) pairs along the last axis), or for a complex model "inputs.real"
    and "inputs.imag" (or one C64 "inputs") of the complex shape; --key names another tensor, and a file of one tensor
    (or one .real/.imag pair) needs no name. Takes deployable files of wirtinger export (run with the
    sparse kernels), and dense, masked and Bayesian model files (a Bayesian one as the masked model at its threshold).
    An example whose logits hold a NaN (inputs too large for the model, for instance) gets prediction -1; the file is
    still written, and the command names those examples and exits with status 1.
    """,
    positionals: [("FILE", "a model file: deployable (wirtinger export), dense, masked or Bayesian")],
    options: [
        OptionSpec(name: "input", valueName: "FILE", help: "safetensors file with the examples (required)", defaultValue: nil),
        OptionSpec(name: "out", valueName: "FILE", help: "safetensors file to write logits and predictions to (required)", defaultValue: nil),
        OptionSpec(name: "key", valueName: "NAME", help: "the tensor of --input holding the examples (default: inputs, or the file's only tensor)",
                   defaultValue: nil),
        OptionSpec(name: "batch-size", valueName: "N", help: "examples per forward pass", defaultValue: "500"),
        threadsOption,
    ])

/// The model of a file for inference: a deployable file compiled for sparse inference, or a model
/// file as it is (a Bayesian one as its masked model at its threshold, else −0.5).
func inferenceModel(_ path: String) throws -> (description: ModelDescription, model: any Layer<Tensor, Tensor>, parameters: ParameterTree) {
    let url = URL(fileURLWithPath: path)
    if DeployedModel.isDeployable(try Safetensors.readHeader(contentsOf: url).metadata) {
        let m = try DeployedModel.load(contentsOf: url)
        return (m.description, m.model, m.parameters)
    }
    let saved = try SavedModel.load(contentsOf: url)
    if saved.description.flavor.isBayesian {
        let m = try saved.masked(threshold: saved.description.threshold ?? -0.5)
        return (saved.description, m.model, m.parameters)
    }
    return (saved.description, saved.model, saved.parameters)
}

func runPredict(_ args: CommandSpec.Parsed) throws {
    let start = Date()
    let path = args.positionals[0]
    guard let inputPath = args.string("input") else { throw UsageError(message: "--input FILE is required: the examples to classify") }
    guard let outPath = args.string("out") else { throw UsageError(message: "--out FILE is required: where to write logits and predictions") }
    let batchSize = try args.int("batch-size", in: 1...1_000_000)!
    try applyThreads(args)
    let (d, model, parameters) = try inferenceModel(path)
    let inputFile = try Safetensors.read(contentsOf: URL(fileURLWithPath: inputPath))
    let x = try PredictInput.examples(inputFile, path: inputPath, for: d, name: args.string("key"))
    let logits = batchedLogits(model, parameters: parameters, inputs: x, batchSize: batchSize)
    let predictions = argmaxRows(logits)
    var tree = ParameterTree()
    tree["logits"] = logits
    tree["predictions"] = Tensor(predictions.map(Double.init))
    try Safetensors.write(tree, metadata: ["wirtinger.model": path, "wirtinger.input": inputPath],
                          storedAs: { $0 == "predictions" ? .i64 : nil }, to: URL(fileURLWithPath: outPath))
    var counts = [Int](repeating: 0, count: d.classes)
    for p in predictions where counts.indices.contains(p) { counts[p] += 1 }
    say("\(escapedForTerminal(path)): \(d.architecture.rawValue), \(d.classes) classes; \(x.shape[0]) examples from \(escapedForTerminal(inputPath))")
    say("predicted classes: " + counts.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: ", "))
    say(String(format: "wrote %@ (logits [%d, %d], predictions [%d]) in %.2f s", escapedForTerminal(outPath), x.shape[0], d.classes,
               x.shape[0], Date().timeIntervalSince(start)))
    let unpredicted = predictions.indices.filter { predictions[$0] < 0 }
    if let first = unpredicted.first {
        printError("error: \(unpredicted.count) of \(predictions.count) examples of \(escapedForTerminal(inputPath)) gave NaN logits "
                   + "(the first: example \(first)), so their prediction in \(escapedForTerminal(outPath)) is -1; "
                   + "values this large may overflow the model: check the inputs' scale")
        throw ExitCode(1)
    }
}
