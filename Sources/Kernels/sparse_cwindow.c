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
#include "kernels_sparse_spmm.h"
#include "kernels_sparse.h"
#include "kernels_dispatch.h"
#include "kernels_parallel.h"
#include "sparse_scratch.h"
#include "sparse_window.h"
#include "tiers.h"
#include <stdint.h>

#if WT_CWINDOW_LANES8 != WT_WINDOW_LANES8
#error "the complex and the real 8-lane layouts are one walk (sp_window8_walk)"
#endif

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

/// The vectors of slice S of the group at the current position: (ar[S], ai[S]) ← the four
/// multiply-adds with the inputs looked up in (XR0, XR1) and (XI0, XI1), x[16p ..< 16p + 32] of each
/// part; MASKED: in the mask's lanes only. Not unrolled (the counts are mostly 0–3; as in
/// sparse_window.c). The empty asm states that the accumulators are in registers after the loop
/// (sparse_window.c, WT_SPW_CELL, says why).
#define CW_CELL(S, MASKED)                                                                                 \
    _Pragma("clang loop unroll(disable)")                                                                  \
    for (int k = cn[S]; k; k--, ip += 16, rp += 16, qp += 16, mp++) {                                      \
        const __m512i ix_ = _mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)ip));                     \
        const __m512 u_ = _mm512_permutex2var_ps(XR0, ix_, XR1), v_ = _mm512_permutex2var_ps(XI0, ix_, XI1); \
        const __m512 wr_ = _mm512_load_ps(rp), wi_ = _mm512_load_ps(qp);                                  \
        if (MASKED) {                                                                                      \
            const __mmask16 k_ = (__mmask16)*mp;                                                           \
            ar[S] = _mm512_mask3_fmadd_ps(wr_, u_, ar[S], k_);                                             \
            ar[S] = _mm512_mask3_fnmadd_ps(wi_, v_, ar[S], k_);                                            \
            ai[S] = _mm512_mask3_fmadd_ps(wr_, v_, ai[S], k_);                                             \
            ai[S] = _mm512_mask3_fmadd_ps(wi_, u_, ai[S], k_);                                             \
        } else {                                                                                           \
            ar[S] = _mm512_fmadd_ps(wr_, u_, ar[S]);                                                       \
            ar[S] = _mm512_fnmadd_ps(wi_, v_, ar[S]);                                                      \
            ai[S] = _mm512_fmadd_ps(wr_, v_, ai[S]);                                                       \
            ai[S] = _mm512_fmadd_ps(wi_, u_, ai[S]);                                                       \
        }                                                                                                  \
    }                                                                                                      \
    __asm__("" : "+v"(ar[S]), "+v"(ai[S]));

#if WT_CWINDOW_GROUP != 9
#error "CW_GROUP is unrolled for groups of 9 slices"
#endif

/// One group's product: positions outermost, the group's 9 slices inside with both parts'
/// accumulators in registers (a group of fewer slices has zero counts in the others).
#define CW_GROUP(MASKED)                                                                                   \
    for (ptrdiff_t p = 0; p < w->positions; p++, cn += WT_CWINDOW_GROUP) {                                 \
        const __m512 XR0 = _mm512_load_ps(xr + 16 * p), XR1 = _mm512_load_ps(xr + 16 * p + 16);            \
        const __m512 XI0 = _mm512_load_ps(xi + 16 * p), XI1 = _mm512_load_ps(xi + 16 * p + 16);            \
        CW_CELL(0, MASKED) CW_CELL(1, MASKED) CW_CELL(2, MASKED) CW_CELL(3, MASKED) CW_CELL(4, MASKED)     \
        CW_CELL(5, MASKED) CW_CELL(6, MASKED) CW_CELL(7, MASKED) CW_CELL(8, MASKED)                        \
    }

WT_TARGET_AVX512
__attribute__((noinline, aligned(64))) static void cw_groups_avx512(const wt_sparse_window *w, const float *wi,
                                                                   const float *br, const float *bi, const float *xr,
                                                                   const float *xi, float *yr, float *yi, int masked,
                                                                   ptrdiff_t g0, ptrdiff_t g1) {
    const __m512 z = _mm512_setzero_ps();
    for (ptrdiff_t g = g0; g < g1; g++) {
        __m512 ar[WT_CWINDOW_GROUP], ai[WT_CWINDOW_GROUP];
        for (int s = 0; s < WT_CWINDOW_GROUP; s++) ar[s] = ai[s] = z;  // unrolled: 18 registers
        const uint8_t *cn = w->count + g * w->positions * WT_CWINDOW_GROUP;
        const ptrdiff_t v = w->group_start[g];
        const uint8_t *ip = w->index + 16 * v;
        const float *rp = w->values + 16 * v, *qp = wi + 16 * v;
        const uint16_t *mp = w->mask + v;
        if (masked) {
            CW_GROUP(1)
        } else {
            CW_GROUP(0)
        }
        const ptrdiff_t s0 = g * WT_CWINDOW_GROUP;
        const ptrdiff_t s1 = w->slices - s0 < WT_CWINDOW_GROUP ? w->slices : s0 + WT_CWINDOW_GROUP;
        // Constant indices only, so that the accumulators stay in registers.
#define CW_OUT(S)                                                                                          \
        if (s0 + (S) < s1) {                                                                               \
            const ptrdiff_t s = s0 + (S);                                                                  \
            const int lanes = w->rows - 16 * s < 16 ? (int)(w->rows - 16 * s) : 16;                        \
            const __mmask16 k = (__mmask16)((1u << lanes) - 1);                                            \
            _mm512_mask_storeu_ps(yr + 16 * s, k, _mm512_add_ps(br ? _mm512_maskz_loadu_ps(k, br + 16 * s) : z, ar[S])); \
            _mm512_mask_storeu_ps(yi + 16 * s, k, _mm512_add_ps(bi ? _mm512_maskz_loadu_ps(k, bi + 16 * s) : z, ai[S])); \
        }
        CW_OUT(0) CW_OUT(1) CW_OUT(2) CW_OUT(3) CW_OUT(4) CW_OUT(5) CW_OUT(6) CW_OUT(7) CW_OUT(8)
#undef CW_OUT
    }
}
#undef CW_GROUP
#undef CW_CELL

static void cw_part(void *context, ptrdiff_t u0, ptrdiff_t u1) {
    const cw_job *j = (const cw_job *)context;
    for (ptrdiff_t b = 0; b < j->batch; b++) {
        if (j->w->by_position)
            cw_groups_avx512(j->w, j->wi, j->br, j->bi, j->xr[b], j->xi[b], j->yr + b * j->ldy, j->yi + b * j->ldy,
                             !j->finite[b], u0, u1);
        else
            cw_slices_avx512(j->w, j->wi, j->br, j->bi, j->xr[b], j->xi[b], j->yr + b * j->ldy, j->yi + b * j->ldy,
                             !j->finite[b], u0, u1);
    }
}
#endif

// MARK: - The 8-lane layout of the AVX2 tier (by_position = WT_CWINDOW_LANES8)

ptrdiff_t wt_ccsr_window8_count(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx) {
    if (rows < 0 || cols < 16) return -1;
    return sp_window8_walk(rows, cols, row_ptr, col_idx, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
}

int wt_ccsr_window8_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                         const float *vr, const float *vi, int32_t *slice_start, uint32_t *base, uint16_t *mask,
                         uint8_t *index, float *wvr, float *wvi) {
    if (rows < 0 || cols < 16) return -1;
    (void)sp_window8_walk(rows, cols, row_ptr, col_idx, vr, vi, slice_start, base, mask, index, wvr, wvi);
    return 0;
}

#if WT_X86
/// The real and imaginary inputs of vector O's 8 lanes: x[base + index] by two vpermps of the 16
/// aligned inputs from base and a blend on the index's bit 3, for each part.
#define CW8_STEP(AR, AI, O, MASKED)                                                                        \
    {                                                                                                      \
        const __m256i ix_ = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(ip + 8 * (O))));        \
        const __m256 hi_ = _mm256_castsi256_ps(_mm256_slli_epi32(ix_, 28));                                \
        const float *pr_ = xr + bp[O], *pi_ = xi + bp[O];                                                  \
        const __m256 u_ = _mm256_blendv_ps(_mm256_permutevar8x32_ps(_mm256_load_ps(pr_), ix_),             \
                                           _mm256_permutevar8x32_ps(_mm256_load_ps(pr_ + 8), ix_), hi_);   \
        const __m256 v_ = _mm256_blendv_ps(_mm256_permutevar8x32_ps(_mm256_load_ps(pi_), ix_),             \
                                           _mm256_permutevar8x32_ps(_mm256_load_ps(pi_ + 8), ix_), hi_);   \
        const __m256 wr_ = _mm256_load_ps(rp + 8 * (O)), wi_ = _mm256_load_ps(qp + 8 * (O));              \
        if (MASKED) {                                                                                      \
            const __m256i bits_ = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);                          \
            const __m256 k_ = _mm256_castsi256_ps(                                                         \
                _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(mp[O]), bits_), bits_));             \
            AR = _mm256_blendv_ps(AR, _mm256_fnmadd_ps(wi_, v_, _mm256_fmadd_ps(wr_, u_, AR)), k_);        \
            AI = _mm256_blendv_ps(AI, _mm256_fmadd_ps(wi_, u_, _mm256_fmadd_ps(wr_, v_, AI)), k_);         \
        } else {                                                                                           \
            AR = _mm256_fmadd_ps(wr_, u_, AR);                                                             \
            AR = _mm256_fnmadd_ps(wi_, v_, AR);                                                            \
            AI = _mm256_fmadd_ps(wr_, v_, AI);                                                             \
            AI = _mm256_fmadd_ps(wi_, u_, AI);                                                             \
        }                                                                                                  \
    }

/// Slices s0 ..< s1 (8 rows each) of one example, four accumulator pairs (vector v into pair v mod 4).
#define CW8_SLICES(MASKED)                                                                                 \
    for (ptrdiff_t s = s0; s < s1; s++) {                                                                  \
        __m256 r0 = z, r1 = z, r2 = z, r3 = z, i0 = z, i1 = z, i2 = z, i3 = z;                             \
        ptrdiff_t v = w->slice_start[s];                                                                   \
        const ptrdiff_t e = w->slice_start[s + 1];                                                         \
        const uint32_t *bp = w->base + v;                                                                  \
        const uint16_t *mp = w->mask + v;                                                                  \
        const uint8_t *ip = w->index + 8 * v;                                                              \
        const float *rp = w->values + 8 * v, *qp = wi + 8 * v;                                             \
        (void)mp;                                                                                          \
        for (; v + 4 <= e; v += 4, bp += 4, mp += 4, ip += 32, rp += 32, qp += 32) {                       \
            CW8_STEP(r0, i0, 0, MASKED)                                                                    \
            CW8_STEP(r1, i1, 1, MASKED)                                                                    \
            CW8_STEP(r2, i2, 2, MASKED)                                                                    \
            CW8_STEP(r3, i3, 3, MASKED)                                                                    \
        }                                                                                                  \
        if (v < e) CW8_STEP(r0, i0, 0, MASKED)                                                             \
        if (v + 1 < e) CW8_STEP(r1, i1, 1, MASKED)                                                         \
        if (v + 2 < e) CW8_STEP(r2, i2, 2, MASKED)                                                         \
        const int lanes = w->rows - 8 * s < 8 ? (int)(w->rows - 8 * s) : 8;                                \
        const __m256i k = _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); \
        const __m256 sr = _mm256_add_ps(_mm256_add_ps(r0, r1), _mm256_add_ps(r2, r3));                     \
        const __m256 si = _mm256_add_ps(_mm256_add_ps(i0, i1), _mm256_add_ps(i2, i3));                     \
        _mm256_maskstore_ps(yr + 8 * s, k, _mm256_add_ps(br ? _mm256_maskload_ps(br + 8 * s, k) : z, sr)); \
        _mm256_maskstore_ps(yi + 8 * s, k, _mm256_add_ps(bi ? _mm256_maskload_ps(bi + 8 * s, k) : z, si)); \
    }

WT_TARGET_AVX2
__attribute__((noinline, aligned(64))) static void cw8_slices_avx2(const wt_sparse_window *w, const float *wi,
                                                                  const float *br, const float *bi, const float *xr,
                                                                  const float *xi, float *yr, float *yi, int masked,
                                                                  ptrdiff_t s0, ptrdiff_t s1) {
    const __m256 z = _mm256_setzero_ps();
    if (masked) {
        CW8_SLICES(1)
    } else {
        CW8_SLICES(0)
    }
}
#undef CW8_SLICES
#undef CW8_STEP

static void cw8_part(void *context, ptrdiff_t u0, ptrdiff_t u1) {
    const cw_job *j = (const cw_job *)context;
    for (ptrdiff_t b = 0; b < j->batch; b++)
        cw8_slices_avx2(j->w, j->wi, j->br, j->bi, j->xr[b], j->xi[b], j->yr + b * j->ldy, j->yi + b * j->ldy,
                        !j->finite[b], u0, u1);
}

/// The 8-lane product (AVX2 and AVX-512 tiers): the parts copied into aligned, zero-padded scratch
/// and checked, then the slices split over the pool. Returns -1 (nothing done) without scratch.
static int cw8_linear(const wt_sparse_window *w, const float *wi, const float *br, const float *bi, ptrdiff_t batch,
                      const float *xr, const float *xi, ptrdiff_t ldx, float *yr, float *yi, ptrdiff_t ldy) {
    const ptrdiff_t padded = (w->cols + 7) & ~(ptrdiff_t)7;
    float *xa = (float *)wt_sparse_scratch((size_t)(2 * batch * padded) * sizeof(float));
    if (!xa) return -1;
    cw_job j = {w, wi, br, bi, batch, ldy, {0}, {0}, {0}, yr, yi};
    for (ptrdiff_t b = 0; b < batch; b++) {
        float *ar = xa + 2 * b * padded, *ai = ar + padded;
        const int fr = sp_window8_input_avx2(xr + b * ldx, w->cols, ar);
        const int fi = sp_window8_input_avx2(xi + b * ldx, w->cols, ai);
        j.xr[b] = ar; j.xi[b] = ai; j.finite[b] = fr && fi;
    }
    const ptrdiff_t work = batch * w->vectors * 32 + 1;
    ptrdiff_t grain = (ptrdiff_t)(((long long)CW_PARALLEL_MIN * w->slices + work - 1) / work);
    if (grain < 1) grain = 1;
    wt_parallel_for(w->slices, grain, cw8_part, &j);
    return 0;
}
#endif

int wt_ccsr_window_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                        const float *vr, const float *vi, int by_position, int32_t *slice_start, uint32_t *base,
                        uint8_t *count, int32_t *group_start, uint16_t *mask, uint8_t *index, float *wvr, float *wvi) {
    // The layout depends on the pattern only: the second fill writes the same indices, masks and
    // order arrays, and the imaginary parts in the lanes of the real ones.
    if (by_position)
        return sp_window_fill_grouped(rows, cols, row_ptr, col_idx, vr, WT_CWINDOW_GROUP, count, group_start, mask,
                                      index, wvr) |
               sp_window_fill_grouped(rows, cols, row_ptr, col_idx, vi, WT_CWINDOW_GROUP, count, group_start, mask,
                                      index, wvi);
    return wt_scsr_window_fill(rows, cols, row_ptr, col_idx, vr, 0, slice_start, base, NULL, NULL, NULL, NULL, mask,
                               index, wvr) |
           wt_scsr_window_fill(rows, cols, row_ptr, col_idx, vi, 0, slice_start, base, NULL, NULL, NULL, NULL, mask,
                               index, wvi);
}

int wt_ccsr_linear_windowed(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                            const float *vr, const float *vi, const wt_sparse_window *window,
                            const float *window_imag, const float *br, const float *bi, ptrdiff_t batch,
                            const float *xr, const float *xi, ptrdiff_t ldx, float *yr, float *yi, ptrdiff_t ldy) {
#if WT_X86
    if (batch > 0 && batch < CW_BATCH_MAX && rows > 0 && window && window_imag && window->rows == rows &&
        window->cols == cols && window->by_position == WT_CWINDOW_LANES8 && wt_active_isa() >= WT_ISA_AVX2_FMA &&
        cw8_linear(window, window_imag, br, bi, batch, xr, xi, ldx, yr, yi, ldy) == 0)
        return 0;
    if (batch > 0 && batch < CW_BATCH_MAX && rows > 0 && window && window_imag && window->rows == rows &&
        window->cols == cols && (window->by_position == 0 || window->by_position == 1) &&
        wt_active_isa() == WT_ISA_AVX512) {
        const ptrdiff_t padded = sp_window_padded(cols);
        cw_job j = {window, window_imag, br, bi, batch, ldy, {0}, {0}, {0}, yr, yi};
        // Parts whose rows are 64-byte aligned and a multiple of 16 floats long (a 784-wide tensor)
        // are read in place and only checked; others are copied into aligned, zero-padded scratch.
        float *xa = NULL;
        int ok = 1;
        for (ptrdiff_t b = 0; b < batch && ok; b++) {
            const float *pr = xr + b * ldx, *pi = xi + b * ldx;
            if ((cols & 15) == 0 && ((uintptr_t)pr & 63) == 0 && ((uintptr_t)pi & 63) == 0) {
                j.xr[b] = pr; j.xi[b] = pi;
                j.finite[b] = sp_window_finite_avx512(pr, cols) && sp_window_finite_avx512(pi, cols);
                continue;
            }
            if (!xa) xa = (float *)wt_sparse_scratch((size_t)(2 * batch * padded) * sizeof(float));
            if (!xa) { ok = 0; break; }
            float *ar = xa + 2 * b * padded, *ai = ar + padded;
            const int fr = sp_window_input_avx512(pr, cols, ar);
            const int fi = sp_window_input_avx512(pi, cols, ai);
            j.xr[b] = ar; j.xi[b] = ai; j.finite[b] = fr && fi;
        }
        if (ok) {
            // Slices or groups (the layout's order) split over the pool when each part has enough
            // work; any split gives the same bits.
            const ptrdiff_t units = window->by_position ? window->groups : window->slices;
            const ptrdiff_t work = batch * window->vectors * 64 + 1;
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
