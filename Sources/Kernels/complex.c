// Complex modulus kernels (kernels_complex.h): |z| and its pullback over split real/imaginary
// buffers: a portable path and one vector body (complex_vec.h) instantiated for AVX2 (4 doubles at a
// time) and AVX-512 (8 doubles).
#include "kernels_complex.h"
#include "kernels_constants.h"
#include "kernels_dispatch.h"
#include <math.h>
#include <stddef.h>

#include "tiers.h"

#define CX_HI WT_MODULUS_SAFE_HI
#define CX_LO WT_MODULUS_SAFE_LO

/// One element of the pullback (also the fallback of the vector path).
static inline void cx_grad(double x, double y, double g, double *gx, double *gy) {
    double m = wt_modulus(x, y);
    if (m == 0.0) { *gx = 0.0; *gy = 0.0; return; }
    *gx = g * x / m;
    *gy = g * y / m;
}

static void cabs_d_portable(const double *re, const double *im, double *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) y[i] = wt_modulus(re[i], im[i]);
}
static void cabs_f_portable(const float *re, const float *im, float *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) y[i] = (float)wt_modulus((double)re[i], (double)im[i]);
}
static void cabs_grad_d_portable(const double *re, const double *im, const double *g, double *gre, double *gim, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) cx_grad(re[i], im[i], g[i], gre + i, gim + i);
}
/// One float element of the pullback, computed in double.
static inline void cx_grad_f(float x, float y, float g, float *gx, float *gy) {
    double a, b;
    cx_grad((double)x, (double)y, (double)g, &a, &b);
    *gx = (float)a;
    *gy = (float)b;
}
static void cabs_grad_f_portable(const float *re, const float *im, const float *g, float *gre, float *gim, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) cx_grad_f(re[i], im[i], g[i], gre + i, gim + i);
}

#if WT_X86
#define CV_W 4
#define CV(x) cx4_##x
#define CV_ATTR WT_TARGET_AVX2
#include "complex_vec.h"
#undef CV_W
#undef CV
#undef CV_ATTR
#define CV_W 8
#define CV(x) cx8_##x
#define CV_ATTR WT_TARGET_AVX512
#include "complex_vec.h"
#undef CV_W
#undef CV
#undef CV_ATTR
#else
#define cx4_cabs_d cabs_d_portable
#define cx4_cabs_f cabs_f_portable
#define cx4_cabs_grad_d cabs_grad_d_portable
#define cx4_cabs_grad_f cabs_grad_f_portable
#define cx8_cabs_d cabs_d_portable
#define cx8_cabs_f cabs_f_portable
#define cx8_cabs_grad_d cabs_grad_d_portable
#define cx8_cabs_grad_f cabs_grad_f_portable
#endif

void wt_cabs_array(const double *re, const double *im, double *y, ptrdiff_t n) {
    WT_PICK(cabs_d_portable, cx4_cabs_d, cx8_cabs_d)(re, im, y, n);
}
void wt_cabsf_array(const float *re, const float *im, float *y, ptrdiff_t n) {
    WT_PICK(cabs_f_portable, cx4_cabs_f, cx8_cabs_f)(re, im, y, n);
}
void wt_cabs_grad_array(const double *re, const double *im, const double *g, double *gre, double *gim, ptrdiff_t n) {
    WT_PICK(cabs_grad_d_portable, cx4_cabs_grad_d, cx8_cabs_grad_d)(re, im, g, gre, gim, n);
}
void wt_cabsf_grad_array(const float *re, const float *im, const float *g, float *gre, float *gim, ptrdiff_t n) {
    WT_PICK(cabs_grad_f_portable, cx4_cabs_grad_f, cx8_cabs_grad_f)(re, im, g, gre, gim, n);
}
