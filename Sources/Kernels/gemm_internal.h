// Internal to the Kernels target (not part of the public headers): the pieces the packed GEMM
// driver in gemm.c assembles, and the worker pool it runs on.
//
// Packed layouts (BLIS style). For a block of op(A) with mc rows and kc columns, the packed A holds
// ceil(mc/MR) micro-panels one after another; micro-panel r stores, for p = 0..kc-1, the MR values
// op(A)[r·MR + 0 ..< r·MR + MR][p] contiguously (rows past mc are zero). Likewise the packed B holds
// ceil(nc/NR) micro-panels; micro-panel s stores, for p = 0..kc-1, op(B)[p][s·NR ..< s·NR + NR]
// contiguously (columns past nc are zero). The packing routines read op(X) straight from the
// caller's storage, so a transposed operand costs no separate transpose copy.
#ifndef WIRTINGER_KERNELS_GEMM_INTERNAL_H
#define WIRTINGER_KERNELS_GEMM_INTERNAL_H
#include <stddef.h>
#include "tiers.h"

/// Packs the mc×kc block of op(A) whose top-left element is op(A)[0][0] = `a` into `dst`.
/// trans = 0: op(A)[i][p] = a[i·lda + p];  trans = 1: op(A)[i][p] = a[p·lda + i].
typedef void (*wt_spack_a_fn)(int trans, ptrdiff_t mc, ptrdiff_t kc, const float *a, ptrdiff_t lda, float *dst);
/// Packs the kc×nc block of op(B) whose top-left element is op(B)[0][0] = `b` into `dst`.
/// trans = 0: op(B)[p][j] = b[p·ldb + j];  trans = 1: op(B)[p][j] = b[j·ldb + p].
typedef void (*wt_spack_b_fn)(int trans, ptrdiff_t kc, ptrdiff_t nc, const float *b, ptrdiff_t ldb, float *dst);
/// C[mc×nc] = alpha · Ã·B̃ + beta · C for packed blocks Ã (mc×kc) and B̃ (kc×nc); beta = 0 does not read C.
typedef void (*wt_smacro_fn)(ptrdiff_t mc, ptrdiff_t nc, ptrdiff_t kc, float alpha, const float *pa,
                             const float *pb, float beta, float *c, ptrdiff_t ldc);

typedef void (*wt_dpack_a_fn)(int trans, ptrdiff_t mc, ptrdiff_t kc, const double *a, ptrdiff_t lda, double *dst);
typedef void (*wt_dpack_b_fn)(int trans, ptrdiff_t kc, ptrdiff_t nc, const double *b, ptrdiff_t ldb, double *dst);
typedef void (*wt_dmacro_fn)(ptrdiff_t mc, ptrdiff_t nc, ptrdiff_t kc, double alpha, const double *pa,
                             const double *pb, double beta, double *c, ptrdiff_t ldc);

/// One instruction set's GEMM building blocks and block sizes.
/// mr×nr: micro-tile; mc, kc, nc: cache blocks (mc a multiple of mr, nc a multiple of nr);
/// row_step: the macro-kernel computes a short last micro-panel of r rows as round_up(r, row_step)
/// rows (mr when it always computes whole panels), the granularity of a thread's row range;
/// col_step: likewise for a short last column panel (nr when always whole).
typedef struct {
    int mr, nr, row_step, col_step;
    ptrdiff_t mc, kc, nc;
    wt_spack_a_fn pack_a;
    wt_spack_b_fn pack_b;
    wt_smacro_fn macro;
} wt_sgemm_impl;

typedef struct {
    int mr, nr, row_step, col_step;
    ptrdiff_t mc, kc, nc;
    wt_dpack_a_fn pack_a;
    wt_dpack_b_fn pack_b;
    wt_dmacro_fn macro;
} wt_dgemm_impl;

/// Plain-C blocked implementation (gemm_blocked.c); any CPU.
extern const wt_sgemm_impl wt_sgemm_impl_blocked;
extern const wt_dgemm_impl wt_dgemm_impl_blocked;
#if WT_X86
/// AVX2/FMA implementation (gemm_avx2.c); only call when wt_active_isa() >= WT_ISA_AVX2_FMA.
extern const wt_sgemm_impl wt_sgemm_impl_avx2;
extern const wt_dgemm_impl wt_dgemm_impl_avx2;
/// AVX-512 implementation (gemm_avx512.c); only call when wt_active_isa() >= WT_ISA_AVX512.
extern const wt_sgemm_impl wt_sgemm_impl_avx512;
extern const wt_dgemm_impl wt_dgemm_impl_avx512;
#endif

// ---------------------------------------------------------------------------------------------
// Persistent worker pool (threadpool.c).

/// A unit of parallel work: called once for each part index in 0 ..< parts.
typedef void (*wt_pool_task)(void *context, int part, int parts);

/// Runs task(context, i, parts) for every i in 0 ..< parts (at most 4095) on the calling thread and
/// parts − 1 pool workers (created lazily on first use and kept for the life of the process); each
/// part runs once, on whichever of them claims it first (the caller runs every part no worker has
/// claimed, and returns when all have finished). Returns 1 when it ran the parts; returns 0
/// without running anything when the pool is in use by another caller or workers cannot be
/// created; the caller then does the work itself.
int wt_pool_try_run(int parts, wt_pool_task task, void *context);

#endif
