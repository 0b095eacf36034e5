import XCTest
import Foundation
import Autodiff
import NN

/// Reliability classes 3–6 at the library level: what the atomic writer does with what is
/// already at the path, non-regular inputs, temporary names near NAME_MAX, writability checks
/// before work, and IDX headers checked before the data are read.
final class FileSafetyTests: XCTestCase {
    var tmp: URL!
    let tree: ParameterTree = ["w": Tensor(shape: [2], scalars: [1, 2])]

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("wirtinger-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func makeFIFO(_ name: String) throws -> URL {
        let u = tmp.appendingPathComponent(name)
        XCTAssertEqual(mkfifo(u.path, 0o600), 0, "mkfifo")
        return u
    }

    func fileType(_ path: String) -> mode_t {
        var st = stat()
        XCTAssertEqual(lstat(path, &st), 0)
        return st.st_mode & S_IFMT
    }

    // MARK: class 4 — the atomic writer and what is at the path

    func testWriteThroughSymlinkReplacesTheTarget() throws {
        let target = tmp.appendingPathComponent("real.safetensors"), link = tmp.appendingPathComponent("link.safetensors")
        try Safetensors.write(["old": Tensor(shape: [1], scalars: [0])], to: target)
        XCTAssertEqual(symlink("real.safetensors", link.path), 0)   // a relative link
        try Safetensors.write(tree, to: link)
        XCTAssertEqual(fileType(link.path), S_IFLNK, "the link must stay a link")
        XCTAssertEqual(try Safetensors.read(contentsOf: target).tensors.keys, ["w"], "the target must hold the new data")
        XCTAssertEqual(try Safetensors.read(contentsOf: link).tensors.keys, ["w"])
        // a link to a link, and a dangling link (creates the file it names)
        let link2 = tmp.appendingPathComponent("link2.safetensors")
        XCTAssertEqual(symlink(link.path, link2.path), 0)
        try Safetensors.write(["v": Tensor(shape: [1], scalars: [3])], to: link2)
        XCTAssertEqual(try Safetensors.read(contentsOf: target).tensors.keys, ["v"])
        let dangling = tmp.appendingPathComponent("dangling.safetensors")
        XCTAssertEqual(symlink("created.safetensors", dangling.path), 0)
        try Safetensors.write(tree, to: dangling)
        XCTAssertEqual(fileType(dangling.path), S_IFLNK)
        XCTAssertEqual(try Safetensors.read(contentsOf: tmp.appendingPathComponent("created.safetensors")).tensors.keys, ["w"])
    }

    func testWriteKeepsTheExistingMode() throws {
        let f = tmp.appendingPathComponent("private.safetensors")
        try Safetensors.write(tree, to: f)
        XCTAssertEqual(chmod(f.path, 0o600), 0)
        try Safetensors.write(tree, to: f)
        var st = stat()
        XCTAssertEqual(stat(f.path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertEqual(chmod(f.path, 0o640), 0)
        try Safetensors.write(tree, to: f)
        XCTAssertEqual(stat(f.path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o640)
    }

    func testWriteRefusesNonRegularDestinations() throws {
        let fifo = try makeFIFO("fifo.safetensors")
        let dir = tmp.appendingPathComponent("dir.safetensors")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false)
        let linkToNull = tmp.appendingPathComponent("null.safetensors")
        XCTAssertEqual(symlink("/dev/null", linkToNull.path), 0)
        // (/dev/null itself only through the non-destructive check: a regression must not be
        // able to replace it when the tests run as root; the link to it is safe to write through)
        XCTAssertThrowsError(try Safetensors.checkWritable(to: URL(fileURLWithPath: "/dev/null"), expectedBytes: 1)) { e in
            XCTAssertEqual(e as? SafetensorsError, .notRegularFile(file: "/dev/null", kind: "a character device"))
        }
        for (url, kind) in [(fifo, "a FIFO"), (dir, "a directory"), (linkToNull, "a character device")] {
            XCTAssertThrowsError(try Safetensors.write(tree, to: url), url.path) { e in
                XCTAssertEqual(e as? SafetensorsError, .notRegularFile(file: url.path, kind: kind))
            }
            XCTAssertThrowsError(try Safetensors.checkWritable(to: url, expectedBytes: 1), url.path)
        }
        XCTAssertEqual(fileType("/dev/null"), S_IFCHR, "/dev/null must still be a device")
        XCTAssertEqual(fileType(fifo.path), S_IFIFO)
        // nothing was left behind in the directory
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.hasSuffix(".tmp") }, [])
    }

    // MARK: class 3 — temporary names and checks before work

    func testLongLegalNamesKeepTemporaryNamesWithinNameMax() throws {
        for length in [200, 240, 250, 255] {
            let name = String(repeating: "c", count: length - 12) + ".safetensors"
            let f = tmp.appendingPathComponent(name)
            XCTAssertNoThrow(try Safetensors.checkWritable(to: f, expectedBytes: 100), "\(length)")
            try Safetensors.write(tree, to: f)
            XCTAssertEqual(try Safetensors.read(contentsOf: f).tensors.keys, ["w"], "\(length)")
        }
        // multi-byte characters: 85 × 3 bytes = 255 bytes
        let wide = tmp.appendingPathComponent(String(repeating: "é", count: 80) + "ü.safetensors")
        try Safetensors.write(tree, to: wide)
        XCTAssertEqual(try Safetensors.read(contentsOf: wide).tensors.keys, ["w"])
    }

    func testCheckWritableCatchesBadDestinationsBeforeWork() throws {
        let missing = tmp.appendingPathComponent("no/such/dir/ckpt.safetensors")
        XCTAssertThrowsError(try Safetensors.checkWritable(to: missing, expectedBytes: 10)) { e in
            guard case .io(let f, _, let errno, _)? = e as? SafetensorsError else { return XCTFail("\(e)") }
            XCTAssertEqual(f, missing.path); XCTAssertEqual(errno, ENOENT)
        }
        let file = tmp.appendingPathComponent("plain")
        try Data([1]).write(to: file)
        XCTAssertThrowsError(try Safetensors.checkWritable(to: file.appendingPathComponent("x.safetensors"), expectedBytes: 10))
        // more than the file system holds
        XCTAssertThrowsError(try Safetensors.checkWritable(to: tmp.appendingPathComponent("big"), expectedBytes: Int.max / 2)) { e in
            guard case .insufficientSpace(let f, let needed, _)? = e as? SafetensorsError else { return XCTFail("\(e)") }
            XCTAssertEqual(f, tmp.appendingPathComponent("big").path); XCTAssertEqual(needed, UInt64(Int.max / 2))
        }
        // a good destination passes and leaves nothing behind
        XCTAssertNoThrow(try Safetensors.checkWritable(to: tmp.appendingPathComponent("ok.safetensors"), expectedBytes: 10))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), ["plain"])
    }

    // MARK: class 5 — non-regular inputs are refused, never opened for a blocking read

    func testFIFOInputsAreRefusedWithoutBlocking() throws {
        // before the fix each of these blocked forever in open(2)
        let fifo = try makeFIFO("in.safetensors")
        XCTAssertThrowsError(try Safetensors.read(contentsOf: fifo)) { e in
            XCTAssertEqual(e as? SafetensorsError, .notRegularFile(file: fifo.path, kind: "a FIFO"))
        }
        XCTAssertThrowsError(try Safetensors.readHeader(contentsOf: fifo))
        XCTAssertThrowsError(try IDX.readImages(contentsOf: fifo)) { e in
            guard case .io(let f, let m)? = e as? IDXError else { return XCTFail("\(e)") }
            XCTAssertEqual(f, fifo.path); XCTAssertTrue(m.contains("FIFO"), m)
        }
        XCTAssertThrowsError(try IDX.readLabels(contentsOf: URL(fileURLWithPath: "/dev/zero"))) { e in
            guard case .io(_, let m)? = e as? IDXError else { return XCTFail("\(e)") }
            XCTAssertTrue(m.contains("character device"), m)
        }
        XCTAssertThrowsError(try Safetensors.read(contentsOf: tmp)) { e in
            XCTAssertEqual(e as? SafetensorsError, .notRegularFile(file: tmp.path, kind: "a directory"))
        }
    }

    // MARK: class 6 — IDX headers checked before the data are read

    /// Peak resident set of this process in KiB.
    func peakRSSKiB() -> Int {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return u.ru_maxrss
    }

    func testHugeIDXFilesAreRefusedFromTheirHeader() throws {
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
        // 3 GiB sparse files (no disk used): wrong magic, and a true header describing 10 images
        let size: off_t = 3 << 30
        let before = peakRSSKiB()
        for (name, head, check) in [
            ("wrong-magic", be32(0x1234) + be32(1), { (e: Error) in
                guard case .wrongMagic? = e as? IDXError else { return XCTFail("\(e)") } }),
            ("lying-header", be32(IDX.imagesMagic) + be32(10) + be32(28) + be32(28), { (e: Error) in
                guard case .trailingBytes(_, let expected, let actual)? = e as? IDXError else { return XCTFail("\(e)") }
                XCTAssertEqual(expected, 16 + 10 * 28 * 28); XCTAssertEqual(actual, Int(size)) }),
        ] {
            let u = tmp.appendingPathComponent(name)
            try Data(head).write(to: u)
            XCTAssertEqual(truncate(u.path, size), 0)
            XCTAssertThrowsError(try IDX.readImages(contentsOf: u), name, check)
        }
        // before the fix the whole file was read first: ≥ 3 GiB resident
        XCTAssertLessThan(peakRSSKiB() - before, 256 * 1024, "reading the IDX headers allocated for the data")
    }

    // MARK: class 7 — header amplification

    /// A safetensors file with the given header JSON and `data`.
    func file(header: String, data: [UInt8] = []) -> [UInt8] {
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        return (0..<8).map { UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * UInt64($0))) } + h + data
    }

    func testShapeRankIsBounded() throws {
        // a shape of many 1s is valid for the reference; before the bound a 100 MB header of them
        // made the reader hold 2.2 GB
        let ok = file(header: "{\"t\":{\"dtype\":\"F32\",\"shape\":[" + Array(repeating: "1", count: Safetensors.maxRank).joined(separator: ",")
                      + "],\"data_offsets\":[0,4]}}", data: [0, 0, 128, 63])
        XCTAssertEqual(try Safetensors.decode(ok).tensors["t"]?.shape.count, Safetensors.maxRank)
        let tooMany = file(header: "{\"t\":{\"dtype\":\"F32\",\"shape\":[" + Array(repeating: "1", count: Safetensors.maxRank + 1).joined(separator: ",")
                           + "],\"data_offsets\":[0,4]}}", data: [0, 0, 128, 63])
        XCTAssertThrowsError(try Safetensors.decode(tooMany, source: "deep")) { e in
            guard case .invalidTensorInfo(let f, let k, let reason)? = e as? SafetensorsError else { return XCTFail("\(e)") }
            XCTAssertEqual(f, "deep"); XCTAssertEqual(k, "t"); XCTAssertTrue(reason.contains("1024"), reason)
        }
    }

    func testStreamingHeaderReaderKeepsTheChecksAndTheirOrder() throws {
        // extra fields are skipped; the first failing check of an entry is reported, as before
        let extra = file(header: #"{"a":{"x":[{"y":[1,2,{"z":"]"}]}],"dtype":"F32","shape":[1],"data_offsets":[0,4],"w":null}}"#,
                         data: [0, 0, 128, 63])
        XCTAssertEqual(try Safetensors.decode(extra).tensors["a"]?.scalars, [1])
        let cases: [(String, String)] = [
            (#"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, "missing field \"dtype\""),
            (#"{"a":{"dtype":1,"shape":[1],"data_offsets":[0,4]}}"#, "\"dtype\" must be a string"),
            (#"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#, "missing field \"shape\""),
            (#"{"a":{"dtype":"F32","shape":{},"data_offsets":[0,4]}}"#, "\"shape\" must be an array"),
            (#"{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, "non-negative integers"),
            (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, "non-negative integers"),
            (#"{"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,4]}}"#, "non-negative integers"),
            (#"{"a":{"dtype":"F32","shape":[1]}}"#, "missing field \"data_offsets\""),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, "two non-negative integers"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}}"#, "two non-negative integers"),
            (#"{"a":[]}"#, "entry must be an object, found array"),
        ]
        for (header, reason) in cases {
            XCTAssertThrowsError(try Safetensors.decode(file(header: header, data: [0, 0, 128, 63])), header) { e in
                guard case .invalidTensorInfo(_, "a", let r)? = e as? SafetensorsError else { return XCTFail("\(header): \(e)") }
                XCTAssertTrue(r.contains(reason), "\(header): \(r)")
            }
        }
        // metadata: a non-string value, and a tensor hidden under the reserved name
        XCTAssertThrowsError(try Safetensors.decode(file(header: #"{"__metadata__":{"a":"x","b":2}}"#))) { e in
            XCTAssertEqual(e as? SafetensorsError, .metadataNotStringToString(file: "<memory>", key: "b"))
        }
        XCTAssertThrowsError(try Safetensors.decode(file(header: #"{"__metadata__":{"dtype":"F32","shape":[],"data_offsets":[0,0]}}"#))) { e in
            XCTAssertEqual(e as? SafetensorsError, .reservedTensorName(file: "<memory>", key: "__metadata__"))
        }
        // grammar and duplicates are reported before any schema error, wherever they are
        XCTAssertThrowsError(try Safetensors.decode(file(header: #"{"a":1,"b":{"c":1,"c":2}}"#))) { e in
            XCTAssertEqual(e as? SafetensorsError, .duplicateKey(file: "<memory>", key: "c"))
        }
        XCTAssertThrowsError(try Safetensors.decode(file(header: #"{"a":1,"b":[1,}"#))) { e in
            guard case .invalidJSON? = e as? SafetensorsError else { return XCTFail("\(e)") }
        }
    }
}
