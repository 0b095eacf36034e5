// The real KL priors (WT_KL_REAL_VD, WT_KL_REAL_ARD) of float weights, evaluated in float.
//
// wt_kl_real_f32 is the hot loop of every real Bayesian layer's penalty (one call per weight per
// training step). The double kernel of relevance.c widens to 4 double lanes and calls the array
// kernels once per transcendental; this one keeps 8 float lanes through the whole chain
//
//   t = |w| + 1e-12,  L = log t,  n = 2L − log σ²,  e = exp(−|n|),  sp = max(n, 0) + log1p(e),
//   log1p(e) = log u + (e − (u − 1))/u with u = 1 + e rounded, σ(n) = (n ≥ 0 ? 1 : e)/u,
//   ARD: value = ½·sp,                  ∂/∂log σ² = −½·σ(n)
//   VD:  value = ½·sp + k₁·σ(k₃n − k₂),   ∂/∂log σ² = −(½·σ(n) + k₁k₃·σ'(k₃n − k₂))
//   ∂/∂w = −2·(∂/∂log σ²)·sign(w)/t
//
// ARD alone has a shorter chain with one transcendental fewer and no division by t: with the
// reciprocal of α, q = t²·e^(−log σ²) = e^n,
//
//   ARD: value = ½·log(1 + q),  ∂/∂log σ² = −½·q/(1 + q),  ∂/∂w = sign(w)·t·e^(−log σ²)/(1 + q)
//
// used wherever q < 2¹⁰⁰ (elsewhere, including non-finite inputs, the general chain above runs),
//
// with float log and exp of about 1 ulp (Cephes' minimax polynomials, Moshier 1992; the
// constants are in Docs/Kernels-Special.md), and the value is within a few float ulps of the
// exact one (measured in FusedKernelTests against the double kernel).
//
// The vector paths (one body, relevance_f32_vec.h, for AVX2 and AVX-512) and the portable path
// perform the same float operations in the same order, with explicit fused multiply-adds in all
// (fmaf in the portable one), so their results are identical bit for bit; a vector loop hands its
// last n mod W elements to the portable code.
#include "kernels_relevance.h"
#include "kernels_constants.h"
#include "blocked_sum.h"
#include "kl_sum_job.h"
#include "kernels_dispatch.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#include "vmathf_core.h"

#define RF_K1 ((float)WT_KL_K1)
#define RF_K2 ((float)WT_KL_K2)
#define RF_K3 ((float)WT_KL_K3)
#define RF_EPS ((float)WT_LOG_MODULUS_EPS)
#define RF_ARD_QMAX 0x1p100f  // the ARD short chain runs below this q = 1/α

// ---------------------------------------------------------------- scalar (portable) path

/// The chain for n elements. value may be NULL; acc (8 doubles, or NULL) receives the value of
/// element i in acc[i mod 8]; the derivatives are multiplied by scale (1 leaves them exact).
static void kl_real_f32_scalar(wt_kl_prior prior, const float *ls, const float *w, float *value,
                               float *d_ls, float *d_w, ptrdiff_t n, float scale, double *acc) {
    const int vd = prior == WT_KL_REAL_VD, grad = d_ls != NULL && d_w != NULL;
    for (ptrdiff_t i = 0; i < n; i++) {
        float wi = w[i];
        float t = fabsf(wi) + RF_EPS;
        if (!vd) {
            float el = rf_exp(-ls[i]), te = t * el, q = te * t;
            if (q < RF_ARD_QMAX) {
                float u = 1.0f + q, inv = 1.0f / u;
                float val = 0.5f * (rf_log(u) + (q - (u - 1.0f)) * inv);
                if (value) value[i] = val;
                if (acc) acc[i & 7] += (double)val;
                if (grad) {
                    float g = te * inv;
                    d_ls[i] = -(0.5f * (q * inv)) * scale;
                    d_w[i] = (wi > 0.0f ? g : (wi < 0.0f ? -g : wi * 0.0f)) * scale;
                }
                continue;
            }
        }
        float nn = 2.0f * rf_log(t) - ls[i];
        float e = rf_exp(-fabsf(nn));
        float ope = 1.0f + e, inv = 1.0f / ope;  // 1/(1 + e) serves log1p's correction and σ(n)
        float l1p = rf_log(ope) + (e - (ope - 1.0f)) * inv;
        float sp = nn > 20.0f ? nn : (nn > 0.0f ? nn : 0.0f) + l1p;
        float dsp = nn > 20.0f ? 1.0f : (nn >= 0.0f ? 1.0f : e) * inv;
        float val = 0.5f * sp, da = -(0.5f * dsp);
        if (vd) {
            float u = RF_K3 * nn - RF_K2;
            float e2 = rf_exp(-fabsf(u));
            float inv2 = 1.0f / (1.0f + e2);
            float s = (u >= 0.0f ? 1.0f : e2) * inv2;
            val = val + RF_K1 * s;
            float ds = (e2 * inv2) * inv2;
            da = -(0.5f * dsp + RF_K1 * (RF_K3 * ds));
        }
        if (value) value[i] = val;
        if (acc) acc[i & 7] += (double)val;
        if (grad) {
            float q = wi > 0.0f ? 1.0f / t : (wi < 0.0f ? -1.0f / t : wi * 0.0f);
            d_ls[i] = da * scale;
            d_w[i] = ((-2.0f * da) * q) * scale;
        }
    }
}

// ---------------------------------------------------------------- vector paths
// relevance_f32_vec.h written once, instantiated for AVX2/FMA (8 lanes) and AVX-512 (16 lanes).

#define KV_HEADER "relevance_f32_vec.h"
#define KV_BASE kl_real_f32
#include "relevance_vec_tiers.h"

typedef void (*kl_real_f32_fn)(wt_kl_prior, const float *, const float *, float *, float *, float *, ptrdiff_t,
                               float, double *);
/// The chain of each tier, indexed by wt_active_isa().
#if WT_X86
static const kl_real_f32_fn kl_real_f32_tiers[] = {kl_real_f32_scalar, kl_real_f32_avx2, kl_real_f32_avx512};
#else
static const kl_real_f32_fn kl_real_f32_tiers[] = {kl_real_f32_scalar, kl_real_f32_scalar, kl_real_f32_scalar};
#endif

static void kl_real_f32(wt_kl_prior prior, const float *ls, const float *w, float *value, float *d_ls, float *d_w,
                        ptrdiff_t n, float scale, double *acc) {
    kl_real_f32_tiers[wt_active_isa()](prior, ls, w, value, d_ls, d_w, n, scale, acc);
}

void wt_kl_real_f32(wt_kl_prior prior, const float *log_sigma2, const float *w, float *value,
                    float *d_ls, float *d_w, ptrdiff_t n) {
    kl_real_f32(prior, log_sigma2, w, value, d_ls, d_w, n, 1.0f, NULL);
}

KL_SUM_JOB(kl_real_sum_job, float);
KL_REAL_SUM_BLOCK(kl_real_sum_block, kl_real_sum_job, kl_real_f32)

double wt_kl_real_sum_f32(wt_kl_prior prior, const float *log_sigma2, const float *w, double scale,
                          float *d_ls, float *d_w, ptrdiff_t n) {
    kl_real_sum_job j = {prior, log_sigma2, w, NULL, d_ls, d_w, NULL, (float)scale};
    return scale * wt_blocked_sum(n, 8, kl_real_sum_block, &j);
}
