// Portable reference GEMM (row-major), the oracle for the fast paths.
#include "kernels_gemm.h"

#define DEFINE_GEMM_PORTABLE(NAME, T)                                                        \
void NAME(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,                   \
          T alpha, const T *a, ptrdiff_t lda, const T *b, ptrdiff_t ldb,                     \
          T beta, T *c, ptrdiff_t ldc) {                                                     \
    for (ptrdiff_t i = 0; i < m; i++) {                                                      \
        T *crow = c + i * ldc;                                                               \
        if (beta == (T)0) { for (ptrdiff_t j = 0; j < n; j++) crow[j] = (T)0; }              \
        else if (beta != (T)1) { for (ptrdiff_t j = 0; j < n; j++) crow[j] *= beta; }        \
        for (ptrdiff_t p = 0; p < k; p++) {                                                  \
            T av = alpha * (trans_a ? a[p * lda + i] : a[i * lda + p]);                      \
            if (av == (T)0) continue;                                                        \
            if (!trans_b) { const T *brow = b + p * ldb;                                     \
                for (ptrdiff_t j = 0; j < n; j++) crow[j] += av * brow[j]; }                 \
            else { for (ptrdiff_t j = 0; j < n; j++) crow[j] += av * b[j * ldb + p]; }       \
        }                                                                                    \
    }                                                                                        \
}

DEFINE_GEMM_PORTABLE(wt_sgemm_portable, float)
DEFINE_GEMM_PORTABLE(wt_dgemm_portable, double)
