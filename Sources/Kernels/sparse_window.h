// The row-window layouts' builders (sparse_window.c) and the tiers' products (sparse_window_vec.h),
// called by sparse.c's and sparse_cwindow.c's drivers.
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

/// The number of vectors of the layout of L rows per vector (16: the 16-lane layouts; 8: the
/// 8-lane layout WT_WINDOW_LANES8) of a CSR pattern: the walk of sparse_window.c, one for both
/// widths and both layers. Slice by slice (L rows), in each slice in ascending window order, the
/// window starts at the multiple of L at or below the smallest column a row of the slice still has
/// to store (clamped to round_up(cols, L) − 2L), and every row whose next nonzero lies in its 2L
/// columns stores that one. Expects cols ≥ 2L and rows ≥ 0.
ptrdiff_t sp_window_vectors(ptrdiff_t rows, ptrdiff_t cols, int L, const int32_t *row_ptr, const int32_t *col_idx);

/// The slice order of that layout (by_position = 0, or the 8-lane layout): slice_start (slices + 1
/// entries, an empty slice starting where the next one does), base, mask (vectors entries each),
/// index (L per vector), the values vr of the nonzeros in wvr and, when wvi is set, their
/// imaginary parts vi in wvi (L per vector, 0 in absent lanes; vr or vi NULL: zeros). Returns the
/// number of vectors.
ptrdiff_t sp_window_fill_slices(ptrdiff_t rows, ptrdiff_t cols, int L, const int32_t *row_ptr, const int32_t *col_idx,
                                const float *vr, const float *vi, int32_t *slice_start, uint32_t *base, uint16_t *mask,
                                uint8_t *index, float *wvr, float *wvi);

/// The position order (by_position = 1) of wt_scsr_window_fill with groups of `group` slices
/// instead of WT_WINDOW_GROUP: count has groups · positions · group entries ((g · positions + p) ·
/// group + j: vectors of slice group · g + j at position p), group_start groups + 1, with
/// groups = (slices + group − 1) / group; values as sp_window_fill_slices. Returns 0, or -1
/// (cols < 32, group < 1, no memory).
int sp_window_fill_grouped(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                           const float *vr, const float *vi, ptrdiff_t group, uint8_t *count, int32_t *group_start,
                           uint16_t *mask, uint8_t *index, float *wvr, float *wvi);

/// The row order's sorted slices (WT_WINDOW_ROWS; real: 8 lanes, wt_scsr_rows8_fill; complex: 4,
/// wt_ccsr_rows4_fill): the rows sorted by nonzero count, longest first, ties in ascending row order,
/// cut into slices of `lanes` rows; slice s is as many steps long as its longest row. Writes, when
/// not NULL, slice_start (slices + 1 entries: the step each slice starts at, then the total) and
/// row_of (lanes · slices entries: the row in each lane, `rows` in the last slice's padding lanes).
/// Returns the number of steps, or -1 without memory.
ptrdiff_t sp_sorted_slices(ptrdiff_t rows, const int32_t *row_ptr, int lanes, int32_t *slice_start, uint32_t *row_of);

#endif
