#ifndef WIRTINGER_KERNELS_GEMM_H
#define WIRTINGER_KERNELS_GEMM_H
#include <stddef.h>
#include "kernels_dispatch.h"
#ifdef __cplusplus
extern "C" {
#endif

/// C[M×N] = alpha · op(A)[M×K] · op(B)[K×N] + beta · C, row-major.
/// op(A) = A (trans_a = 0, A is M×K with row stride lda) or Aᵀ (trans_a = 1, A is K×M).
/// op(B) = B (trans_b = 0, B is K×N with row stride ldb) or Bᵀ (trans_b = 1, B is N×K).
/// beta = 0 overwrites C without reading it (NaNs in C do not propagate); alpha = 0 or k = 0 gives
/// C = beta · C without reading A or B; m = 0 or n = 0 does nothing. C must not overlap A or B.
/// Uses the AVX2/FMA kernels when wt_active_isa() says so, else a portable blocked kernel; large
/// products are shared with the GEMM worker pool (see wt_set_num_threads). Safe to call from several
/// threads at once (on different C): a call that finds the pool busy runs on its own thread.
void wt_sgemm(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
              float alpha, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
              float beta, float *c, ptrdiff_t ldc);
/// Double-precision version of wt_sgemm.
void wt_dgemm(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
              double alpha, const double *a, ptrdiff_t lda, const double *b, ptrdiff_t ldb,
              double beta, double *c, ptrdiff_t ldc);

/// Portable reference versions (same contract), always plain C; used as the fallback and as the test oracle.
void wt_sgemm_portable(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                       float alpha, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                       float beta, float *c, ptrdiff_t ldc);
void wt_dgemm_portable(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                       double alpha, const double *a, ptrdiff_t lda, const double *b, ptrdiff_t ldb,
                       double beta, double *c, ptrdiff_t ldc);

/// Elements of the packed form of a K×N op(B) for `tier` (see wt_sgemm_pack_b).
size_t wt_sgemm_packed_count(wt_isa tier, ptrdiff_t n, ptrdiff_t k);
/// Packs op(B) (K×N; B stored K×N, or N×K when trans_b) into `packed`, which must hold
/// wt_sgemm_packed_count(tier, n, k) floats and be 64-byte aligned, in the layout `tier`'s
/// micro-kernels read. `tier` must be supported by the CPU (≤ wt_detected_isa()).
void wt_sgemm_pack_b(wt_isa tier, int trans_b, ptrdiff_t n, ptrdiff_t k, const float *b, ptrdiff_t ldb,
                     float *packed);
/// C[M×N] = alpha · op(A) · B̃ + beta · C with B̃ packed by wt_sgemm_pack_b for the same tier, n and k:
/// the product without packing B. Same contract and threads as wt_sgemm, and the same bits as
/// wt_sgemm at that tier.
void wt_sgemm_prepacked(wt_isa tier, int trans_a, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                        const float *a, ptrdiff_t lda, const float *packed, float beta, float *c, ptrdiff_t ldc);
/// Double-precision versions of the three above.
size_t wt_dgemm_packed_count(wt_isa tier, ptrdiff_t n, ptrdiff_t k);
void wt_dgemm_pack_b(wt_isa tier, int trans_b, ptrdiff_t n, ptrdiff_t k, const double *b, ptrdiff_t ldb,
                     double *packed);
void wt_dgemm_prepacked(wt_isa tier, int trans_a, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, double alpha,
                        const double *a, ptrdiff_t lda, const double *packed, double beta, double *c,
                        ptrdiff_t ldc);

/// Sets the number of threads one GEMM call may use, the caller included (clamped to 1...64;
/// default min(2, online CPUs)). Returns the value now set. Workers are started lazily by the first
/// call that needs them and then kept; products under about 2²¹ multiply-adds stay on one thread.
int wt_set_num_threads(int n);
/// The number of threads one GEMM call may use.
int wt_get_num_threads(void);

#ifdef __cplusplus
}
#endif
#endif
