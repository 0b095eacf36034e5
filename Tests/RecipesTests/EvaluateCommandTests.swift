import XCTest
import Foundation
import Recipes

/// `wirtinger evaluate` and `inspect --threshold` on the files of tiny `sparsify` and `train`
/// runs: the model is rebuilt from the file's metadata alone and reproduces exactly the test
/// accuracies (and losses) the run reported; wrong input is a one-line error with status 1.
final class EvaluateCommandTests: CommandLineTestCase {
    func testEvaluateReproducesSparsifyExactly() throws {
        let out = try smallSparsifyRun()
        let rep = try report(out)
        let stages = Dictionary(uniqueKeysWithValues: (rep["stages"] as! [[String: Any]]).map { ($0["name"] as! String, $0) })
        let sweep = (rep["sweep"] as! [[String: Any]]).first { $0["threshold"] as! Double == -0.5 }!

        func check(_ line: AccuracyLine?, accuracy: Double, loss: Double?, _ what: String) {
            guard let line else { return XCTFail("no accuracy line for \(what)") }
            XCTAssertEqual(line.count, 200, what)
            XCTAssertEqual(Double(line.correct) / Double(line.count), accuracy, what)   // exactly: k / 200 both ways
            XCTAssertEqual(line.accuracy, String(format: "%.4f", accuracy), what)
            if let loss { XCTAssertEqual(line.loss, String(format: "%.4f", loss), what) }
        }
        let dense = try CLI.run(["evaluate", out.appendingPathComponent("dense.safetensors").path])
        XCTAssertEqual(dense.status, 0, dense.stderr)
        check(accuracyLines(dense.stdout)["dense"], accuracy: stages["dense"]!["testAccuracy"] as! Double,
              loss: stages["dense"]!["testLoss"] as? Double, "dense")
        XCTAssertTrue(dense.stdout.contains("confusion matrix") && dense.stdout.contains("time:"), dense.stdout)

        let masked = try CLI.run(["evaluate", out.appendingPathComponent("masked.safetensors").path])
        XCTAssertEqual(masked.status, 0, masked.stderr)
        check(accuracyLines(masked.stdout)["masked"], accuracy: stages["masked"]!["testAccuracy"] as! Double,
              loss: stages["masked"]!["testLoss"] as? Double, "masked")
        let layers = rep["layers"] as! [[String: Any]]
        let kept = layers.map { $0["kept"] as! Int }.reduce(0, +), total = layers.map { $0["total"] as! Int }.reduce(0, +)
        XCTAssertTrue(masked.stdout.contains("the masks keep \(kept) of \(total) weights"), masked.stdout)

        // the Bayesian file: the model itself (the vd stage line) and the masked model at the
        // file's threshold −0.5 (the sweep point at −0.5), with the sweep's sparsity
        let bayes = try CLI.run(["evaluate", out.appendingPathComponent("bayes.safetensors").path])
        XCTAssertEqual(bayes.status, 0, bayes.stderr)
        let lines = accuracyLines(bayes.stdout)
        check(lines["vd"], accuracy: stages["vd"]!["testAccuracy"] as! Double, loss: stages["vd"]!["testLoss"] as? Double, "vd")
        check(lines["masked at threshold -0.5"], accuracy: sweep["testAccuracy"] as! Double, loss: nil, "bayes at -0.5")
        // another threshold is another sweep point
        let sweep1 = (rep["sweep"] as! [[String: Any]]).first { $0["threshold"] as! Double == 1.0 }!
        let bayes1 = try CLI.run(["evaluate", out.appendingPathComponent("bayes.safetensors").path, "--threshold", "1"])
        XCTAssertEqual(bayes1.status, 0, bayes1.stderr)
        check(accuracyLines(bayes1.stdout)["masked at threshold 1.0"], accuracy: sweep1["testAccuracy"] as! Double, loss: nil, "bayes at 1")

        // the confusion matrix counts every test example, its diagonal the correct ones
        let rows = masked.stdout.components(separatedBy: "confusion matrix")[1].split(separator: "\n").dropFirst(2).prefix(10)
        let counts = rows.map { $0.split(separator: " ").dropFirst(2).map { Int($0)! } }
        XCTAssertEqual(counts.count, 10)
        XCTAssertEqual(counts.joined().reduce(0, +), 200)
        XCTAssertEqual(counts.indices.map { counts[$0][$0] }.reduce(0, +), accuracyLines(masked.stdout)["masked"]!.correct)

        // inspect --threshold: the per-layer kept weights sparsify reported for its masked model
        let inspect = try CLI.run(["inspect", out.appendingPathComponent("bayes.safetensors").path, "--threshold", "-0.5"])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        for layer in rep["layers"] as! [[String: Any]] {
            let expected = String(format: "kept %9d / %9d", layer["kept"] as! Int, layer["total"] as! Int)
            XCTAssertTrue(inspect.stdout.contains("\(layer["path"] as! String)  \(expected)"), "\(expected) not in:\n\(inspect.stdout)")
        }
        XCTAssertTrue(inspect.stdout.contains(String(format: "compression %.1f×", rep["compressionRatio"] as! Double)), inspect.stdout)
        let inspectDense = try CLI.run(["inspect", out.appendingPathComponent("dense.safetensors").path, "--threshold", "0"])
        assertOneLineError(inspectDense, status: 2, contains: ["Bayesian", "dense"])

        // wrong input: one line, status 1, naming the file (and the key)
        let denseFile = out.appendingPathComponent("dense.safetensors")
        assertOneLineError(try CLI.run(["evaluate", tmp.appendingPathComponent("nope.safetensors").path]), status: 1, contains: ["nope.safetensors"])
        let file = try Safetensors.read(contentsOf: denseFile)
        func variant(_ name: String, _ change: (inout [String: String]) -> Void) throws -> String {
            var m = file.metadata
            change(&m)
            let url = tmp.appendingPathComponent(name)
            try Safetensors.write(file.tensors, metadata: m, to: url)
            return url.path
        }
        let bare = try variant("bare.safetensors") { $0 = [:] }
        assertOneLineError(try CLI.run(["evaluate", bare]), status: 1, contains: ["bare.safetensors", "wirtinger.format", "no model description"])
        let resnet = try variant("resnet.safetensors") { $0["wirtinger.architecture"] = "resnet" }
        assertOneLineError(try CLI.run(["evaluate", resnet]), status: 1, contains: ["resnet.safetensors", "wirtinger.architecture", "resnet"])
        let lenet = try variant("lenet.safetensors") { $0["wirtinger.architecture"] = "lenet5"; $0["wirtinger.input_shape"] = "1,28,14" }
        assertOneLineError(try CLI.run(["evaluate", lenet]), status: 1, contains: ["lenet.safetensors", "wirtinger.architecture", "[1, 28, 14]"])
        let wider = try variant("wider.safetensors") { $0["wirtinger.hidden"] = "64" }
        assertOneLineError(try CLI.run(["evaluate", wider]), status: 1, contains: ["wider.safetensors", "do not match the model"])
        let flavor = try variant("flavor.safetensors") { $0["wirtinger.flavor"] = "vd" }
        assertOneLineError(try CLI.run(["evaluate", flavor]), status: 1, contains: ["flavor.safetensors", "do not match the model"])
        assertOneLineError(try CLI.run(["evaluate", denseFile.path, "--threshold", "1"]), status: 2, contains: ["--threshold"])
    }

    /// A `wirtinger train` checkpoint (with its optimizer entries) evaluates to the accuracy
    /// train printed after its last epoch.
    func testEvaluateTrainCheckpoint() throws {
        let ckpt = tmp.appendingPathComponent("ckpt.safetensors")
        let t = try CLI.run(["train", "--train-size", "300", "--test-size", "120", "--epochs", "2", "--hidden", "24", "--lr", "0.003",
                             "--seed", "5", "--checkpoint", ckpt.path])
        XCTAssertEqual(t.status, 0, t.stderr + t.stdout)
        let printed = t.stdout.split(separator: "\n").last { $0.hasPrefix("epoch 2: test accuracy ") }!
        let accuracy = String(printed.split(separator: " ")[4].dropLast())
        let meta = try Safetensors.read(contentsOf: ckpt).metadata
        XCTAssertEqual(meta["wirtinger.flavor"], "dense")
        XCTAssertEqual(meta["wirtinger.hidden"], "24")
        XCTAssertEqual(meta["completed_epochs"], "2")
        let e = try CLI.run(["evaluate", ckpt.path])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertEqual(accuracyLines(e.stdout)["dense"]?.accuracy, accuracy, e.stdout)
        XCTAssertEqual(accuracyLines(e.stdout)["dense"]?.count, 120)
    }

    /// Fine-tuning a masked file with `train` keeps its threshold in the checkpoint's description.
    func testTrainFromMaskedFileKeepsTheThreshold() throws {
        let out = tmp.appendingPathComponent("run")
        let run = try CLI.run(["sparsify", "--train-size", "200", "--test-size", "50", "--epochs", "1,1,0", "--hidden", "8",
                               "--threshold", "0.5", "--out", out.path])
        XCTAssertEqual(run.status, 0, run.stderr + run.stdout)
        let ckpt = tmp.appendingPathComponent("ft.safetensors")
        let t = try CLI.run(["train", "--flavor", "masked", "--init", out.appendingPathComponent("masked.safetensors").path, "--epochs", "1",
                             "--train-size", "200", "--test-size", "50", "--hidden", "8", "--checkpoint", ckpt.path])
        XCTAssertEqual(t.status, 0, t.stderr + t.stdout)
        let meta = try Safetensors.read(contentsOf: ckpt).metadata
        XCTAssertEqual(meta["wirtinger.threshold"], "0.5")
        XCTAssertEqual(meta["wirtinger.flavor"], "masked")
        XCTAssertEqual(try CLI.run(["evaluate", ckpt.path]).status, 0)
    }

    /// Radio signals: the complex model's test set is regenerated from the recorded seed, and the
    /// accuracy per SNR is the one sparsify reported.
    func testEvaluateComplexRadioModelPerSNR() throws {
        let out = tmp.appendingPathComponent("radio")
        let run = try CLI.run(["sparsify", "--model", "cplx-mlp", "--train-size", "352", "--test-size", "176", "--epochs", "2,1,1",
                               "--hidden", "8", "--seed", "1", "--lr", "0.01", "--out", out.path])
        XCTAssertEqual(run.status, 0, run.stderr + run.stdout)
        let meta = try Safetensors.read(contentsOf: out.appendingPathComponent("masked.safetensors")).metadata
        XCTAssertEqual(meta["wirtinger.numbers"], "complex")
        XCTAssertEqual(meta["wirtinger.data"], "radio")
        XCTAssertEqual(meta["wirtinger.threshold"], "-0.5")
        let stages = try report(out)["stages"] as! [[String: Any]]
        for (file, stage) in [("dense", "dense"), ("masked", "masked")] {
            let e = try CLI.run(["evaluate", out.appendingPathComponent("\(file).safetensors").path])
            XCTAssertEqual(e.status, 0, e.stderr)
            let s = stages.first { $0["name"] as! String == stage }!
            XCTAssertEqual(accuracyLines(e.stdout)[stage]?.correct, Int(((s["testAccuracy"] as! Double) * 176).rounded()), e.stdout)
            let bySNR = s["testAccuracyBySNR"] as! [[String: Any]]
            let table = e.stdout.components(separatedBy: "test accuracy per SNR:\n")[1].split(separator: "\n").dropFirst()
                .prefix { !$0.hasPrefix("time:") }
            XCTAssertEqual(table.count, bySNR.count, e.stdout)
            for (row, expected) in zip(table, bySNR) {
                XCTAssertEqual(row.split(separator: " ").map(String.init),
                               [String(format: "%g", expected["snr"] as! Double), String(expected["count"] as! Int),
                                String(format: "%.4f", expected["accuracy"] as! Double)], "\(file)")
            }
        }
    }

    /// A model trained on a `--data` file records the file's path: evaluate reads its test split
    /// again without options; `--data` of another shape is a one-line error.
    func testEvaluateModelOfADataFile() throws {
        let data = tmp.appendingPathComponent("glyphs.safetensors")
        try DatasetFile.write(train: SyntheticData.glyphs(count: 300, seed: 2, sampleSeed: 1),
                              test: SyntheticData.glyphs(count: 150, seed: 2, sampleSeed: 2), to: data)
        let out = tmp.appendingPathComponent("run")
        let run = try CLI.run(["sparsify", "--data", data.path, "--test-size", "120", "--hidden", "16", "--epochs", "2,1,1",
                               "--lr", "0.003", "--out", out.path])
        XCTAssertEqual(run.status, 0, run.stderr + run.stdout)
        let masked = out.appendingPathComponent("masked.safetensors")
        let meta = try Safetensors.read(contentsOf: masked).metadata
        XCTAssertEqual(meta["wirtinger.data"], "file")
        XCTAssertEqual(meta["wirtinger.data.path"], data.standardizedFileURL.path)
        XCTAssertEqual(meta["wirtinger.data.test_size"], "120")
        let stages = try report(out)["stages"] as! [[String: Any]]
        let expected = stages.first { $0["name"] as! String == "masked" }!["testAccuracy"] as! Double
        let e = try CLI.run(["evaluate", masked.path])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertEqual(accuracyLines(e.stdout)["masked"]?.count, 120)
        XCTAssertEqual(accuracyLines(e.stdout)["masked"].map { Double($0.correct) / 120 }, expected)
        // --data: the whole test split of the given file
        let all = try CLI.run(["evaluate", masked.path, "--data", data.path])
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertEqual(accuracyLines(all.stdout)["masked"]?.count, 150)
        // data of another shape
        let other = tmp.appendingPathComponent("other.safetensors")
        try DatasetFile.write(train: RadioSignals().dataset(count: 22, seed: 1), test: RadioSignals().dataset(count: 22, seed: 2), to: other)
        assertOneLineError(try CLI.run(["evaluate", masked.path, "--data", other.path]), status: 1, contains: ["other.safetensors", "[1, 28, 28]"])
    }

    /// A model trained on MNIST IDX files records the directory; evaluate reads it again.
    func testEvaluateModelOfMNISTFiles() throws {
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
        let glyphs = ["train": SyntheticData.glyphs(count: 200, seed: 1, sampleSeed: 1), "t10k": SyntheticData.glyphs(count: 60, seed: 1, sampleSeed: 2)]
        let dir = tmp.appendingPathComponent("mnist")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (split, d) in glyphs {
            let pixels = d.inputs.scalars.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
            try Data(be32(0x0803) + be32(UInt32(d.count)) + be32(28) + be32(28) + pixels)
                .write(to: dir.appendingPathComponent("\(split)-images.idx3-ubyte"))
            try Data(be32(0x0801) + be32(UInt32(d.count)) + d.labels.map { UInt8($0) }).write(to: dir.appendingPathComponent("\(split)-labels.idx1-ubyte"))
        }
        let out = tmp.appendingPathComponent("run")
        let run = try CLI.run(["sparsify", "--mnist", dir.path, "--hidden", "16", "--epochs", "2,1,1", "--lr", "0.003", "--out", out.path])
        XCTAssertEqual(run.status, 0, run.stderr + run.stdout)
        let dense = out.appendingPathComponent("dense.safetensors")
        XCTAssertEqual(try Safetensors.read(contentsOf: dense).metadata["wirtinger.data"], "mnist")
        let expected = (try report(out)["stages"] as! [[String: Any]]).first!["testAccuracy"] as! Double
        for args in [["evaluate", dense.path], ["evaluate", dense.path, "--mnist", dir.path]] {
            let e = try CLI.run(args)
            XCTAssertEqual(e.status, 0, e.stderr)
            XCTAssertEqual(accuracyLines(e.stdout)["dense"]?.count, 60, e.stdout)
            XCTAssertEqual(accuracyLines(e.stdout)["dense"].map { Double($0.correct) / 60 }, expected, e.stdout)
        }
        // the directory is gone: one line naming it
        try FileManager.default.removeItem(at: dir)
        let gone = try CLI.run(["evaluate", dense.path])
        assertOneLineError(gone, status: 1, contains: ["mnist"])
    }
}
