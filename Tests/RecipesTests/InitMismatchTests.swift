import XCTest
import Foundation
import Wirtinger

/// `wirtinger train --init` with weights of another width fails like PyTorch's `load_state_dict`
/// ("size mismatch"), even though the load is not strict, instead of training from scratch; the
/// error names the file.
final class InitMismatchTests: XCTestCase {
    func testInitWithAnotherWidthExitsNonZeroNamingTensorAndShapes() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("wirtinger-init-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        // weights of a 400-wide MLP on 28×28 glyphs
        let wide = try makeClassifier(.mlp, flavor: .dense, sampleShape: [1, 28, 28], classes: 10, hidden: 400)
        let file = tmp.appendingPathComponent("wide.safetensors")
        try Safetensors.write(wide.initialParameters(key: RandomKey(seed: 0)), to: file)
        let checkpoint = tmp.appendingPathComponent("ck.safetensors")

        let r = try CLI.run(["train", "--hidden", "100", "--init", file.path, "--epochs", "1", "--train-size", "20",
                             "--test-size", "10", "--checkpoint", checkpoint.path])
        XCTAssertEqual(r.status, 1, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(file.path): the file's parameters do not match the model: "
                                         + "size mismatch for classifier.0.weight: copying a param with shape [400, 784] "
                                         + "from the source, the shape in the current model is [100, 784]"), r.stderr)
        XCTAssertTrue(r.stderr.contains("size mismatch for classifier.2.weight: copying a param with shape [10, 400]"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: checkpoint.path), "nothing is trained or written")

        // the same width loads and trains
        let ok = try CLI.run(["train", "--hidden", "400", "--init", file.path, "--epochs", "1", "--train-size", "20",
                              "--test-size", "10", "--checkpoint", checkpoint.path])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stdout.contains("all keys matched"), ok.stdout)
    }
}
