// The per-tier pieces of the row-window product (sparse_window.c), called by sparse.c's driver.
#ifndef WIRTINGER_SPARSE_WINDOW_H
#define WIRTINGER_SPARSE_WINDOW_H
#include "kernels_sparse.h"
#include "tiers.h"

/// The number of floats of a window product's input copy: cols rounded up to a multiple of 16.
static inline ptrdiff_t sp_window_padded(ptrdiff_t cols) { return (cols + 15) & ~(ptrdiff_t)15; }

// The tiers' pieces (sparse_window_vec.h, one body over W lanes instantiated as spw8_* for the
// AVX2 tier and spw16_* for the AVX-512 tier by sparse_window_tiers.h; x86 only):
//
// int spwW_input(const float *x, ptrdiff_t cols, float *xa): copies one example's input
//   x[0 ..< cols] into xa (aligned to W floats, round_up(cols, W) floats, zeros after cols);
//   returns 1 when every input is finite, 0 when one is NaN or ±inf.
// int spwW_finite(const float *x, ptrdiff_t cols): the same check for an input the product reads
//   in place (aligned to W floats, cols a multiple of W, so that it needs no copy).
// void spwW_window(w, bias, x, y, relu, masked, u0, u1): y[r] = bias[r] + Σ over the stored
//   nonzeros of row r of values · x[col] (then ReLU when relu is set) for the rows of units
//   u0 ..< u1 of w (groups of 25 slices in the position orders, else slices), one example (x: an
//   input as spwW_input leaves it; y has w->rows entries). masked = 0 (a finite input) multiplies
//   the absent lanes by their 0 values, masked = 1 skips them, with the same bits for a finite
//   input. spw8_window reads the 8-lane layout (WT_WINDOW_LANES8) only; spw16_window reads every
//   layout (the 8-lane one through spw8_window).
#if WT_X86
#define SPW_DECLARE(W)                                                                                    \
    int spw##W##_input(const float *x, ptrdiff_t cols, float *xa);                                        \
    int spw##W##_finite(const float *x, ptrdiff_t cols);                                                  \
    void spw##W##_window(const wt_sparse_window *w, const float *bias, const float *x, float *y, int relu, \
                         int masked, ptrdiff_t u0, ptrdiff_t u1);
SPW_DECLARE(8)
SPW_DECLARE(16)
#undef SPW_DECLARE
#endif

/// The position order (by_position = 1) of wt_scsr_window_fill with groups of `group` slices
/// instead of WT_WINDOW_GROUP: count has groups · positions · group entries ((g · positions + p) ·
/// group + j: vectors of slice group · g + j at position p), group_start groups + 1, with
/// groups = (slices + group − 1) / group. Returns 0, or -1 (cols < 32, group < 1, no memory).
int sp_window_fill_grouped(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                           const float *values, ptrdiff_t group, uint8_t *count, int32_t *group_start, uint16_t *mask,
                           uint8_t *index, float *wvalues);

/// The walk of the 8-lane layout (WT_WINDOW_LANES8, kernels_sparse.h), shared by the real and the
/// complex layer: slice by slice (8 rows), in each slice in ascending window order, the window
/// starts at the multiple of 8 at or below the smallest column a row of the slice still has to
/// store (clamped to round_up(cols, 8) − 16), and every row whose next nonzero lies in its 16
/// columns stores that one. With mask set, writes vector v's base, mask, 8 indices and 8 values of
/// vr into wvr and (wvi set) of vi into wvi (0 in absent lanes, and where vr or vi is NULL); with
/// slice_start set, the slices' first vectors (slices + 1 entries). Returns the number of vectors.
/// Expects cols ≥ 16 and rows ≥ 0.
ptrdiff_t sp_window8_walk(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                          const float *vr, const float *vi, int32_t *slice_start, uint32_t *base, uint16_t *mask,
                          uint8_t *index, float *wvr, float *wvi);

#endif
