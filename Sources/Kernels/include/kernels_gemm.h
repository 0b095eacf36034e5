#ifndef WIRTINGER_KERNELS_GEMM_H
#define WIRTINGER_KERNELS_GEMM_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/// C[M×N] = alpha · op(A)[M×K] · op(B)[K×N] + beta · C, row-major.
/// op(A) = A (trans_a = 0, A is M×K with row stride lda) or Aᵀ (trans_a = 1, A is K×M).
/// op(B) = B (trans_b = 0, B is K×N with row stride ldb) or Bᵀ (trans_b = 1, B is N×K).
/// beta = 0 overwrites C without reading it (NaNs in C do not propagate).
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

/// Number of threads the GEMM may use (1 or more; default: min(2, online CPUs)). Returns the value now set.
int wt_set_num_threads(int n);
int wt_get_num_threads(void);

#ifdef __cplusplus
}
#endif
#endif
