// The vector pieces of the real sparse product's tile path (batch ≥ 4; sparse.c, which includes
// this header once, after wt_sp_job). One body over the vector width W, a GCC/Clang
// vector-extension type of W floats, instantiated per tier with the tier's target attribute
// (tiers.h): W = 8 at the AVX2 tier, W = 16 at the AVX-512 tier.
//
//  * Transposes (the x tile in, each group of output rows back out) go through W×W blocks in
//    registers: row q of a group of four and rows q + 4, q + 8, … of the block are loaded into the
//    128-bit lanes of one vector (the loads do the cross-lane part), then two in-lane shuffle
//    stages finish the block (W/2 · 4 shuffles per W² floats: 2 per 8 floats at W = 8, the same
//    per 16 floats at W = 16).
//  * Row sums: bias, then one broadcast and 64/W fused multiply-adds per nonzero in storage order
//    (the row's 64 examples in 64/W accumulators); at W = 16 two rows at a time (eight chains of
//    multiply-adds, so consecutive nonzeros do not wait on the latency), at W = 8 one row (the 8
//    accumulators of a second row would not fit the 16 AVX2 registers).
#ifndef WIRTINGER_KERNELS_SPARSE_TILE_H
#define WIRTINGER_KERNELS_SPARSE_TILE_H

#if WT_X86

#if defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_fma)
#define SP_FMA(a, b, c) __builtin_elementwise_fma(a, b, c)
#endif
#endif
#ifndef SP_FMA
#define SP_FMA(a, b, c) ((a) * (b) + (c))  // contracted to one fused multiply-add (-ffp-contract=on)
#endif

typedef float sp_f4 __attribute__((vector_size(16)));
typedef float sp_f8 __attribute__((vector_size(32)));
typedef float sp_f16 __attribute__((vector_size(64)));
typedef int32_t sp_i8 __attribute__((vector_size(32)));
typedef int32_t sp_i16 __attribute__((vector_size(64)));

// The shuffle constants of the two in-lane stages per width: unpacklo/unpackhi of 32-bit lanes and
// the 64-bit low/high halves of two vectors, within every 128-bit lane.
#define SP_LO_8 0, 8, 1, 9, 4, 12, 5, 13
#define SP_HI_8 2, 10, 3, 11, 6, 14, 7, 15
#define SP_LH_8 0, 1, 8, 9, 4, 5, 12, 13
#define SP_HL_8 2, 3, 10, 11, 6, 7, 14, 15
#define SP_LO_16 0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12, 28, 13, 29
#define SP_HI_16 2, 18, 3, 19, 6, 22, 7, 23, 10, 26, 11, 27, 14, 30, 15, 31
#define SP_LH_16 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29
#define SP_HL_16 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
/// One vector from its W/4 128-bit pieces p[0], p[1], … (lane l = p[l]).
#define SP_JOIN_8(p) __builtin_shufflevector(p[0], p[1], 0, 1, 2, 3, 4, 5, 6, 7)
#define SP_JOIN_16(p)                                                                               \
    __builtin_shufflevector(__builtin_shufflevector(p[0], p[1], 0, 1, 2, 3, 4, 5, 6, 7),             \
                            __builtin_shufflevector(p[2], p[3], 0, 1, 2, 3, 4, 5, 6, 7),             \
                            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

/// The tile pieces of one tier: sp_transpose_tile_SUF, sp_tile_rows_t_SUF and
/// sp_transpose_back_SUF (the contracts of wt_sp_tier's fields), over V (W floats) and VI (W int32);
/// PAIR 1: two rows summed together, their nonzeros interleaved up to the shorter row's count.
#define SP_TILE_DEFINE(SUF, W, V, VI, PAIR, ATTR)                                                   \
    /* dst[c·ldd + e] = src[e·lds + c] for e, c < W. */                                             \
    ATTR __attribute__((always_inline)) static inline void sp_block_##SUF(const float *src, ptrdiff_t lds, \
                                                                         float *dst, ptrdiff_t ldd) { \
        for (int h = 0; h < W / 4; h++) {                                                           \
            /* g[q] lane l: row q + 4l at columns 4h ..< 4h + 4. */                                 \
            V g[4];                                                                                 \
            for (int q = 0; q < 4; q++) {                                                           \
                sp_f4 p[W / 4];                                                                     \
                for (int l = 0; l < W / 4; l++) memcpy(&p[l], src + (q + 4 * l) * lds + 4 * h, sizeof p[l]); \
                g[q] = SP_JOIN_##W(p);                                                              \
            }                                                                                       \
            V t0 = __builtin_shufflevector(g[0], g[1], SP_LO_##W);                                  \
            V t1 = __builtin_shufflevector(g[0], g[1], SP_HI_##W);                                  \
            V t2 = __builtin_shufflevector(g[2], g[3], SP_LO_##W);                                  \
            V t3 = __builtin_shufflevector(g[2], g[3], SP_HI_##W);                                  \
            V o0 = __builtin_shufflevector(t0, t2, SP_LH_##W), o1 = __builtin_shufflevector(t0, t2, SP_HL_##W); \
            V o2 = __builtin_shufflevector(t1, t3, SP_LH_##W), o3 = __builtin_shufflevector(t1, t3, SP_HL_##W); \
            memcpy(dst + (4 * h + 0) * ldd, &o0, sizeof o0);                                        \
            memcpy(dst + (4 * h + 1) * ldd, &o1, sizeof o1);                                        \
            memcpy(dst + (4 * h + 2) * ldd, &o2, sizeof o2);                                        \
            memcpy(dst + (4 * h + 3) * ldd, &o3, sizeof o3);                                        \
        }                                                                                           \
    }                                                                                               \
                                                                                                    \
    /* xt[c·64 + i] = x[i·ldx + c] (zero for nb ≤ i < 64) in W×W blocks. */                         \
    ATTR __attribute__((aligned(64))) static void sp_transpose_tile_##SUF(const float *x, ptrdiff_t ldx, ptrdiff_t nb, \
                                                                         ptrdiff_t cols, float *xt) { \
        const ptrdiff_t cw = cols - cols % W, nw = nb - nb % W;                                     \
        if (W * sizeof(float) >= 64) /* a block's rows are whole cache lines of xt: examples outermost */ \
            for (ptrdiff_t i = 0; i < nw; i += W)                                                   \
                for (ptrdiff_t c = 0; c < cw; c += W) sp_block_##SUF(x + i * ldx + c, ldx, xt + c * WT_SP_TILE + i, WT_SP_TILE); \
        else /* half lines: W columns over all examples, finishing W rows of xt while in L1 */      \
            for (ptrdiff_t c = 0; c < cw; c += W)                                                   \
                for (ptrdiff_t i = 0; i < nw; i += W) sp_block_##SUF(x + i * ldx + c, ldx, xt + c * WT_SP_TILE + i, WT_SP_TILE); \
        for (ptrdiff_t c = cw; c < cols; c++)                                                       \
            for (ptrdiff_t i = 0; i < nw; i++) xt[c * WT_SP_TILE + i] = x[i * ldx + c];             \
        for (ptrdiff_t c = 0; c < cols; c++) { /* the last nb % W examples and the zero padding */  \
            float *dst = xt + c * WT_SP_TILE;                                                       \
            for (ptrdiff_t i = nw; i < nb; i++) dst[i] = x[i * ldx + c];                            \
            for (ptrdiff_t i = nb; i < WT_SP_TILE; i++) dst[i] = 0.0f;                              \
        }                                                                                           \
    }                                                                                               \
                                                                                                    \
    /* y[i·ldy + r] = ot[(r − r0)·64 + i] for i < nb, r0 ≤ r < r1, in W×W blocks. */                \
    ATTR __attribute__((aligned(64))) static void sp_transpose_back_##SUF(const float *ot, ptrdiff_t r0, ptrdiff_t r1, \
                                                                         ptrdiff_t nb, float *y, ptrdiff_t ldy) { \
        const ptrdiff_t nw = nb - nb % W, rw = r1 - (r1 - r0) % W;                                  \
        for (ptrdiff_t r = r0; r < rw; r += W)                                                      \
            for (ptrdiff_t i = 0; i < nw; i += W)                                                   \
                sp_block_##SUF(ot + (r - r0) * WT_SP_TILE + i, WT_SP_TILE, y + i * ldy + r, ldy);   \
        for (ptrdiff_t r = rw; r < r1; r++)                                                         \
            for (ptrdiff_t i = 0; i < nw; i++) y[i * ldy + r] = ot[(r - r0) * WT_SP_TILE + i];      \
        for (ptrdiff_t i = nw; i < nb; i++)                                                         \
            for (ptrdiff_t r = r0; r < r1; r++) y[i * ldy + r] = ot[(r - r0) * WT_SP_TILE + i];     \
    }                                                                                               \
                                                                                                    \
    ATTR __attribute__((always_inline)) static inline V sp_splat_##SUF(float s) {                   \
        V v;                                                                                        \
        for (int l = 0; l < W; l++) v[l] = s;                                                       \
        return v;                                                                                   \
    }                                                                                               \
                                                                                                    \
    /* a[q] += w · xc[qW ..< qW + W] for the 64/W accumulators of one row. */                       \
    ATTR __attribute__((always_inline)) static inline void sp_fma_##SUF(V *a, V w, const float *xc) { \
        for (int q = 0; q < WT_SP_TILE / W; q++) {                                                  \
            V xv;                                                                                   \
            memcpy(&xv, xc + q * W, sizeof xv);                                                     \
            a[q] = SP_FMA(w, xv, a[q]);                                                             \
        }                                                                                           \
    }                                                                                               \
                                                                                                    \
    /* With relu, keep each accumulator where it is > 0 or NaN, else +0 (Ops.relu's rule), then     \
       store the row at out. */                                                                     \
    ATTR __attribute__((always_inline)) static inline void sp_store_##SUF(const wt_sp_job *j, V *a, float *out) { \
        for (int q = 0; q < WT_SP_TILE / W; q++) {                                                  \
            if (j->relu) {                                                                          \
                VI keep = (a[q] > 0.0f) | (a[q] != a[q]);                                           \
                a[q] = (V)((VI)a[q] & keep);                                                        \
            }                                                                                       \
            memcpy(out + q * W, &a[q], sizeof a[q]);                                                \
        }                                                                                           \
    }                                                                                               \
                                                                                                    \
    /* Rows r0 ..< r1 of a tile: out[(r − r0)·64 + i] = bias[r] + Σ_k values[k] · xt[col_k·64 + i], \
       the nonzeros in storage order (then ReLU). */                                                \
    ATTR __attribute__((aligned(64))) static void sp_tile_rows_t_##SUF(const wt_sp_job *j, const float *xt, ptrdiff_t r0, \
                                                                      ptrdiff_t r1, float *out) {   \
        const int32_t *ci = j->col_idx;                                                             \
        const float *v = j->values;                                                                 \
        ptrdiff_t r = r0;                                                                           \
        for (; PAIR && r + 2 <= r1; r += 2) {                                                       \
            V a[WT_SP_TILE / W], b[WT_SP_TILE / W];                                                 \
            const V ba = sp_splat_##SUF(j->bias ? j->bias[r] : 0.0f);                               \
            const V bb = sp_splat_##SUF(j->bias ? j->bias[r + 1] : 0.0f);                           \
            for (int q = 0; q < WT_SP_TILE / W; q++) { a[q] = ba; b[q] = bb; }                      \
            int32_t k = j->row_ptr[r], ke = j->row_ptr[r + 1], m = ke, me = j->row_ptr[r + 2];      \
            for (; k < ke && m < me; k++, m++) {                                                    \
                sp_fma_##SUF(a, sp_splat_##SUF(v[k]), xt + (ptrdiff_t)ci[k] * WT_SP_TILE);          \
                sp_fma_##SUF(b, sp_splat_##SUF(v[m]), xt + (ptrdiff_t)ci[m] * WT_SP_TILE);          \
            }                                                                                       \
            for (; k < ke; k++) sp_fma_##SUF(a, sp_splat_##SUF(v[k]), xt + (ptrdiff_t)ci[k] * WT_SP_TILE); \
            for (; m < me; m++) sp_fma_##SUF(b, sp_splat_##SUF(v[m]), xt + (ptrdiff_t)ci[m] * WT_SP_TILE); \
            sp_store_##SUF(j, a, out + (r - r0) * WT_SP_TILE);                                      \
            sp_store_##SUF(j, b, out + (r + 1 - r0) * WT_SP_TILE);                                  \
        }                                                                                           \
        for (; r < r1; r++) {                                                                       \
            V a[WT_SP_TILE / W];                                                                    \
            const V ba = sp_splat_##SUF(j->bias ? j->bias[r] : 0.0f);                               \
            for (int q = 0; q < WT_SP_TILE / W; q++) a[q] = ba;                                     \
            for (int32_t k = j->row_ptr[r], ke = j->row_ptr[r + 1]; k < ke; k++)                    \
                sp_fma_##SUF(a, sp_splat_##SUF(v[k]), xt + (ptrdiff_t)ci[k] * WT_SP_TILE);          \
            sp_store_##SUF(j, a, out + (r - r0) * WT_SP_TILE);                                      \
        }                                                                                           \
    }

SP_TILE_DEFINE(avx2, 8, sp_f8, sp_i8, 0, WT_TARGET_AVX2)
SP_TILE_DEFINE(avx512, 16, sp_f16, sp_i16, 1, WT_TARGET_AVX512)

#endif
#endif
