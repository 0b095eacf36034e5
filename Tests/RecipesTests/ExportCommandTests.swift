import XCTest
import Foundation
import Recipes

/// `wirtinger export`, `evaluate` on exported files and `predict`, on the files of a tiny
/// `sparsify` run: the exported model reproduces exactly the masked accuracies the run reported
/// (fine-tuned masked model, and the sweep points of the Bayesian file), `predict` writes its
/// logits, and wrong input is a one-line error.
final class ExportCommandTests: CommandLineTestCase {
    func testExportEvaluatePredictOnASparsifyRun() throws {
        let out = try smallSparsifyRun()
        let rep = try report(out)
        let stages = Dictionary(uniqueKeysWithValues: (rep["stages"] as! [[String: Any]]).map { ($0["name"] as! String, $0) })
        func sweep(_ t: Double) -> Double {
            (rep["sweep"] as! [[String: Any]]).first { $0["threshold"] as! Double == t }!["testAccuracy"] as! Double
        }
        let masked = out.appendingPathComponent("masked.safetensors"), bayes = out.appendingPathComponent("bayes.safetensors")
        let dense = out.appendingPathComponent("dense.safetensors")

        // export of the masked file: the per-layer kept weights of the run, one layer in CSR form, one dense
        let deploy = tmp.appendingPathComponent("deploy.safetensors")
        let e = try CLI.run(["export", masked.path, "--out", deploy.path])
        XCTAssertEqual(e.status, 0, e.stderr)
        for layer in rep["layers"] as! [[String: Any]] {
            let kept = String(format: "kept %9d / %9d", layer["kept"] as! Int, layer["total"] as! Int)
            XCTAssertTrue(e.stdout.contains(kept), "\(kept) not in:\n\(e.stdout)")
        }
        XCTAssertTrue(e.stdout.contains("csr") && e.stdout.contains("dense"), e.stdout)
        let size = { (u: URL) in try FileManager.default.attributesOfItem(atPath: u.path)[.size] as! Int }
        XCTAssertLessThan(try size(deploy), try size(dense) / 2, "a 4.7× compressed model in CSR form is well under half the dense file")

        // inspect on the exported file: one summary line per deployed weight, no raw CSR arrays
        let ins = try CLI.run(["inspect", deploy.path])
        XCTAssertEqual(ins.status, 0, ins.stderr)
        XCTAssertTrue(ins.stdout.contains("deployable file"), ins.stdout)
        XCTAssertFalse(ins.stdout.contains(DeployFormat.rowPointers + " ") || ins.stdout.contains(DeployFormat.columnIndices + " "),
                       "raw CSR arrays listed:\n\(ins.stdout)")
        let exported = try Safetensors.read(contentsOf: deploy)
        var csrLines = 0
        for (metaKey, shapeText) in exported.metadata where metaKey.hasPrefix(DeployFormat.csrPrefix) {
            let key = String(metaKey.dropFirst(DeployFormat.csrPrefix.count))
            let nnz = exported.tensors[key + DeployFormat.values]!.count
            let rows = exported.tensors[key + DeployFormat.rowPointers]!.count
            let total = shapeText.split(separator: ",").reduce(1) { $0 * Int($1)! }
            let bytes = 4 * rows + (exported.storedDTypes[key + DeployFormat.columnIndices] == .u16 ? 2 : 4) * nnz + 4 * nnz
            guard let line = ins.stdout.split(separator: "\n").first(where: { $0.hasPrefix("  " + key + " ") }) else {
                XCTFail("no line for \(key):\n\(ins.stdout)"); continue
            }
            XCTAssertTrue(line.contains("csr"), String(line))
            XCTAssertTrue(line.contains(String(format: "kept %9d / %9d", nnz, total)), String(line))
            XCTAssertTrue(line.contains(String(format: "(%6.2f%% dense)", 100 * Double(nnz) / Double(total))), String(line))
            XCTAssertTrue(line.contains(String(format: "%9d bytes", bytes)), "\(line): expected \(bytes) bytes")
            csrLines += 1
        }
        XCTAssertGreaterThan(csrLines, 0, "the export has a CSR weight")

        // evaluate on the exported file: the masked accuracy of the run, exactly
        func check(_ file: URL, _ expected: Double, _ what: String) throws {
            let r = try CLI.run(["evaluate", file.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            guard let a = accuracyLines(r.stdout)["exported"] else { return XCTFail("no exported line for \(what):\n\(r.stdout)") }
            XCTAssertEqual(Double(a.correct) / 200, expected, what)
            XCTAssertEqual(a.accuracy, String(format: "%.4f", expected), what)
        }
        try check(deploy, stages["masked"]!["testAccuracy"] as! Double, "masked")
        // the Bayesian file at its threshold (−0.5) and at 1: the sweep points
        let deployBayes = tmp.appendingPathComponent("bayes-deploy.safetensors"), deploy1 = tmp.appendingPathComponent("bayes1.safetensors")
        XCTAssertEqual(try CLI.run(["export", bayes.path, "--out", deployBayes.path]).status, 0)
        XCTAssertEqual(try CLI.run(["export", bayes.path, "--out", deploy1.path, "--threshold", "1"]).status, 0)
        try check(deployBayes, sweep(-0.5), "bayes at -0.5")
        try check(deploy1, sweep(1), "bayes at 1")
        XCTAssertEqual(try Safetensors.read(contentsOf: deploy1).metadata[ModelDescription.Key.threshold], "1.0")

        // predict: the exported file and the masked file give the same classes, logits within 1e-5
        let test = DataSource.builtInSplit(.glyphs, seed: 3, count: 50, test: true)
        let input = tmp.appendingPathComponent("x.safetensors")
        try Safetensors.write(["inputs": test.inputs], to: input)
        let y1 = tmp.appendingPathComponent("y1.safetensors"), y2 = tmp.appendingPathComponent("y2.safetensors")
        let p1 = try CLI.run(["predict", deploy.path, "--input", input.path, "--out", y1.path, "--batch-size", "7"])
        XCTAssertEqual(p1.status, 0, p1.stderr)
        let p2 = try CLI.run(["predict", masked.path, "--input", input.path, "--out", y2.path])
        XCTAssertEqual(p2.status, 0, p2.stderr)
        let a = try Safetensors.read(contentsOf: y1), b = try Safetensors.read(contentsOf: y2)
        XCTAssertEqual(a.storedDTypes["logits"], .f32)
        XCTAssertEqual(a.storedDTypes["predictions"], .i64)
        XCTAssertEqual(a.tensors["logits"]!.shape, [50, 10])
        XCTAssertEqual(a.tensors["predictions"]!.shape, [50])
        XCTAssertEqual(a.tensors["predictions"]!.scalars, b.tensors["predictions"]!.scalars)
        XCTAssertLessThanOrEqual(zip(a.tensors["logits"]!.scalars, b.tensors["logits"]!.scalars).map { abs($0 - $1) }.max()!, 1e-5)
        // dense and Bayesian model files run too (a Bayesian one as its masked model at its threshold,
        // which is the exported Bayesian file's model)
        let y3 = tmp.appendingPathComponent("y3.safetensors"), y4 = tmp.appendingPathComponent("y4.safetensors")
        let y5 = tmp.appendingPathComponent("y5.safetensors")
        XCTAssertEqual(try CLI.run(["predict", dense.path, "--input", input.path, "--out", y3.path]).status, 0)
        XCTAssertEqual(try Safetensors.read(contentsOf: y3).tensors["logits"]!.shape, [50, 10])
        XCTAssertEqual(try CLI.run(["predict", bayes.path, "--input", input.path, "--out", y4.path]).status, 0)
        XCTAssertEqual(try CLI.run(["predict", deployBayes.path, "--input", input.path, "--out", y5.path]).status, 0)
        XCTAssertEqual(try Safetensors.read(contentsOf: y4).tensors["predictions"]!.scalars,
                       try Safetensors.read(contentsOf: y5).tensors["predictions"]!.scalars)
        XCTAssertLessThanOrEqual(zip(try Safetensors.read(contentsOf: y4).tensors["logits"]!.scalars,
                                     try Safetensors.read(contentsOf: y5).tensors["logits"]!.scalars).map { abs($0 - $1) }.max()!, 1e-5)
        // the predictions are the argmax of the logits
        let logits = a.tensors["logits"]!.scalars
        for (i, p) in a.tensors["predictions"]!.scalars.enumerated() {
            let row = logits[(i * 10)..<(i * 10 + 10)]
            XCTAssertEqual(Int(p), row.firstIndex(of: row.max()!)! - i * 10)
        }

        // wrong input: one line, naming the file
        let x = tmp.appendingPathComponent("x-out.safetensors")
        assertOneLineError(try CLI.run(["export", dense.path, "--out", x.path]), status: 1, contains: ["dense.safetensors", "dense model"])
        assertOneLineError(try CLI.run(["export", masked.path, "--out", x.path, "--threshold", "1"]), status: 1,
                           contains: ["masked.safetensors", "--threshold"])
        assertOneLineError(try CLI.run(["export", deploy.path, "--out", x.path]), status: 1, contains: ["deploy.safetensors", "already"])
        assertOneLineError(try CLI.run(["export", out.appendingPathComponent("report.json").path, "--out", x.path]), status: 1,
                           contains: ["report.json"])
        let bare = tmp.appendingPathComponent("bare.safetensors")
        try Safetensors.write(["w": Tensor([1, 2] as [Float])], to: bare)
        assertOneLineError(try CLI.run(["export", bare.path, "--out", x.path]), status: 1, contains: ["bare.safetensors", "wirtinger.format"])
        assertOneLineError(try CLI.run(["export", masked.path]), status: 2, contains: ["--out"])
        assertOneLineError(try CLI.run(["export", masked.path, "--out", masked.path]), status: 2, contains: ["--out", "input"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: x.path), "no output after a refused export")
        assertOneLineError(try CLI.run(["evaluate", deploy.path, "--threshold", "0"]), status: 2, contains: ["--threshold"])

        let wrongShape = tmp.appendingPathComponent("wrong.safetensors"), wrongName = tmp.appendingPathComponent("name.safetensors")
        try Safetensors.write(["inputs": Tensor.zeros([3, 1, 28, 27])], to: wrongShape)
        try Safetensors.write(["images": Tensor.zeros([3, 1, 28, 28]), "labels": Tensor.zeros([3])], to: wrongName)
        assertOneLineError(try CLI.run(["predict", deploy.path, "--input", wrongShape.path, "--out", x.path]), status: 1,
                           contains: ["wrong.safetensors", "[3, 1, 28, 27]", "[N, 1, 28, 28]"])
        assertOneLineError(try CLI.run(["predict", deploy.path, "--input", wrongName.path, "--out", x.path]), status: 1,
                           contains: ["name.safetensors", "'inputs'", "'images', 'labels'", "--key"])
        let named = try CLI.run(["predict", deploy.path, "--input", wrongName.path, "--key", "images", "--out", x.path])
        XCTAssertEqual(named.status, 0, named.stderr)
        XCTAssertEqual(try Safetensors.read(contentsOf: x).tensors["logits"]?.shape, [3, 10])
        try FileManager.default.removeItem(at: x)
        assertOneLineError(try CLI.run(["predict", deploy.path, "--out", x.path]), status: 2, contains: ["--input"])
        assertOneLineError(try CLI.run(["predict", bare.path, "--input", input.path, "--out", x.path]), status: 1, contains: ["bare.safetensors"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: x.path))
    }

    /// `inspect` of an exported complex model: each complex CSR weight on one line with its kept
    /// weights, density and the bytes of its four tensors (row pointers, indices, real and
    /// imaginary values).
    func testInspectSummarisesComplexCSRWeights() throws {
        let model = try makeClassifier(.cplxMLP, flavor: .masked, sampleShape: [1, 4, 8], classes: 3)
        var p = model.initialParameters(key: RandomKey(seed: 5))
        for (i, k) in p.keys.filter({ $0.hasSuffix(".mask") }).enumerated() {
            let u = uniform(p[k]!.shape, key: RandomKey(seed: UInt64(50 + i))).scalars(as: Float.self)
            p[k] = Tensor(shape: p[k]!.shape, scalars: u.map { $0 < 0.1 ? 1 : 0 })
        }
        let d = ModelDescription(architecture: .cplxMLP, flavor: .masked, classes: 3, sampleShape: [1, 4, 8], seed: 5,
                                 data: DataSource(kind: .glyphs, seed: 0, trainSize: 1, testSize: 1))
        let masked = tmp.appendingPathComponent("cmasked.safetensors"), deploy = tmp.appendingPathComponent("cdeploy.safetensors")
        try Safetensors.write(p, metadata: d.metadata, to: masked)
        XCTAssertEqual(try CLI.run(["export", masked.path, "--out", deploy.path]).status, 0)
        let r = try CLI.run(["inspect", deploy.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let file = try Safetensors.read(contentsOf: deploy)
        var lines = 0
        for (metaKey, shapeText) in file.metadata where metaKey.hasPrefix(DeployFormat.csrPrefix) {
            let key = String(metaKey.dropFirst(DeployFormat.csrPrefix.count))
            let nnz = try XCTUnwrap(file.tensors[key + DeployFormat.values + ".real"], "\(key) is complex").count
            let rows = file.tensors[key + DeployFormat.rowPointers]!.count
            let indexBytes = file.storedDTypes[key + DeployFormat.columnIndices] == .u16 ? 2 : 4
            let total = shapeText.split(separator: ",").reduce(1) { $0 * Int($1)! }
            guard let line = r.stdout.split(separator: "\n").first(where: { $0.hasPrefix("  " + key + " ") }) else {
                XCTFail("no line for \(key):\n\(r.stdout)"); continue
            }
            XCTAssertTrue(line.contains(String(format: "kept %9d / %9d", nnz, total)), String(line))
            XCTAssertTrue(line.contains(String(format: "%9d bytes", 4 * rows + indexBytes * nnz + 8 * nnz)), String(line))
            XCTAssertTrue(line.hasSuffix("I32/\(indexBytes == 2 ? "U16" : "I32")/F32/F32"), String(line))
            lines += 1
        }
        XCTAssertGreaterThan(lines, 0, "the complex export has a CSR weight:\n\(r.stdout)")
        XCTAssertFalse(r.stdout.contains(".values.real "), r.stdout)
    }

    /// A complex model takes `inputs.real` / `inputs.imag` as well as interleaved `inputs`.
    func testPredictTakesComplexInputParts() throws {
        let model = try makeClassifier(.cplxMLP, flavor: .masked, sampleShape: [1, 4, 8], classes: 3)
        let p = model.initialParameters(key: RandomKey(seed: 2))
        let d = ModelDescription(architecture: .cplxMLP, flavor: .masked, classes: 3, sampleShape: [1, 4, 8], seed: 2,
                                 data: DataSource(kind: .glyphs, seed: 0, trainSize: 1, testSize: 1))
        let file = tmp.appendingPathComponent("c.safetensors")
        try Safetensors.write(p, metadata: d.metadata, to: file)
        let z = ComplexTensor(real: uniform([5, 1, 4, 4], key: RandomKey(seed: 3)), imag: uniform([5, 1, 4, 4], key: RandomKey(seed: 4)))
        let parts = tmp.appendingPathComponent("parts.safetensors"), inter = tmp.appendingPathComponent("inter.safetensors")
        try Safetensors.write(["inputs.real": z.real, "inputs.imag": z.imag], to: parts)
        try Safetensors.write(["inputs": toInterleaved(z, axis: -1)], to: inter)
        let y1 = tmp.appendingPathComponent("y1.safetensors"), y2 = tmp.appendingPathComponent("y2.safetensors")
        XCTAssertEqual(try CLI.run(["predict", file.path, "--input", parts.path, "--out", y1.path]).status, 0)
        XCTAssertEqual(try CLI.run(["predict", file.path, "--input", inter.path, "--out", y2.path]).status, 0)
        XCTAssertEqual(try Safetensors.read(contentsOf: y1).tensors["logits"]!.scalars, try Safetensors.read(contentsOf: y2).tensors["logits"]!.scalars)
        let bad = tmp.appendingPathComponent("bad.safetensors")
        try Safetensors.write(["inputs.real": z.real, "inputs.imag": Tensor.zeros([5, 1, 4, 3])], to: bad)
        let r = try CLI.run(["predict", file.path, "--input", bad.path, "--out", y1.path])
        assertOneLineError(r, status: 1, contains: ["bad.safetensors", "inputs.imag"])
        // both forms in one file are ambiguous
        let both = tmp.appendingPathComponent("both.safetensors")
        try Safetensors.write(["inputs": toInterleaved(z, axis: -1), "inputs.real": z.real, "inputs.imag": z.imag], to: both)
        assertOneLineError(try CLI.run(["predict", file.path, "--input", both.path, "--out", y1.path]), status: 1,
                           contains: ["both.safetensors", "'inputs'", "inputs.real", "one form"])
    }

    /// A complex input for a real model names the complex tensor; finite inputs whose logits come
    /// out NaN are written with prediction -1, named, and exit with status 1.
    func testPredictNamesComplexInputsAndNaNLogits() throws {
        let model = try makeClassifier(.mlp, flavor: .dense, sampleShape: [1, 2, 3], classes: 4, hidden: 5)
        var p = model.initialParameters(key: RandomKey(seed: 1))
        // weights that make a huge input's logits inf - inf: the hidden layer sums its 6 inputs,
        // the output layer adds the first hidden unit and subtracts the second
        XCTAssertEqual(p["classifier.0.weight"]?.shape, [5, 6])
        XCTAssertEqual(p["classifier.2.weight"]?.shape, [4, 5])
        p["classifier.0.weight"] = Tensor.ones([5, 6])
        p["classifier.2.weight"] = Tensor(shape: [4, 5], scalars: (0..<20).map { [1.0, -1, 0, 0, 0][$0 % 5] })
        let d = ModelDescription(architecture: .mlp, flavor: .dense, hidden: 5, classes: 4, sampleShape: [1, 2, 3], seed: 1,
                                 data: DataSource(kind: .glyphs, seed: 0, trainSize: 1, testSize: 1))
        let file = tmp.appendingPathComponent("m.safetensors"), y = tmp.appendingPathComponent("y.safetensors")
        try Safetensors.write(p, metadata: d.metadata, to: file)
        let c = tmp.appendingPathComponent("c.safetensors")
        try Safetensors.write(["inputs.real": Tensor.zeros([2, 1, 2, 3]), "inputs.imag": Tensor.zeros([2, 1, 2, 3])], to: c)
        assertOneLineError(try CLI.run(["predict", file.path, "--input", c.path, "--out", y.path]), status: 1,
                           contains: ["c.safetensors", "complex", "mlp", "[N, 1, 2, 3]"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: y.path))

        // example 1 overflows float32 in the first layer (6 · 3e38), example 0 is fine
        let x = Tensor(shape: [2, 1, 2, 3], scalars: [0.5, -0.25, 1, 0, 2, -1] + Array(repeating: 3e38, count: 6))
        let big = tmp.appendingPathComponent("big.safetensors")
        try Safetensors.write(["inputs": x], to: big)
        let r = try CLI.run(["predict", file.path, "--input", big.path, "--out", y.path])
        assertOneLineError(r, status: 1, contains: ["1 of 2 examples", "big.safetensors", "NaN", "example 1", "-1"])
        let out = try Safetensors.read(contentsOf: y)
        let predictions = out.tensors["predictions"]!.scalars
        XCTAssertEqual(predictions[1], -1)
        XCTAssertTrue((0..<4).contains(Int(predictions[0])))
        XCTAssertEqual(Int(predictions[0]), argmaxRows(Tensor(shape: [1, 4], scalars: Array(out.tensors["logits"]!.scalars[0..<4])))[0])
    }
}
