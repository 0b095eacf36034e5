import Foundation
import Recipes

let exportSpec = CommandSpec(
    name: "export",
    summary: """
    Write a compact deployable file of a masked or Bayesian model. The masks (or, for a Bayesian file, the relevance at
    --threshold) are multiplied into the weights and zero weights dropped; each masked weight is stored in CSR form
    (int32 row pointers, uint16 or int32 column indices, float32 values; a convolution weight [out, in, k…] as rows = out,
    columns = the rest) or densely when it keeps more than --max-density of its weights. The model description stays in
    the metadata, so evaluate and predict rebuild the model from the file alone (Docs/Serialization.md, "Deployable files";
    Tools/wirtinger_deploy.py reads it from Python).
    """,
    positionals: [("FILE", "a masked or Bayesian .safetensors file written by wirtinger sparsify or train")],
    options: [
        OptionSpec(name: "out", valueName: "FILE", help: "the deployable .safetensors file to write (required)", defaultValue: nil),
        OptionSpec(name: "threshold", valueName: "T", help: "log α threshold of a Bayesian file's masks (default: the file's, else -0.5)", defaultValue: nil),
        OptionSpec(name: "max-density", valueName: "D", help: "store a weight densely when it keeps more than this fraction",
                   defaultValue: String(DeployFormat.defaultMaxDensity)),
    ])

func runExport(_ args: CommandSpec.Parsed) throws {
    let path = args.positionals[0]
    guard let outPath = args.string("out") else { throw UsageError(message: "--out FILE is required: where to write the deployable file") }
    let threshold = try args.double("threshold", .finite)
    let maxDensity = try args.double("max-density", .nonNegative)!
    let input = URL(fileURLWithPath: path), output = URL(fileURLWithPath: outPath)
    if input.standardizedFileURL.resolvingSymlinksInPath().path == output.standardizedFileURL.resolvingSymlinksInPath().path {
        throw UsageError(message: "--out \(outPath) is the input file; write the deployable file elsewhere")
    }
    let header = try Safetensors.readHeader(contentsOf: input)
    if DeployedModel.isDeployable(header.metadata) { throw DeployError.alreadyExported(file: path) }
    let saved = try SavedModel.load(contentsOf: input)
    let file = try deployableFile(saved, threshold: threshold, maxDensity: maxDensity)
    try file.write(to: output)

    let d = saved.description
    say("\(escapedForTerminal(path)): \(d.architecture.rawValue), \(d.flavor.rawValue) layers"
        + (d.flavor.isBayesian ? "; masks at log α threshold \(file.metadata[ModelDescription.Key.threshold] ?? "?")" : ""))
    say("weights (a complex weight counts as two reals):")
    let width = max(8, file.weights.map { shortenedForTable($0.key).count }.max() ?? 8)
    var kept = 0, total = 0
    for w in file.weights {
        let k = w.kept * (w.isComplex ? 2 : 1), n = w.total * (w.isComplex ? 2 : 1)
        kept += k; total += n
        say(String(format: "  %@  %@  kept %9d / %9d  (%6.2f%%)  %@", shortenedForTable(w.key).padding(toLength: width, withPad: " ", startingAt: 0),
                   "\(w.shape)".padding(toLength: 16, withPad: " ", startingAt: 0), k, n, 100 * Double(k) / Double(max(n, 1)),
                   w.isCSR ? "csr" : "dense"))
    }
    say(String(format: "overall: %d of %d weights kept, compression %.1f×", kept, total, kept == 0 ? .infinity : Double(total) / Double(kept)))
    let inBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    let outBytes = (try? FileManager.default.attributesOfItem(atPath: outPath)[.size] as? Int) ?? 0
    say("wrote \(escapedForTerminal(outPath)): \(outBytes) bytes (\(escapedForTerminal(path)): \(inBytes) bytes)")
}
