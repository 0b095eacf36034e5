// Whole-array predicates (kernels_scan.h).
//
// x·0 is ±0 for a finite x and NaN for NaN and ±inf, and a sum of zeros stays zero while a NaN
// poisons it: the arrays are scanned with independent accumulators of x·0 (4 vectors of 8 floats
// or 4 doubles on AVX2), checked once at the end. No branch per element, one pass at memory speed.
#include "kernels_scan.h"
#include "kernels_dispatch.h"

#include "tiers.h"
#define SC_AVX2 WT_TARGET_AVX2

#define SC_PORTABLE(NAME, T)                                                                   \
    static int NAME##_portable(const T *x, ptrdiff_t n) {                                      \
        T acc[4] = {0, 0, 0, 0};                                                               \
        ptrdiff_t i = 0;                                                                       \
        for (; i + 4 <= n; i += 4)                                                             \
            for (int j = 0; j < 4; j++) acc[j] += x[i + j] * (T)0;                             \
        for (; i < n; i++) acc[0] += x[i] * (T)0;                                              \
        return (acc[0] + acc[1] + acc[2] + acc[3]) == (T)0;                                    \
    }
SC_PORTABLE(all_finite_f64, double)
SC_PORTABLE(all_finite_f32, float)

#if WT_X86
SC_AVX2 static int all_finite_f32_avx2(const float *x, ptrdiff_t n) {
    __m256 z = _mm256_setzero_ps(), a0 = z, a1 = z, a2 = z, a3 = z;
    ptrdiff_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), z, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), z, a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), z, a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), z, a3);
    }
    __m256 a = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
    if (_mm256_movemask_ps(_mm256_cmp_ps(a, z, _CMP_NEQ_UQ)) != 0) return 0;
    return all_finite_f32_portable(x + i, n - i);
}
SC_AVX2 static int all_finite_f64_avx2(const double *x, ptrdiff_t n) {
    __m256d z = _mm256_setzero_pd(), a0 = z, a1 = z, a2 = z, a3 = z;
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_pd(_mm256_loadu_pd(x + i), z, a0);
        a1 = _mm256_fmadd_pd(_mm256_loadu_pd(x + i + 4), z, a1);
        a2 = _mm256_fmadd_pd(_mm256_loadu_pd(x + i + 8), z, a2);
        a3 = _mm256_fmadd_pd(_mm256_loadu_pd(x + i + 12), z, a3);
    }
    __m256d a = _mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3));
    if (_mm256_movemask_pd(_mm256_cmp_pd(a, z, _CMP_NEQ_UQ)) != 0) return 0;
    return all_finite_f64_portable(x + i, n - i);
}
#endif

#if !WT_X86
#define all_finite_f32_avx2 all_finite_f32_portable
#define all_finite_f64_avx2 all_finite_f64_portable
#endif
// The AVX-512 tier runs the AVX2 scan (memory-bound).
int wt_all_finite_f32(const float *x, ptrdiff_t n) {
    return WT_PICK(all_finite_f32_portable, all_finite_f32_avx2, all_finite_f32_avx2)(x, n);
}
int wt_all_finite_f64(const double *x, ptrdiff_t n) {
    return WT_PICK(all_finite_f64_portable, all_finite_f64_avx2, all_finite_f64_avx2)(x, n);
}
