import XCTest
import Foundation
import Wirtinger
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Runs the `wirtinger` executable built next to the test bundle.
struct CLI {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("wirtinger")
    }

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ args: [String], environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

/// A test case that runs the `wirtinger` executable: a fresh temporary directory `tmp` for each
/// test (removed afterwards), a check that the executable was built next to the tests (the test
/// target depends on it), and the one-line error assertion every command test uses.
class CommandLineTestCase: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("wirtinger-\(type(of: self))-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: CLI.executable.path), "wirtinger not built at \(CLI.executable.path)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    /// Status `status` and exactly one line on stderr, starting with `error:` and holding every needle.
    func assertOneLineError(_ r: CLI.Result, status: Int32, contains needles: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, status, "stderr: \(r.stderr) stdout: \(r.stdout)", file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "expected one line, got: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("error:"), r.stderr, file: file, line: line)
        for n in needles { XCTAssertTrue(r.stderr.contains(n), "'\(n)' not in: \(r.stderr)", file: file, line: line) }
    }

    /// The `report.json` a `sparsify` run wrote into `dir`, as a JSON object.
    func report(_ dir: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("report.json"))) as! [String: Any]
    }

    /// One `NAME: test accuracy A (K / N), test loss L (t s)` line of `evaluate`/`sparsify` output.
    typealias AccuracyLine = (accuracy: String, correct: Int, count: Int, loss: String)

    /// The accuracy lines of a command's output, by NAME.
    func accuracyLines(_ out: String) -> [String: AccuracyLine] {
        var lines: [String: AccuracyLine] = [:]
        for line in out.split(separator: "\n") {
            guard let r = line.range(of: ": test accuracy ") else { continue }
            let name = line[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
            let rest = line[r.upperBound...].split(separator: " ")   // A (K / N), test loss L (t s)
            guard rest.count >= 7 else { continue }
            lines[name] = (String(rest[0]), Int(rest[1].dropFirst()) ?? -1, Int(rest[3].dropLast(2)) ?? -1, String(rest[6]))
        }
        return lines
    }

    /// A small `sparsify` run (600 training / 200 test MNIST-like images, epochs 3,2,2, hidden 32,
    /// seed 3) into `tmp/run`, asserted to succeed; returns the run's folder.
    func smallSparsifyRun() throws -> URL {
        let out = tmp.appendingPathComponent("run")
        let run = try CLI.run(["sparsify", "--train-size", "600", "--test-size", "200", "--epochs", "3,2,2", "--lr", "0.003",
                               "--hidden", "32", "--seed", "3", "--out", out.path])
        XCTAssertEqual(run.status, 0, run.stderr + run.stdout)
        return out
    }

    /// ``assertOneLineError(_:status:contains:file:line:)`` with one needle.
    func assertOneLineError(_ r: CLI.Result, status: Int32, contains needle: String, file: StaticString = #filePath, line: UInt = #line) {
        assertOneLineError(r, status: status, contains: [needle], file: file, line: line)
    }
}

final class CommandLineTests: CommandLineTestCase {
    func testHelpForEverySubcommand() throws {
        for c in ["sparsify", "train", "inspect", "evaluate", "export", "predict", "bench"] {
            let r = try CLI.run([c, "--help"])
            XCTAssertEqual(r.status, 0, c)
            XCTAssertTrue(r.stdout.contains("usage: wirtinger \(c)"), r.stdout)
        }
        // the overview names the environment variables the kernels read
        let overview = try CLI.run(["--help"])
        XCTAssertEqual(overview.status, 0)
        for variable in ["WIRTINGER_NUM_THREADS=N", "WIRTINGER_ISA=TIER"] { XCTAssertTrue(overview.stdout.contains(variable), overview.stdout) }
    }

    func testBadArgumentsGiveOneLineAndStatus2() throws {
        assertOneLineError(try CLI.run(["frobnicate"]), status: 2, contains: "unknown command")
        assertOneLineError(try CLI.run(["sparsify", "--method", "magic"]), status: 2, contains: "--method")
        assertOneLineError(try CLI.run(["sparsify", "--threshold", "abc"]), status: 2, contains: "--threshold")
        assertOneLineError(try CLI.run(["sparsify", "--bogus"]), status: 2, contains: "unknown option --bogus")
        assertOneLineError(try CLI.run(["sparsify", "--epochs", "1,2"]), status: 2, contains: "--epochs")
        assertOneLineError(try CLI.run(["inspect"]), status: 2, contains: "expected 1 argument")
        assertOneLineError(try CLI.run(["sparsify", "--lr-schedule", "cosine"]), status: 2, contains: "--lr-schedule")
        assertOneLineError(try CLI.run(["train", "--kl-warmup", "-1"]), status: 2, contains: "--kl-warmup")
        assertOneLineError(try CLI.run(["train", "--threads", "0"]), status: 2, contains: "--threads")
    }

    /// `WIRTINGER_ISA` caps the kernel tier of the whole process: `bench` reports the tier and the CPU
    /// in its JSON, every kernel family runs at or below the cap, an unknown value is ignored with a
    /// warning naming the variable.
    func testKernelTierCapFromEnvironment() throws {
        func bench(_ env: [String: String]) throws -> (CLI.Result, [String: Any]) {
            let json = tmp.appendingPathComponent("bench-\(UUID().uuidString).json")
            let r = try CLI.run(["bench", "--filter", "sparse.mlp.s99.b1.csr", "--budget", "0.001", "--json", json.path],
                                environment: env)
            XCTAssertEqual(r.status, 0, r.stderr)
            let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any] ?? [:]
            return (r, doc)
        }
        let (_, uncapped) = try bench(["WIRTINGER_ISA": ""])  // empty: no cap, even if the test run has one
        let detected = try XCTUnwrap(uncapped["isa"] as? String)
        XCTAssertTrue(["portable", "avx2", "avx512"].contains(detected), detected)
        XCTAssertFalse((uncapped["cpu"] as? String ?? "").isEmpty)
        let order = ["portable", "avx2", "avx512"]
        for cap in order {
            let (r, doc) = try bench(["WIRTINGER_ISA": cap])
            let expected = order[min(order.firstIndex(of: cap)!, order.firstIndex(of: detected)!)]
            XCTAssertEqual(doc["isa"] as? String, expected, "WIRTINGER_ISA=\(cap)")
            XCTAssertTrue(r.stdout.contains("kernel tier \(expected)"), r.stdout)
            let above = order.firstIndex(of: cap)! > order.firstIndex(of: detected)!
            let below = order.firstIndex(of: cap)! < order.firstIndex(of: detected)!
            // A cap above the CPU's tier is said on standard error (the CPU's tier is used); a cap
            // below it is named on the tier line; no cap in effect says the tier is the CPU's best.
            XCTAssertEqual(r.stderr.contains("WIRTINGER_ISA=\(cap) is above this CPU's best tier; the kernels use \(detected)"),
                           above, r.stderr)
            XCTAssertEqual(r.stdout.contains("kernel tier \(expected) (capped by WIRTINGER_ISA; the CPU's best is \(detected))"),
                           below, r.stdout)
            XCTAssertEqual(r.stdout.contains("kernel tier \(expected) (the CPU's best)"), !below, r.stdout)
            let tiers = try XCTUnwrap(doc["kernel_tiers"] as? [String: String])
            XCTAssertEqual(tiers["gemm"], expected, "GEMM has code for every tier")
            for (family, tier) in tiers {
                XCTAssertLessThanOrEqual(order.firstIndex(of: tier)!, order.firstIndex(of: expected)!, "\(family) above the cap")
            }
        }
        let (upper, upperDoc) = try bench(["WIRTINGER_ISA": "PORTABLE"])  // the case of the name does not matter
        XCTAssertEqual(upperDoc["isa"] as? String, "portable")
        XCTAssertFalse(upper.stderr.contains("is not one of"), upper.stderr)
        let (bad, badDoc) = try bench(["WIRTINGER_ISA": "sse9"])
        XCTAssertTrue(bad.stderr.contains("WIRTINGER_ISA=sse9 is not one of portable, avx2, avx512"), bad.stderr)
        XCTAssertEqual(badDoc["isa"] as? String, detected)
    }

    /// `train` and `sparsify` say which tier and how many threads they run on; the count comes
    /// from `--threads`, else WIRTINGER_NUM_THREADS, else the CPUs the process may use (`taskset`).
    func testKernelThreadCountFromEnvironmentAndAffinity() throws {
        let trainArgs = ["train", "--train-size", "20", "--test-size", "10", "--epochs", "0", "--hidden", "4", "--checkpoint"]
        func train(_ extra: [String] = [], threadsVariable: String) throws -> CLI.Result {
            let ckpt = tmp.appendingPathComponent("threads-\(UUID().uuidString).safetensors")
            let r = try CLI.run(trainArgs + [ckpt.path] + extra, environment: ["WIRTINGER_NUM_THREADS": threadsVariable])
            XCTAssertEqual(r.status, 0, r.stderr)
            return r
        }
        XCTAssertTrue(try train(threadsVariable: "3").stdout.contains("tier, 3 threads\n"))
        XCTAssertTrue(try train(threadsVariable: "1").stdout.contains("tier, 1 thread\n"))
        XCTAssertTrue(try train(["--threads", "2"], threadsVariable: "5").stdout.contains("tier, 2 threads\n"))  // --threads wins
        let bad = try train(threadsVariable: "lots")
        XCTAssertTrue(bad.stderr.contains("WIRTINGER_NUM_THREADS=lots is not a whole number in 1...64; ignored"), bad.stderr)
        #if os(Linux)
        // Pinned to one CPU, as in a container given one CPU: one thread, not the machine's count.
        let taskset = try XCTUnwrap(["/usr/bin/taskset", "/bin/taskset"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                    "taskset (util-linux) not found")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: taskset)
        p.arguments = ["-c", "0", CLI.executable.path] + trainArgs + [tmp.appendingPathComponent("pinned.safetensors").path]
        p.environment = ProcessInfo.processInfo.environment.merging(["WIRTINGER_NUM_THREADS": ""]) { _, new in new }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertTrue(text.contains("tier, 1 thread\n"), text)
        #endif
    }

    func testMissingDataDirectory() throws {
        let r = try CLI.run(["sparsify", "--mnist", tmp.appendingPathComponent("nope").path, "--out", tmp.path])
        assertOneLineError(r, status: 1, contains: "nope")
    }

    func testTruncatedIDXFile() throws {
        // valid headers, then the image file is cut short
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
        let images = be32(0x0803) + be32(10) + be32(28) + be32(28) + [UInt8](repeating: 0, count: 100)
        let labels = be32(0x0801) + be32(10) + [UInt8](repeating: 1, count: 10)
        for split in ["train", "t10k"] {
            try Data(images).write(to: tmp.appendingPathComponent("\(split)-images.idx3-ubyte"))
            try Data(labels).write(to: tmp.appendingPathComponent("\(split)-labels.idx1-ubyte"))
        }
        let r = try CLI.run(["sparsify", "--mnist", tmp.path, "--out", tmp.appendingPathComponent("out").path])
        assertOneLineError(r, status: 1, contains: "images.idx3-ubyte")
    }

    func testUnreadableCheckpoint() throws {
        let bad = tmp.appendingPathComponent("bad.safetensors")
        try Data([1, 2, 3]).write(to: bad)
        assertOneLineError(try CLI.run(["inspect", bad.path]), status: 1, contains: "bad.safetensors")
        assertOneLineError(try CLI.run(["train", "--resume", "--checkpoint", bad.path, "--train-size", "20", "--test-size", "10"]),
                           status: 1, contains: "bad.safetensors")
    }

    func testSparsifyTinyRunWritesEveryOutput() throws {
        let out = tmp.appendingPathComponent("run")
        let r = try CLI.run(["sparsify", "--train-size", "300", "--test-size", "100", "--epochs", "1,2,1", "--hidden", "16",
                             "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertTrue(r.stdout.contains("compression ratio"), r.stdout)
        for f in ["dense.safetensors", "bayes.safetensors", "masked.safetensors", "report.json", "curves.svg", "threshold.svg", "layers.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), "missing \(f)")
        }
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as! [String: Any]
        XCTAssertEqual((report["stages"] as! [Any]).count, 3)
        XCTAssertEqual((report["bayesLoad"] as! [String: [String]])["missing"], ["classifier.0.log_sigma2", "classifier.2.log_sigma2"])
        // the stages' times say where they were measured
        let machine = try XCTUnwrap(report["machine"] as? [String: Any])
        XCTAssertFalse((machine["cpu"] as? String ?? "").isEmpty)
        XCTAssertTrue(["portable", "avx2", "avx512"].contains(machine["kernelTier"] as? String ?? ""), "\(machine)")
        XCTAssertGreaterThanOrEqual(machine["threads"] as? Int ?? 0, 1)
        XCTAssertEqual(machine["version"] as? String, Wirtinger.version)
        let svg = try String(contentsOf: out.appendingPathComponent("threshold.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("threshold (log α)") && svg.contains("test accuracy"))
        // every figure is well-formed XML with a title and two labelled axes
        for (figure, labels) in [("curves", ["epoch (all stages)", "mean cross entropy"]), ("threshold", ["threshold (log α)", "test accuracy"]),
                                 ("layers", ["layer", "kept fraction"])] {
            let data = try Data(contentsOf: out.appendingPathComponent(figure + ".svg"))
            XCTAssertTrue(XMLParser(data: data).parse(), "\(figure).svg is not well-formed XML")
            let text = String(decoding: data, as: UTF8.self)
            for l in labels { XCTAssertTrue(text.contains(">\(l)</text>"), "\(figure).svg lacks the axis label '\(l)'") }
        }
        let inspect = try CLI.run(["inspect", out.appendingPathComponent("masked.safetensors").path])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("classifier.0.mask") && inspect.stdout.contains("compression"), inspect.stdout)

        // masks at another threshold from the trained Bayesian model, without retraining it
        let again = tmp.appendingPathComponent("again")
        let r2 = try CLI.run(["sparsify", "--train-size", "300", "--test-size", "100", "--epochs", "1,2,1", "--hidden", "16",
                              "--bayes", out.appendingPathComponent("bayes.safetensors").path, "--threshold", "1", "--out", again.path])
        XCTAssertEqual(r2.status, 0, r2.stderr + r2.stdout)
        XCTAssertTrue(r2.stdout.contains("skipped"), r2.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: again.appendingPathComponent("dense.safetensors").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: again.appendingPathComponent("masked.safetensors").path))
        // the Bayesian stage again from the trained dense model
        let fromDense = tmp.appendingPathComponent("fromDense")
        let r3 = try CLI.run(["sparsify", "--train-size", "300", "--test-size", "100", "--epochs", "0,2,1", "--hidden", "16",
                              "--dense", out.appendingPathComponent("dense.safetensors").path, "--out", fromDense.path])
        XCTAssertEqual(r3.status, 0, r3.stderr + r3.stdout)
        XCTAssertTrue(r3.stdout.contains("stage dense skipped"), r3.stdout)
        let report3 = try JSONSerialization.jsonObject(with: Data(contentsOf: fromDense.appendingPathComponent("report.json"))) as! [String: Any]
        XCTAssertEqual((report3["stages"] as! [[String: Any]]).map { $0["name"] as! String }, ["vd", "masked"])
        // a `wirtinger train` checkpoint of the Bayesian stage serves as --bayes (its optimizer entries are skipped)
        let checkpoint = tmp.appendingPathComponent("vd-checkpoint.safetensors")
        let t = try CLI.run(["train", "--flavor", "vd", "--train-size", "300", "--test-size", "100", "--epochs", "1", "--hidden", "16",
                             "--init", out.appendingPathComponent("dense.safetensors").path, "--checkpoint", checkpoint.path])
        XCTAssertEqual(t.status, 0, t.stderr + t.stdout)
        let fromCheckpoint = tmp.appendingPathComponent("fromCheckpoint")
        let r4 = try CLI.run(["sparsify", "--train-size", "300", "--test-size", "100", "--epochs", "0,0,1", "--hidden", "16",
                              "--bayes", checkpoint.path, "--out", fromCheckpoint.path])
        XCTAssertEqual(r4.status, 0, r4.stderr + r4.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: fromCheckpoint.appendingPathComponent("masked.safetensors").path))
        // a Bayesian file of another model is refused with the load report
        let wrong = try CLI.run(["sparsify", "--model", "lenet300", "--train-size", "50", "--test-size", "20",
                                 "--bayes", out.appendingPathComponent("bayes.safetensors").path, "--out", tmp.appendingPathComponent("wrong").path])
        assertOneLineError(wrong, status: 1, contains: "do not match the model")
        XCTAssertTrue(wrong.stderr.contains(out.appendingPathComponent("bayes.safetensors").path), "the error must name the file: \(wrong.stderr)")
    }
}
