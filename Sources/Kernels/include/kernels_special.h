#ifndef WIRTINGER_KERNELS_SPECIAL_H
#define WIRTINGER_KERNELS_SPECIAL_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/// The exponential integral Ei(x) = −PV∫_{−x}^{∞} e^{−t}/t dt for real x (scipy.special.expi).
/// Ei(0) = −inf, Ei(−inf) = −0, Ei(+inf) = +inf, Ei(NaN) = NaN.
double wt_expi(double x);
float wt_expif(float x);
/// y[i] = Ei(x[i]) for i < n (y may alias x).
void wt_expi_array(const double *x, double *y, ptrdiff_t n);
void wt_expif_array(const float *x, float *y, ptrdiff_t n);

#ifdef __cplusplus
}
#endif
#endif
