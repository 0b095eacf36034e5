#ifndef WIRTINGER_KERNELS_POOL_H
#define WIRTINGER_KERNELS_POOL_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Max pooling over `planes` independent planes of in[0]×in[1]×in[2] elements (row-major), windows
/// of k[0]×k[1]×k[2] taps with dilation d and stride s, out[0]×out[1]×out[2] outputs per plane, for
/// the case without padding where every window lies inside the plane ((out[a] − 1)·s[a] + (k[a] − 1)·d[a]
/// < in[a] on every axis; the caller checks). y[o] is the window's maximum and index[o] its flat
/// offset into x: the window's first element, replaced in window order by any larger one or any NaN
/// (PyTorch's rule). Branch-free selects; planes are split over the kernel threads (disjoint outputs,
/// so the result does not depend on the thread count).
void wt_maxpool_inside_f32(ptrdiff_t planes, const ptrdiff_t in[3], const ptrdiff_t out[3], const ptrdiff_t k[3],
                           const ptrdiff_t s[3], const ptrdiff_t d[3], const float *x, float *y, ptrdiff_t *index);
/// Double-precision version of wt_maxpool_inside_f32.
void wt_maxpool_inside_f64(ptrdiff_t planes, const ptrdiff_t in[3], const ptrdiff_t out[3], const ptrdiff_t k[3],
                           const ptrdiff_t s[3], const ptrdiff_t d[3], const double *x, double *y, ptrdiff_t *index);

#ifdef __cplusplus
}
#endif
#endif
