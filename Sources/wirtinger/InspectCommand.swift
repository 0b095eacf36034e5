import Foundation
import Recipes

let inspectSpec = CommandSpec(
    name: "inspect",
    summary: """
    Show the tensors of a safetensors file: keys, shapes, dtypes, zero fraction per tensor and per layer, and the metadata.
    For a deployable file (wirtinger export): each weight's form (CSR or dense), kept weights, density and bytes.
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
    if DeployedModel.isDeployable(file.metadata) { return inspectDeployable(url, file) }
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

/// Bytes per element of the dtypes a deployable file stores (`U16`, `I32`, `F32`; others by width).
private func elementBytes(_ d: SafetensorsDType?) -> Int {
    switch d {
    case .u16?, .i16?, .f16?, .bf16?: return 2
    case .i32?, .u32?, .f32?: return 4
    case .i64?, .u64?, .f64?, .c64?: return 8
    default: return d == nil ? 4 : 1
    }
}

/// `inspect` of a deployable file (``DeployFormat``): its metadata, the tensors other than the CSR
/// arrays, and per deployed weight its form, dense shape, kept weights, density and the bytes its
/// tensors take, instead of the raw row pointers and column indices.
func inspectDeployable(_ url: URL, _ file: SafetensorsFile) {
    let fileBytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
    say("\(escapedForTerminal(url.path)): deployable file (format \(escapedForTerminal(file.metadata[DeployFormat.versionKey] ?? "?"))), "
        + "\(file.tensors.count) tensors" + (fileBytes.map { ", \($0) bytes" } ?? ""))
    say("metadata:")
    for k in file.metadata.keys.sorted() { say("  \(shortenedForTable(k)) = \(escapedForTerminal(file.metadata[k]!))") }
    // One row per deployed weight: its key, form, dense shape, kept weights and the keys of its tensors.
    struct Row { let key: String; let csr: Bool; let shape: String; let kept: Int; let total: Int; let tensors: [String] }
    var rows: [Row] = []
    func count(_ shapeText: String) -> Int {
        shapeText.split(separator: ",").reduce(1) { $0 * (Int($1) ?? 0) }
    }
    for metaKey in file.metadata.keys.sorted() where metaKey.hasPrefix(DeployFormat.csrPrefix) {
        let key = String(metaKey.dropFirst(DeployFormat.csrPrefix.count))
        let values = file.tensors[key + DeployFormat.values] != nil ? [key + DeployFormat.values]
            : [key + DeployFormat.values + ".real", key + DeployFormat.values + ".imag"]
        let parts = [key + DeployFormat.rowPointers, key + DeployFormat.columnIndices] + values
        rows.append(Row(key: key, csr: true, shape: file.metadata[metaKey]!, kept: file.tensors[values[0]]?.count ?? 0,
                        total: count(file.metadata[metaKey]!), tensors: parts))
    }
    for metaKey in file.metadata.keys.sorted() where metaKey.hasPrefix(DeployFormat.densePrefix) {
        let key = String(metaKey.dropFirst(DeployFormat.densePrefix.count))
        let parts = file.tensors[key] != nil ? [key] : [key + ".real", key + ".imag"]
        let stored = parts.compactMap { file.tensors[$0]?.scalars }
        let kept = stored.count == 2 ? zip(stored[0], stored[1]).filter { $0 != 0 || $1 != 0 }.count
            : (stored.first ?? []).filter { $0 != 0 }.count
        rows.append(Row(key: key, csr: false, shape: file.metadata[metaKey]!, kept: kept, total: count(file.metadata[metaKey]!), tensors: parts))
    }
    rows.sort { $0.key < $1.key }
    let deployedTensors = Set(rows.flatMap(\.tensors))
    let others = file.tensors.keys.filter { !deployedTensors.contains($0) }
    say("other tensors:")
    let width = max(8, (others + rows.map(\.key)).map { shortenedForTable($0).count }.max() ?? 8)
    for key in others {
        let t = file.tensors[key]!
        say("  \(shortenedForTable(key).padding(toLength: width, withPad: " ", startingAt: 0))  \(file.storedDTypes[key]?.rawValue ?? t.dtype.safetensorsName)  \(t.shape)")
    }
    say("deployed weights (CSR: row pointers, column indices, values; a complex weight keeps real and imaginary values):")
    var kept = 0, total = 0, bytes = 0
    for r in rows {
        let b = r.tensors.reduce(0) { $0 + (file.tensors[$1]?.count ?? 0) * elementBytes(file.storedDTypes[$1]) }
        let dtypes = r.tensors.map { file.storedDTypes[$0]?.rawValue ?? "?" }.joined(separator: "/")
        kept += r.kept; total += r.total; bytes += b
        say(String(format: "  %@  %@  %@  kept %9d / %9d  (%6.2f%% dense)  %9d bytes  %@",
                   shortenedForTable(r.key).padding(toLength: width, withPad: " ", startingAt: 0), (r.csr ? "csr  " : "dense") as NSString,
                   "[\(r.shape.replacingOccurrences(of: ",", with: ", "))]".padding(toLength: 16, withPad: " ", startingAt: 0),
                   r.kept, r.total, 100 * Double(r.kept) / Double(max(r.total, 1)), b, dtypes as NSString))
    }
    say(String(format: "overall: %d of %d weights kept, compression %.1f×; the deployed weights take %d bytes", kept, total,
               kept == 0 ? .infinity : Double(total) / Double(kept), bytes))
}
