#ifndef WIRTINGER_KERNELS_SPARSE_SPMM_H
#define WIRTINGER_KERNELS_SPARSE_SPMM_H
#include "kernels_conv.h"
#include "kernels_sparse.h"
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// Sparse weights times dense operands for inference: complex linear layers and real and complex
// convolutions whose weight is stored in compressed sparse rows (CSR). A complex weight keeps its
// real and imaginary parts in two value arrays sharing one index structure (row_ptr, col_idx).
// Every output element is one sequential sum over its row's nonzeros in storage order, so the
// result does not depend on the thread count (threads split output rows or samples). Vector tiers
// (portable, AVX2+FMA, AVX-512) follow wt_active_isa(); they agree within rounding.

/// Complex sparse-weight linear map: y = x · Wᵀ + bias for W = Wr + i·Wi (rows × cols) in CSR form.
///
/// Row r of W holds vr[k] + i·vi[k] at column col_idx[k] for k in row_ptr[r] ..< row_ptr[r + 1]
/// (row_ptr has rows + 1 entries from 0; col_idx in 0 ..< cols, not checked). x = xr + i·xi is
/// batch × cols with row stride ldx, y = yr + i·yi is batch × rows with row stride ldy (no overlap
/// with x):
///   yr[b, r] = br[r] + Σ_k (vr[k]·xr[b, c_k] − vi[k]·xi[b, c_k])
///   yi[b, r] = bi[r] + Σ_k (vr[k]·xi[b, c_k] + vi[k]·xr[b, c_k])
/// br and bi may both be NULL (no bias). Batches below 4 take gathered dot products per
/// example; larger ones are transposed in tiles of examples so that each nonzero is a
/// broadcast multiply-add over contiguous examples. Returns 0, or -1 if scratch memory could not
/// be allocated (y is then unspecified).
int wt_ccsr_linear(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                   const float *vr, const float *vi, const float *br, const float *bi, ptrdiff_t batch,
                   const float *xr, const float *xi, ptrdiff_t ldx, float *yr, float *yi, ptrdiff_t ldy);

/// Slices (16 rows) per group of the complex row-window layout in position order: the product
/// keeps one group's 2 × 9 accumulators (real and imaginary parts) in registers.
#define WT_CWINDOW_GROUP 9

/// The order of the complex row-window layout of a weight whose layout has `vectors` vectors:
/// position order (1, groups of WT_CWINDOW_GROUP slices) when there are at least 0.5 vectors per
/// (group, position, slice) cell, else slice order (0) (Docs/Inference.md, "Batch 1: complex row
/// windows").
static inline int wt_ccsr_window_order(ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t vectors) {
    const ptrdiff_t slices = (rows + 15) / 16, groups = (slices + WT_CWINDOW_GROUP - 1) / WT_CWINDOW_GROUP;
    const ptrdiff_t cells = groups * wt_window_positions(cols) * WT_CWINDOW_GROUP;
    return 2 * vectors >= cells ? 1 : 0;
}

/// Writes the complex row-window layout of a CSR pattern (rows × cols, cols ≥ 32; row_ptr,
/// col_idx as for wt_ccsr_linear) with real parts vr and imaginary parts vi: the vectors of
/// wt_scsr_window_fill (vectors = wt_scsr_window_count(…)), mask and index as there, the real parts
/// in wvr and the imaginary parts in wvi (16 floats per vector each, 0 in absent lanes). Orders:
/// by_position = 0, slice order (slice_start: slices + 1 entries, base: vectors entries; count and
/// group_start unused); by_position = 1, position order with groups of WT_CWINDOW_GROUP slices
/// (groups = (slices + 8) / 9; count: groups · positions · 9 entries, count[(g · positions + p) · 9
/// + j] vectors of slice 9g + j at position p; group_start: groups + 1 entries; slice_start and base
/// unused). Returns 0, or -1 when cols < 32 or working memory could not be allocated.
int wt_ccsr_window_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                        const float *vr, const float *vi, int by_position, int32_t *slice_start, uint32_t *base,
                        uint8_t *count, int32_t *group_start, uint16_t *mask, uint8_t *index, float *wvr, float *wvi);

/// The order value (by_position) of the complex row-window layout of the AVX2 tier: slices of 8
/// rows (one per lane of a 256-bit vector), each stored vector holding at most one nonzero per row
/// within the 16 columns base[v] ..< base[v] + 16 (base a multiple of 8, clamped to
/// round_up(cols, 8) − 16; index[8v + i] < 16), in slice order: slice s's vectors are
/// slice_start[s] ..< slice_start[s + 1]. slices = (rows + 7) / 8; mask[v] has bit i set for a
/// present lane i; values and the imaginary array hold 8 floats per vector (32-byte aligned),
/// index 8 bytes per vector. positions, groups, count and group_start are unused.
#define WT_CWINDOW_LANES8 8

/// The number of vectors of the 8-lane layout (WT_CWINDOW_LANES8) of a CSR pattern, or -1 when it
/// has none (cols < 16, or rows < 0).
ptrdiff_t wt_ccsr_window8_count(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx);

/// Writes the 8-lane layout (WT_CWINDOW_LANES8) of a complex CSR weight: slice_start (slices + 1),
/// base, mask (vectors each), index (8 · vectors), wvr and wvi (8 · vectors: the real and imaginary
/// parts, 0 in absent lanes). Returns 0, or -1 when cols < 16.
int wt_ccsr_window8_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                         const float *vr, const float *vi, int32_t *slice_start, uint32_t *base, uint16_t *mask,
                         uint8_t *index, float *wvr, float *wvi);

/// The pair values of the complex row order (WT_WINDOW_ROWS, kernels_sparse.h): w4[4k ..< 4k + 4] =
/// (vr[k], vr[k], vi[k], vi[k]) for the `nonzeros` stored nonzeros (w4 16-byte aligned). The row
/// product (wt_ccsr_linear_windowed) reads the example's input interleaved, (xr[c], xi[c]) per
/// column, with one 64-bit load duplicated into both halves of a 128-bit vector, and adds
/// (xr·vr, xi·vr, xr·vi, xi·vi) per nonzero with one fused multiply-add into one of two running
/// sums (even and odd positions in the row); yr[r] = br[r] + (a[0] − a[3]), yi[r] = bi[r] +
/// (a[2] + a[1]) with a the sum of the two.
void wt_ccsr_rows_fill(ptrdiff_t nonzeros, const float *vr, const float *vi, float *w4);

/// The number of steps of the complex row order's sorted slices (WT_WINDOW_ROWS, since session 13)
/// of a CSR pattern: the sum over slices of 4 rows (sorted by nonzero count, longest first, ties in
/// row order) of their longest row; -1 when it has none (cols > 65,535, cols < 1 or rows < 0).
ptrdiff_t wt_ccsr_rows4_count(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr);

/// Writes the complex row order's sorted slices: the rows sorted as in wt_ccsr_rows4_count in
/// slices of 4 (slices = (rows + 3) / 4; slice_start: slices + 1 entries; row_of: 4 per slice, the
/// row of each lane pair, rows past the last row); step t of a slice holds the
/// (t − slice_start[s])-th nonzero of each of its 4 rows: column index16[4t + i] and the pair
/// values w16[16t + 4i ..< 16t + 4i + 4] = (vr, vr, vi, vi) for row i (column `cols` and zeros past
/// a row's end and in slices' lanes past the last row; w16 32-byte aligned). The product reads the
/// input interleaved with a zero pair at column cols, two rows per 256-bit multiply-add, and gives
/// the per-row product's bits (wt_ccsr_rows_fill). Returns 0, or -1 when it has none or without
/// working memory.
int wt_ccsr_rows4_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                       const float *vr, const float *vi, int32_t *slice_start, uint32_t *row_of, uint16_t *index16,
                       float *w16);

/// wt_ccsr_linear with the pattern's row-window layout too (or window = NULL): `window` is the
/// wt_sparse_window of (row_ptr, col_idx) built by wt_ccsr_window_fill (its values: the real parts
/// wvr; groups = (slices + 8) / 9 in position order), `window_imag` its wvi (64-byte aligned). Batches below 4 at the AVX-512 tier take
/// the row-window product (sparse_cwindow.c: two table lookups of 32 inputs and four multiply-adds
/// per 16 rows instead of gathers; lanes without a nonzero are masked out when the example's input
/// holds a NaN or an infinity in either part, and add 0 otherwise), summing each part of row r as
/// b[r] + ((a0 + a1) + (a2 + a3)) with a_q the running sum (fused multiply-adds from +0, in the
/// order of wt_ccsr_linear's statements) of the slice's vectors v ≡ q (mod 4) in stored order
/// (slice order), or as b[r] + a with a the running sum of all the slice's vectors (position order).
/// A window in the 8-lane layout (by_position = WT_CWINDOW_LANES8, from wt_ccsr_window8_fill) is
/// read at the AVX2 and AVX-512 tiers by the AVX2 kernel: per vector of 8 rows two vpermps and a
/// blend per part instead of two 8-lane gathers, slice order with four accumulator pairs, NaN/inf
/// handled as above. A window in the row order (by_position = WT_WINDOW_ROWS, its values the pair
/// values of wt_ccsr_rows_fill; window_imag may be anything non-NULL) runs the per-row product of
/// wt_ccsr_rows_fill's description at the AVX2 and AVX-512 tiers, the input interleaved into
/// scratch; with sorted slices (index16, slice_start, base = row_of and values = w16 of
/// wt_ccsr_rows4_fill) the same sums two rows per 256-bit multiply-add, same bits. The portable tier, larger batches, a window of another shape or order, or no
/// scratch memory take wt_ccsr_linear. Same bits at any thread count. Returns as wt_ccsr_linear.
int wt_ccsr_linear_windowed(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                            const float *vr, const float *vi, const wt_sparse_window *window,
                            const float *window_imag, const float *br, const float *bi, ptrdiff_t batch,
                            const float *xr, const float *xi, ptrdiff_t ldx, float *yr, float *yi, ptrdiff_t ldy);

/// Sparse real convolution (no groups): y[n, o, p] = bias[o] + Σ_k values[k] · col_n[taps[col_idx[k]], p],
/// where col_n is the im2col matrix of sample n (see wt_im2col_f32: row t = c·Πk + kk of the
/// kernel tap (c, kk)).
///
/// The weight [rows = C_out, channels·Πk] is given in CSR form over the compacted column set
/// `taps` (ntaps ascending im2col rows, the taps some nonzero uses; col_idx indexes taps). Without
/// padding, with stride and dilation 1 along the last axis and out[2] a multiple of 8, each output
/// line is computed straight from the input rows; otherwise only the used rows of each sample's
/// im2col matrix are built. Both add the same products in the same order. x holds `samples` contiguous samples of
/// channels × in[0]·in[1]·in[2]; y holds `samples` contiguous C_out × out[0]·out[1]·out[2] outputs.
/// bias may be NULL. Samples are split over the threads. Returns 0, or -1 when scratch memory
/// could not be allocated.
int wt_scsr_conv(const wt_conv_shape *shape, ptrdiff_t samples, ptrdiff_t rows, const int32_t *row_ptr,
                 const int32_t *col_idx, const float *values, const float *bias, ptrdiff_t ntaps,
                 const int32_t *taps, const float *x, float *y);

/// Sparse complex convolution: as wt_scsr_conv with a complex weight (vr, vi), complex bias (br, bi,
/// both NULL for none), complex input (xr, xi) and output (yr, yi):
///   y = (Wr⋆xr − Wi⋆xi) + i(Wr⋆xi + Wi⋆xr) + b.
int wt_ccsr_conv(const wt_conv_shape *shape, ptrdiff_t samples, ptrdiff_t rows, const int32_t *row_ptr,
                 const int32_t *col_idx, const float *vr, const float *vi, const float *br, const float *bi,
                 ptrdiff_t ntaps, const int32_t *taps, const float *xr, const float *xi, float *yr, float *yi);

#ifdef __cplusplus
}
#endif
#endif
