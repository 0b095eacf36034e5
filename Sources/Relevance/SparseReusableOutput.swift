// The output tensor of a compiled inference layer, kept between calls (`SparseLinear` in CSR form,
// `SparseLinearChain`): a caller that drops each result gets the next one written into the same
// memory, with no allocation per call.

import Autodiff
import Synchronization

/// One kept output tensor of a compiled inference layer, shared by every copy of the layer.
///
/// A call takes the kept tensor when its shape is the one it needs, writes the result into it and
/// keeps it again before returning it. Tensors are copy-on-write, so this is safe however the
/// results are used: while the caller still holds the previous result, the write finds the
/// memory shared and writes into a fresh copy, leaving the caller's tensor as it was; when the
/// caller has dropped it, the write goes into the same memory and the call allocates nothing. Calls
/// on several threads at once each take the tensor or, finding none, allocate one (a lock guards
/// the slot).
///
/// Only outputs smaller than `BufferCache.minimumByteCount` (16 kB) are kept: larger ones are
/// recycled by `BufferCache` already, and copying one the caller still holds would cost more than
/// a new allocation. Why it pays: at batch 1 the 1.6 kB output of `Linear(784, 400)` was a `malloc`
/// (with glibc's fast-bin consolidation before it) and a `free` per call, about a fifth of the
/// call's fixed cost (Docs/Inference.md, "Session 9").
final class SparseReusableOutput: Sendable {
    private let slot = Mutex<Tensor?>(nil)

    /// The kept tensor if it is float32 with `shape`'s dimensions (`matches` decides, without
    /// building the shape), else nil; the slot is empty afterwards either way.
    func take(_ matches: ([Int]) -> Bool) -> Tensor? {
        let kept: Tensor? = slot.withLock { s in
            let t = s
            s = nil
            return t
        }
        guard let t = kept, t.dtype == .float32, matches(t.shape) else { return nil }
        return t
    }

    /// Keeps `y` for the next call when it is smaller than `BufferCache.minimumByteCount`.
    func keep(_ y: Tensor) {
        guard y.count * 4 < BufferCache.minimumByteCount else { return }
        slot.withLock { $0 = y }
    }
}
