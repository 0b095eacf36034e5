import XCTest
import Foundation
import Recipes

/// The reliability classes through the `wirtinger` executable: each test is named after the
/// class of Docs/Reliability.md it guards. Runs are tiny (100–200 glyphs, hidden width 8).
final class ReliabilityCommandLineTests: CommandLineTestCase {
    let tiny = ["--train-size", "100", "--test-size", "20", "--hidden", "8", "--batch-size", "50"]

    /// The end of a FIFO a run would open if it regressed and stopped refusing FIFOs.
    enum FIFOEnd { case reading, writing }

    /// Runs `wirtinger` with extra environment variables and waits for it to exit.
    ///
    /// `unblocking`: a FIFO the run must refuse without opening; `end`: the end a regressed run
    /// would open. A regressed run would block forever in that open, so a helper thread waits in a
    /// blocking open of the opposite end for as long as the run lasts: such an open pairs the two,
    /// the helper closes its end at once, and the run reads end-of-file or writes into a closed pipe
    /// — an outcome the caller's assertions reject. After the run exits, the helper is released by
    /// an `O_RDWR` open (which counts as both ends) and joined. Nothing polls or sleeps, so nothing
    /// here depends on timing.
    func run(_ args: [String], environment: [String: String] = [:], unblocking fifo: URL? = nil, end: FIFOEnd = .reading) throws -> CLI.Result {
        let p = Process()
        p.executableURL = CLI.executable
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let outFile = tmp.appendingPathComponent("out-\(UUID().uuidString)"), errFile = tmp.appendingPathComponent("err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: outFile)
        p.standardError = try FileHandle(forWritingTo: errFile)
        try p.run()
        let helperDone = DispatchSemaphore(value: 0)
        if let fifo {
            let path = fifo.path, opposite = end == .reading ? O_WRONLY : O_RDONLY
            Thread.detachNewThread {
                let fd = open(path, opposite)
                if fd >= 0 { close(fd) }
                helperDone.signal()
            }
        }
        p.waitUntilExit()
        if let fifo {
            let release = open(fifo.path, O_RDWR | O_NONBLOCK)
            helperDone.wait()
            if release >= 0 { close(release) }
        }
        defer { try? FileManager.default.removeItem(at: outFile); try? FileManager.default.removeItem(at: errFile) }
        return CLI.Result(status: p.terminationStatus, stdout: try String(contentsOf: outFile, encoding: .utf8),
                          stderr: try String(contentsOf: errFile, encoding: .utf8))
    }

    /// ``CommandLineTestCase/assertOneLineError(_:status:contains:file:line:)``, needles unlabelled.
    func assertError(_ r: CLI.Result, status: Int32, _ needles: [String], file: StaticString = #filePath, line: UInt = #line) {
        assertOneLineError(r, status: status, contains: needles, file: file, line: line)
    }

    /// A checkpoint after one epoch of the tiny run.
    func goodCheckpoint(_ name: String = "ckpt.safetensors") throws -> URL {
        let c = tmp.appendingPathComponent(name)
        let r = try run(["train", "--flavor", "vd", "--epochs", "1", "--checkpoint", c.path] + tiny)
        XCTAssertEqual(r.status, 0, r.stderr)
        return c
    }

    func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }

    /// A directory with the four MNIST files holding `count` blank images per split.
    func mnistDirectory(count: UInt32) throws -> URL {
        let d = tmp.appendingPathComponent("mnist\(count)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        let images = be32(IDX.imagesMagic) + be32(count) + be32(28) + be32(28) + [UInt8](repeating: 0, count: Int(count) * 784)
        let labels = be32(IDX.labelsMagic) + be32(count) + (0..<count).map { UInt8($0 % 10) }
        for split in ["train", "t10k"] {
            try Data(images).write(to: d.appendingPathComponent("\(split)-images.idx3-ubyte"))
            try Data(labels).write(to: d.appendingPathComponent("\(split)-labels.idx1-ubyte"))
        }
        return d
    }

    // MARK: class 1

    func testClass1CorruptOptimizerStateIsATypedErrorNotATrap() throws {
        let c = try goodCheckpoint()
        let good = try Safetensors.read(contentsOf: c)
        for (what, edit) in [
            ("step NaN", { (f: inout SafetensorsFile) in f.tensors["optimizer.classifier.0.weight.step"] = Tensor(scalar: .nan, dtype: .float64) }),
            ("step 1e300", { f in f.tensors["optimizer.classifier.0.weight.step"] = Tensor(scalar: 1e300, dtype: .float64) }),
            ("exp_avg shape", { f in f.tensors["optimizer.classifier.0.weight.exp_avg"] = Tensor.zeros([1]) }),
            ("completed_epochs Int.min", { f in f.metadata["completed_epochs"] = String(Int.min) }),
        ] as [(String, (inout SafetensorsFile) -> Void)] {
            var f = good
            edit(&f)
            let bad = tmp.appendingPathComponent("bad.safetensors")
            try Safetensors.write(f.tensors, metadata: f.metadata, int64: { _ in false }, to: bad)
            XCTAssertEqual(try run(["inspect", bad.path]).status, 0, "\(what): still a valid safetensors file")
            let r = try run(["train", "--flavor", "vd", "--epochs", "2", "--resume", "--checkpoint", bad.path] + tiny)
            assertError(r, status: 1, [bad.path, "corrupt"])
            XCTAssertFalse(r.stderr.contains("learning rate"), "\(what): \(r.stderr)")
        }
    }

    // MARK: class 2

    func testClass2DivergedRunNeverOverwritesAGoodCheckpoint() throws {
        let c = try goodCheckpoint()
        let before = try Data(contentsOf: c)
        let r = try run(["train", "--flavor", "vd", "--epochs", "2", "--resume", "--lr", "1e300", "--checkpoint", c.path] + tiny)
        assertError(r, status: 1, ["classifier.", "NaN or infinite", "learning rate"])
        XCTAssertFalse(r.stdout.contains("checkpoint written"), r.stdout)
        XCTAssertEqual(try Data(contentsOf: c), before, "the good checkpoint was replaced")

        let out = tmp.appendingPathComponent("sp")
        let s = try run(["sparsify", "--epochs", "1,1,1", "--lr", "1e300", "--out", out.path] + tiny)
        assertError(s, status: 1, ["classifier.", "NaN or infinite"])
        for f in ["dense.safetensors", "bayes.safetensors", "masked.safetensors"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), f)
        }
    }

    // MARK: class 3

    func testClass3OutputPathsAreCheckedBeforeTraining() throws {
        let missing = tmp.appendingPathComponent("no/such/dir/ckpt.safetensors")
        let r = try run(["train", "--epochs", "1", "--checkpoint", missing.path] + tiny)
        assertError(r, status: 1, [missing.path])
        XCTAssertFalse(r.stdout.contains("epoch 1"), "trained before checking the output: \(r.stdout)")
        // --out below a regular file
        let plain = tmp.appendingPathComponent("plain")
        try Data([1]).write(to: plain)
        let below = plain.appendingPathComponent("out")
        let s = try run(["sparsify", "--epochs", "1,1,1", "--out", below.path] + tiny)
        assertError(s, status: 2, ["--out", below.path, "'\(plain.path)' is not a directory"])
        XCTAssertFalse(s.stdout.contains("stage"), "trained before checking the output: \(s.stdout)")
        // --out naming a regular file
        let onFile = try run(["sparsify", "--epochs", "1,1,1", "--out", plain.path] + tiny)
        assertError(onFile, status: 2, ["--out", plain.path, "exists and is not a directory"])
        // an export whose directory does not exist names the file asked for, not the temporary one
        let deploy = tmp.appendingPathComponent("missing-dir/deploy.safetensors")
        let e = try run(["export", try goodCheckpoint().path, "--out", deploy.path])
        assertError(e, status: 1, [deploy.path])
        XCTAssertFalse(e.stderr.contains(".tmp"), "the error names the temporary file: \(e.stderr)")
        // bench --json into a missing directory: refused before measuring (it measured, then failed)
        let json = tmp.appendingPathComponent("missing-dir/bench.json")
        let b = try run(["bench", "--filter", "ei.neglog.f32", "--budget", "0.001", "--json", json.path])
        XCTAssertEqual(b.status, 2, b.stderr)   // (a debug build also warns that its timings mean nothing)
        XCTAssertTrue(b.stderr.contains("error: --json: \(json.path)"), b.stderr)
        XCTAssertFalse(b.stdout.contains("ei.neglog.f32"), "measured before checking the output: \(b.stdout)")
        // a legal 240-byte name (the old temporary name passed 255 bytes and failed after epoch 1)
        let long = tmp.appendingPathComponent(String(repeating: "n", count: 228) + ".safetensors")
        XCTAssertEqual(try run(["train", "--epochs", "1", "--checkpoint", long.path] + tiny).status, 0)
        XCTAssertEqual(try Safetensors.read(contentsOf: long).metadata["completed_epochs"], "1")
    }

    func testClass3FailedWritesAreKeptInARescueDirectory() throws {
        let rescue = OutputRescue()
        let dest = tmp.appendingPathComponent("gone/result.safetensors")   // the directory does not exist
        let lost = try rescue.write(dest) { try Safetensors.write(["w": Tensor(shape: [1], scalars: [7])], to: $0) }
        let saved = try XCTUnwrap(lost?.savedTo)
        defer { try? FileManager.default.removeItem(at: rescue.directory!) }
        XCTAssertTrue(saved.hasSuffix("/result.safetensors") && saved.contains("wirtinger-rescue-"), saved)
        XCTAssertEqual(try Safetensors.read(contentsOf: URL(fileURLWithPath: saved)).tensors["w"]?.scalars, [7])
        XCTAssertTrue("\(lost!)".contains(dest.path) && "\(lost!)".contains(saved))
        // a later failure goes to the same directory; non-finite refusals are not rescued
        let second = try rescue.write(tmp.appendingPathComponent("gone/other.json")) { try Data([1]).write(to: $0) }
        XCTAssertEqual(URL(fileURLWithPath: second!.savedTo!).deletingLastPathComponent(), rescue.directory)
        XCTAssertThrowsError(try rescue.write(dest) { _ in throw CheckpointError.refusedNonFiniteWrite(file: "x", key: "k") })
    }

    // MARK: class 4

    func testClass4CheckpointThroughSymlinkKeepsLinkAndMode() throws {
        let c = try goodCheckpoint("real.safetensors")
        XCTAssertEqual(chmod(c.path, 0o600), 0)
        let link = tmp.appendingPathComponent("link.safetensors")
        XCTAssertEqual(symlink(c.path, link.path), 0)
        XCTAssertEqual(try run(["train", "--flavor", "vd", "--epochs", "2", "--resume", "--checkpoint", link.path] + tiny).status, 0)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), c.path)
        XCTAssertEqual(try Safetensors.read(contentsOf: c).metadata["completed_epochs"], "2", "the target was not updated")
        var st = stat()
        XCTAssertEqual(stat(c.path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        // a FIFO as the checkpoint is refused before training
        let fifo = tmp.appendingPathComponent("fifo.safetensors")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        let r = try run(["train", "--epochs", "1", "--force", "--checkpoint", fifo.path] + tiny, unblocking: fifo, end: .writing)
        assertError(r, status: 1, [fifo.path, "FIFO"])
    }

    // MARK: class 5

    func testClass5FIFOInputsAreRefused() throws {
        let fifo = tmp.appendingPathComponent("in.safetensors")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        assertError(try run(["inspect", fifo.path], unblocking: fifo), status: 1, [fifo.path, "FIFO"])
        assertError(try run(["train", "--init", fifo.path, "--epochs", "1", "--checkpoint", tmp.appendingPathComponent("c").path] + tiny,
                            unblocking: fifo), status: 1, ["FIFO"])
        assertError(try run(["sparsify", "--bayes", fifo.path, "--out", tmp.appendingPathComponent("o").path] + tiny, unblocking: fifo),
                    status: 1, ["FIFO"])
        let d = try mnistDirectory(count: 10)
        let images = d.appendingPathComponent("train-images.idx3-ubyte")
        try FileManager.default.removeItem(at: images)
        XCTAssertEqual(mkfifo(images.path, 0o600), 0)
        assertError(try run(["train", "--mnist", d.path, "--epochs", "1", "--checkpoint", tmp.appendingPathComponent("m").path], unblocking: images),
                    status: 1, [images.path, "FIFO"])
    }

    // MARK: class 6

    func testClass6SizesAreBoundedByTheData() throws {
        let d = try mnistDirectory(count: 10)
        assertError(try run(["train", "--mnist", d.path, "--train-size", "20", "--checkpoint", tmp.appendingPathComponent("c").path]),
                    status: 2, ["--train-size", "20", "10"])
        assertError(try run(["train", "--mnist", d.path, "--test-size", "11", "--checkpoint", tmp.appendingPathComponent("c").path]),
                    status: 2, ["--test-size"])
        // built-in data: a size that cannot fit in memory is refused before allocating
        assertError(try run(["train", "--train-size", "10000000000000"]), status: 2, ["--train-size", "memory"])
        // 0 training examples (class 8)
        let empty = try mnistDirectory(count: 0)
        assertError(try run(["train", "--mnist", empty.path, "--checkpoint", tmp.appendingPathComponent("e").path]),
                    status: 1, ["no examples"])
    }

    // MARK: class 7

    func testClass7InspectShortensKeysAndEscapesControlCharacters() throws {
        var tree = ParameterTree()
        tree[String(repeating: "k", count: 200_000)] = Tensor.zeros([1])
        for i in 0..<200 { tree["layer\(i).weight"] = Tensor.zeros([1]) }
        tree["evil\u{1b}[2J\u{1b}]0;owned\u{07}.weight"] = Tensor.zeros([1])
        let f = tmp.appendingPathComponent("long.safetensors")
        try Safetensors.write(tree, metadata: ["note\u{1b}[31m": "red\u{1b}[0m\r\nfake line"], to: f)
        let r = try run(["inspect", f.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        // before: every one of the 202 lines was padded to 200,000 characters (40 MB of output)
        XCTAssertLessThan(r.stdout.utf8.count, 100_000)
        XCTAssertTrue(r.stdout.split(separator: "\n").allSatisfy { $0.count < 200 }, "a line longer than 200 characters")
        XCTAssertTrue(r.stdout.contains("layer199.weight"))
        XCTAssertFalse(r.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0 == "\r" }, "a control character reached the terminal")
        XCTAssertTrue(r.stdout.contains("evil\\u{1b}[2J"), r.stdout)
        XCTAssertTrue(r.stdout.contains("red\\u{1b}[0m\\u{d}\\u{a}fake line"), r.stdout)
    }

    // MARK: class 8

    func testClass8NumericOptionsAreValidated() throws {
        for cmd in ["train", "sparsify"] {
            for v in ["-1", "0", "nan", "inf", "-inf"] {
                assertError(try run([cmd, "--lr", v]), status: 2, ["--lr"])
            }
            assertError(try run([cmd, "--kl-weight", "-1"]), status: 2, ["--kl-weight"])
            assertError(try run([cmd, "--kl-weight", "nan"]), status: 2, ["--kl-weight"])
        }
        assertError(try run(["sparsify", "--threshold", "inf"]), status: 2, ["--threshold"])
        // sparsify lists only the methods it runs, whatever the wrong value
        for v in ["l1", "dense", "masked"] {
            let r = try run(["sparsify", "--method", v])
            assertError(r, status: 2, ["--method: '\(v)' is not one of vd, ard, l0"])
        }
    }

    func testClass8OptionValuesDoNotSwallowFlags() throws {
        assertError(try run(["train", "--checkpoint", "--resume"]), status: 2, ["--checkpoint", "--resume"])
        assertError(try run(["sparsify", "--out", "--complex"]), status: 2, ["--out", "--complex"])
        // a value that starts with -- is still possible, spelled --name=value
        let odd = tmp.appendingPathComponent("--odd.safetensors")
        XCTAssertEqual(try run(["train", "--epochs", "1", "--checkpoint=\(odd.path)"] + tiny).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: odd.path))
    }

    func testClass8TrainRefusesToReplaceACheckpointWithoutForceOrResume() throws {
        let c = try goodCheckpoint()
        let before = try Data(contentsOf: c)
        assertError(try run(["train", "--flavor", "vd", "--epochs", "1", "--checkpoint", c.path] + tiny), status: 2, [c.path, "--force", "--resume"])
        XCTAssertEqual(try Data(contentsOf: c), before)
        assertError(try run(["train", "--resume", "--force", "--checkpoint", c.path] + tiny), status: 2, ["--force"])
        XCTAssertEqual(try run(["train", "--flavor", "vd", "--epochs", "1", "--force", "--seed", "3", "--checkpoint", c.path] + tiny).status, 0)
        XCTAssertNotEqual(try Data(contentsOf: c), before)
    }

    /// `sparsify` into a directory holding an earlier run's results replaced them silently; now it
    /// asks for `--force` (before training) and leaves them as they were.
    func testClass8SparsifyRefusesToReplaceAnEarlierRunWithoutForce() throws {
        let out = tmp.appendingPathComponent("sp")
        XCTAssertEqual(try run(["sparsify", "--epochs", "1,1,1", "--out", out.path] + tiny).status, 0)
        let dense = out.appendingPathComponent("dense.safetensors")
        let before = try Data(contentsOf: dense)
        assertError(try run(["sparsify", "--epochs", "1,1,1", "--seed", "4", "--out", out.path] + tiny), status: 2,
                    [out.path, "dense.safetensors", "report.json", "--force"])
        XCTAssertEqual(try Data(contentsOf: dense), before)
        XCTAssertEqual(try run(["sparsify", "--epochs", "1,1,1", "--seed", "4", "--force", "--out", out.path] + tiny).status, 0)
        XCTAssertNotEqual(try Data(contentsOf: dense), before)
    }

    func testClass8StrictLoadErrorsNameTheFile() throws {
        let dense = tmp.appendingPathComponent("dense-only.safetensors")
        try Safetensors.write(["classifier.0.weight": Tensor.zeros([8, 784])], to: dense)
        let r = try run(["sparsify", "--bayes", dense.path, "--epochs", "1,1,1", "--out", tmp.appendingPathComponent("o").path] + tiny)
        assertError(r, status: 1, [dense.path, "missing"])
        let d = try run(["sparsify", "--dense", dense.path, "--epochs", "1,1,1", "--out", tmp.appendingPathComponent("o2").path] + tiny)
        assertError(d, status: 1, [dense.path])
    }

    // MARK: class 11

    /// Every command that rebuilds a model from a file's metadata checks the sizes they give
    /// against the file's tensors before allocating (a class count of 10^11 aborted in a 6.4 TB
    /// allocation), and bounds a regenerated test set by the memory.
    func testClass11EditedMetadataAreCheckedBeforeTheModelIsAllocated() throws {
        let model = try makeClassifier(.mlp, flavor: .vd, sampleShape: [1, 8, 8], classes: 3, hidden: 4)
        let p = model.initialParameters(key: RandomKey(seed: 5))
        let d = ModelDescription(architecture: .mlp, flavor: .vd, hidden: 4, classes: 3, sampleShape: [1, 8, 8], seed: 5,
                                 data: DataSource(kind: .glyphs, seed: 0, trainSize: 1, testSize: 10))
        let inputs = tmp.appendingPathComponent("x.safetensors")
        try Safetensors.write(["inputs": Tensor.zeros([2, 1, 8, 8])], to: inputs)
        for (key, value, weight) in [(ModelDescription.Key.classes, "99999999999", "classifier.2.weight"),
                                     (ModelDescription.Key.hidden, "1000000000", "classifier.0.weight")] {
            var m = d.metadata
            m[key] = value
            let f = tmp.appendingPathComponent("edited.safetensors")
            try Safetensors.write(p, metadata: m, to: f)
            for args in [["evaluate", f.path], ["predict", f.path, "--input", inputs.path, "--out", tmp.appendingPathComponent("y").path],
                         ["export", f.path, "--out", tmp.appendingPathComponent("e").path], ["inspect", f.path, "--threshold", "-1"]] {
                assertError(try run(args), status: 1, [f.path, "'\(weight)'", value])
            }
        }
        var m = d.metadata
        m[ModelDescription.Key.testSize] = "99999999999"
        let f = tmp.appendingPathComponent("testsize.safetensors")
        try Safetensors.write(p, metadata: m, to: f)
        assertError(try run(["evaluate", f.path]), status: 1, [ModelDescription.Key.testSize, "99999999999", "memory"])
    }

    // MARK: class 12

    /// `train --init` with a file none of whose tensors fit the model trained from scratch and
    /// exited 0; a deployable file's CSR weights were ignored the same way. Now the first is an
    /// error naming the file, and a deployable file gives its dense weights.
    func testClass12InitLoadsAtLeastOneParameterAndReadsDeployableFiles() throws {
        let other = tmp.appendingPathComponent("complex.safetensors")
        try Safetensors.write(["classifier.0.weight.real": Tensor.zeros([8, 784]), "classifier.0.weight.imag": Tensor.zeros([8, 784])], to: other)
        assertError(try run(["train", "--init", other.path, "--checkpoint", tmp.appendingPathComponent("c1").path] + tiny), status: 1,
                    [other.path, "--init loads none of the model's 4 parameters"])
        // a size mismatch (a file of another width) names the file too
        let wide = tmp.appendingPathComponent("wide.safetensors")
        try Safetensors.write(["classifier.0.weight": Tensor.zeros([9, 784])], to: wide)
        assertError(try run(["train", "--init", wide.path, "--checkpoint", tmp.appendingPathComponent("c1").path] + tiny), status: 1,
                    [wide.path, "size mismatch for classifier.0.weight"])

        let model = try makeClassifier(.mlp, flavor: .masked, sampleShape: [1, 28, 28], classes: 10, hidden: 8)
        var p = model.initialParameters(key: RandomKey(seed: 3))
        p["classifier.0.mask"] = Tensor(shape: [8, 784], scalars: (0..<(8 * 784)).map { $0 % 10 == 0 ? 1 : 0 })
        let d = ModelDescription(architecture: .mlp, flavor: .masked, hidden: 8, classes: 10, sampleShape: [1, 28, 28], seed: 3,
                                 data: DataSource(kind: .glyphs, seed: 0, trainSize: 100, testSize: 20), threshold: -0.5)
        let masked = tmp.appendingPathComponent("masked.safetensors"), deploy = tmp.appendingPathComponent("deploy.safetensors")
        try Safetensors.write(p, metadata: d.metadata, to: masked)
        XCTAssertEqual(try run(["export", masked.path, "--out", deploy.path]).status, 0)
        XCTAssertNotNil(try Safetensors.read(contentsOf: deploy).tensors["classifier.0.weight" + DeployFormat.rowPointers], "a CSR weight")
        let r = try run(["train", "--init", deploy.path, "--epochs", "0", "--checkpoint", tmp.appendingPathComponent("c2").path] + tiny)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("loaded \(deploy.path): all keys matched"), r.stdout)
        let s = try run(["sparsify", "--dense", deploy.path, "--epochs", "1,1,1", "--out", tmp.appendingPathComponent("o").path] + tiny)
        XCTAssertEqual(s.status, 0, s.stderr)
    }

    func testClass8CtrlCDuringSparsifyExits130AndMarksPartialOutputs() throws {
        let out = tmp.appendingPathComponent("sp")
        // 2 steps per epoch: step 3 is the first step of the vd stage's first epoch
        let r = try run(["sparsify", "--epochs", "1,2,1", "--out", out.path] + tiny, environment: ["WIRTINGER_INTERRUPT_AFTER_STEPS": "3"])
        XCTAssertEqual(r.status, 130, r.stderr + r.stdout)
        XCTAssertTrue(r.stdout.contains("interrupted during stage vd"), r.stdout)
        for f in ["dense.safetensors", "bayes.safetensors", "masked.safetensors", "report.json", "masked.interrupted.safetensors"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), "\(f) written after Ctrl-C")
        }
        let dense = try Safetensors.read(contentsOf: out.appendingPathComponent("dense.interrupted.safetensors"))
        XCTAssertEqual(dense.metadata["interrupted"], "after stage dense")
        let bayes = try Safetensors.read(contentsOf: out.appendingPathComponent("bayes.interrupted.safetensors"))
        XCTAssertEqual(bayes.metadata["interrupted"], "during stage vd")
        XCTAssertNotNil(bayes.tensors["classifier.0.log_sigma2"])
        // partial files carry the model description too: they can be evaluated
        XCTAssertEqual(dense.metadata["wirtinger.flavor"], "dense")
        XCTAssertEqual(bayes.metadata["wirtinger.flavor"], "vd")
        let e = try run(["evaluate", out.appendingPathComponent("bayes.interrupted.safetensors").path])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertTrue(e.stdout.contains("masked at threshold -0.5: test accuracy"), e.stdout)
        // SIGTERM (a batch scheduler's stop) keeps the finished work the same way, exit 143
        let termOut = tmp.appendingPathComponent("term")
        let t = try run(["sparsify", "--epochs", "1,2,1", "--out", termOut.path] + tiny,
                        environment: ["WIRTINGER_INTERRUPT_AFTER_STEPS": "3", "WIRTINGER_INTERRUPT_SIGNAL": "TERM"])
        XCTAssertEqual(t.status, 143, t.stderr + t.stdout)
        XCTAssertTrue(t.stdout.contains("interrupted during stage vd"), t.stdout)
        XCTAssertEqual(try Safetensors.read(contentsOf: termOut.appendingPathComponent("bayes.interrupted.safetensors")).metadata["interrupted"],
                       "during stage vd")
    }
}
