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
// The AVX2 path and the portable path perform the same float operations in the same order,
// with explicit fused multiply-adds in both (fmaf in the portable one), so their results are
// identical bit for bit; the AVX2 loop hands its last n mod 8 elements to the portable code.
#include "kernels_relevance.h"
#include "blocked_sum.h"
#include "kernels_dispatch.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#include "vmathf_core.h"

#define RF_K1 0.63576f
#define RF_K2 1.87320f
#define RF_K3 1.48695f
#define RF_ARD_QMAX 0x1p100f  // the ARD short chain runs below this q = 1/α

// ---------------------------------------------------------------- scalar (portable) path

/// The chain for n elements. value may be NULL; acc (8 doubles, or NULL) receives the value of
/// element i in acc[i mod 8]; the derivatives are multiplied by scale (1 leaves them exact).
static void kl_real_f32_scalar(wt_kl_prior prior, const float *ls, const float *w, float *value,
                               float *d_ls, float *d_w, ptrdiff_t n, float scale, double *acc) {
    const int vd = prior == WT_KL_REAL_VD, grad = d_ls != NULL && d_w != NULL;
    for (ptrdiff_t i = 0; i < n; i++) {
        float wi = w[i];
        float t = fabsf(wi) + 1e-12f;
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

// ---------------------------------------------------------------- AVX2/FMA path (8 lanes)

#if RF_X86
/// x where w > 0, −x where w < 0, and w·0 (a signed zero or NaN) elsewhere: sign(w)·x as the scalar code takes it.
RF_AVX2 static inline V8 rf8_signed_by(V8 w, V8 x) {
    const V8 zero = _mm256_setzero_ps();
    return rf8_sel(_mm256_cmp_ps(w, zero, _CMP_GT_OQ), x,
                   rf8_sel(_mm256_cmp_ps(w, zero, _CMP_LT_OQ), _mm256_xor_ps(x, rf8_c(-0.0f)), _mm256_mul_ps(w, zero)));
}

/// Adds the 8 float values to the lane sums (lanes 0–3 in lo, 4–7 in hi), each widened to double.
RF_AVX2 static inline void rf8_accumulate(__m256d *lo, __m256d *hi, V8 val) {
    *lo = _mm256_add_pd(*lo, _mm256_cvtps_pd(_mm256_castps256_ps128(val)));
    *hi = _mm256_add_pd(*hi, _mm256_cvtps_pd(_mm256_extractf128_ps(val, 1)));
}

RF_AVX2 static void kl_real_f32_avx2(wt_kl_prior prior, const float *ls, const float *w, float *value,
                                     float *d_ls, float *d_w, ptrdiff_t n, float scale, double *acc) {
    const int vd = prior == WT_KL_REAL_VD, grad = d_ls != NULL && d_w != NULL;
    const V8 zero = _mm256_setzero_ps(), one = rf8_c(1.0f), half = rf8_c(0.5f), twenty = rf8_c(20.0f);
    const V8 vscale = rf8_c(scale);
    __m256d acc_lo = _mm256_setzero_pd(), acc_hi = _mm256_setzero_pd();
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        V8 wi = _mm256_loadu_ps(w + i);
        V8 t = _mm256_add_ps(rf8_abs(wi), rf8_c(1e-12f));
        if (!vd) {
            V8 el = rf8_exp(_mm256_xor_ps(_mm256_loadu_ps(ls + i), rf8_c(-0.0f)));
            V8 te = _mm256_mul_ps(t, el), q = _mm256_mul_ps(te, t);
            if (_mm256_movemask_ps(_mm256_cmp_ps(q, rf8_c(RF_ARD_QMAX), _CMP_LT_OQ)) == 0xFF) {
                V8 u = _mm256_add_ps(one, q), inv = _mm256_div_ps(one, u);
                V8 l1p = _mm256_add_ps(rf8_log(u), _mm256_mul_ps(_mm256_sub_ps(q, _mm256_sub_ps(u, one)), inv));
                V8 val = _mm256_mul_ps(half, l1p);
                if (value) _mm256_storeu_ps(value + i, val);
                if (acc) rf8_accumulate(&acc_lo, &acc_hi, val);
                if (grad) {
                    V8 dl = _mm256_xor_ps(_mm256_mul_ps(half, _mm256_mul_ps(q, inv)), rf8_c(-0.0f));
                    _mm256_storeu_ps(d_ls + i, _mm256_mul_ps(dl, vscale));
                    _mm256_storeu_ps(d_w + i, _mm256_mul_ps(rf8_signed_by(wi, _mm256_mul_ps(te, inv)), vscale));
                }
                continue;
            }
            // Some lane needs the general chain: these 8 go through the portable code, which picks
            // per element; their values join the lane sums in the same order as a portable run.
            double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            kl_real_f32_scalar(prior, ls + i, w + i, value ? value + i : NULL, grad ? d_ls + i : NULL,
                               grad ? d_w + i : NULL, 8, scale, acc ? part : NULL);
            if (acc) {
                acc_lo = _mm256_add_pd(acc_lo, _mm256_loadu_pd(part));
                acc_hi = _mm256_add_pd(acc_hi, _mm256_loadu_pd(part + 4));
            }
            continue;
        }
        V8 nn = _mm256_sub_ps(_mm256_mul_ps(rf8_c(2.0f), rf8_log(t)), _mm256_loadu_ps(ls + i));
        V8 e = rf8_exp(_mm256_xor_ps(rf8_abs(nn), rf8_c(-0.0f)));
        V8 ope = _mm256_add_ps(one, e), inv = _mm256_div_ps(one, ope);
        V8 l1p = _mm256_add_ps(rf8_log(ope), _mm256_mul_ps(_mm256_sub_ps(e, _mm256_sub_ps(ope, one)), inv));
        V8 over = _mm256_cmp_ps(nn, twenty, _CMP_GT_OQ);
        V8 pos = _mm256_cmp_ps(nn, zero, _CMP_GT_OQ);
        V8 sp = rf8_sel(over, nn, _mm256_add_ps(rf8_sel(pos, nn, zero), l1p));
        V8 nonneg = _mm256_cmp_ps(nn, zero, _CMP_GE_OQ);
        V8 dsp = rf8_sel(over, one, _mm256_mul_ps(rf8_sel(nonneg, one, e), inv));
        V8 val = _mm256_mul_ps(half, sp);
        V8 da = _mm256_xor_ps(_mm256_mul_ps(half, dsp), rf8_c(-0.0f));
        if (vd) {
            V8 u = _mm256_sub_ps(_mm256_mul_ps(rf8_c(RF_K3), nn), rf8_c(RF_K2));
            V8 e2 = rf8_exp(_mm256_xor_ps(rf8_abs(u), rf8_c(-0.0f)));
            V8 inv2 = _mm256_div_ps(one, _mm256_add_ps(one, e2));
            V8 s = _mm256_mul_ps(rf8_sel(_mm256_cmp_ps(u, zero, _CMP_GE_OQ), one, e2), inv2);
            val = _mm256_add_ps(val, _mm256_mul_ps(rf8_c(RF_K1), s));
            V8 ds = _mm256_mul_ps(_mm256_mul_ps(e2, inv2), inv2);
            V8 sum = _mm256_add_ps(_mm256_mul_ps(half, dsp), _mm256_mul_ps(rf8_c(RF_K1), _mm256_mul_ps(rf8_c(RF_K3), ds)));
            da = _mm256_xor_ps(sum, rf8_c(-0.0f));
        }
        if (value) _mm256_storeu_ps(value + i, val);
        if (acc) rf8_accumulate(&acc_lo, &acc_hi, val);
        if (grad) {
            V8 q = rf8_signed_by(wi, _mm256_div_ps(one, t));
            _mm256_storeu_ps(d_ls + i, _mm256_mul_ps(da, vscale));
            _mm256_storeu_ps(d_w + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(rf8_c(-2.0f), da), q), vscale));
        }
    }
    if (acc) {
        double lanes[8];
        _mm256_storeu_pd(lanes, acc_lo);
        _mm256_storeu_pd(lanes + 4, acc_hi);
        for (int l = 0; l < 8; l++) acc[l] += lanes[l];
    }
    if (i < n)  // i is a multiple of 8: the tail's element j lands in acc[j mod 8] as in the scalar run
        kl_real_f32_scalar(prior, ls + i, w + i, value ? value + i : NULL, grad ? d_ls + i : NULL, grad ? d_w + i : NULL,
                           n - i, scale, acc);
}
#endif

static void kl_real_f32(wt_kl_prior prior, const float *ls, const float *w, float *value, float *d_ls, float *d_w,
                        ptrdiff_t n, float scale, double *acc) {
#if RF_X86
    if (wt_active_isa() >= WT_ISA_AVX2_FMA) {
        kl_real_f32_avx2(prior, ls, w, value, d_ls, d_w, n, scale, acc);
        return;
    }
#endif
    kl_real_f32_scalar(prior, ls, w, value, d_ls, d_w, n, scale, acc);
}

void wt_kl_real_f32(wt_kl_prior prior, const float *log_sigma2, const float *w, float *value,
                    float *d_ls, float *d_w, ptrdiff_t n) {
    kl_real_f32(prior, log_sigma2, w, value, d_ls, d_w, n, 1.0f, NULL);
}

typedef struct {
    wt_kl_prior prior;
    const float *ls, *w;
    float *d_ls, *d_w;
    float scale;
} kl_real_sum_job;

static void kl_real_sum_block(void *context, ptrdiff_t s, ptrdiff_t count, double *acc) {
    const kl_real_sum_job *j = context;
    kl_real_f32(j->prior, j->ls + s, j->w + s, NULL, j->d_ls ? j->d_ls + s : NULL, j->d_w ? j->d_w + s : NULL, count,
                j->scale, acc);
}

double wt_kl_real_sum_f32(wt_kl_prior prior, const float *log_sigma2, const float *w, double scale,
                          float *d_ls, float *d_w, ptrdiff_t n) {
    kl_real_sum_job j = {prior, log_sigma2, w, d_ls, d_w, (float)scale};
    return scale * wt_blocked_sum(n, 8, kl_real_sum_block, &j);
}
