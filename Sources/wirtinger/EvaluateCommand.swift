import Foundation
import Recipes

let evaluateSpec = CommandSpec(
    name: "evaluate",
    summary: """
    Measure a saved model on a test set, rebuilding it from the file's metadata. Takes dense, Bayesian and masked files
    of sparsify, train checkpoints and deployable files of export (run with the sparse kernels, line "exported");
    prints the test accuracy in the format of sparsify's stage lines, the confusion matrix, the accuracy per SNR when
    the data have SNRs, and the time. A Bayesian file is measured as the masked model at --threshold, as sparsify does.
    Without --data or --mnist the test set is the one the file was trained with (built-in data are regenerated from the
    seed recorded in the file). Examples whose logits hold a NaN count as wrong, and their number is printed.
    """,
    positionals: [("FILE", "a .safetensors file written by wirtinger sparsify, train or export")],
    options: [
        OptionSpec(name: "data", valueName: "FILE", help: "measure on the test split of this data file (see Docs/GettingStarted.md)", defaultValue: nil),
        OptionSpec(name: "mnist", valueName: "DIR", help: "measure on the MNIST test set in DIR", defaultValue: nil),
        OptionSpec(name: "threshold", valueName: "T", help: "log α threshold of the masks of a Bayesian file (default: the file's, else -0.5)", defaultValue: nil),
        OptionSpec(name: "batch-size", valueName: "N", help: "examples per forward pass", defaultValue: "500"),
        threadsOption,
    ])

/// A test set that does not fit the saved model.
struct DataMismatchError: Error, CustomStringConvertible {
    let description: String
}

func runEvaluate(_ args: CommandSpec.Parsed) throws {
    let start = Date()
    let path = args.positionals[0]
    let batchSize = try args.int("batch-size", in: 1...1_000_000)!
    let threshold = try args.double("threshold", .finite)
    if args.string("data") != nil && args.string("mnist") != nil { throw UsageError(message: "--data and --mnist: give one source of data") }
    try applyThreads(args)
    let url = URL(fileURLWithPath: path)
    let deployed = DeployedModel.isDeployable(try Safetensors.readHeader(contentsOf: url).metadata) ? try DeployedModel.load(contentsOf: url) : nil
    let saved = deployed == nil ? try SavedModel.load(contentsOf: url) : nil
    let d = deployed?.description ?? saved!.description
    if threshold != nil && !d.flavor.isBayesian {
        throw UsageError(message: "--threshold applies to Bayesian files; \(path) holds a \(d.flavor.rawValue) model")
    }

    let test: LabeledDataset, source: String
    if let file = args.string("data") {
        test = try DatasetFile.load(contentsOf: URL(fileURLWithPath: file)).test
        source = file
    } else if let dir = args.string("mnist") {
        test = try MNIST.loadTest(directory: URL(fileURLWithPath: dir))
        source = dir
    } else {
        test = try d.data.testSet(describedIn: path)
        source = d.data.path ?? "built-in \(d.data.kind.rawValue) (seed \(d.data.seed ?? 0))"
    }
    guard test.count > 0 else { throw DataMismatchError(description: "\(source): the test split holds no examples") }
    guard test.sampleShape == d.sampleShape, test.classCount == d.classes else {
        throw DataMismatchError(description: "\(source): test examples of shape \(test.sampleShape) in \(test.classCount) classes, "
                                + "but the model of \(path) takes \(d.sampleShape) in \(d.classes) classes")
    }
    say("model: \(d.architecture.rawValue), \(d.flavor.rawValue) layers" + (d.hidden.map { ", hidden \($0)" } ?? "")
        + ", \(d.classes) classes, inputs \(d.sampleShape)")
    say("data: \(escapedForTerminal(source)), \(test.count) test examples")

    func line(_ s: StageSummary) -> String {
        let correct = Int((s.testAccuracy * Double(test.count)).rounded())
        return String(format: "  %@: test accuracy %.4f (%d / %d), test loss %.4f (%.1f s)",
                      s.name, s.testAccuracy, correct, test.count, s.testLoss, s.seconds)
    }
    var measured: (summary: StageSummary, predictions: [Int])
    if let deployed {
        // a deployable file: the plain model compiled for sparse inference from the stored weights
        measured = testSummary(name: "exported", model: deployed.model, parameters: deployed.parameters, test: test, batchSize: batchSize)
        let kept = deployed.weights.reduce(0) { $0 + $1.kept * ($1.isComplex ? 2 : 1) }
        let total = deployed.weights.reduce(0) { $0 + $1.total * ($1.isComplex ? 2 : 1) }
        say(String(format: "  the exported weights keep %d of %d weights, compression %.1f× (%d of %d layers in CSR form)", kept, total,
                   kept == 0 ? .infinity : Double(total) / Double(kept), deployed.weights.filter(\.isCSR).count, deployed.weights.count))
    } else if let saved, d.flavor.isBayesian {
        // the Bayesian model itself (sparsify's line for its stage), then the masked model at T
        say(line(testSummary(name: d.flavor.rawValue, model: saved.model, parameters: saved.parameters, test: test, batchSize: batchSize).summary))
        let t = threshold ?? d.threshold ?? -0.5
        let m = try saved.masked(threshold: t)
        measured = testSummary(name: "masked at threshold \(t)", model: m.model, parameters: m.parameters, test: test, batchSize: batchSize)
        say(keptLine(maskedLayerSparsity(m.model, parameters: m.parameters), what: String(format: "masks at threshold %g", t)))
    } else {
        let saved = saved!
        measured = testSummary(name: d.flavor.rawValue, model: saved.model, parameters: saved.parameters, test: test, batchSize: batchSize)
        if d.flavor == .masked { say(keptLine(maskedLayerSparsity(saved.model, parameters: saved.parameters), what: "the masks")) }
    }
    say(line(measured.summary))
    let unpredicted = measured.predictions.filter { $0 < 0 }.count
    if unpredicted > 0 {
        say("  \(unpredicted) of \(test.count) examples gave NaN logits and count as wrong (inputs too large for the model?)")
    }
    if let high = highSNRSummary(measured.summary, classNames: test.classNames) { say("  " + high) }

    let matrix = confusionMatrix(predictions: measured.predictions, labels: test.labels, classes: test.classCount)
    say("\nconfusion matrix (rows: true class, columns: predicted class):")
    say(confusionTable(matrix, classNames: test.classNames))
    if let table = snrTable([measured.summary]) { say("test accuracy per SNR:\n" + table) }
    say(String(format: "time: %.1f s", Date().timeIntervalSince(start)))
}

/// "  WHAT keep K of N weights, compression R×" over the masked layers `layers`.
func keptLine(_ layers: [LayerSparsity], what: String) -> String {
    let kept = layers.reduce(0) { $0 + $1.kept }, total = layers.reduce(0) { $0 + $1.total }
    return String(format: "  %@ keep %d of %d weights, compression %.1f×", what, kept, total, kept == 0 ? .infinity : Double(total) / Double(kept))
}

/// A confusion matrix as text: one row per true class (its name, cut to 8 characters), one column
/// per predicted class (numbered), counts right-aligned.
func confusionTable(_ m: [[Int]], classNames: [String]) -> String {
    let width = max(String(m.joined().max() ?? 0).count, String(m.count - 1).count) + 1
    func pad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
    let label = 9
    var out = "  " + String(repeating: " ", count: label + 5) + m.indices.map { pad(String($0), width) }.joined() + "\n"
    for (i, row) in m.enumerated() {
        let name = i < classNames.count ? String(escapedForTerminal(classNames[i]).prefix(8)) : ""
        out += "  " + name.padding(toLength: label, withPad: " ", startingAt: 0) + pad(String(i), 4) + " " + row.map { pad(String($0), width) }.joined() + "\n"
    }
    return out
}
