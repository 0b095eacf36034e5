import XCTest
import Foundation
import Autodiff
import NN

private func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

/// An idx3 image file of `n` images `rows × cols`; pixel k of image i is `(7i + k) mod 256`.
private func imageFile(_ n: Int, rows: Int = 28, cols: Int = 28) -> [UInt8] {
    var out = be32(IDX.imagesMagic) + be32(UInt32(n)) + be32(UInt32(rows)) + be32(UInt32(cols))
    for i in 0..<n { for k in 0..<(rows * cols) { out.append(UInt8((7 * i + k) % 256)) } }
    return out
}

private func labelFile(_ labels: [UInt8]) -> [UInt8] { be32(IDX.labelsMagic) + be32(UInt32(labels.count)) + labels }

final class IDXTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("wt-idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    @discardableResult
    private func put(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let u = dir.appendingPathComponent(name)
        try Data(bytes).write(to: u)
        return u
    }

    private func writeStandardSet(trainLabels: [UInt8] = [3, 1, 4], testLabels: [UInt8] = [9, 0]) throws {
        let n = MNIST.fileNames
        try put(n.trainImages, imageFile(3))
        try put(n.trainLabels, labelFile(trainLabels))
        try put(n.testImages, imageFile(2))
        try put(n.testLabels, labelFile(testLabels))
    }

    func testLoadsFourStandardFiles() throws {
        try writeStandardSet()
        let m = try MNIST.load(directory: dir)
        XCTAssertEqual(m.train.inputs.shape, [3, 1, 28, 28])
        XCTAssertEqual(m.train.inputs.dtype, .float32)
        XCTAssertEqual(m.train.labels, [3, 1, 4])
        XCTAssertEqual(m.test.inputs.shape, [2, 1, 28, 28])
        XCTAssertEqual(m.test.labels, [9, 0])
        // pixel (i, 0, r, c) = ((7i + 28r + c) mod 256) / 255
        for (i, r, c) in [(0, 0, 0), (1, 0, 5), (2, 27, 27), (2, 9, 3)] {
            let byte = (7 * i + 28 * r + c) % 256
            XCTAssertEqual(m.train.inputs[i, 0, r, c], Double(Float(byte) / 255), "\(i) \(r) \(c)")
        }
        let s = m.train.inputs.scalars
        XCTAssertEqual(s.min(), 0)
        XCTAssertEqual(s.max(), 1)
    }

    func testLoadsDashedFileNames() throws {
        // train-images-idx3-ubyte etc.: the dot before idx replaced by a dash
        let n = MNIST.fileNames
        let dash = { (s: String) in s.replacingOccurrences(of: ".", with: "-") }
        try put(dash(n.trainImages), imageFile(3))
        try put(dash(n.trainLabels), labelFile([3, 1, 4]))
        try put(n.testImages, imageFile(2))       // a mix of both spellings also loads
        try put(dash(n.testLabels), labelFile([9, 0]))
        let m = try MNIST.load(directory: dir)
        XCTAssertEqual(m.train.labels, [3, 1, 4])
        XCTAssertEqual(m.test.labels, [9, 0])
        XCTAssertEqual(m.test.inputs.shape, [2, 1, 28, 28])
    }

    /// The test split alone loads without the training files (what `evaluate --mnist` reads).
    func testLoadsTheTestSplitWithoutTrainingFiles() throws {
        let n = MNIST.fileNames
        try put(n.testImages, imageFile(2))
        try put(n.testLabels.replacingOccurrences(of: ".", with: "-"), labelFile([9, 0]))
        let t = try MNIST.loadTest(directory: dir)
        XCTAssertEqual(t.labels, [9, 0])
        XCTAssertEqual(t.inputs.shape, [2, 1, 28, 28])
        XCTAssertThrowsError(try MNIST.load(directory: dir)) { e in XCTAssertTrue("\(e)".contains(n.trainImages), "\(e)") }
    }

    func testBatchGathersRowsInOrder() throws {
        try writeStandardSet()
        let split = try MNIST.split(dir, MNIST.fileNames.trainImages, MNIST.fileNames.trainLabels)
        let (x, y) = split.batch([2, 0])
        XCTAssertEqual(x.shape, [2, 1, 28, 28])
        XCTAssertEqual(y, [4, 3])
        XCTAssertEqual(x[0, 0, 3, 4], split.inputs[2, 0, 3, 4])
        XCTAssertEqual(x[1, 0, 27, 1], split.inputs[0, 0, 27, 1])
    }

    func testGenericImageSizeReadsButMNISTRejectsIt() throws {
        let u = try put("small-images.idx3-ubyte", imageFile(2, rows: 2, cols: 3))
        let t = try IDX.readImages(contentsOf: u)
        XCTAssertEqual(t.shape, [2, 1, 2, 3])
        XCTAssertEqual(t.scalars(as: Float.self)[7], Float(8) / 255)  // image 1, pixel 1: 7 + 1
        try put("labels", labelFile([1, 2]))
        XCTAssertThrowsError(try MNIST.split(dir, "small-images.idx3-ubyte", "labels")) { e in
            XCTAssertEqual(e as? IDXError, .unexpectedImageSize(file: u.path, rows: 2, columns: 3, expectedRows: 28, expectedColumns: 28))
        }
    }

    func testTruncatedImageFileIsRejected() throws {
        let good = imageFile(2)
        let u = try put("trunc.idx3-ubyte", Array(good.dropLast(5)))
        XCTAssertThrowsError(try IDX.readImages(contentsOf: u)) { e in
            XCTAssertEqual(e as? IDXError, .truncated(file: u.path, expected: good.count, actual: good.count - 5))
            XCTAssertTrue("\(e)".contains(u.path))
        }
        // cut inside the header, and inside the magic number
        let h = try put("header.idx3-ubyte", Array(good.prefix(10)))
        XCTAssertThrowsError(try IDX.readImages(contentsOf: h)) { e in
            XCTAssertEqual(e as? IDXError, .truncated(file: h.path, expected: 16, actual: 10))
        }
        let m = try put("magic.idx3-ubyte", [0, 0])
        XCTAssertThrowsError(try IDX.readImages(contentsOf: m)) { e in
            XCTAssertEqual(e as? IDXError, .truncated(file: m.path, expected: 4, actual: 2))
        }
    }

    func testHugeClaimedCountInTinyFileIsTruncation() throws {
        let u = try put("claim.idx1-ubyte", be32(IDX.labelsMagic) + be32(UInt32.max) + [1, 2])
        XCTAssertThrowsError(try IDX.readLabels(contentsOf: u)) { e in
            guard case .truncated(let f, let expected, 10)? = e as? IDXError else { return XCTFail("\(e)") }
            XCTAssertEqual(f, u.path)
            XCTAssertEqual(expected, 8 + Int(UInt32.max))
        }
    }

    func testTrailingBytesAreRejected() throws {
        let u = try put("long.idx1-ubyte", labelFile([1, 2]) + [0])
        XCTAssertThrowsError(try IDX.readLabels(contentsOf: u)) { e in
            XCTAssertEqual(e as? IDXError, .trailingBytes(file: u.path, expected: 10, actual: 11))
        }
    }

    func testSwappedFilesFailOnMagicNumber() throws {
        let n = MNIST.fileNames
        try put(n.trainImages, labelFile([1, 2, 3]))   // a label file under the image name
        let lu = try put(n.trainLabels, imageFile(3))
        let iu = dir.appendingPathComponent(n.trainImages)
        XCTAssertThrowsError(try MNIST.split(dir, n.trainImages, n.trainLabels)) { e in
            XCTAssertEqual(e as? IDXError, .wrongMagic(file: iu.path, found: IDX.labelsMagic, expected: IDX.imagesMagic))
        }
        XCTAssertThrowsError(try IDX.readLabels(contentsOf: lu)) { e in
            XCTAssertEqual(e as? IDXError, .wrongMagic(file: lu.path, found: IDX.imagesMagic, expected: IDX.labelsMagic))
        }
        let junk = try put("junk", Array("PK\u{3}\u{4}zipfile".utf8))
        XCTAssertThrowsError(try IDX.readImages(contentsOf: junk)) { e in
            guard case .wrongMagic(junk.path, _, IDX.imagesMagic)? = e as? IDXError else { return XCTFail("\(e)") }
        }
    }

    func testImageAndLabelCountMismatch() throws {
        let n = MNIST.fileNames
        let iu = try put(n.trainImages, imageFile(3))
        let lu = try put(n.trainLabels, labelFile([1, 2]))
        XCTAssertThrowsError(try MNIST.split(dir, n.trainImages, n.trainLabels)) { e in
            XCTAssertEqual(e as? IDXError, .countMismatch(imagesFile: iu.path, images: 3, labelsFile: lu.path, labels: 2))
            XCTAssertTrue("\(e)".contains(iu.path) && "\(e)".contains(lu.path))
        }
    }

    func testMislabeledFileWithClassOutOfRange() throws {
        try writeStandardSet(trainLabels: [3, 10, 4])
        let lu = dir.appendingPathComponent(MNIST.fileNames.trainLabels)
        XCTAssertThrowsError(try MNIST.load(directory: dir)) { e in
            XCTAssertEqual(e as? IDXError, .labelOutOfRange(file: lu.path, index: 1, label: 10, classCount: 10))
        }
    }

    func testMissingFileIsAnIOErrorNamingIt() throws {
        try put(MNIST.fileNames.trainImages, imageFile(1))
        XCTAssertThrowsError(try MNIST.load(directory: dir)) { e in
            guard case .io(let f, _)? = e as? IDXError else { return XCTFail("\(e)") }
            XCTAssertEqual(f, dir.appendingPathComponent(MNIST.fileNames.trainLabels).path)
        }
    }

    // MARK: - Batches

    func testShuffleMatchesIndependentImplementation() {
        // produced by a separate Python implementation of the documented algorithm
        // (SplitMix64 seeded with seed ^ epoch·0x9E3779B97F4A7C15, Fisher–Yates, rejection sampling)
        XCTAssertEqual(Batches.permutation(10, seed: 42, epoch: 0), [0, 9, 5, 8, 6, 4, 7, 2, 1, 3])
        XCTAssertEqual(Batches.permutation(10, seed: 42, epoch: 1), [2, 3, 9, 7, 5, 8, 6, 4, 0, 1])
        XCTAssertEqual(Batches.permutation(12, seed: 2024, epoch: 3), [1, 0, 6, 7, 11, 3, 9, 2, 10, 5, 8, 4])
    }

    func testBatchesAreADeterministicPartition() {
        let a = Array(Batches(count: 103, batchSize: 10, seed: 7, epoch: 2))
        let b = Array(Batches(count: 103, batchSize: 10, seed: 7, epoch: 2))
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.count, 11)
        XCTAssertEqual(a.last?.count, 3)
        XCTAssertEqual(a.flatMap { $0 }.sorted(), Array(0..<103))
        XCTAssertNotEqual(a.flatMap { $0 }, Array(0..<103))
        let other = Array(Batches(count: 103, batchSize: 10, seed: 7, epoch: 3))
        XCTAssertNotEqual(a, other, "epochs must differ")
        let otherSeed = Array(Batches(count: 103, batchSize: 10, seed: 8, epoch: 2))
        XCTAssertNotEqual(a, otherSeed, "seeds must differ")
    }

    func testDropLastAndNoShuffle() {
        let d = Batches(count: 103, batchSize: 10, seed: 7, epoch: 2, dropLast: true)
        XCTAssertEqual(d.batchCount, 10)
        XCTAssertEqual(Array(d).count, 10)
        XCTAssertTrue(Array(d).allSatisfy { $0.count == 10 })
        XCTAssertEqual(Array(Batches(count: 5, batchSize: 2, shuffle: false, seed: 0, epoch: 0)), [[0, 1], [2, 3], [4]])
        XCTAssertEqual(Array(Batches(count: 0, batchSize: 4, seed: 1, epoch: 0)), [])
        XCTAssertEqual(Array(Batches(count: 3, batchSize: 4, seed: 1, epoch: 0, dropLast: true)), [])
    }

    func testShuffleIsRoughlyUniform() {
        // position of element 0 over many epochs: every slot of 5 should appear about 1/5 of the time
        var hits = [Int](repeating: 0, count: 5)
        for e in 0..<5000 { hits[Batches.permutation(5, seed: 11, epoch: e).firstIndex(of: 0)!] += 1 }
        for h in hits { XCTAssertEqual(Double(h) / 5000, 0.2, accuracy: 0.03) }
    }
}
