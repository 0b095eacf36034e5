// A small strict JSON reader and a compact writer for safetensors headers.
//
// Why not Foundation's JSONSerialization: it silently keeps one of two equal keys (a parser
// differential, Trail of Bits TOB-SFTN-7), does not keep key order, and turns numbers into
// doubles. This reader keeps object entries in file order, reports duplicate keys, keeps number
// text exactly, limits nesting depth, and reports the byte offset of every error.

/// A parsed JSON value. Objects keep their entries in file order.
enum HeaderJSON: Equatable {
    case object([(String, HeaderJSON)])
    case array([HeaderJSON])
    case string(String)
    /// The number exactly as written (validated against the JSON grammar).
    case number(String)
    case bool(Bool)
    case null

    static func == (a: HeaderJSON, b: HeaderJSON) -> Bool {
        switch (a, b) {
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.array(x), .array(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }

    /// A short name of the value's type, for error messages.
    var kind: String {
        switch self {
        case .object: return "object"
        case .array: return "array"
        case .string: return "string"
        case .number: return "number"
        case .bool: return "boolean"
        case .null: return "null"
        }
    }

    /// The value as a non-negative integer that fits in `UInt64` (plain digits, no sign,
    /// fraction or exponent — what serde accepts for `usize`), else nil.
    var unsignedInteger: UInt64? {
        guard case .number(let text) = self, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(text)
    }
}

/// Where and why parsing failed; `duplicateKey` is reported separately so that the caller can
/// raise the dedicated error.
enum HeaderJSONError: Error {
    case syntax(offset: Int, reason: String)
    case duplicateKey(String)
}

/// Recursive-descent parser over UTF-8 bytes (already validated as UTF-8 by the caller).
struct HeaderJSONParser {
    private let bytes: [UInt8]
    private var i = 0
    private let maxDepth = 64
    /// false: check the grammar and duplicate keys only, keeping no values (``validate(_:)``).
    private let build: Bool

    private init(_ bytes: [UInt8], build: Bool = true) { self.bytes = bytes; self.build = build }

    /// An estimate of the number of entries of the object or array whose opening bracket is just
    /// before `start`: 1 + the commas at its own nesting level up to its closing bracket. Exact
    /// for well-formed JSON; never more than the bytes left divided by 5 (the shortest entry,
    /// `"":0,`), so that it can size a collection safely.
    static func entryCount(_ bytes: [UInt8], from start: Int) -> Int {
        var depth = 0, count = 1, i = start
        scan: while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""):
                i += 1
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { break scan }
                depth -= 1
            case UInt8(ascii: ","): if depth == 0 { count += 1 }
            default: break
            }
            i += 1
        }
        return Swift.min(count, Swift.max(0, bytes.count - start) / 5 + 1)
    }

    /// Checks that `bytes` are one JSON value surrounded by optional whitespace, with no
    /// duplicate key in any object, exactly as ``parse(_:)`` does, but keeps no values: the
    /// memory it needs is the key set of one object at a time, not a tree of the whole header.
    static func validate(_ bytes: [UInt8]) throws(HeaderJSONError) {
        var p = HeaderJSONParser(bytes, build: false)
        p.skipWhitespace()
        _ = try p.value(depth: 0)
        p.skipWhitespace()
        if p.i != bytes.count { throw .syntax(offset: p.i, reason: "unexpected bytes after the JSON value") }
    }

    /// Parses one JSON value surrounded by optional JSON whitespace (space, tab, LF, CR) and
    /// nothing else.
    static func parse(_ bytes: [UInt8]) throws(HeaderJSONError) -> HeaderJSON {
        var p = HeaderJSONParser(bytes)
        p.skipWhitespace()
        let v = try p.value(depth: 0)
        p.skipWhitespace()
        if p.i != bytes.count { throw .syntax(offset: p.i, reason: "unexpected bytes after the JSON value") }
        return v
    }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
    }

    private func fail(_ reason: String) -> HeaderJSONError { .syntax(offset: i, reason: reason) }

    private mutating func value(depth: Int) throws(HeaderJSONError) -> HeaderJSON {
        guard depth < maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
        guard i < bytes.count else { throw fail("unexpected end of header") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): let t = try string(); return build ? .string(t) : .null
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character")
        }
    }

    private mutating func literal(_ word: String) throws(HeaderJSONError) {
        for b in word.utf8 {
            guard i < bytes.count, bytes[i] == b else { throw fail("invalid literal (expected \(word))") }
            i += 1
        }
    }

    private mutating func object(depth: Int) throws(HeaderJSONError) -> HeaderJSON {
        i += 1  // {
        var entries: [(String, HeaderJSON)] = []
        var seen = Set<String>()
        // the top-level object and the ones in it can hold millions of keys: size the key set
        // once instead of letting it grow (a growing set briefly holds its old and new storage)
        if depth <= 1 { seen.reserveCapacity(Self.entryCount(bytes, from: i)) }
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(entries) }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try string()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after key") }
            i += 1
            skipWhitespace()
            let v = try value(depth: depth + 1)
            guard seen.insert(key).inserted else { throw .duplicateKey(key) }
            if build { entries.append((key, v)) }
            skipWhitespace()
            guard i < bytes.count else { throw fail("unexpected end of header inside an object") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(entries) }
            throw fail("expected ',' or '}' in an object")
        }
    }

    private mutating func array(depth: Int) throws(HeaderJSONError) -> HeaderJSON {
        i += 1  // [
        var items: [HeaderJSON] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipWhitespace()
            let v = try value(depth: depth + 1)
            if build { items.append(v) }
            skipWhitespace()
            guard i < bytes.count else { throw fail("unexpected end of header inside an array") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw fail("expected ',' or ']' in an array")
        }
    }

    private mutating func number() throws(HeaderJSONError) -> HeaderJSON {
        let start = i
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count, isDigit(bytes[i]) else { throw fail("invalid number") }
        if bytes[i] == 0x30 { i += 1 } else { while i < bytes.count, isDigit(bytes[i]) { i += 1 } }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < bytes.count, isDigit(bytes[i]) else { throw fail("invalid number (digit expected after '.')") }
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count, isDigit(bytes[i]) else { throw fail("invalid number (digit expected in exponent)") }
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        return build ? .number(String(decoding: bytes[start..<i], as: UTF8.self)) : .null
    }

    private mutating func hex4() throws(HeaderJSONError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            let d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            default: throw fail("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    fileprivate mutating func string() throws(HeaderJSONError) -> String {
        i += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw fail("unterminated string") }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { i += 1; break }
            if b < 0x20 { throw fail("control character in string") }
            if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
            i += 1
            guard i < bytes.count else { throw fail("unterminated escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw fail("lone leading surrogate in \\u escape")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid trailing surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw fail("lone trailing surrogate in \\u escape")
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
            default:
                throw fail("invalid escape character")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A forward reader over a header that ``HeaderJSONParser/validate(_:)`` accepted: it reads the
/// top-level object entry by entry and each tensor entry field by field, building only what the
/// safetensors header needs (names, dtype strings, integer shapes and offsets, metadata strings),
/// so memory stays a small multiple of the header size. Called on unvalidated bytes it may
/// return wrong values but never reads out of bounds.
struct HeaderJSONCursor {
    private let bytes: [UInt8]
    private var i = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
    }

    /// The kind of the value at the cursor ("object", "array", …), after whitespace.
    mutating func kind() -> String {
        skipWhitespace()
        guard i < bytes.count else { return "nothing" }
        switch bytes[i] {
        case UInt8(ascii: "{"): return "object"
        case UInt8(ascii: "["): return "array"
        case UInt8(ascii: "\""): return "string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "boolean"
        case UInt8(ascii: "n"): return "null"
        default: return "number"
        }
    }

    /// Consumes `c` (after whitespace) if it is next.
    mutating func take(_ c: Character) -> Bool {
        skipWhitespace()
        guard i < bytes.count, bytes[i] == c.asciiValue! else { return false }
        i += 1
        return true
    }

    /// The number of entries of the object at the cursor (see ``HeaderJSONParser/entryCount(_:from:)``).
    mutating func entryCount() -> Int {
        skipWhitespace()
        return HeaderJSONParser.entryCount(bytes, from: i + 1)
    }

    /// Calls `body(key)` with the cursor on each entry's value of the object at the cursor;
    /// `body` must consume the value.
    mutating func forEachEntry(_ body: (inout HeaderJSONCursor, String) throws -> Void) rethrows {
        guard take("{") else { return }
        if take("}") { return }
        repeat {
            skipWhitespace()
            let key = (try? readString()) ?? ""
            _ = take(":")
            try body(&self, key)
        } while take(",")
        _ = take("}")
    }

    /// Calls `body` with the cursor on each item of the array at the cursor; `body` must consume it.
    mutating func forEachItem(_ body: (inout HeaderJSONCursor) throws -> Void) rethrows {
        guard take("[") else { return }
        if take("]") { return }
        repeat { try body(&self) } while take(",")
        _ = take("]")
    }

    /// The string at the cursor, unescaped.
    mutating func readString() throws -> String {
        skipWhitespace()
        var p = HeaderJSONParser.at(bytes, i)
        let s = try p.string()
        i = p.position
        return s
    }

    /// The number at the cursor as a `UInt64` when it is plain digits that fit (what serde
    /// accepts for `usize`); nil for any other value, which is skipped.
    mutating func readUnsigned() -> UInt64? {
        skipWhitespace()
        guard i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 else { skipValue(); return nil }
        var v: UInt64 = 0, overflow = false
        while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(bytes[i] - 0x30))
            overflow = overflow || o1 || o2
            v = a
            i += 1
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            skipValue()   // the rest of a fraction or exponent
            return nil
        }
        return overflow ? nil : v
    }

    /// Skips the value at the cursor, building nothing.
    mutating func skipValue() {
        skipWhitespace()
        var depth = 0
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1; i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return }
                depth -= 1; i += 1
                if depth == 0 { return }
            case UInt8(ascii: "\""):
                i += 1
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i += 1
                if depth == 0 { return }
            case UInt8(ascii: ","), UInt8(ascii: ":"):
                if depth == 0 { return }
                i += 1
            default:
                i += 1
                // a scalar at depth 0 ends before the next delimiter or whitespace
                if depth == 0, i < bytes.count, [UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) {
                    return
                }
            }
        }
    }
}

extension HeaderJSONParser {
    /// A parser positioned at byte `i` (for ``HeaderJSONCursor``'s strings).
    fileprivate static func at(_ bytes: [UInt8], _ i: Int) -> HeaderJSONParser {
        var p = HeaderJSONParser(bytes, build: true)
        p.i = i
        return p
    }

    fileprivate var position: Int { i }
}

/// Compact JSON output in serde_json's style: no spaces, `"` `\` and control characters escaped
/// (`\b \f \n \r \t`, others as lowercase `\u00xx`), everything else (including non-ASCII) verbatim.
enum HeaderJSONWriter {
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        let hex = Array("0123456789abcdef".utf8)
        for b in s.utf8 {
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x08: out += [0x5C, UInt8(ascii: "b")]
            case 0x0C: out += [0x5C, UInt8(ascii: "f")]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20: out += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        out.append(0x22)
    }

    static func appendInteger<I: BinaryInteger>(_ v: I, to out: inout [UInt8]) {
        out.append(contentsOf: Array(String(v).utf8))
    }
}
