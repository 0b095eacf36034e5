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

/// A complex product by Gauss's three real products, in one driver: with rr = op(A1)·op(B1),
/// ii = op(A2)·op(B2), p = op(A1 + sa·A2)·op(B1 + sb·B2) (sa, sb = ±1: conjugation) and
/// t = sa·sb·ii, writes re = rr − t and im = (p − rr) − t (the real and imaginary part of
/// op(A1 + i·sa·A2)·op(B1 + i·sb·B2)); given sum_re and sum_im (both or neither, M×N with row stride
/// ldc), re = sum_re + (rr − t) and im = sum_im + ((p − rr) − t); then, given bias_re and bias_im
/// (N values, both or neither), re[i][j] ← re[i][j] + bias_re[j], likewise im (as
/// wt_accumulate_f32 adds). The operand sums are formed from
/// the packed panels (no summed copy, each operand packed from its source once) and each tile is
/// combined while in cache. Bits: those of wt_cplx_signed_sum_f32 on the operands, three wt_sgemm
/// calls, then wt_cplx_gauss_combine_f32 (or wt_cplx_gauss_add_f32) and the bias, at any thread count. re, im
/// (M×N, row stride ldc) must not overlap each other, the operands or the sums. Returns 1 when done,
/// 0 when not (k = 0, only one sum or bias part given, or no scratch memory): then re and im hold no result and
/// the caller computes the product another way.
int wt_sgemm_gauss(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a1, const float *a2,
                   ptrdiff_t lda, float sa, const float *b1, const float *b2, ptrdiff_t ldb, float sb,
                   const float *sum_re, const float *sum_im, const float *bias_re, const float *bias_im, float *re,
                   float *im, ptrdiff_t ldc);
/// Double-precision version of wt_sgemm_gauss (with the _f64 passes).
int wt_dgemm_gauss(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const double *a1,
                   const double *a2, ptrdiff_t lda, double sa, const double *b1, const double *b2, ptrdiff_t ldb,
                   double sb, const double *sum_re, const double *sum_im, const double *bias_re, const double *bias_im,
                   double *re, double *im, ptrdiff_t ldc);

/// Sets the number of threads one GEMM call may use, the caller included (clamped to 1...64; the
/// default is WIRTINGER_NUM_THREADS when it is a whole number in 1...64, else the CPUs the process
/// may run on, at most 64). Returns the value now set. Workers are started lazily by the first call
/// that needs them and then kept; products under about 2¹⁹ multiply-adds (rows rounded up to a
/// third of a micro-tile, columns to a vector) stay on one thread.
int wt_set_num_threads(int n);
/// The number of threads one GEMM call may use.
int wt_get_num_threads(void);
/// The thread count that applies before any wt_set_num_threads, worked out now:
/// WIRTINGER_NUM_THREADS when it is a whole number in 1...64 (anything else is reported on standard
/// error and ignored), else the CPUs the calling thread may run on (its affinity mask on Linux, so
/// `taskset` and container CPU sets count; the online CPUs elsewhere), at most 64.
int wt_default_num_threads(void);

#ifdef __cplusplus
}
#endif
#endif
