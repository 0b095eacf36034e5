import XCTest
import Foundation
import Recipes

/// Deployable files (`wirtinger export`): every architecture's masked model written in CSR/dense
/// form and read back gives the masked model's logits; damaged files are refused with the key at
/// fault; the numpy reader Tools/wirtinger_deploy.py computes `predict`'s logits.
final class DeploymentTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("wirtinger-deploy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    /// The architectures and input shapes covered: real linear, real convolutions, complex
    /// linear, complex 1-d (grouped) and 2-d convolutions.
    static let cases: [(Architecture, [Int])] = [(.mlp, [1, 8, 8]), (.lenet300, [1, 6, 6]), (.lenet5, [1, 28, 28]), (.cplxMLP, [1, 8, 8]),
                                                 (.cplxConv, [1, 64]), (.cplxConv, [1, 20, 40])]

    /// A masked model file of `architecture` whose masks keep a random fraction, cycling through
    /// `keeps` per masked layer (so that some weights end up in CSR form and some dense).
    func maskedFile(_ architecture: Architecture, sampleShape: [Int], keeps: [Double] = [0.3, 0.9, 0.05, 0.6],
                    name: String) throws -> (url: URL, model: any Layer<Tensor, Tensor>, parameters: ParameterTree) {
        let model = try makeClassifier(architecture, flavor: .masked, sampleShape: sampleShape, classes: 5)
        var p = model.initialParameters(key: RandomKey(seed: 11))
        let masks = p.keys.filter { $0.hasSuffix(".mask") }
        XCTAssertFalse(masks.isEmpty, "\(architecture) has no masks")
        for (i, k) in masks.enumerated() {
            let shape = p[k]!.shape
            let u = uniform(shape, key: RandomKey(seed: UInt64(100 + i))).scalars(as: Float.self)
            p[k] = Tensor(shape: shape, scalars: u.map { Double($0) < keeps[i % keeps.count] ? 1 : 0 })
        }
        let d = ModelDescription(architecture: architecture, flavor: .masked, classes: 5, sampleShape: sampleShape, seed: 11,
                                 data: DataSource(kind: .glyphs, seed: 0, trainSize: 1, testSize: 1), threshold: -0.5)
        let url = tmp.appendingPathComponent(name)
        try Safetensors.write(p, metadata: d.metadata, to: url)
        return (url, model, p)
    }

    func testDeployedModelsGiveTheMaskedLogits() throws {
        for (i, (arch, shape)) in Self.cases.enumerated() {
            let what = "\(arch.rawValue) \(shape)"
            let (url, model, p) = try maskedFile(arch, sampleShape: shape, name: "masked\(i).safetensors")
            let file = try deployableFile(try SavedModel.load(contentsOf: url))
            let out = tmp.appendingPathComponent("deploy\(i).safetensors")
            try file.write(to: out)
            let raw = try Safetensors.read(contentsOf: out)
            XCTAssertFalse(raw.tensors.keys.contains { $0.hasSuffix("mask") }, what)
            XCTAssertEqual(raw.metadata[DeployFormat.versionKey], DeployFormat.version, what)
            XCTAssertEqual(raw.metadata[ModelDescription.Key.architecture], arch.rawValue, what)

            let deployed = try DeployedModel.load(contentsOf: out)
            XCTAssertEqual(deployed.weights.count, p.keys.filter { $0.hasSuffix(".mask") }.count, what)
            for w in deployed.weights {
                let mask = p[String(w.key.dropLast("weight".count)) + "mask"]!
                let kept = mask.scalars.filter { $0 != 0 }.count
                XCTAssertEqual(w.kept, kept, "\(what) \(w.key)")
                XCTAssertEqual(w.isCSR, Double(kept) / Double(w.total) <= DeployFormat.defaultMaxDensity, "\(what) \(w.key)")
                if w.isCSR {
                    XCTAssertEqual(raw.storedDTypes[w.key + DeployFormat.rowPointers], .i32, what)
                    XCTAssertEqual(raw.storedDTypes[w.key + DeployFormat.columnIndices], w.total / w.shape[0] <= 65_536 ? .u16 : .i32, what)
                    XCTAssertEqual(raw.storedDTypes[w.key + DeployFormat.values + (w.isComplex ? ".real" : "")], .f32, what)
                }
                // the rebuilt dense weight is W ⊙ mask, bit for bit
                for part in w.isComplex ? [".real", ".imag"] : [""] {
                    XCTAssertEqual(deployed.denseParameters[w.key + part]!.scalars, (p[w.key + part]! * mask).scalars, "\(what) \(w.key)\(part)")
                }
            }
            XCTAssertTrue(deployed.weights.contains { $0.isCSR }, what)

            let x = uniform([3] + shape, key: RandomKey(seed: 5), low: -1, high: 1)
            let expected = model(x, parameters: p, context: Context(training: false))
            let got = batchedLogits(deployed.model, parameters: deployed.parameters, inputs: x, batchSize: 2)
            XCTAssertEqual(got.shape, [3, 5], what)
            let scale = max(1, expected.scalars.map(Swift.abs).max()!)
            let diff = zip(got.scalars, expected.scalars).map { Swift.abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(diff, 1e-5 * scale, what)
        }
    }

    /// The linear-only architectures load as one `SparseLinearChain` whose logits equal the
    /// compiled container's bit for bit; the others keep their compiled containers.
    func testLinearArchitecturesLoadAsOneChain() throws {
        for (i, (arch, shape)) in Self.cases.enumerated() {
            let (url, _, _) = try maskedFile(arch, sampleShape: shape, name: "chain\(i).safetensors")
            let out = tmp.appendingPathComponent("chain-deploy\(i).safetensors")
            try deployableFile(try SavedModel.load(contentsOf: url)).write(to: out)
            let deployed = try DeployedModel.load(contentsOf: out)
            let linearOnly = arch == .mlp || arch == .lenet300
            XCTAssertEqual(deployed.model is SparseLinearChain, linearOnly, arch.rawValue)
            guard linearOnly else { continue }
            let (unchained, rest) = compileSparseClassifier(deployed.denseModel, parameters: deployed.denseParameters,
                                                            maxDensity: DeployFormat.defaultMaxDensity)
            XCTAssertFalse(unchained is SparseLinearChain)
            for n in [1, 5, 70] {
                let x = uniform([n] + shape, key: RandomKey(seed: UInt64(n)), low: -1, high: 1)
                XCTAssertEqual(deployed.model(x, parameters: deployed.parameters, context: Context(training: false)).scalars,
                               unchained(x, parameters: rest, context: Context(training: false)).scalars, "\(arch.rawValue), batch \(n)")
            }
        }
    }

    func testExportRefusesDenseFilesAndThresholdsForMaskedFiles() throws {
        let (url, _, _) = try maskedFile(.mlp, sampleShape: [1, 4, 4], name: "m.safetensors")
        let saved = try SavedModel.load(contentsOf: url)
        XCTAssertThrowsError(try deployableFile(saved, threshold: 1)) { e in
            XCTAssertEqual(e as? DeployError, .thresholdForMaskedFile(file: url.path))
        }
        var dense = saved
        dense.description.flavor = .dense
        XCTAssertThrowsError(try deployableFile(dense)) { e in
            XCTAssertEqual(e as? DeployError, .nothingToSparsify(file: url.path, flavor: "dense"))
            XCTAssertTrue("\(e)".contains("masked or Bayesian"))
        }
    }

    /// Damaged deployable files: each is refused with a ``DeployError`` naming the tensor or key.
    func testDamagedDeployableFilesAreRefused() throws {
        let (url, _, _) = try maskedFile(.mlp, sampleShape: [1, 8, 8], keeps: [0.2, 0.2], name: "m.safetensors")
        let good = tmp.appendingPathComponent("good.safetensors")
        try deployableFile(try SavedModel.load(contentsOf: url)).write(to: good)
        let file = try Safetensors.read(contentsOf: good)
        let w = "classifier.0.weight"
        func variant(_ name: String, _ change: (inout ParameterTree, inout [String: String], inout [String: SafetensorsDType]) -> Void) throws -> URL {
            var t = file.tensors, m = file.metadata, d = file.storedDTypes
            change(&t, &m, &d)
            let u = tmp.appendingPathComponent(name)
            try Safetensors.write(t, metadata: m, storedAs: { d[$0] == .f32 || d[$0] == .f64 ? nil : d[$0] }, to: u)
            return u
        }
        func expect(_ u: URL, _ check: (DeployError) -> Bool, line: UInt = #line) {
            XCTAssertThrowsError(try DeployedModel.load(contentsOf: u), line: line) { e in
                guard let d = e as? DeployError else { return XCTFail("\(e)", line: line) }
                XCTAssertTrue(check(d), "\(d)", line: line)
                XCTAssertTrue("\(d)".contains(u.path), "\(d)", line: line)
            }
        }
        XCTAssertNoThrow(try DeployedModel.load(contentsOf: try variant("same.safetensors") { _, _, _ in }))
        var pointers = file.tensors[w + ".indptr"]!.scalars
        pointers.swapAt(1, 2)
        if pointers[1] == pointers[2] { pointers[1] += 1 }
        expect(try variant("ptr.safetensors") { t, _, _ in t[w + ".indptr"] = Tensor(pointers) }) {
            if case .invalidTensor(_, let k, _) = $0 { return k == w + ".indptr" } else { return false }
        }
        var columns = file.tensors[w + ".indices"]!.scalars
        columns[0] = 64   // 64 inputs: out of range
        expect(try variant("col.safetensors") { t, _, _ in t[w + ".indices"] = Tensor(columns) }) {
            if case .invalidTensor(_, let k, let r) = $0 { return k == w + ".indices" && r.contains("out of 0..<64") } else { return false }
        }
        expect(try variant("values.safetensors") { t, _, _ in t[w + ".values"] = nil }) { $0 == .missingTensor(file: self.tmp.appendingPathComponent("values.safetensors").path, key: w + ".values") }
        expect(try variant("float.safetensors") { _, _, d in d[w + ".indices"] = .f64 }) {
            if case .invalidTensor(_, let k, let r) = $0 { return k == w + ".indices" && r.contains("U16") } else { return false }
        }
        expect(try variant("shape.safetensors") { _, m, _ in m[DeployFormat.csrPrefix + w] = "10,x" }) {
            if case .invalidMetadata(_, let k, _, _) = $0 { return k == DeployFormat.csrPrefix + w } else { return false }
        }
        expect(try variant("version.safetensors") { _, m, _ in m[DeployFormat.versionKey] = "2" }) {
            if case .unsupportedVersion(_, let v) = $0 { return v == "2" } else { return false }
        }
        // tensors of another model: the strict load names the file and the key
        XCTAssertThrowsError(try DeployedModel.load(contentsOf: try variant("bias.safetensors") { t, _, _ in
            t["classifier.0.bias"] = Tensor.zeros([3])
        })) { e in XCTAssertTrue("\(e)".contains("bias.safetensors") && "\(e)".contains("classifier.0.bias"), "\(e)") }
    }

    /// Metadata that describe a larger model than the file holds (a hand-edited hidden width,
    /// class count or input shape) are refused against the file's tensors before the model is
    /// allocated, for model files and deployable files; so are a model or a regenerated test set
    /// too large for the memory.
    func testMetadataSizesAreCheckedBeforeAllocating() throws {
        let (url, _, _) = try maskedFile(.mlp, sampleShape: [1, 8, 8], keeps: [0.2, 0.2], name: "m.safetensors")
        let deploy = tmp.appendingPathComponent("d.safetensors")
        try deployableFile(try SavedModel.load(contentsOf: url)).write(to: deploy)
        let edits: [(key: String, value: String, weight: String)] = [
            (ModelDescription.Key.hidden, "1000000000", "classifier.0.weight"),
            (ModelDescription.Key.classes, "99999999999", "classifier.2.weight"),
            (ModelDescription.Key.inputShape, "1,100000,100000", "classifier.0.weight"),
        ]
        for (source, load) in [(url, { (u: URL) in _ = try SavedModel.load(contentsOf: u) }),
                               (deploy, { (u: URL) in _ = try DeployedModel.load(contentsOf: u) })] {
            let file = try Safetensors.read(contentsOf: source)
            for (i, edit) in edits.enumerated() {
                var m = file.metadata
                m[edit.key] = edit.value
                let u = tmp.appendingPathComponent("edit\(i)-\(source.lastPathComponent)")
                try Safetensors.write(file.tensors, metadata: m, storedAs: { file.storedDTypes[$0] == .f32 ? nil : file.storedDTypes[$0] }, to: u)
                XCTAssertThrowsError(try load(u)) { e in
                    guard case CheckpointError.parametersDoNotMatch(let f, let detail) = e else { return XCTFail("\(e)") }
                    XCTAssertEqual(f, u.path)
                    XCTAssertTrue(detail.contains("'\(edit.weight)'") && detail.contains("metadata"), detail)
                }
            }
        }
        // a model that matches its file but not the memory, and a built-in test set too large to regenerate
        let huge = ModelDescription(architecture: .mlp, flavor: .dense, hidden: 1 << 40, classes: 10, sampleShape: [1, 28, 28], seed: 0,
                                    data: DataSource(kind: .glyphs, seed: 0, trainSize: 1, testSize: 1))
        XCTAssertThrowsError(try huge.checkFitsInMemory(try huge.declaredDenseShapes(file: "f"), file: "f")) { e in
            guard case ModelDescriptionError.invalidValue(_, let k, _, let reason) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(k, ModelDescription.Key.hidden)
            XCTAssertTrue(reason.contains("memory"), reason)
        }
        let small = ModelDescription(architecture: .mlp, flavor: .dense, hidden: 8, classes: 10, sampleShape: [1, 28, 28], seed: 0,
                                     data: DataSource(kind: .glyphs, seed: 0, trainSize: 1, testSize: 1))
        XCTAssertEqual(elementCount(try small.declaredDenseShapes(file: "f")), 784 * 8 + 8 + 8 * 10 + 10)
        XCTAssertNoThrow(try small.checkFitsInMemory(try small.declaredDenseShapes(file: "f"), file: "f"))
        XCTAssertThrowsError(try DataSource(kind: .glyphs, seed: 0, trainSize: 1, testSize: Int.max / 2).testSet(describedIn: "f")) { e in
            guard case ModelDescriptionError.invalidValue(let f, let k, _, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(f, "f"); XCTAssertEqual(k, ModelDescription.Key.testSize)
        }
    }

    func testIntegerDTypesRoundTripAndRangesAreChecked() throws {
        let t: ParameterTree = ["a": Tensor([0, 65_535], dtype: .float64), "b": Tensor([-2_147_483_648, 7], dtype: .float64),
                                "c": Tensor([255, 1], dtype: .float64), "d": Tensor([1.5] as [Float])]
        let kinds: [String: SafetensorsDType] = ["a": .u16, "b": .i32, "c": .u8]
        let bytes = try Safetensors.encode(t, storedAs: { kinds[$0] })
        let back = try Safetensors.decode(bytes)
        for (k, d) in kinds {
            XCTAssertEqual(back.storedDTypes[k], d, k)
            XCTAssertEqual(back.tensors[k]!.scalars, t[k]!.scalars, k)
        }
        XCTAssertEqual(back.storedDTypes["d"], .f32)
        XCTAssertThrowsError(try Safetensors.encode(["a": Tensor([65_536], dtype: .float64)], storedAs: { _ in .u16 })) { e in
            guard case .integerNotRepresentable(_, let k, _)? = e as? SafetensorsError else { return XCTFail("\(e)") }
            XCTAssertEqual(k, "a")
        }
        XCTAssertThrowsError(try Safetensors.encode(["a": Tensor([0.5], dtype: .float64)], storedAs: { _ in .i32 }))
        XCTAssertThrowsError(try Safetensors.encode(["a": Tensor([1], dtype: .float64)], storedAs: { _ in .f16 })) { e in
            guard case .unsupportedDType? = e as? SafetensorsError else { return XCTFail("\(e)") }
        }
    }

    /// The numpy reader computes the logits `wirtinger predict` writes, for every architecture
    /// (max abs difference ≤ 1e-5). Skipped only when `python3` or numpy is absent.
    func testPythonReaderMatchesPredict() throws {
        // skip only when python3 is not found (env exits 127) or numpy is not installed
        let probe = try runProcess("/usr/bin/env", ["python3", "-c", "import numpy"])
        if probe.status == 127 || probe.stderr.contains("No module named 'numpy'") {
            throw XCTSkip("python3 with numpy is not available: \(probe.stderr)")
        }
        XCTAssertEqual(probe.status, 0, "python3 -c 'import numpy' failed: \(probe.stderr)")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tools/wirtinger_deploy.py")
        XCTAssertTrue(FileManager.default.fileExists(atPath: script.path), script.path)
        for (i, (arch, shape)) in Self.cases.enumerated() {
            let what = "\(arch.rawValue) \(shape)"
            let (url, _, _) = try maskedFile(arch, sampleShape: shape, name: "masked\(i).safetensors")
            let deploy = tmp.appendingPathComponent("deploy\(i).safetensors")
            try deployableFile(try SavedModel.load(contentsOf: url)).write(to: deploy)
            let input = tmp.appendingPathComponent("x\(i).safetensors")
            let x = uniform([4] + shape, key: RandomKey(seed: 9), low: -1, high: 1)
            // `predict` and the reader take the examples by name or, alone in the file, by any name
            var examples = ParameterTree()
            examples[i % 2 == 0 ? "inputs" : "signals"] = x
            try Safetensors.write(examples, to: input)
            let swiftOut = tmp.appendingPathComponent("swift\(i).safetensors"), pyOut = tmp.appendingPathComponent("py\(i).safetensors")
            let r = try CLI.run(["predict", deploy.path, "--input", input.path, "--out", swiftOut.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            let py = try runProcess("/usr/bin/env", ["python3", script.path, deploy.path, "--input", input.path, "--out", pyOut.path])
            XCTAssertEqual(py.status, 0, "\(what): \(py.stderr)")
            let a = try Safetensors.read(contentsOf: swiftOut), b = try Safetensors.read(contentsOf: pyOut)
            XCTAssertEqual(a.storedDTypes["predictions"], .i64)
            let la = a.tensors["logits"]!, lb = b.tensors["logits"]!
            XCTAssertEqual(la.shape, [4, 5], what)
            XCTAssertEqual(la.shape, lb.shape, what)
            let diff = zip(la.scalars, lb.scalars).map { Swift.abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(diff, 1e-5, what)
            XCTAssertEqual(a.tensors["predictions"]!.scalars, b.tensors["predictions"]!.scalars, what)
        }
    }

    /// Where `predict` finds the examples: `inputs`, the tensor named by `--key`, or a file's only
    /// tensor (or only `.real`/`.imag` pair); integer examples are refused, not rescaled silently.
    func testPredictInputNamesAndDTypes() throws {
        let real = ModelDescription(architecture: .mlp, flavor: .dense, classes: 3, sampleShape: [1, 2, 2], seed: 0,
                                    data: DataSource(kind: .glyphs, seed: 0, trainSize: 1, testSize: 1))
        let complex = ModelDescription(architecture: .cplxMLP, flavor: .dense, classes: 3, sampleShape: [1, 2, 4], seed: 0,
                                       data: DataSource(kind: .glyphs, seed: 0, trainSize: 1, testSize: 1))
        let x = uniform([2, 1, 2, 2], key: RandomKey(seed: 1))
        func file(_ tensors: ParameterTree, storedAs: [String: SafetensorsDType] = [:]) throws -> SafetensorsFile {
            let url = tmp.appendingPathComponent("in-\(UUID().uuidString).safetensors")
            try Safetensors.write(tensors, storedAs: { storedAs[$0] }, to: url)
            return try Safetensors.read(contentsOf: url)
        }
        func message(_ f: SafetensorsFile, _ d: ModelDescription, name: String? = nil) -> String {
            do {
                _ = try PredictInput.examples(f, path: "in.safetensors", for: d, name: name)
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssertEqual(try PredictInput.examples(try file(["inputs": x, "other": x * 2]), path: "p", for: real).scalars, x.scalars)
        XCTAssertEqual(try PredictInput.examples(try file(["x": x]), path: "p", for: real).scalars, x.scalars, "the only tensor")
        let two = try file(["a": x, "b": x * 2])
        XCTAssertTrue(message(two, real).contains("no tensor 'inputs'; found 'a', 'b' (name the examples' tensor with --key)"),
                      message(two, real))
        XCTAssertEqual(try PredictInput.examples(two, path: "p", for: real, name: "b").scalars, (x * 2).scalars)
        XCTAssertTrue(message(two, real, name: "zz").contains("no tensor 'zz'; found 'a', 'b'"), message(two, real, name: "zz"))
        // pixels as bytes would reach the model at 255 times the training scale
        let bytes = Tensor(shape: [2, 1, 2, 2], scalars: [0, 17, 255, 3, 9, 0, 1, 200])
        for dtype in [SafetensorsDType.u8, .i32, .i64] {
            let f = try file(["inputs": bytes], storedAs: ["inputs": dtype])
            XCTAssertTrue(message(f, real).contains("'inputs' is \(dtype.rawValue); the examples must be floating point"), message(f, real))
        }
        XCTAssertEqual(message(try file(["inputs": x.converted(to: .float64)]), real), "no error")
        // a complex model: the only .real/.imag pair, under any name
        let re = uniform([2, 1, 2, 2], key: RandomKey(seed: 2)), im = uniform([2, 1, 2, 2], key: RandomKey(seed: 3))
        let pair = try PredictInput.examples(try file(["iq.real": re, "iq.imag": im]), path: "p", for: complex)
        XCTAssertEqual(pair.scalars, toInterleaved(ComplexTensor(real: re, imag: im), axis: -1).scalars)
        let halfPair = try file(["inputs.real": re])
        XCTAssertTrue(message(halfPair, complex).contains("'inputs.real' has no 'inputs.imag'"), message(halfPair, complex))
        XCTAssertTrue(message(try file(["iq.real": re, "iq.imag": im]), real).contains("'iq' is complex"))
    }

    /// Runs a program; throws when it cannot be started.
    func runProcess(_ path: String, _ args: [String]) throws -> CLI.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLI.Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}
