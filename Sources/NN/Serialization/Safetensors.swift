import Foundation
import Autodiff

#if _endian(big)
#error("Safetensors I/O assumes a little-endian host (tensor memory is copied to and from the file as is)")
#endif

/// The contents of a safetensors file: its tensors as a ``ParameterTree`` and its `__metadata__`.
public struct SafetensorsFile: Sendable {
    /// The tensors, in the order of their data offsets in the file (for files written by the
    /// reference writer or ours that is: 8-byte dtypes first, then 4-, 2-, 1-byte ones, each
    /// group sorted by name). A `C64` tensor `k` appears as `k.real` then `k.imag`.
    public var tensors: ParameterTree
    /// The `__metadata__` map (empty when the file has none).
    public var metadata: [String: String]
    /// The dtype each entry of ``tensors`` had in the file (`C64` for both parts of a complex
    /// tensor, `I64` for an integer buffer read as `float64`, …).
    public var storedDTypes: [String: SafetensorsDType]

    /// A file value with the given tensors and metadata (stored dtypes taken from the tensors).
    public init(tensors: ParameterTree, metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
        var d: [String: SafetensorsDType] = [:]
        for (k, t) in tensors { d[k] = t.dtype == .float32 ? .f32 : .f64 }
        self.storedDTypes = d
    }

    init(tensors: ParameterTree, metadata: [String: String], storedDTypes: [String: SafetensorsDType]) {
        self.tensors = tensors
        self.metadata = metadata
        self.storedDTypes = storedDTypes
    }
}

/// One tensor described by a safetensors header (no data read).
public struct SafetensorsEntry: Sendable, Equatable {
    /// The tensor name as written in the file.
    public var name: String
    /// Its dtype.
    public var dtype: SafetensorsDType
    /// Its shape (`[]` for a scalar).
    public var shape: [Int]
    /// Byte range `[begin, end)` relative to the start of the data section (byte `8 + N`).
    public var dataOffsets: Range<Int>
}

/// The parsed and validated header of a safetensors file.
public struct SafetensorsHeader: Sendable, Equatable {
    /// The tensor entries sorted by data offset (the order the reference validates them in).
    public var entries: [SafetensorsEntry]
    /// The `__metadata__` map.
    public var metadata: [String: String]
    /// `N`, the header length in bytes (the data section starts at byte `8 + N`).
    public var headerLength: Int
}

/// Reading and writing the safetensors format (huggingface/safetensors).
///
/// Layout: 8 bytes `N` (u64 little-endian), `N` bytes of UTF-8 JSON mapping each tensor name to
/// `{"dtype", "shape", "data_offsets": [begin, end]}` plus an optional `"__metadata__"` object of
/// strings, then the data section: little-endian, row-major tensor bytes, offsets relative to
/// byte `8 + N`.
///
/// **Reading** performs every check of the reference reader, in its order — file ≥ 8 bytes;
/// `N` ≤ 100 000 000; `8 + N` ≤ file size; UTF-8; JSON; then, with tensors sorted by
/// `data_offsets`, each must start where the previous ended (the first at 0) with `end ≥ begin`;
/// the element and bit counts must not overflow; sub-byte dtypes must fill whole bytes;
/// `end − begin` must equal the tensor's byte size; and the last tensor must end exactly at the
/// end of the file — plus explicit rejection of duplicate keys and of a tensor named
/// `__metadata__`. Leading and trailing JSON whitespace around the header object is accepted
/// (the reference does too). Offsets need not be aligned: data are copied, never reinterpreted.
/// Reading a file allocates nothing for the data until the header has been validated against the
/// file size, so a header claiming a terabyte or a truncated file fails cheaply.
///
/// dtype mapping on read: `F32` → `float32`, `F64` → `float64` (bit-exact); `F16`, `BF16` →
/// `float32` (exact widening); `C64` (interleaved re, im float32) → two `float32` entries
/// `key.real` and `key.imag`, the layout cplxmodule uses for complex parameters; `BOOL`, `U8`,
/// `I8`, `I16`, `U16`, `I32`, `U32`, `I64`, `U64` → `float64` (exact; a value beyond ±2⁵³
/// throws). The 4/6/8-bit float formats throw ``SafetensorsError/unsupportedDType(file:key:dtype:)``.
///
/// **Writing** (`F32`, `F64`, the dtypes of ``Tensor``; `I64` for `num_batches_tracked` or the
/// keys chosen by the `int64` argument) matches the reference writer byte for byte: tensors
/// ordered by the reference's descending dtype order (`I64`, then `F64`, then `F32`) then by name
/// (byte-wise UTF-8), offsets contiguous from 0, compact JSON with fields in the order `dtype`,
/// `shape`, `data_offsets`, `__metadata__` first (its keys sorted, and omitted when empty), header
/// padded with spaces to a multiple of 8. ``write(_:metadata:int64:to:)`` is atomic.
public enum Safetensors {
    /// The largest header the reference accepts (and writes): 100 000 000 bytes.
    public static let maxHeaderLength: UInt64 = 100_000_000
    /// The most dimensions a tensor may have (the reference sets no limit; a shape of millions
    /// of 1s is otherwise a valid way to make a reader hold many bytes per header byte).
    public static let maxRank = 1024

    // MARK: - Reading

    /// Reads and validates the safetensors file at `url`.
    /// - Throws: ``SafetensorsError`` naming the file (and the key at fault).
    public static func read(contentsOf url: URL) throws -> SafetensorsFile {
        let file = try ReadOnlyFile(path: url.path)
        defer { file.close() }
        let header = try parseHeader(size: file.size, source: url.path) { offset, count in try file.read(offset: offset, count: count) }
        let dataStart = 8 + header.headerLength
        return try materialize(header, source: url.path) { range, dest in
            try file.read(offset: dataStart + range.lowerBound, into: dest)
        }
    }

    /// Reads and validates only the header of the file at `url` (the data are not read, but the
    /// file size is checked against the offsets).
    public static func readHeader(contentsOf url: URL) throws -> SafetensorsHeader {
        let file = try ReadOnlyFile(path: url.path)
        defer { file.close() }
        return try parseHeader(size: file.size, source: url.path) { offset, count in try file.read(offset: offset, count: count) }
    }

    /// Decodes a safetensors file held in memory. `source` names it in errors.
    public static func decode(_ bytes: [UInt8], source: String = "<memory>") throws -> SafetensorsFile {
        try bytes.withUnsafeBytes { try decode(raw: $0, source: source) }
    }

    /// Decodes a safetensors file held in memory. `source` names it in errors.
    public static func decode(_ data: Data, source: String = "<memory>") throws -> SafetensorsFile {
        try data.withUnsafeBytes { try decode(raw: $0, source: source) }
    }

    static func decode(raw: UnsafeRawBufferPointer, source: String) throws -> SafetensorsFile {
        let header = try parseHeader(size: raw.count, source: source) { offset, count in
            Array(raw[offset..<(offset + count)])
        }
        let dataStart = 8 + header.headerLength
        return try materialize(header, source: source) { range, dest in
            if range.count > 0 {
                dest.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(dataStart + range.lowerBound)..<(dataStart + range.upperBound)]))
            }
        }
    }

    /// Validates everything but the tensor values. `readBytes(offset, count)` returns `count`
    /// bytes of the file at `offset`; it is only called within `0..<size`. The checks run in the
    /// reference reader's order: the length prefix and header bytes (1–4), the JSON and its schema
    /// (5), the offsets and sizes (6–9), the end of the data section (10), then our complex keys.
    static func parseHeader(size: Int, source: String,
                            readBytes: (Int, Int) throws -> [UInt8]) throws -> SafetensorsHeader {
        let headerBytes = try readHeaderBytes(size: size, source: source, readBytes: readBytes)
        let headerLength = headerBytes.count
        var (metadata, infos) = try parseHeaderJSON(headerBytes, source: source)
        let (entries, dataEnd) = try checkedEntries(&infos, source: source)
        // 10. the data section must end exactly at the end of the file
        let (described, o1) = dataEnd.addingReportingOverflow(UInt64(8 + headerLength))
        if o1 || described > UInt64(size) {
            throw SafetensorsError.truncated(file: source, expectedSize: o1 ? .max : described, actualSize: size)
        }
        if described < UInt64(size) {
            throw SafetensorsError.trailingBytes(file: source, expectedSize: described, actualSize: size)
        }
        try checkComplexKeys(entries, source: source)
        return SafetensorsHeader(entries: entries, metadata: metadata, headerLength: headerLength)
    }

    /// One tensor's fields as the header states them, before the offsets and sizes are checked.
    private struct StatedTensor {
        var name: String, dtype: SafetensorsDType, shape: [UInt64], begin: UInt64, end: UInt64
    }

    /// Checks 1–4: the length prefix, the header size limit (before any allocation), that the
    /// header fits in the file, and UTF-8. Returns the header's bytes.
    private static func readHeaderBytes(size: Int, source: String,
                                        readBytes: (Int, Int) throws -> [UInt8]) throws -> [UInt8] {
        guard size >= 8 else { throw SafetensorsError.fileTooSmall(file: source, size: size) }
        let prefix = try readBytes(0, 8)
        var n: UInt64 = 0
        for (j, b) in prefix.enumerated() { n |= UInt64(b) << (8 * UInt64(j)) }
        guard n <= maxHeaderLength else { throw SafetensorsError.headerTooLarge(file: source, length: n) }
        let headerLength = Int(n)
        guard 8 + headerLength <= size else {
            throw SafetensorsError.invalidHeaderLength(file: source, length: n, fileSize: size)
        }
        let headerBytes = try readBytes(8, headerLength)
        guard String(validating: headerBytes, as: UTF8.self) != nil else { throw SafetensorsError.headerNotUTF8(file: source) }
        return headerBytes
    }

    /// Check 5: the JSON (grammar and duplicate keys first, keeping no values), then its schema,
    /// read entry by entry so that memory stays a small multiple of the header size.
    private static func parseHeaderJSON(_ headerBytes: [UInt8], source: String) throws
        -> (metadata: [String: String], tensors: [StatedTensor]) {
        do {
            try HeaderJSONParser.validate(headerBytes)
        } catch {
            switch error {
            case .syntax(let offset, let reason): throw SafetensorsError.invalidJSON(file: source, offset: offset, reason: reason)
            case .duplicateKey(let k): throw SafetensorsError.duplicateKey(file: source, key: k)
            }
        }
        var cursor = HeaderJSONCursor(headerBytes)
        let topKind = cursor.kind()
        guard topKind == "object" else {
            throw SafetensorsError.invalidJSON(file: source, offset: 0, reason: "the header must be a JSON object, found \(topKind)")
        }
        var metadata: [String: String] = [:]
        var infos: [StatedTensor] = []
        infos.reserveCapacity(cursor.entryCount())
        try cursor.forEachEntry { c, name in
            if name == "__metadata__" {
                metadata = try parseMetadata(&c, source: source)
            } else {
                infos.append(try parseTensorFields(&c, name: name, source: source))
            }
        }
        return (metadata, infos)
    }

    /// The `__metadata__` object: strings only.
    private static func parseMetadata(_ c: inout HeaderJSONCursor, source: String) throws -> [String: String] {
        var metadata: [String: String] = [:]
        let kind = c.kind()
        guard kind == "object" else { throw SafetensorsError.metadataNotStringToString(file: source, key: "__metadata__") }
        metadata.reserveCapacity(c.entryCount())
        // a tensor written under the reserved name (safetensors issue #849) has the three
        // tensor fields and a non-string among its values
        var tensorFields = Set<String>(), firstNonString: String?
        try c.forEachEntry { c, k in
            if ["dtype", "shape", "data_offsets"].contains(k) { tensorFields.insert(k) }
            if c.kind() == "string" {
                metadata[k] = try c.readString()
            } else {
                if firstNonString == nil { firstNonString = k }
                c.skipValue()
            }
        }
        if let k = firstNonString {
            if tensorFields.count == 3 { throw SafetensorsError.reservedTensorName(file: source, key: "__metadata__") }
            throw SafetensorsError.metadataNotStringToString(file: source, key: k)
        }
        return metadata
    }

    /// One tensor entry: `dtype`, `shape` and `data_offsets`, each of the right JSON type.
    private static func parseTensorFields(_ c: inout HeaderJSONCursor, name: String, source: String) throws -> StatedTensor {
        let kind = c.kind()
        guard kind == "object" else {
            throw SafetensorsError.invalidTensorInfo(file: source, key: name, reason: "entry must be an object, found \(kind)")
        }
        // the first occurrence of each field (pass 1 ruled out duplicates); other fields are skipped
        var dtypeName: String??, shape: [UInt64]??, shapeRank = 0, offsets: [UInt64?]??
        try c.forEachEntry { c, field in
            switch field {
            case "dtype":
                if c.kind() == "string" {
                    dtypeName = .some(try c.readString())
                } else {
                    c.skipValue()
                    dtypeName = .some(nil)
                }
            case "shape":
                guard c.kind() == "array" else { c.skipValue(); shape = .some(nil); return }
                var dims: [UInt64]? = []
                c.forEachItem { c in
                    shapeRank += 1
                    let d = c.readUnsigned()
                    if d == nil { dims = nil }
                    if shapeRank <= Safetensors.maxRank, let d { dims?.append(d) }
                }
                shape = .some(dims)
            case "data_offsets":
                guard c.kind() == "array" else { c.skipValue(); offsets = .some(nil); return }
                var items: [UInt64?] = []
                c.forEachItem { c in
                    if items.count < 3 { items.append(c.readUnsigned()) } else { c.skipValue() }
                }
                offsets = .some(items)
            default:
                c.skipValue()
            }
        }
        func missing(_ f: String) -> SafetensorsError {
            .invalidTensorInfo(file: source, key: name, reason: "missing field \"\(f)\"")
        }
        guard let dtypeField = dtypeName else { throw missing("dtype") }
        guard let dtypeString = dtypeField else {
            throw SafetensorsError.invalidTensorInfo(file: source, key: name, reason: "\"dtype\" must be a string")
        }
        guard let shapeField = shape else { throw missing("shape") }
        if shapeField == nil, shapeRank == 0 {   // not an array (an array with a bad item has a rank)
            throw SafetensorsError.invalidTensorInfo(file: source, key: name, reason: "\"shape\" must be an array")
        }
        guard let dims = shapeField else {
            throw SafetensorsError.invalidTensorInfo(file: source, key: name, reason: "\"shape\" must hold non-negative integers")
        }
        guard shapeRank <= Safetensors.maxRank else {
            throw SafetensorsError.invalidTensorInfo(file: source, key: name,
                                                     reason: "\"shape\" has \(shapeRank) dimensions, more than the \(Safetensors.maxRank) this reader accepts")
        }
        guard let offsetField = offsets else { throw missing("data_offsets") }
        guard let o = offsetField, o.count == 2, let begin = o[0], let end = o[1] else {
            throw SafetensorsError.invalidTensorInfo(file: source, key: name, reason: "\"data_offsets\" must be two non-negative integers")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeString) else {
            throw SafetensorsError.unknownDType(file: source, key: name, dtype: dtypeString)
        }
        return StatedTensor(name: name, dtype: dtype, shape: dims, begin: begin, end: end)
    }

    /// Checks 6–9, with tensors sorted by offsets (stable, as the reference does): contiguous
    /// non-reversed offsets from 0, element and bit counts without overflow, whole bytes, and
    /// byte sizes matching the offsets. Returns the entries and the end of the data section.
    /// Each shape in `infos` is released once converted, so the two lists never coexist in full.
    private static func checkedEntries(_ infos: inout [StatedTensor], source: String) throws
        -> (entries: [SafetensorsEntry], dataEnd: UInt64) {
        let order = infos.indices.sorted { a, b in
            (infos[a].begin, infos[a].end, a) < (infos[b].begin, infos[b].end, b)
        }
        var entries: [SafetensorsEntry] = []
        entries.reserveCapacity(infos.count)
        var runningEnd: UInt64 = 0
        for idx in order {
            let t = infos[idx]
            if t.end < t.begin {
                throw SafetensorsError.offsetsReversed(file: source, key: t.name, begin: t.begin, end: t.end)
            }
            if t.begin > runningEnd {
                throw SafetensorsError.offsetGap(file: source, key: t.name, begin: t.begin, expected: runningEnd)
            }
            if t.begin < runningEnd {
                throw SafetensorsError.offsetOverlap(file: source, key: t.name, begin: t.begin, expected: runningEnd)
            }
            runningEnd = t.end
            // element count and bit count without overflow (and every dimension usable as Int)
            var elements = 1
            var shapeInts: [Int] = []
            for d in t.shape {
                guard d <= UInt64(Int.max) else { throw SafetensorsError.sizeOverflow(file: source, key: t.name, shape: t.shape) }
                let (p, o) = elements.multipliedReportingOverflow(by: Int(d))
                guard !o else { throw SafetensorsError.sizeOverflow(file: source, key: t.name, shape: t.shape) }
                elements = p
                shapeInts.append(Int(d))
            }
            let (bits, o) = elements.multipliedReportingOverflow(by: t.dtype.bitSize)
            guard !o else { throw SafetensorsError.sizeOverflow(file: source, key: t.name, shape: t.shape) }
            guard bits % 8 == 0 else {
                throw SafetensorsError.misalignedSlice(file: source, key: t.name, dtype: t.dtype.rawValue, shape: shapeInts)
            }
            guard UInt64(bits / 8) == t.end - t.begin else {
                throw SafetensorsError.sizeMismatch(file: source, key: t.name, dtype: t.dtype.rawValue, shape: shapeInts,
                                                    expectedBytes: UInt64(bits / 8), actualBytes: t.end - t.begin)
            }
            infos[idx].shape = []   // release each parsed shape once converted: the two lists never coexist in full
            entries.append(SafetensorsEntry(name: t.name, dtype: t.dtype, shape: shapeInts,
                                            dataOffsets: Int(t.begin)..<Int(t.end)))
        }
        return (entries, runningEnd)
    }

    /// Names reserved by our complex splitting: a `C64` entry `k` must not collide with another
    /// entry `k.real` or `k.imag` (keys are unique, so without a C64 entry nothing is built).
    private static func checkComplexKeys(_ entries: [SafetensorsEntry], source: String) throws {
        guard entries.contains(where: { $0.dtype == .c64 }) else { return }
        let names = Set(entries.map(\.name))
        for e in entries {
            if e.dtype == .c64, names.contains(e.name + ".real") || names.contains(e.name + ".imag") {
                throw SafetensorsError.complexKeyCollision(file: source, key: e.name)
            }
        }
        let produced = entries.flatMap { $0.dtype == .c64 ? [$0.name + ".real", $0.name + ".imag"] : [$0.name] }
        if Set(produced).count != produced.count {
            let dup = Dictionary(grouping: produced, by: { $0 }).first { $0.value.count > 1 }!.key
            throw SafetensorsError.complexKeyCollision(file: source, key: dup)
        }
    }

    /// Builds the tensors of a validated header. `fill(range, dest)` copies the data-section bytes
    /// `range` into `dest` (`dest.count == range.count`).
    static func materialize(_ header: SafetensorsHeader, source: String,
                            fill: (Range<Int>, UnsafeMutableRawBufferPointer) throws -> Void) throws -> SafetensorsFile {
        var tree = ParameterTree()
        var stored: [String: SafetensorsDType] = [:]
        let entryCount = header.entries.reduce(0) { $0 + ($1.dtype == .c64 ? 2 : 1) }
        tree.reserveCapacity(entryCount)
        stored.reserveCapacity(entryCount)
        for e in header.entries {
            let byteCount = e.dataOffsets.count
            func native(_ dtype: DType) throws -> Tensor {
                var t = Tensor(uninitializedShape: e.shape, dtype: dtype)
                func run<T: TensorScalar>(_: T.Type) throws {
                    try t.withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<T>) in
                        try fill(e.dataOffsets, UnsafeMutableRawBufferPointer(p)) }
                }
                try dtype.dispatch { try run($0) }
                return t
            }
            func rawBytes() throws -> [UInt8] {
                var bytes = [UInt8](repeating: 0, count: byteCount)
                try bytes.withUnsafeMutableBytes { try fill(e.dataOffsets, $0) }
                return bytes
            }
            switch e.dtype {
            case .f32:
                tree[e.name] = try native(.float32)
            case .f64:
                tree[e.name] = try native(.float64)
            case .f16, .bf16:
                let bytes = try rawBytes()
                let n = byteCount / 2
                var values = [Float](repeating: 0, count: n)
                for j in 0..<n {
                    let bits = UInt16(bytes[2 * j]) | UInt16(bytes[2 * j + 1]) << 8
                    values[j] = e.dtype == .f16 ? HalfFloat.toFloat(bits) : Float(bitPattern: UInt32(bits) << 16)
                }
                tree[e.name] = Tensor(shape: e.shape, scalars: values)
            case .c64:
                var both = Tensor(uninitializedShape: e.shape + [2], dtype: .float32)
                try both.withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<Float>) in
                    try fill(e.dataOffsets, UnsafeMutableRawBufferPointer(p)) }
                let interleaved = both.scalars(as: Float.self)
                let n = interleaved.count / 2
                tree[e.name + ".real"] = Tensor(shape: e.shape, scalars: (0..<n).map { interleaved[2 * $0] })
                tree[e.name + ".imag"] = Tensor(shape: e.shape, scalars: (0..<n).map { interleaved[2 * $0 + 1] })
                stored[e.name + ".real"] = .c64
                stored[e.name + ".imag"] = .c64
                continue
            case .bool, .u8, .i8, .i16, .u16, .i32, .u32, .i64, .u64:
                let values = try integerValues(try rawBytes(), dtype: e.dtype, key: e.name, source: source)
                tree[e.name] = Tensor(shape: e.shape, scalars: values, dtype: .float64)
            case .f4, .f6e2m3, .f6e3m2, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz:
                throw SafetensorsError.unsupportedDType(file: source, key: e.name, dtype: e.dtype.rawValue)
            }
            stored[e.name] = e.dtype
        }
        return SafetensorsFile(tensors: tree, metadata: header.metadata, storedDTypes: stored)
    }

    /// The values of a `BOOL` or integer entry (little-endian, `bytes` its data), exactly as
    /// Double; a 64-bit value beyond ±2⁵³ throws ``SafetensorsError/integerNotRepresentable(file:key:value:)``.
    private static func integerValues(_ bytes: [UInt8], dtype: SafetensorsDType, key: String, source: String) throws -> [Double] {
        let width = dtype.bitSize / 8
        let n = width == 0 ? 0 : bytes.count / width
        var values = [Double](repeating: 0, count: n)
        for j in 0..<n {
            var u: UInt64 = 0
            for b in 0..<width { u |= UInt64(bytes[j * width + b]) << (8 * UInt64(b)) }
            let v: Double
            switch dtype {
            case .bool: v = u == 0 ? 0 : 1
            case .i8: v = Double(Int8(truncatingIfNeeded: u))
            case .i16: v = Double(Int16(truncatingIfNeeded: u))
            case .i32: v = Double(Int32(truncatingIfNeeded: u))
            case .i64:
                let s = Int64(bitPattern: u)
                guard s.magnitude <= 1 << 53 else {
                    throw SafetensorsError.integerNotRepresentable(file: source, key: key, value: String(s))
                }
                v = Double(s)
            case .u64:
                guard u <= 1 << 53 else {
                    throw SafetensorsError.integerNotRepresentable(file: source, key: key, value: String(u))
                }
                v = Double(u)
            default: v = Double(u)  // U8, U16, U32
            }
            values[j] = v
        }
        return values
    }

    // MARK: - Writing

    /// The default for which keys are written as `I64`: those whose last dotted component is
    /// `num_batches_tracked` (PyTorch keeps that batch-norm counter as int64, so files load
    /// into PyTorch models with the dtypes they expect).
    public static func isInt64ByDefault(_ key: String) -> Bool {
        key == "num_batches_tracked" || key.hasSuffix(".num_batches_tracked")
    }

    /// The bytes of a safetensors file holding `tree` and `metadata`, exactly as the reference
    /// writer lays them out (see the type's documentation). Each tensor is stored as its dtype
    /// (`F32` or `F64`), except keys for which `int64` is true, stored as `I64`.
    /// - Throws: ``SafetensorsError/reservedTensorName(file:key:)`` for a key `__metadata__`;
    ///   ``SafetensorsError/integerNotRepresentable(file:key:value:)`` when an `I64` key holds a
    ///   value that is not an integer within ±2⁵³;
    ///   ``SafetensorsError/headerTooLarge(file:length:)`` when the header exceeds 100 MB.
    ///   `source` names the destination in those errors.
    public static func encode(_ tree: ParameterTree, metadata: [String: String] = [:],
                              int64: (String) -> Bool = isInt64ByDefault,
                              source: String = "<memory>") throws -> [UInt8] {
        try encode(tree, metadata: metadata, storedAs: { int64($0) ? .i64 : nil }, source: source)
    }

    /// The integer dtypes ``encode(_:metadata:storedAs:source:)`` can store, with their ranges.
    static let writableIntegers: [SafetensorsDType: ClosedRange<Double>] = [
        .i64: -0x1p53...0x1p53, .i32: -2_147_483_648...2_147_483_647, .u32: 0...4_294_967_295,
        .i16: -32_768...32_767, .u16: 0...65_535, .u8: 0...255,
    ]

    /// As ``encode(_:metadata:int64:source:)``, with the stored dtype chosen per key: `storedAs(key)`
    /// is nil for the tensor's own dtype (`F32`/`F64`), or one of `I64`, `I32`, `U32`, `I16`, `U16`,
    /// `U8`, whose values must then be whole numbers in that dtype's range (`I64`: within ±2⁵³).
    /// - Throws: as the other `encode`; ``SafetensorsError/integerNotRepresentable(file:key:value:)``
    ///   names a value out of range; ``SafetensorsError/unsupportedDType(file:key:dtype:)`` a dtype
    ///   this writer does not produce.
    public static func encode(_ tree: ParameterTree, metadata: [String: String] = [:],
                              storedAs: (String) -> SafetensorsDType?, source: String = "<memory>") throws -> [UInt8] {
        for k in tree.keys where k == "__metadata__" { throw SafetensorsError.reservedTensorName(file: source, key: k) }
        var items: [(name: String, dtype: SafetensorsDType, tensor: Tensor)] = []
        for (k, t) in tree {
            guard let d = storedAs(k) else {
                items.append((k, t.dtype == .float32 ? .f32 : .f64, t))
                continue
            }
            guard let range = writableIntegers[d] else {
                throw SafetensorsError.unsupportedDType(file: source, key: k, dtype: d.rawValue)
            }
            for v in t.scalars where !(v.rounded() == v && range.contains(v)) {
                throw SafetensorsError.integerNotRepresentable(file: source, key: k, value: "\(v)")
            }
            items.append((k, d, t))
        }
        // descending dtype order of the reference enum, then byte-wise name order
        items.sort { a, b in
            if a.dtype != b.dtype { return a.dtype > b.dtype }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var header: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        if !metadata.isEmpty {
            HeaderJSONWriter.appendString("__metadata__", to: &header)
            header += Array(":{".utf8)
            for (j, k) in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if j > 0 { header.append(UInt8(ascii: ",")) }
                HeaderJSONWriter.appendString(k, to: &header)
                header.append(UInt8(ascii: ":"))
                HeaderJSONWriter.appendString(metadata[k]!, to: &header)
            }
            header.append(UInt8(ascii: "}"))
            first = false
        }
        var offset = 0
        for (name, dtype, t) in items {
            if !first { header.append(UInt8(ascii: ",")) }
            first = false
            let nbytes = t.count * dtype.bitSize / 8
            HeaderJSONWriter.appendString(name, to: &header)
            header += Array(":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[".utf8)
            for (j, d) in t.shape.enumerated() {
                if j > 0 { header.append(UInt8(ascii: ",")) }
                HeaderJSONWriter.appendInteger(d, to: &header)
            }
            header += Array("],\"data_offsets\":[".utf8)
            HeaderJSONWriter.appendInteger(offset, to: &header)
            header.append(UInt8(ascii: ","))
            HeaderJSONWriter.appendInteger(offset + nbytes, to: &header)
            header += Array("]}".utf8)
            offset += nbytes
        }
        header.append(UInt8(ascii: "}"))
        while header.count % 8 != 0 { header.append(0x20) }
        guard UInt64(header.count) <= maxHeaderLength else {
            throw SafetensorsError.headerTooLarge(file: source, length: UInt64(header.count))
        }
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        let n = UInt64(header.count)
        for j in 0..<8 { out.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(j)))) }
        out += header
        for (_, dtype, t) in items {
            if writableIntegers[dtype] != nil {
                let width = dtype.bitSize / 8
                for v in t.scalars {
                    let bits = UInt64(bitPattern: Int64(v))   // two's complement; the low `width` bytes are the value
                    for b in 0..<width { out.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(b)))) }
                }
            } else {
                t.withUnsafeRawBytes { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Writes `tree` and `metadata` to `url` atomically: the bytes are encoded first (nothing
    /// on disk changes if that throws), written to a temporary file in the same directory,
    /// flushed with `fsync`, then renamed over `url`; the directory is synced afterwards. A
    /// reader never sees a partial file, and an existing file at `url` stays intact on failure.
    /// A symbolic link at `url` is followed (its target is replaced, the link stays), an existing
    /// file keeps its permission bits, and a destination that is not a regular file (a device, a
    /// FIFO, a directory) is refused with ``SafetensorsError/notRegularFile(file:kind:)``.
    /// `int64` selects the keys stored as `I64` (see ``encode(_:metadata:int64:source:)``).
    public static func write(_ tree: ParameterTree, metadata: [String: String] = [:],
                             int64: (String) -> Bool = isInt64ByDefault, to url: URL) throws {
        let bytes = try encode(tree, metadata: metadata, int64: int64, source: url.path)
        try AtomicFile.write(bytes, to: url)
    }

    /// Writes atomically as ``write(_:metadata:int64:to:)``, with the stored dtype of each key
    /// chosen by `storedAs` (see ``encode(_:metadata:storedAs:source:)``).
    public static func write(_ tree: ParameterTree, metadata: [String: String] = [:],
                             storedAs: (String) -> SafetensorsDType?, to url: URL) throws {
        let bytes = try encode(tree, metadata: metadata, storedAs: storedAs, source: url.path)
        try AtomicFile.write(bytes, to: url)
    }
}

extension Safetensors {
    /// Checks before long work that ``write(_:metadata:int64:to:)`` to `url` can succeed: the
    /// destination is absent or a regular file (through symbolic links), its directory accepts a
    /// new file (one is created and removed, which catches a missing directory, permissions and a
    /// read-only file system), and its file system reports at least `expectedBytes` available.
    /// - Throws: ``SafetensorsError/io(file:operation:errno:message:)``,
    ///   ``SafetensorsError/notRegularFile(file:kind:)`` or
    ///   ``SafetensorsError/insufficientSpace(file:needed:available:)`` naming `url`.
    public static func checkWritable(to url: URL, expectedBytes: Int) throws {
        try AtomicFile.checkWritable(url, expectedBytes: expectedBytes)
    }
}

/// IEEE 754 binary16 → binary32 conversion (exact), written out so that it does not depend on
/// `Float16` being available on the platform.
enum HalfFloat {
    static func toFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exp = Int((h >> 10) & 0x1F)
        let mant = UInt32(h & 0x3FF)
        if exp == 0x1F {  // inf / NaN
            return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13))
        }
        if exp == 0 {
            if mant == 0 { return Float(bitPattern: sign) }
            // subnormal: mant × 2⁻²⁴
            let v = Float(mant) * Float(bitPattern: 0x3380_0000)  // 2^-24
            return sign == 0 ? v : -v
        }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
    }
}
