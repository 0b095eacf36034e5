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

#endif
