/// Why a safetensors file could not be read or written.
///
/// Every case names the file (`file`: the path, or the `source` label given to
/// `Safetensors.decode(_:source:)`) and, where one is at fault, the tensor key.
/// The cases follow the reference implementation's checks (huggingface/safetensors,
/// `SafeTensors::read_metadata` and `Metadata::validate`), split more finely where the reference
/// lumps distinct problems together (truncation vs trailing bytes, gap vs overlap, duplicate keys).
public enum SafetensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is shorter than the 8-byte length prefix (reference: `HeaderTooSmall`).
    case fileTooSmall(file: String, size: Int)
    /// The header length prefix exceeds ``Safetensors/maxHeaderLength`` (100 000 000 bytes), on
    /// reading or writing (reference: `HeaderTooLarge`). Nothing is allocated for it.
    case headerTooLarge(file: String, length: UInt64)
    /// `8 + header length` is beyond the end of the file (reference: `InvalidHeaderLength`).
    case invalidHeaderLength(file: String, length: UInt64, fileSize: Int)
    /// The header bytes are not valid UTF-8 (reference: `InvalidHeader`).
    case headerNotUTF8(file: String)
    /// The header is not well-formed JSON, or is not a JSON object; `offset` is the byte
    /// position inside the header (reference: `InvalidHeaderDeserialization`).
    case invalidJSON(file: String, offset: Int, reason: String)
    /// An object in the header has the same key twice (the reference keeps one silently and
    /// then reports a misleading offset error; we reject explicitly).
    case duplicateKey(file: String, key: String)
    /// `__metadata__` is not an object whose values are all strings (reference:
    /// `InvalidHeaderDeserialization`). `key` is the offending metadata entry, or `__metadata__`.
    case metadataNotStringToString(file: String, key: String)
    /// A tensor entry lacks `dtype`, `shape` or `data_offsets`, or one has the wrong JSON type
    /// (shape and offsets must be arrays of non-negative integers, offsets exactly two).
    case invalidTensorInfo(file: String, key: String, reason: String)
    /// `dtype` is not a safetensors dtype name (reference: `InvalidHeaderDeserialization`).
    case unknownDType(file: String, key: String, dtype: String)
    /// `dtype` is a valid safetensors dtype that this library cannot convert (e.g. `F8_E4M3`).
    case unsupportedDType(file: String, key: String, dtype: String)
    /// `data_offsets` has `end < begin` (reference: `InvalidOffset`).
    case offsetsReversed(file: String, key: String, begin: UInt64, end: UInt64)
    /// Sorted by offset, this tensor starts after the previous one ended (an unused hole;
    /// reference: `InvalidOffset`). The first tensor must start at 0.
    case offsetGap(file: String, key: String, begin: UInt64, expected: UInt64)
    /// Sorted by offset, this tensor starts before the previous one ended (shared or
    /// overlapping bytes; reference: `InvalidOffset`).
    case offsetOverlap(file: String, key: String, begin: UInt64, expected: UInt64)
    /// The element count or bit count of `shape` overflows 64 bits (reference: `ValidationOverflow`).
    case sizeOverflow(file: String, key: String, shape: [UInt64])
    /// A sub-byte dtype whose total bit count is not a whole number of bytes (reference: `MisalignedSlice`).
    case misalignedSlice(file: String, key: String, dtype: String, shape: [Int])
    /// `end − begin` differs from `product(shape) × dtype size` (reference: `TensorInvalidInfo`).
    case sizeMismatch(file: String, key: String, dtype: String, shape: [Int], expectedBytes: UInt64, actualBytes: UInt64)
    /// The file ends before the last tensor's data does (reference: `MetadataIncompleteBuffer`).
    case truncated(file: String, expectedSize: UInt64, actualSize: Int)
    /// Bytes follow the last tensor's data (reference: `MetadataIncompleteBuffer`; rejected
    /// so that a file cannot also be another format).
    case trailingBytes(file: String, expectedSize: UInt64, actualSize: Int)
    /// A tensor named `__metadata__`, which the format reserves (safetensors issue #849).
    case reservedTensorName(file: String, key: String)
    /// A `C64` tensor `key` would become `key.real`/`key.imag`, but the file already has one of
    /// those names.
    case complexKeyCollision(file: String, key: String)
    /// An integer tensor holds a value that `float64` cannot represent exactly (|v| > 2⁵³), or a
    /// tensor to be written as `I64` holds a value that is not such an integer.
    case integerNotRepresentable(file: String, key: String, value: String)
    /// A system call failed (`operation` is e.g. `open`, `read`, `fsync`, `rename`).
    case io(file: String, operation: String, errno: Int32, message: String)
    /// The path names something other than a regular file (`kind`: "a FIFO", "a character
    /// device", "a directory", …): refused for reading (a FIFO would block) and as a write
    /// destination (it would be replaced by a regular file).
    case notRegularFile(file: String, kind: String)
    /// The file system holding the destination reports fewer bytes available than the write needs.
    case insufficientSpace(file: String, needed: UInt64, available: UInt64)

    /// The file or source the error is about.
    public var file: String {
        switch self {
        case .fileTooSmall(let f, _), .headerTooLarge(let f, _), .invalidHeaderLength(let f, _, _),
             .headerNotUTF8(let f), .invalidJSON(let f, _, _), .duplicateKey(let f, _),
             .metadataNotStringToString(let f, _), .invalidTensorInfo(let f, _, _), .unknownDType(let f, _, _),
             .unsupportedDType(let f, _, _), .offsetsReversed(let f, _, _, _), .offsetGap(let f, _, _, _),
             .offsetOverlap(let f, _, _, _), .sizeOverflow(let f, _, _), .misalignedSlice(let f, _, _, _),
             .sizeMismatch(let f, _, _, _, _, _), .truncated(let f, _, _), .trailingBytes(let f, _, _),
             .reservedTensorName(let f, _), .complexKeyCollision(let f, _), .integerNotRepresentable(let f, _, _),
             .io(let f, _, _, _), .notRegularFile(let f, _), .insufficientSpace(let f, _, _):
            return f
        }
    }

    /// The tensor (or metadata) key at fault, when there is one.
    public var key: String? {
        switch self {
        case .duplicateKey(_, let k), .metadataNotStringToString(_, let k), .invalidTensorInfo(_, let k, _),
             .unknownDType(_, let k, _), .unsupportedDType(_, let k, _), .offsetsReversed(_, let k, _, _),
             .offsetGap(_, let k, _, _), .offsetOverlap(_, let k, _, _), .sizeOverflow(_, let k, _),
             .misalignedSlice(_, let k, _, _), .sizeMismatch(_, let k, _, _, _, _), .reservedTensorName(_, let k),
             .complexKeyCollision(_, let k), .integerNotRepresentable(_, let k, _):
            return k
        default:
            return nil
        }
    }

    /// A one-line message naming the file and, where there is one, the tensor key and the
    /// offending value.
    public var description: String {
        switch self {
        case let .fileTooSmall(f, size):
            return "\(f): \(size) bytes is too small for a safetensors file (need at least the 8-byte header length)"
        case let .headerTooLarge(f, n):
            return "\(f): header length \(n) exceeds the limit of \(Safetensors.maxHeaderLength) bytes"
        case let .invalidHeaderLength(f, n, size):
            return "\(f): header length \(n) runs past the end of the \(size)-byte file"
        case let .headerNotUTF8(f):
            return "\(f): header is not valid UTF-8"
        case let .invalidJSON(f, off, reason):
            return "\(f): invalid JSON header at byte \(off): \(reason)"
        case let .duplicateKey(f, k):
            return "\(f): key \"\(k)\" appears twice in the header"
        case let .metadataNotStringToString(f, k):
            return "\(f): __metadata__ must map strings to strings; entry \"\(k)\" does not"
        case let .invalidTensorInfo(f, k, reason):
            return "\(f): tensor \"\(k)\": \(reason)"
        case let .unknownDType(f, k, d):
            return "\(f): tensor \"\(k)\" has unknown dtype \"\(d)\""
        case let .unsupportedDType(f, k, d):
            return "\(f): tensor \"\(k)\" has dtype \(d), which this library cannot read"
        case let .offsetsReversed(f, k, b, e):
            return "\(f): tensor \"\(k)\" has data_offsets [\(b), \(e)] with end before begin"
        case let .offsetGap(f, k, b, exp):
            return "\(f): tensor \"\(k)\" starts at byte \(b) but the previous tensor ends at \(exp) (gap in the data)"
        case let .offsetOverlap(f, k, b, exp):
            return "\(f): tensor \"\(k)\" starts at byte \(b) but the previous tensor ends at \(exp) (overlapping data)"
        case let .sizeOverflow(f, k, shape):
            return "\(f): tensor \"\(k)\": size of shape \(shape) overflows"
        case let .misalignedSlice(f, k, d, shape):
            return "\(f): tensor \"\(k)\" of dtype \(d) and shape \(shape) is not a whole number of bytes"
        case let .sizeMismatch(f, k, d, shape, exp, act):
            return "\(f): tensor \"\(k)\" of dtype \(d) and shape \(shape) needs \(exp) bytes but its data_offsets span \(act)"
        case let .truncated(f, exp, act):
            return "\(f): file is truncated: the header describes \(exp) bytes but the file has \(act)"
        case let .trailingBytes(f, exp, act):
            return "\(f): \(UInt64(act) - exp) unexpected bytes after the last tensor (file has \(act) bytes, header describes \(exp))"
        case let .reservedTensorName(f, k):
            return "\(f): \"\(k)\" is reserved for metadata and cannot name a tensor"
        case let .complexKeyCollision(f, k):
            return "\(f): complex tensor \"\(k)\" cannot be split into \"\(k).real\"/\"\(k).imag\": that name is taken"
        case let .integerNotRepresentable(f, k, v):
            return "\(f): tensor \"\(k)\" holds \(v), which is not an integer within ±2^53 (exact in both I64 and float64)"
        case let .io(f, op, e, msg):
            return "\(f): \(op) failed (errno \(e)): \(msg)"
        case let .notRegularFile(f, kind):
            return "\(f): is \(kind), not a regular file"
        case let .insufficientSpace(f, needed, available):
            return "\(f): needs about \(needed) bytes but its file system has \(available) available"
        }
    }
}
