#ifndef WIRTINGER_KERNELS_SKINNY_H
#define WIRTINGER_KERNELS_SKINNY_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/// C[M×N] = alpha · A[M×K] · op(B)[K×N] + beta · C for few rows M (a batch of 1 to about 16),
/// row-major, reading B in place (no packing). op(B) = Bᵀ with B stored N×K (trans_b = 1, a linear
/// layer's weight) or B stored K×N (trans_b = 0). beta = 0 overwrites C without reading it; m = 0 or
/// n = 0 does nothing; k = 0 gives C = beta · C. C must not overlap A or B.
///
/// Each element is reduced in an order fixed by k and the active tier alone: row i of the result
/// does not depend on m or on the thread count (the columns are split among the GEMM worker pool
/// when the product is large enough). Tiers differ in rounding (vector width, fused multiply-add).
void wt_sgemm_skinny(int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
                     ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc);
/// Double-precision version of wt_sgemm_skinny.
void wt_dgemm_skinny(int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, double alpha, const double *a,
                     ptrdiff_t lda, const double *b, ptrdiff_t ldb, double beta, double *c, ptrdiff_t ldc);

/// Complex skinny product on split storage: C' = A'·op(B') (accumulate = 0) or C' += A'·op(B')
/// (accumulate = 1), C' = cr + i·ci, where A' = ar + i·ai (conjugated when conj_a) is M×K with row
/// stride lda, and B' = br + i·bi (conjugated when conj_b) is stored N×K (trans_b = 1) or K×N
/// (trans_b = 0) with row stride ldb. Same ordering guarantees as wt_sgemm_skinny: an element of
/// the real or imaginary part does not depend on m or the thread count. For trans_b = 1 each part
/// of B is read once per two rows of A: one pass over a complex weight instead of the three real
/// products (and the weight sum br + bi) of the packed form.
void wt_cgemm_skinny(int trans_b, int conj_a, int conj_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                     const float *ar, const float *ai, ptrdiff_t lda, const float *br, const float *bi,
                     ptrdiff_t ldb, int accumulate, float *cr, float *ci, ptrdiff_t ldc);
/// Double-precision version of wt_cgemm_skinny.
void wt_zgemm_skinny(int trans_b, int conj_a, int conj_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                     const double *ar, const double *ai, ptrdiff_t lda, const double *br, const double *bi,
                     ptrdiff_t ldb, int accumulate, double *cr, double *ci, ptrdiff_t ldc);

#ifdef __cplusplus
}
#endif
#endif
