// libFuzzer entry point for the IDX (MNIST) reader.
//
// Every input is parsed in memory as an image file and as a label file; a success must
// describe exactly the bytes given. The rest of the input after two bytes is also split in two
// (those two bytes, big endian, modulo the rest's length, give the cut), written as an image
// file and a label file, and read through the public file API (`IDX.readImages`,
// `IDX.readLabels`, `MNIST.split`): each must return or throw `IDXError`, never trap, and what
// it returns must match the header.
import Foundation
import NN
import Autodiff

/// A private scratch directory in memory-backed storage when there is one.
private let scratch: URL = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
    let dir = base.appendingPathComponent("wirtinger-fuzz-idx-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: "/dev/shm/wirtinger-fuzz-idx-\(getpid())") }
    return dir
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    checkIDX(bytes, directory: scratch)
    return 0
}

func expectIDXError<T>(_ what: String, _ body: () throws -> T) -> T? {
    do { return try body() } catch is IDXError { return nil } catch {
        fatalError("\(what) threw a non-IDXError: \(type(of: error)) \(error)")
    }
}

func checkIDX(_ bytes: [UInt8], directory: URL) {
    for magic in [IDX.imagesMagic, IDX.labelsMagic] {
        if let (dims, payload) = expectIDXError("IDX.parse", { try IDX.parse(bytes, magic: magic, source: "fuzz") }) {
            let rank = Int(magic & 0xFF)
            guard dims.count == rank, dims.allSatisfy({ $0 >= 0 }) else { fatalError("dims \(dims) for magic \(magic)") }
            guard payload.count == dims.reduce(1, *), bytes.count == 4 + 4 * rank + payload.count else {
                fatalError("payload \(payload.count) does not match dims \(dims) and size \(bytes.count)")
            }
        }
    }
    guard bytes.count >= 2, bytes.count <= 1 << 16 else { return }
    let rest = Array(bytes.dropFirst(2))
    let cut = (Int(bytes[0]) << 8 | Int(bytes[1])) % (rest.count + 1)
    let imageURL = directory.appendingPathComponent("images"), labelURL = directory.appendingPathComponent("labels")
    do {
        try Data(rest[..<cut]).write(to: imageURL)
        try Data(rest[cut...]).write(to: labelURL)
    } catch {
        fatalError("cannot write the scratch files: \(error)")
    }
    if let t = expectIDXError("IDX.readImages", { try IDX.readImages(contentsOf: imageURL) }) {
        guard t.rank == 4, t.shape[1] == 1, t.scalars.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { fatalError("images \(t.shape)") }
    }
    if let l = expectIDXError("IDX.readLabels", { try IDX.readLabels(contentsOf: labelURL, classCount: 10) }) {
        guard l.allSatisfy({ (0..<10).contains($0) }) else { fatalError("label out of range") }
    }
    if let s = expectIDXError("MNIST.split", { try MNIST.split(directory, "images", "labels") }) {
        guard s.inputs.shape == [s.count, 1, 28, 28], s.labels.count == s.count else { fatalError("split \(s.inputs.shape) \(s.count)") }
        if s.count > 0 {
            let b = s.batch([s.count - 1, 0])
            guard b.inputs.shape == [2, 1, 28, 28] else { fatalError("batch \(b.inputs.shape)") }
        }
    }
}
