/// The contiguous, 64-byte aligned memory behind a ``Tensor``.
///
/// A buffer is shared between tensor values until one of them writes; the writer then
/// copies (copy-on-write, see ``Tensor/withUnsafeMutableBufferPointer(_:)``). A buffer is
/// only written while uniquely referenced, which is what makes the `@unchecked Sendable` sound.
@usableFromInline
final class TensorBuffer: @unchecked Sendable {
    @usableFromInline let raw: UnsafeMutableRawPointer
    @usableFromInline let byteCount: Int

    /// Uninitialised memory of `byteCount` bytes.
    @usableFromInline
    init(byteCount: Int) {
        require(byteCount >= 0, "TensorBuffer: negative byte count \(byteCount)")
        self.byteCount = byteCount
        self.raw = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(byteCount, 1), alignment: 64)
    }

    /// Zero-filled memory of `byteCount` bytes.
    @usableFromInline
    convenience init(zeroedByteCount byteCount: Int) {
        self.init(byteCount: byteCount)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
    }

    /// A new buffer holding the same bytes.
    @usableFromInline
    func copy() -> TensorBuffer {
        let other = TensorBuffer(byteCount: byteCount)
        other.raw.copyMemory(from: raw, byteCount: byteCount)
        return other
    }

    deinit { raw.deallocate() }
}
