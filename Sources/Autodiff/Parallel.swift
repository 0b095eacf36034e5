// Data parallelism for the hot loops of the ops: contiguous ranges over the kernels' worker pool.
import Kernels

/// Runs `body` over `0 ..< count` split into contiguous ranges, at most four per kernel thread
/// (`wt_get_num_threads()`, set by `--threads`), each of at least `grain` items; the calling
/// thread and the pool's workers each take the next unclaimed range when free, and the call
/// returns when every range is done (never waiting for a worker that took none). Small loops, a
/// single thread, and calls made while the pool is busy (from inside another parallel loop or
/// GEMM) run `body(0 ..< count)` on the calling thread.
///
/// The ranges run at the same time: `body` must write disjoint memory for disjoint ranges and
/// must not mutate captured variables. The split depends on the thread count, so a body whose
/// result depends on it (a sum across the range) would break the thread-count determinism that
/// Docs/Reliability.md promises; use it for elementwise and per-sample work only.
@usableFromInline
package func parallelFor(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    if count < 2 * Swift.max(grain, 1) || wt_get_num_threads() <= 1 {
        body(0 ..< count)
        return
    }
    withoutActuallyEscaping(body) { body in
        var context = body
        withUnsafeMutablePointer(to: &context) { pointer in
            wt_parallel_for(count, grain, { raw, begin, end in
                raw!.assumingMemoryBound(to: ((Range<Int>) -> Void).self).pointee(begin ..< end)
            }, pointer)
        }
    }
}
