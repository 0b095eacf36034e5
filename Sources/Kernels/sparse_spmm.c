// Sparse weight (CSR) times a dense operand whose rows are contiguous: Y[r, 0..<L] = b[r] +
// Σ_k w_k · X[c_k, 0..<L], real or complex. See kernels_sparse_spmm.h.
//
// One product serves three layers:
//  * convolution: X is the im2col matrix of one sample restricted to the kernel taps the weight
//    uses (L = output positions), Y the sample's output [C_out, positions]; without padding and
//    with unit stride and dilation along the last axis, the same sums are formed straight from
//    the input rows instead, 8 output positions per vector (spx_direct_*);
//  * complex linear, batch ≥ 4: X is a tile of 64 examples of the input transposed to
//    [features, examples] (8×8 blocks through registers; L = examples), Y the transposed output
//    tile, transposed back afterwards;
//  * complex linear, batch < 4: no product; one dot product per (example, row): W nonzeros at a
//    time with gathered inputs (hardware gathers on AVX2 / AVX-512), the rest with four partial
//    sums per part to hide the multiply-add latency.
//
// The product walks the L axis in blocks of 4 vectors, then single vectors, then scalars; for
// each block the row's nonzeros are visited in storage order, each a broadcast of the weight and
// one multiply-add per vector (two per part for complex: acc_r += wr·xr, acc_r −= wi·xi,
// acc_i += wr·xi, acc_i += wi·xr, each statement its own rounding or fused multiply-add). The
// scalar tail uses the same statements, so an element's value does not depend on its position
// in L, on L, or on which thread computed its row or sample.
//
// One body written over a GCC/Clang vector-extension type of W floats, instantiated per tier
// with a function target attribute: W = 4 (baseline), 8 (AVX2 + FMA), 16 (AVX-512F); the
// function table is indexed by wt_active_isa().
#include "kernels_sparse_spmm.h"
#include "kernels_dispatch.h"
#include "kernels_parallel.h"
#include "sparse_scratch.h"
#include "lane_tree.h"
#include "tiers.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SPX_GATHER_MAX 4                 // complex linear batches below this use dot products
#define SPX_TILE 64                      // examples per transposed tile (complex linear)
#define SPX_PARALLEL_MIN ((ptrdiff_t)1 << 17)  // multiply-adds per part, at least

/// One product Y = W · X + b over output rows r0 ..< r1 (see the top of the file).
typedef struct {
    const int32_t *row_ptr, *col_idx;
    const float *vr, *vi;  // vi NULL: real product
    const float *br, *bi;  // NULL: no bias
    const float *xr, *xi;
    ptrdiff_t ldx;
    float *yr, *yi;
    ptrdiff_t ldy, len;    // len = L
} spx_mm;

/// Gathered dot products for a small batch: y[b, r] for b < batch, rows r0 ..< r1.
typedef struct {
    const int32_t *row_ptr, *col_idx;
    const float *vr, *vi, *br, *bi;
    ptrdiff_t batch;
    const float *xr, *xi;
    ptrdiff_t ldx;
    float *yr, *yi;
    ptrdiff_t ldy;
} spx_dot;

/// One sample of a convolution computed straight from its input (no im2col rows): `off[j]` is the
/// input offset of compacted tap j at output position 0; valid for no padding, stride and dilation
/// 1 along the last axis and out[2] a multiple of 8.
typedef struct {
    const wt_conv_shape *g;
    ptrdiff_t rows;
    const int32_t *row_ptr, *col_idx;
    const ptrdiff_t *off;
    const float *vr, *vi, *br, *bi;
    const float *xr, *xi;
    float *yr, *yi;
} spx_dconv;

// MARK: - Per-tier bodies

/// W floats x[idx[0]], …, x[idx[W − 1]] into the vector g: a hardware gather where the tier has one.
#define SPX_GATHER_SCALAR(V, W, g, x, idx)                                                          \
    for (int q_ = 0; q_ < W; q_++) g[q_] = (x)[(idx)[q_]];
#if WT_X86
#define SPX_GATHER_AVX2(V, W, g, x, idx)                                                            \
    g = (V)_mm256_i32gather_ps((x), _mm256_loadu_si256((const __m256i *)(const void *)(idx)), 4);
#define SPX_GATHER_AVX512(V, W, g, x, idx)                                                          \
    g = (V)_mm512_i32gather_ps(_mm512_loadu_si512((const void *)(idx)), (x), 4);
#endif

/// The first n (0 < n < W) nonzeros of a row: gathered inputs u, v and weights wr, wi, lanes ≥ n zero.
#define SPX_PARTIAL_SCALAR(V, W, n, u, v, wr, wi, xr, xi, idx, pr, pi)                              \
    u = v = wr = wi = (V){0};                                                                       \
    for (int q_ = 0; q_ < (n); q_++) {                                                              \
        u[q_] = (xr)[(idx)[q_]]; v[q_] = (xi)[(idx)[q_]]; wr[q_] = (pr)[q_]; wi[q_] = (pi)[q_];       \
    }
/// Sum of the W lanes of a (lane_tree.h).
#define SPX_REDUCE_TREE(V, W, a, out) WT_LANE_TREE(float, W, a, out)
#if WT_X86
#define SPX_PARTIAL_AVX2(V, W, n, u, v, wr, wi, xr, xi, idx, pr, pi)                                \
    {                                                                                               \
        const __m256i m_ = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); \
        const __m256i ix_ = _mm256_maskload_epi32((const int *)(idx), m_);                          \
        u = (V)_mm256_mask_i32gather_ps(_mm256_setzero_ps(), (xr), ix_, _mm256_castsi256_ps(m_), 4); \
        v = (V)_mm256_mask_i32gather_ps(_mm256_setzero_ps(), (xi), ix_, _mm256_castsi256_ps(m_), 4); \
        wr = (V)_mm256_maskload_ps((pr), m_);                                                       \
        wi = (V)_mm256_maskload_ps((pi), m_);                                                       \
    }
#define SPX_PARTIAL_AVX512(V, W, n, u, v, wr, wi, xr, xi, idx, pr, pi)                              \
    {                                                                                               \
        const __mmask16 m_ = (__mmask16)((1u << (n)) - 1u);                                         \
        const __m512i ix_ = _mm512_maskz_loadu_epi32(m_, (idx));                                    \
        u = (V)_mm512_mask_i32gather_ps(_mm512_setzero_ps(), m_, ix_, (xr), 4);                     \
        v = (V)_mm512_mask_i32gather_ps(_mm512_setzero_ps(), m_, ix_, (xi), 4);                     \
        wr = (V)_mm512_maskz_loadu_ps(m_, (pr));                                                    \
        wi = (V)_mm512_maskz_loadu_ps(m_, (pi));                                                    \
    }
/// The same tree as SPX_REDUCE_TREE, in registers: halves of 128, 64 and 32 bits added.
#define SPX_REDUCE_AVX2(V, W, a, out)                                                               \
    {                                                                                               \
        const __m256 y_ = (__m256)(a);                                                              \
        __m128 h4_ = _mm_add_ps(_mm256_castps256_ps128(y_), _mm256_extractf128_ps(y_, 1));          \
        __m128 h2_ = _mm_add_ps(h4_, _mm_movehl_ps(h4_, h4_));                                      \
        __m128 h1_ = _mm_add_ss(h2_, _mm_shuffle_ps(h2_, h2_, 1));                                  \
        out = _mm_cvtss_f32(h1_);                                                                   \
    }
/// The same tree as SPX_REDUCE_TREE, in registers: halves of 256, 128, 64 and 32 bits added.
#define SPX_REDUCE_AVX512(V, W, a, out)                                                             \
    {                                                                                               \
        const __m512 z_ = (__m512)(a);                                                              \
        __m256 h8_ = _mm256_add_ps(_mm512_castps512_ps256(z_), _mm512_extractf32x8_ps(z_, 1));      \
        __m128 h4_ = _mm_add_ps(_mm256_castps256_ps128(h8_), _mm256_extractf128_ps(h8_, 1));        \
        __m128 h2_ = _mm_add_ps(h4_, _mm_movehl_ps(h4_, h4_));                                      \
        __m128 h1_ = _mm_add_ss(h2_, _mm_shuffle_ps(h2_, h2_, 1));                                  \
        out = _mm_cvtss_f32(h1_);                                                                   \
    }
#endif

/// Eight floats as one vector (one load and one store on AVX2, two on SSE): the unit of the
/// im2col run copies, whose runs (8–24 floats in LeNet-5) are too short for a wider loop.
typedef float spx_f8 __attribute__((vector_size(32)));
typedef float spx_f4 __attribute__((vector_size(16)));


// Accumulates NV vectors of a real row over the row's nonzeros and stores them at y + l.
#define SPX_REAL_BLOCK(V, W, NV)                                                                    \
    {                                                                                               \
        V acc[NV];                                                                                  \
        for (int q = 0; q < NV; q++) acc[q] = (V){0} + b0;                                          \
        for (int32_t k = k0; k < k1; k++) {                                                         \
            const float w = m->vr[k];                                                               \
            const float *x = m->xr + (ptrdiff_t)m->col_idx[k] * m->ldx + l;                         \
            for (int q = 0; q < NV; q++) {                                                          \
                V xv;                                                                               \
                memcpy(&xv, x + q * W, sizeof xv);                                                  \
                acc[q] = acc[q] + w * xv;                                                           \
            }                                                                                       \
        }                                                                                           \
        for (int q = 0; q < NV; q++) memcpy(y + l + q * W, &acc[q], sizeof acc[q]);                 \
    }

#define SPX_CPLX_BLOCK(V, W, NV)                                                                    \
    {                                                                                               \
        V ar[NV], ai[NV];                                                                           \
        for (int q = 0; q < NV; q++) { ar[q] = (V){0} + b0; ai[q] = (V){0} + b1; }                  \
        for (int32_t k = k0; k < k1; k++) {                                                         \
            const float wr = m->vr[k], wi = m->vi[k];                                               \
            const ptrdiff_t off = (ptrdiff_t)m->col_idx[k] * m->ldx + l;                            \
            for (int q = 0; q < NV; q++) {                                                          \
                V u, v;                                                                             \
                memcpy(&u, m->xr + off + q * W, sizeof u);                                          \
                memcpy(&v, m->xi + off + q * W, sizeof v);                                          \
                ar[q] = ar[q] + wr * u;                                                             \
                ar[q] = ar[q] - wi * v;                                                             \
                ai[q] = ai[q] + wr * v;                                                             \
                ai[q] = ai[q] + wi * u;                                                             \
            }                                                                                       \
        }                                                                                           \
        for (int q = 0; q < NV; q++) {                                                              \
            memcpy(yr + l + q * W, &ar[q], sizeof ar[q]);                                           \
            memcpy(yi + l + q * W, &ai[q], sizeof ai[q]);                                           \
        }                                                                                           \
    }


// R output lines (consecutive o1) × NV vectors of 8 positions of one output channel, accumulated
// over the channel's nonzeros in storage order: the same statements, in the same order, as the
// im2col-rows product, so both give the same values.
#define SPX_DIRECT_REAL(R, NV)                                                                      \
    {                                                                                               \
        spx_f8 acc[R][NV];                                                                          \
        for (int r_ = 0; r_ < R; r_++)                                                              \
            for (int v_ = 0; v_ < NV; v_++) acc[r_][v_] = (spx_f8){0} + b0;                         \
        for (int32_t k = k0; k < k1; k++) {                                                         \
            const float w = d->vr[k];                                                               \
            const float *src = d->xr + line + d->off[d->col_idx[k]] + o2;                           \
            for (int r_ = 0; r_ < R; r_++)                                                          \
                for (int v_ = 0; v_ < NV; v_++) {                                                   \
                    spx_f8 t_;                                                                      \
                    memcpy(&t_, src + r_ * lstride + 8 * v_, sizeof t_);                            \
                    acc[r_][v_] = acc[r_][v_] + w * t_;                                             \
                }                                                                                   \
        }                                                                                           \
        for (int r_ = 0; r_ < R; r_++)                                                              \
            for (int v_ = 0; v_ < NV; v_++)                                                         \
                memcpy(d->yr + r * P + oline + r_ * O2 + o2 + 8 * v_, &acc[r_][v_], sizeof(spx_f8)); \
    }

#define SPX_DIRECT_CPLX(R, NV)                                                                      \
    {                                                                                               \
        spx_f8 ar[R][NV], ai[R][NV];                                                                \
        for (int r_ = 0; r_ < R; r_++)                                                              \
            for (int v_ = 0; v_ < NV; v_++) { ar[r_][v_] = (spx_f8){0} + b0; ai[r_][v_] = (spx_f8){0} + b1; } \
        for (int32_t k = k0; k < k1; k++) {                                                         \
            const float wr = d->vr[k], wi = d->vi[k];                                               \
            const ptrdiff_t at = line + d->off[d->col_idx[k]] + o2;                                 \
            for (int r_ = 0; r_ < R; r_++)                                                          \
                for (int v_ = 0; v_ < NV; v_++) {                                                   \
                    spx_f8 u, v;                                                                    \
                    memcpy(&u, d->xr + at + r_ * lstride + 8 * v_, sizeof u);                       \
                    memcpy(&v, d->xi + at + r_ * lstride + 8 * v_, sizeof v);                       \
                    ar[r_][v_] = ar[r_][v_] + wr * u;                                               \
                    ar[r_][v_] = ar[r_][v_] - wi * v;                                               \
                    ai[r_][v_] = ai[r_][v_] + wr * v;                                               \
                    ai[r_][v_] = ai[r_][v_] + wi * u;                                               \
                }                                                                                   \
        }                                                                                           \
        for (int r_ = 0; r_ < R; r_++)                                                              \
            for (int v_ = 0; v_ < NV; v_++) {                                                       \
                memcpy(d->yr + r * P + oline + r_ * O2 + o2 + 8 * v_, &ar[r_][v_], sizeof(spx_f8)); \
                memcpy(d->yi + r * P + oline + r_ * O2 + o2 + 8 * v_, &ai[r_][v_], sizeof(spx_f8)); \
            }                                                                                       \
    }

#define SPX_DIRECT_LINES(KIND, R)                                                                   \
    {                                                                                               \
        const ptrdiff_t line = o0 * pstride0 + o1 * lstride, oline = (o0 * O1 + o1) * O2;           \
        ptrdiff_t o2 = 0;                                                                           \
        for (; o2 + 24 <= O2; o2 += 24) KIND(R, 3)                                                  \
        for (; o2 + 8 <= O2; o2 += 8) KIND(R, 1)                                                    \
    }

#define SPX_DEFINE(SUF, ATTR, W, GATHER, PARTIAL, REDUCE)                                                                  \
    typedef float spx_vec_##SUF __attribute__((vector_size(4 * W)));                                \
                                                                                                    \
    ATTR static void spx_rows_##SUF(const spx_mm *m, ptrdiff_t r0, ptrdiff_t r1) {                  \
        const ptrdiff_t L = m->len;                                                                 \
        for (ptrdiff_t r = r0; r < r1; r++) {                                                       \
            const int32_t k0 = m->row_ptr[r], k1 = m->row_ptr[r + 1];                               \
            const float b0 = m->br ? m->br[r] : 0.0f, b1 = m->bi ? m->bi[r] : 0.0f;                 \
            ptrdiff_t l = 0;                                                                        \
            if (m->vi == NULL) {                                                                    \
                float *y = m->yr + r * m->ldy;                                                      \
                for (; l + 4 * W <= L; l += 4 * W) SPX_REAL_BLOCK(spx_vec_##SUF, W, 4)              \
                for (; l + W <= L; l += W) SPX_REAL_BLOCK(spx_vec_##SUF, W, 1)                      \
                for (; l < L; l++) {                                                                \
                    float a = b0;                                                                   \
                    for (int32_t k = k0; k < k1; k++)                                               \
                        a = a + m->vr[k] * m->xr[(ptrdiff_t)m->col_idx[k] * m->ldx + l];            \
                    y[l] = a;                                                                       \
                }                                                                                   \
            } else {                                                                                \
                float *yr = m->yr + r * m->ldy, *yi = m->yi + r * m->ldy;                           \
                for (; l + 4 * W <= L; l += 4 * W) SPX_CPLX_BLOCK(spx_vec_##SUF, W, 4)              \
                for (; l + W <= L; l += W) SPX_CPLX_BLOCK(spx_vec_##SUF, W, 1)                      \
                for (; l < L; l++) {                                                                \
                    float a = b0, c = b1;                                                           \
                    for (int32_t k = k0; k < k1; k++) {                                             \
                        const float wr = m->vr[k], wi = m->vi[k];                                   \
                        const ptrdiff_t off = (ptrdiff_t)m->col_idx[k] * m->ldx + l;                \
                        const float u = m->xr[off], v = m->xi[off];                                 \
                        a = a + wr * u;                                                             \
                        a = a - wi * v;                                                             \
                        c = c + wr * v;                                                             \
                        c = c + wi * u;                                                             \
                    }                                                                               \
                    yr[l] = a;                                                                      \
                    yi[l] = c;                                                                      \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    }                                                                                               \
                                                                                                    \
    /* Complex dot products: W nonzeros at a time (gathered inputs), the last n < W of a row   \
       in one partial vector (zero lanes beyond n), then the lanes summed by the tier's REDUCE. */ \
    ATTR static void spx_dot_##SUF(const spx_dot *d, ptrdiff_t r0, ptrdiff_t r1) {                  \
        typedef spx_vec_##SUF V;                                                                    \
        for (ptrdiff_t b = 0; b < d->batch; b++) {                                                  \
            const float *xr = d->xr + b * d->ldx, *xi = d->xi + b * d->ldx;                         \
            for (ptrdiff_t r = r0; r < r1; r++) {                                                   \
                int32_t k = d->row_ptr[r];                                                          \
                const int32_t end = d->row_ptr[r + 1];                                              \
                V ar = (V){0}, ai = (V){0};                                                         \
                for (; k < end; k += W) {                                                           \
                    V u, v, wr, wi;                                                                 \
                    if (end - k >= W) {                                                             \
                        GATHER(V, W, u, xr, d->col_idx + k)                                         \
                        GATHER(V, W, v, xi, d->col_idx + k)                                         \
                        memcpy(&wr, d->vr + k, sizeof wr);                                          \
                        memcpy(&wi, d->vi + k, sizeof wi);                                          \
                    } else {                                                                        \
                        PARTIAL(V, W, (int)(end - k), u, v, wr, wi, xr, xi, d->col_idx + k, d->vr + k, d->vi + k) \
                    }                                                                               \
                    ar = ar + wr * u;                                                               \
                    ar = ar - wi * v;                                                               \
                    ai = ai + wr * v;                                                               \
                    ai = ai + wi * u;                                                               \
                }                                                                                   \
                float sr, si;                                                                       \
                REDUCE(V, W, ar, sr)                                                                \
                REDUCE(V, W, ai, si)                                                                \
                d->yr[b * d->ldy + r] = (d->br ? d->br[r] : 0.0f) + sr;                             \
                d->yi[b * d->ldy + r] = (d->bi ? d->bi[r] : 0.0f) + si;                             \
            }                                                                                       \
        }                                                                                           \
    }                                                                                               \
                                                                                                    \
    /* dst[c·ldd + i] = src[i·lds + c] for i < nb, c < cols: 8×8 blocks through registers, eight  \
       columns at a time down all rows, so that both sides stay in L1 between blocks. */         \
    ATTR static void spx_transpose_##SUF(const float *src, ptrdiff_t lds, ptrdiff_t nb, ptrdiff_t cols, \
                                         float *dst, ptrdiff_t ldd) {                               \
        const ptrdiff_t nb8 = nb & ~(ptrdiff_t)7, cols8 = cols & ~(ptrdiff_t)7;                     \
        for (ptrdiff_t c0 = 0; c0 < cols8; c0 += 8)                                                 \
            for (ptrdiff_t i0 = 0; i0 < nb8; i0 += 8) {                                             \
                /* r[q] = [row q | row q + 4] at columns c0 ..< c0 + 4 (q < 4), r[q + 4] the same \
                   at columns c0 + 4 ..< c0 + 8: the loads combine the 128-bit halves, so only   \
                   two in-lane shuffle stages remain (16 shuffles per block, not 24). */         \
                spx_f8 r[8];                                                                        \
                for (int q = 0; q < 4; q++)                                                         \
                    for (int h = 0; h < 2; h++) {                                                   \
                        spx_f4 a, b;                                                                \
                        memcpy(&a, src + (i0 + q) * lds + c0 + 4 * h, sizeof a);                    \
                        memcpy(&b, src + (i0 + q + 4) * lds + c0 + 4 * h, sizeof b);                \
                        r[q + 4 * h] = __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7);       \
                    }                                                                               \
                for (int h = 0; h < 2; h++) {                                                       \
                    const spx_f8 *g = r + 4 * h;                                                    \
                    spx_f8 t0 = __builtin_shufflevector(g[0], g[1], 0, 8, 1, 9, 4, 12, 5, 13);      \
                    spx_f8 t1 = __builtin_shufflevector(g[0], g[1], 2, 10, 3, 11, 6, 14, 7, 15);    \
                    spx_f8 t2 = __builtin_shufflevector(g[2], g[3], 0, 8, 1, 9, 4, 12, 5, 13);      \
                    spx_f8 t3 = __builtin_shufflevector(g[2], g[3], 2, 10, 3, 11, 6, 14, 7, 15);    \
                    spx_f8 o[4] = {__builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13),       \
                                   __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15),     \
                                   __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13),       \
                                   __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15)};    \
                    for (int q = 0; q < 4; q++) memcpy(dst + (c0 + 4 * h + q) * ldd + i0, &o[q], sizeof o[q]); \
                }                                                                                   \
            }                                                                                       \
        /* The last nb % 8 rows, and the last cols % 8 columns of every row. */                     \
        for (ptrdiff_t i = nb8; i < nb; i++)                                                        \
            for (ptrdiff_t c = 0; c < cols; c++) dst[c * ldd + i] = src[i * lds + c];               \
        for (ptrdiff_t c = cols8; c < cols; c++)                                                    \
            for (ptrdiff_t i = 0; i < nb8; i++) dst[c * ldd + i] = src[i * lds + c];                \
    }                                                                                               \
                                                                                                    \
    /* One sample straight from its input (see spx_dconv). */                                    \
    ATTR static void spx_direct_##SUF(const spx_dconv *d) {                                         \
        const wt_conv_shape *g = d->g;                                                              \
        const ptrdiff_t S1 = g->in[1], S2 = g->in[2], O0 = g->out[0], O1 = g->out[1], O2 = g->out[2]; \
        const ptrdiff_t P = O0 * O1 * O2, lstride = g->s[1] * S2, pstride0 = g->s[0] * S1 * S2;     \
        for (ptrdiff_t r = 0; r < d->rows; r++) {                                                   \
            const int32_t k0 = d->row_ptr[r], k1 = d->row_ptr[r + 1];                               \
            const float b0 = d->br ? d->br[r] : 0.0f, b1 = d->bi ? d->bi[r] : 0.0f;                 \
            (void)b1;                                                                               \
            for (ptrdiff_t o0 = 0; o0 < O0; o0++) {                                                 \
                ptrdiff_t o1 = 0;                                                                   \
                if (d->vi == NULL) {                                                                \
                    for (; o1 + 4 <= O1; o1 += 4) SPX_DIRECT_LINES(SPX_DIRECT_REAL, 4)              \
                    for (; o1 < O1; o1++) SPX_DIRECT_LINES(SPX_DIRECT_REAL, 1)                      \
                } else {                                                                            \
                    for (; o1 + 2 <= O1; o1 += 2) SPX_DIRECT_LINES(SPX_DIRECT_CPLX, 2)              \
                    for (; o1 < O1; o1++) SPX_DIRECT_LINES(SPX_DIRECT_CPLX, 1)                      \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    }                                                                                               \
                                                                                                    \
    /* Rows taps[0 ..< ntaps] of one sample's im2col matrix into col (ntaps × P, contiguous). */    \
    ATTR static void spx_taps_##SUF(const wt_conv_shape *g, const float *x, const int32_t *taps,   \
                                    ptrdiff_t ntaps, float *col) {                                  \
        const ptrdiff_t S0 = g->in[0], S1 = g->in[1], S2 = g->in[2];                                \
        const ptrdiff_t O0 = g->out[0], O1 = g->out[1], O2 = g->out[2];                             \
        const ptrdiff_t K12 = g->k[1] * g->k[2], K = g->k[0] * K12;                                 \
        for (ptrdiff_t t = 0; t < ntaps; t++) {                                                     \
            const ptrdiff_t tap = taps[t], c = tap / K, kk = tap % K;                               \
            const ptrdiff_t k0 = kk / K12, k1 = (kk / g->k[2]) % g->k[1], k2 = kk % g->k[2];        \
            const float *xc = x + c * S0 * S1 * S2;                                                 \
            float *dst = col + t * O0 * O1 * O2;                                                    \
            const ptrdiff_t off2 = k2 * g->d[2] - g->p[2], s2 = g->s[2];                            \
            ptrdiff_t lo = off2 >= 0 ? 0 : (-off2 + s2 - 1) / s2;                                   \
            lo = lo > O2 ? O2 : lo;                                                                 \
            ptrdiff_t hi = S2 - off2 <= 0 ? 0 : (S2 - off2 + s2 - 1) / s2;                          \
            hi = hi > O2 ? O2 : (hi < lo ? lo : hi);                                                \
            for (ptrdiff_t o0 = 0; o0 < O0; o0++) {                                                 \
                const ptrdiff_t i0 = o0 * g->s[0] - g->p[0] + k0 * g->d[0];                         \
                for (ptrdiff_t o1 = 0; o1 < O1; o1++) {                                             \
                    float *out = dst + (o0 * O1 + o1) * O2;                                         \
                    const ptrdiff_t i1 = o1 * g->s[1] - g->p[1] + k1 * g->d[1];                     \
                    if (i0 < 0 || i0 >= S0 || i1 < 0 || i1 >= S1) {                                 \
                        for (ptrdiff_t o2 = 0; o2 < O2; o2++) out[o2] = 0.0f;                       \
                        continue;                                                                   \
                    }                                                                               \
                    const float *src = xc + (i0 * S1 + i1) * S2 + off2;                             \
                    for (ptrdiff_t o2 = 0; o2 < lo; o2++) out[o2] = 0.0f;                           \
                    if (s2 == 1) {                                                                  \
                        ptrdiff_t o2 = lo;                                                          \
                        for (; o2 + 8 <= hi; o2 += 8) {                                             \
                            spx_f8 v8;                                                              \
                            memcpy(&v8, src + o2, sizeof v8);                                       \
                            memcpy(out + o2, &v8, sizeof v8);                                       \
                        }                                                                           \
                        for (; o2 < hi; o2++) out[o2] = src[o2];                                    \
                    } else                                                                          \
                        for (ptrdiff_t o2 = lo; o2 < hi; o2++) out[o2] = src[o2 * s2];              \
                    for (ptrdiff_t o2 = hi; o2 < O2; o2++) out[o2] = 0.0f;                          \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    }

SPX_DEFINE(base, , 4, SPX_GATHER_SCALAR, SPX_PARTIAL_SCALAR, SPX_REDUCE_TREE)
#if WT_X86
SPX_DEFINE(avx2, WT_TARGET_AVX2, 8, SPX_GATHER_AVX2, SPX_PARTIAL_AVX2, SPX_REDUCE_AVX2)
SPX_DEFINE(avx512, WT_TARGET_AVX512, 16, SPX_GATHER_AVX512, SPX_PARTIAL_AVX512, SPX_REDUCE_AVX512)
#define SPX_TIERS(X) {X##_base, X##_avx2, X##_avx512}
#else
#define SPX_TIERS(X) {X##_base, X##_base, X##_base}
#endif

typedef void (*spx_rows_fn)(const spx_mm *, ptrdiff_t, ptrdiff_t);
typedef void (*spx_dot_fn)(const spx_dot *, ptrdiff_t, ptrdiff_t);
typedef void (*spx_taps_fn)(const wt_conv_shape *, const float *, const int32_t *, ptrdiff_t, float *);
static const spx_rows_fn spx_rows[3] = SPX_TIERS(spx_rows);
// The AVX-512 tier takes the 8-lane dot products: 16-lane gathers measured slower (11.4 µs against
// 10.5 µs for CplxLinear(784, 400) at 95 % sparsity, batch 1, on a Xeon family 6 model 207).
#if WT_X86
static const spx_dot_fn spx_dots[3] = {spx_dot_base, spx_dot_avx2, spx_dot_avx2};
#else
static const spx_dot_fn spx_dots[3] = SPX_TIERS(spx_dot);
#endif
static const spx_taps_fn spx_taps[3] = SPX_TIERS(spx_taps);
typedef void (*spx_direct_fn)(const spx_dconv *);
static const spx_direct_fn spx_directs[3] = SPX_TIERS(spx_direct);
typedef void (*spx_transpose_fn)(const float *, ptrdiff_t, ptrdiff_t, ptrdiff_t, float *, ptrdiff_t);
static const spx_transpose_fn spx_transposes[3] = SPX_TIERS(spx_transpose);

// MARK: - Splitting rows over threads

typedef struct {
    spx_rows_fn rows;
    spx_dot_fn dot;
    const spx_mm *mm;
    const spx_dot *dt;
} spx_row_split;

static void spx_row_part(void *context, ptrdiff_t begin, ptrdiff_t end) {
    const spx_row_split *s = context;
    if (s->mm) s->rows(s->mm, begin, end); else s->dot(s->dt, begin, end);
}

/// Rows 0 ..< rows over the worker pool, parts of at least SPX_PARALLEL_MIN multiply-adds.
static void spx_split_rows(spx_row_split *s, ptrdiff_t rows, ptrdiff_t nnz, ptrdiff_t per_nnz) {
    ptrdiff_t per_row = (nnz * per_nnz + rows) / (rows > 0 ? rows : 1) + 1;
    ptrdiff_t grain = SPX_PARALLEL_MIN / per_row;
    wt_parallel_for(rows, grain > 8 ? grain : 8, spx_row_part, s);
}

// MARK: - Complex linear

int wt_ccsr_linear(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                   const float *vr, const float *vi, const float *br, const float *bi, ptrdiff_t batch,
                   const float *xr, const float *xi, ptrdiff_t ldx, float *yr, float *yi, ptrdiff_t ldy) {
    if (batch <= 0 || rows <= 0) return 0;
    const int tier = (int)wt_active_isa();
    const ptrdiff_t nnz = row_ptr[rows];
    if (batch < SPX_GATHER_MAX) {
        spx_dot d = {row_ptr, col_idx, vr, vi, br, bi, batch, xr, xi, ldx, yr, yi, ldy};
        spx_row_split s = {.dot = spx_dots[tier], .dt = &d};
        spx_split_rows(&s, rows, nnz, 4 * batch);
        return 0;
    }
    const ptrdiff_t tile = batch < SPX_TILE ? batch : SPX_TILE;
    const size_t count = 2 * (size_t)tile * (size_t)(cols + rows);
    float *scratch = count ? wt_sparse_scratch(count * sizeof(float)) : NULL;
    if (count && !scratch) return -1;
    // Row c of the transposed input holds the tile's real parts, then its imaginary parts, so the
    // two halves a nonzero reads are adjacent (one stream of 2·tile floats); likewise the output.
    const ptrdiff_t ld = 2 * tile;
    float *xtr = scratch, *xti = xtr + tile, *ytr = scratch + cols * ld, *yti = ytr + tile;
    for (ptrdiff_t b0 = 0; b0 < batch; b0 += tile) {
        const ptrdiff_t nb = batch - b0 < tile ? batch - b0 : tile;
        spx_transposes[tier](xr + b0 * ldx, ldx, nb, cols, xtr, ld);
        spx_transposes[tier](xi + b0 * ldx, ldx, nb, cols, xti, ld);
        spx_mm m = {row_ptr, col_idx, vr, vi, br, bi, xtr, xti, ld, ytr, yti, ld, nb};
        spx_row_split s = {.rows = spx_rows[tier], .mm = &m};
        spx_split_rows(&s, rows, nnz, 4 * nb);
        spx_transposes[tier](ytr, ld, rows, nb, yr + b0 * ldy, ldy);
        spx_transposes[tier](yti, ld, rows, nb, yi + b0 * ldy, ldy);
    }
    return 0;
}

// MARK: - Convolutions

typedef struct {
    const wt_conv_shape *g;
    ptrdiff_t rows, ntaps;
    const int32_t *row_ptr, *col_idx, *taps;
    const float *vr, *vi, *br, *bi;
    const float *xr, *xi;
    float *yr, *yi;
    const ptrdiff_t *off;  // per compacted tap, for the direct path (NULL: im2col rows)
    int tier;
    _Atomic int failed;
} spx_conv;

static void spx_conv_part(void *context, ptrdiff_t begin, ptrdiff_t end) {
    spx_conv *j = context;
    const wt_conv_shape *g = j->g;
    const ptrdiff_t P = g->out[0] * g->out[1] * g->out[2];
    const ptrdiff_t in_size = g->channels * g->in[0] * g->in[1] * g->in[2];
    const int cplx = j->vi != NULL;
    if (j->off) {
        for (ptrdiff_t n = begin; n < end; n++) {
            spx_dconv d = {g, j->rows, j->row_ptr, j->col_idx, j->off, j->vr, j->vi, j->br, j->bi,
                           j->xr + n * in_size, cplx ? j->xi + n * in_size : NULL,
                           j->yr + n * j->rows * P, cplx ? j->yi + n * j->rows * P : NULL};
            spx_directs[j->tier](&d);
        }
        return;
    }
    const size_t count = (size_t)(cplx ? 2 : 1) * (size_t)j->ntaps * (size_t)P;
    float *col = count ? wt_sparse_scratch(count * sizeof(float)) : NULL;
    if (count && !col) { atomic_store(&j->failed, 1); return; }
    float *coli = cplx ? col + j->ntaps * P : NULL;
    for (ptrdiff_t n = begin; n < end; n++) {
        spx_taps[j->tier](g, j->xr + n * in_size, j->taps, j->ntaps, col);
        if (cplx) spx_taps[j->tier](g, j->xi + n * in_size, j->taps, j->ntaps, coli);
        spx_mm m = {j->row_ptr, j->col_idx, j->vr, j->vi, j->br, j->bi, col, coli, P,
                    j->yr + n * j->rows * P, cplx ? j->yi + n * j->rows * P : NULL, P, P};
        spx_rows[j->tier](&m, 0, j->rows);
    }
}

/// Whether a sample can be computed straight from its input: no padding, stride and dilation 1
/// along the last axis, and output lines a multiple of 8 positions (LeNet-5's 24 and 8).
static int spx_direct_applies(const wt_conv_shape *g) {
    return g->p[0] == 0 && g->p[1] == 0 && g->p[2] == 0 && g->s[2] == 1 && g->d[2] == 1 && g->out[2] % 8 == 0;
}

static int spx_conv_run(spx_conv *j, ptrdiff_t samples) {
    if (samples <= 0 || j->rows <= 0) return 0;
    j->tier = (int)wt_active_isa();
    atomic_store(&j->failed, 0);
    const wt_conv_shape *g = j->g;
    const ptrdiff_t P = g->out[0] * g->out[1] * g->out[2];
    ptrdiff_t *off = NULL;
    if (spx_direct_applies(g) && j->ntaps > 0) {
        off = malloc((size_t)j->ntaps * sizeof(ptrdiff_t));
        if (!off) return -1;
        const ptrdiff_t K12 = g->k[1] * g->k[2], K = g->k[0] * K12;
        for (ptrdiff_t t = 0; t < j->ntaps; t++) {
            const ptrdiff_t tap = j->taps[t], c = tap / K, kk = tap % K;
            const ptrdiff_t k0 = kk / K12, k1 = (kk / g->k[2]) % g->k[1], k2 = kk % g->k[2];
            off[t] = ((c * g->in[0] + k0 * g->d[0]) * g->in[1] + k1 * g->d[1]) * g->in[2] + k2;
        }
    }
    j->off = off;
    const ptrdiff_t per_sample = (j->row_ptr[j->rows] * (j->vi ? 4 : 1) + j->ntaps) * P + 1;
    ptrdiff_t grain = SPX_PARALLEL_MIN / per_sample;
    wt_parallel_for(samples, grain > 1 ? grain : 1, spx_conv_part, j);
    free(off);
    return atomic_load(&j->failed) ? -1 : 0;
}

int wt_scsr_conv(const wt_conv_shape *shape, ptrdiff_t samples, ptrdiff_t rows, const int32_t *row_ptr,
                 const int32_t *col_idx, const float *values, const float *bias, ptrdiff_t ntaps,
                 const int32_t *taps, const float *x, float *y) {
    spx_conv j = {.g = shape, .rows = rows, .ntaps = ntaps, .row_ptr = row_ptr, .col_idx = col_idx, .taps = taps,
                  .vr = values, .br = bias, .xr = x, .yr = y};
    return spx_conv_run(&j, samples);
}

int wt_ccsr_conv(const wt_conv_shape *shape, ptrdiff_t samples, ptrdiff_t rows, const int32_t *row_ptr,
                 const int32_t *col_idx, const float *vr, const float *vi, const float *br, const float *bi,
                 ptrdiff_t ntaps, const int32_t *taps, const float *xr, const float *xi, float *yr, float *yi) {
    spx_conv j = {.g = shape, .rows = rows, .ntaps = ntaps, .row_ptr = row_ptr, .col_idx = col_idx, .taps = taps,
                  .vr = vr, .vi = vi, .br = br, .bi = bi, .xr = xr, .xi = xi, .yr = yr, .yi = yi};
    return spx_conv_run(&j, samples);
}
