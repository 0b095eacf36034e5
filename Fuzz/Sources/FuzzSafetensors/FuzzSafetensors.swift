// libFuzzer entry point for the safetensors reader.
//
// Property checked on every input: `Safetensors.decode` either throws a `SafetensorsError` or
// returns a file; it never traps. When it returns, the result must be self-consistent (each
// tensor's element count matches its shape) and must survive a round trip through our writer:
// encoding the decoded tensors and metadata and decoding those bytes gives bit-identical
// tensors, the same keys in the same order of offsets, and the same metadata. The header-only
// reader must agree with the full reader on whether the bytes are valid.
import Foundation
import NN
import Autodiff

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    checkSafetensors(bytes)
    return 0
}

/// Decodes `bytes` and checks the properties above; a violation stops with `fatalError`
/// (which libFuzzer reports as a crash and saves as `crash-*`).
func checkSafetensors(_ bytes: [UInt8]) {
    let file: SafetensorsFile
    do {
        file = try Safetensors.decode(bytes, source: "fuzz")
    } catch is SafetensorsError {
        return
    } catch {
        fatalError("decode threw a non-SafetensorsError: \(type(of: error)) \(error)")
    }
    for (key, t) in file.tensors {
        guard t.count == t.shape.reduce(1, *) else { fatalError("\(key): count \(t.count) for shape \(t.shape)") }
        guard file.storedDTypes[key] != nil else { fatalError("\(key): no stored dtype") }
    }
    let again: [UInt8]
    do {
        again = try Safetensors.encode(file.tensors, metadata: file.metadata, int64: { _ in false }, source: "fuzz-reencode")
    } catch {
        fatalError("a decoded file could not be encoded again: \(error)")
    }
    let back: SafetensorsFile
    do {
        back = try Safetensors.decode(again, source: "fuzz-reencode")
    } catch {
        fatalError("our own encoding of a decoded file does not decode: \(error)")
    }
    guard back.metadata == file.metadata else { fatalError("metadata changed in the round trip") }
    guard Set(back.tensors.keys) == Set(file.tensors.keys) else { fatalError("keys changed in the round trip") }
    for (key, t) in file.tensors {
        let u = back.tensors[key]!
        guard u.shape == t.shape, u.dtype == t.dtype else { fatalError("\(key): shape/dtype changed in the round trip") }
        let same = t.withUnsafeRawBytes { a in u.withUnsafeRawBytes { b in a.elementsEqual(b) } }
        guard same else { fatalError("\(key): bytes changed in the round trip") }
    }
}
