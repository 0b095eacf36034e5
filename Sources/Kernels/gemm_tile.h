// The register-blocked GEMM macro-kernel, written once over a vector-extension type and the
// micro-tile shape, instantiated per tier by the including file:
//
//   #define GT_T       element type (float or double)
//   #define GT_W       lanes per vector (GT_T elements)   GT_MR rows of a micro-tile
//   #define GT_NV      vectors per micro-tile row (NR = GT_W · GT_NV)
//   #define GT_NAME(x) the name of the instantiation of x  GT_ATTR function attributes of the tier
//   #include "gemm_tile.h"
//
// defines GT_NAME(macro) with the wt_?macro_fn contract, and undefines the parameters but GT_ATTR.
// The micro-kernel keeps MR·NV accumulator vectors; each step p loads NV vectors of B̃ and, per
// row i, multiplies the broadcast Ã[i][p] into them with one fused multiply-add per vector:
// acc[i][v] = fma(Ã[i][p], B̃[p][v], acc[i][v]).
// Every element of C is therefore Σₚ in order p = 0, 1, …, kc−1 with one rounding per step, the same
// sum in every tier that instantiates this file (the tiers differ only in how many lanes run at once).
#include <stddef.h>

#define GT_CAT_(a, b) a##b
#define GT_CAT(a, b) GT_CAT_(a, b)
#define GT_NR (GT_W * GT_NV)
typedef GT_T GT_NAME(vec) __attribute__((vector_size(GT_W * sizeof(GT_T)), aligned(GT_W * sizeof(GT_T))));
typedef GT_T GT_NAME(uvec) __attribute__((vector_size(GT_W * sizeof(GT_T)), aligned(sizeof(GT_T))));

/// C[0..<mr][0..<nr] = alpha · Ã·B̃ + beta · C for one micro-tile (beta = 0: C not read), computing
/// the first R rows of the packed micro-panel (R a constant: GT_MR, or fewer for a short last
/// panel, mr ≤ R) and the first NV of its GT_NV column vectors (nr ≤ NV·GT_W). Rows and columns are
/// independent, so R and NV change the work, never a value.
GT_ATTR __attribute__((always_inline)) static inline void
GT_NAME(tile)(ptrdiff_t kc, const GT_T *restrict a, const GT_T *restrict b, GT_T alpha, GT_T beta,
              GT_T *restrict c, ptrdiff_t ldc, ptrdiff_t mr, ptrdiff_t nr, const int R, const int NV) {
    typedef GT_NAME(vec) V;
    typedef GT_NAME(uvec) U;
    V acc[GT_MR][GT_NV];
#pragma clang loop unroll(full)
    for (int i = 0; i < R; i++)
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) acc[i][v] = (V){0};
    // Every cache line of the tile's rows of C (a row of NR values spans two 64-byte lines at
    // AVX-512), so that the final read-modify-write of C does not wait on memory.
    for (ptrdiff_t i = 0; i < mr; i++) {
        __builtin_prefetch(c + i * ldc, 1, 3);
        __builtin_prefetch(c + i * ldc + nr - 1, 1, 3);
    }
#pragma clang loop unroll_count(4)
    for (ptrdiff_t p = 0; p < kc; p++) {
        V bv[GT_NV];
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) bv[v] = *(const V *)(b + p * GT_NR + v * GT_W);
#pragma clang loop unroll(full)
        for (int i = 0; i < R; i++) {
            V av = a[p * GT_MR + i] - (V){0};  // splat (x − (+0) = x, also for −0)
#pragma clang loop unroll(full)
            for (int v = 0; v < NV; v++) acc[i][v] = __builtin_elementwise_fma(av, bv[v], acc[i][v]);
        }
    }
    V va = alpha - (V){0};
    if (mr == R && nr == NV * GT_W) {
        if (beta == 0) {
#pragma clang loop unroll(full)
            for (int i = 0; i < R; i++)
#pragma clang loop unroll(full)
                for (int v = 0; v < NV; v++) *(U *)(c + i * ldc + v * GT_W) = va * acc[i][v];
        } else {
            V vb = beta - (V){0};
#pragma clang loop unroll(full)
            for (int i = 0; i < R; i++)
#pragma clang loop unroll(full)
                for (int v = 0; v < NV; v++) {
                    U *cv = (U *)(c + i * ldc + v * GT_W);
                    *cv = __builtin_elementwise_fma(va, acc[i][v], vb * *cv);
                }
        }
        return;
    }
    // A partial tile: the same formula per element as above (alpha·acc, or fma(alpha, acc, beta·C)),
    // so an element's bits never depend on whether its tile was full.
    GT_T t[GT_MR * GT_NR] __attribute__((aligned(64)));
#pragma clang loop unroll(full)
    for (int i = 0; i < R; i++)
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) *(V *)(t + i * GT_NR + v * GT_W) = acc[i][v];
    for (ptrdiff_t i = 0; i < mr; i++)
        for (ptrdiff_t j = 0; j < nr; j++) {
            GT_T *cij = c + i * ldc + j;
            *cij = beta == 0 ? alpha * t[i * GT_NR + j] : __builtin_fma(alpha, t[i * GT_NR + j], beta * *cij);
        }
}

GT_ATTR static void GT_NAME(macro)(ptrdiff_t mc, ptrdiff_t nc, ptrdiff_t kc, GT_T alpha, const GT_T *pa,
                                   const GT_T *pb, GT_T beta, GT_T *c, ptrdiff_t ldc) {
    for (ptrdiff_t j = 0; j < nc; j += GT_NR) {
        ptrdiff_t nr = nc - j < GT_NR ? nc - j : GT_NR;
        for (ptrdiff_t i = 0; i < mc; i += GT_MR) {
            ptrdiff_t mr = mc - i < GT_MR ? mc - i : GT_MR;
            const GT_T *ap = pa + i * kc, *bp = pb + j * kc;
            GT_T *cp = c + i * ldc + j;
            if (GT_NV > 1 && nr <= GT_W) {  // a short last column panel: one vector of columns
                if (mr > 2 * GT_MR / 3 || GT_MR < 3) GT_NAME(tile)(kc, ap, bp, alpha, beta, cp, ldc, mr, nr, GT_MR, 1);
                else if (mr > GT_MR / 3) GT_NAME(tile)(kc, ap, bp, alpha, beta, cp, ldc, mr, nr, 2 * GT_MR / 3, 1);
                else GT_NAME(tile)(kc, ap, bp, alpha, beta, cp, ldc, mr, nr, GT_MR / 3, 1);
            } else {
                if (mr > 2 * GT_MR / 3 || GT_MR < 3) GT_NAME(tile)(kc, ap, bp, alpha, beta, cp, ldc, mr, nr, GT_MR, GT_NV);
                else if (mr > GT_MR / 3) GT_NAME(tile)(kc, ap, bp, alpha, beta, cp, ldc, mr, nr, 2 * GT_MR / 3, GT_NV);
                else GT_NAME(tile)(kc, ap, bp, alpha, beta, cp, ldc, mr, nr, GT_MR / 3, GT_NV);
            }
        }
    }
}

#undef GT_NR
// The instantiation's parameters (GT_ATTR stays for the tier's next one).
#undef GT_T
#undef GT_W
#undef GT_MR
#undef GT_NV
#undef GT_NAME
