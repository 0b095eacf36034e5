// The small-batch complex CSR product through the row-window layout (kernels_sparse_spmm.h,
// wt_ccsr_linear_windowed).
//
// Why: below batch 4 wt_ccsr_linear takes one gathered dot product per (example, row), and on a
// CPU whose gathers are microcoded (AMD Zen 4) the gathers set its speed: CplxLinear(784, 400) at
// 95 % sparsity took 13.6 µs at batch 1, against 1.6 µs for the real layer's row-window product
// (Docs/Inference.md, "Batch 1: complex row windows"). The window layout of the weight's pattern
// (wt_sparse_window, sparse_window.c, built with the real parts as its values) plus the imaginary
// parts in the same lanes puts 16 rows in the 16 lanes of a vector; one byte index per lane picks
// the lane's input from the 32 aligned inputs at the vector's window, for the real and for the
// imaginary part of the input (two table lookups, vpermt2ps, with one index vector), and four
// multiply-adds per vector form
//   ar ← ar + wr·u,  ar ← ar − wi·v,  ai ← ai + wr·v,  ai ← ai + wi·u
// (u, v: the looked-up real and imaginary inputs; the statements of the gathered path, each one
// fused multiply-add). No gather, no horizontal sum.
//
// Two orders of the vectors (wt_ccsr_window_order). Position order (by_position = 1, groups of
// WT_CWINDOW_GROUP = 9 slices): for each window position the four input vectors x[16p ..< 16p + 32]
// of both parts are loaded once, and each stored vector is one index load, two lookups and four
// multiply-adds into its slice's accumulator pair, the group's 2 × 9 accumulators kept in
// registers (2 × 25 would not fit in 32; 9 slices leave room for the inputs and temporaries, no
// spill); row r's result is b + a for each part. Slice order (by_position = 0), for layouts with
// fewer than 0.5 vectors per (position, slice) cell, where the position order's per-cell count
// and branch cost more than it saves: per vector also the window's four aligned input loads;
// vector v of a slice adds into accumulator pair (v mod 4), row r's result is
// b + ((a0 + a1) + (a2 + a3)). CplxLinear(784, 400) at batch 1 on the Zen 4 host: 3.58 µs against
// 4.51 at 95 % and 1.71 against 2.09 at 99 % (0.66 vectors per cell) for position against slice
// order. Groups and slices are independent, so any split over threads gives the same bits.
//
// Non-finite inputs: as in sparse_window.c, a finite example (both parts) runs without lane masks
// (absent lanes hold value 0 and index 0: fma(0, finite, a) = a exactly, a never −0), one with a
// NaN or an infinity in either part runs the masked product so that it reaches only the rows that
// store a nonzero in its column.
//
// The AVX2 tier has its own layout (by_position = WT_CWINDOW_LANES8): AVX2 has no two-register
// table lookup, so its vectors hold 8 rows within 16 columns at a multiple of 8, and a lane's input
// is two vpermps (the two aligned 8-input halves of the window) and a blend on the index's bit 3,
// per part; slice order only (16 YMM registers leave no room for a group's accumulators).
// CplxLinear(784, 400) at batch 1 with WIRTINGER_ISA=avx2 on the Zen 4 host: 6.6 µs at 95 % and
// 3.15 µs at 99 %, against 13.6 and 4.8 µs for the gathers (whose speed this host's microcoded
// gathers set; on a CPU with fast gathers the gap will be smaller, not measured). The portable tier
// keeps wt_ccsr_linear: in plain C the padded lanes cost more than the CSR loop saves
// (sparse_window.c).
//
// Since session 12 the AVX2 tier's very sparse weights (below 3.75 nonzeros per 8-lane vector,
// 4.75 since session 13's second round; wt_window8_prefers_rows) take the row order instead (WT_WINDOW_ROWS): per row, one 128-bit
// multiply-add per nonzero of the interleaved input pair with (vr, vr, vi, vi) (cw_rows_avx2);
// CplxLinear(784, 400) at 99 % 3.1 → 1.85 µs with WIRTINGER_ISA=avx2 (Docs/Inference.md,
// "Session 12").
//
// Since session 11 the products are one source with the real layer's (sparse_window_vec.h, over W
// lanes: the slice order at W = 8 and 16, the position order at 16), instantiated below per tier
// by sparse_window_tiers.h and picked from a table indexed by wt_active_isa(); one driver copies or
// checks the inputs (in place when 64-byte aligned with cols a multiple of 16, at both tiers) and
// splits the units over the pool.
#include "kernels_sparse_spmm.h"
#include "kernels_sparse.h"
#include "kernels_dispatch.h"
#include "kernels_parallel.h"
#include "sparse_scratch.h"
#include "sparse_window.h"
#include "tiers.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if WT_CWINDOW_LANES8 != WT_WINDOW_LANES8
#error "the complex and the real 8-lane layouts are one walk (sp_window_fill_slices)"
#endif

#define CW_BATCH_MAX 4                   // batches below this take the window product
#define CW_PARALLEL_MIN ((ptrdiff_t)1 << 15)  // stored lanes × 4 multiply-adds × batch per part, at least

// The products: one body over W lanes (sparse_window_vec.h) for both x86 tiers.
#define SW_COMPLEX
#include "sparse_window_tiers.h"
#undef SW_COMPLEX

#if WT_X86
/// The pieces of a tier: the product of one example for the layouts it reads, and its input copy
/// and check (sparse_window.h).
typedef struct {
    void (*product)(const wt_sparse_window *w, const float *wi, const float *br, const float *bi, const float *xr,
                    const float *xi, float *yr, float *yi, int masked, ptrdiff_t u0, ptrdiff_t u1);
    int (*input)(const float *x, ptrdiff_t cols, float *xa);
    int (*finite)(const float *x, ptrdiff_t cols);
    int lanes16;  // 1 when product reads the 16-lane layouts (by_position 0, 1) too
} cw_tier;

static const cw_tier cw_tiers[3] = {{NULL, NULL, NULL, 0},
                                    {spw8_cwindow, spw8_input, spw8_finite, 0},
                                    {spw16_cwindow, spw16_input, spw16_finite, 1}};

typedef struct {
    const wt_sparse_window *w;
    const cw_tier *tier;
    const float *wi;           // imaginary parts in the layout's lanes (8 or 16 per vector)
    const float *br, *bi;      // NULL: no bias
    ptrdiff_t batch, ldy;
    const float *xr[CW_BATCH_MAX], *xi[CW_BATCH_MAX];  // example b's parts: in place, or aligned zero-padded copies
    int finite[CW_BATCH_MAX];  // whether example b's input is finite (both parts)
    float *yr, *yi;
} cw_job;

/// The complex row order (WT_WINDOW_ROWS; kernels_sparse_spmm.h, wt_ccsr_rows_fill): xp holds
/// the example's input interleaved, (xr[c], xi[c]) at xp[2c]; per nonzero one 64-bit load of that
/// pair duplicated into a 128-bit vector and one multiply-add with (vr, vr, vi, vi), into one of
/// two running sums (even and odd k from the row's start); a = a0 + a1, yr = br + (a[0] − a[3]),
/// yi = bi + (a[2] + a[1]). At 99 % sparsity the 8-lane windows hold 1.7 of 8 lanes and cost four
/// vpermps, two blends and four multiply-adds per vector; this costs one multiply-add per
/// nonzero (Docs/Inference.md, "Session 12").
WT_TARGET_AVX2 static void cw_rows_avx2(const int32_t *row_ptr, const int32_t *col_idx, const float *w4,
                                        const float *br, const float *bi, const float *xp, float *yr, float *yi,
                                        ptrdiff_t r0, ptrdiff_t r1) {
    // Blocks of up to 64 rows: their sums a into t (4 floats per row), then the parts 4 rows at a
    // time (a 4 × 4 transpose), so that the row loop has no horizontal step or bias test.
    _Alignas(16) float t[64 * 4];
    for (ptrdiff_t rb = r0; rb < r1; rb += 64) {
        const ptrdiff_t re = r1 - rb < 64 ? r1 : rb + 64;
        for (ptrdiff_t r = rb; r < re; r++) {
            int32_t k = row_ptr[r];
            const int32_t end = row_ptr[r + 1];
            __m128 a0 = _mm_setzero_ps(), a1 = _mm_setzero_ps();
#define CW_PAIR(A, K) \
    A = _mm_fmadd_ps(_mm_castpd_ps(_mm_loaddup_pd((const double *)(xp + 2 * (ptrdiff_t)col_idx[K]))), _mm_load_ps(w4 + 4 * (ptrdiff_t)(K)), A)
            for (; k + 2 <= end; k += 2) {
                CW_PAIR(a0, k);
                CW_PAIR(a1, k + 1);
            }
            if (k < end) CW_PAIR(a0, k);
#undef CW_PAIR
            _mm_store_ps(t + 4 * (r - rb), _mm_add_ps(a0, a1));
        }
        const __m128 zero = _mm_setzero_ps();
        ptrdiff_t r = rb;
        for (; r + 4 <= re; r += 4) {
            __m128 l0 = _mm_load_ps(t + 4 * (r - rb)), l1 = _mm_load_ps(t + 4 * (r - rb) + 4);
            __m128 l2 = _mm_load_ps(t + 4 * (r - rb) + 8), l3 = _mm_load_ps(t + 4 * (r - rb) + 12);
            _MM_TRANSPOSE4_PS(l0, l1, l2, l3);  // l_q: lane q of the 4 rows' sums
            _mm_storeu_ps(yr + r, _mm_add_ps(br ? _mm_loadu_ps(br + r) : zero, _mm_sub_ps(l0, l3)));
            _mm_storeu_ps(yi + r, _mm_add_ps(bi ? _mm_loadu_ps(bi + r) : zero, _mm_add_ps(l2, l1)));
        }
        for (; r < re; r++) {
            const float *a = t + 4 * (r - rb);
            yr[r] = (br ? br[r] : 0.0f) + (a[0] - a[3]);
            yi[r] = (bi ? bi[r] : 0.0f) + (a[2] + a[1]);
        }
    }
}

/// xp[2c] = xr[c], xp[2c + 1] = xi[c] for c < cols (xp 32-byte aligned).
WT_TARGET_AVX2 static void cw_interleave_avx2(const float *xr, const float *xi, ptrdiff_t cols, float *xp) {
    ptrdiff_t c = 0;
    for (; c + 8 <= cols; c += 8) {
        const __m256 a = _mm256_loadu_ps(xr + c), b = _mm256_loadu_ps(xi + c);
        const __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);
        _mm256_store_ps(xp + 2 * c, _mm256_permute2f128_ps(lo, hi, 0x20));
        _mm256_store_ps(xp + 2 * c + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    }
    for (; c < cols; c++) {
        xp[2 * c] = xr[c];
        xp[2 * c + 1] = xi[c];
    }
}

/// The complex row order's sorted slices s0 ..< s1 (wt_ccsr_rows4_fill; since session 13): per
/// step of a slice, the 4 rows' input pairs (xr, xi) broadcast from xp (interleaved, a zero pair at
/// column cols for the padded lanes) and blended two rows per 256-bit vector, and two multiply-adds
/// with the stored (vr, vr, vi, vi) of two rows each; steps alternate between two running sums per
/// row pair, so each row's four lanes hold cw_rows_avx2's sums a0, a1 (same bits; padded lanes add
/// 0 · 0). yr = br + (a[0] − a[3]), yi = bi + (a[2] + a[1]) row by row (the rows are permuted).
/// Sorting the rows keeps the lanes filled (every row of a slice has about the same count).
WT_TARGET_AVX2 static void cw_rows4_avx2(const wt_sparse_window *w, const float *br, const float *bi, const float *xp,
                                         float *yr, float *yi, ptrdiff_t s0, ptrdiff_t s1) {
    const int32_t *start = w->slice_start;
    const uint32_t *row_of = w->base;
    const uint16_t *index = w->index16;
    const float *w16 = w->values;
    const ptrdiff_t rows = w->rows;
#define CW_BCAST(C) _mm256_castpd_ps(_mm256_broadcast_sd((const double *)(xp + 2 * (ptrdiff_t)(C))))
#define CW_STEP(A01, A23, T)                                                                                 \
    do {                                                                                                    \
        uint64_t u;                                                                                         \
        memcpy(&u, index + 4 * (T), 8);                                                                     \
        const __m256 x01 = _mm256_blend_ps(CW_BCAST(u & 0xffff), CW_BCAST((u >> 16) & 0xffff), 0xf0);      \
        const __m256 x23 = _mm256_blend_ps(CW_BCAST((u >> 32) & 0xffff), CW_BCAST(u >> 48), 0xf0);         \
        A01 = _mm256_fmadd_ps(x01, _mm256_load_ps(w16 + 16 * (T)), A01);                                    \
        A23 = _mm256_fmadd_ps(x23, _mm256_load_ps(w16 + 16 * (T) + 8), A23);                                \
    } while (0)
    for (ptrdiff_t s = s0; s < s1; s++) {
        __m256 e01 = _mm256_setzero_ps(), e23 = e01, o01 = e01, o23 = e01;
        ptrdiff_t t = start[s];
        const ptrdiff_t end = start[s + 1];
        for (; t + 2 <= end; t += 2) {
            CW_STEP(e01, e23, t);
            CW_STEP(o01, o23, t + 1);
        }
        if (t < end) CW_STEP(e01, e23, t);
        _Alignas(32) float a[16];
        _mm256_store_ps(a, _mm256_add_ps(e01, o01));
        _mm256_store_ps(a + 8, _mm256_add_ps(e23, o23));
        for (int i = 0; i < 4; i++) {
            const ptrdiff_t r = row_of[4 * s + i];
            if (r >= rows) continue;
            yr[r] = (br ? br[r] : 0.0f) + (a[4 * i] - a[4 * i + 3]);
            yi[r] = (bi ? bi[r] : 0.0f) + (a[4 * i + 2] + a[4 * i + 1]);
        }
    }
#undef CW_STEP
#undef CW_BCAST
}

typedef struct {
    const wt_sparse_window *w;
    const float *br, *bi;
    ptrdiff_t batch, ldy, stride;
    const float *xp;  // batch interleaved inputs, stride floats apart
    float *yr, *yi;
} cw_sorted_job;

static void cw_sorted_part(void *context, ptrdiff_t s0, ptrdiff_t s1) {
    const cw_sorted_job *j = (const cw_sorted_job *)context;
    for (ptrdiff_t b = 0; b < j->batch; b++)
        cw_rows4_avx2(j->w, j->br, j->bi, j->xp + b * j->stride, j->yr + b * j->ldy, j->yi + b * j->ldy, s0, s1);
}

typedef struct {
    const int32_t *row_ptr, *col_idx;
    const float *w4, *br, *bi;
    ptrdiff_t batch, ldy, padded;
    const float *xp;  // batch interleaved inputs, 2 · padded floats apart
    float *yr, *yi;
} cw_rows_job;

static void cw_rows_part(void *context, ptrdiff_t r0, ptrdiff_t r1) {
    const cw_rows_job *j = (const cw_rows_job *)context;
    for (ptrdiff_t b = 0; b < j->batch; b++)
        cw_rows_avx2(j->row_ptr, j->col_idx, j->w4, j->br, j->bi, j->xp + 2 * b * j->padded, j->yr + b * j->ldy,
                     j->yi + b * j->ldy, r0, r1);
}

static void cw_part(void *context, ptrdiff_t u0, ptrdiff_t u1) {
    const cw_job *j = (const cw_job *)context;
    for (ptrdiff_t b = 0; b < j->batch; b++)
        j->tier->product(j->w, j->wi, j->br, j->bi, j->xr[b], j->xi[b], j->yr + b * j->ldy, j->yi + b * j->ldy,
                         !j->finite[b], u0, u1);
}
#endif

void wt_ccsr_rows_fill(ptrdiff_t nonzeros, const float *vr, const float *vi, float *w4) {
    for (ptrdiff_t k = 0; k < nonzeros; k++) {
        w4[4 * k] = vr[k];
        w4[4 * k + 1] = vr[k];
        w4[4 * k + 2] = vi[k];
        w4[4 * k + 3] = vi[k];
    }
}

ptrdiff_t wt_ccsr_rows4_count(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr) {
    if (rows < 0 || cols < 1 || cols > 65535) return -1;
    return sp_sorted_slices(rows, row_ptr, 4, NULL, NULL);
}

int wt_ccsr_rows4_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                       const float *vr, const float *vi, int32_t *slice_start, uint32_t *row_of, uint16_t *index16,
                       float *w16) {
    if (rows < 0 || cols < 1 || cols > 65535) return -1;
    if (sp_sorted_slices(rows, row_ptr, 4, slice_start, row_of) < 0) return -1;
    for (ptrdiff_t s = 0; s < (rows + 3) / 4; s++) {
        const ptrdiff_t t = slice_start[s], length = slice_start[s + 1] - t;
        for (int i = 0; i < 4; i++) {
            const uint32_t r = row_of[4 * s + i];  // rows: a padding lane, no nonzeros
            const ptrdiff_t k0 = r < rows ? row_ptr[r] : 0, n = r < rows ? row_ptr[r + 1] - row_ptr[r] : 0;
            for (ptrdiff_t o = 0; o < length; o++) {
                float *p = w16 + 16 * (t + o) + 4 * i;
                index16[4 * (t + o) + i] = o < n ? (uint16_t)col_idx[k0 + o] : (uint16_t)cols;
                p[0] = p[1] = o < n ? vr[k0 + o] : 0.0f;
                p[2] = p[3] = o < n ? vi[k0 + o] : 0.0f;
            }
        }
    }
    return 0;
}

// MARK: - The 8-lane layout of the AVX2 tier (by_position = WT_CWINDOW_LANES8)

ptrdiff_t wt_ccsr_window8_count(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx) {
    if (rows < 0 || cols < 16) return -1;
    return sp_window_vectors(rows, cols, 8, row_ptr, col_idx);
}

int wt_ccsr_window8_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                         const float *vr, const float *vi, int32_t *slice_start, uint32_t *base, uint16_t *mask,
                         uint8_t *index, float *wvr, float *wvi) {
    if (rows < 0 || cols < 16) return -1;
    (void)sp_window_fill_slices(rows, cols, 8, row_ptr, col_idx, vr, vi, slice_start, base, mask, index, wvr, wvi);
    return 0;
}

int wt_ccsr_window_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                        const float *vr, const float *vi, int by_position, int32_t *slice_start, uint32_t *base,
                        uint8_t *count, int32_t *group_start, uint16_t *mask, uint8_t *index, float *wvr, float *wvi) {
    // One walk of the pattern places the real and the imaginary parts in the same lanes.
    if (rows < 0 || cols < 32) return -1;
    if (by_position)
        return sp_window_fill_grouped(rows, cols, row_ptr, col_idx, vr, vi, WT_CWINDOW_GROUP, count, group_start, mask,
                                      index, wvr, wvi);
    (void)sp_window_fill_slices(rows, cols, 16, row_ptr, col_idx, vr, vi, slice_start, base, mask, index, wvr, wvi);
    return 0;
}

int wt_ccsr_linear_windowed(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                            const float *vr, const float *vi, const wt_sparse_window *window,
                            const float *window_imag, const float *br, const float *bi, ptrdiff_t batch,
                            const float *xr, const float *xi, ptrdiff_t ldx, float *yr, float *yi, ptrdiff_t ldy) {
#if WT_X86
    const cw_tier *tier = &cw_tiers[wt_active_isa()];
    if (batch > 0 && batch < CW_BATCH_MAX && rows > 0 && window && window->by_position == WT_WINDOW_ROWS &&
        window->index16 && window->slice_start && window->base && window->values && window->rows == rows &&
        window->cols == cols && tier->product) {
        // The sorted slices: each example's input interleaved into scratch with a zero pair at
        // column cols (the padded lanes' column), then the slices (split over the pool when each
        // part has enough work; any split gives the same bits).
        const ptrdiff_t stride = (2 * cols + 2 + 7) & ~(ptrdiff_t)7;
        float *xp = (float *)wt_sparse_scratch((size_t)(batch * stride) * sizeof(float));
        if (xp) {
            for (ptrdiff_t b = 0; b < batch; b++) {
                float *p = xp + b * stride;
                cw_interleave_avx2(xr + b * ldx, xi + b * ldx, cols, p);
                p[2 * cols] = 0.0f;
                p[2 * cols + 1] = 0.0f;
            }
            cw_sorted_job j = {window, br, bi, batch, ldy, stride, xp, yr, yi};
            const ptrdiff_t slices = (rows + 3) / 4;
            const ptrdiff_t work = batch * (ptrdiff_t)row_ptr[rows] * 4 + 1;
            ptrdiff_t grain = (ptrdiff_t)(((long long)CW_PARALLEL_MIN * slices + work - 1) / work);
            if (grain < 1) grain = 1;
            wt_parallel_for(slices, grain, cw_sorted_part, &j);
            return 0;
        }
    }
    if (batch > 0 && batch < CW_BATCH_MAX && rows > 0 && window && window->by_position == WT_WINDOW_ROWS &&
        !window->index16 && window->values && window->rows == rows && window->cols == cols && tier->product) {
        // The row order: each example's input interleaved into scratch, then the rows (split over
        // the pool when each part has enough work; any split gives the same bits).
        const ptrdiff_t padded = sp_window_padded(cols);
        float *xp = (float *)wt_sparse_scratch((size_t)(2 * batch * padded) * sizeof(float));
        if (xp) {
            for (ptrdiff_t b = 0; b < batch; b++) cw_interleave_avx2(xr + b * ldx, xi + b * ldx, cols, xp + 2 * b * padded);
            cw_rows_job j = {row_ptr, col_idx, window->values, br, bi, batch, ldy, padded, xp, yr, yi};
            const ptrdiff_t work = batch * (ptrdiff_t)row_ptr[rows] * 4 + 1;
            ptrdiff_t grain = (ptrdiff_t)(((long long)CW_PARALLEL_MIN * rows + work - 1) / work);
            if (grain < 1) grain = 1;
            wt_parallel_for(rows, grain, cw_rows_part, &j);
            return 0;
        }
    }
    if (batch > 0 && batch < CW_BATCH_MAX && rows > 0 && window && window_imag && window->rows == rows &&
        window->cols == cols && tier->product &&
        (window->by_position == WT_CWINDOW_LANES8 || (tier->lanes16 && (window->by_position == 0 || window->by_position == 1)))) {
        const ptrdiff_t padded = sp_window_padded(cols);
        cw_job j = {window, tier, window_imag, br, bi, batch, ldy, {0}, {0}, {0}, yr, yi};
        // Parts whose rows are 64-byte aligned and a multiple of 16 floats long (a 784-wide tensor)
        // are read in place and only checked; others are copied into aligned, zero-padded scratch.
        float *xa = NULL;
        int ok = 1;
        for (ptrdiff_t b = 0; b < batch && ok; b++) {
            const float *pr = xr + b * ldx, *pi = xi + b * ldx;
            if ((cols & 15) == 0 && ((uintptr_t)pr & 63) == 0 && ((uintptr_t)pi & 63) == 0) {
                j.xr[b] = pr; j.xi[b] = pi;
                j.finite[b] = tier->finite(pr, cols) && tier->finite(pi, cols);
                continue;
            }
            if (!xa) xa = (float *)wt_sparse_scratch((size_t)(2 * batch * padded) * sizeof(float));
            if (!xa) { ok = 0; break; }
            float *ar = xa + 2 * b * padded, *ai = ar + padded;
            const int fr = tier->input(pr, cols, ar);
            const int fi = tier->input(pi, cols, ai);
            j.xr[b] = ar; j.xi[b] = ai; j.finite[b] = fr && fi;
        }
        if (ok) {
            // Slices or groups (the layout's order) split over the pool when each part has enough
            // work (4 multiply-adds per stored lane); any split gives the same bits.
            const ptrdiff_t units = window->by_position == 1 ? window->groups : window->slices;
            const ptrdiff_t lanes = window->by_position == WT_CWINDOW_LANES8 ? 8 : 16;
            const ptrdiff_t work = batch * window->vectors * 4 * lanes + 1;
            ptrdiff_t grain = (ptrdiff_t)(((long long)CW_PARALLEL_MIN * units + work - 1) / work);
            if (grain < 1) grain = 1;
            wt_parallel_for(units, grain, cw_part, &j);
            return 0;
        }
    }
#else
    (void)window; (void)window_imag;
#endif
    return wt_ccsr_linear(rows, cols, row_ptr, col_idx, vr, vi, br, bi, batch, xr, xi, ldx, yr, yi, ldy);
}
