// The complex KL priors (WT_KL_CPLX_VD, WT_KL_CPLX_VD_BOGUS, WT_KL_CPLX_ARD) of float weights,
// evaluated in float: wt_kl_cplx_f32 and wt_kl_cplx_sum_f32 (the double ones are in relevance.c).
//
// With m = |w|, t = m + 1e-12, a = log α = log σ² − 2·log t and x = 1/α = e^{−a}:
//
//   VD:   KL = γ − a − Ei(−x) = −Σ_{k≥1} (−x)^k / (k·k!)          for x < 2 (15 terms, Horner)
//                             = γ − a + e^{−x}/x · g(4/x − 1)      for x ≥ 2, g(u) = x·eˣ·E1(x)
//         (g: degree-9 fit, Sources/Kernels/tools/gen_e1_float_poly.py; its error is below 2⁻²⁴
//         of the value), ∂KL/∂a = expm1(−x) = −x·Σ_{k≥0} (−x)^k/(k+1)! for x < ½, e^{−x} − 1 above
//   bogus: value −a, derivative that of VD
//   ARD:  KL = softplus(−a) (as the real ARD, without the ½); where |w| takes the float form below
//         and q = 1/α = t·e^{−log σ²}·t < 2¹⁰⁰, the short chain of the real ARD (relevance_f32.c):
//         KL = log(1 + q) (log of the rounded u = 1 + q plus (q − (u − 1))/u), ∂KL/∂log σ² =
//         −q/(1 + q), ∂/∂re = re·k with k = 2·(t·e^{−log σ²}/(1 + q))/m: one exp and one log instead of
//         two logs and an exp (every element took the general chain until session 10)
//   ∂/∂log σ² = ∂KL/∂a,  ∂/∂re = −2·(∂KL/∂a)·(re/m)/t  (0 at m = 0), likewise im.
//
// m is √s in float with s = re² + im² rounded twice (im², then the fused re·re + im²; |Δs| < 2⁻²³·s,
// so m is within 1 float ulp of |w|), and ∂/∂re = re·k, k = −2·(∂KL/∂a)/(m·t): one square root and
// one division. Where s < 2⁻¹⁰⁰ (|w| < 2⁻⁵⁰: an underflowed im² or m·t could lose bits), s = +inf
// (|w| ≥ 2⁶⁴) or NaN, m is the double evaluation rounded once (no overflow) and the derivatives are
// −2·(∂KL/∂a)·(1/t)·(re/m). Until session 10 every element took that second form (two double square
// roots and three divisions per 16 lanes more, AVX-512 ~15 % of the chain).
//
// The vector paths (one body, relevance_cplx_f32_vec.h, for AVX2 with 8 lanes and AVX-512 with 16)
// and the portable path do the same float operations in the same order (fmaf in the portable one),
// so they give identical bits.
#include "kernels_relevance.h"
#include "kernels_gemm.h"  // wt_get_num_threads
#include <stdlib.h>
#include "kernels_constants.h"
#include "blocked_sum.h"
#include "kl_sum_job.h"

/// A KL sum started by a _begin function (kernels_relevance.h).
struct wt_kl_sum_task {
    wt_background_sum *sum;
    double scale;
};
#include "kernels_dispatch.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#include "vmathf_core.h"

#define RC_GAMMA ((float)WT_EULER_GAMMA)
#define RC_EPS ((float)WT_LOG_MODULUS_EPS)
// re² + im² from which the modulus is taken in float: below (m < 2⁻⁵⁰, where an underflowed
// im² could matter and m·t would lose bits) or at +inf and NaN, the double evaluation.
#define RC_S_MIN 0x1p-100f
#define RC_ARD_QMAX 0x1p100f  // the ARD short chain runs below this q = 1/α
// (−1)^{k+1} / (k·k!), k = 1…15: the series of the VD divergence
static const float rc_series[15] = {
    1.000000000e+00f, -2.500000000e-01f, 5.555555556e-02f, -1.041666667e-02f, 1.666666667e-03f,
    -2.314814815e-04f, 2.834467120e-05f, -3.100198413e-06f, 3.061924358e-07f, -2.755731922e-08f,
    2.277464399e-09f, -1.739729749e-10f, 1.235311064e-11f, -8.193389713e-13f, 5.098109155e-14f};
// (−1)^k / (k+1)!, k = 0…9: expm1(−x) = −x·Σ c_k x^k
static const float rc_expm1[10] = {
    1.000000000e+00f, -5.000000000e-01f, 1.666666667e-01f, -4.166666667e-02f, 8.333333333e-03f,
    -1.388888889e-03f, 1.984126984e-04f, -2.480158730e-05f, 2.755731922e-06f, -2.755731922e-07f};
// g(u) = x·eˣ·E1(x), u = 4/x − 1 ∈ (−1, 1], lowest degree first
static const float rc_e1[10] = {
    8.253828081e-01f, -1.269137130e-01f, 3.149419059e-02f, -9.890259790e-03f, 3.682993443e-03f,
    -1.528192142e-03f, 4.437075753e-04f, -1.476602548e-04f, 3.246594248e-04f, -1.914749352e-04f};

static inline float rc_horner(const float *c, int n, float x) {
    float p = c[n - 1];
    for (int i = n - 2; i >= 0; i--) p = fmaf(p, x, c[i]);
    return p;
}

/// n elements; value may be NULL; acc (8 doubles or NULL) gets element i's value in acc[i mod 8];
/// the derivatives are multiplied by scale.
static void kl_cplx_f32_scalar(wt_kl_prior prior, const float *ls, const float *re, const float *im, float *value,
                               float *d_ls, float *d_re, float *d_im, ptrdiff_t n, float scale, double *acc) {
    const int grad = d_ls != NULL && d_re != NULL && d_im != NULL;
    for (ptrdiff_t i = 0; i < n; i++) {
        float r = re[i], q = im[i];
        float s = fmaf(r, r, q * q);
        int fast = s >= RC_S_MIN && s < INFINITY;
        float m = fast ? sqrtf(s) : (float)sqrt((double)r * (double)r + (double)q * (double)q);
        float t = m + RC_EPS;
        if (prior == WT_KL_CPLX_ARD && fast) {  // the short chain (see the top of the file)
            float el = rf_exp(-ls[i]), te = t * el, p = te * t;
            if (p < RC_ARD_QMAX) {
                float u = 1.0f + p, inv = 1.0f / u;
                float val = rf_log(u) + (p - (u - 1.0f)) * inv;
                if (value) value[i] = val;
                if (acc) acc[i & 7] += (double)val;
                if (grad) {
                    float k = (2.0f * (te * inv)) / m;
                    d_ls[i] = -(p * inv) * scale;
                    d_re[i] = (r * k) * scale;
                    d_im[i] = (q * k) * scale;
                }
                continue;
            }
        }
        float a = ls[i] - 2.0f * rf_log(t);
        float val, da;
        if (prior == WT_KL_CPLX_ARD) {
            float nn = -a;
            float e = rf_exp(-fabsf(nn));
            float ope = 1.0f + e, inv = 1.0f / ope;
            float l1p = rf_log(ope) + (e - (ope - 1.0f)) * inv;
            val = nn > 20.0f ? nn : (nn > 0.0f ? nn : 0.0f) + l1p;
            da = -(nn > 20.0f ? 1.0f : (nn >= 0.0f ? 1.0f : e) * inv);
        } else {
            float x = rf_exp(-a);
            float ex = rf_exp(-x);
            float series = x * rc_horner(rc_series, 15, x);
            float ix = 1.0f / x;
            float tail = (RC_GAMMA - a) + (ex * ix) * rc_horner(rc_e1, 10, 4.0f * ix - 1.0f);
            val = prior == WT_KL_CPLX_VD_BOGUS ? -a : (x < 2.0f ? series : tail);
            da = x < 0.5f ? -x * rc_horner(rc_expm1, 10, x) : ex - 1.0f;
        }
        if (value) value[i] = val;
        if (acc) acc[i & 7] += (double)val;
        if (grad) {
            d_ls[i] = da * scale;
            if (fast) {
                float k = (-2.0f * da) / (m * t);
                d_re[i] = (r * k) * scale;
                d_im[i] = (q * k) * scale;
            } else {
                float cr = m > 0.0f ? r / m : (m == 0.0f ? 0.0f : m);
                float ci = m > 0.0f ? q / m : (m == 0.0f ? 0.0f : m);
                float f = (-2.0f * da) * (1.0f / t);
                d_re[i] = (f * cr) * scale;
                d_im[i] = (f * ci) * scale;
            }
        }
    }
}

// ---------------------------------------------------------------- vector paths
// relevance_cplx_f32_vec.h written once, instantiated for AVX2/FMA (8 lanes) and AVX-512 (16 lanes).

#define KV_HEADER "relevance_cplx_f32_vec.h"
#define KV_BASE kl_cplx_f32
#include "relevance_vec_tiers.h"

typedef void (*kl_cplx_f32_fn)(wt_kl_prior, const float *, const float *, const float *, float *, float *, float *,
                               float *, ptrdiff_t, float, double *);
/// The chain of each tier, indexed by wt_active_isa().
#if WT_X86
static const kl_cplx_f32_fn kl_cplx_f32_tiers[] = {kl_cplx_f32_scalar, kl_cplx_f32_avx2, kl_cplx_f32_avx512};
#else
static const kl_cplx_f32_fn kl_cplx_f32_tiers[] = {kl_cplx_f32_scalar, kl_cplx_f32_scalar, kl_cplx_f32_scalar};
#endif

static void kl_cplx_f32(wt_kl_prior prior, const float *ls, const float *re, const float *im, float *value,
                        float *d_ls, float *d_re, float *d_im, ptrdiff_t n, float scale, double *acc) {
    kl_cplx_f32_tiers[wt_active_isa()](prior, ls, re, im, value, d_ls, d_re, d_im, n, scale, acc);
}

void wt_kl_cplx_f32(wt_kl_prior prior, const float *log_sigma2, const float *re, const float *im, float *value,
                    float *d_ls, float *d_re, float *d_im, ptrdiff_t n) {
    kl_cplx_f32(prior, log_sigma2, re, im, value, d_ls, d_re, d_im, n, 1.0f, NULL);
}

KL_SUM_JOB(kl_cplx_sum_job, float);
KL_CPLX_SUM_BLOCK(kl_cplx_sum_block, kl_cplx_sum_job, kl_cplx_f32)

double wt_kl_cplx_sum_f32(wt_kl_prior prior, const float *log_sigma2, const float *re, const float *im, double scale,
                          float *d_ls, float *d_re, float *d_im, ptrdiff_t n) {
    kl_cplx_sum_job j = {prior, log_sigma2, re, im, d_ls, d_re, d_im, (float)scale};
    return scale * wt_blocked_sum(n, 8, kl_cplx_sum_block, &j);
}

wt_kl_sum_task *wt_kl_cplx_sum_f32_begin(wt_kl_prior prior, const float *log_sigma2, const float *re, const float *im,
                                         double scale, float *d_ls, float *d_re, float *d_im, ptrdiff_t n) {
    if (wt_get_num_threads() <= 1) return NULL;  // no idle thread to run it
    kl_cplx_sum_job j = {prior, log_sigma2, re, im, d_ls, d_re, d_im, (float)scale};
    wt_background_sum *sum = wt_blocked_sum_begin(n, 8, kl_cplx_sum_block, &j, sizeof j);
    if (!sum) return NULL;
    wt_kl_sum_task *task = malloc(sizeof *task);
    if (!task) {  // (out of memory: finish it now)
        wt_blocked_sum_end(sum);
        return NULL;
    }
    task->sum = sum;
    task->scale = scale;
    return task;
}

double wt_kl_sum_end(wt_kl_sum_task *task) {
    double total = task->scale * wt_blocked_sum_end(task->sum);
    free(task);
    return total;
}
