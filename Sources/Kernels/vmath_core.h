// Private building blocks shared by vmath.c and expi.c: scalar (portable) and AVX2/FMA
// (4 x double) versions of exp, log and friends, plus a macro that stamps out the array
// kernels with runtime dispatch. Everything is computed in double; the float kernels widen to
// double, evaluate, and round once (so they are within 0.5 ulp + 2^-29 ulp of the exact value).
//
// Method (see Docs/Kernels-Special.md):
//   exp:  x = k ln2 + r, |r| <= ln2/2 (Cody-Waite two-part ln2), e^r - 1 = r + r^2 E(r),
//         e^x = (1 + (e^r - 1)) 2^k1 2^k2 with k1 = k >> 1, k2 = k - k1, so that the first
//         product is exact and over/underflow (incl. subnormal results) are rounded once.
//   log:  x = 2^k m, m in [sqrt(1/2), sqrt(2)), f = m - 1, s = f/(2+f), z = s^2,
//         log(1+f) = f - (f^2/2 - s (f^2/2 + z L(z))), log x = k ln2 + log(1+f).
//   log1p: u = 1 + x rounded, c = the rounding error of that sum, log1p(x) = log(u) + c/u.
//   E, L: Chebyshev fits from Sources/Kernels/tools/gen_expi_tables.py (vmath_coeffs.h).
#ifndef WIRTINGER_VMATH_CORE_H
#define WIRTINGER_VMATH_CORE_H

#include "kernels_dispatch.h"
#include "kernels_parallel.h"
#include "vmath_coeffs.h"
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define WT_X86 1
#include <immintrin.h>
#else
#define WT_X86 0
#endif

#define VM_LOG2E 0x1.71547652b82fep+0
#define VM_LN2HI 0x1.62e42fee00000p-1 /* 32 significant bits: k * VM_LN2HI is exact for |k| < 2^21 */
#define VM_LN2LO 0x1.a39ef35793c76p-33
#define VM_SQRTH_BITS 0x3fe6a09e667f3bcdULL /* bits of sqrt(1/2) */
#define VM_SHIFT 0x1.8p52

// ---------------------------------------------------------------- scalar (portable) cores

static inline double vm_from_bits(uint64_t u) { double d; memcpy(&d, &u, sizeof d); return d; }
static inline uint64_t vm_to_bits(double d) { uint64_t u; memcpy(&u, &d, sizeof u); return u; }
/// 2^k for -1022 <= k <= 1023.
static inline double vm_pow2i(int k) { return vm_from_bits((uint64_t)(k + 1023) << 52); }
/// v * 2^k with one rounding (|k| <= 2040 and 2^-2 < |v| < 2^12 or so).
static inline double vm_scale(double v, int k) {
    int k1 = k >> 1;
    return v * vm_pow2i(k1) * vm_pow2i(k - k1);
}

static inline double vm_horner(const double *c, int n, double t) {
    double p = c[n - 1];
    for (int i = n - 2; i >= 0; i--) p = p * t + c[i];
    return p;
}

/// Returns q = e^r - 1 and k with e^x = 2^k (1 + q); x is clamped to [-1400, 1400] first.
static inline double vm_expm1_reduced(double x, int *k) {
    x = x < -1400.0 ? -1400.0 : (x > 1400.0 ? 1400.0 : x);
    double kd = x * VM_LOG2E + VM_SHIFT;
    kd -= VM_SHIFT;
    double r = (x - kd * VM_LN2HI) - kd * VM_LN2LO;
    *k = (int)kd;
    return r + (r * r) * vm_horner(vm_exp_c, 11, r);
}

static inline double vm_exp(double x) {
    if (x != x) return x + x;
    int k;
    double q = vm_expm1_reduced(x, &k);
    return vm_scale(1.0 + q, k);
}

// e^x for a float argument, in double, for the float exp kernel: |x| ≤ 104 after clamping (the
// float result is 0 or +inf beyond), so one power of two scales it and the double result is
// always normal; e^r for |r| ≤ ln2/2 by its Taylor polynomial of degree 9 (relative error below
// 7e-12, so after the one rounding to float the error is at most 0.5 + 1.2e-4 ulp).
static const double vm_expf_c[10] = {1.0, 1.0, 0.5, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
                                     1.0 / 40320, 1.0 / 362880};
static inline double vm_expf_d(double x) {
    if (x != x) return x + x;
    x = x < -104.0 ? -104.0 : (x > 104.0 ? 104.0 : x);
    double kd = x * VM_LOG2E + VM_SHIFT;
    kd -= VM_SHIFT;
    double r = (x - kd * VM_LN2HI) - kd * VM_LN2LO;
    return vm_horner(vm_expf_c, 10, r) * vm_pow2i((int)kd);
}

/// log(x) for finite x > 0 (subnormals included).
static inline double vm_log_pos(double x) {
    uint64_t ix = vm_to_bits(x);
    int kadj = 0;
    if (ix < 0x0010000000000000ULL) { ix = vm_to_bits(x * 0x1p54); kadj = -54; }
    ix += 0x3ff0000000000000ULL - VM_SQRTH_BITS;
    double kd = (double)((int)(ix >> 52) - 1023 + kadj);
    double f = vm_from_bits((ix & 0x000fffffffffffffULL) + VM_SQRTH_BITS) - 1.0;
    double s = f / (2.0 + f), z = s * s;
    double hfsq = 0.5 * f * f;
    double r = z * vm_horner(vm_log_c, 8, z);
    return kd * VM_LN2HI - ((hfsq - (s * (hfsq + r) + kd * VM_LN2LO)) - f);
}

static inline double vm_log(double x) {
    if (x != x) return x + x;
    if (x < 0) return NAN;
    if (x == 0) return -INFINITY;
    if (x == INFINITY) return x;
    return vm_log_pos(x);
}

static inline double vm_log1p(double x) {
    if (x != x) return x + x;
    if (x < -1.0) return NAN;
    if (x == -1.0) return -INFINITY;
    if (x == INFINITY) return x;
    if (fabs(x) < 0x1p-54) return x;
    double u = 1.0 + x;
    double c = x > 1.0 ? 1.0 - (u - x) : x - (u - 1.0);  // exact rounding error of 1 + x
    return vm_log_pos(u) + c / u;
}

static inline double vm_sigmoid(double x) {
    if (x != x) return x + x;
    double e = vm_exp(-fabs(x));
    return (x >= 0 ? 1.0 : e) / (1.0 + e);
}

static inline double vm_softplus(double x) {
    if (x != x) return x + x;
    return (x > 0 ? x : 0.0) + vm_log1p(vm_exp(-fabs(x)));
}

static inline double vm_log_sigmoid(double x) {
    if (x != x) return x + x;
    return (x < 0 ? x : 0.0) - vm_log1p(vm_exp(-fabs(x)));
}

static inline double vm_tanh(double x) {
    if (x != x) return x + x;
    double ax = fabs(x);
    if (ax < 0x1p-28) return x;
    double u = 2.0 * (ax > 22.0 ? 22.0 : ax);
    int k;
    double q = vm_expm1_reduced(u, &k);
    double t = vm_pow2i(k);
    double em1 = t * q + (t - 1.0);  // e^u - 1
    return copysign(em1 / (em1 + 2.0), x);
}

// ---------------------------------------------------------------- AVX2/FMA cores (4 x double)
#if WT_X86
#define VM_AVX2 static inline __attribute__((always_inline, target("avx2,fma")))
#define VM_AVX2_FN __attribute__((target("avx2,fma")))

VM_AVX2 __m256d vm4_c(double v) { return _mm256_set1_pd(v); }

VM_AVX2 __m256d vm4_horner(const double *c, int n, __m256d t) {
    __m256d p = _mm256_set1_pd(c[n - 1]);
    for (int i = n - 2; i >= 0; i--) p = _mm256_fmadd_pd(p, t, _mm256_set1_pd(c[i]));
    return p;
}

VM_AVX2 __m256d vm4_expm1_reduced(__m256d x, __m128i *k) {
    x = _mm256_min_pd(_mm256_max_pd(x, vm4_c(-1400.0)), vm4_c(1400.0));
    __m256d kd = _mm256_round_pd(_mm256_mul_pd(x, vm4_c(VM_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(kd, vm4_c(VM_LN2HI), x);
    r = _mm256_fnmadd_pd(kd, vm4_c(VM_LN2LO), r);
    *k = _mm256_cvtpd_epi32(kd);
    return _mm256_fmadd_pd(_mm256_mul_pd(r, r), vm4_horner(vm_exp_c, 11, r), r);
}

VM_AVX2 __m256d vm4_pow2i(__m128i k) {
    __m256i e = _mm256_cvtepi32_epi64(_mm_add_epi32(k, _mm_set1_epi32(1023)));
    return _mm256_castsi256_pd(_mm256_slli_epi64(e, 52));
}

VM_AVX2 __m256d vm4_scale(__m256d v, __m128i k) {
    __m128i k1 = _mm_srai_epi32(k, 1);
    return _mm256_mul_pd(_mm256_mul_pd(v, vm4_pow2i(k1)), vm4_pow2i(_mm_sub_epi32(k, k1)));
}

VM_AVX2 __m256d vm4_isnan(__m256d x) { return _mm256_cmp_pd(x, x, _CMP_UNORD_Q); }
VM_AVX2 __m256d vm4_abs(__m256d x) { return _mm256_andnot_pd(vm4_c(-0.0), x); }

VM_AVX2 __m256d vm4_exp(__m256d x) {
    __m128i k;
    __m256d q = vm4_expm1_reduced(x, &k);
    __m256d y = vm4_scale(_mm256_add_pd(vm4_c(1.0), q), k);
    return _mm256_blendv_pd(y, _mm256_add_pd(x, x), vm4_isnan(x));
}

/// The AVX2 form of vm_expf_d (NaN lanes pass through as x + x).
VM_AVX2 __m256d vm4_expf_d(__m256d x) {
    __m256d xc = _mm256_min_pd(_mm256_max_pd(x, vm4_c(-104.0)), vm4_c(104.0));
    __m256d kd = _mm256_round_pd(_mm256_mul_pd(xc, vm4_c(VM_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(kd, vm4_c(VM_LN2HI), xc);
    r = _mm256_fnmadd_pd(kd, vm4_c(VM_LN2LO), r);
    __m256d y = _mm256_mul_pd(vm4_horner(vm_expf_c, 10, r), vm4_pow2i(_mm256_cvtpd_epi32(kd)));
    return _mm256_blendv_pd(y, _mm256_add_pd(x, x), vm4_isnan(x));
}

VM_AVX2 __m256d vm4_log_pos(__m256d x) {
    __m256i ix = _mm256_castpd_si256(x);
    __m256i sub = _mm256_cmpgt_epi64(_mm256_set1_epi64x(0x0010000000000000LL), ix);
    __m256i ixs = _mm256_castpd_si256(_mm256_mul_pd(x, vm4_c(0x1p54)));
    ix = _mm256_blendv_epi8(ix, ixs, sub);
    __m256i kadj = _mm256_and_si256(sub, _mm256_set1_epi64x(-54));
    ix = _mm256_add_epi64(ix, _mm256_set1_epi64x((long long)(0x3ff0000000000000ULL - VM_SQRTH_BITS)));
    __m256i k = _mm256_add_epi64(_mm256_srli_epi64(ix, 52), _mm256_add_epi64(kadj, _mm256_set1_epi64x(-1023)));
    __m256d kd = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_add_epi64(k, _mm256_castpd_si256(vm4_c(VM_SHIFT)))),
                               vm4_c(VM_SHIFT));
    __m256i mb = _mm256_add_epi64(_mm256_and_si256(ix, _mm256_set1_epi64x(0x000fffffffffffffLL)),
                                  _mm256_set1_epi64x((long long)VM_SQRTH_BITS));
    __m256d f = _mm256_sub_pd(_mm256_castsi256_pd(mb), vm4_c(1.0));
    __m256d s = _mm256_div_pd(f, _mm256_add_pd(vm4_c(2.0), f));
    __m256d z = _mm256_mul_pd(s, s);
    __m256d hfsq = _mm256_mul_pd(vm4_c(0.5), _mm256_mul_pd(f, f));
    __m256d r = _mm256_mul_pd(z, vm4_horner(vm_log_c, 8, z));
    __m256d inner = _mm256_fmadd_pd(s, _mm256_add_pd(hfsq, r), _mm256_mul_pd(kd, vm4_c(VM_LN2LO)));
    return _mm256_fmadd_pd(kd, vm4_c(VM_LN2HI), _mm256_sub_pd(f, _mm256_sub_pd(hfsq, inner)));
}

VM_AVX2 __m256d vm4_log(__m256d x) {
    __m256d y = vm4_log_pos(x);
    y = _mm256_blendv_pd(y, vm4_c(-INFINITY), _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_EQ_OQ));
    y = _mm256_blendv_pd(y, vm4_c(NAN), _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_LT_OQ));
    y = _mm256_blendv_pd(y, x, _mm256_cmp_pd(x, vm4_c(INFINITY), _CMP_EQ_OQ));
    return _mm256_blendv_pd(y, _mm256_add_pd(x, x), vm4_isnan(x));
}

VM_AVX2 __m256d vm4_log1p(__m256d x) {
    __m256d one = vm4_c(1.0);
    __m256d u = _mm256_add_pd(one, x);
    __m256d c = _mm256_blendv_pd(_mm256_sub_pd(x, _mm256_sub_pd(u, one)), _mm256_sub_pd(one, _mm256_sub_pd(u, x)),
                                 _mm256_cmp_pd(x, one, _CMP_GT_OQ));
    __m256d y = _mm256_add_pd(vm4_log_pos(u), _mm256_div_pd(c, u));
    y = _mm256_blendv_pd(y, x, _mm256_cmp_pd(vm4_abs(x), vm4_c(0x1p-54), _CMP_LT_OQ));
    y = _mm256_blendv_pd(y, vm4_c(-INFINITY), _mm256_cmp_pd(x, vm4_c(-1.0), _CMP_EQ_OQ));
    y = _mm256_blendv_pd(y, vm4_c(NAN), _mm256_cmp_pd(x, vm4_c(-1.0), _CMP_LT_OQ));
    y = _mm256_blendv_pd(y, x, _mm256_cmp_pd(x, vm4_c(INFINITY), _CMP_EQ_OQ));
    return _mm256_blendv_pd(y, _mm256_add_pd(x, x), vm4_isnan(x));
}

VM_AVX2 __m256d vm4_sigmoid(__m256d x) {
    __m256d e = vm4_exp(_mm256_xor_pd(vm4_abs(x), vm4_c(-0.0)));
    __m256d num = _mm256_blendv_pd(vm4_c(1.0), e, _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_LT_OQ));
    __m256d y = _mm256_div_pd(num, _mm256_add_pd(vm4_c(1.0), e));
    return _mm256_blendv_pd(y, _mm256_add_pd(x, x), vm4_isnan(x));
}

VM_AVX2 __m256d vm4_softplus(__m256d x) {
    __m256d l = vm4_log1p(vm4_exp(_mm256_xor_pd(vm4_abs(x), vm4_c(-0.0))));
    __m256d y = _mm256_add_pd(_mm256_max_pd(x, _mm256_setzero_pd()), l);
    return _mm256_blendv_pd(y, _mm256_add_pd(x, x), vm4_isnan(x));
}

VM_AVX2 __m256d vm4_log_sigmoid(__m256d x) {
    __m256d l = vm4_log1p(vm4_exp(_mm256_xor_pd(vm4_abs(x), vm4_c(-0.0))));
    __m256d y = _mm256_sub_pd(_mm256_min_pd(x, _mm256_setzero_pd()), l);
    return _mm256_blendv_pd(y, _mm256_add_pd(x, x), vm4_isnan(x));
}

VM_AVX2 __m256d vm4_tanh(__m256d x) {
    __m256d ax = vm4_abs(x);
    __m256d u = _mm256_mul_pd(vm4_c(2.0), _mm256_min_pd(ax, vm4_c(22.0)));
    __m128i k;
    __m256d q = vm4_expm1_reduced(u, &k);
    __m256d t = vm4_pow2i(k);
    __m256d em1 = _mm256_fmadd_pd(t, q, _mm256_sub_pd(t, vm4_c(1.0)));
    __m256d y = _mm256_div_pd(em1, _mm256_add_pd(em1, vm4_c(2.0)));
    y = _mm256_blendv_pd(y, ax, _mm256_cmp_pd(ax, vm4_c(0x1p-28), _CMP_LT_OQ));
    y = _mm256_or_pd(y, _mm256_and_pd(x, vm4_c(-0.0)));
    return _mm256_blendv_pd(y, _mm256_add_pd(x, x), vm4_isnan(x));
}
#endif  // WT_X86

// ---------------------------------------------------------------- array kernels + dispatch
//
// WT_ARRAY_KERNELS(name_d, name_f, scalar_d, scalar_f, vec_d, vec_f) defines
//   void name_d(const double *x, double *y, ptrdiff_t n) and
//   void name_f(const float *x, float *y, ptrdiff_t n)
// plus name_d##_portable / name_f##_portable (plain C loops over scalar_d / scalar_f, which
// take and return double) and, on x86, AVX2 versions over vec_d / vec_f (__m256d -> __m256d).
// y may alias x: every block is loaded before it is stored. Arrays of at least 2·WT_ARRAY_GRAIN
// elements are split over the kernel threads (wt_parallel_for); every element is computed by the
// same vector function whichever range holds it, so the split does not change any value.

/// Elements per thread below which an array kernel stays on one thread.
#define WT_ARRAY_GRAIN 16384

/// The operands of an array kernel split over threads.
typedef struct {
    const void *x;
    void *y;
} wt_array_job;

#define WT_PORTABLE_KERNELS(NAME_D, NAME_F, SCALAR_D, SCALAR_F)                                 \
    static void NAME_D##_portable(const double *x, double *y, ptrdiff_t n) {                          \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = SCALAR_D(x[i]);                               \
    }                                                                                          \
    static void NAME_F##_portable(const float *x, float *y, ptrdiff_t n) {                            \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = (float)SCALAR_F((double)x[i]);                \
    }

#if WT_X86
#define WT_AVX2_KERNELS(NAME_D, NAME_F, VEC_D, VEC_F)                                          \
    static VM_AVX2_FN void NAME_D##_avx2(const double *x, double *y, ptrdiff_t n) {           \
        ptrdiff_t i = 0;                                                                       \
        for (; i + 8 <= n; i += 8) {                                                           \
            __m256d a = _mm256_loadu_pd(x + i), b = _mm256_loadu_pd(x + i + 4);                \
            a = VEC_D(a);                                                                      \
            b = VEC_D(b);                                                                      \
            _mm256_storeu_pd(y + i, a);                                                        \
            _mm256_storeu_pd(y + i + 4, b);                                                    \
        }                                                                                      \
        for (; i < n; i += 4) {                                                                \
            double buf[4] = {0, 0, 0, 0};                                                      \
            ptrdiff_t m = n - i < 4 ? n - i : 4;                                               \
            memcpy(buf, x + i, (size_t)m * sizeof(double));                                   \
            _mm256_storeu_pd(buf, VEC_D(_mm256_loadu_pd(buf)));                                \
            memcpy(y + i, buf, (size_t)m * sizeof(double));                                   \
        }                                                                                      \
    }                                                                                          \
    static VM_AVX2_FN void NAME_F##_avx2(const float *x, float *y, ptrdiff_t n) {             \
        ptrdiff_t i = 0;                                                                       \
        for (; i + 8 <= n; i += 8) {                                                           \
            __m256 v = _mm256_loadu_ps(x + i);                                                 \
            __m256d a = _mm256_cvtps_pd(_mm256_castps256_ps128(v));                            \
            __m256d b = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));                          \
            a = VEC_F(a);                                                                      \
            b = VEC_F(b);                                                                      \
            _mm256_storeu_ps(y + i, _mm256_set_m128(_mm256_cvtpd_ps(b), _mm256_cvtpd_ps(a)));  \
        }                                                                                      \
        for (; i < n; i += 4) {                                                                \
            float buf[4] = {0, 0, 0, 0};                                                       \
            ptrdiff_t m = n - i < 4 ? n - i : 4;                                               \
            memcpy(buf, x + i, (size_t)m * sizeof(float));                                    \
            _mm_storeu_ps(buf, _mm256_cvtpd_ps(VEC_F(_mm256_cvtps_pd(_mm_loadu_ps(buf)))));    \
            memcpy(y + i, buf, (size_t)m * sizeof(float));                                    \
        }                                                                                      \
    }
#define WT_DISPATCH(NAME, T)                                                                   \
    static void NAME##_part(void *context, ptrdiff_t begin, ptrdiff_t end) {                   \
        const wt_array_job *j = context;                                                       \
        const T *x = (const T *)j->x + begin;                                                  \
        T *y = (T *)j->y + begin;                                                              \
        if (wt_active_isa() >= WT_ISA_AVX2_FMA) NAME##_avx2(x, y, end - begin);                \
        else NAME##_portable(x, y, end - begin);                                               \
    }                                                                                          \
    void NAME(const T *x, T *y, ptrdiff_t n) {                                                 \
        wt_array_job j = {x, y};                                                               \
        wt_parallel_for(n, WT_ARRAY_GRAIN, NAME##_part, &j);                                   \
    }
#define WT_ARRAY_KERNELS(NAME_D, NAME_F, SCALAR_D, SCALAR_F, VEC_D, VEC_F)                     \
    WT_PORTABLE_KERNELS(NAME_D, NAME_F, SCALAR_D, SCALAR_F)                                    \
    WT_AVX2_KERNELS(NAME_D, NAME_F, VEC_D, VEC_F)                                              \
    WT_DISPATCH(NAME_D, double)                                                                \
    WT_DISPATCH(NAME_F, float)
#else
#define WT_DISPATCH(NAME, T)                                                                   \
    static void NAME##_part(void *context, ptrdiff_t begin, ptrdiff_t end) {                   \
        const wt_array_job *j = context;                                                       \
        NAME##_portable((const T *)j->x + begin, (T *)j->y + begin, end - begin);              \
    }                                                                                          \
    void NAME(const T *x, T *y, ptrdiff_t n) {                                                 \
        wt_array_job j = {x, y};                                                               \
        wt_parallel_for(n, WT_ARRAY_GRAIN, NAME##_part, &j);                                   \
    }
#define WT_ARRAY_KERNELS(NAME_D, NAME_F, SCALAR_D, SCALAR_F, VEC_D, VEC_F)                     \
    WT_PORTABLE_KERNELS(NAME_D, NAME_F, SCALAR_D, SCALAR_F)                                    \
    WT_DISPATCH(NAME_D, double)                                                                \
    WT_DISPATCH(NAME_F, float)
#endif

#endif
