#ifndef WIRTINGER_KERNELS_SIGNAL_H
#define WIRTINGER_KERNELS_SIGNAL_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

// Kernels of the complex signal layers (signal_*.c).
//
// modReLU over rows: `rows` rows of `inner` contiguous elements of a split complex tensor
// (xr, xi), row r with the threshold t = tau[r % period] (period ≥ 1; a per-channel threshold of
// [N, C, *S] has period C and inner ΠS). Per element, in double and rounded once:
//   m = max(|z|, 1e-5), s = 1 − t/m,  y = z·s where s > 0, else 0.
// The pullback with cotangent (gr, gi): where s > 0, with c = x·gr + y·gi and
// k = t·c/|z|³ (0 where |z| < 1e-5): ∂z = (s·gr + k·x) + i(s·gi + k·y), ∂t = −c/m; 0 elsewhere.
// gtau (nullable, `period` elements) receives ∂t summed over the rows of each threshold in row
// order and within a row in element order, in the element type, from 0 — the order of a
// strided walk over the broadcast — so gtau never depends on the thread count. Every vector tier
// computes the portable bits; the rows (or, with gtau, the thresholds) are split over the kernel
// threads.

/// y = modReLU(x; tau) over rows (see above), float.
void wt_modrelu_rows_f32(const float *xr, const float *xi, const float *tau, ptrdiff_t period, ptrdiff_t rows,
                         ptrdiff_t inner, float *yr, float *yi);
/// Double version of wt_modrelu_rows_f32.
void wt_modrelu_rows_f64(const double *xr, const double *xi, const double *tau, ptrdiff_t period, ptrdiff_t rows,
                         ptrdiff_t inner, double *yr, double *yi);
/// The pullback of wt_modrelu_rows_f32: (ar, ai) = ∂z, gtau (nullable) = Σ ∂t per threshold.
void wt_modrelu_rows_grad_f32(const float *xr, const float *xi, const float *gr, const float *gi, const float *tau,
                              ptrdiff_t period, ptrdiff_t rows, ptrdiff_t inner, float *ar, float *ai, float *gtau);
/// Double version of wt_modrelu_rows_grad_f32.
void wt_modrelu_rows_grad_f64(const double *xr, const double *xi, const double *gr, const double *gi, const double *tau,
                              ptrdiff_t period, ptrdiff_t rows, ptrdiff_t inner, double *ar, double *ai, double *gtau);

#ifdef __cplusplus
}
#endif
#endif
