// Complex modulus kernels (kernels_complex.h): |z| and its pullback over split real/imaginary
// buffers, with an AVX2/FMA path (4 doubles at a time) and a portable path.
#include "kernels_complex.h"
#include "kernels_constants.h"
#include "kernels_dispatch.h"
#include <math.h>
#include <stddef.h>

#include "tiers.h"

#define CX_HI WT_MODULUS_SAFE_HI
#define CX_LO WT_MODULUS_SAFE_LO

/// One element of the pullback (also the fallback of the vector path).
static inline void cx_grad(double x, double y, double g, double *gx, double *gy) {
    double m = wt_modulus(x, y);
    if (m == 0.0) { *gx = 0.0; *gy = 0.0; return; }
    *gx = g * x / m;
    *gy = g * y / m;
}

static void cabs_d_portable(const double *re, const double *im, double *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) y[i] = wt_modulus(re[i], im[i]);
}
static void cabs_f_portable(const float *re, const float *im, float *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) y[i] = (float)wt_modulus((double)re[i], (double)im[i]);
}
static void cabs_grad_d_portable(const double *re, const double *im, const double *g, double *gre, double *gim, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) cx_grad(re[i], im[i], g[i], gre + i, gim + i);
}
static void cabs_grad_f_portable(const float *re, const float *im, const float *g, float *gre, float *gim, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) {
        double a, b;
        cx_grad((double)re[i], (double)im[i], (double)g[i], &a, &b);
        gre[i] = (float)a;
        gim[i] = (float)b;
    }
}

#if WT_X86
#define CX_AVX2 static inline __attribute__((always_inline)) WT_TARGET_AVX2
#define CX_AVX2_FN WT_TARGET_AVX2

/// Mask of the lanes whose modulus the direct formula computes safely (all four: 0xF).
CX_AVX2 int cx4_safe(__m256d x, __m256d y) {
    const __m256d sign = _mm256_set1_pd(-0.0);
    __m256d a = _mm256_max_pd(_mm256_andnot_pd(sign, x), _mm256_andnot_pd(sign, y));
    __m256d ok = _mm256_and_pd(_mm256_cmp_pd(a, _mm256_set1_pd(CX_HI), _CMP_LE_OQ),
                               _mm256_or_pd(_mm256_cmp_pd(a, _mm256_set1_pd(CX_LO), _CMP_GE_OQ),
                                            _mm256_cmp_pd(a, _mm256_setzero_pd(), _CMP_EQ_OQ)));
    ok = _mm256_and_pd(ok, _mm256_cmp_pd(x, y, _CMP_ORD_Q));
    return _mm256_movemask_pd(ok);
}

CX_AVX2 __m256d cx4_abs(__m256d x, __m256d y) {
    return _mm256_sqrt_pd(_mm256_fmadd_pd(x, x, _mm256_mul_pd(y, y)));
}

/// g·x/m and g·y/m with 0 where m = 0.
CX_AVX2 void cx4_grad(__m256d x, __m256d y, __m256d g, __m256d *gx, __m256d *gy) {
    __m256d m = cx4_abs(x, y);
    __m256d zero = _mm256_cmp_pd(m, _mm256_setzero_pd(), _CMP_EQ_OQ);
    __m256d a = _mm256_div_pd(_mm256_mul_pd(g, x), m), b = _mm256_div_pd(_mm256_mul_pd(g, y), m);
    *gx = _mm256_andnot_pd(zero, a);
    *gy = _mm256_andnot_pd(zero, b);
}

static CX_AVX2_FN void cabs_d_avx2(const double *re, const double *im, double *y, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d a = _mm256_loadu_pd(re + i), b = _mm256_loadu_pd(im + i);
        if (cx4_safe(a, b) == 0xF) {
            _mm256_storeu_pd(y + i, cx4_abs(a, b));
        } else {
            for (int k = 0; k < 4; k++) y[i + k] = wt_modulus(re[i + k], im[i + k]);
        }
    }
    for (; i < n; i++) y[i] = wt_modulus(re[i], im[i]);
}

static CX_AVX2_FN void cabs_f_avx2(const float *re, const float *im, float *y, ptrdiff_t n) {
    ptrdiff_t i = 0;
    const __m256d fmax = _mm256_set1_pd(0x1.fffffep127);
    const __m256d sign = _mm256_set1_pd(-0.0);
    for (; i + 4 <= n; i += 4) {
        __m256d a = _mm256_cvtps_pd(_mm_loadu_ps(re + i)), b = _mm256_cvtps_pd(_mm_loadu_ps(im + i));
        // float inputs never overflow or underflow the squares in double; only inf/NaN go to hypot
        __m256d m = _mm256_max_pd(_mm256_andnot_pd(sign, a), _mm256_andnot_pd(sign, b));
        __m256d ok = _mm256_and_pd(_mm256_cmp_pd(m, fmax, _CMP_LE_OQ), _mm256_cmp_pd(a, b, _CMP_ORD_Q));
        if (_mm256_movemask_pd(ok) == 0xF) {
            _mm_storeu_ps(y + i, _mm256_cvtpd_ps(cx4_abs(a, b)));
        } else {
            for (int k = 0; k < 4; k++) y[i + k] = (float)wt_modulus((double)re[i + k], (double)im[i + k]);
        }
    }
    for (; i < n; i++) y[i] = (float)wt_modulus((double)re[i], (double)im[i]);
}

static CX_AVX2_FN void cabs_grad_d_avx2(const double *re, const double *im, const double *g, double *gre, double *gim, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d a = _mm256_loadu_pd(re + i), b = _mm256_loadu_pd(im + i);
        if (cx4_safe(a, b) == 0xF) {
            __m256d ga, gb;
            cx4_grad(a, b, _mm256_loadu_pd(g + i), &ga, &gb);
            _mm256_storeu_pd(gre + i, ga);
            _mm256_storeu_pd(gim + i, gb);
        } else {
            for (int k = 0; k < 4; k++) cx_grad(re[i + k], im[i + k], g[i + k], gre + i + k, gim + i + k);
        }
    }
    for (; i < n; i++) cx_grad(re[i], im[i], g[i], gre + i, gim + i);
}

static CX_AVX2_FN void cabs_grad_f_avx2(const float *re, const float *im, const float *g, float *gre, float *gim, ptrdiff_t n) {
    ptrdiff_t i = 0;
    const __m256d fmax = _mm256_set1_pd(0x1.fffffep127);
    const __m256d sign = _mm256_set1_pd(-0.0);
    for (; i + 4 <= n; i += 4) {
        __m256d a = _mm256_cvtps_pd(_mm_loadu_ps(re + i)), b = _mm256_cvtps_pd(_mm_loadu_ps(im + i));
        __m256d m = _mm256_max_pd(_mm256_andnot_pd(sign, a), _mm256_andnot_pd(sign, b));
        __m256d ok = _mm256_and_pd(_mm256_cmp_pd(m, fmax, _CMP_LE_OQ), _mm256_cmp_pd(a, b, _CMP_ORD_Q));
        if (_mm256_movemask_pd(ok) == 0xF) {
            __m256d ga, gb;
            cx4_grad(a, b, _mm256_cvtps_pd(_mm_loadu_ps(g + i)), &ga, &gb);
            _mm_storeu_ps(gre + i, _mm256_cvtpd_ps(ga));
            _mm_storeu_ps(gim + i, _mm256_cvtpd_ps(gb));
        } else {
            for (int k = 0; k < 4; k++) {
                double u, v;
                cx_grad((double)re[i + k], (double)im[i + k], (double)g[i + k], &u, &v);
                gre[i + k] = (float)u;
                gim[i + k] = (float)v;
            }
        }
    }
    for (; i < n; i++) {
        double u, v;
        cx_grad((double)re[i], (double)im[i], (double)g[i], &u, &v);
        gre[i] = (float)u;
        gim[i] = (float)v;
    }
}
#else
#define cabs_d_avx2 cabs_d_portable
#define cabs_f_avx2 cabs_f_portable
#define cabs_grad_d_avx2 cabs_grad_d_portable
#define cabs_grad_f_avx2 cabs_grad_f_portable
#endif
// The AVX-512 tier runs the AVX2 code (no 512-bit instantiation yet).

void wt_cabs_array(const double *re, const double *im, double *y, ptrdiff_t n) {
    WT_PICK(cabs_d_portable, cabs_d_avx2, cabs_d_avx2)(re, im, y, n);
}
void wt_cabsf_array(const float *re, const float *im, float *y, ptrdiff_t n) {
    WT_PICK(cabs_f_portable, cabs_f_avx2, cabs_f_avx2)(re, im, y, n);
}
void wt_cabs_grad_array(const double *re, const double *im, const double *g, double *gre, double *gim, ptrdiff_t n) {
    WT_PICK(cabs_grad_d_portable, cabs_grad_d_avx2, cabs_grad_d_avx2)(re, im, g, gre, gim, n);
}
void wt_cabsf_grad_array(const float *re, const float *im, const float *g, float *gre, float *gim, ptrdiff_t n) {
    WT_PICK(cabs_grad_f_portable, cabs_grad_f_avx2, cabs_grad_f_avx2)(re, im, g, gre, gim, n);
}
