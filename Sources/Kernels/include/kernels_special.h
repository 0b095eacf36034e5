#ifndef WIRTINGER_KERNELS_SPECIAL_H
#define WIRTINGER_KERNELS_SPECIAL_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/// The exponential integral Ei(x) = −PV∫_{−x}^{∞} e^{−t}/t dt for real x (scipy.special.expi).
/// Ei(0) = −inf, Ei(−inf) = −0, Ei(+inf) = +inf, Ei(NaN) = NaN; Ei overflows to +inf above
/// x ≈ 716.3 (float: ≈ 93.9) and underflows gradually to −0 below x ≈ −738 (float: ≈ −103).
/// Accuracy (measured against mpmath, Docs/Kernels-Special.md): double within 1.7 ulp everywhere,
/// with full relative accuracy next to the zero x0 = 0.37250741078136663…; float is evaluated in
/// double and rounded once (within 0.5 ulp + 2^-10 ulp). The scalar functions use the portable path.
double wt_expi(double x);
/// Float version of wt_expi.
float wt_expif(float x);
/// y[i] = Ei(x[i]) for i < n (y may alias x exactly). AVX2/FMA or portable path per wt_active_isa().
void wt_expi_array(const double *x, double *y, ptrdiff_t n);
/// Float version of wt_expi_array.
void wt_expif_array(const float *x, float *y, ptrdiff_t n);

#ifdef __cplusplus
}
#endif
#endif
