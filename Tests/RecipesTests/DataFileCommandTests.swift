import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Autodiff
import NN

/// `--data FILE.safetensors` through the command line: real and complex data sets written with the
/// project's own writer, the same information real or complex, and one-line errors.
final class DataFileCommandTests: CommandLineTestCase {
    func denseAccuracy(_ dir: URL) throws -> Double {
        let stages = try report(dir)["stages"] as! [[String: Any]]
        return stages.first!["testAccuracy"] as! Double
    }

    /// The glyphs as a real file and as a complex one holding the same numbers (pixel pairs as
    /// real and imaginary parts): a real MLP and a complex MLP reach comparable accuracy.
    func testRealAndComplexFilesOfTheSameDataTrainAlike() throws {
        let train = SyntheticData.glyphs(count: 1000, seed: 0, sampleSeed: 1), test = SyntheticData.glyphs(count: 200, seed: 0, sampleSeed: 2)
        let realFile = tmp.appendingPathComponent("real.safetensors"), complexFile = tmp.appendingPathComponent("complex.safetensors")
        try DatasetFile.write(train: train, test: test, to: realFile)
        try DatasetFile.write(train: train, test: test, complex: true, to: complexFile)
        let header = try Safetensors.readHeader(contentsOf: complexFile)
        XCTAssertEqual(header.entries.first { $0.name == "train.inputs.real" }?.shape, [1000, 1, 28, 14])

        let realOut = tmp.appendingPathComponent("real"), complexOut = tmp.appendingPathComponent("complex")
        let r = try CLI.run(["sparsify", "--data", realFile.path, "--model", "mlp", "--hidden", "32", "--epochs", "5,1,1", "--lr", "0.003",
                             "--out", realOut.path])
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertTrue(r.stdout.contains("model: mlp"), r.stdout)
        // the complex MLP with 32 complex hidden units has as many real weights as the real one
        // (392 · 32 · 2 = 784 · 32)
        let c = try CLI.run(["sparsify", "--data", complexFile.path, "--model", "cplx-mlp", "--hidden", "32", "--epochs", "5,1,1",
                             "--lr", "0.003", "--out", complexOut.path])
        XCTAssertEqual(c.status, 0, c.stderr + c.stdout)
        XCTAssertTrue(c.stdout.contains("model: cplx-mlp") && c.stdout.contains("shape [1, 28, 28]"), c.stdout)
        let (ra, ca) = (try denseAccuracy(realOut), try denseAccuracy(complexOut))
        XCTAssertGreaterThan(ra, 0.8)
        XCTAssertGreaterThan(ca, 0.8)
        XCTAssertLessThan(Swift.abs(ra - ca), 0.1, "real \(ra), complex \(ca)")
        // image inputs read by an MLP: the kept-pixels figure
        XCTAssertTrue(FileManager.default.fileExists(atPath: realOut.appendingPathComponent("inputs.svg").path))
    }

    /// A complex radio file with SNRs: the default model is the complex conv net, and the run
    /// prints and writes the per-SNR results.
    func testComplexRadioFileWithSNRs() throws {
        var radio = RadioSignals()
        radio.sampleCount = 32   // short windows keep the (debug-built) run fast
        let file = tmp.appendingPathComponent("radio.safetensors")
        try DatasetFile.write(train: radio.dataset(count: 176, seed: 1), test: radio.dataset(count: 176, seed: 2), complex: true, to: file)
        let out = tmp.appendingPathComponent("out")
        let r = try CLI.run(["sparsify", "--data", file.path, "--hidden", "1", "--epochs", "1,1,1", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertTrue(r.stdout.contains("model: cplx-conv"), r.stdout)
        XCTAssertTrue(r.stdout.contains("test accuracy per SNR") && r.stdout.contains("at SNR ≥ 10 dB"), r.stdout)
        let stages = try report(out)["stages"] as! [[String: Any]]
        XCTAssertEqual(stages.count, 3)
        for s in stages {
            let rows = s["testAccuracyBySNR"] as! [[String: Any]]
            XCTAssertEqual(rows.count, 16)
            XCTAssertEqual(rows.map { $0["count"] as! Int }.reduce(0, +), 176)
        }
        for figure in ["snr", "tradeoff", "threshold", "curves"] {
            let data = try Data(contentsOf: out.appendingPathComponent(figure + ".svg"))
            XCTAssertTrue(XMLParser(data: data).parse(), "\(figure).svg is not well-formed XML")
        }
        let snr = try String(contentsOf: out.appendingPathComponent("snr.svg"), encoding: .utf8)
        XCTAssertTrue(snr.contains(">SNR (dB)</text>") && snr.contains(">masked</text>"))
    }

    func testBadDataFilesGiveOneLineErrors() throws {
        func run(_ tree: ParameterTree, int64: @escaping (String) -> Bool = { $0.hasSuffix(".labels") }) throws -> CLI.Result {
            let file = tmp.appendingPathComponent("bad.safetensors")
            try Safetensors.write(tree, int64: int64, to: file)
            return try CLI.run(["sparsify", "--data", file.path, "--out", tmp.appendingPathComponent("o").path])
        }
        func check(_ r: CLI.Result, _ needle: String, line: UInt = #line) {
            XCTAssertEqual(r.status, 1, r.stderr, line: line)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr, line: line)
            XCTAssertTrue(r.stderr.hasPrefix("error:") && r.stderr.contains("bad.safetensors") && r.stderr.contains(needle), r.stderr, line: line)
        }
        let good: ParameterTree = ["train.inputs": Tensor(shape: [4, 2], scalars: [0, 1, 2, 3, 4, 5, 6, 7]),
                                   "train.labels": Tensor(shape: [4], scalars: [0, 1, 0, 1], dtype: .float64),
                                   "test.inputs": Tensor(shape: [2, 2], scalars: [0, 1, 2, 3]),
                                   "test.labels": Tensor(shape: [2], scalars: [1, 0], dtype: .float64)]
        var t = good; t["test.labels"] = nil
        check(try run(t), "'test.labels' is missing")
        // `train` reads the same files with the same checks, and trains on a good one
        let trainRun = try CLI.run(["train", "--data", tmp.appendingPathComponent("bad.safetensors").path,
                                    "--checkpoint", tmp.appendingPathComponent("c.safetensors").path])
        check(trainRun, "'test.labels' is missing")
        let goodFile = tmp.appendingPathComponent("good.safetensors")
        try Safetensors.write(good, int64: { $0.hasSuffix(".labels") }, to: goodFile)
        let ok = try CLI.run(["train", "--data", goodFile.path, "--epochs", "1", "--checkpoint", tmp.appendingPathComponent("c.safetensors").path])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stdout.contains("epoch 1: test accuracy"), ok.stdout)
        check(try run(good, int64: { _ in false }), "dtype F64")
        t = good; t["train.labels"] = Tensor(shape: [3], scalars: [0, 1, 0], dtype: .float64)
        check(try run(t), "has 3 examples")
        t = good; t["train.labels"] = Tensor(shape: [4], scalars: [0, -1, 0, 1], dtype: .float64)
        check(try run(t), "train.labels[1]")
        t = good; t["test.inputs"] = Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        check(try run(t), "has shape [2, 3]")
        // one stray label must not size a classifier of 10¹² outputs (it aborted in an allocation)
        t = good; t["test.labels"] = Tensor(shape: [2], scalars: [1, 1e12], dtype: .float64)
        check(try run(t), "test.labels[1] = 1000000000000 would make 1000000000001 classes")
        t = good; t["train.labels"] = Tensor(shape: [4], scalars: [0, 1, 0, Double(DatasetFile.maxClasses)], dtype: .float64)
        check(try run(t), "more than \(DatasetFile.maxClasses)")
        // the largest count allowed loads; a model too large for memory is refused before it is built
        t = good; t["train.labels"] = Tensor(shape: [4], scalars: [0, 1, 0, Double(DatasetFile.maxClasses - 1)], dtype: .float64)
        let big = tmp.appendingPathComponent("big.safetensors")
        try Safetensors.write(t, int64: { $0.hasSuffix(".labels") }, to: big)
        XCTAssertEqual(try DatasetFile.load(contentsOf: big).train.classCount, DatasetFile.maxClasses)
        for cmd in [["sparsify", "--out", tmp.appendingPathComponent("o").path], ["train", "--checkpoint", tmp.appendingPathComponent("c2.safetensors").path]] {
            let r = try CLI.run(cmd + ["--data", big.path, "--hidden", "100000"])
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("error:") && r.stderr.contains("\(DatasetFile.maxClasses) classes")
                          && r.stderr.contains("hidden 100000") && r.stderr.contains("lower --hidden"), r.stderr)
        }
        // a NaN SNR trapped in the per-SNR table; a test split without examples reported accuracy 0
        t = good; t["test.snr"] = Tensor(shape: [2], scalars: [.nan, 3])
        check(try run(t), "'test.snr' holds NaN or ±∞ (as float32) at example 0")
        t = good; t["test.inputs"] = Tensor.zeros([0, 2]); t["test.labels"] = Tensor(shape: [0], scalars: [Double](), dtype: .float64)
        check(try run(t), "the test split holds no examples")
        let model = tmp.appendingPathComponent("c.safetensors")
        check(try CLI.run(["evaluate", model.path, "--data", tmp.appendingPathComponent("bad.safetensors").path]), "the test split holds no examples")
    }
}
