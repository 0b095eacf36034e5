import Synchronization

/// The contiguous, 64-byte aligned memory behind a ``Tensor``.
///
/// A buffer is shared between tensor values until one of them writes; the writer then
/// copies (copy-on-write, see ``Tensor/withUnsafeMutableBufferPointer(_:)``). A buffer is
/// only written while uniquely referenced, which is what makes the `@unchecked Sendable` sound.
///
/// Memory of at least ``BufferCache/minimumByteCount`` bytes is taken from and returned to the
/// process-wide ``BufferCache``, so that a training step reuses resident pages instead of
/// faulting in fresh ones for every op.
@usableFromInline
final class TensorBuffer: @unchecked Sendable {
    @usableFromInline let raw: UnsafeMutableRawPointer
    @usableFromInline let byteCount: Int

    /// Uninitialised memory of `byteCount` bytes.
    @usableFromInline
    init(byteCount: Int) {
        require(byteCount >= 0, "TensorBuffer: negative byte count \(byteCount)")
        self.byteCount = byteCount
        if let reused = BufferCache.take(byteCount: byteCount) {
            self.raw = reused
        } else {
            self.raw = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(byteCount, 1), alignment: 64)
        }
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

    deinit {
        if !BufferCache.give(raw, byteCount: byteCount) { raw.deallocate() }
    }
}

/// A process-wide, thread-safe cache of freed tensor memory, keyed by exact byte size.
///
/// Every op of a training step allocates its output; at batch 128 most of these are 50 kB – 1.3 MB,
/// which the C allocator serves with fresh `mmap`ed pages that the kernel must zero on first touch
/// (5–9 % of a step before this cache). A freed buffer of at least ``minimumByteCount`` bytes is
/// kept here (at most ``maximumBuffersPerSize`` per size, at most ``limit`` bytes in total) and
/// handed to the next tensor of the same byte size, on any thread. Buffers are 64-byte aligned
/// either way and their contents are never relied on: a reused buffer is uninitialised memory
/// exactly like a fresh one (``Tensor/zeros(_:dtype:)`` still zero-fills).
///
/// The cache holds raw memory only, never tensors, so it cannot keep values or tapes alive.
/// ``clear()`` returns all cached memory to the allocator; ``setLimit(_:)`` with 0 disables it.
public enum BufferCache {
    /// Buffers smaller than this many bytes are left to `malloc` (it recycles small blocks well).
    public static let minimumByteCount = 16 * 1024
    /// At most this many free buffers of one byte size are kept.
    public static let maximumBuffersPerSize = 16

    struct State {
        /// byte size → addresses of free buffers; a size's list stays (empty) when its last buffer
        /// is taken, and lists are changed in place, so that a training step, which takes and gives
        /// the same sizes every step, allocates no arrays here (copying a list out of the
        /// dictionary and storing it back allocated a new array on every take and give)
        var free: [Int: [UInt]] = [:]
        var bytes = 0
        var limit = 256 << 20
        var hits = 0
    }

    static let state = Mutex(State())

    /// Takes a cached buffer of exactly `byteCount` bytes, if there is one.
    static func take(byteCount: Int) -> UnsafeMutableRawPointer? {
        guard byteCount >= minimumByteCount else { return nil }
        let address: UInt? = state.withLock { s in
            guard let i = s.free.index(forKey: byteCount), let a = s.free.values[i].popLast() else { return nil }
            s.bytes -= byteCount
            s.hits += 1
            return a
        }
        return address.flatMap { UnsafeMutableRawPointer(bitPattern: $0) }
    }

    /// Offers a buffer that is being freed; returns false when the caller must deallocate it.
    static func give(_ raw: UnsafeMutableRawPointer, byteCount: Int) -> Bool {
        guard byteCount >= minimumByteCount else { return false }
        let address = UInt(bitPattern: raw)
        return state.withLock { s in
            guard s.bytes + byteCount <= s.limit else { return false }
            if let i = s.free.index(forKey: byteCount) {
                guard s.free.values[i].count < maximumBuffersPerSize else { return false }
                s.free.values[i].append(address)
            } else {
                s.free[byteCount] = [address]
            }
            s.bytes += byteCount
            return true
        }
    }

    /// Bytes currently held by the cache (free buffers waiting for reuse).
    public static var cachedByteCount: Int { state.withLock { $0.bytes } }

    /// How many allocations were served from the cache since the process started (for tests and tuning).
    public static var reuseCount: Int { state.withLock { $0.hits } }

    /// The most bytes the cache keeps (256 MiB unless changed).
    public static var limit: Int { state.withLock { $0.limit } }

    /// Sets the most bytes the cache keeps; 0 disables caching. Frees cached buffers above the new limit.
    public static func setLimit(_ bytes: Int) {
        require(bytes >= 0, "BufferCache.setLimit: negative limit \(bytes)")
        let freed: [UInt] = state.withLock { s in
            s.limit = bytes
            var out: [UInt] = []
            // the largest sizes first (among those with a free buffer)
            while s.bytes > s.limit, let i = s.free.indices.filter({ !s.free.values[$0].isEmpty }).max(by: { s.free.keys[$0] < s.free.keys[$1] }),
                  let a = s.free.values[i].popLast() {
                out.append(a)
                s.bytes -= s.free.keys[i]
            }
            return out
        }
        for a in freed { UnsafeMutableRawPointer(bitPattern: a)?.deallocate() }
    }

    /// Returns every cached buffer to the allocator.
    public static func clear() {
        let freed: [UInt] = state.withLock { s in
            let out = s.free.values.flatMap { $0 }
            s.free = [:]
            s.bytes = 0
            return out
        }
        for a in freed { UnsafeMutableRawPointer(bitPattern: a)?.deallocate() }
    }
}
