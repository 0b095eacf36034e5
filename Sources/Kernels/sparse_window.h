// The per-tier pieces of the row-window product (sparse_window.c), called by sparse.c's driver.
#ifndef WIRTINGER_SPARSE_WINDOW_H
#define WIRTINGER_SPARSE_WINDOW_H
#include "kernels_sparse.h"

/// y[r] = bias[r] + Σ over the stored nonzeros of row r of values · x[col] (then ReLU when relu is
/// set) for the rows of slices s0 ..< s1 of w, one example (x has w->cols entries, y w->rows).
/// AVX-512 only (sparse_window.c says why).
void sp_window_slices_avx512(const wt_sparse_window *w, const float *bias, const float *x, float *y, int relu,
                             ptrdiff_t s0, ptrdiff_t s1);

#endif
