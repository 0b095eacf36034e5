import Foundation
import Recipes

let inspectSpec = CommandSpec(
    name: "inspect",
    summary: """
    Show the tensors of a safetensors file: keys, shapes, dtypes, zero fraction per tensor and per layer, and the metadata.
    With --threshold, for a Bayesian file: the weights each layer keeps at that log α threshold and the compression.
    """,
    positionals: [("FILE", "a .safetensors file")],
    options: [
        OptionSpec(name: "threshold", valueName: "T", help: "a Bayesian file's kept weights per layer at log α threshold T (rebuilds the model from the file's metadata)", defaultValue: nil),
    ])

func runInspect(_ args: CommandSpec.Parsed) throws {
    let url = URL(fileURLWithPath: args.positionals[0])
    if let threshold = try args.double("threshold", .finite) { return try inspectAtThreshold(url, threshold: threshold) }
    let file = try Safetensors.read(contentsOf: url)
    say("\(escapedForTerminal(url.path)): \(file.tensors.count) tensors, \(file.tensors.parameterCount) values")
    if !file.metadata.isEmpty {
        say("metadata:")
        for k in file.metadata.keys.sorted() { say("  \(shortenedForTable(k)) = \(escapedForTerminal(file.metadata[k]!))") }
    }
    say("tensors:")
    // keys are escaped (no control characters reach the terminal) and cut to 80 characters, so
    // that one long key cannot pad every line of the table to megabytes
    let width = max(8, file.tensors.keys.map { shortenedForTable($0).count }.max() ?? 8)
    for (rawKey, t) in file.tensors {
        let key = shortenedForTable(rawKey)
        let zeros = t.scalars.filter { $0 == 0 }.count
        let pct = t.count == 0 ? 0 : 100 * Double(zeros) / Double(t.count)
        say("  \(key.padding(toLength: width, withPad: " ", startingAt: 0))  \(t.dtype.safetensorsName)  \("\(t.shape)".padding(toLength: 18, withPad: " ", startingAt: 0)) zeros \(String(format: "%6.2f", pct))%")
    }
    // per layer: weights (real or complex parts) and masks, grouped by the layer path
    var layers: [String: (zeros: Int, total: Int)] = [:]
    var order: [String] = []
    for (key, t) in file.tensors {
        var path = key
        for suffix in [".weight.real", ".weight.imag", ".weight"] where key.hasSuffix(suffix) || key == String(suffix.dropFirst()) {
            path = key == String(suffix.dropFirst()) ? "" : String(key.dropLast(suffix.count))
            let zeros = t.scalars.filter { $0 == 0 }.count
            if layers[path] == nil { order.append(path) }
            layers[path, default: (0, 0)].zeros += zeros
            layers[path, default: (0, 0)].total += t.count
            break
        }
    }
    if !order.isEmpty {
        say("per layer (weights; a complex weight counts as two reals):")
        var zeros = 0, total = 0
        for p in order {
            let l = layers[p]!
            zeros += l.zeros; total += l.total
            say(String(format: "  %-\(width)@  kept %9d / %9d  (%.2f%% zero)", (p.isEmpty ? "<root>" : shortenedForTable(p)) as NSString,
                         l.total - l.zeros, l.total, 100 * Double(l.zeros) / Double(max(l.total, 1))))
        }
        let kept = total - zeros
        say(String(format: "overall: %d of %d weights nonzero, compression %.1f×", kept, total, kept == 0 ? .infinity : Double(total) / Double(kept)))
    }
}

/// `inspect FILE --threshold T`: the masked model a Bayesian file gives at `threshold` (as
/// `sparsify` builds it), its kept weights per layer and the compression.
func inspectAtThreshold(_ url: URL, threshold: Double) throws {
    let saved = try SavedModel.load(contentsOf: url)
    let d = saved.description
    guard d.flavor.isBayesian else {
        throw UsageError(message: "--threshold applies to Bayesian files; \(url.path) holds a \(d.flavor.rawValue) model")
    }
    let m = try saved.masked(threshold: threshold)
    let layers = maskedLayerSparsity(m.model, parameters: m.parameters)
    say("\(escapedForTerminal(url.path)): \(d.architecture.rawValue), \(d.flavor.rawValue) layers; masks at log α threshold \(threshold)")
    say("per layer (a complex weight counts as two reals):")
    let width = max(8, layers.map { shortenedForTable($0.path).count }.max() ?? 8)
    for l in layers {
        say(String(format: "  %@  kept %9d / %9d  (%.2f%%)", shortenedForTable(l.path).padding(toLength: width, withPad: " ", startingAt: 0),
                   l.kept, l.total, 100 * l.keptFraction))
    }
    let kept = layers.reduce(0) { $0 + $1.kept }, total = layers.reduce(0) { $0 + $1.total }
    say(String(format: "overall: %d of %d weights kept, compression %.1f×", kept, total, kept == 0 ? .infinity : Double(total) / Double(kept)))
}
