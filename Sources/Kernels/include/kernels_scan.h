#ifndef WIRTINGER_KERNELS_SCAN_H
#define WIRTINGER_KERNELS_SCAN_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

// Whole-array predicates (scan.c), used on every gradient of every training step.

/// 1 if all n elements are finite (no NaN, no ±inf), else 0. n = 0 gives 1.
int wt_all_finite_f64(const double *x, ptrdiff_t n);
/// Float version of wt_all_finite_f64.
int wt_all_finite_f32(const float *x, ptrdiff_t n);

#ifdef __cplusplus
}
#endif
#endif
