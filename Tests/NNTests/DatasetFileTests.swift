import XCTest
import Foundation
import Autodiff
import NN

final class DatasetFileTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("wt-datafile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func file(_ name: String = "data.safetensors") -> URL { dir.appendingPathComponent(name) }

    /// Writes `tree` with the labels as I64 (as PyTorch's `torch.long` is stored).
    private func write(_ tree: ParameterTree, metadata: [String: String] = [:], int64: @escaping (String) -> Bool = { $0.hasSuffix(".labels") }) throws -> URL {
        let u = file()
        try Safetensors.write(tree, metadata: metadata, int64: int64, to: u)
        return u
    }

    private func realTree(train: Int = 6, test: Int = 4) -> ParameterTree {
        [
            "train.inputs": Tensor(shape: [train, 3], scalars: (0..<(3 * train)).map { Float($0) }),
            "train.labels": Tensor(shape: [train], scalars: (0..<train).map { Double($0 % 3) }, dtype: .float64),
            "test.inputs": Tensor(shape: [test, 3], scalars: (0..<(3 * test)).map { Float(-$0) }),
            "test.labels": Tensor(shape: [test], scalars: (0..<test).map { Double(($0 + 1) % 3) }, dtype: .float64),
        ]
    }

    func testRealRoundTripThroughTheWriter() throws {
        let train = LabeledDataset(name: "x", inputs: Tensor(shape: [5, 2, 2], scalars: (0..<20).map { Float($0) / 7 }),
                                   labels: [0, 2, 1, 2, 0], classNames: ["a", "b", "c"], snr: [-2, 0, 2, 4, 6])
        let test = LabeledDataset(name: "x", inputs: Tensor(shape: [2, 2, 2], scalars: (0..<8).map { Float($0) }),
                                  labels: [1, 0], classNames: ["a", "b", "c"], snr: [10, 12])
        try DatasetFile.write(train: train, test: test, to: file())
        let header = try Safetensors.readHeader(contentsOf: file())
        XCTAssertEqual(header.entries.first { $0.name == "train.labels" }?.dtype, .i64)
        let c = try DatasetFile.load(contentsOf: file())
        XCTAssertFalse(c.isComplex)
        XCTAssertEqual(c.train.inputs.scalars, train.inputs.scalars)
        XCTAssertEqual(c.train.inputs.shape, [5, 2, 2])
        XCTAssertEqual(c.train.labels, train.labels)
        XCTAssertEqual(c.test.labels, [1, 0])
        XCTAssertEqual(c.train.classNames, ["a", "b", "c"])
        XCTAssertEqual(c.train.snr, [-2, 0, 2, 4, 6])
        XCTAssertEqual(c.test.snr, [10, 12])
    }

    func testComplexInputsAreInterleavedWithAChannelAxis() throws {
        var tree = realTree()
        tree["train.inputs"] = nil; tree["test.inputs"] = nil
        tree["train.inputs.real"] = Tensor(shape: [6, 4], scalars: (0..<24).map { Float($0) })
        tree["train.inputs.imag"] = Tensor(shape: [6, 4], scalars: (0..<24).map { Float(100 + $0) })
        tree["test.inputs.real"] = Tensor(shape: [4, 4], scalars: (0..<16).map { Float($0) })
        tree["test.inputs.imag"] = Tensor(shape: [4, 4], scalars: (0..<16).map { Float(-$0) })
        let c = try DatasetFile.load(contentsOf: write(tree))
        XCTAssertTrue(c.isComplex)
        XCTAssertEqual(c.train.inputs.shape, [6, 1, 8])
        XCTAssertEqual(Array(c.train.inputs.scalars.prefix(6)), [0, 100, 1, 101, 2, 102])
        XCTAssertEqual(c.test.inputs.shape, [4, 1, 8])
        XCTAssertEqual(c.train.classNames, ["0", "1", "2"])   // largest label + 1
        XCTAssertNil(c.train.snr)
    }

    func testErrorsNameTheFileAndTheTensor() throws {
        func expect(_ tree: ParameterTree, metadata: [String: String] = [:], int64: @escaping (String) -> Bool = { $0.hasSuffix(".labels") },
                    _ check: (DatasetFileError) -> Bool, line: UInt = #line) throws {
            let u = try write(tree, metadata: metadata, int64: int64)
            XCTAssertThrowsError(try DatasetFile.load(contentsOf: u), line: line) { e in
                guard let d = e as? DatasetFileError else { return XCTFail("\(e)", line: line) }
                XCTAssertTrue(check(d), "\(d)", line: line)
                XCTAssertTrue(d.description.contains(u.path), d.description, line: line)
                XCTAssertFalse(d.description.contains("\n"), line: line)
            }
        }
        var t = realTree(); t["test.labels"] = nil
        try expect(t) { $0 == .missingTensor(file: self.file().path, key: "test.labels") }
        t = realTree(); t["train.inputs"] = nil
        try expect(t) { $0 == .missingTensor(file: self.file().path, key: "train.inputs") }
        // float labels
        try expect(realTree(), int64: { _ in false }) { if case .badDType(_, "train.labels", "F64", _) = $0 { return true }; return false }
        // labels of the wrong rank
        t = realTree(); t["train.labels"] = Tensor(shape: [3, 2], scalars: [0, 1, 2, 0, 1, 2], dtype: .float64)
        try expect(t) { if case .badShape(_, "train.labels", [3, 2], _) = $0 { return true }; return false }
        // count mismatch between inputs and labels
        t = realTree(); t["train.labels"] = Tensor(shape: [5], scalars: [0, 1, 2, 0, 1], dtype: .float64)
        try expect(t) { $0 == .countMismatch(file: self.file().path, key: "train.labels", count: 5, otherKey: "train.inputs", otherCount: 6) }
        // label out of range of the named classes, and a negative label
        try expect(realTree(), metadata: ["classes": "a,b"]) {
            if case .labelOutOfRange(_, "train.labels", 2, 2, 2) = $0 { return true }; return false
        }
        t = realTree(); t["test.labels"] = Tensor(shape: [4], scalars: [0, -1, 0, 0], dtype: .float64)
        try expect(t) { if case .labelOutOfRange(_, "test.labels", 1, -1, nil) = $0 { return true }; return false }
        // example shapes of the splits differ
        t = realTree(); t["test.inputs"] = Tensor(shape: [4, 2], scalars: Array(repeating: 0, count: 8))
        try expect(t) { if case .badShape(_, "test.inputs", [4, 2], _) = $0 { return true }; return false }
        // complex parts of different shapes; imag missing
        t = realTree(); t["train.inputs"] = nil
        t["train.inputs.real"] = Tensor(shape: [6, 4], scalars: Array(repeating: 0, count: 24))
        t["train.inputs.imag"] = Tensor(shape: [6, 3], scalars: Array(repeating: 0, count: 18))
        try expect(t) { if case .badShape(_, "train.inputs.imag", [6, 3], _) = $0 { return true }; return false }
        t["train.inputs.imag"] = nil
        try expect(t) { $0 == .missingTensor(file: self.file().path, key: "train.inputs.imag") }
        // both real and complex inputs
        t = realTree(); t["train.inputs.real"] = Tensor(shape: [6, 3], scalars: Array(repeating: 0, count: 18))
        try expect(t) { $0 == .ambiguousInputs(file: self.file().path, key: "train.inputs") }
        // SNRs of the wrong count
        t = realTree(); t["test.snr"] = Tensor(shape: [3], scalars: [1, 2, 3])
        try expect(t) { $0 == .countMismatch(file: self.file().path, key: "test.snr", count: 3, otherKey: "test.inputs", otherCount: 4) }
        // NaN SNRs (they trapped the per-SNR table), NaN and ±inf inputs, an F64 input beyond float32
        t = realTree(); t["test.snr"] = Tensor(shape: [4], scalars: [1, 2, .nan, 3])
        try expect(t) { $0 == .nonFiniteValue(file: self.file().path, key: "test.snr", example: 2) }
        t = realTree(); t["train.inputs"] = Tensor(shape: [6, 3], scalars: (0..<18).map { $0 == 13 ? Float.nan : Float($0) })
        try expect(t) { $0 == .nonFiniteValue(file: self.file().path, key: "train.inputs", example: 4) }
        t = realTree(); t["test.inputs"] = Tensor(shape: [4, 3], scalars: (0..<12).map { $0 == 2 ? 1e300 : Double($0) }, dtype: .float64)
        try expect(t) { $0 == .nonFiniteValue(file: self.file().path, key: "test.inputs", example: 0) }
        t = realTree(); t["train.inputs"] = nil
        t["train.inputs.real"] = Tensor(shape: [6, 3], scalars: Array(repeating: 0, count: 18))
        t["train.inputs.imag"] = Tensor(shape: [6, 3], scalars: (0..<18).map { $0 == 7 ? -Float.infinity : 0 })
        t["test.inputs"] = nil
        t["test.inputs.real"] = Tensor.zeros([4, 3]); t["test.inputs.imag"] = Tensor.zeros([4, 3])
        try expect(t) { $0 == .nonFiniteValue(file: self.file().path, key: "train.inputs.imag", example: 2) }
    }
}
