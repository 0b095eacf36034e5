// Internal to the Kernels target: sums over long arrays that are split over the kernel threads and
// still give the same bits at every thread count.
#ifndef WIRTINGER_KERNELS_BLOCKED_SUM_H
#define WIRTINGER_KERNELS_BLOCKED_SUM_H
#include <stddef.h>

/// Elements per block of wt_blocked_sum (a multiple of 8, so lane j of a block is element j mod 8).
#define WT_SUM_BLOCK 16384

/// Handles elements start ..< start + count and adds their contributions into acc[0 ..< lanes]
/// (acc starts at zero for every block).
typedef void (*wt_block_sum_fn)(void *context, ptrdiff_t start, ptrdiff_t count, double *acc);

/// Σ over 0 ..< n in fixed blocks of WT_SUM_BLOCK elements: every block runs `block` with its own
/// `lanes` (≤ 8) accumulators, the blocks are spread over the kernel threads, and the block results
/// are added lane by lane in block order, then the lanes in order. The blocks do not depend on the
/// thread count, so neither does the result; an array of one block gives the plain lane sum.
double wt_blocked_sum(ptrdiff_t n, int lanes, wt_block_sum_fn block, void *context);

/// A wt_blocked_sum started ahead of its use (wt_blocked_sum_begin / wt_blocked_sum_end).
typedef struct wt_background_sum wt_background_sum;

/// Elements per unit of a background sum: a block runs as consecutive units of this many elements
/// (the last one shorter), each continuing the block's accumulators, so `block` must be
/// *resumable*: running it over [s, s + a) and then [s + a, s + a + b) into the same acc gives the
/// bits of one run over [s, s + a + b) whenever a is a multiple of WT_SUM_UNIT (a per-lane running
/// sum in element order, lane j of a block being element j mod 8, does).
#define WT_SUM_UNIT 512

/// Starts wt_blocked_sum(n, lanes, block, context) in the background: the pool's idle workers
/// run its units (one at a time, checking for a parallel job between units, so a job posted
/// meanwhile waits for at most one unit) while the caller goes on; the caller runs what is left in
/// wt_blocked_sum_end. `context` (context_size bytes) is copied; the memory it points to must stay
/// valid, and the outputs the block writes must not be read, until wt_blocked_sum_end returns.
/// When the sum cannot run in the background (one kernel thread, the pool held by another caller,
/// another background sum pending, more than 64 blocks) nothing runs before
/// wt_blocked_sum_end, which then is wt_blocked_sum. NULL only when out of memory (call
/// wt_blocked_sum instead). A `block` must not call parallel kernels.
wt_background_sum *wt_blocked_sum_begin(ptrdiff_t n, int lanes, wt_block_sum_fn block, const void *context,
                                        size_t context_size);

/// Finishes `sum` (the caller runs the units no worker has taken, the workers keep taking them
/// too), frees it and returns wt_blocked_sum's value, bit for bit, at any thread count.
double wt_blocked_sum_end(wt_background_sum *sum);

#endif
