// The per-tier pieces of the row-window product (sparse_window.c), called by sparse.c's driver.
#ifndef WIRTINGER_SPARSE_WINDOW_H
#define WIRTINGER_SPARSE_WINDOW_H
#include "kernels_sparse.h"

/// The number of floats of a window product's input copy: cols rounded up to a multiple of 16.
static inline ptrdiff_t sp_window_padded(ptrdiff_t cols) { return (cols + 15) & ~(ptrdiff_t)15; }

/// Copies one example's input x[0 ..< cols] into xa (64-byte aligned, sp_window_padded(cols)
/// floats, zeros after cols); returns 1 when every input is finite, 0 when one is NaN or ±inf.
/// AVX-512 only.
int sp_window_input_avx512(const float *x, ptrdiff_t cols, float *xa);

/// 1 when every input x[0 ..< cols] is finite, 0 when one is NaN or ±inf: the check of
/// sp_window_input_avx512 for an input the product reads in place (x 64-byte aligned, cols a
/// multiple of 16, so that it needs no copy). AVX-512 only.
int sp_window_finite_avx512(const float *x, ptrdiff_t cols);

/// y[r] = bias[r] + Σ over the stored nonzeros of row r of values · x[col] (then ReLU when relu is
/// set) for the rows of units u0 ..< u1 of w (groups of 25 slices when w->by_position, else
/// slices), one example (x: the copy sp_window_input_avx512
/// made; y has w->rows entries). masked = 0 (a finite input) multiplies the absent lanes by their 0
/// values, masked = 1 skips them, with the same bits for a finite input. AVX-512 only
/// (sparse_window.c says why).
void sp_window_avx512(const wt_sparse_window *w, const float *bias, const float *x, float *y, int relu, int masked,
                      ptrdiff_t u0, ptrdiff_t u1);

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

/// Copies one example's input x[0 ..< cols] into xa (32-byte aligned, round_up(cols, 8) floats,
/// zeros after cols); returns 1 when every input is finite (x − x = 0), 0 when one is NaN or ±inf.
/// AVX2 (also run at the AVX-512 tier).
int sp_window8_input_avx2(const float *x, ptrdiff_t cols, float *xa);

/// 1 when every input x[0 ..< cols] is finite, 0 when one is NaN or ±inf, for an input read in
/// place (32-byte aligned, cols a multiple of 8). AVX2.
int sp_window8_finite_avx2(const float *x, ptrdiff_t cols);

/// sp_window_avx512's product for a window in the 8-lane layout (WT_WINDOW_LANES8): slices
/// u0 ..< u1 of 8 rows, per vector two vpermps of x[base ..< base + 16] (x: 32-byte aligned,
/// round_up(cols, 8) floats) and a blend on the index's bit 3, four accumulators per slice
/// (vector v into a_(v mod 4)), y[r] = bias[r] + ((a0 + a1) + (a2 + a3)), then ReLU when relu is
/// set; masked = 1 keeps absent lanes' sums by a blend. AVX2 (also run at the AVX-512 tier).
void sp_window8_avx2(const wt_sparse_window *w, const float *bias, const float *x, float *y, int relu, int masked,
                     ptrdiff_t u0, ptrdiff_t u1);

#endif
