import XCTest
import Foundation
import Recipes

/// The `wirtinger.*` metadata of a model file: encoding and decoding round-trip, and every
/// missing or garbled key is a one-line error naming the file and the key.
final class ModelDescriptionTests: XCTestCase {
    let glyphs = ModelDescription(architecture: .mlp, flavor: .masked, hidden: 16, classes: 10, sampleShape: [1, 28, 28],
                                  seed: 7, data: DataSource(kind: .glyphs, seed: 7, trainSize: 300, testSize: 100), threshold: -0.5)
    let radio = ModelDescription(architecture: .cplxConv, flavor: .vd, classes: 11, sampleShape: [1, 256], dtype: .float64,
                                 seed: 3, data: DataSource(kind: .radio, seed: 3, trainSize: 17_600, testSize: 4_400))
    let file = ModelDescription(architecture: .lenet5, flavor: .dense, classes: 10, sampleShape: [1, 28, 28], seed: 0,
                                data: DataSource(kind: .file, path: "/data/my data.safetensors", trainSize: 50, testSize: 20))

    func testRoundTrip() throws {
        for d in [glyphs, radio, file] {
            XCTAssertEqual(try ModelDescription(metadata: d.metadata, file: "m.safetensors"), d)
        }
        // unrelated metadata next to the description are ignored
        var m = glyphs.metadata
        m["producer"] = "wirtinger sparsify"; m["stage"] = "masked"
        XCTAssertEqual(try ModelDescription(metadata: m, file: "m.safetensors"), glyphs)
        XCTAssertEqual(glyphs.metadata["wirtinger.format"], "1")
        XCTAssertEqual(glyphs.metadata["wirtinger.input_shape"], "1,28,28")
        XCTAssertEqual(radio.metadata["wirtinger.numbers"], "complex")
        XCTAssertNil(radio.metadata["wirtinger.hidden"])
        XCTAssertNil(file.metadata["wirtinger.data.seed"])
    }

    func testMissingKeysNameTheFileAndKey() {
        XCTAssertThrowsError(try ModelDescription(metadata: ["producer": "x"], file: "old.safetensors")) { e in
            XCTAssertEqual(e as? ModelDescriptionError, .missingKey(file: "old.safetensors", key: "wirtinger.format"))
            XCTAssertTrue("\(e)".contains("no model description") && "\(e)".contains("old.safetensors"), "\(e)")
        }
        for key in ["wirtinger.architecture", "wirtinger.flavor", "wirtinger.classes", "wirtinger.input_shape", "wirtinger.dtype",
                    "wirtinger.numbers", "wirtinger.seed", "wirtinger.data", "wirtinger.data.test_size", "wirtinger.data.seed"] {
            var m = glyphs.metadata
            m[key] = nil
            XCTAssertThrowsError(try ModelDescription(metadata: m, file: "f.safetensors"), key) { e in
                XCTAssertEqual(e as? ModelDescriptionError, .missingKey(file: "f.safetensors", key: key))
                XCTAssertFalse("\(e)".contains("\n"))
            }
        }
        var m = file.metadata
        m["wirtinger.data.path"] = nil
        XCTAssertThrowsError(try ModelDescription(metadata: m, file: "f")) { e in
            XCTAssertEqual(e as? ModelDescriptionError, .missingKey(file: "f", key: "wirtinger.data.path"))
        }
    }

    func testGarbledValuesNameTheKey() {
        let cases: [(String, String)] = [
            ("wirtinger.format", "2"), ("wirtinger.architecture", "resnet"), ("wirtinger.flavor", "sparse"),
            ("wirtinger.hidden", "0"), ("wirtinger.classes", "ten"), ("wirtinger.input_shape", "1,x,28"),
            ("wirtinger.input_shape", ""), ("wirtinger.dtype", "float16"), ("wirtinger.numbers", "complex"),
            ("wirtinger.seed", "-1"), ("wirtinger.threshold", "nan"), ("wirtinger.data", "imagenet"),
            ("wirtinger.data.train_size", "-5"), ("wirtinger.data.seed", "1.5"),
        ]
        for (key, value) in cases {
            var m = glyphs.metadata
            m[key] = value
            XCTAssertThrowsError(try ModelDescription(metadata: m, file: "f.safetensors"), "\(key)=\(value)") { e in
                guard case let .invalidValue(f, k, v, reason)? = e as? ModelDescriptionError else {
                    return XCTFail("\(key)=\(value): \(e)")
                }
                XCTAssertEqual([f, k, v], ["f.safetensors", key, value])
                XCTAssertFalse(reason.isEmpty)
                XCTAssertFalse("\(e)".contains("\n"))
            }
        }
    }

    func testBuiltInTestSetIsRegeneratedExactly() throws {
        let d = DataSource(kind: .glyphs, seed: 4, trainSize: 30, testSize: 12)
        let regenerated = try d.testSet(describedIn: "m")
        let direct = SyntheticData.glyphs(count: 12, seed: 4, sampleSeed: 2)
        XCTAssertEqual(regenerated.labels, direct.labels)
        XCTAssertEqual(regenerated.inputs.scalars, direct.inputs.scalars)
        let r = try DataSource(kind: .radio, seed: 2, trainSize: 30, testSize: 22).testSet(describedIn: "m")
        XCTAssertEqual(r.count, 22)
        XCTAssertNotNil(r.snr)
        XCTAssertEqual(r.inputs.scalars, RadioSignals().dataset(count: 22, seed: 6).inputs.scalars)
    }
}
