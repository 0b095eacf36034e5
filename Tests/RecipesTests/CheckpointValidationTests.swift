import XCTest
import Foundation
import Recipes

/// Reliability class 1: every field of a checkpoint is validated with a typed error before use.
/// Each case is a valid safetensors file (it decodes) whose optimizer state or metadata is
/// malformed; before the fix several of these trapped `train --resume` (exit 132).
final class CheckpointValidationTests: XCTestCase {
    let data: LabeledDataset = {
        let x = normal([24, 6], key: RandomKey(seed: 1))
        return LabeledDataset(name: "tiny", inputs: x, labels: (0..<24).map { $0 % 3 }, classNames: ["a", "b", "c"])
    }()

    /// A VD MLP, its initial parameters, and a real checkpoint after one epoch of Adam.
    func make() throws -> (model: any Layer<Tensor, Tensor>, template: ParameterTree, file: SafetensorsFile) {
        let model = try makeClassifier(.mlp, flavor: .vd, sampleShape: [6], classes: 3, hidden: 5)
        let template = model.initialParameters(key: RandomKey(seed: 2))
        var o = TrainingOptions(); o.epochs = 1; o.batchSize = 8
        let r = try train(model, parameters: template, data: data, options: o)
        let (tree, meta) = TrainingCheckpoint(parameters: r.parameters, optimizerState: r.optimizerState, completedEpochs: 1).contents
        let bytes = try Safetensors.encode(tree, metadata: meta)
        return (model, template, try Safetensors.decode(bytes, source: "ckpt.safetensors"))
    }

    /// Decoding `file` as a checkpoint must throw a ``CheckpointError`` naming the file and `key`.
    func expectRejected(_ file: SafetensorsFile, _ template: ParameterTree, key: String, _ what: String,
                        line: UInt = #line) {
        // the mutated file must still be a valid safetensors file: only the checkpoint layer may refuse it
        let bytes: [UInt8]
        do { bytes = try Safetensors.encode(file.tensors, metadata: file.metadata, int64: { _ in false }) } catch {
            XCTFail("\(what): not encodable: \(error)", line: line); return
        }
        XCTAssertNoThrow(try Safetensors.decode(bytes), what, line: line)
        do {
            _ = try TrainingCheckpoint.decode(file, source: "ckpt.safetensors", template: template)
            XCTFail("\(what): accepted", line: line)
        } catch let e as CheckpointError {
            let message = "\(e)"
            XCTAssertTrue(message.contains("ckpt.safetensors") && message.contains(key), "\(what): \(message)", line: line)
            XCTAssertFalse(message.contains("learning rate"), "\(what): \(message)", line: line)
        } catch {
            XCTFail("\(what): unexpected error \(error)", line: line)
        }
    }

    func testValidCheckpointRoundTrips() throws {
        let (model, template, file) = try make()
        let c = try TrainingCheckpoint.decode(file, source: "ckpt.safetensors", template: template)
        XCTAssertEqual(c.completedEpochs, 1)
        XCTAssertEqual(c.optimizerState.step, 3)
        XCTAssertEqual(c.optimizerState.buffers["classifier.0.weight.step"]?.item, 3)
        // and training continues from it
        var o = TrainingOptions(); o.epochs = 2; o.batchSize = 8
        let r = try train(model, parameters: c.parameters, data: data, options: o, optimizerState: c.optimizerState, startEpoch: 1)
        XCTAssertEqual(r.optimizerState.step, 6)
    }

    func testMalformedStepCountsAreRejected() throws {
        let (_, template, file) = try make()
        let key = "optimizer.classifier.0.weight.step"
        let bad: [(String, Tensor)] = [
            ("NaN", Tensor(scalar: .nan, dtype: .float64)), ("+inf", Tensor(scalar: .infinity, dtype: .float64)),
            ("-inf", Tensor(scalar: -.infinity, dtype: .float64)), ("1e300", Tensor(scalar: 1e300, dtype: .float64)),
            ("negative", Tensor(scalar: -1, dtype: .float64)), ("fraction", Tensor(scalar: 1.5, dtype: .float64)),
            ("beyond optimizer_step", Tensor(scalar: 4, dtype: .float64)),
            ("empty", Tensor.zeros([0], dtype: .float64)), ("not a scalar", Tensor.zeros([2, 1], dtype: .float64)),
        ]
        for (what, t) in bad {
            var f = file
            f.tensors[key] = t
            expectRejected(f, template, key: key, "step \(what)")
        }
    }

    func testMalformedMomentsAreRejected() throws {
        let (_, template, file) = try make()
        let m = "optimizer.classifier.0.weight.exp_avg", v = "optimizer.classifier.0.weight.exp_avg_sq"
        let shape = file.tensors[m]!.shape
        let cases: [(String, String, Tensor)] = [
            (m, "wrong shape", Tensor.zeros([shape[0] + 1, shape[1]])),
            (m, "transposed", Tensor.zeros([shape[1], shape[0]])),
            (m, "float64", Tensor.zeros(shape, dtype: .float64)),
            (m, "NaN", Tensor.full(shape, .nan)),
            (v, "negative", Tensor.full(shape, -1)),
            (v, "+inf", Tensor.full(shape, .infinity)),
            (v, "scalar", Tensor(scalar: 1, dtype: .float32)),
        ]
        for (key, what, t) in cases {
            var f = file
            f.tensors[key] = t
            expectRejected(f, template, key: key, "\(key) \(what)")
        }
        // a buffer of nothing the model has, and one of a non-trainable entry
        var f = file
        f.tensors["optimizer.classifier.9.weight.exp_avg"] = Tensor.zeros([1])
        expectRejected(f, template, key: "optimizer.classifier.9.weight.exp_avg", "unknown parameter")
        f = file
        f.tensors["optimizer.classifier.0.weight.momentum"] = Tensor.zeros(shape)
        expectRejected(f, template, key: "optimizer.classifier.0.weight.momentum", "unknown buffer")
    }

    func testMalformedMetadataIsRejected() throws {
        let (_, template, file) = try make()
        let cases: [(String, String?)] = [
            ("completed_epochs", "-1"), ("completed_epochs", String(Int.min)), ("completed_epochs", String(Int.max)),
            ("completed_epochs", "1e300"), ("completed_epochs", "NaN"), ("completed_epochs", ""), ("completed_epochs", nil),
            ("optimizer_step", "-3"), ("optimizer_step", String(Int.max)), ("optimizer_step", "three"), ("optimizer_step", nil),
            ("completed_steps", "-1"), ("completed_steps", String(Int.min)), ("completed_steps", "0x10"),
        ]
        for (key, value) in cases {
            var f = file
            f.metadata[key] = value
            expectRejected(f, template, key: key, "\(key) = \(value ?? "absent")")
        }
    }

    func testModelEntriesAreValidated() throws {
        let (_, template, file) = try make()
        var f = file
        f.tensors["classifier.2.bias"] = Tensor.full([3], .nan)
        expectRejected(f, template, key: "classifier.2.bias", "NaN parameter")
        f = file
        f.tensors["classifier.2.bias"] = Tensor.zeros([4])
        expectRejected(f, template, key: "classifier.2.bias", "shape mismatch")
        f = file
        f.tensors["classifier.0.log_sigma2"] = nil
        expectRejected(f, template, key: "classifier.0.log_sigma2", "missing parameter")
        // --init / --dense / --bayes files: NaN rejected by name
        XCTAssertThrowsError(try TrainingCheckpoint.modelParameters(of: SafetensorsFile(tensors: ["w": Tensor.full([2], .infinity)]),
                                                                    source: "init.safetensors")) { e in
            XCTAssertEqual(e as? CheckpointError, .nonFiniteParameter(file: "init.safetensors", key: "w"))
        }
    }

    /// The seed corpus of Fuzz/FuzzCheckpoint (written by that target with FUZZ_WRITE_SEEDS) is
    /// replayed here, so the checkpoint consumers see every seed without a fuzzer: the two real
    /// checkpoints validate, every crafted one is refused with a CheckpointError.
    func testFuzzSeedCorpusOutcomes() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/corpus/checkpoint")
        let model = try makeClassifier(.mlp, flavor: .vd, sampleShape: [4], classes: 3, hidden: 3)
        let template = model.initialParameters(key: RandomKey(seed: 1))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".safetensors") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 16)
        // (steps-too-many is well-formed; only the data can say an epoch has fewer steps, which
        // `train --resume` checks, as the fuzz target does)
        let valid: Set = ["epoch1.safetensors", "mid-epoch.safetensors", "steps-too-many.safetensors"]
        let startingPoints: Set = ["init-only.safetensors", "dense-keys.safetensors"]
        for name in names {
            let url = dir.appendingPathComponent(name)
            if valid.contains(name) {
                XCTAssertNoThrow(try TrainingCheckpoint.read(contentsOf: url, template: template), name)
            } else {
                XCTAssertThrowsError(try TrainingCheckpoint.read(contentsOf: url, template: template), name) { e in
                    XCTAssertTrue(e is CheckpointError, "\(name): \(e)")
                }
            }
            if startingPoints.contains(name) { XCTAssertNoThrow(try TrainingCheckpoint.modelParameters(contentsOf: url), name) }
        }
    }
}
