// Fused elementwise chains of the Bayesian layers (kernels_relevance.h).
//
// The penalties run in blocks of RB elements: the inputs are widened to double on the stack, the
// transcendental steps call the dispatching array kernels of vmath.c and expi.c on the whole block
// (so they take the AVX2/FMA or the portable path per wt_active_isa()), and the glue between them
// is plain C loops. The reparameterisation tail is a plain loop instantiated twice (portable and
// inside an AVX2 function), with contraction off so that both paths round like the unfused ops.
#include "kernels_relevance.h"
#include "kernels_constants.h"
#include "blocked_sum.h"
#include "kl_sum_job.h"
#include "kernels_parallel.h"
#include "kernels_dispatch.h"
#include "kernels_special.h"
#include "kernels_vmath.h"
#include <math.h>
#include <string.h>


// sqrt without errno (a libm call that may set errno blocks vectorisation): the correctly rounded
// IEEE square root either way.
#if defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_sqrt)
#define RL_SQRT_D(x) __builtin_elementwise_sqrt(x)
#define RL_SQRT_F(x) __builtin_elementwise_sqrt(x)
#endif
#endif
#ifndef RL_SQRT_D
#define RL_SQRT_D(x) sqrt(x)
#define RL_SQRT_F(x) sqrtf(x)
#endif

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#include "tiers.h"
#define RL_PICK(PRE) WT_PICK(PRE##_portable, PRE##_avx2, PRE##_avx512)

#define RB 256
// The block glue is inlined into a portable and an AVX2 instance of each public kernel, so the
// compiler vectorises it for the active ISA (contraction stays off: both give the same bits).
#define RL_INLINE static inline __attribute__((always_inline))

// ---------------------------------------------------------------- priors of log alpha (double blocks)

/// softplus(n) and its derivative for n = -a, with the threshold 20 of the Ops softplus.
RL_INLINE void softplus_block(const double *a, double *sp, double *dsp, int cnt, double *tmp) {
    for (int i = 0; i < cnt; i++) tmp[i] = -fabs(a[i]);  // -|n|
    wt_exp_array(tmp, tmp, cnt);                          // e = exp(-|n|)
    wt_log1p_array(tmp, sp, cnt);                         // log1p(e)
    for (int i = 0; i < cnt; i++) {
        double n = -a[i], e = tmp[i];
        sp[i] = n > 20 ? n : (n > 0 ? n : 0.0) + sp[i];
        if (dsp) dsp[i] = n > 20 ? 1.0 : (n >= 0 ? 1.0 : e) / (1.0 + e);
    }
}

/// The complex VD divergence of a block of a = log alpha (see wt_cplx_vd_kl_f64); da may be NULL.
RL_INLINE void cplx_vd_block(const double *a, double *val, double *da, int cnt, int bogus) {
    double x[RB], ei[RB], e2[RB], l2[RB];
    double c[15];  // c[k-1] = (-1)^(k+1) / (k k!)
    double fact = 1;
    for (int k = 1; k <= 15; k++) {
        fact *= k;
        c[k - 1] = ((k & 1) ? 1.0 : -1.0) / ((double)k * fact);
    }
    for (int i = 0; i < cnt; i++) x[i] = -a[i];
    wt_exp_array(x, x, cnt);                              // x = e^{-a}
    for (int i = 0; i < cnt; i++) ei[i] = -x[i];
    if (da) {
        wt_exp_array(ei, e2, cnt);                        // e^{-x}
        wt_log_array(e2, l2, cnt);                        // its log, for Kahan's expm1
    }
    if (!bogus) wt_expi_array(ei, ei, cnt);               // Ei(-x)
    for (int i = 0; i < cnt; i++) {
        double xi = x[i];
        if (bogus) {
            val[i] = -a[i];
        } else if (xi < 0.5) {
            // KL = -sum_{k=1..15} (-x)^k / (k k!) = x (1 - x/4 + x^2/18 - ...); the 16th term is
            // below 2^-60 of the sum for x < 1/2. Horner from the smallest coefficient.
            double p = 0;
            for (int k = 14; k >= 0; k--) p = p * xi + c[k];
            val[i] = xi * p;
        } else {
            val[i] = WT_EULER_GAMMA - a[i] - ei[i];
        }
        if (da) {
            // expm1(-x): e^{-x} - 1 is accurate for x >= 1; below, Kahan's (u - 1)·y / log u with
            // u = e^{y}, y = -x, which cancels the rounding of u (u = 1 means |y| < 2^-53).
            double u = e2[i], y = -xi;
            double d;
            if (xi >= 1 || xi != xi) d = u - 1.0;
            else if (u == 1.0) d = y;
            else d = (u - 1.0) * y / l2[i];
            da[i] = d;
        }
    }
}

/// value and d value / d a of a block of a = log alpha for any prior; da may be NULL.
RL_INLINE void prior_block(wt_kl_prior prior, const double *a, double *val, double *da, int cnt) {
    double sp[RB], dsp[RB], tmp[RB];
    switch (prior) {
    case WT_KL_CPLX_VD:
    case WT_KL_CPLX_VD_BOGUS:
        cplx_vd_block(a, val, da, cnt, prior == WT_KL_CPLX_VD_BOGUS);
        return;
    case WT_KL_REAL_ARD:
    case WT_KL_CPLX_ARD: {
        double h = prior == WT_KL_REAL_ARD ? 0.5 : 1.0;
        softplus_block(a, sp, da ? dsp : NULL, cnt, tmp);
        for (int i = 0; i < cnt; i++) {
            val[i] = h * sp[i];
            if (da) da[i] = -(h * dsp[i]);
        }
        return;
    }
    case WT_KL_REAL_VD: {
        double u[RB];
        softplus_block(a, sp, da ? dsp : NULL, cnt, tmp);
        for (int i = 0; i < cnt; i++) u[i] = -fabs(WT_KL_K3 * -a[i] - WT_KL_K2);
        wt_exp_array(u, tmp, cnt);                        // e = exp(-|u|), u = k3 n - k2
        for (int i = 0; i < cnt; i++) {
            double ui = WT_KL_K3 * -a[i] - WT_KL_K2, e = tmp[i];
            double s = (ui >= 0 ? 1.0 : e) / (1.0 + e);   // sigma(u)
            val[i] = 0.5 * sp[i] + WT_KL_K1 * s;
            if (da) {
                double ds = e / ((1.0 + e) * (1.0 + e));  // sigma(u)(1 - sigma(u)), no cancellation
                da[i] = -(0.5 * dsp[i] + WT_KL_K1 * (WT_KL_K3 * ds));
            }
        }
        return;
    }
    }
}

// ---------------------------------------------------------------- the public prior kernels

#if WT_X86
#define RL_TWICE_AS(LINK, NAME, PARAMS, ARGS)                                                  \
    static void NAME##_portable PARAMS { NAME##_body ARGS; }                                   \
    static WT_TARGET_AVX2 void NAME##_avx2 PARAMS { NAME##_body ARGS; }                        \
    static WT_TARGET_AVX512 void NAME##_avx512 PARAMS { NAME##_body ARGS; }                    \
    LINK void NAME PARAMS { RL_PICK(NAME) ARGS; }
#else
#define RL_TWICE_AS(LINK, NAME, PARAMS, ARGS)                                                  \
    LINK void NAME PARAMS { NAME##_body ARGS; }
#endif
#define RL_TWICE(NAME, PARAMS, ARGS) RL_TWICE_AS(, NAME, PARAMS, ARGS)
#define RL_TWICE_STATIC(NAME, PARAMS, ARGS) RL_TWICE_AS(static, NAME, PARAMS, ARGS)
#define RL_REAL_PARAMS(T) (wt_kl_prior prior, const T *ls, const T *w, T *value, T *d_ls, T *d_w, ptrdiff_t n, double scale, double *sum)
#define RL_CPLX_PARAMS(T) (wt_kl_prior prior, const T *ls, const T *re, const T *im, T *value, T *d_ls, T *d_re, T *d_im, ptrdiff_t n, \
                           double scale, double *sum)
#define RL_VD_PARAMS(T) (const T *log_alpha, T *value, T *deriv, ptrdiff_t n, int bogus)

/// The end of a block: the values to value[0..<cnt] (if value ≠ NULL) and added in order to *sum
/// (if sum ≠ NULL).
RL_INLINE void store_values(const double *val, int cnt, double *value, double *sum) {
    if (value)
        for (int i = 0; i < cnt; i++) value[i] = val[i];
    if (sum)
        for (int i = 0; i < cnt; i++) *sum += val[i];
}

/// The prior of a block at a = ls − 2·log t (t in L[0..<cnt], replaced by its log): the values
/// to value / *sum as store_values, the derivatives d/da to da (if da ≠ NULL).
RL_INLINE void prior_at_log(wt_kl_prior prior, const double *ls, double *L, double *a, double *val, double *da,
                            int cnt, double *value, double *sum) {
    wt_log_array(L, L, cnt);
    for (int i = 0; i < cnt; i++) a[i] = ls[i] - 2.0 * L[i];
    prior_block(prior, a, val, da, cnt);
    store_values(val, cnt, value, sum);
}

// Real weight: t = |w| + 1e-12, L = log t, a = ls - 2L, dL/dw = sign(w) / t. value may be NULL;
// *sum (if sum != NULL) gets the values added in order; the derivatives are multiplied by scale
// (1 leaves them as they are).
RL_INLINE void kl_real_f64_body(wt_kl_prior prior, const double *ls, const double *w, double *value, double *d_ls,
                                double *d_w, ptrdiff_t n, double scale, double *sum) {
    double a[RB], L[RB], q[RB], val[RB], da[RB];
    int grad = d_ls != NULL && d_w != NULL;
    for (ptrdiff_t s = 0; s < n; s += RB) {
        int cnt = (int)(n - s < RB ? n - s : RB);
        for (int i = 0; i < cnt; i++) {
            double wi = w[s + i], t = fabs(wi) + WT_LOG_MODULUS_EPS;
            L[i] = t;
            q[i] = wi > 0 ? 1.0 / t : (wi < 0 ? -1.0 / t : wi * 0.0);
        }
        prior_at_log(prior, ls + s, L, a, val, grad ? da : NULL, cnt, value ? value + s : NULL, sum);
        if (grad)
            for (int i = 0; i < cnt; i++) {
                d_ls[s + i] = da[i] * scale;
                d_w[s + i] = -2.0 * da[i] * q[i] * scale;
            }
    }
}

RL_TWICE_STATIC(kl_real_f64, RL_REAL_PARAMS(double), (prior, ls, w, value, d_ls, d_w, n, scale, sum))
void wt_kl_real_f64(wt_kl_prior prior, const double *ls, const double *w, double *value, double *d_ls, double *d_w,
                    ptrdiff_t n) {
    kl_real_f64(prior, ls, w, value, d_ls, d_w, n, 1.0, NULL);
}
KL_SUM_JOB(kl_sum_f64_job, double);
KL_REAL_SUM_BLOCK(kl_real_sum_f64_block, kl_sum_f64_job, kl_real_f64)

double wt_kl_real_sum_f64(wt_kl_prior prior, const double *ls, const double *w, double scale, double *d_ls,
                          double *d_w, ptrdiff_t n) {
    kl_sum_f64_job j = {prior, ls, w, NULL, d_ls, d_w, NULL, scale};
    return scale * wt_blocked_sum(n, 1, kl_real_sum_f64_block, &j);
}
// The float real priors compute in float: relevance_f32.c.

// Complex weight: m = |w|, t = m + 1e-12, dL/d re = re / (m t); value, sum and scale as above.
RL_INLINE void kl_cplx_f64_body(wt_kl_prior prior, const double *ls, const double *re, const double *im, double *value,
                                double *d_ls, double *d_re, double *d_im, ptrdiff_t n, double scale, double *sum) {
    double a[RB], L[RB], q[RB], val[RB], da[RB];
    int grad = d_ls != NULL && d_re != NULL && d_im != NULL;
    for (ptrdiff_t s = 0; s < n; s += RB) {
        int cnt = (int)(n - s < RB ? n - s : RB);
        for (int i = 0; i < cnt; i++) {
            double m = wt_modulus(re[s + i], im[s + i]), t = m + WT_LOG_MODULUS_EPS;
            L[i] = t;
            q[i] = m > 0 ? 1.0 / (m * t) : (m == 0 ? 0.0 : m);
        }
        prior_at_log(prior, ls + s, L, a, val, grad ? da : NULL, cnt, value ? value + s : NULL, sum);
        if (grad)
            for (int i = 0; i < cnt; i++) {
                double f = -2.0 * da[i] * q[i] * scale;
                d_ls[s + i] = da[i] * scale;
                d_re[s + i] = f * re[s + i];
                d_im[s + i] = f * im[s + i];
            }
    }
}

RL_TWICE_STATIC(kl_cplx_f64, RL_CPLX_PARAMS(double), (prior, ls, re, im, value, d_ls, d_re, d_im, n, scale, sum))
void wt_kl_cplx_f64(wt_kl_prior prior, const double *ls, const double *re, const double *im, double *value,
                    double *d_ls, double *d_re, double *d_im, ptrdiff_t n) {
    kl_cplx_f64(prior, ls, re, im, value, d_ls, d_re, d_im, n, 1.0, NULL);
}
KL_CPLX_SUM_BLOCK(kl_cplx_sum_f64_block, kl_sum_f64_job, kl_cplx_f64)

double wt_kl_cplx_sum_f64(wt_kl_prior prior, const double *ls, const double *re, const double *im, double scale,
                          double *d_ls, double *d_re, double *d_im, ptrdiff_t n) {
    kl_sum_f64_job j = {prior, ls, re, im, d_ls, d_re, d_im, scale};
    return scale * wt_blocked_sum(n, 1, kl_cplx_sum_f64_block, &j);
}
// The float complex priors compute in float: relevance_cplx_f32.c.


#define CPLX_VD_IMPL(NAME, T)                                                                  \
    RL_INLINE void NAME##_body(const T *log_alpha, T *value, T *deriv, ptrdiff_t n, int bogus) {                \
        double a[RB], val[RB], da[RB];                                                         \
        for (ptrdiff_t s = 0; s < n; s += RB) {                                                \
            int cnt = (int)(n - s < RB ? n - s : RB);                                          \
            for (int i = 0; i < cnt; i++) a[i] = (double)log_alpha[s + i];                     \
            cplx_vd_block(a, val, deriv ? da : NULL, cnt, bogus);                              \
            for (int i = 0; i < cnt; i++) value[s + i] = (T)val[i];                            \
            if (deriv)                                                                         \
                for (int i = 0; i < cnt; i++) deriv[s + i] = (T)da[i];                         \
        }                                                                                      \
    }

CPLX_VD_IMPL(wt_cplx_vd_kl_f64, double)
CPLX_VD_IMPL(wt_cplx_vd_kl_f32, float)
RL_TWICE(wt_cplx_vd_kl_f64, RL_VD_PARAMS(double), (log_alpha, value, deriv, n, bogus))
RL_TWICE(wt_cplx_vd_kl_f32, RL_VD_PARAMS(float), (log_alpha, value, deriv, n, bogus))

// ---------------------------------------------------------------- reparameterisation tail

// The std is max(s2, lo) with a NaN s2 kept (s2 < lo is false for NaN), then sqrt, in precision T.
#define REPARAM_FNS(SUF, T, SQRT, ATTR)                                                        \
    static ATTR void reparam_##SUF(const T *restrict mu, const T *restrict s2, const T *restrict eps, \
                                   T *restrict y, ptrdiff_t n) {                               \
        const T lo = (T)WT_REPARAM_VARIANCE_MIN;                                                                \
        for (ptrdiff_t i = 0; i < n; i++) {                                                    \
            T v = s2[i] < lo ? lo : s2[i];                                                     \
            y[i] = mu[i] + SQRT(v) * eps[i];                                                   \
        }                                                                                      \
    }                                                                                          \
    /* both parts of a complex mean with one standard deviation: the real pass's operations */ \
    static ATTR void reparam_cplx_##SUF(const T *restrict mr, const T *restrict mi, const T *restrict s2, \
                                        const T *restrict er, const T *restrict ei, T *restrict yr, \
                                        T *restrict yi, ptrdiff_t n) {                         \
        const T lo = (T)WT_REPARAM_VARIANCE_MIN;                                               \
        for (ptrdiff_t i = 0; i < n; i++) {                                                    \
            T v = s2[i] < lo ? lo : s2[i], sd = SQRT(v);                                       \
            yr[i] = mr[i] + sd * er[i];                                                        \
            yi[i] = mi[i] + sd * ei[i];                                                        \
        }                                                                                      \
    }                                                                                          \
    static ATTR void reparam_grad_##SUF(const T *restrict g, const T *restrict s2,             \
                                        const T *restrict eps, T *restrict gs, ptrdiff_t n) {  \
        const T lo = (T)WT_REPARAM_VARIANCE_MIN;                                                                \
        for (ptrdiff_t i = 0; i < n; i++) {                                                    \
            T v = s2[i] < lo ? lo : s2[i];                                                     \
            T r = (g[i] * eps[i]) / (2 * SQRT(v));                                             \
            gs[i] = s2[i] >= lo ? r : 0;                                                       \
        }                                                                                      \
    }                                                                                          \
    static ATTR void reparam_grad_cplx_##SUF(const T *restrict gr, const T *restrict gi,       \
                                             const T *restrict s2, const T *restrict er,       \
                                             const T *restrict ei, T *restrict gs, ptrdiff_t n) { \
        const T lo = (T)WT_REPARAM_VARIANCE_MIN;                                                                \
        for (ptrdiff_t i = 0; i < n; i++) {                                                    \
            T v = s2[i] < lo ? lo : s2[i];                                                     \
            T r = (gr[i] * er[i] + gi[i] * ei[i]) / (2 * SQRT(v));                             \
            gs[i] = s2[i] >= lo ? r : 0;                                                       \
        }                                                                                      \
    }                                                                                          \
    static ATTR void mul_##SUF(const T *restrict g, const T *restrict d, T *restrict out, ptrdiff_t n) { \
        for (ptrdiff_t i = 0; i < n; i++) out[i] = g[i] * d[i];                                \
    }

WT_DEFINE_TIERS_DF(REPARAM_FNS, d, f, RL_SQRT_D, RL_SQRT_F)

// The reparameterisation kernels are elementwise: long arrays are split over the kernel threads
// (any split gives the same values). Operands a..e and the output y, offset per range.
#define RL_GRAIN 16384
typedef struct {
    const void *a, *b, *c, *d, *e;
    void *y, *y2;
} rl_elementwise_job;

/// The job {a, b, c, d, e, y[, y2]} from a parenthesised list of its operands (y2: a second output).
#define RL_JOB(...) {__VA_ARGS__}
// PUBLIC(params…) runs PICK over its elements split over the kernel threads, with the job JOB.
#define RL_PARALLEL(PUBLIC, PICK, T, CALL_ARGS, JOB, ...)                                          \
    static void PUBLIC##_part(void *context, ptrdiff_t i, ptrdiff_t end) {                         \
        const rl_elementwise_job *j = context;                                                     \
        const T *a = (const T *)j->a + i, *b = (const T *)j->b + i;                                \
        const T *c = j->c ? (const T *)j->c + i : NULL, *d = j->d ? (const T *)j->d + i : NULL;     \
        const T *e = j->e ? (const T *)j->e + i : NULL;                                            \
        T *y = (T *)j->y + i, *y2 = j->y2 ? (T *)j->y2 + i : NULL;                                 \
        (void)c; (void)d; (void)e; (void)y2;                                                       \
        RL_PICK(PICK) CALL_ARGS;                                                                   \
    }                                                                                              \
    void PUBLIC(__VA_ARGS__) {                                                                     \
        rl_elementwise_job j = RL_JOB JOB;                                                         \
        wt_parallel_for(n, RL_GRAIN, PUBLIC##_part, &j);                                           \
    }

RL_PARALLEL(wt_reparam_f64, reparam_d, double, (a, b, c, y, end - i), (mu, s2, eps, NULL, NULL, y),
            const double *mu, const double *s2, const double *eps, double *y, ptrdiff_t n)
RL_PARALLEL(wt_reparam_f32, reparam_f, float, (a, b, c, y, end - i), (mu, s2, eps, NULL, NULL, y),
            const float *mu, const float *s2, const float *eps, float *y, ptrdiff_t n)
RL_PARALLEL(wt_reparam_cplx_f64, reparam_cplx_d, double, (a, b, c, d, e, y, y2, end - i),
            (mu_re, mu_im, s2, eps_re, eps_im, y_re, y_im),
            const double *mu_re, const double *mu_im, const double *s2, const double *eps_re, const double *eps_im,
            double *y_re, double *y_im, ptrdiff_t n)
RL_PARALLEL(wt_reparam_cplx_f32, reparam_cplx_f, float, (a, b, c, d, e, y, y2, end - i),
            (mu_re, mu_im, s2, eps_re, eps_im, y_re, y_im),
            const float *mu_re, const float *mu_im, const float *s2, const float *eps_re, const float *eps_im,
            float *y_re, float *y_im, ptrdiff_t n)
RL_PARALLEL(wt_reparam_grad_f64, reparam_grad_d, double, (a, b, c, y, end - i), (g, s2, eps, NULL, NULL, g_s2),
            const double *g, const double *s2, const double *eps, double *g_s2, ptrdiff_t n)
RL_PARALLEL(wt_reparam_grad_f32, reparam_grad_f, float, (a, b, c, y, end - i), (g, s2, eps, NULL, NULL, g_s2),
            const float *g, const float *s2, const float *eps, float *g_s2, ptrdiff_t n)
RL_PARALLEL(wt_reparam_grad_cplx_f64, reparam_grad_cplx_d, double, (a, b, c, d, e, y, end - i),
            (g_re, g_im, s2, eps_re, eps_im, g_s2),
            const double *g_re, const double *g_im, const double *s2, const double *eps_re, const double *eps_im,
            double *g_s2, ptrdiff_t n)
RL_PARALLEL(wt_reparam_grad_cplx_f32, reparam_grad_cplx_f, float, (a, b, c, d, e, y, end - i),
            (g_re, g_im, s2, eps_re, eps_im, g_s2),
            const float *g_re, const float *g_im, const float *s2, const float *eps_re, const float *eps_im,
            float *g_s2, ptrdiff_t n)
RL_PARALLEL(wt_mul_f64, mul_d, double, (a, b, y, end - i), (g, d, NULL, NULL, NULL, out),
            const double *g, const double *d, double *out, ptrdiff_t n)
RL_PARALLEL(wt_mul_f32, mul_f, float, (a, b, y, end - i), (g, d, NULL, NULL, NULL, out),
            const float *g, const float *d, float *out, ptrdiff_t n)
