// Private building blocks shared by vmath.c and expi.c: scalar (portable) versions of exp, log
// and friends, their vector forms (vmath_vec.h, instantiated for AVX2/FMA and AVX-512), plus the
// macros that stamp out the array kernels with runtime dispatch. Everything is computed in double; the float kernels widen to
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

#include "tiers.h"

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

// ---------------------------------------------------------------- vector cores
// vmath_vec.h written once, instantiated for AVX2/FMA (vm4_*, 4 doubles) and AVX-512 (vm8_*, 8 doubles).
#if WT_X86
#define VM_AVX2 static inline __attribute__((always_inline)) WT_TARGET_AVX2

#define VV_W 4
#define VV(x) vm4_##x
#define VV_ATTR VM_AVX2
#include "vmath_vec.h"
#undef VV_W
#undef VV
#undef VV_ATTR

#define VV_W 8
#define VV(x) vm8_##x
#define VV_ATTR static inline __attribute__((always_inline)) WT_TARGET_AVX512
#include "vmath_vec.h"
#undef VV_W
#undef VV
#undef VV_ATTR
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

/// The array entry point NAME: the active tier's kernel (WT_PICK of NAME##_portable, AVX2, AVX512;
/// the vector names are not used off x86) applied to each range of the thread split.
#define WT_DISPATCH(NAME, T, AVX2, AVX512)                                                     \
    static void NAME##_part(void *context, ptrdiff_t begin, ptrdiff_t end) {                   \
        const wt_array_job *j = context;                                                       \
        WT_PICK(NAME##_portable, AVX2, AVX512)((const T *)j->x + begin, (T *)j->y + begin, end - begin); \
    }                                                                                          \
    void NAME(const T *x, T *y, ptrdiff_t n) {                                                 \
        wt_array_job j = {x, y};                                                               \
        wt_parallel_for(n, WT_ARRAY_GRAIN, NAME##_part, &j);                                   \
    }

#if WT_X86
/// NAME_D##_##TIER / NAME_F##_##TIER over the vector functions PFX##_##VEC_D / PFX##_##VEC_F of
/// one tier (PFX vm4: 4 lanes, vm8: 8 lanes); floats are widened to double lane by lane and rounded once.
#define WT_VEC_KERNELS(NAME_D, NAME_F, VEC_D, VEC_F, TIER, PFX, W, ATTR)                      \
    static ATTR void NAME_D##_##TIER(const double *x, double *y, ptrdiff_t n) {               \
        ptrdiff_t i = 0;                                                                       \
        for (; i + 2 * (W) <= n; i += 2 * (W)) {                                               \
            PFX##_d a = *(const PFX##_ud *)(x + i), b = *(const PFX##_ud *)(x + i + (W));      \
            a = VEC_D(a);                                                                      \
            b = VEC_D(b);                                                                      \
            *(PFX##_ud *)(y + i) = a;                                                          \
            *(PFX##_ud *)(y + i + (W)) = b;                                                    \
        }                                                                                      \
        for (; i < n; i += (W)) {                                                              \
            double buf[W] __attribute__((aligned(64))) = {0};                                  \
            ptrdiff_t m = n - i < (W) ? n - i : (W);                                           \
            memcpy(buf, x + i, (size_t)m * sizeof(double));                                   \
            *(PFX##_d *)buf = VEC_D(*(PFX##_d *)buf);                                          \
            memcpy(y + i, buf, (size_t)m * sizeof(double));                                   \
        }                                                                                      \
    }                                                                                          \
    static ATTR void NAME_F##_##TIER(const float *x, float *y, ptrdiff_t n) {                 \
        ptrdiff_t i = 0;                                                                       \
        for (; i + 2 * (W) <= n; i += 2 * (W)) {                                               \
            PFX##_d a = __builtin_convertvector(*(const PFX##_f *)(x + i), PFX##_d);           \
            PFX##_d b = __builtin_convertvector(*(const PFX##_f *)(x + i + (W)), PFX##_d);     \
            *(PFX##_f *)(y + i) = __builtin_convertvector(VEC_F(a), PFX##_f);                  \
            *(PFX##_f *)(y + i + (W)) = __builtin_convertvector(VEC_F(b), PFX##_f);            \
        }                                                                                      \
        for (; i < n; i += (W)) {                                                              \
            float buf[W] __attribute__((aligned(64))) = {0};                                   \
            ptrdiff_t m = n - i < (W) ? n - i : (W);                                           \
            memcpy(buf, x + i, (size_t)m * sizeof(float));                                    \
            PFX##_d v = __builtin_convertvector(*(const PFX##_f *)buf, PFX##_d);               \
            *(PFX##_f *)buf = __builtin_convertvector(VEC_F(v), PFX##_f);                      \
            memcpy(y + i, buf, (size_t)m * sizeof(float));                                    \
        }                                                                                      \
    }
/// Array kernels at every tier; VEC_D / VEC_F are base names (exp → vm4_exp, vm8_exp).
#define WT_ARRAY_KERNELS(NAME_D, NAME_F, SCALAR_D, SCALAR_F, VEC_D, VEC_F)                     \
    WT_PORTABLE_KERNELS(NAME_D, NAME_F, SCALAR_D, SCALAR_F)                                    \
    WT_VEC_KERNELS(NAME_D, NAME_F, vm4_##VEC_D, vm4_##VEC_F, avx2, vm4, 4, WT_TARGET_AVX2)         \
    WT_VEC_KERNELS(NAME_D, NAME_F, vm8_##VEC_D, vm8_##VEC_F, avx512, vm8, 8, WT_TARGET_AVX512)     \
    WT_DISPATCH(NAME_D, double, NAME_D##_avx2, NAME_D##_avx512)                                \
    WT_DISPATCH(NAME_F, float, NAME_F##_avx2, NAME_F##_avx512)
/// Array kernels at every tier over vector functions given by their full names (4 and 8 lanes).
#define WT_ARRAY_KERNELS_NAMED(NAME_D, NAME_F, SCALAR_D, SCALAR_F, VEC4_D, VEC4_F, VEC8_D, VEC8_F) \
    WT_PORTABLE_KERNELS(NAME_D, NAME_F, SCALAR_D, SCALAR_F)                                    \
    WT_VEC_KERNELS(NAME_D, NAME_F, VEC4_D, VEC4_F, avx2, vm4, 4, WT_TARGET_AVX2)               \
    WT_VEC_KERNELS(NAME_D, NAME_F, VEC8_D, VEC8_F, avx512, vm8, 8, WT_TARGET_AVX512)           \
    WT_DISPATCH(NAME_D, double, NAME_D##_avx2, NAME_D##_avx512)                                \
    WT_DISPATCH(NAME_F, float, NAME_F##_avx2, NAME_F##_avx512)
#else
#define WT_ARRAY_KERNELS(NAME_D, NAME_F, SCALAR_D, SCALAR_F, VEC_D, VEC_F)                     \
    WT_PORTABLE_KERNELS(NAME_D, NAME_F, SCALAR_D, SCALAR_F)                                    \
    WT_DISPATCH(NAME_D, double, NAME_D##_avx2, NAME_D##_avx512)                                \
    WT_DISPATCH(NAME_F, float, NAME_F##_avx2, NAME_F##_avx512)
#define WT_ARRAY_KERNELS_NAMED(NAME_D, NAME_F, SCALAR_D, SCALAR_F, VEC4_D, VEC4_F, VEC8_D, VEC8_F) \
    WT_ARRAY_KERNELS(NAME_D, NAME_F, SCALAR_D, SCALAR_F, VEC4_D, VEC4_F)
#endif

#endif
