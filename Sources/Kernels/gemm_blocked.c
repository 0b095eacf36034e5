// Portable blocked GEMM building blocks (plain C, any CPU): the fallback behind wt_sgemm / wt_dgemm
// when AVX2+FMA is not available (or wt_set_isa(WT_ISA_PORTABLE) forces it). Same packing layout
// and driver as the AVX2 path; the micro-kernel keeps an MR×NR accumulator block in local arrays
// with fixed trip counts so that the compiler can hold it in vector registers of the baseline ISA
// (SSE2 on x86-64, NEON on arm64).
#include "gemm_internal.h"

// Packs `count` rows of op(X) (kc values each) into panels of W rows, p-major, zero-padded: row i
// of op(X) is x[i·ld + p] (`contiguous` = 0) or x[p·ld + i] (`contiguous` = 1). Both operands pack
// this way: op(A)'s rows (W = MR; contiguous when A is transposed) and op(B)'s columns (W = NR;
// contiguous when B is not).
#define BLOCKED_PACK(NAME, T, W)                                                                    \
static void NAME(int contiguous, ptrdiff_t count, ptrdiff_t kc, const T *x, ptrdiff_t ld, T *dst) { \
    for (ptrdiff_t i0 = 0; i0 < count; i0 += W) {                                                   \
        ptrdiff_t rows = count - i0 < W ? count - i0 : W;                                           \
        for (ptrdiff_t p = 0; p < kc; p++, dst += W) {                                              \
            ptrdiff_t r = 0;                                                                        \
            if (contiguous) { const T *src = x + p * ld + i0; for (; r < rows; r++) dst[r] = src[r]; } \
            else { const T *src = x + i0 * ld + p; for (; r < rows; r++) dst[r] = src[r * ld]; }    \
            for (; r < W; r++) dst[r] = 0;                                                          \
        }                                                                                           \
    }                                                                                               \
}

#define DEFINE_BLOCKED(P, T, MR, NR, MC, KC, NC)                                                    \
BLOCKED_PACK(P##pack_rows_blocked, T, MR)                                                           \
BLOCKED_PACK(P##pack_cols_blocked, T, NR)                                                           \
static void P##pack_a_blocked(int trans, ptrdiff_t mc, ptrdiff_t kc, const T *a, ptrdiff_t lda,     \
                              T *dst) {                                                             \
    P##pack_rows_blocked(trans, mc, kc, a, lda, dst);                                               \
}                                                                                                   \
static void P##pack_b_blocked(int trans, ptrdiff_t kc, ptrdiff_t nc, const T *b, ptrdiff_t ldb,     \
                              T *dst) {                                                             \
    P##pack_cols_blocked(!trans, nc, kc, b, ldb, dst);                                              \
}                                                                                                   \
/* acc += Ã·B̃ for one MR×NR tile; only constant indices, so acc can live in registers. */             \
static inline void P##tile_blocked(ptrdiff_t kc, const T *a, const T *b, T *out) {                  \
    T acc[MR * NR];                                                                                 \
    for (int x = 0; x < MR * NR; x++) acc[x] = 0;                                                   \
    for (ptrdiff_t p = 0; p < kc; p++, a += MR, b += NR)                                            \
        for (int i = 0; i < MR; i++)                                                                \
            for (int j = 0; j < NR; j++) acc[i * NR + j] += a[i] * b[j];                            \
    for (int x = 0; x < MR * NR; x++) out[x] = acc[x];                                              \
}                                                                                                   \
static void P##macro_blocked(ptrdiff_t mc, ptrdiff_t nc, ptrdiff_t kc, T alpha, const T *pa,        \
                             const T *pb, T beta, T *c, ptrdiff_t ldc) {                            \
    T t[MR * NR];                                                                                   \
    for (ptrdiff_t j0 = 0; j0 < nc; j0 += NR) {                                                     \
        ptrdiff_t nr = nc - j0 < NR ? nc - j0 : NR;                                                 \
        for (ptrdiff_t i0 = 0; i0 < mc; i0 += MR) {                                                 \
            ptrdiff_t mr = mc - i0 < MR ? mc - i0 : MR;                                             \
            P##tile_blocked(kc, pa + i0 * kc, pb + j0 * kc, t);                                     \
            T *cc = c + i0 * ldc + j0;                                                              \
            for (ptrdiff_t i = 0; i < mr; i++)                                                      \
                for (ptrdiff_t j = 0; j < nr; j++)                                                  \
                    cc[i * ldc + j] = beta == 0 ? alpha * t[i * NR + j]                             \
                                                : alpha * t[i * NR + j] + beta * cc[i * ldc + j];   \
        }                                                                                           \
    }                                                                                               \
}                                                                                                   \
const wt_##P##gemm_impl wt_##P##gemm_impl_blocked = {                                               \
    .mr = MR, .nr = NR, .row_step = MR, .col_step = NR, .mc = MC, .kc = KC, .nc = NC,                \
    .pack_a = P##pack_a_blocked, .pack_b = P##pack_b_blocked, .macro = P##macro_blocked,            \
};

DEFINE_BLOCKED(s, float, 4, 8, 128, 256, 4096)
DEFINE_BLOCKED(d, double, 4, 4, 64, 256, 4096)
