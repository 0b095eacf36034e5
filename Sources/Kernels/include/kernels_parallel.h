#ifndef WIRTINGER_KERNELS_PARALLEL_H
#define WIRTINGER_KERNELS_PARALLEL_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/// The body of a parallel loop: handles items begin ..< end of the loop.
typedef void (*wt_parallel_body)(void *context, ptrdiff_t begin, ptrdiff_t end);

/// Runs body over 0 ..< count split into contiguous ranges (at most four per thread of
/// wt_get_num_threads(), each of at least `grain` items, a multiple of the thread count when there
/// are more ranges than threads), shared by the calling thread and the
/// GEMM worker pool's threads as each becomes free; returns when all are done. Runs
/// body(context, 0, count) on the calling thread alone when
/// count < 2·grain, when one thread is set, or when the pool is busy (a call from inside another
/// parallel loop or GEMM, or from another thread that holds the pool). The ranges must write
/// disjoint memory; the split depends on the thread count, so a body whose results depend on the
/// split (a running sum, say) breaks thread-count determinism and must not use this.
void wt_parallel_for(ptrdiff_t count, ptrdiff_t grain, wt_parallel_body body, void *context);

#ifdef __cplusplus
}
#endif
#endif
