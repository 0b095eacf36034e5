// The row-window layout of a CSR weight and its small-batch product (see kernels_sparse.h,
// wt_sparse_window).
//
// Why: at batch 1 the CSR product is a gathered dot product per row (8-lane hardware gathers), and
// the gathers set its speed (Linear(784, 400) at 95 % sparsity: 5.0 µs for 15.6 k nonzeros, about
// 0.3 ns each, on the Xeon family 6 model 207 of Docs/Inference.md). The window layout puts 16 rows
// in the 16 lanes of one AVX-512 vector: each stored vector holds at most one nonzero per row,
// all in the 32 columns base ..< base + 32, so the inputs it needs are one two-register table
// lookup (vpermt2ps) of x[base ..< base + 32] — no gather, no horizontal sum. Lanes whose row has
// no nonzero in the window are masked out of the multiply-add.
//
// The builder walks the 16 rows of a slice together: the window starts at the smallest column any
// row still has to store (clamped to cols − 32), and every row whose next nonzero falls inside it
// stores that one. For random 5 % masks of a 400 × 784 weight this fills 56 % of the lanes (a
// window at fixed 32-column blocks: 40 %).
//
// Sums: vector v of a slice adds into accumulator (v mod 4), the row's result is
// bias + ((a0 + a1) + (a2 + a3)), then ReLU. The slices are independent, so any split over threads
// gives the same bits.
//
// Only the AVX-512 tier has a piece: in plain C the layout's padded lanes cost more than the CSR
// loop saves (400 × 784 at 95 %: 97 µs against 8.6 µs for the portable CSR dot products, gcc -O2),
// and AVX2 has no two-register table lookup of 16 lanes; both keep the CSR paths.
#include "kernels_sparse.h"
#include "sparse_window.h"
#include "tiers.h"
#include <string.h>

/// Fills the window layout of a CSR matrix (or, with slice_start = NULL, only counts its vectors).
static ptrdiff_t sp_window_walk(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                                const float *values, int32_t *slice_start, uint32_t *base, uint16_t *mask,
                                uint8_t *index, float *wvalues) {
    const ptrdiff_t slices = (rows + 15) / 16;
    ptrdiff_t v = 0;
    for (ptrdiff_t s = 0; s < slices; s++) {
        if (slice_start) slice_start[s] = (int32_t)v;
        int32_t next[16], end[16];
        const int lanes = rows - 16 * s < 16 ? (int)(rows - 16 * s) : 16;
        for (int i = 0; i < 16; i++) {
            next[i] = i < lanes ? row_ptr[16 * s + i] : 0;
            end[i] = i < lanes ? row_ptr[16 * s + i + 1] : 0;
        }
        for (;;) {
            int64_t b = INT64_MAX;
            for (int i = 0; i < 16; i++)
                if (next[i] < end[i] && col_idx[next[i]] < b) b = col_idx[next[i]];
            if (b == INT64_MAX) break;
            if (b > cols - 32) b = cols - 32;
            uint16_t m = 0;
            for (int i = 0; i < 16; i++) {
                const int take = next[i] < end[i] && col_idx[next[i]] < b + 32;
                if (slice_start) {
                    index[16 * v + i] = take ? (uint8_t)(col_idx[next[i]] - b) : 0;
                    wvalues[16 * v + i] = take ? values[next[i]] : 0.0f;
                }
                if (take) { m |= (uint16_t)(1u << i); next[i]++; }
            }
            if (slice_start) { base[v] = (uint32_t)b; mask[v] = m; }
            v++;
        }
    }
    if (slice_start) slice_start[slices] = (int32_t)v;
    return v;
}

ptrdiff_t wt_scsr_window_count(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx) {
    if (rows < 0 || cols < 32) return -1;
    return sp_window_walk(rows, cols, row_ptr, col_idx, NULL, NULL, NULL, NULL, NULL, NULL);
}

void wt_scsr_window_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                         const float *values, int32_t *slice_start, uint32_t *base, uint16_t *mask, uint8_t *index,
                         float *wvalues) {
    if (rows < 0 || cols < 32) return;
    (void)sp_window_walk(rows, cols, row_ptr, col_idx, values, slice_start, base, mask, index, wvalues);
}

#if WT_X86
/// Vector o of the group at hp/ip/vp: a ← a + values · x[base + index] in the mask's lanes.
#define WT_SPW_STEP(A, O)                                                                                  \
    do {                                                                                                  \
        const float *xb = x + bp[O];                                                                      \
        __m512 xv = _mm512_permutex2var_ps(_mm512_loadu_ps(xb),                                           \
                                           _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(ip + 16 * (O)))), \
                                           _mm512_loadu_ps(xb + 16));                                     \
        A = _mm512_mask3_fmadd_ps(_mm512_loadu_ps(vp + 16 * (O)), xv, A, (__mmask16)mp[O]);              \
    } while (0)

WT_TARGET_AVX512
void sp_window_slices_avx512(const wt_sparse_window *w, const float *bias, const float *x, float *y, int relu,
                             ptrdiff_t s0, ptrdiff_t s1) {
    const __m512 z = _mm512_setzero_ps();
    for (ptrdiff_t s = s0; s < s1; s++) {
        __m512 a0 = z, a1 = z, a2 = z, a3 = z;
        ptrdiff_t v = w->slice_start[s];
        const ptrdiff_t e = w->slice_start[s + 1];
        const uint32_t *bp = w->base + v;
        const uint16_t *mp = w->mask + v;
        const uint8_t *ip = w->index + 16 * v;
        const float *vp = w->values + 16 * v;
        for (; v + 4 <= e; v += 4, bp += 4, mp += 4, ip += 64, vp += 64) {
            WT_SPW_STEP(a0, 0);
            WT_SPW_STEP(a1, 1);
            WT_SPW_STEP(a2, 2);
            WT_SPW_STEP(a3, 3);
        }
        if (v < e) WT_SPW_STEP(a0, 0);
        if (v + 1 < e) WT_SPW_STEP(a1, 1);
        if (v + 2 < e) WT_SPW_STEP(a2, 2);
        const int lanes = w->rows - 16 * s < 16 ? (int)(w->rows - 16 * s) : 16;
        const __mmask16 k = (__mmask16)((1u << lanes) - 1);
        __m512 out = _mm512_add_ps(bias ? _mm512_maskz_loadu_ps(k, bias + 16 * s) : z,
                                   _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
        if (relu)
            out = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(out, z, _CMP_GT_OQ) | _mm512_cmp_ps_mask(out, out, _CMP_UNORD_Q), out);
        _mm512_mask_storeu_ps(y + 16 * s, k, out);
    }
}
#undef WT_SPW_STEP
#endif
