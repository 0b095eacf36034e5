// Weights packed once for repeated inference: the GEMM packs op(B) into micro-panels on every
// call, which for a linear layer's weight means one extra pass over it per forward. A
// `PackedLinearWeight` holds that packed form, made once, next to the weight itself.
import Autodiff
import Kernels
import Synchronization

/// A pointer that a parallel loop's ranges write through (disjoint rows), passed into the
/// non-escaping loop body.
private struct UncheckedPointer: @unchecked Sendable { let pointer: UnsafeMutableRawPointer; init(_ p: UnsafeMutableRawPointer) { pointer = p } }

/// A linear layer's weight `W [out, in]` together with its packing for the GEMM micro-kernels of
/// the kernel tier that was active when it was made (`wt_?gemm_pack_b`), for ``linear(_:_:bias:)``.
///
/// Memory: the packed copy holds `round_up(out, NR) · in` elements (NR = 32 floats at AVX-512,
/// 16 at AVX2), about one more copy of the weight; the weight is kept for the batches that read it
/// in place (≤ 16 rows, the skinny kernels) and for a call at another tier. Immutable after
/// creation, so it may be shared between threads.
public final class PackedLinearWeight: @unchecked Sendable {
    /// The weight `[out, in]` (float32 or float64), untraced.
    public let weight: Tensor
    /// The kernel tier the packed copy was made for.
    let tier: wt_isa
    /// 64-byte aligned packed copy, `elementCount` elements of the weight's dtype.
    private let storage: UnsafeMutableRawPointer
    /// Elements in the packed copy.
    let elementCount: Int

    /// Packs `weight [out, in]` (float32 or float64) for the active tier.
    /// - Precondition: `weight` has rank 2.
    public init(_ weight: Tensor) {
        require(weight.rank == 2, "PackedLinearWeight: need a [out, in] weight, got \(weight.shape)")
        self.weight = weight.detached()
        let (n, k) = (weight.shape[0], weight.shape[1])
        tier = wt_active_isa()
        let count = weight.dtype == .float32 ? wt_sgemm_packed_count(tier, n, k) : wt_dgemm_packed_count(tier, n, k)
        elementCount = count
        storage = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1) * weight.dtype.byteSize, alignment: 64)
        switch weight.dtype {
        case .float32:
            weight.withUnsafeBufferPointer { (w: UnsafeBufferPointer<Float>) in
                wt_sgemm_pack_b(tier, 1, n, k, w.baseAddress, k, storage.assumingMemoryBound(to: Float.self))
            }
        case .float64:
            weight.withUnsafeBufferPointer { (w: UnsafeBufferPointer<Double>) in
                wt_dgemm_pack_b(tier, 1, n, k, w.baseAddress, k, storage.assumingMemoryBound(to: Double.self))
            }
        }
    }

    deinit { storage.deallocate() }

    /// Bytes of the packed copy (the memory this type adds to the weight's own).
    public var packedByteCount: Int { elementCount * weight.dtype.byteSize }

    /// `C[rows × out] = X[rows × in] · Wᵀ (+ C when accumulating)` through the packed copy.
    fileprivate func product<T: TensorScalar>(_ rows: Int, _ x: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>, accumulate: Bool) {
        let (n, k) = (weight.shape[0], weight.shape[1])
        if T.self == Float.self {
            wt_sgemm_prepacked(tier, 0, rows, n, k, 1, UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), k,
                               storage.assumingMemoryBound(to: Float.self), accumulate ? 1 : 0,
                               UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), n)
        } else {
            wt_dgemm_prepacked(tier, 0, rows, n, k, 1, UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), k,
                               storage.assumingMemoryBound(to: Double.self), accumulate ? 1 : 0,
                               UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), n)
        }
    }
}

/// `x · Wᵀ + b` with a packed weight: `x [..., in]` → `[..., out]`, the same values as
/// `linear(x, w.weight, bias: bias)` (bit for bit: the same kernels over the same blocks, the
/// product accumulated onto the bias as in the ordinary op). With `relu`, the result goes through ReLU in the same pass (elements > 0 or NaN kept, others +0,
/// like `Ops.relu`).
///
/// Batches of more than ``skinnyProductMaxRows`` rows skip the packing of W when the packed copy
/// is for the active tier, with the bias fill and the ReLU split over the threads; smaller ones
/// read W in place. A traced `x` (inside a gradient call) goes through the ordinary `linear` (and
/// `relu`), with W a constant.
public func linear(_ x: Tensor, _ w: PackedLinearWeight, bias: Tensor? = nil, relu applyReLU: Bool = false) -> Tensor {
    guard packedProductApplies(x, w.weight, bias: bias), w.tier == wt_active_isa() else {  // checks and messages of the ordinary ops
        let y = linear(x, w.weight, bias: bias)
        return applyReLU ? relu(y) : y
    }
    return packedLinear(x, w, bias: bias, relu: applyReLU)
}

/// Whether `x · Wᵀ + b` may go through a packed copy of W: nothing traced, more than
/// ``skinnyProductMaxRows`` rows, and operands the ordinary `linear` accepts.
private func packedProductApplies(_ x: Tensor, _ weight: Tensor, bias: Tensor?) -> Bool {
    guard !x.isTraced, !weight.isTraced, x.rank >= 1, weight.rank == 2, x.dtype == weight.dtype,
          x.shape[x.rank - 1] == weight.shape[1] else { return false }
    if let bias, bias.isTraced || bias.shape != [weight.shape[0]] || bias.dtype != x.dtype { return false }
    return x.shape.dropLast().reduce(1, *) > skinnyProductMaxRows
}

/// The eval-mode `linear` through ``PackedWeightCache``: the result of `linear(x, weight, bias:)`
/// (same bits) when the call qualifies (nothing traced, more than ``skinnyProductMaxRows`` rows) and
/// the cache has, or now makes, a packed copy of this very weight; `nil` otherwise.
func linearThroughPackedCache(_ x: Tensor, _ weight: Tensor, bias: Tensor?) -> Tensor? {
    guard packedProductApplies(x, weight, bias: bias), let packed = PackedWeightCache.packed(for: weight) else { return nil }
    return packedLinear(x, packed, bias: bias, relu: false)
}

/// ``linear(_:_:bias:relu:)`` once its checks passed and the packed copy is for the active tier.
private func packedLinear(_ x: Tensor, _ w: PackedLinearWeight, bias: Tensor?, relu applyReLU: Bool) -> Tensor {
    let weight = w.weight
    let rows = x.shape.dropLast().reduce(1, *)
    let outF = weight.shape[0]
    var y = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [outF], dtype: x.dtype)
    func run<T: TensorScalar>(_: T.Type) {
        withBase(x, T.self) { px in
            withMutableBase(&y, T.self) { py in
                let grain = Swift.max(1, 8192 / Swift.max(outF, 1)), rowBytes = outF * MemoryLayout<T>.stride
                let out = UncheckedPointer(UnsafeMutableRawPointer(py))
                if let bias {   // the bias first, then the product added to it: the ordinary op's order
                    withBase(bias, T.self) { pb in
                        let b = UncheckedPointer(UnsafeMutableRawPointer(mutating: pb))
                        parallelFor(rows, grain: grain) { range in
                            for r in range { (out.pointer + r * rowBytes).copyMemory(from: b.pointer, byteCount: rowBytes) }
                        }
                    }
                }
                w.product(rows, px, py, accumulate: bias != nil)
                if applyReLU {
                    parallelFor(rows, grain: grain) { range in
                        let start = out.pointer + range.lowerBound * rowBytes, count = range.count * outF
                        if T.self == Float.self { reluInPlace(start.assumingMemoryBound(to: Float.self), count) }
                        else { reluInPlace(start.assumingMemoryBound(to: Double.self), count) }
                    }
                }
            }
        }
    }
    switch x.dtype {
    case .float32: run(Float.self)
    case .float64: run(Double.self)
    }
    return y
}

/// ReLU in place as `Ops.relu` computes it (elements > 0 or NaN kept, others +0): a select per
/// element, which the compiler vectorises (a conditional store would not be).
private func reluInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n { let v = p[i]; p[i] = v > 0 || v.isNaN ? v : 0 }
}

/// The float64 version of ``reluInPlace(_:_:)``.
private func reluInPlace(_ p: UnsafeMutablePointer<Double>, _ n: Int) {
    for i in 0..<n { let v = p[i]; p[i] = v > 0 || v.isNaN ? v : 0 }
}

/// Packed copies of the weights that the plain (uncompiled) eval-mode `linear` meets more than once,
/// so that repeated inference with the same parameters skips the packing of W without
/// `compileDense`.
///
/// An entry is keyed on the identity of the weight's storage (address, shape, dtype) and the kernel
/// tier, and keeps a reference to that storage. This makes the key sound: while the entry exists the
/// storage cannot be freed, so no other tensor can get its address, and it cannot change, because a
/// tensor's elements are copy-on-write — any write (an optimizer step, `withUnsafeMutableBufferPointer`)
/// sees the storage shared with the entry and copies it first, giving the written tensor a new
/// address. A new weight value therefore always misses; nothing is ever invalidated by hand.
///
/// Policy: the first call with a weight only records it (a weight computed afresh per call, such as
/// `weight ⊙ mask`, is never packed); the second call packs it and later calls reuse the copy. At
/// most ``maximumEntries`` weights are remembered (least recently used dropped first), and packed
/// copies take at most ``limit`` bytes. Memory: the packed copies (about one more copy of each
/// remembered weight) plus the remembered weights themselves, which stay alive until dropped.
/// ``clear()`` drops everything; ``setLimit(_:)`` with 0 turns the cache off. Only calls that record
/// nothing use it (no traced input, weight or bias) with more than 16 rows (smaller batches read W in place).
public enum PackedWeightCache {
    /// Weights remembered at most (packed or only seen once).
    public static let maximumEntries = 8

    private struct Entry: @unchecked Sendable {
        let weight: Tensor            // keeps the storage alive (see above)
        let address: UInt
        let tier: wt_isa
        var packed: PackedLinearWeight?
    }

    private struct State: @unchecked Sendable {
        var entries: [Entry] = []     // most recently used last
        var limit = 64 << 20
        var packedBytes = 0
        var packs = 0
    }

    private static let state = Mutex(State())

    /// The storage address of a tensor's elements.
    private static func address(of t: Tensor) -> UInt {
        t.withUnsafeRawBytes { UInt(bitPattern: $0.baseAddress) }
    }

    /// The packed copy of `weight [out, in]` for the active tier, if this weight was seen before;
    /// records it otherwise.
    static func packed(for weight: Tensor) -> PackedLinearWeight? {
        let key = address(of: weight), tier = wt_active_isa()
        func matches(_ e: Entry) -> Bool {
            e.address == key && e.tier == tier && e.weight.shape == weight.shape && e.weight.dtype == weight.dtype
        }
        let found: (hit: Bool, packed: PackedLinearWeight?) = state.withLock { s in
            guard s.limit > 0 else { return (false, nil) }
            guard let i = s.entries.firstIndex(where: matches) else {
                s.entries.append(Entry(weight: weight.detached(), address: key, tier: tier, packed: nil))
                trim(&s)
                return (false, nil)
            }
            let e = s.entries.remove(at: i)
            s.entries.append(e)
            return (true, e.packed)
        }
        guard found.hit else { return nil }
        if let packed = found.packed { return packed }
        let packed = PackedLinearWeight(weight)   // outside the lock: packing takes a while
        return state.withLock { s in
            guard let i = s.entries.firstIndex(where: matches) else { return packed }  // dropped meanwhile: use once
            if let other = s.entries[i].packed { return other }                       // another thread was first
            guard packed.packedByteCount <= s.limit else { return packed }
            s.entries[i].packed = packed
            s.packedBytes += packed.packedByteCount
            s.packs += 1
            trim(&s)
            return packed
        }
    }

    /// Drops least recently used entries until both limits hold.
    private static func trim(_ s: inout State) {
        while s.entries.count > maximumEntries || s.packedBytes > s.limit {
            guard let i = s.entries.indices.first(where: { s.entries.count > maximumEntries || s.entries[$0].packed != nil }) else { break }
            s.packedBytes -= s.entries[i].packed?.packedByteCount ?? 0
            s.entries.remove(at: i)
        }
    }

    /// Bytes of the packed copies held now.
    public static var byteCount: Int { state.withLock { $0.packedBytes } }

    /// Weights packed since the process started (each at its second use; for tests).
    public static var packCount: Int { state.withLock { $0.packs } }

    /// Drops every entry (remembered weights and packed copies).
    public static func clear() {
        state.withLock { s in
            s.entries.removeAll()
            s.packedBytes = 0
        }
    }

    /// Sets the most bytes packed copies may take (default 64 MiB; 0 turns the cache off and drops
    /// every entry) and returns the previous limit.
    @discardableResult
    public static func setLimit(_ bytes: Int) -> Int {
        state.withLock { s in
            let old = s.limit
            s.limit = Swift.max(0, bytes)
            if s.limit == 0 { s.entries.removeAll(); s.packedBytes = 0 }
            trim(&s)
            return old
        }
    }
}
