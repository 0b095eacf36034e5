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
// Sums: the layout's slice order (by_position = 0): vector v of a slice adds into accumulator pair
// (v mod 4); row r's result is b + ((a0 + a1) + (a2 + a3)) for each part. The slices are
// independent, so any split over threads gives the same bits.
//
// Non-finite inputs: as in sparse_window.c, a finite example (both parts) runs without lane masks
// (absent lanes hold value 0 and index 0: fma(0, finite, a) = a exactly, a never −0), one with a
// NaN or an infinity in either part runs the masked product so that it reaches only the rows that
// store a nonzero in its column.
//
// Only the AVX-512 tier has a piece (AVX2 has no 16-lane two-register table lookup, and in plain C
// the padded lanes cost more than the CSR loop saves: sparse_window.c); the others take
// wt_ccsr_linear.
#include "kernels_sparse_spmm.h"
#include "kernels_sparse.h"
#include "kernels_dispatch.h"
#include "kernels_parallel.h"
#include "sparse_scratch.h"
#include "sparse_window.h"
#include "tiers.h"
#include <stdint.h>

#define CW_BATCH_MAX 4                   // batches below this take the window product
#define CW_PARALLEL_MIN ((ptrdiff_t)1 << 15)  // stored lanes × 4 multiply-adds × batch per part, at least

typedef struct {
    const wt_sparse_window *w;
    const float *wi;           // imaginary parts in the layout's lanes (16 per vector)
    const float *br, *bi;      // NULL: no bias
    ptrdiff_t batch, ldy;
    const float *xr[CW_BATCH_MAX], *xi[CW_BATCH_MAX];  // example b's aligned, zero-padded parts
    int finite[CW_BATCH_MAX];  // whether example b's input is finite (both parts)
    float *yr, *yi;
} cw_job;

#if WT_X86
/// Vector O of the slice: the lane's real and imaginary inputs by table lookup of the 32 aligned
/// inputs from base, then the four multiply-adds into (AR, AI); MASKED: in the mask's lanes only.
#define CW_STEP(AR, AI, O, MASKED)                                                                         \
    {                                                                                                      \
        const __m512i ix_ = _mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)(ip + 16 * (O))));         \
        const float *pr_ = xr + bp[O], *pi_ = xi + bp[O];                                                  \
        const __m512 u_ = _mm512_permutex2var_ps(_mm512_load_ps(pr_), ix_, _mm512_load_ps(pr_ + 16));      \
        const __m512 v_ = _mm512_permutex2var_ps(_mm512_load_ps(pi_), ix_, _mm512_load_ps(pi_ + 16));      \
        const __m512 wr_ = _mm512_load_ps(rp + 16 * (O)), wi_ = _mm512_load_ps(qp + 16 * (O));            \
        if (MASKED) {                                                                                      \
            const __mmask16 k_ = (__mmask16)mp[O];                                                         \
            AR = _mm512_mask3_fmadd_ps(wr_, u_, AR, k_);                                                   \
            AR = _mm512_mask3_fnmadd_ps(wi_, v_, AR, k_);                                                  \
            AI = _mm512_mask3_fmadd_ps(wr_, v_, AI, k_);                                                   \
            AI = _mm512_mask3_fmadd_ps(wi_, u_, AI, k_);                                                   \
        } else {                                                                                           \
            AR = _mm512_fmadd_ps(wr_, u_, AR);                                                             \
            AR = _mm512_fnmadd_ps(wi_, v_, AR);                                                            \
            AI = _mm512_fmadd_ps(wr_, v_, AI);                                                             \
            AI = _mm512_fmadd_ps(wi_, u_, AI);                                                             \
        }                                                                                                  \
    }

/// Slices s0 ..< s1 of one example in slice order, four accumulator pairs.
#define CW_SLICES(MASKED)                                                                                  \
    for (ptrdiff_t s = s0; s < s1; s++) {                                                                  \
        __m512 r0 = z, r1 = z, r2 = z, r3 = z, i0 = z, i1 = z, i2 = z, i3 = z;                             \
        ptrdiff_t v = w->slice_start[s];                                                                   \
        const ptrdiff_t e = w->slice_start[s + 1];                                                         \
        const uint32_t *bp = w->base + v;                                                                  \
        const uint16_t *mp = w->mask + v;                                                                  \
        const uint8_t *ip = w->index + 16 * v;                                                             \
        const float *rp = w->values + 16 * v, *qp = wi + 16 * v;                                           \
        (void)mp;                                                                                          \
        for (; v + 4 <= e; v += 4, bp += 4, mp += 4, ip += 64, rp += 64, qp += 64) {                       \
            CW_STEP(r0, i0, 0, MASKED)                                                                     \
            CW_STEP(r1, i1, 1, MASKED)                                                                     \
            CW_STEP(r2, i2, 2, MASKED)                                                                     \
            CW_STEP(r3, i3, 3, MASKED)                                                                     \
        }                                                                                                  \
        if (v < e) CW_STEP(r0, i0, 0, MASKED)                                                              \
        if (v + 1 < e) CW_STEP(r1, i1, 1, MASKED)                                                          \
        if (v + 2 < e) CW_STEP(r2, i2, 2, MASKED)                                                          \
        const int lanes = w->rows - 16 * s < 16 ? (int)(w->rows - 16 * s) : 16;                            \
        const __mmask16 k = (__mmask16)((1u << lanes) - 1);                                                \
        const __m512 sr = _mm512_add_ps(_mm512_add_ps(r0, r1), _mm512_add_ps(r2, r3));                     \
        const __m512 si = _mm512_add_ps(_mm512_add_ps(i0, i1), _mm512_add_ps(i2, i3));                     \
        _mm512_mask_storeu_ps(yr + 16 * s, k, _mm512_add_ps(br ? _mm512_maskz_loadu_ps(k, br + 16 * s) : z, sr)); \
        _mm512_mask_storeu_ps(yi + 16 * s, k, _mm512_add_ps(bi ? _mm512_maskz_loadu_ps(k, bi + 16 * s) : z, si)); \
    }

WT_TARGET_AVX512
__attribute__((noinline, aligned(64))) static void cw_slices_avx512(const wt_sparse_window *w, const float *wi,
                                                                   const float *br, const float *bi, const float *xr,
                                                                   const float *xi, float *yr, float *yi, int masked,
                                                                   ptrdiff_t s0, ptrdiff_t s1) {
    const __m512 z = _mm512_setzero_ps();
    if (masked) {
        CW_SLICES(1)
    } else {
        CW_SLICES(0)
    }
}
#undef CW_SLICES
#undef CW_STEP

static void cw_part(void *context, ptrdiff_t s0, ptrdiff_t s1) {
    const cw_job *j = (const cw_job *)context;
    for (ptrdiff_t b = 0; b < j->batch; b++)
        cw_slices_avx512(j->w, j->wi, j->br, j->bi, j->xr[b], j->xi[b], j->yr + b * j->ldy, j->yi + b * j->ldy,
                         !j->finite[b], s0, s1);
}
#endif

int wt_ccsr_linear_windowed(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                            const float *vr, const float *vi, const wt_sparse_window *window,
                            const float *window_imag, const float *br, const float *bi, ptrdiff_t batch,
                            const float *xr, const float *xi, ptrdiff_t ldx, float *yr, float *yi, ptrdiff_t ldy) {
#if WT_X86
    if (batch > 0 && batch < CW_BATCH_MAX && rows > 0 && window && window_imag && window->rows == rows &&
        window->cols == cols && window->by_position == 0 && wt_active_isa() == WT_ISA_AVX512) {
        const ptrdiff_t padded = sp_window_padded(cols);
        float *xa = (float *)wt_sparse_scratch((size_t)(2 * batch * padded) * sizeof(float));
        if (xa) {
            cw_job j = {window, window_imag, br, bi, batch, ldy, {0}, {0}, {0}, yr, yi};
            for (ptrdiff_t b = 0; b < batch; b++) {
                float *ar = xa + 2 * b * padded, *ai = ar + padded;
                const int fr = sp_window_input_avx512(xr + b * ldx, cols, ar);
                const int fi = sp_window_input_avx512(xi + b * ldx, cols, ai);
                j.xr[b] = ar; j.xi[b] = ai; j.finite[b] = fr && fi;
            }
            // Slices split over the pool when each part has enough work; any split gives the same bits.
            const ptrdiff_t slices = window->slices;
            const ptrdiff_t work = batch * window->vectors * 64 + 1;
            ptrdiff_t grain = (ptrdiff_t)(((long long)CW_PARALLEL_MIN * slices + work - 1) / work);
            if (grain < 1) grain = 1;
            wt_parallel_for(slices, grain, cw_part, &j);
            return 0;
        }
    }
#else
    (void)window; (void)window_imag;
#endif
    return wt_ccsr_linear(rows, cols, row_ptr, col_idx, vr, vi, br, bi, batch, xr, xi, ldx, yr, yi, ldy);
}
