#ifndef WIRTINGER_KERNELS_SPARSE_H
#define WIRTINGER_KERNELS_SPARSE_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Flag of wt_scsr_linear: apply ReLU to the output: y where y > 0 or y is NaN, else +0.
#define WT_SPARSE_RELU 1

/// Sparse-weight linear map for inference: y = x · Wᵀ + bias with W (rows × cols) in CSR form.
///
/// W row r (an output feature) holds the nonzeros values[k] at columns col_idx[k] for
/// k in row_ptr[r] ..< row_ptr[r + 1]; row_ptr has rows + 1 entries, row_ptr[0] = 0, and every
/// col_idx is in 0 ..< cols (not checked here). x is batch × cols with row stride ldx, y is
/// batch × rows with row stride ldy (y must not overlap x):
///   y[b·ldy + r] = bias[r] + Σ_k values[k] · x[b·ldx + col_idx[k]]   (bias may be NULL: 0).
/// An empty row gives bias[r] (or 0). batch = 0 or rows = 0 does nothing. flags: 0, or
/// WT_SPARSE_RELU to store max(y, 0) instead (the ReLU that follows a hidden layer, fused).
///
/// Small batches take one gathered dot product per (example, row). Larger batches are cut into
/// tiles of examples; each tile of x is transposed once into a scratch buffer so that every
/// nonzero becomes a broadcast-multiply-add over contiguous examples. Large problems are split by
/// rows over the GEMM worker pool (wt_get_num_threads()). Uses the AVX2/FMA code when
/// wt_active_isa() says so, else portable C. Returns 0, or -1 if the scratch buffer could not be
/// allocated (y is then untouched).
int wt_scsr_linear(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                   const float *values, const float *bias, ptrdiff_t batch, const float *x, ptrdiff_t ldx,
                   float *y, ptrdiff_t ldy, int flags);

/// The portable version of wt_scsr_linear (same contract, single-threaded, plain C); the test oracle
/// for the AVX2 path.
int wt_scsr_linear_portable(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                            const float *values, const float *bias, ptrdiff_t batch, const float *x,
                            ptrdiff_t ldx, float *y, ptrdiff_t ldy, int flags);

/// Slices (16 rows) per group of the row-window layout: the product keeps one group's
/// accumulators in registers.
#define WT_WINDOW_GROUP 25

/// The number of window positions of a row-window layout with cols ≥ 32 inputs: window p covers
/// the columns 16p ..< 16p + 32, and the last one ends at cols rounded up to a multiple of 16.
static inline ptrdiff_t wt_window_positions(ptrdiff_t cols) { return (cols + 15) / 16 - 1; }

/// The row-window layout of a CSR weight (rows × cols, cols ≥ 32) for the small-batch product.
/// The rows form slices of 16 (slice s = rows 16s ..< 16s + 16), the slices groups of
/// WT_WINDOW_GROUP (group g = slices 25g ..< 25g + 25). Each stored vector belongs to one slice
/// and one window position p and holds, in lane i, at most one nonzero of row 16s + i: present
/// when bit i of mask[v] is set, at column 16p + index[16v + i] (index < 32) with value
/// values[16v + i] (value 0 and index 0 in absent lanes). Every nonzero of the CSR form is stored
/// exactly once, a row's in ascending column order (its vectors in ascending positions). Two
/// orders of the vectors:
///  * by_position = 0, slice order: slice s's vectors are slice_start[s] ..< slice_start[s + 1],
///    vector v at position base[v] / 16 (count and group_start unused);
///  * by_position = 1, position order: group by group, in a group position by position, at a
///    position slice by slice: count[(g · positions + p) · 25 + j] vectors of slice 25g + j at
///    position p (0 for slices past the last), the group's first vector being group_start[g]
///    (slice_start and base unused);
///  * by_position = 2, round-robin position order: group by group, in a group position by
///    position, the group's first vector being group_start[g]; position p of group g holds
///    position_count[g · positions + p] vectors: the first vector (at that position) of every
///    slice that has one, in ascending slice order, then the second ones, and so on; slice_of[v]
///    is vector v's slice within its group (0 ..< 25). A slice's vectors keep the position
///    order's sequence, so the product adds them in the same order (count, base, slice_start
///    unused).
/// Built by wt_scsr_window_count / wt_scsr_window_fill; the arrays belong to the caller. The
/// product reads values with 64-byte and index with 16-byte aligned loads, so values must be
/// 64-byte and index 16-byte aligned.
typedef struct wt_sparse_window {
    ptrdiff_t rows, cols;        /// the weight's shape
    ptrdiff_t slices, vectors;   /// (rows + 15) / 16, and the number of stored vectors
    ptrdiff_t groups, positions; /// (slices + 24) / 25, and wt_window_positions(cols)
    int by_position;             /// the order of the vectors (above)
    const int32_t *slice_start;  /// slice order: slices + 1 entries
    const uint32_t *base;        /// slice order: vectors entries
    const uint8_t *count;        /// position order: groups · positions · 25 entries
    const int32_t *group_start;  /// position orders: groups + 1 entries (the last: vectors)
    const uint16_t *position_count; /// round-robin order: groups · positions entries
    const uint8_t *slice_of;     /// round-robin order: vectors entries
    const uint16_t *mask;        /// vectors entries
    const uint8_t *index;        /// 16 · vectors entries
    const float *values;         /// 16 · vectors entries
    const uint16_t *index16;     /// the real row order's sorted slices (WT_WINDOW_ROWS), or NULL
} wt_sparse_window;

/// The order value (by_position) of the row-window layout of the AVX2 tier ("8-lane layout"):
/// slices of 8 rows (one per lane of a 256-bit vector), each stored vector holding at most one
/// nonzero per row within the 16 columns base[v] ..< base[v] + 16 (base a multiple of 8, clamped to
/// round_up(cols, 8) − 16; index[8v + i] < 16), in slice order: slice s's vectors are
/// slice_start[s] ..< slice_start[s + 1]. slices = (rows + 7) / 8; mask[v] has bit i set for a
/// present lane i; values hold 8 floats per vector (32-byte aligned, 0 in absent lanes), index 8
/// bytes per vector. groups, positions, count, group_start, position_count and slice_of are unused.
/// The complex layer's 8-lane layout (WT_CWINDOW_LANES8, kernels_sparse_spmm.h) is the same walk,
/// with a second value array.
#define WT_WINDOW_LANES8 8

/// The order value (by_position) of the per-row CSR product of the AVX2 tier ("row order"), for
/// weights too sparse for the 8-lane layout to fill its vectors. Each row's nonzeros in storage
/// order go into two running sums (even and odd positions k − row_ptr[r]; fused multiply-adds from
/// +0), y[r] = bias[r] + (s0 + s1), then ReLU. Two forms with the same bits:
///  * a real weight with at most 65,536 columns (since session 13, wt_scsr_rows8_fill): the rows
///    sorted by nonzero count, longest first (ties in row order), in slices of 8, one row per lane
///    of a 256-bit vector; vector v of a slice holds the (v − slice_start[s])-th nonzero of each of
///    its rows: column index16[8v + i] and value values[8v + i] in lane i (index 0 and value 0
///    past a row's end and in the lanes past the last row); base[8s + i] is lane i's row (rows in
///    lanes past the last row). slices = (rows + 7) / 8, slice_start has slices + 1 entries,
///    values are 32-byte aligned. The product builds each vector's inputs from 8 scalar loads
///    (16-bit indices) and adds even vectors into one sum, odd ones into the other. A finite input
///    is read in place; an example with a NaN or an infinity takes the per-row loop below (a padded
///    lane would multiply x[0] by 0), so a NaN or an infinity reaches only the rows that read it.
///    The scan for those costs cols floats, so a weight with fewer nonzeros than cols / 2 runs the
///    per-row loop even with slices (same bits).
///  * otherwise (complex weights, wider real ones, slice_start NULL): the product reads the CSR
///    arrays passed with the window (row_ptr, col_idx, values) row by row, x in place.
/// The descriptor holds rows, cols and vectors = the number of stored nonzeros; for the complex
/// layer (kernels_sparse_spmm.h) values = the pair values of wt_ccsr_rows_fill and every other
/// array NULL. Run at the AVX2 and AVX-512 tiers; the portable tier takes wt_scsr_linear's paths.
#define WT_WINDOW_ROWS 16

/// Whether a weight whose 8-lane layout (WT_WINDOW_LANES8) would hold `vectors8` vectors for
/// `nonzeros` stored nonzeros runs faster in the row order (WT_WINDOW_ROWS) at the AVX2 tier: the
/// real layer below 4.5 nonzeros per 8-lane vector (since session 16; 3 since session 13), the
/// complex layer below 4.75 (since session 13's second round, whose harness put the complex
/// crossover at 4.7–4.8; was 3.75: 90 % sparsity, 4.5 per vector, moved to the row order); a weight
/// without nonzeros keeps the (empty) 8-lane layout, whose product is cheaper than 400 empty rows
/// of the row loop. 400 × 784 weights with random masks: 99 % sparsity 1.73 nonzeros per vector,
/// 97 %: 2.8, 95 %: 3.44–3.5, 90 %: 4.5, 88 %: 4.8.
///
/// The real threshold was measured on the first CPU whose best tier is AVX2 that ran the kernels
/// (AMD EPYC Zen 3, family 25 model 1; session 16, throwaway harness, AVX2 code, 400 × 784, batch 1,
/// 1 thread, random masks, sorted slices against the 8-lane layout): 3.9–5.7 against 6.1–7.3 µs at
/// 3.44 nonzeros per vector (95 %), 4.8 against 6.8 µs at 3.68, 5.5 against 7.5 µs at 3.92, 6.2
/// against 8.1 µs at 4.13, 7.9–10.5 against 9.3–11.2 µs at 4.49, ties (8.3–11.9 against 9.6–11.5)
/// at 4.57–4.66, 12.3 against 11.8 µs at 4.80, 15.7 against 14.0 at 5.16. The 8-lane layout fares
/// worse on Zen 3 than on the Zen 4 host where session 13 set 3 (presumably its two 256-bit vpermps
/// per vector; AVX2 code emulated there: real 0.82 against 1.35 µs at 1.78 nonzeros per vector, 2.85–3.15 against
/// 2.93–2.96 µs at 3.36–3.51; Docs/Inference.md, "Session 12" and "Session 13"); the Zen 4 runs
/// the AVX-512 tier, which never reads this pick. Complex (sorted slices of 4 rows against the
/// 8-lane layout, session 13 second round, Zen 4): 4.56 against 5.88 µs at 3.52, 6.90–7.06 against
/// 7.90–7.98 at 4.17, 8.52–8.79 against 9.23–9.29 at 4.53, 9.59–9.64 against 9.80–9.82 at 4.68,
/// 10.13 against 10.08–10.12 at 4.77, 11.28–11.51 against 10.81–11.04 at 4.96.
static inline int wt_window8_prefers_rows(ptrdiff_t nonzeros, ptrdiff_t vectors8, int complex) {
    return complex ? 4 * nonzeros < 19 * vectors8 : 2 * nonzeros < 9 * vectors8;
}

/// The number of vectors of the real row order's sorted slices (WT_WINDOW_ROWS) of a CSR matrix:
/// the sum over slices of 8 rows (sorted by nonzero count, longest first) of their longest row;
/// -1 when it has none (cols > 65,536, cols < 1 or rows < 0).
ptrdiff_t wt_scsr_rows8_count(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr);

/// Writes the real row order's sorted slices (WT_WINDOW_ROWS) of a CSR matrix: slice_start
/// ((rows + 7) / 8 + 1 entries), row_of (8 per slice: the row of each lane, rows past the last
/// row), index16 and wvalues (8 per vector), with vectors = wt_scsr_rows8_count(…). Returns 0, or
/// -1 when it has none or its working memory could not be allocated.
int wt_scsr_rows8_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                       const float *values, int32_t *slice_start, uint32_t *row_of, uint16_t *index16,
                       float *wvalues);

/// The number of vectors of the 8-lane layout (WT_WINDOW_LANES8) of a CSR matrix, or -1 when it
/// has none (cols < 16, or rows < 0).
ptrdiff_t wt_scsr_window8_count(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx);

/// Writes the 8-lane layout (WT_WINDOW_LANES8) of a CSR matrix: slice_start ((rows + 7) / 8 + 1
/// entries), base and mask (vectors each), index and wvalues (8 · vectors), with vectors =
/// wt_scsr_window8_count(…). Returns 0, or -1 when cols < 16 or rows < 0.
int wt_scsr_window8_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                         const float *values, int32_t *slice_start, uint32_t *base, uint16_t *mask, uint8_t *index,
                         float *wvalues);

/// The number of vectors of the row-window layout of a CSR matrix (as for wt_scsr_linear), or -1
/// when it has none (cols < 32, or rows < 0).
ptrdiff_t wt_scsr_window_count(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx);

/// The order wt_scsr_linear_windowed runs fastest for a layout of `vectors` vectors: position
/// order (1) when there are at least as many vectors as (group, position, slice) cells — that
/// product visits every cell, an empty one too (Docs/Inference.md, "Session 8") — or, with at
/// least one full group of 25 slices, at least 0.6 vectors per cell; else the round-robin position
/// order (2) when there is at least one full group, whose product keeps the slices' sums in memory
/// and skips empty cells (faster below about 0.6 vectors per cell for 400 rows: 99.5 % sparsity;
/// with few slices a slice's vectors would follow each other through memory: Docs/Inference.md,
/// "Session 9"); else slice order (0).
static inline int wt_window_by_position(ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t vectors) {
    const ptrdiff_t slices = (rows + 15) / 16, groups = (slices + WT_WINDOW_GROUP - 1) / WT_WINDOW_GROUP;
    const ptrdiff_t cells = groups * wt_window_positions(cols) * WT_WINDOW_GROUP;
    if (vectors >= cells) return 1;
    if (slices < WT_WINDOW_GROUP) return 0;
    return 5 * vectors >= 3 * cells ? 1 : 2;
}

/// Writes the row-window layout of a CSR matrix in the given order into the caller's arrays (sizes
/// as in wt_sparse_window, with vectors = wt_scsr_window_count(…) ≥ 0; the arrays of the other
/// order are not touched and may be NULL). Returns 0, or -1 when cols < 32 or the working memory
/// of the position orders (4 bytes per count entry; the round-robin order also a copy of the
/// vectors in position order) could not be allocated.
int wt_scsr_window_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                        const float *values, int by_position, int32_t *slice_start, uint32_t *base, uint8_t *count,
                        int32_t *group_start, uint16_t *position_count, uint8_t *slice_of, uint16_t *mask,
                        uint8_t *index, float *wvalues);

/// wt_scsr_linear with the weight's row-window layout too (or window = NULL): batches below 4 take
/// the row-window product at the AVX-512 tier (one table lookup of 32 inputs and one multiply-add
/// per 16 rows instead of gathers; lanes without a nonzero are masked out when the example's input
/// holds a NaN or an infinity, and add 0 otherwise), summing row r as bias[r] + a with a the
/// running sum (fused multiply-adds, from +0) of its slice's vectors in stored order (position
/// orders) or as bias[r] + ((a0 + a1) + (a2 + a3)) with a_q the running sum of the slice's vectors
/// v ≡ q (mod 4) (slice order). A window in the 8-lane layout (WT_WINDOW_LANES8) is read at the
/// AVX2 and AVX-512 tiers by the AVX2 kernel: per vector of 8 rows two vpermps of the window's
/// aligned 8-input halves and a blend on the index's bit 3 instead of an 8-lane gather, sums as
/// in slice order, NaN/inf handled as above. A window in the row order (WT_WINDOW_ROWS) runs the per-row CSR
/// product described there at the AVX2 and AVX-512 tiers. The portable tier, larger batches, a 16-lane window
/// at the AVX2 tier, or a window of another shape take wt_scsr_linear's paths. Same bits at any
/// thread count.
int wt_scsr_linear_windowed(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                            const float *values, const wt_sparse_window *window, const float *bias, ptrdiff_t batch,
                            const float *x, ptrdiff_t ldx, float *y, ptrdiff_t ldy, int flags);

/// One layer of wt_scsr_chain: y = x · Wᵀ + bias (then ReLU with WT_SPARSE_RELU in flags), W rows × cols.
/// W is in CSR form (row_ptr, col_idx, values as for wt_scsr_linear) and/or dense: `weight`
/// (rows × cols, row-major) with, optionally, `packed` = wt_sgemm_pack_b(packed_tier, 1, rows, cols,
/// weight, cols, ·). A layer with both forms uses the dense one for batches below dense_below.
typedef struct wt_sparse_chain_layer {
    ptrdiff_t rows, cols;
    const int32_t *row_ptr, *col_idx;  /// CSR form, or row_ptr = NULL for none
    const float *values;
    const float *weight;               /// dense form, or NULL for none
    const float *packed;               /// weight packed for packed_tier, or NULL
    int packed_tier;                   /// the wt_isa of `packed`
    ptrdiff_t dense_below;             /// CSR and dense: batches below this take the dense form
    const float *bias;                 /// rows values, or NULL for 0
    int flags;                         /// 0 or WT_SPARSE_RELU
    const wt_sparse_window *window;    /// the CSR form's row-window layout (small batches), or NULL
} wt_sparse_chain_layer;

/// A chain of linear layers for inference in one call: x (batch × layers[0].cols, row stride ldx)
/// through layers[0], …, layers[count − 1] (layers[i].cols = layers[i − 1].rows) into y
/// (batch × layers[count − 1].rows, row stride ldy; not overlapping x). The hidden activations live
/// in per-thread scratch memory kept between calls, so the call allocates nothing once warm.
///
/// Each layer gives the same bits as its own call: a CSR layer as wt_scsr_linear_windowed with its window, a dense one as
/// the library's eval-mode linear (bias rows, then wt_sgemm_skinny for ≤ 16 rows, else
/// wt_sgemm_prepacked with `packed` when packed_tier is the active tier or wt_sgemm, accumulated
/// onto the bias; ReLU as a select). When every layer takes its CSR form and batch ≥ 4, the
/// layers run tile by tile (64 examples): the input tile is transposed once, each hidden layer
/// writes its 64 sums per row straight into the transposed layout the next layer reads, and only
/// the last layer's output is transposed back into y. Tiles are split over the GEMM worker pool
/// (wt_get_num_threads()) when there are at least as many as threads; otherwise, and for dense
/// layers, the chain runs layer by layer, each split as its own call would be. Returns 0, or -1
/// when scratch memory could not be allocated (y is then undefined).
int wt_scsr_chain(const wt_sparse_chain_layer *layers, int count, ptrdiff_t batch, const float *x, ptrdiff_t ldx,
                  float *y, ptrdiff_t ldy);

#ifdef __cplusplus
}
#endif
#endif
