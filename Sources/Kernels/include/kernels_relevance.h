#ifndef WIRTINGER_KERNELS_RELEVANCE_H
#define WIRTINGER_KERNELS_RELEVANCE_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

// Fused elementwise chains of the Bayesian layers (Sources/Relevance): each function reads its
// inputs once and writes the value and, when the derivative pointers are non-NULL, the partial
// derivatives of every element in the same pass. All arithmetic is done in double (float inputs
// are widened and every result is rounded once) — except the float priors wt_kl_real_f32,
// wt_kl_cplx_f32 and their _sum_ forms, which compute in float (see there), with the vector math of kernels_vmath.h and the
// Ei of kernels_special.h, so the AVX2/FMA or portable path follows wt_active_isa().
// Outputs must not overlap the inputs.

/// Which KL penalty a fused prior kernel evaluates. With L = log(|w| + 1e-12) (|w| the modulus
/// of a complex weight), log α = log σ² − 2L and n = −log α:
typedef enum {
    WT_KL_REAL_VD = 0,      ///< ½·softplus(n) + k₁·σ(k₃n − k₂), k₁ = 0.63576, k₂ = 1.87320, k₃ = 1.48695
    WT_KL_REAL_ARD = 1,     ///< ½·softplus(n)
    WT_KL_CPLX_ARD = 2,     ///< softplus(n)
    WT_KL_CPLX_VD = 3,      ///< γ − log α − Ei(−1/α)  (series for 1/α < ½)
    WT_KL_CPLX_VD_BOGUS = 4 ///< value −log α, derivative that of WT_KL_CPLX_VD
} wt_kl_prior;
// softplus(n) is n where n > 20 (derivative 1), like the Ops softplus (PyTorch's threshold).

/// Real priors (WT_KL_REAL_VD, WT_KL_REAL_ARD) of n elements from log σ² and the weight w:
/// value[i], and d_ls[i] = ∂value/∂log σ², d_w[i] = ∂value/∂w (d/dw L = sign(w)/(|w| + 1e-12),
/// 0 at w = 0). d_ls and d_w may be NULL (value only). Float: |w| + 1e-12 is rounded to float
/// (the unfused chain's rounding), the rest is evaluated in double.
void wt_kl_real_f64(wt_kl_prior prior, const double *log_sigma2, const double *w, double *value,
                    double *d_ls, double *d_w, ptrdiff_t n);
/// Float version of wt_kl_real_f64, evaluated in float (8 lanes on AVX2/FMA) with about 1-ulp log
/// and exp (relevance_f32.c): the value and derivatives are within a few float ulps of
/// wt_kl_real_f64's, and the AVX2 and portable paths give identical bits.
void wt_kl_real_f32(wt_kl_prior prior, const float *log_sigma2, const float *w, float *value,
                    float *d_ls, float *d_w, ptrdiff_t n);

/// Σ scale·value[i] of the real prior (wt_kl_real_f64) without writing the values, and, when d_ls
/// and d_w are non-NULL, the derivatives of that scaled sum: d_ls[i] = scale·∂value/∂log σ²,
/// d_w[i] = scale·∂value/∂w. The values are added in double in a fixed order, so the result is
/// deterministic. This is the penalty term of a training loss (`coef · Σ KL`) in one pass.
double wt_kl_real_sum_f64(wt_kl_prior prior, const double *log_sigma2, const double *w, double scale,
                          double *d_ls, double *d_w, ptrdiff_t n);
/// Float version of wt_kl_real_sum_f64 (the chain of wt_kl_real_f32; values summed in double, the
/// derivatives multiplied by (float)scale), identical on both paths.
double wt_kl_real_sum_f32(wt_kl_prior prior, const float *log_sigma2, const float *w, double scale,
                          float *d_ls, float *d_w, ptrdiff_t n);

/// Complex priors (WT_KL_CPLX_*) of n elements from log σ² and the weight re + i·im (modulus
/// |w| = √(re² + im²) without overflow): value and ∂/∂log σ², ∂/∂re, ∂/∂im (d|w|/d re = re/|w|,
/// 0 at w = 0). The derivative pointers may be NULL together.
void wt_kl_cplx_f64(wt_kl_prior prior, const double *log_sigma2, const double *re, const double *im,
                    double *value, double *d_ls, double *d_re, double *d_im, ptrdiff_t n);
/// Float version of wt_kl_cplx_f64, evaluated in float (8 lanes on AVX2/FMA; relevance_cplx_f32.c):
/// |w| = √(re² + im²) in float (within 1 ulp; in double and rounded once where re² + im² is below
/// 2⁻¹⁰⁰, infinite or NaN), float log/exp of about 1 ulp, the complex VD
/// divergence by its series below 1/α = 2 and by γ − log α + E1 (a fitted tail) above. Within a few
/// float ulps of wt_kl_cplx_f64; the AVX2 and portable paths give identical bits.
void wt_kl_cplx_f32(wt_kl_prior prior, const float *log_sigma2, const float *re, const float *im,
                    float *value, float *d_ls, float *d_re, float *d_im, ptrdiff_t n);

/// Σ scale·value[i] of the complex prior (wt_kl_cplx_f64) without writing the values, and the
/// derivatives of that scaled sum when d_ls, d_re, d_im are non-NULL (see wt_kl_real_sum_f64).
double wt_kl_cplx_sum_f64(wt_kl_prior prior, const double *log_sigma2, const double *re, const double *im,
                          double scale, double *d_ls, double *d_re, double *d_im, ptrdiff_t n);
/// Float version of wt_kl_cplx_sum_f64 (the chain of wt_kl_cplx_f32; values summed in double).
double wt_kl_cplx_sum_f32(wt_kl_prior prior, const float *log_sigma2, const float *re, const float *im,
                          double scale, float *d_ls, float *d_re, float *d_im, ptrdiff_t n);

/// A KL sum started ahead of its use (wt_kl_cplx_sum_f32_begin), finished by wt_kl_sum_end.
typedef struct wt_kl_sum_task wt_kl_sum_task;
/// Starts wt_kl_cplx_sum_f32 with these arguments: idle kernel threads work on it (in units of 512
/// elements, between the parallel jobs of the caller) while the caller goes on, and
/// wt_kl_sum_end(task) finishes it and returns its value; the derivatives and the value are those
/// of wt_kl_cplx_sum_f32, bit for bit, at any thread count. The inputs must not change, and the
/// outputs must not be read, until wt_kl_sum_end returns. When another started sum is pending,
/// nothing runs before wt_kl_sum_end. NULL (nothing started: call wt_kl_cplx_sum_f32 where the
/// sum is needed) with one kernel thread, or when out of memory.
wt_kl_sum_task *wt_kl_cplx_sum_f32_begin(wt_kl_prior prior, const float *log_sigma2, const float *re, const float *im,
                                         double scale, float *d_ls, float *d_re, float *d_im, ptrdiff_t n);
/// Finishes a started KL sum (the caller runs the units left, with any idle kernel thread), frees
/// it and returns its value.
double wt_kl_sum_end(wt_kl_sum_task *task);

/// The complex VD divergence of a = log α: value[i] = γ − a − Ei(−e^{−a}) (for e^{−a} < ½ the
/// series −Σ_{k=1..15} (−x)^k/(k·k!), x = e^{−a}, which does not cancel) and, if deriv ≠ NULL,
/// deriv[i] = expm1(−e^{−a}) ∈ [−1, 0], finite for every a but NaN. If bogus ≠ 0 the value is −a.
void wt_cplx_vd_kl_f64(const double *log_alpha, double *value, double *deriv, ptrdiff_t n, int bogus);
/// Float version of wt_cplx_vd_kl_f64.
void wt_cplx_vd_kl_f32(const float *log_alpha, float *value, float *deriv, ptrdiff_t n, int bogus);

/// The local reparameterisation tail: y = μ + √max(s², 1e-8)·ε (max keeps a NaN s²), evaluated
/// in the input precision (float: float sqrt, multiply, add), n elements.
void wt_reparam_f64(const double *mu, const double *s2, const double *eps, double *y, ptrdiff_t n);
/// Float version of wt_reparam_f64 (the bound is (float)1e-8).
void wt_reparam_f32(const float *mu, const float *s2, const float *eps, float *y, ptrdiff_t n);
/// The complex tail with one real variance: y_re = μ_re + √max(s², 1e-8)·ε_re and likewise the
/// imaginary part, in one pass (each part the operations of wt_reparam_f64, so the same bits), n
/// elements of each array.
void wt_reparam_cplx_f64(const double *mu_re, const double *mu_im, const double *s2, const double *eps_re,
                         const double *eps_im, double *y_re, double *y_im, ptrdiff_t n);
/// Float version of wt_reparam_cplx_f64.
void wt_reparam_cplx_f32(const float *mu_re, const float *mu_im, const float *s2, const float *eps_re,
                         const float *eps_im, float *y_re, float *y_im, ptrdiff_t n);
/// Its derivative to s²: g_s2 = (g·ε) / (2·√max(s², 1e-8)) where s² ≥ 1e-8 (PyTorch's clamp
/// gradient passes at the bound), else 0. The derivative to μ is g itself.
void wt_reparam_grad_f64(const double *g, const double *s2, const double *eps, double *g_s2, ptrdiff_t n);
/// Float version of wt_reparam_grad_f64.
void wt_reparam_grad_f32(const float *g, const float *s2, const float *eps, float *g_s2, ptrdiff_t n);
/// Complex mean, shared real standard deviation: g_s2 = (g_re·ε_re + g_im·ε_im) / (2·√max(s², 1e-8))
/// where s² ≥ 1e-8, else 0 (the forward is wt_reparam_* on the real and the imaginary part).
void wt_reparam_grad_cplx_f64(const double *g_re, const double *g_im, const double *s2, const double *eps_re,
                              const double *eps_im, double *g_s2, ptrdiff_t n);
/// Float version of wt_reparam_grad_cplx_f64.
void wt_reparam_grad_cplx_f32(const float *g_re, const float *g_im, const float *s2, const float *eps_re,
                              const float *eps_im, float *g_s2, ptrdiff_t n);

/// out[i] = g[i]·d[i] (the chain rule with a stored derivative), n elements.
void wt_mul_f64(const double *g, const double *d, double *out, ptrdiff_t n);
/// Float version of wt_mul_f64.
void wt_mul_f32(const float *g, const float *d, float *out, ptrdiff_t n);

#ifdef __cplusplus
}
#endif
#endif
