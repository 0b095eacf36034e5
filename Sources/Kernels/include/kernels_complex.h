#ifndef WIRTINGER_KERNELS_COMPLEX_H
#define WIRTINGER_KERNELS_COMPLEX_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

// Complex modulus over split (real part, imaginary part) buffers, contiguous, n elements.
//
// |z| = sqrt(re^2 + im^2) evaluated in double. Where max(|re|, |im|) lies in [2^-500, 2^500] (or is 0)
// the squares can neither overflow nor lose bits to underflow, and the AVX2/FMA path computes
// sqrt(fma(re, re, im*im)) directly (within 1 ulp of the exact modulus, like libm hypot); outside that
// range, and for inf/NaN, the element is passed to libm hypot (hypot(inf, NaN) = inf). The float
// versions widen to double (where no float input can overflow or underflow the squares), take the
// square root and round once, so they match (float)hypot((double)re, (double)im) except for rare
// double-rounding ties. The portable path computes re*re + im*im without FMA (within 1.5 ulp).
// The AVX2/FMA path is chosen at run time with wt_active_isa().

/// y[i] = |re[i] + i·im[i]|.
void wt_cabs_array(const double *re, const double *im, double *y, ptrdiff_t n);
/// Float version of wt_cabs_array.
void wt_cabsf_array(const float *re, const float *im, float *y, ptrdiff_t n);

/// The pullback of the modulus: with m = |re[i] + i·im[i]|, gre[i] = g[i]·re[i]/m and
/// gim[i] = g[i]·im[i]/m, and both 0 where m = 0. gre and gim may not alias the inputs.
void wt_cabs_grad_array(const double *re, const double *im, const double *g, double *gre, double *gim, ptrdiff_t n);
/// Float version of wt_cabs_grad_array (computed in double, rounded once).
void wt_cabsf_grad_array(const float *re, const float *im, const float *g, float *gre, float *gim, ptrdiff_t n);

#ifdef __cplusplus
}
#endif
#endif
