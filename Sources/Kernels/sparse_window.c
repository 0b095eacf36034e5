// The row-window layout of a CSR weight and its small-batch product (see kernels_sparse.h,
// wt_sparse_window).
//
// Why: at batch 1 the CSR product is a gathered dot product per row (8-lane hardware gathers), and
// the gathers set its speed (Linear(784, 400) at 95 % sparsity: 5.0 µs for 15.6 k nonzeros, about
// 0.3 ns each, on the Xeon family 6 model 207 of Docs/Inference.md). The window layout puts 16 rows
// in the 16 lanes of one AVX-512 vector: each stored vector holds at most one nonzero per row,
// all in the 32 columns base ..< base + 32, so the inputs it needs are one two-register table
// lookup (vpermt2ps) of x[base ..< base + 32] — no gather, no horizontal sum.
//
// The builder walks the 16 rows of a slice together: the window starts at the multiple of 16 at or
// below the smallest column any row still has to store (clamped to round_up(cols, 16) − 32), and
// every row whose next nonzero falls inside it stores that one. Windows on multiples of 16 make
// both 64-byte loads of x aligned (a window at any column split a cache line on 15 of 16 vectors);
// they fill fewer lanes (random 5 % masks of a 400 × 784 weight: 49 % against 55 %, i.e. 13 % more
// vectors) and still cost 7 % less (Docs/Inference.md, "Session 8").
//
// The input is first copied into 64-byte aligned scratch, zero-padded to round_up(cols, 16), and
// checked for NaN and ±inf in the same pass. A finite input runs the product without lane masks:
// absent lanes hold the value 0 and index 0, and fma(0, finite, a) = a exactly (a is never −0:
// every accumulator starts at +0 and a round-to-nearest sum is −0 only when both terms are), so
// the result has the masked product's bits. An input with a NaN or an infinity runs the masked
// product, so that it reaches only the rows that store a nonzero in its column. Dropping the masks
// costs one fewer load and one fewer mask move per vector: 13 % of the kernel's time at 95 %.
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
            b &= ~(int64_t)15;
            if (b > sp_window_padded(cols) - 32) b = sp_window_padded(cols) - 32;
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
/// Vector o of the group at hp/ip/vp: a ← a + values · x[base + index] in every lane (absent lanes
/// add 0 · x[base]; the input is finite).
#define WT_SPW_STEP(A, O)                                                                                  \
    do {                                                                                                  \
        const float *xb = x + bp[O];                                                                      \
        __m512 xv = _mm512_permutex2var_ps(_mm512_load_ps(xb),                                            \
                                           _mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)(ip + 16 * (O)))), \
                                           _mm512_load_ps(xb + 16));                                      \
        A = _mm512_fmadd_ps(_mm512_load_ps(vp + 16 * (O)), xv, A);                                        \
    } while (0)

/// The same in the mask's lanes only (an input with a NaN or an infinity).
#define WT_SPW_STEP_MASKED(A, O)                                                                           \
    do {                                                                                                  \
        const float *xb = x + bp[O];                                                                      \
        __m512 xv = _mm512_permutex2var_ps(_mm512_load_ps(xb),                                            \
                                           _mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)(ip + 16 * (O)))), \
                                           _mm512_load_ps(xb + 16));                                      \
        A = _mm512_mask3_fmadd_ps(_mm512_load_ps(vp + 16 * (O)), xv, A, (__mmask16)mp[O]);               \
    } while (0)

WT_TARGET_AVX512
int sp_window_input_avx512(const float *x, ptrdiff_t cols, float *xa) {
    const ptrdiff_t c16 = cols & ~(ptrdiff_t)15;
    __mmask16 bad = 0;
    for (ptrdiff_t c = 0; c < c16; c += 16) {
        __m512 v = _mm512_loadu_ps(x + c);
        bad |= _mm512_fpclass_ps_mask(v, 0x99);  // QNaN, +inf, −inf, SNaN
        _mm512_store_ps(xa + c, v);
    }
    if (c16 < cols) {
        const __mmask16 k = (__mmask16)((1u << (cols - c16)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(k, x + c16);
        bad |= _mm512_fpclass_ps_mask(v, 0x99);
        _mm512_store_ps(xa + c16, v);
    }
    return bad == 0;
}

/// The slices s0 ..< s1 with four accumulators; STEP is WT_SPW_STEP or WT_SPW_STEP_MASKED.
#define WT_SPW_SLICES(STEP)                                                                               \
    for (ptrdiff_t s = s0; s < s1; s++) {                                                                 \
        __m512 a0 = z, a1 = z, a2 = z, a3 = z;                                                            \
        ptrdiff_t v = w->slice_start[s];                                                                  \
        const ptrdiff_t e = w->slice_start[s + 1];                                                        \
        const uint32_t *bp = w->base + v;                                                                 \
        const uint16_t *mp = w->mask + v;                                                                 \
        const uint8_t *ip = w->index + 16 * v;                                                            \
        const float *vp = w->values + 16 * v;                                                             \
        (void)mp;                                                                                         \
        for (; v + 4 <= e; v += 4, bp += 4, mp += 4, ip += 64, vp += 64) {                                \
            STEP(a0, 0);                                                                                  \
            STEP(a1, 1);                                                                                  \
            STEP(a2, 2);                                                                                  \
            STEP(a3, 3);                                                                                  \
        }                                                                                                 \
        if (v < e) STEP(a0, 0);                                                                           \
        if (v + 1 < e) STEP(a1, 1);                                                                       \
        if (v + 2 < e) STEP(a2, 2);                                                                       \
        const int lanes = w->rows - 16 * s < 16 ? (int)(w->rows - 16 * s) : 16;                           \
        const __mmask16 k = (__mmask16)((1u << lanes) - 1);                                               \
        __m512 out = _mm512_add_ps(bias ? _mm512_maskz_loadu_ps(k, bias + 16 * s) : z,                    \
                                   _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));          \
        if (relu)                                                                                         \
            out = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(out, z, _CMP_GT_OQ) | _mm512_cmp_ps_mask(out, out, _CMP_UNORD_Q), out); \
        _mm512_mask_storeu_ps(y + 16 * s, k, out);                                                        \
    }

WT_TARGET_AVX512
void sp_window_slices_avx512(const wt_sparse_window *w, const float *bias, const float *x, float *y, int relu,
                             int masked, ptrdiff_t s0, ptrdiff_t s1) {
    const __m512 z = _mm512_setzero_ps();
    if (masked) {
        WT_SPW_SLICES(WT_SPW_STEP_MASKED)
    } else {
        WT_SPW_SLICES(WT_SPW_STEP)
    }
}
#undef WT_SPW_SLICES
#undef WT_SPW_STEP
#undef WT_SPW_STEP_MASKED
#endif
