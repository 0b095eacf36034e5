#ifndef WIRTINGER_KERNELS_VMATH_H
#define WIRTINGER_KERNELS_VMATH_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

// Elementwise vector math over contiguous buffers: y[i] = f(x[i]) for 0 <= i < n.
// y may alias x exactly (in-place); partially overlapping buffers are not allowed.
// Accuracy (measured, see Docs/Kernels-Special.md): double results within 2 ulp of the exact
// value; float results are computed in double and rounded once (within 0.5 ulp + 2^-29 ulp).
// Special values follow C99 Annex F (exp(-inf) = 0, log(0) = -inf, log(x < 0) = NaN, NaN in ->
// NaN out, overflow -> inf, gradual underflow to subnormals). The AVX2/FMA path is chosen at run
// time with wt_active_isa(); the portable path computes the same formulas in plain C.

/// y[i] = e^{x[i]}. Overflows to +inf above 709.78 (float: 88.72); subnormal results below -708.4.
void wt_exp_array(const double *x, double *y, ptrdiff_t n);
/// Float version of wt_exp_array.
void wt_expf_array(const float *x, float *y, ptrdiff_t n);
/// y[i] = ln x[i] (natural log); ln(±0) = -inf, ln(x < 0) = NaN, ln(+inf) = +inf.
void wt_log_array(const double *x, double *y, ptrdiff_t n);
/// Float version of wt_log_array.
void wt_logf_array(const float *x, float *y, ptrdiff_t n);
/// y[i] = ln(1 + x[i]), accurate for tiny x; log1p(-1) = -inf, log1p(x < -1) = NaN, log1p(±0) = ±0.
void wt_log1p_array(const double *x, double *y, ptrdiff_t n);
/// Float version of wt_log1p_array.
void wt_log1pf_array(const float *x, float *y, ptrdiff_t n);
/// y[i] = σ(x) = 1 / (1 + e^{-x}), computed as 1/(1+e^{-|x|}) for x >= 0 and e^{-|x|}/(1+e^{-|x|})
/// for x < 0 (no overflow, full relative accuracy in both tails).
void wt_sigmoid_array(const double *x, double *y, ptrdiff_t n);
/// Float version of wt_sigmoid_array.
void wt_sigmoidf_array(const float *x, float *y, ptrdiff_t n);
/// y[i] = softplus(x) = ln(1 + e^x), computed stably as max(x, 0) + log1p(e^{-|x|}).
void wt_softplus_array(const double *x, double *y, ptrdiff_t n);
/// Float version of wt_softplus_array.
void wt_softplusf_array(const float *x, float *y, ptrdiff_t n);
/// y[i] = ln σ(x) = -softplus(-x), computed as min(x, 0) - log1p(e^{-|x|}).
void wt_log_sigmoid_array(const double *x, double *y, ptrdiff_t n);
/// Float version of wt_log_sigmoid_array.
void wt_log_sigmoidf_array(const float *x, float *y, ptrdiff_t n);
/// y[i] = tanh x = expm1(2|x|) / (expm1(2|x|) + 2) with the sign of x; tanh(±0) = ±0, tanh(±inf) = ±1.
void wt_tanh_array(const double *x, double *y, ptrdiff_t n);
/// Float version of wt_tanh_array.
void wt_tanhf_array(const float *x, float *y, ptrdiff_t n);

/// Turns flush-to-zero (FTZ: subnormal results become ±0) and denormals-are-zero (DAZ:
/// subnormal inputs are read as ±0) on (on != 0) or off, by setting bits 15 and 6 of MXCSR.
/// Affects only the calling thread (MXCSR is per-thread state) -- but every SSE/AVX floating-point
/// operation on that thread, not just these kernels. Threads that already exist (thread pools,
/// GEMM workers) keep their own setting; a thread created later may inherit its creator's MXCSR.
/// Speeds up code that meets many subnormals at the cost of IEEE gradual underflow.
/// No-op on non-x86 targets.
void wt_set_flush_denormals(int on);
/// 1 if both FTZ and DAZ are on for the calling thread, else 0 (always 0 on non-x86 targets).
int wt_get_flush_denormals(void);

#ifdef __cplusplus
}
#endif
#endif
