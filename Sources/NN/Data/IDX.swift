import Foundation
import Autodiff

/// Why an IDX (MNIST) file could not be used. Every case names the file.
public enum IDXError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case io(file: String, message: String)
    /// The file is shorter than its header says (`expected` bytes in all, `actual` present).
    case truncated(file: String, expected: Int, actual: Int)
    /// The file is longer than its header says.
    case trailingBytes(file: String, expected: Int, actual: Int)
    /// The 4-byte magic number is not the one required (`0x00000803` for images,
    /// `0x00000801` for labels): the wrong file, or not an IDX file.
    case wrongMagic(file: String, found: UInt32, expected: UInt32)
    /// The dimension sizes overflow.
    case sizeOverflow(file: String, dimensions: [Int])
    /// Images of another size than the dataset requires (MNIST: 28 × 28).
    case unexpectedImageSize(file: String, rows: Int, columns: Int, expectedRows: Int, expectedColumns: Int)
    /// A label outside `0..<classCount` at `index`.
    case labelOutOfRange(file: String, index: Int, label: Int, classCount: Int)
    /// The image and label files hold different numbers of examples.
    case countMismatch(imagesFile: String, images: Int, labelsFile: String, labels: Int)

    public var description: String {
        switch self {
        case let .io(f, m): return "\(f): cannot read: \(m)"
        case let .truncated(f, e, a): return "\(f): truncated IDX file: header describes \(e) bytes, file has \(a)"
        case let .trailingBytes(f, e, a): return "\(f): \(a - e) unexpected bytes after the IDX data (header describes \(e) bytes)"
        case let .wrongMagic(f, found, exp):
            return "\(f): IDX magic number is 0x\(String(found, radix: 16, uppercase: true)), expected 0x\(String(exp, radix: 16, uppercase: true))"
                + (exp == IDX.imagesMagic ? " (an idx3 image file)" : " (an idx1 label file)")
        case let .sizeOverflow(f, d): return "\(f): IDX dimensions \(d) overflow"
        case let .unexpectedImageSize(f, r, c, er, ec): return "\(f): images are \(r)×\(c), expected \(er)×\(ec)"
        case let .labelOutOfRange(f, i, l, n): return "\(f): label \(l) at index \(i) is outside 0..<\(n)"
        case let .countMismatch(fi, ni, fl, nl): return "\(fi) holds \(ni) images but \(fl) holds \(nl) labels"
        }
    }
}

/// Reader for the IDX format of the MNIST files: a big-endian magic number
/// `0x00 0x00 <type> <rank>` (type `0x08` = unsigned byte), `rank` big-endian `UInt32`
/// dimension sizes, then the bytes in row-major order.
public enum IDX {
    /// Magic number of an unsigned-byte rank-3 file (images `[N, rows, columns]`).
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// Magic number of an unsigned-byte rank-1 file (labels `[N]`).
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// The dimension sizes and the raw bytes of an unsigned-byte IDX file whose magic number
    /// must be `magic`. Only the header is read first; the magic number and the size it
    /// describes are checked against the file size before the data are read (so a huge file
    /// that is not IDX, or whose header lies, is refused without allocating for it). A FIFO or
    /// another non-regular file is refused before it is opened.
    public static func read(contentsOf url: URL, magic: UInt32) throws -> (dimensions: [Int], bytes: [UInt8]) {
        // Plain POSIX reads (FileIO.swift) rather than Foundation's Data(contentsOf:), which on
        // Linux leaks about 4 KB per call on an empty file (found by Fuzz/FuzzIDX).
        do {
            let file = try ReadOnlyFile(path: url.path)
            defer { file.close() }
            let headerSize = 4 + 4 * Int(magic & 0xFF)
            let head = try file.read(offset: 0, count: Swift.min(file.size, headerSize))
            let dims = try header(head, fileSize: file.size, magic: magic, source: url.path)
            return (dims, try file.read(offset: headerSize, count: file.size - headerSize))
        } catch SafetensorsError.io(_, let operation, _, let message) {
            throw IDXError.io(file: url.path, message: "\(operation): \(message)")
        } catch SafetensorsError.notRegularFile(_, let kind) {
            throw IDXError.io(file: url.path, message: "is \(kind), not a regular file")
        } catch is SafetensorsError {   // a short read: the file shrank after its size was taken
            throw IDXError.io(file: url.path, message: "the file changed while it was read")
        }
    }

    /// The dimensions described by `head` (the first `4 + 4·rank` bytes of a file, or all of
    /// it when shorter) after checking the magic number and that `4 + 4·rank + Π dims` equals
    /// `fileSize`.
    static func header(_ head: [UInt8], fileSize: Int, magic: UInt32, source: String) throws -> [Int] {
        func u32(_ at: Int) -> UInt32 {
            UInt32(head[at]) << 24 | UInt32(head[at + 1]) << 16 | UInt32(head[at + 2]) << 8 | UInt32(head[at + 3])
        }
        guard head.count >= 4 else { throw IDXError.truncated(file: source, expected: 4, actual: fileSize) }
        let found = u32(0)
        guard found == magic else { throw IDXError.wrongMagic(file: source, found: found, expected: magic) }
        let rank = Int(magic & 0xFF)
        let headerSize = 4 + 4 * rank
        guard head.count >= headerSize else { throw IDXError.truncated(file: source, expected: headerSize, actual: fileSize) }
        let dims = (0..<rank).map { Int(u32(4 + 4 * $0)) }
        var count = 1
        for d in dims {
            let (c, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw IDXError.sizeOverflow(file: source, dimensions: dims) }
            count = c
        }
        let (total, o) = headerSize.addingReportingOverflow(count)
        guard !o else { throw IDXError.sizeOverflow(file: source, dimensions: dims) }
        if fileSize < total { throw IDXError.truncated(file: source, expected: total, actual: fileSize) }
        if fileSize > total { throw IDXError.trailingBytes(file: source, expected: total, actual: fileSize) }
        return dims
    }

    /// As ``read(contentsOf:magic:)`` for bytes in memory; `source` names them in errors.
    public static func parse(_ bytes: [UInt8], magic: UInt32, source: String) throws -> (dimensions: [Int], bytes: [UInt8]) {
        let headerSize = 4 + 4 * Int(magic & 0xFF)
        let dims = try header(Array(bytes.prefix(headerSize)), fileSize: bytes.count, magic: magic, source: source)
        return (dims, Array(bytes[headerSize...]))
    }

    /// Images of an idx3 file as a `float32` tensor `[N, 1, rows, columns]` with values
    /// `byte / 255` in [0, 1] (no mean/std normalisation: that is the model's business).
    public static func readImages(contentsOf url: URL) throws -> Tensor {
        let (dims, bytes) = try read(contentsOf: url, magic: imagesMagic)
        return images(dims: dims, bytes: bytes)
    }

    static func images(dims: [Int], bytes: [UInt8]) -> Tensor {
        var t = Tensor(uninitializedShape: [dims[0], 1, dims[1], dims[2]], dtype: .float32)
        t.withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<Float>) in
            for i in 0..<bytes.count { p[i] = Float(bytes[i]) / 255 }
        }
        return t
    }

    /// Labels of an idx1 file, each checked to lie in `0..<classCount`.
    public static func readLabels(contentsOf url: URL, classCount: Int = 10) throws -> [Int] {
        let (_, bytes) = try read(contentsOf: url, magic: labelsMagic)
        return try labels(bytes, classCount: classCount, source: url.path)
    }

    static func labels(_ bytes: [UInt8], classCount: Int, source: String) throws -> [Int] {
        var out = [Int](repeating: 0, count: bytes.count)
        for (i, b) in bytes.enumerated() {
            guard Int(b) < classCount else {
                throw IDXError.labelOutOfRange(file: source, index: i, label: Int(b), classCount: classCount)
            }
            out[i] = Int(b)
        }
        return out
    }
}

/// The MNIST database read from its four IDX files.
public struct MNIST: Sendable {
    /// 60 000 training examples: inputs `[N, 1, 28, 28]` (`float32`, `byte / 255`), labels 0…9.
    public var train: LabeledDataset
    /// 10 000 test examples, like ``train``.
    public var test: LabeledDataset

    /// The standard file names: `train-images.idx3-ubyte`, `train-labels.idx1-ubyte`,
    /// `t10k-images.idx3-ubyte`, `t10k-labels.idx1-ubyte`.
    public static let fileNames = (trainImages: "train-images.idx3-ubyte", trainLabels: "train-labels.idx1-ubyte",
                                   testImages: "t10k-images.idx3-ubyte", testLabels: "t10k-labels.idx1-ubyte")

    /// Reads the four standard files from `directory`, checking magic numbers, sizes, 28 × 28
    /// images, labels in 0…9 and equal image and label counts. Each file is found under its
    /// standard name (``fileNames``) or with a dash for the dot (`train-images-idx3-ubyte`, as
    /// some mirrors and unpackers name them).
    /// - Throws: ``IDXError`` naming the file at fault.
    public static func load(directory: URL) throws -> MNIST {
        let n = fileNames
        return MNIST(train: try split(directory, find(n.trainImages, in: directory), find(n.trainLabels, in: directory)),
                     test: try loadTest(directory: directory))
    }

    /// Reads only the test split (`t10k-images.idx3-ubyte`, `t10k-labels.idx1-ubyte`, or their
    /// dashed names) from `directory`, with the checks of ``load(directory:)``: what measuring a
    /// trained model needs, without the training files.
    /// - Throws: ``IDXError`` naming the file at fault.
    public static func loadTest(directory: URL) throws -> LabeledDataset {
        try split(directory, find(fileNames.testImages, in: directory), find(fileNames.testLabels, in: directory))
    }

    /// `name` in `directory`, or its dashed spelling when only that exists.
    private static func find(_ name: String, in directory: URL) -> String {
        let dashed = name.replacingOccurrences(of: ".", with: "-")
        let fm = FileManager.default
        if !fm.fileExists(atPath: directory.appendingPathComponent(name).path),
           fm.fileExists(atPath: directory.appendingPathComponent(dashed).path) { return dashed }
        return name
    }

    /// One split from an image file and a label file.
    public static func split(_ directory: URL, _ imagesName: String, _ labelsName: String) throws -> LabeledDataset {
        let iu = directory.appendingPathComponent(imagesName), lu = directory.appendingPathComponent(labelsName)
        let (dims, bytes) = try IDX.read(contentsOf: iu, magic: IDX.imagesMagic)
        guard dims[1] == 28, dims[2] == 28 else {
            throw IDXError.unexpectedImageSize(file: iu.path, rows: dims[1], columns: dims[2], expectedRows: 28, expectedColumns: 28)
        }
        let labels = try IDX.readLabels(contentsOf: lu, classCount: 10)
        guard labels.count == dims[0] else {
            throw IDXError.countMismatch(imagesFile: iu.path, images: dims[0], labelsFile: lu.path, labels: labels.count)
        }
        return LabeledDataset(name: "mnist", inputs: IDX.images(dims: dims, bytes: bytes), labels: labels,
                              classNames: (0..<10).map(String.init))
    }
}
