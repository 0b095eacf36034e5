import XCTest
import Foundation
import Autodiff
import NN
import TestSupport

/// Little-endian bytes of a fixed-width integer.
private func le<I: FixedWidthInteger>(_ v: I) -> [UInt8] {
    (0..<(I.bitWidth / 8)).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
}

/// A file made of a length prefix (`length`, default the header's byte count), the header text
/// and `data`.
private func craft(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    return le(length ?? UInt64(h.count)) + h + data
}

private func floatBytes(_ xs: [Float]) -> [UInt8] { xs.flatMap { le($0.bitPattern) } }

/// Asserts that decoding `bytes` throws a ``SafetensorsError`` accepted by `check`, and that
/// the error names `source`.
private func assertRejects(_ bytes: [UInt8], source: String = "crafted.safetensors",
                           file: StaticString = #filePath, line: UInt = #line,
                           _ check: (SafetensorsError) -> Bool) {
    do {
        _ = try Safetensors.decode(bytes, source: source)
        XCTFail("decoding succeeded but should have failed", file: file, line: line)
    } catch let e as SafetensorsError {
        XCTAssertTrue(check(e), "unexpected error: \(e)", file: file, line: line)
        XCTAssertEqual(e.file, source, file: file, line: line)
        XCTAssertTrue(e.description.contains(source), "message does not name the file: \(e)", file: file, line: line)
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}

final class SafetensorsTests: XCTestCase {
    private var tempDir: URL!

    override func setUpWithError() throws {
        tempDir = FileManager.default.temporaryDirectory.appendingPathComponent("wt-safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tempDir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tempDir)
    }

    // MARK: - Golden bytes of the reference writer

    func testEmptyFileGoldenBytes() throws {
        let bytes = try Safetensors.encode(ParameterTree())
        XCTAssertEqual(bytes, [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        let back = try Safetensors.decode(bytes)
        XCTAssertTrue(back.tensors.isEmpty)
        XCTAssertTrue(back.metadata.isEmpty)
    }

    func testMetadataOnlyGoldenBytes() throws {
        let bytes = try Safetensors.encode(ParameterTree(), metadata: ["framework": "pt"])
        XCTAssertEqual(bytes, craft(#"{"__metadata__":{"framework":"pt"}}     "#))
        XCTAssertEqual(le(UInt64(40)), Array(bytes[0..<8]))
        XCTAssertEqual(try Safetensors.decode(bytes).metadata, ["framework": "pt"])
    }

    func testSingleTensorGoldenBytes() throws {
        // the reference's `test_serialization` vector: attn.0, F32, [1, 2, 3], values 0…5
        let t = Tensor(shape: [1, 2, 3], scalars: [Float(0), 1, 2, 3, 4, 5])
        let bytes = try Safetensors.encode(["attn.0": t])
        let header = #"{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"#
        XCTAssertEqual(header.utf8.count, 64)
        XCTAssertEqual(bytes, craft(header, data: floatBytes([0, 1, 2, 3, 4, 5])))
    }

    func testWriterOrdersByAlignmentThenNameAndPadsTo8() throws {
        let tree: ParameterTree = [
            "b": Tensor([Float(1)]),
            "a": Tensor([Float(2), 3]),
            "z": Tensor([4.0]),
            "c.weight": Tensor([5.0, 6.0]),
        ]
        let bytes = try Safetensors.encode(tree, metadata: ["k2": "v", "k1": "tab\tquote\"é"])
        let n = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        XCTAssertEqual(n % 8, 0)
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        let expected = #"{"__metadata__":{"k1":"tab\tquote\"é","k2":"v"},"#
            + #""c.weight":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"#
            + #""z":{"dtype":"F64","shape":[1],"data_offsets":[16,24]},"#
            + #""a":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},"#
            + #""b":{"dtype":"F32","shape":[1],"data_offsets":[32,36]}}"#
        XCTAssertEqual(header.trimmingCharacters(in: .init(charactersIn: " ")), expected)
        XCTAssertTrue(header.hasSuffix(" ") || header.utf8.count == expected.utf8.count)
        XCTAssertEqual(bytes.count, 8 + n + 36)
        let back = try Safetensors.decode(bytes)
        XCTAssertEqual(back.tensors.keys, ["c.weight", "z", "a", "b"])  // offset order
        XCTAssertEqual(back.metadata, ["k2": "v", "k1": "tab\tquote\"é"])
    }

    // MARK: - Round trips

    func testRoundTripIsBitIdenticalForF32AndF64() throws {
        let specials32: [Float] = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                                   Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFF80_0001), 1.0 / 3.0]
        let specials64: [Double] = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                                    Double(bitPattern: 0x7FF8_0000_0000_1234), 1.0 / 3.0, -1e-300]
        var tree = ParameterTree()
        tree["layer.0.weight"] = Sample.normal([3, 4, 5], seed: 1, dtype: .float32)
        tree["layer.0.bias"] = Sample.normal([7], seed: 2, dtype: .float64)
        tree["specials32"] = Tensor(specials32)
        tree["specials64"] = Tensor(specials64)
        tree["empty"] = Tensor.zeros([2, 0, 3], dtype: .float32)
        tree["empty64"] = Tensor.zeros([0], dtype: .float64)
        tree["scalar"] = Tensor(scalar: 2.5, dtype: .float32)
        tree["scalar64"] = Tensor(scalar: -7.25, dtype: .float64)
        tree.setComplex("cw", Sample.complex([2, 2], seed: 3, dtype: .float32))
        let meta = ["format": "wirtinger", "note": "line\nbreak \u{1} ünïcødé 🚀", "": "empty key"]
        let url = tempDir.appendingPathComponent("round.safetensors")
        try Safetensors.write(tree, metadata: meta, to: url)
        let back = try Safetensors.read(contentsOf: url)
        XCTAssertEqual(back.metadata, meta)
        XCTAssertEqual(Set(back.tensors.keys), Set(tree.keys))
        for (k, t) in tree {
            let b = try XCTUnwrap(back.tensors[k], k)
            XCTAssertEqual(b.shape, t.shape, k)
            XCTAssertEqual(b.dtype, t.dtype, k)
            let same = t.withUnsafeRawBytes { x in b.withUnsafeRawBytes { y in Array(x) == Array(y) } }
            XCTAssertTrue(same, "bytes differ for \(k)")
        }
        XCTAssertEqual(back.tensors["scalar"]!.shape, [])
        XCTAssertEqual(back.tensors["empty"]!.shape, [2, 0, 3])
        XCTAssertEqual(back.storedDTypes["layer.0.bias"], .f64)
        // writing what was read gives the same bytes (canonical order)
        XCTAssertEqual(try Safetensors.encode(back.tensors, metadata: back.metadata),
                       try Safetensors.encode(tree, metadata: meta))
        // in-memory decode agrees with the file reader
        let mem = try Safetensors.decode(Data(contentsOf: url), source: url.path)
        XCTAssertEqual(mem.tensors.keys, back.tensors.keys)
    }

    func testRandomRoundTrips() throws {
        var rng = SplitMix64(seed: 99)
        for trial in 0..<25 {
            var tree = ParameterTree()
            for j in 0..<Int(rng.next() % 6) {
                let rank = Int(rng.next() % 4)
                let shape = (0..<rank).map { _ in Int(rng.next() % 4) }
                let dtype: DType = rng.next() % 2 == 0 ? .float32 : .float64
                tree["t\(trial).\(j)"] = Sample.normal(shape, seed: rng.next(), dtype: dtype)
            }
            let bytes = try Safetensors.encode(tree)
            let back = try Safetensors.decode(bytes, source: "trial \(trial)")
            XCTAssertEqual(back.tensors.count, tree.count)
            for (k, t) in tree { XCTAssertTrue(back.tensors[k]!.isIdentical(to: t), k) }
            XCTAssertEqual(try Safetensors.encode(back.tensors), bytes)
        }
    }

    // MARK: - Files written by PyTorch

    func testReadsPyTorchWrittenFixtureAndAgreesWithIndependentHeaderParse() throws {
        let url = Fixture.directory.appendingPathComponent("layers.safetensors")
        let raw = try Data(contentsOf: url)
        let file = try Safetensors.read(contentsOf: url)
        // independent parse of the header with Foundation
        let n = Int(raw.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: raw.subdata(in: 8..<(8 + n))) as? [String: Any])
        let meta = try XCTUnwrap(json["__metadata__"] as? [String: String])
        XCTAssertEqual(file.metadata, meta)
        XCTAssertEqual(file.tensors.count, json.count - 1)
        var sawInteger = false
        for (name, info) in json where name != "__metadata__" {
            let info = try XCTUnwrap(info as? [String: Any])
            let dtype = try XCTUnwrap(info["dtype"] as? String)
            let shape = try XCTUnwrap(info["shape"] as? [Int])
            let offsets = try XCTUnwrap(info["data_offsets"] as? [Int])
            let t = try XCTUnwrap(file.tensors[name], name)
            XCTAssertEqual(t.shape, shape, name)
            XCTAssertEqual(file.storedDTypes[name]?.rawValue, dtype, name)
            let slice = raw.subdata(in: (8 + n + offsets[0])..<(8 + n + offsets[1]))
            switch dtype {
            case "F32":
                XCTAssertEqual(t.dtype, .float32)
                t.withUnsafeRawBytes { XCTAssertEqual(Array($0), Array(slice), name) }
            case "F64":
                XCTAssertEqual(t.dtype, .float64)
                t.withUnsafeRawBytes { XCTAssertEqual(Array($0), Array(slice), name) }
            case "I64":
                sawInteger = true
                XCTAssertEqual(t.dtype, .float64)
                let ints = stride(from: 0, to: slice.count, by: 8).map { o in
                    Int64(bitPattern: slice[o..<(o + 8)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
                }
                XCTAssertEqual(t.scalars, ints.map(Double.init), name)
            default:
                XCTFail("unexpected dtype \(dtype) in fixture")
            }
        }
        XCTAssertTrue(sawInteger, "layers fixture should contain num_batches_tracked (I64)")
        // the fixture helpers see the same data
        let fx = try Fixture.load("layers")
        let bn = Fixture.params(fx, case: "BatchNorm1d.input2d.eval")
        XCTAssertEqual(Set(bn.keys), ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
        let m = try Fixture.metadata(fx, case: "BatchNorm1d.input2d.eval")
        XCTAssertNotNil(m["class"])
    }

    /// Reading a file written by PyTorch's `save_file` and writing it back gives the same bytes:
    /// same entry order, JSON, padding and data (the generator sorted the metadata keys, as we do).
    func testReencodingPyTorchFilesReproducesTheirBytes() throws {
        for name in ["layers", "ops_real", "optim"] {
            let url = Fixture.directory.appendingPathComponent(name + ".safetensors")
            let raw = [UInt8](try Data(contentsOf: url))
            let f = try Safetensors.read(contentsOf: url)
            let intKeys = { (k: String) in f.storedDTypes[k] == .i64 }
            XCTAssertEqual(try Safetensors.encode(f.tensors, metadata: f.metadata, int64: intKeys), raw, name)
        }
    }

    func testNumBatchesTrackedIsWrittenAsInt64() throws {
        let tree: ParameterTree = ["bn.weight": Tensor([Float(1)]), "bn.num_batches_tracked": Tensor(scalar: 7, dtype: .float64)]
        let bytes = try Safetensors.encode(tree)
        let header = String(decoding: bytes[8..<(8 + Int(bytes[0]))], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]}"#), header)
        let back = try Safetensors.decode(bytes)
        XCTAssertEqual(back.storedDTypes["bn.num_batches_tracked"], .i64)
        XCTAssertEqual(back.tensors["bn.num_batches_tracked"]!.scalars, [7])
        XCTAssertThrowsError(try Safetensors.encode(["n": Tensor([0.5])], int64: { _ in true }, source: "x")) { e in
            guard case .integerNotRepresentable("x", "n", _)? = e as? SafetensorsError else { return XCTFail("\(e)") }
        }
        // opting out keeps the float dtype
        let plain = try Safetensors.decode(try Safetensors.encode(tree, int64: { _ in false }))
        XCTAssertEqual(plain.storedDTypes["bn.num_batches_tracked"], .f64)
    }

    func testReadsCplxmoduleSavedInteropFiles() throws {
        for name in ["interop/cplx_mlp_vd", "interop/conv2d_linear_ard"] {
            let url = Fixture.directory.appendingPathComponent(name + ".safetensors")
            XCTAssertTrue(FileManager.default.fileExists(atPath: url.path), "fixture \(url.path) is missing")
            let f = try Safetensors.read(contentsOf: url)
            XCTAssertFalse(f.tensors.isEmpty, name)
            // re-encoding what we read and decoding it again keeps every value
            let again = try Safetensors.decode(try Safetensors.encode(f.tensors, metadata: f.metadata))
            for (k, t) in f.tensors { XCTAssertTrue(again.tensors[k]!.isIdentical(to: t), "\(name): \(k)") }
        }
    }

    // MARK: - Converted dtypes

    func testReadsF16AndBF16AsFloat32() throws {
        let half: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x8000, 0x3555]
        let bf: [UInt16] = [0x3F80, 0xC040, 0x0000, 0xFF80]
        let header = #"{"h":{"dtype":"F16","shape":[7],"data_offsets":[0,14]},"b":{"dtype":"BF16","shape":[2,2],"data_offsets":[14,22]}}"#
        let f = try Safetensors.decode(craft(header, data: half.flatMap(le) + bf.flatMap(le)))
        let h = f.tensors["h"]!
        XCTAssertEqual(h.dtype, .float32)
        XCTAssertEqual(h.scalars(as: Float.self), [1, -2, 65504, 0x1p-24, .infinity, -0.0, Float(0.333251953125)])
        XCTAssertEqual(h.scalars(as: Float.self)[5].sign, .minus)
        let b = f.tensors["b"]!
        XCTAssertEqual(b.shape, [2, 2])
        XCTAssertEqual(b.scalars(as: Float.self), [1, -3, 0, -.infinity])
        XCTAssertEqual(f.storedDTypes["h"], .f16)
        XCTAssertEqual(f.storedDTypes["b"], .bf16)
    }

    func testReadsC64AsRealAndImagParts() throws {
        let header = #"{"w":{"dtype":"C64","shape":[2],"data_offsets":[0,16]}}"#
        let f = try Safetensors.decode(craft(header, data: floatBytes([1, 2, -3, 4.5])))
        XCTAssertEqual(f.tensors.keys, ["w.real", "w.imag"])
        let z = try XCTUnwrap(f.tensors.complex("w"))
        XCTAssertEqual(z.real.scalars(as: Float.self), [1, -3])
        XCTAssertEqual(z.imag.scalars(as: Float.self), [2, 4.5])
        XCTAssertEqual(f.storedDTypes["w.real"], .c64)
    }

    func testReadsIntegerAndBoolAsFloat64() throws {
        let header = #"{"i":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"u":{"dtype":"U8","shape":[2],"data_offsets":[16,18]},"#
            + #""b":{"dtype":"BOOL","shape":[2],"data_offsets":[18,20]},"s":{"dtype":"I16","shape":[],"data_offsets":[20,22]}}"#
        let data = le(Int64(-5)) + le(Int64(1 << 53)) + [255, 7] + [0, 1] + le(Int16(-300))
        let f = try Safetensors.decode(craft(header, data: data))
        XCTAssertEqual(f.tensors["i"]!.scalars, [-5, 9007199254740992])
        XCTAssertEqual(f.tensors["u"]!.scalars, [255, 7])
        XCTAssertEqual(f.tensors["b"]!.scalars, [0, 1])
        XCTAssertEqual(f.tensors["s"]!.shape, [])
        XCTAssertEqual(f.tensors["s"]!.scalars, [-300])
        XCTAssertEqual(f.tensors["i"]!.dtype, .float64)
    }

    func testAcceptsWhitespaceAroundHeaderAndUnorderedEntries() throws {
        // leading and trailing JSON whitespace; entries listed out of offset order
        let header = " \n{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}\r\t "
        let f = try Safetensors.decode(craft(header, data: floatBytes([1, 2])))
        XCTAssertEqual(f.tensors.keys, ["a", "b"])
        XCTAssertEqual(f.tensors["b"]!.scalars, [2])
    }

    // MARK: - One test per error

    func testRejectsFileShorterThanLengthPrefix() {
        assertRejects([1, 2, 3, 4, 5]) { if case .fileTooSmall(_, 5) = $0 { return true }; return false }
    }

    func testRejectsOneTerabyteHeaderWithoutAllocating() throws {
        let bytes = le(UInt64(1) << 40) + Array("{}".utf8)
        assertRejects(bytes) { if case .headerTooLarge(_, 1 << 40) = $0 { return true }; return false }
        assertRejects(craft("{}", length: Safetensors.maxHeaderLength + 1)) {
            if case .headerTooLarge = $0 { return true }; return false
        }
        assertRejects(le(UInt64.max)) { if case .headerTooLarge = $0 { return true }; return false }
        // through the file reader too
        let url = tempDir.appendingPathComponent("huge-header.safetensors")
        try Data(bytes).write(to: url)
        XCTAssertThrowsError(try Safetensors.read(contentsOf: url)) { e in
            guard case .headerTooLarge(let f, _)? = e as? SafetensorsError else { return XCTFail("\(e)") }
            XCTAssertEqual(f, url.path)
        }
    }

    func testRejectsHeaderLengthBeyondFile() {
        assertRejects(craft("{}", length: 100)) {
            if case .invalidHeaderLength(_, 100, 10) = $0 { return true }; return false
        }
    }

    func testRejectsHeaderThatIsNotUTF8() {
        assertRejects(le(UInt64(4)) + [0x7B, 0xFF, 0xFE, 0x7D]) { if case .headerNotUTF8 = $0 { return true }; return false }
    }

    func testRejectsInvalidJSON() {
        for bad in [#"{"a":"#, #"{} x"#, #"[1, 2]"#, #"{"a" 1}"#, #"{'a':1}"#, "{\"a\":\"\u{1}\"}", #"{"a":01}"#, "",
                    String(repeating: "[", count: 500)] {
            assertRejects(craft(bad)) { if case .invalidJSON = $0 { return true }; return false }
        }
    }

    func testRejectsDuplicateKeys() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        assertRejects(craft(header, data: floatBytes([1, 2]))) {
            if case .duplicateKey(_, "a") = $0 { return true }; return false
        }
        let dupField = #"{"a":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}}"#
        assertRejects(craft(dupField, data: floatBytes([1]))) {
            if case .duplicateKey(_, "dtype") = $0 { return true }; return false
        }
        let dupMeta = #"{"__metadata__":{"x":"1"},"__metadata__":{"y":"2"}}"#
        assertRejects(craft(dupMeta)) { if case .duplicateKey(_, "__metadata__") = $0 { return true }; return false }
    }

    func testRejectsMetadataThatIsNotStringToString() {
        assertRejects(craft(#"{"__metadata__":{"ok":"yes","n":1}}"#)) {
            if case .metadataNotStringToString(_, "n") = $0 { return true }; return false
        }
        assertRejects(craft(#"{"__metadata__":["a"]}"#)) {
            if case .metadataNotStringToString(_, "__metadata__") = $0 { return true }; return false
        }
        assertRejects(craft(#"{"__metadata__":{"nested":{"a":"b"}}}"#)) {
            if case .metadataNotStringToString(_, "nested") = $0 { return true }; return false
        }
    }

    func testRejectsMalformedTensorInfo() {
        let cases = [
            #"{"t":{"dtype":"F32","data_offsets":[0,4]}}"#,                 // no shape
            #"{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,    // negative dim
            #"{"t":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#,   // non-integer dim
            #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#,   // three offsets
            #"{"t":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#,        // dtype not a string
            #"{"t":[1,2]}"#,                                                // not an object
            #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}}"#,  // > u64
        ]
        for h in cases {
            assertRejects(craft(h, data: floatBytes([1]))) {
                if case .invalidTensorInfo(_, "t", _) = $0 { return true }; return false
            }
        }
    }

    func testRejectsUnknownDType() {
        assertRejects(craft(#"{"t":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}"#, data: floatBytes([1]))) {
            if case .unknownDType(_, "t", "F31") = $0 { return true }; return false
        }
    }

    func testRejectsValidButUnsupportedDType() {
        assertRejects(craft(#"{"q":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#, data: [1, 2])) {
            if case .unsupportedDType(_, "q", "F8_E4M3") = $0 { return true }; return false
        }
    }

    func testRejectsReversedOffsets() {
        assertRejects(craft(#"{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: floatBytes([1]))) {
            if case .offsetsReversed(_, "t", 4, 0) = $0 { return true }; return false
        }
    }

    func testRejectsGapBetweenTensors() {
        assertRejects(craft(#"{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: floatBytes([0, 1]))) {
            if case .offsetGap(_, "t", 4, 0) = $0 { return true }; return false
        }
        let hole = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        assertRejects(craft(hole, data: floatBytes([0, 1, 2]))) {
            if case .offsetGap(_, "b", 8, 4) = $0 { return true }; return false
        }
    }

    func testRejectsOverlappingTensors() {
        // the reference's `test_json_attack`: many tensors sharing the same bytes
        let entries = (0..<10).map { #""t\#($0)":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}"# }
        assertRejects(craft("{" + entries.joined(separator: ",") + "}", data: floatBytes([1, 2, 3, 4]))) {
            if case .offsetOverlap(_, _, 0, 16) = $0 { return true }; return false
        }
    }

    func testRejectsShapeWhoseSizeOverflows() {
        let big = UInt64(1) << 62
        assertRejects(craft(#"{"t":{"dtype":"F32","shape":[\#(big),\#(big),0],"data_offsets":[0,0]}}"#)) {
            if case .sizeOverflow(_, "t", _) = $0 { return true }; return false
        }
        assertRejects(craft(#"{"t":{"dtype":"F64","shape":[\#(big)],"data_offsets":[0,0]}}"#)) {
            if case .sizeOverflow(_, "t", _) = $0 { return true }; return false
        }
    }

    func testRejectsSubByteTensorThatIsNotWholeBytes() {
        assertRejects(craft(#"{"t":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#, data: [0, 0])) {
            if case .misalignedSlice(_, "t", "F4", [3]) = $0 { return true }; return false
        }
    }

    func testRejectsShapeThatDisagreesWithByteRange() {
        assertRejects(craft(#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: floatBytes([1]))) {
            if case .sizeMismatch(_, "t", "F32", [2], 8, 4) = $0 { return true }; return false
        }
    }

    func testRejectsTruncatedFileWithoutAllocating() throws {
        let good = try Safetensors.encode(["w": Sample.normal([4, 4], seed: 5, dtype: .float32)])
        for cut in 1...8 {
            assertRejects(Array(good.dropLast(cut))) { if case .truncated = $0 { return true }; return false }
        }
        // a header promising a terabyte of data in a tiny file, read through the file reader
        let huge = #"{"w":{"dtype":"F32","shape":[250000000000],"data_offsets":[0,1000000000000]}}"#
        let url = tempDir.appendingPathComponent("terabyte.safetensors")
        try Data(craft(huge, data: floatBytes([1, 2]))).write(to: url)
        XCTAssertThrowsError(try Safetensors.read(contentsOf: url)) { e in
            guard case .truncated(let f, let expected, _)? = e as? SafetensorsError else { return XCTFail("\(e)") }
            XCTAssertEqual(f, url.path)
            XCTAssertGreaterThan(expected, 1_000_000_000_000)
        }
        XCTAssertThrowsError(try Safetensors.readHeader(contentsOf: url))
    }

    func testRejectsTrailingBytes() throws {
        let good = try Safetensors.encode(["w": Tensor([Float(1), 2])])
        assertRejects(good + [0]) { if case .trailingBytes(_, _, let size) = $0 { return size == good.count + 1 }; return false }
        assertRejects(craft("{}", data: [1, 2, 3])) { if case .trailingBytes = $0 { return true }; return false }
    }

    func testRejectsTensorNamedMetadata() throws {
        // reading: a tensor entry under the reserved name
        let header = #"{"__metadata__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        assertRejects(craft(header, data: floatBytes([1]))) {
            if case .reservedTensorName(_, "__metadata__") = $0 { return true }; return false
        }
        // writing
        XCTAssertThrowsError(try Safetensors.encode(["__metadata__": Tensor([Float(1)])], source: "out.safetensors")) { e in
            guard case .reservedTensorName("out.safetensors", "__metadata__")? = e as? SafetensorsError else { return XCTFail("\(e)") }
        }
    }

    func testRejectsComplexTensorWhosePartNamesAreTaken() {
        let header = #"{"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]},"w.real":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        assertRejects(craft(header, data: floatBytes([1, 2, 3]))) {
            if case .complexKeyCollision(_, "w") = $0 { return true }; return false
        }
    }

    func testRejectsIntegerBeyondFloat64Precision() {
        let header = #"{"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#
        assertRejects(craft(header, data: le(Int64(1 << 53) + 1))) {
            if case .integerNotRepresentable(_, "n", "9007199254740993") = $0 { return true }; return false
        }
    }

    func testMissingFileIsAnIOErrorNamingThePath() {
        let url = tempDir.appendingPathComponent("nope.safetensors")
        XCTAssertThrowsError(try Safetensors.read(contentsOf: url)) { e in
            guard case .io(let f, "open", _, _)? = e as? SafetensorsError else { return XCTFail("\(e)") }
            XCTAssertEqual(f, url.path)
        }
    }

    /// Every prefix and many single-byte corruptions of a valid file are rejected or read, never a crash.
    func testMutationsNeverCrash() throws {
        var tree = ParameterTree()
        tree["a"] = Sample.normal([2, 3], seed: 1, dtype: .float32)
        tree["b"] = Sample.normal([3], seed: 2, dtype: .float64)
        let good = try Safetensors.encode(tree, metadata: ["m": "v"])
        for cut in 0..<good.count {
            XCTAssertThrowsError(try Safetensors.decode(Array(good.prefix(cut))), "prefix \(cut)")
        }
        var rng = SplitMix64(seed: 7)
        for _ in 0..<400 {
            var bad = good
            let pos = Int(rng.next() % UInt64(good.count))
            bad[pos] = UInt8(truncatingIfNeeded: rng.next())
            _ = try? Safetensors.decode(bad)
        }
    }

    // MARK: - Atomic writes

    private func directoryListing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: tempDir.path).sorted()
    }

    func testAtomicWriteLeavesNoTemporaryFileAndReplacesOldFile() throws {
        let url = tempDir.appendingPathComponent("model.safetensors")
        try Safetensors.write(["w": Tensor([Float(1)])], to: url)
        try Safetensors.write(["w": Tensor([Float(2), 3])], metadata: ["v": "2"], to: url)
        XCTAssertEqual(try directoryListing(), ["model.safetensors"])
        let back = try Safetensors.read(contentsOf: url)
        XCTAssertEqual(back.tensors["w"]!.scalars, [2, 3])
        XCTAssertEqual(back.metadata, ["v": "2"])
    }

    func testFailedEncodingDoesNotClobberExistingFile() throws {
        let url = tempDir.appendingPathComponent("model.safetensors")
        try Safetensors.write(["w": Tensor([Float(1)])], to: url)
        let before = try Data(contentsOf: url)
        XCTAssertThrowsError(try Safetensors.write(["__metadata__": Tensor([Float(9)])], to: url)) { e in
            guard case .reservedTensorName(let f, _)? = e as? SafetensorsError else { return XCTFail("\(e)") }
            XCTAssertEqual(f, url.path)
        }
        XCTAssertEqual(try Data(contentsOf: url), before)
        XCTAssertEqual(try directoryListing(), ["model.safetensors"])
    }

    func testWriteIntoMissingDirectoryIsAnIOError() {
        let url = tempDir.appendingPathComponent("no/such/dir/model.safetensors")
        XCTAssertThrowsError(try Safetensors.write(["w": Tensor([Float(1)])], to: url)) { e in
            guard case .io = e as? SafetensorsError else { return XCTFail("\(e)") }
        }
    }
}
