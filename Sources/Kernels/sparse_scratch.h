// Scratch memory of the sparse kernels (sparse.c, sparse_spmm.c): one buffer per thread, kept
// between calls. A batch-128 complex product needs ~600 KB of transposed tiles per call; taking it
// from malloc every call cost ~6 % of the call (malloc, free and the heap trimming that gives the
// pages back) in a profile of CplxLinear(784, 400) at 95 % sparsity.
#ifndef WIRTINGER_SPARSE_SCRATCH_H
#define WIRTINGER_SPARSE_SCRATCH_H
#include <stddef.h>

/// A 64-byte aligned buffer of at least `bytes` bytes owned by the calling thread, grown when too
/// small and freed when the thread exits; its contents are undefined. It stays valid until the
/// same thread calls wt_sparse_scratch again, so a kernel takes it once per call, on one thread,
/// and does not call another kernel that takes it meanwhile. NULL if memory is short.
void *wt_sparse_scratch(size_t bytes);

/// Another buffer of the calling thread with the same rules, kept apart from wt_sparse_scratch's
/// (slot 0): slot 1 holds the hidden activations of wt_scsr_chain while its layers take slot 0.
/// slot is 0 or 1 (a third slot held wt_scsr_linear's transposed output tile until session 11).
void *wt_sparse_scratch_slot(int slot, size_t bytes);

#endif
