import XCTest
import Foundation
import Autodiff
import NN

/// Replays every input the fuzzers ever crashed on (`Fuzz/regressions/<reader>/`) and every
/// seed of the fuzz corpora (`Fuzz/corpus/<reader>/`) through the readers, with the fuzz
/// targets' checks: the reader returns or throws its own error type, never traps, and a
/// returned safetensors file survives a round trip through the writer bit for bit.
final class FuzzRegressionTests: XCTestCase {
    /// `Fuzz/` next to `Tests/`, found from this source file so that tests run from any directory.
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    func inputs(_ kind: String) throws -> [(name: String, bytes: [UInt8])] {
        var out: [(String, [UInt8])] = []
        for folder in ["regressions", "corpus"] {
            let dir = Self.fuzzDirectory.appendingPathComponent(folder).appendingPathComponent(kind)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for n in names.sorted() where !n.hasPrefix(".") {
                out.append(("\(folder)/\(kind)/\(n)", [UInt8](try Data(contentsOf: dir.appendingPathComponent(n)))))
            }
        }
        return out
    }

    func testSafetensorsInputs() throws {
        let all = try inputs("safetensors")
        XCTAssertGreaterThan(all.count, 20, "corpus missing under \(Self.fuzzDirectory.path)")
        var accepted = 0
        for (name, bytes) in all {
            let file: SafetensorsFile
            do {
                file = try Safetensors.decode(bytes, source: name)
            } catch let e as SafetensorsError {
                XCTAssertTrue("\(e)".contains(name), "\(name): error does not name the source: \(e)")
                XCTAssertFalse(name.contains("/good_"), "\(name) should be accepted: \(e)")
                continue
            }
            accepted += 1
            XCTAssertFalse(name.split(separator: "/").last!.hasPrefix("bad_"), "\(name) was accepted")
            let again = try Safetensors.encode(file.tensors, metadata: file.metadata, int64: { _ in false })
            let back = try Safetensors.decode(again)
            XCTAssertEqual(back.metadata, file.metadata, name)
            XCTAssertEqual(Set(back.tensors.keys), Set(file.tensors.keys), name)
            for (k, t) in file.tensors {
                let u = back.tensors[k]!
                XCTAssertTrue(u.shape == t.shape && u.dtype == t.dtype
                              && t.withUnsafeRawBytes { a in u.withUnsafeRawBytes { b in a.elementsEqual(b) } }, "\(name): \(k)")
            }
        }
        XCTAssertGreaterThan(accepted, 5)
    }

    func testIDXInputs() throws {
        let all = try inputs("idx")
        XCTAssertGreaterThan(all.count, 10, "corpus missing under \(Self.fuzzDirectory.path)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wt-fuzz-idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var splits = 0
        for (name, bytes) in all {
            for magic in [IDX.imagesMagic, IDX.labelsMagic] {
                do {
                    let (dims, payload) = try IDX.parse(bytes, magic: magic, source: name)
                    XCTAssertEqual(dims.count, Int(magic & 0xFF), name)
                    XCTAssertEqual(payload.count, dims.reduce(1, *), name)
                } catch let e as IDXError {
                    XCTAssertTrue(e.description.contains(name), "\(name): \(e)")
                }
            }
            // the fuzz target's file mode: two bytes choose where the rest splits into an image and a label file
            guard bytes.count >= 2 else { continue }
            let rest = Array(bytes.dropFirst(2))
            let cut = (Int(bytes[0]) << 8 | Int(bytes[1])) % (rest.count + 1)
            try Data(rest[..<cut]).write(to: dir.appendingPathComponent("images"))
            try Data(rest[cut...]).write(to: dir.appendingPathComponent("labels"))
            do {
                let s = try MNIST.split(dir, "images", "labels")
                XCTAssertEqual(s.inputs.shape, [s.count, 1, 28, 28], name)
                splits += 1
            } catch is IDXError {
                XCTAssertFalse(name.hasSuffix("split_ok_1") || name.hasSuffix("split_ok_0"), "\(name) should load")
            }
        }
        XCTAssertGreaterThanOrEqual(splits, 2)
    }
    /// FuzzIDX ran out of memory (`Fuzz/regressions/idx/oom-*`, `leak-empty-label-file`): the IDX
    /// reader used Foundation's `Data(contentsOf:)`, which on Linux leaks about 4 KB per call on
    /// an empty file. Reading an empty file 20,000 times must not grow the resident set by 16 MiB
    /// (the leak made it ≈ 80 MiB).
    func testReadingEmptyIDXFilesDoesNotLeak() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("wt-empty-\(UUID().uuidString).idx1-ubyte")
        XCTAssertTrue(FileManager.default.createFile(atPath: empty.path, contents: Data()))
        defer { try? FileManager.default.removeItem(at: empty) }
        func resident() throws -> Int {
            let fields = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8).split(separator: " ")
            return Int(fields[1])! * Int(sysconf(Int32(_SC_PAGESIZE)))
        }
        func readMany(_ n: Int) {
            for _ in 0..<n {
                do { _ = try IDX.readLabels(contentsOf: empty); XCTFail("an empty file was accepted") } catch {}
            }
        }
        readMany(1000)
        let before = try resident()
        readMany(20_000)
        let growth = try resident() - before
        XCTAssertLessThan(growth, 16 << 20, "resident set grew by \(growth / 1024) KiB")
        XCTAssertThrowsError(try IDX.readLabels(contentsOf: empty)) { e in
            XCTAssertEqual(e as? IDXError, .truncated(file: empty.path, expected: 4, actual: 0))
        }
    }
}
