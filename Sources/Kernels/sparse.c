// Sparse-weight linear map (CSR) for inference: y = x · Wᵀ + bias. See kernels_sparse.h.
//
// Four schemes:
//  * batch < WT_SP_GATHER_MAX with the weight's row-window layout: at the AVX-512 tier 16 rows per
//    vector, inputs by table lookup; at the AVX2 tier (the 8-lane layout) 8 rows per vector,
//    inputs by two vpermps and a blend (one body over W lanes, sparse_window_vec.h, instantiated
//    as spw16_* and spw8_*; the tier table's window pieces).
//  * batch < WT_SP_GATHER_MAX with a window in the row order (WT_WINDOW_ROWS, the AVX2 tier's pick
//    for very sparse weights): per example and output row, a scalar dot product of the row's
//    nonzeros with the input read in place (sp_rows_avx2; AVX2 and AVX-512 tiers); for a real
//    weight with sorted slices (since session 13) the same sums 8 rows at a time, rows sorted by
//    length, each vector's inputs from 8 scalar loads (sp_rows_sorted_avx2).
//  * batch < WT_SP_GATHER_MAX otherwise: per example and output row, a dot product of the row's
//    nonzeros with the gathered inputs (8-lane hardware gathers on the x86 tiers, four partial sums
//    in portable C).
//  * otherwise: the batch is cut into tiles of WT_SP_TILE examples; x is transposed tile by tile
//    into a scratch buffer xt[tile][col][WT_SP_TILE] (padding examples are zero). A nonzero w at
//    (r, c) then adds w · xt[tile][c][0..<64] to the 64 accumulators of row r: a broadcast and
//    four (AVX-512) or eight (AVX2) FMAs over contiguous memory, with the accumulators in
//    registers. Every WT_SP_GROUP rows' sums go to a 4 KB transposed buffer ot[row][WT_SP_TILE],
//    transposed into y while in L1. The vector pieces (W×W register transposes, the row sums) are
//    one body over the vector width W (sparse_tile.h: W = 16 at the AVX-512 tier, 8 at AVX2).
// Rows are split over the GEMM worker pool when the product is big enough, balanced by nonzeros.
// wt_scsr_chain (at the end) runs several layers per call, keeping the transposed layout between
// CSR layers.
#include "kernels_sparse.h"
#include "kernels_dispatch.h"
#include "kernels_gemm.h"
#include "kernels_skinny.h"
#include "gemm_internal.h"
#include "tiers.h"
#include "sparse_scratch.h"
#include "sparse_window.h"
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WT_SP_TILE 64          // examples per tile (8 AVX2 vectors)
#define WT_SP_GATHER_MAX 4     // batches below this use the gathered dot products
#define WT_SP_PARALLEL_MIN (1L << 17)  // batch · nnz below this stays on the calling thread
#define WT_SP_PARALLEL_MIN_GATHER (1L << 13)  // the same for the gathered small-batch path (cheap to split: no tiles)

struct wt_sp_job;
/// The pieces of one tier (portable, AVX2, AVX-512; the AVX-512 tier transposes with the AVX2 piece).
typedef struct {
    void (*gather)(const struct wt_sp_job *j, ptrdiff_t r0, ptrdiff_t r1);
    void (*transpose_tile)(const float *x, ptrdiff_t ldx, ptrdiff_t nb, ptrdiff_t cols, float *xt);
    /// Rows r0 ..< r1 of a tile left transposed: out[(r − r0)·64 + i] for the tile's example i
    /// (the layout transpose_tile makes, so the next layer of a chain reads it as its xt).
    void (*tile_rows_t)(const struct wt_sp_job *j, const float *xt, ptrdiff_t r0, ptrdiff_t r1, float *out);
    /// y[i·ldy + r] = ot[(r − r0)·64 + i] for i < nb, r0 ≤ r < r1 (y at the tile's first example).
    void (*transpose_back)(const float *ot, ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t nb, float *y, ptrdiff_t ldy);
    /// The row-window product of units u0 ..< u1 for one example (sparse_window.h), or NULL where
    /// the gathered dot products are faster (portable). The AVX2 tier's reads the 8-lane layout
    /// (WT_WINDOW_LANES8) only, the AVX-512 tier's every layout.
    void (*window)(const wt_sparse_window *w, const float *bias, const float *x, float *y, int relu, int masked,
                   ptrdiff_t u0, ptrdiff_t u1);
    /// The aligned, zero-padded copy of one example's input the window product reads; 1 when it
    /// is finite (sparse_window.h). NULL with window.
    int (*window_input)(const float *x, ptrdiff_t cols, float *xa);
    /// Whether one example's input is finite, for an input the window product reads in place
    /// (64-byte aligned, cols a multiple of 16). NULL with window.
    int (*window_finite)(const float *x, ptrdiff_t cols);
    /// 1 when window reads the 16-lane layouts (by_position 0, 1, 2) too.
    int window16;
    /// The per-row CSR product of rows r0 ..< r1 for every example (the row order,
    /// WT_WINDOW_ROWS), or NULL (portable: the gathered products).
    void (*rows_csr)(const struct wt_sp_job *j, ptrdiff_t r0, ptrdiff_t r1);
    /// The row order's sorted slices s0 ..< s1 (a real weight's WT_WINDOW_ROWS with index16) for
    /// every example, or NULL (portable).
    void (*rows_sorted)(const struct wt_sp_job *j, ptrdiff_t s0, ptrdiff_t s1);
    /// Bias and ReLU over rows r0 ..< r1 of one example's sums (the row order's second pass), or NULL.
    void (*rows_out)(const float *bias, float *y, ptrdiff_t r0, ptrdiff_t r1, int relu);
} wt_sp_tier;

typedef struct wt_sp_job {
    ptrdiff_t rows, cols;
    const int32_t *row_ptr, *col_idx;
    const float *values, *bias;
    ptrdiff_t batch;
    const float *x;
    ptrdiff_t ldx;
    float *y;
    ptrdiff_t ldy;
    const float *xt;      // transposed tiles (tile path only)
    ptrdiff_t tiles;
    const wt_sp_tier *tier;
    int relu;             // WT_SPARSE_RELU: y = max(y, 0)
    const wt_sparse_window *window;  // the row-window layout (small batches, when the tier has a piece for it)
    int rows_csr;         // small batches through the tier's per-row CSR product (a window in the row order)
    const wt_sparse_window *sorted;  // ... through its sorted slices (the real row order's index16 form)
    // The fields from here on are set where they are used (sp_linear zeroes only those above).
    const float *xa[WT_SP_GATHER_MAX];  // window path: example b's input as the product reads it (in place or copied)
    int finite[WT_SP_GATHER_MAX];  // window path: whether example b's input is finite
    ptrdiff_t split[65];  // row (or, with window, group or slice) boundaries of the parts
    int status[64];       // tile split: per part 0, or -1 when its scratch could not be allocated
} wt_sp_job;

// ---------------------------------------------------------------------------------------------
// Portable pieces.

/// The gathered dot products of rows r0 ..< r1 for every example: four partial sums over the
/// row's nonzeros, then bias and ReLU (the portable tier).
static void sp_gather_portable(const wt_sp_job *j, ptrdiff_t r0, ptrdiff_t r1) {
    for (ptrdiff_t b = 0; b < j->batch; b++) {
        const float *xb = j->x + b * j->ldx;
        float *yb = j->y + b * j->ldy;
        for (ptrdiff_t r = r0; r < r1; r++) {
            int32_t k = j->row_ptr[r], end = j->row_ptr[r + 1];
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (; k + 4 <= end; k += 4) {
                s0 += j->values[k] * xb[j->col_idx[k]];
                s1 += j->values[k + 1] * xb[j->col_idx[k + 1]];
                s2 += j->values[k + 2] * xb[j->col_idx[k + 2]];
                s3 += j->values[k + 3] * xb[j->col_idx[k + 3]];
            }
            for (; k < end; k++) s0 += j->values[k] * xb[j->col_idx[k]];
            float v = (j->bias ? j->bias[r] : 0.0f) + ((s0 + s1) + (s2 + s3));
            yb[r] = (j->relu && !(v > 0.0f) && v == v) ? 0.0f : v;  // ReLU: NaN stays NaN
        }
    }
}

/// xt[c][i] = x[(b0 + i)·ldx + c] for i < nb, 0 for nb ≤ i < WT_SP_TILE.
static void sp_transpose_tile_portable(const float *x, ptrdiff_t ldx, ptrdiff_t nb, ptrdiff_t cols, float *xt) {
    for (ptrdiff_t c = 0; c < cols; c++) {
        float *dst = xt + c * WT_SP_TILE;
        for (ptrdiff_t i = 0; i < nb; i++) dst[i] = x[i * ldx + c];
        for (ptrdiff_t i = nb; i < WT_SP_TILE; i++) dst[i] = 0.0f;
    }
}

/// The tile sums of rows r0 ..< r1 in the transposed layout out[(r − r0)·64 + i] (all 64 lanes):
/// bias, then the row's nonzeros in storage order, then ReLU.
static void sp_tile_rows_t_portable(const wt_sp_job *j, const float *xt, ptrdiff_t r0, ptrdiff_t r1, float *out) {
    for (ptrdiff_t r = r0; r < r1; r++) {
        float *acc = out + (r - r0) * WT_SP_TILE;
        float init = j->bias ? j->bias[r] : 0.0f;
        for (int i = 0; i < WT_SP_TILE; i++) acc[i] = init;
        for (int32_t k = j->row_ptr[r]; k < j->row_ptr[r + 1]; k++) {
            const float w = j->values[k];
            const float *xc = xt + (ptrdiff_t)j->col_idx[k] * WT_SP_TILE;
            for (int i = 0; i < WT_SP_TILE; i++) acc[i] += w * xc[i];
        }
        if (j->relu)
            for (int i = 0; i < WT_SP_TILE; i++) acc[i] = (acc[i] > 0.0f || acc[i] != acc[i]) ? acc[i] : 0.0f;
    }
}

/// y[i·ldy + r] = ot[(r − r0)·WT_SP_TILE + i] for i < nb, r0 ≤ r < r1.
static void sp_transpose_back_portable(const float *ot, ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t nb, float *y, ptrdiff_t ldy) {
    for (ptrdiff_t i = 0; i < nb; i++)
        for (ptrdiff_t r = r0; r < r1; r++) y[i * ldy + r] = ot[(r - r0) * WT_SP_TILE + i];
}

// ---------------------------------------------------------------------------------------------
// AVX2/FMA pieces.

#if WT_X86
/// The gathered dot products on the AVX2 and AVX-512 tiers: eight nonzeros per `vgatherdps`, the
/// last ones under a lane mask (AVX2 masked loads and gather, so one body and one rounding for
/// both tiers: 8 partial sums, then a fixed lane tree). Eight lanes beat sixteen and the scalar
/// 4-sum loop on this CPU (Xeon family 6 model 207, 784 → 400 at batch 1, kernel alone: 4.4 µs
/// against 5.2 (16 lanes) and 7.0 (scalar) at 95 % sparsity, 1.2 against 1.6 and 1.8 µs at 99 %;
/// Docs/Inference.md "One call per forward").
#define WT_SP_GATHER8(NAME, TARGET)                                                                   \
    TARGET static void NAME(const wt_sp_job *j, ptrdiff_t r0, ptrdiff_t r1) {                        \
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);                            \
        for (ptrdiff_t b = 0; b < j->batch; b++) {                                                  \
            const float *xb = j->x + b * j->ldx;                                                    \
            float *yb = j->y + b * j->ldy;                                                          \
            for (ptrdiff_t r = r0; r < r1; r++) {                                                   \
                int32_t k = j->row_ptr[r], end = j->row_ptr[r + 1];                                 \
                __m256 acc = _mm256_setzero_ps();                                                   \
                for (; k + 8 <= end; k += 8) {                                                      \
                    __m256i idx = _mm256_loadu_si256((const __m256i *)(j->col_idx + k));            \
                    acc = _mm256_fmadd_ps(_mm256_loadu_ps(j->values + k), _mm256_i32gather_ps(xb, idx, 4), acc); \
                }                                                                                   \
                if (k < end) {                                                                      \
                    __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(end - k), lane);               \
                    __m256i idx = _mm256_maskload_epi32(j->col_idx + k, m);                         \
                    __m256 xv = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), xb, idx, _mm256_castsi256_ps(m), 4); \
                    acc = _mm256_fmadd_ps(_mm256_maskload_ps(j->values + k, m), xv, acc);           \
                }                                                                                   \
                __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));  \
                h = _mm_add_ps(h, _mm_movehl_ps(h, h));                                             \
                h = _mm_add_ss(h, _mm_movehdup_ps(h));                                              \
                float v = (j->bias ? j->bias[r] : 0.0f) + _mm_cvtss_f32(h);                         \
                yb[r] = (j->relu && !(v > 0.0f) && v == v) ? 0.0f : v; /* ReLU: NaN stays NaN */    \
            }                                                                                       \
        }                                                                                           \
    }
WT_SP_GATHER8(sp_gather_avx2, WT_TARGET_AVX2)
WT_SP_GATHER8(sp_gather_avx512, WT_TARGET_AVX512)

/// Row r's two running sums of the row order (WT_WINDOW_ROWS, kernels_sparse.h): its nonzeros in
/// storage order, even positions from the row's start into s0, odd ones into s1 (fused
/// multiply-adds from +0); returns s0 + s1. Four nonzeros per iteration (the same sums as a loop of
/// two per iteration; 1.05 against 1.17 µs for 400 × 784 at 99 %: less loop overhead).
WT_TARGET_AVX2 static inline float sp_row_sums(const int32_t *rp, const int32_t *ci, const float *v, const float *xb,
                                               ptrdiff_t r) {
    int32_t k = rp[r];
    const int32_t end = rp[r + 1];
    float s0 = 0.0f, s1 = 0.0f;
    for (; k + 4 <= end; k += 4) {
        s0 = __builtin_fmaf(v[k], xb[ci[k]], s0);
        s1 = __builtin_fmaf(v[k + 1], xb[ci[k + 1]], s1);
        s0 = __builtin_fmaf(v[k + 2], xb[ci[k + 2]], s0);
        s1 = __builtin_fmaf(v[k + 3], xb[ci[k + 3]], s1);
    }
    if (k + 2 <= end) {
        s0 = __builtin_fmaf(v[k], xb[ci[k]], s0);
        s1 = __builtin_fmaf(v[k + 1], xb[ci[k + 1]], s1);
        k += 2;
    }
    if (k < end) s0 = __builtin_fmaf(v[k], xb[ci[k]], s0);
    return s0 + s1;
}

/// bias + sum (bias NULL: +0 + sum), then with relu the value where it is > 0 or NaN, else +0.
static inline float sp_row_out(const float *bias, ptrdiff_t r, float sum, int relu) {
    const float y = (bias ? bias[r] : 0.0f) + sum;
    return (relu && !(y > 0.0f) && y == y) ? 0.0f : y;
}

/// y[r] = bias[r] + y[r] (bias NULL: +0 + y[r]) for r0 ≤ r < r1, then with relu the value where it
/// is > 0 or NaN, else +0: the row order's second pass over the sums s0 + s1 it stored in y.
WT_TARGET_AVX2 static void sp_rows_out_avx2(const float *bias, float *yb, ptrdiff_t r0, ptrdiff_t r1, int relu) {
    const __m256 zero = _mm256_setzero_ps();
    ptrdiff_t r = r0;
    for (; r + 8 <= r1; r += 8) {
        __m256 y = _mm256_add_ps(bias ? _mm256_loadu_ps(bias + r) : zero, _mm256_loadu_ps(yb + r));
        if (relu) y = _mm256_and_ps(y, _mm256_or_ps(_mm256_cmp_ps(y, zero, _CMP_GT_OQ), _mm256_cmp_ps(y, y, _CMP_UNORD_Q)));
        _mm256_storeu_ps(yb + r, y);
    }
    for (; r < r1; r++) yb[r] = sp_row_out(bias, r, yb[r], relu);
}

/// The per-row CSR product of the row order (WT_WINDOW_ROWS, kernels_sparse.h) on the AVX2 and
/// AVX-512 tiers, the form without sorted slices (complex patterns' real counterpart: a real weight
/// wider than 65,536 columns): y = bias + (s0 + s1) per row (sp_row_sums), then ReLU. x is read in
/// place. Two passes: the sums go to y, then bias and ReLU are applied 8 rows at a time (1.04
/// against 1.11 µs for 400 × 784 at 99 % with both in the row loop; Docs/Inference.md, "Session 12").
WT_TARGET_AVX2 static void sp_rows_avx2(const wt_sp_job *j, ptrdiff_t r0, ptrdiff_t r1) {
    const float *bias = j->bias;
    const int relu = j->relu;
    for (ptrdiff_t b = 0; b < j->batch; b++) {
        const float *xb = j->x + b * j->ldx;
        float *yb = j->y + b * j->ldy;
        for (ptrdiff_t r = r0; r < r1; r++) yb[r] = sp_row_sums(j->row_ptr, j->col_idx, j->values, xb, r);
        sp_rows_out_avx2(bias, yb, r0, r1, relu);
    }
}

/// Whether x[0 ..< n] holds neither a NaN nor an infinity (x − x is +0 for every finite x).
WT_TARGET_AVX2 static int sp_finite_avx2(const float *x, ptrdiff_t n) {
    __m256 bad = _mm256_setzero_ps(), b1 = bad, b2 = bad, b3 = bad;
    ptrdiff_t c = 0;
    for (; c + 32 <= n; c += 32) {  // four independent chains
        const __m256 v0 = _mm256_loadu_ps(x + c), v1 = _mm256_loadu_ps(x + c + 8);
        const __m256 v2 = _mm256_loadu_ps(x + c + 16), v3 = _mm256_loadu_ps(x + c + 24);
        bad = _mm256_or_ps(bad, _mm256_sub_ps(v0, v0));
        b1 = _mm256_or_ps(b1, _mm256_sub_ps(v1, v1));
        b2 = _mm256_or_ps(b2, _mm256_sub_ps(v2, v2));
        b3 = _mm256_or_ps(b3, _mm256_sub_ps(v3, v3));
    }
    bad = _mm256_or_ps(_mm256_or_ps(bad, b1), _mm256_or_ps(b2, b3));
    for (; c + 8 <= n; c += 8) {
        const __m256 v = _mm256_loadu_ps(x + c);
        bad = _mm256_or_ps(bad, _mm256_sub_ps(v, v));
    }
    int ok = _mm256_movemask_ps(_mm256_cmp_ps(bad, bad, _CMP_UNORD_Q)) == 0;  // NaN | anything is NaN
    for (; c < n; c++) ok &= (x[c] - x[c] == 0.0f);
    return ok;
}

/// The inputs of one stored vector of the sorted slices: x[index16[i]] in lane i, from 8 scalar
/// loads (two 64-bit loads of the 16-bit indices, split by shifts).
WT_TARGET_AVX2 static inline __m256 sp_rows8_inputs(const float *xb, const uint16_t *ip) {
    uint64_t u0, u1;
    memcpy(&u0, ip, 8);
    memcpy(&u1, ip + 4, 8);
    const __m128 lo = _mm_setr_ps(xb[u0 & 0xffff], xb[(u0 >> 16) & 0xffff], xb[(u0 >> 32) & 0xffff], xb[u0 >> 48]);
    const __m128 hi = _mm_setr_ps(xb[u1 & 0xffff], xb[(u1 >> 16) & 0xffff], xb[(u1 >> 32) & 0xffff], xb[u1 >> 48]);
    return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
}

/// The real row order's sorted slices s0 ..< s1 (WT_WINDOW_ROWS with index16, kernels_sparse.h)
/// on the AVX2 and AVX-512 tiers: 8 rows per vector, vector v of a slice adds into sum (v mod 2) —
/// lane i's sums are the running sums s0, s1 of sp_row_sums for its row, so the bits are the
/// per-row loop's — then y[row] = s0 + s1 lane by lane (the rows are permuted); bias and ReLU are
/// applied afterwards over y in row order (sp_rows_out_avx2, once every part is done).
/// Padded lanes add 0 · x[0] = 0 exactly for a finite input (a sum is never −0); an example with a
/// NaN or an infinity runs the per-row loop over the same rows instead. At 99 % sparsity of a
/// 400 × 784 weight about 0.9 cycles per nonzero against 1.2 for the per-row loop (sorting keeps
/// 98 % of the lanes filled; unsorted slices of consecutive rows fill 66 % and lose the gain);
/// Docs/Inference.md, "Session 13".
WT_TARGET_AVX2 static void sp_rows_sorted_avx2(const wt_sp_job *j, ptrdiff_t s0, ptrdiff_t s1) {
    const wt_sparse_window *w = j->sorted;
    const int32_t *start = w->slice_start;
    const uint32_t *row_of = w->base;
    const uint16_t *index = w->index16;
    const float *values = w->values;
    const ptrdiff_t rows = j->rows;
    for (ptrdiff_t b = 0; b < j->batch; b++) {
        const float *xb = j->x + b * j->ldx;
        float *yb = j->y + b * j->ldy;
        if (!sp_finite_avx2(xb, j->cols)) {
            for (ptrdiff_t lane = 8 * s0; lane < 8 * s1; lane++) {
                const ptrdiff_t r = row_of[lane];
                if (r < rows) yb[r] = sp_row_sums(j->row_ptr, j->col_idx, j->values, xb, r);
            }
            continue;
        }
        for (ptrdiff_t s = s0; s < s1; s++) {
            __m256 a0 = _mm256_setzero_ps(), a1 = a0;
            ptrdiff_t v = start[s];
            const ptrdiff_t end = start[s + 1];
            for (; v + 2 <= end; v += 2) {
                a0 = _mm256_fmadd_ps(_mm256_load_ps(values + 8 * v), sp_rows8_inputs(xb, index + 8 * v), a0);
                a1 = _mm256_fmadd_ps(_mm256_load_ps(values + 8 * v + 8), sp_rows8_inputs(xb, index + 8 * v + 8), a1);
            }
            if (v < end) a0 = _mm256_fmadd_ps(_mm256_load_ps(values + 8 * v), sp_rows8_inputs(xb, index + 8 * v), a0);
            _Alignas(32) float sum[8];
            _mm256_store_ps(sum, _mm256_add_ps(a0, a1));
            for (int i = 0; i < 8; i++) {
                const ptrdiff_t r = row_of[8 * s + i];
                if (r < rows) yb[r] = sum[i];
            }
        }
    }
}
#endif

#include "sparse_tile.h"

// ---------------------------------------------------------------------------------------------
// Driver.

#define WT_SP_GROUP 16  // output rows summed into the L1 buffer, then transposed into y, at a time

/// Rows r0 ..< r1 of one tile (xt: its transposed input) into y (at the tile's first example,
/// row stride j->ldy; nb examples): WT_SP_GROUP rows at a time summed into a 4 KB buffer and
/// transposed out of it while it is in L1.
static void sp_tile_rows_y(const wt_sp_job *j, const float *xt, ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t nb, float *y) {
    _Alignas(64) float ot[WT_SP_GROUP * WT_SP_TILE];
    for (ptrdiff_t g = r0; g < r1; g += WT_SP_GROUP) {
        const ptrdiff_t ge = r1 - g < WT_SP_GROUP ? r1 : g + WT_SP_GROUP;
        j->tier->tile_rows_t(j, xt, g, ge, ot);
        j->tier->transpose_back(ot, g, ge, nb, y, j->ldy);
    }
}

static void sp_run_rows(const wt_sp_job *j, ptrdiff_t r0, ptrdiff_t r1) {
    if (r0 >= r1) return;
    if (j->window) {  // r0 ..< r1 are groups of slices or slices (the layout's order)
        for (ptrdiff_t b = 0; b < j->batch; b++)
            j->tier->window(j->window, j->bias, j->xa[b], j->y + b * j->ldy, j->relu, !j->finite[b], r0, r1);
        return;
    }
    if (j->xt == NULL) {
        if (j->sorted) j->tier->rows_sorted(j, r0, r1);  // r0 ..< r1 are slices of the sorted rows
        else if (j->rows_csr) j->tier->rows_csr(j, r0, r1);
        else j->tier->gather(j, r0, r1);
        return;
    }
    for (ptrdiff_t t = 0; t < j->tiles; t++) {
        ptrdiff_t b0 = t * WT_SP_TILE;
        ptrdiff_t nb = j->batch - b0 < WT_SP_TILE ? j->batch - b0 : WT_SP_TILE;
        sp_tile_rows_y(j, j->xt + t * j->cols * WT_SP_TILE, r0, r1, nb, j->y + b0 * j->ldy);
    }
}

/// Tiles t0 ..< t1, every row: each tile transposed into this thread's scratch, then summed and
/// transposed into y. -1 when the scratch could not be allocated.
static int sp_run_tiles(const wt_sp_job *j, ptrdiff_t t0, ptrdiff_t t1) {
    if (t0 >= t1) return 0;
    float *xt = (float *)wt_sparse_scratch((size_t)j->cols * WT_SP_TILE * sizeof(float));
    if (!xt) return -1;
    for (ptrdiff_t t = t0; t < t1; t++) {
        const ptrdiff_t b0 = t * WT_SP_TILE, nb = j->batch - b0 < WT_SP_TILE ? j->batch - b0 : WT_SP_TILE;
        j->tier->transpose_tile(j->x + b0 * j->ldx, j->ldx, nb, j->cols, xt);
        sp_tile_rows_y(j, xt, 0, j->rows, nb, j->y + b0 * j->ldy);
    }
    return 0;
}

static void sp_tiles_task(void *context, int part, int parts) {
    wt_sp_job *j = (wt_sp_job *)context;
    j->status[part] = sp_run_tiles(j, j->tiles * part / parts, j->tiles * (part + 1) / parts);
}

static void sp_task(void *context, int part, int parts) {
    (void)parts;
    const wt_sp_job *j = (const wt_sp_job *)context;
    sp_run_rows(j, j->split[part], j->split[part + 1]);
}

/// Runs units 0 ..< units (groups, slices) of a small-batch job on up to `parts` threads, split so
/// that each part holds about the same stored vectors plus one per unit (start: each unit's first
/// vector, units + 1 entries); any split gives the same bits (the units are independent).
static void sp_run_units(wt_sp_job *j, int parts, ptrdiff_t units, const int32_t *start) {
    if (parts > 64) parts = 64;
    if (units < 2) parts = 1;
    if (parts > units) parts = (int)units;
    j->split[0] = 0;
    for (int p = 1; p < parts; p++) {
        long long target = ((long long)start[units] + units) * p / parts;
        ptrdiff_t lo = j->split[p - 1], hi = units;
        while (lo < hi) {  // first unit whose prefix cost reaches the target
            ptrdiff_t mid = lo + (hi - lo) / 2;
            if ((long long)start[mid] + mid < target) lo = mid + 1; else hi = mid;
        }
        j->split[p] = lo;
    }
    j->split[parts] = units;
    if (parts == 1 || !wt_pool_try_run(parts, sp_task, j)) sp_run_rows(j, 0, units);
}

/// The small-batch product through the row-window layout: the inputs copied into aligned scratch
/// (and checked for non-finite values) once, then the groups (400 rows each) or slices (16 rows;
/// the layout's order) split over the pool, balanced by stored vectors (plus one per unit), when
/// the product is big enough. Returns -1 (nothing done) when the scratch copy could not be allocated.
static int sp_linear_window(wt_sp_job *j, int threads) {
    const wt_sparse_window *w = j->window;
    const ptrdiff_t padded = sp_window_padded(j->cols);
    // An input whose rows are 64-byte aligned and a multiple of 16 floats long (a 784-wide tensor,
    // a 400-wide hidden activation of a chain) is read in place and only checked; others are
    // copied into aligned, zero-padded scratch (sparse_window.h).
    float *xa = NULL;
    for (ptrdiff_t b = 0; b < j->batch; b++) {
        const float *xb = j->x + b * j->ldx;
        if ((j->cols & 15) == 0 && ((uintptr_t)xb & 63) == 0) {
            j->finite[b] = j->tier->window_finite(xb, j->cols);
            j->xa[b] = xb;
            continue;
        }
        if (!xa) xa = (float *)wt_sparse_scratch((size_t)j->batch * (size_t)padded * sizeof(float));
        if (!xa) return -1;
        j->finite[b] = j->tier->window_input(xb, j->cols, xa + b * padded);
        j->xa[b] = xa + b * padded;
    }
    // The units split over the threads: groups of 25 slices (position orders) or slices (slice
    // order, the 8-lane layout).
    const int grouped = w->by_position == 1 || w->by_position == 2;
    const ptrdiff_t units = grouped ? w->groups : w->slices;
    const int32_t *start = grouped ? w->group_start : w->slice_start;
    const long long lanes = w->by_position == WT_WINDOW_LANES8 ? 8 : 16;
    int parts = threads;
    // The gathered path's threshold, with a stored lane costing half a gathered nonzero.
    if ((long long)j->batch * (long long)w->vectors * lanes < WT_SP_PARALLEL_MIN_GATHER * 2) parts = 1;
    sp_run_units(j, parts, units, start);
    return 0;
}

/// The small-batch product through the real row order's sorted slices (WT_WINDOW_ROWS with
/// index16): the slices split over the pool, balanced by stored vectors (plus one per slice), when
/// the gathered path would split (the same threshold on nonzeros); x is read in place.
static int sp_linear_sorted(wt_sp_job *j, int threads) {
    j->sorted = j->window;
    j->window = NULL;
    int parts = threads;
    if ((long long)j->batch * (long long)j->row_ptr[j->rows] < WT_SP_PARALLEL_MIN_GATHER) parts = 1;
    sp_run_units(j, parts, (j->rows + 7) / 8, j->sorted->slice_start);
    for (ptrdiff_t b = 0; b < j->batch; b++) j->tier->rows_out(j->bias, j->y + b * j->ldy, 0, j->rows, j->relu);
    return 0;
}

static int sp_linear(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                     const float *values, const wt_sparse_window *window, const float *bias, ptrdiff_t batch,
                     const float *x, ptrdiff_t ldx, float *y, ptrdiff_t ldy, int flags, const wt_sp_tier *tier,
                     int threads) {
    if (batch <= 0 || rows <= 0) return 0;
    wt_sp_job j;
    memset(&j, 0, offsetof(wt_sp_job, xa));  // the per-example and split arrays are set where used
    j.rows = rows; j.cols = cols; j.row_ptr = row_ptr; j.col_idx = col_idx; j.values = values; j.bias = bias;
    j.batch = batch; j.x = x; j.ldx = ldx; j.y = y; j.ldy = ldy; j.tier = tier;
    j.relu = (flags & WT_SPARSE_RELU) != 0;
    if (batch < WT_SP_GATHER_MAX && window && window->by_position == WT_WINDOW_ROWS) {
        // The row order: the gathered path's split below, with the tier's per-row CSR product.
        j.rows_csr = tier->rows_csr != NULL && window->rows == rows && window->cols == cols;
        // The sorted slices need an input scan (cols floats) that the per-row loop does not: a layer
        // with fewer nonzeros than half its inputs (the MLP's 400 → 10 at 99 %: 40 for 400) runs
        // the per-row loop, which gives the same bits.
        if (j.rows_csr && window->index16 && window->slice_start && window->base && window->values &&
            2 * (long long)row_ptr[rows] >= (long long)cols) {
            j.window = window;
            return sp_linear_sorted(&j, threads);
        }
    } else if (batch < WT_SP_GATHER_MAX && window && tier->window && window->rows == rows && window->cols == cols &&
        (window->by_position == WT_WINDOW_LANES8 || tier->window16)) {
        j.window = window;
        if (sp_linear_window(&j, threads) == 0) return 0;
        j.window = NULL;  // no scratch for the input copy: the gathered products need none
    }
    long long work = (long long)batch * (long long)row_ptr[rows];
    int parts = threads;
    if (parts > 64) parts = 64;
    if (work < (batch < WT_SP_GATHER_MAX ? WT_SP_PARALLEL_MIN_GATHER : WT_SP_PARALLEL_MIN) || rows < 16) parts = 1;
    if (batch >= WT_SP_GATHER_MAX && cols > 0) {
        j.tiles = (batch + WT_SP_TILE - 1) / WT_SP_TILE;
        // Whole tiles per part where they split evenly (each part transposes its own tiles, one at
        // a time, into its thread's 200 KB buffer for 784 inputs); else every tile transposed
        // first and the rows split.
        if (parts == 1 || j.tiles % parts == 0 || j.tiles >= 4 * (ptrdiff_t)parts) {
            if (parts == 1 || !wt_pool_try_run(parts, sp_tiles_task, &j)) return sp_run_tiles(&j, 0, j.tiles);
            for (int p = 0; p < parts; p++) if (j.status[p] != 0) return -1;
            return 0;
        }
        size_t bytes = (size_t)j.tiles * (size_t)cols * WT_SP_TILE * sizeof(float);
        float *scratch = (float *)wt_sparse_scratch(bytes);
        if (!scratch) return -1;
        for (ptrdiff_t t = 0; t < j.tiles; t++) {
            ptrdiff_t b0 = t * WT_SP_TILE;
            ptrdiff_t nb = batch - b0 < WT_SP_TILE ? batch - b0 : WT_SP_TILE;
            float *dst = scratch + t * cols * WT_SP_TILE;
            tier->transpose_tile(x + b0 * ldx, ldx, nb, cols, dst);
        }
        j.xt = scratch;
    }

    // Balance the parts by nonzeros (plus one per row for the fixed cost), on multiples of 8 rows.
    j.split[0] = 0;
    for (int p = 1; p < parts; p++) {
        long long target = ((long long)row_ptr[rows] + rows) * p / parts;
        ptrdiff_t lo = j.split[p - 1], hi = rows;
        while (lo < hi) {  // first row index whose prefix cost reaches the target
            ptrdiff_t mid = lo + (hi - lo) / 2;
            if ((long long)row_ptr[mid] + mid < target) lo = mid + 1; else hi = mid;
        }
        ptrdiff_t s = (lo + 4) & ~(ptrdiff_t)7;
        if (s < j.split[p - 1]) s = j.split[p - 1];
        if (s > rows) s = rows;
        j.split[p] = s;
    }
    j.split[parts] = rows;
    if (parts == 1 || !wt_pool_try_run(parts, sp_task, &j)) sp_run_rows(&j, 0, rows);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Per-thread scratch (sparse_scratch.h).

#define SP_SCRATCH_SLOTS 2  // slot 0: wt_sparse_scratch; slot 1: wt_scsr_chain's hidden activations
typedef struct { void *p[SP_SCRATCH_SLOTS]; size_t cap[SP_SCRATCH_SLOTS]; } sp_scratch_slot;
static pthread_key_t sp_scratch_key;
static pthread_once_t sp_scratch_once = PTHREAD_ONCE_INIT;

static void sp_scratch_release(void *v) {
    sp_scratch_slot *s = (sp_scratch_slot *)v;
    for (int i = 0; i < SP_SCRATCH_SLOTS; i++) free(s->p[i]);
    free(s);
}

static void sp_scratch_init(void) { (void)pthread_key_create(&sp_scratch_key, sp_scratch_release); }

void *wt_sparse_scratch_slot(int slot, size_t bytes) {
    (void)pthread_once(&sp_scratch_once, sp_scratch_init);
    sp_scratch_slot *s = (sp_scratch_slot *)pthread_getspecific(sp_scratch_key);
    if (!s) {
        s = (sp_scratch_slot *)calloc(1, sizeof *s);
        if (!s) return NULL;
        if (pthread_setspecific(sp_scratch_key, s) != 0) { free(s); return NULL; }
    }
    if (s->cap[slot] < bytes) {
        size_t cap = (bytes + 63) & ~(size_t)63;
        void *p = aligned_alloc(64, cap);
        if (!p) return NULL;
        free(s->p[slot]);
        s->p[slot] = p;
        s->cap[slot] = cap;
    }
    return s->p[slot];
}

void *wt_sparse_scratch(size_t bytes) { return wt_sparse_scratch_slot(0, bytes); }

static const wt_sp_tier sp_portable = {sp_gather_portable, sp_transpose_tile_portable, sp_tile_rows_t_portable,
                                       sp_transpose_back_portable, NULL, NULL, NULL, 0, NULL, NULL, NULL};
#if WT_X86
static const wt_sp_tier sp_avx2 = {sp_gather_avx2, sp_transpose_tile_avx2, sp_tile_rows_t_avx2, sp_transpose_back_avx2,
                                   spw8_window, spw8_input, spw8_finite, 0, sp_rows_avx2,
                                   sp_rows_sorted_avx2, sp_rows_out_avx2};
static const wt_sp_tier sp_avx512 = {sp_gather_avx512, sp_transpose_tile_avx512, sp_tile_rows_t_avx512, sp_transpose_back_avx512,
                                     spw16_window, spw16_input, spw16_finite, 1, sp_rows_avx2,
                                     sp_rows_sorted_avx2, sp_rows_out_avx2};
#else
#define sp_avx2 sp_portable
#define sp_avx512 sp_portable
#endif

int wt_scsr_linear(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                   const float *values, const float *bias, ptrdiff_t batch, const float *x, ptrdiff_t ldx,
                   float *y, ptrdiff_t ldy, int flags) {
    return sp_linear(rows, cols, row_ptr, col_idx, values, NULL, bias, batch, x, ldx, y, ldy, flags,
                     WT_PICK(sp_portable, sp_avx2, sp_avx512), wt_get_num_threads());
}

int wt_scsr_linear_windowed(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                            const float *values, const wt_sparse_window *window, const float *bias, ptrdiff_t batch,
                            const float *x, ptrdiff_t ldx, float *y, ptrdiff_t ldy, int flags) {
    return sp_linear(rows, cols, row_ptr, col_idx, values, window, bias, batch, x, ldx, y, ldy, flags,
                     WT_PICK(sp_portable, sp_avx2, sp_avx512), wt_get_num_threads());
}

int wt_scsr_linear_portable(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                            const float *values, const float *bias, ptrdiff_t batch, const float *x,
                            ptrdiff_t ldx, float *y, ptrdiff_t ldy, int flags) {
    return sp_linear(rows, cols, row_ptr, col_idx, values, NULL, bias, batch, x, ldx, y, ldy, flags, &sp_portable, 1);
}

// ---------------------------------------------------------------------------------------------
// Chains of layers (wt_scsr_chain).

/// Whether layer l takes its dense form at this batch.
static int sp_chain_is_dense(const wt_sparse_chain_layer *l, ptrdiff_t batch) {
    return l->row_ptr == NULL || (l->weight != NULL && batch < l->dense_below);
}

/// A dense layer as the library's eval-mode linear computes it: the bias copied into every row,
/// the product accumulated onto it (skinny kernel up to 16 rows, else the prepacked or ordinary
/// GEMM), then ReLU as a select.
static void sp_chain_dense_layer(const wt_sparse_chain_layer *l, ptrdiff_t batch, const float *x, ptrdiff_t ldx,
                                 float *y, ptrdiff_t ldy) {
    const ptrdiff_t n = l->rows, k = l->cols;
    if (n <= 0 || batch <= 0) return;
    for (ptrdiff_t b = 0; b < batch; b++) {
        if (l->bias) memcpy(y + b * ldy, l->bias, (size_t)n * sizeof(float));
        else if (k == 0) memset(y + b * ldy, 0, (size_t)n * sizeof(float));
    }
    const float beta = l->bias ? 1.0f : 0.0f;
    if (k > 0) {
        if (batch <= 16)
            wt_sgemm_skinny(1, batch, n, k, 1.0f, x, ldx, l->weight, k, beta, y, ldy);
        else if (l->packed && l->packed_tier == (int)wt_active_isa())
            wt_sgemm_prepacked((wt_isa)l->packed_tier, 0, batch, n, k, 1.0f, x, ldx, l->packed, beta, y, ldy);
        else
            wt_sgemm(0, 1, batch, n, k, 1.0f, x, ldx, l->weight, k, beta, y, ldy);
    }
    if (l->flags & WT_SPARSE_RELU)
        for (ptrdiff_t b = 0; b < batch; b++) {
            float *yb = y + b * ldy;
            for (ptrdiff_t i = 0; i < n; i++) { float v = yb[i]; yb[i] = (v > 0.0f || v != v) ? v : 0.0f; }
        }
}

/// Rows of the widest of layers[0 ..< count − 1] (the hidden layers; pass count + 1 for all).
static ptrdiff_t sp_chain_widest(const wt_sparse_chain_layer *layers, int count) {
    ptrdiff_t w = 0;
    for (int i = 0; i + 1 < count; i++) if (layers[i].rows > w) w = layers[i].rows;
    return w;
}

/// The chain one layer after another on row-major activations (two halves of scratch slot 1),
/// each layer exactly as its own call.
static int sp_chain_by_layer(const wt_sparse_chain_layer *layers, int count, ptrdiff_t batch, const float *x,
                             ptrdiff_t ldx, float *y, ptrdiff_t ldy, const wt_sp_tier *tier, int threads) {
    const ptrdiff_t widest = sp_chain_widest(layers, count);
    float *h = NULL;
    if (count > 1) {
        size_t bytes = 2 * (size_t)batch * (size_t)widest * sizeof(float);
        h = (float *)wt_sparse_scratch_slot(1, bytes < 64 ? 64 : bytes);
        if (!h) return -1;
    }
    const float *in = x;
    ptrdiff_t ldin = ldx;
    for (int i = 0; i < count; i++) {
        const wt_sparse_chain_layer *l = &layers[i];
        float *out = y;
        ptrdiff_t ldout = ldy;
        if (i + 1 < count) { out = h + (i & 1) * batch * widest; ldout = l->rows; }
        if (sp_chain_is_dense(l, batch))
            sp_chain_dense_layer(l, batch, in, ldin, out, ldout);
        else if (sp_linear(l->rows, l->cols, l->row_ptr, l->col_idx, l->values, l->window, l->bias, batch, in, ldin,
                           out, ldout, l->flags, tier, threads) != 0)
            return -1;
        in = out;
        ldin = ldout;
    }
    return 0;
}

typedef struct {
    const wt_sparse_chain_layer *layers;
    int count;
    ptrdiff_t batch, tiles;
    const float *x;
    ptrdiff_t ldx;
    float *y;
    ptrdiff_t ldy;
    const wt_sp_tier *tier;
    int status[64];  // per part: 0, or -1 when its scratch could not be allocated
} sp_chain_job;

/// Tiles t0 ..< t1 through every layer (all CSR): the input tile transposed once into xt, each
/// hidden layer's sums left transposed for the next, the last layer transposed back into y.
static int sp_chain_tiles(const sp_chain_job *c, ptrdiff_t t0, ptrdiff_t t1) {
    // The sums of every hidden layer fit one half (the last layer's go through sp_tile_rows_y).
    const ptrdiff_t cols = c->layers[0].cols, widest = sp_chain_widest(c->layers, c->count);
    float *xt = (float *)wt_sparse_scratch((size_t)(cols + 2 * widest) * WT_SP_TILE * sizeof(float));
    if (!xt) return -1;
    float *h[2] = {xt + cols * WT_SP_TILE, xt + (cols + widest) * WT_SP_TILE};
    for (ptrdiff_t t = t0; t < t1; t++) {
        const ptrdiff_t b0 = t * WT_SP_TILE, nb = c->batch - b0 < WT_SP_TILE ? c->batch - b0 : WT_SP_TILE;
        c->tier->transpose_tile(c->x + b0 * c->ldx, c->ldx, nb, cols, xt);
        const float *in = xt;
        for (int i = 0; i < c->count; i++) {
            const wt_sparse_chain_layer *l = &c->layers[i];
            wt_sp_job j = {0};
            j.rows = l->rows; j.cols = l->cols; j.row_ptr = l->row_ptr; j.col_idx = l->col_idx; j.values = l->values;
            j.bias = l->bias; j.batch = c->batch; j.y = c->y; j.ldy = c->ldy; j.tier = c->tier;
            j.relu = (l->flags & WT_SPARSE_RELU) != 0;
            if (i + 1 < c->count) {
                c->tier->tile_rows_t(&j, in, 0, l->rows, h[i & 1]);
                in = h[i & 1];
            } else {
                sp_tile_rows_y(&j, in, 0, l->rows, nb, c->y + b0 * c->ldy);
            }
        }
    }
    return 0;
}

static void sp_chain_task(void *context, int part, int parts) {
    sp_chain_job *c = (sp_chain_job *)context;
    c->status[part] = sp_chain_tiles(c, c->tiles * part / parts, c->tiles * (part + 1) / parts);
}

int wt_scsr_chain(const wt_sparse_chain_layer *layers, int count, ptrdiff_t batch, const float *x, ptrdiff_t ldx,
                  float *y, ptrdiff_t ldy) {
    if (count <= 0 || batch <= 0) return 0;
    const wt_sp_tier *tier = WT_PICK(sp_portable, sp_avx2, sp_avx512);
    int threads = wt_get_num_threads();
    if (threads > 64) threads = 64;
    int tiled = batch >= WT_SP_GATHER_MAX;
    long long nonzeros = 0;
    for (int i = 0; i < count && tiled; i++) {
        tiled = !sp_chain_is_dense(&layers[i], batch) && layers[i].cols > 0 && layers[i].rows > 0;
        if (tiled) nonzeros += layers[i].row_ptr[layers[i].rows];
    }
    const ptrdiff_t tiles = (batch + WT_SP_TILE - 1) / WT_SP_TILE;
    const int parallel = (long long)batch * nonzeros >= WT_SP_PARALLEL_MIN && threads > 1;
    if (!tiled || (parallel && tiles < threads)) return sp_chain_by_layer(layers, count, batch, x, ldx, y, ldy, tier, threads);
    sp_chain_job c;
    memset(&c, 0, sizeof c);
    c.layers = layers; c.count = count; c.batch = batch; c.tiles = tiles; c.x = x; c.ldx = ldx; c.y = y; c.ldy = ldy; c.tier = tier;
    const int parts = parallel ? threads : 1;
    if (parts == 1 || !wt_pool_try_run(parts, sp_chain_task, &c)) return sp_chain_tiles(&c, 0, tiles);
    for (int p = 0; p < parts; p++) if (c.status[p] != 0) return -1;
    return 0;
}
