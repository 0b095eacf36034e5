// Packing of GEMM operands into micro-panels (layout in gemm_internal.h), written once over the
// micro-tile shape and instantiated per tier by the including file:
//
//   #define GP_T      element type (float or double)
//   #define GP_MR     rows of a micro-tile (any)          GP_NR  columns (a multiple of GP_G)
//   #define GP_NAME(x) the name of the instantiation of x  GP_ATTR function attributes of the tier
//   #include "gemm_pack.h"
//
// defines GP_NAME(pack_a) and GP_NAME(pack_b), and undefines the parameters but GP_ATTR.
// Contiguous cases copy MR / NR values per step with fixed-size copies; strided cases (op(A) = A
// row-major, op(B) = Bᵀ) go through G×G register transposes (G = 8 floats or 4 doubles in 256-bit
// vectors, which every x86 tier above portable has: transpose_avx2.h, whose AVX2 helpers the
// AVX-512 instantiation uses too, having no wider transposes of its own).
// Packing only moves values, so every instantiation produces the same bits.
#include "transpose_avx2.h"
#include <immintrin.h>
#include <string.h>

#ifndef WT_GEMM_PACK_TRANSPOSES
#define WT_GEMM_PACK_TRANSPOSES
#define WT_PACK_INLINE WT_TARGET_AVX2 __attribute__((always_inline)) static inline

WT_PACK_INLINE __m256 wt_loadg_float(const float *p) { return _mm256_loadu_ps(p); }
WT_PACK_INLINE __m256d wt_loadg_double(const double *p) { return _mm256_loadu_pd(p); }
WT_PACK_INLINE __m256 wt_zerog_float(void) { return _mm256_setzero_ps(); }
WT_PACK_INLINE __m256d wt_zerog_double(void) { return _mm256_setzero_pd(); }
WT_PACK_INLINE void wt_storeg_float(float *p, __m256 v) { _mm256_storeu_ps(p, v); }
WT_PACK_INLINE void wt_storeg_double(double *p, __m256d v) { _mm256_storeu_pd(p, v); }
#endif

#define GP_CAT_(a, b) a##b
#define GP_CAT(a, b) GP_CAT_(a, b)
#define GP_G (32 / (int)sizeof(GP_T))
#define GP_VEC GP_CAT(GP_VEC_, GP_T)
#define GP_VEC_float __m256
#define GP_VEC_double __m256d
#define GP_TRANSPOSE GP_CAT(wt_transpose_g_, GP_T)
#define GP_LOAD GP_CAT(wt_loadg_, GP_T)
#define GP_ZERO GP_CAT(wt_zerog_, GP_T)
#define GP_STORE GP_CAT(wt_storeg_, GP_T)

// One panel whose `count` (≤ W) values for each p < kc are contiguous at src + p·ld: W values per
// p, zero-padded (a whole panel with one fixed-size copy per p). Returns dst past the panel.
GP_ATTR __attribute__((always_inline)) static inline GP_T *GP_NAME(pack_contiguous)(const GP_T *src, ptrdiff_t ld,
                                                                                   ptrdiff_t kc, ptrdiff_t count,
                                                                                   const ptrdiff_t W, GP_T *dst) {
    if (count == W) {
        for (ptrdiff_t p = 0; p < kc; p++, src += ld, dst += W) memcpy(dst, src, W * sizeof(GP_T));
    } else {
        for (ptrdiff_t p = 0; p < kc; p++, src += ld, dst += W) {
            ptrdiff_t r = 0;
            for (; r < count; r++) dst[r] = src[r];
            for (; r < W; r++) dst[r] = 0;
        }
    }
    return dst;
}

GP_ATTR static void GP_NAME(pack_a)(int trans, ptrdiff_t mc, ptrdiff_t kc, const GP_T *a, ptrdiff_t lda, GP_T *dst) {
    for (ptrdiff_t i0 = 0; i0 < mc; i0 += GP_MR) {
        ptrdiff_t rows = mc - i0 < GP_MR ? mc - i0 : GP_MR;
        if (trans) {  // op(A)[i][p] = a[p·lda + i]: the MR values for one p are contiguous
            dst = GP_NAME(pack_contiguous)(a + i0, lda, kc, rows, GP_MR, dst);
            continue;
        }
        // op(A)[i][p] = a[i·lda + p]: one value from each of MR rows per p (rows past `rows`, in a
        // short last panel, are zeros: they go through the transposes as zero vectors)
        const GP_T *s[GP_MR];
        for (ptrdiff_t r = 0; r < GP_MR; r++) s[r] = a + (i0 + (r < rows ? r : 0)) * lda;
        ptrdiff_t p = 0;
        for (; p + GP_G <= kc; p += GP_G, dst += GP_G * GP_MR) {
            for (int r0 = 0; r0 < GP_MR; r0 += GP_G) {
                GP_VEC v[GP_G];
                for (int q = 0; q < GP_G; q++) v[q] = r0 + q < rows ? GP_LOAD(s[r0 + q] + p) : GP_ZERO();
                GP_TRANSPOSE(v);  // v[q] = the rows r0.. at column p + q
                if (r0 + GP_G <= GP_MR) {
                    for (int q = 0; q < GP_G; q++) GP_STORE(dst + q * GP_MR + r0, v[q]);
                } else {
                    GP_T t[GP_G] __attribute__((aligned(32)));
                    for (int q = 0; q < GP_G; q++) {
                        GP_STORE(t, v[q]);
                        memcpy(dst + q * GP_MR + r0, t, (GP_MR % GP_G) * sizeof(GP_T));
                    }
                }
            }
        }
        for (; p < kc; p++, dst += GP_MR)
            for (int r = 0; r < GP_MR; r++) dst[r] = r < rows ? s[r][p] : 0;
    }
}

GP_ATTR static void GP_NAME(pack_b)(int trans, ptrdiff_t kc, ptrdiff_t nc, const GP_T *b, ptrdiff_t ldb, GP_T *dst) {
    for (ptrdiff_t j0 = 0; j0 < nc; j0 += GP_NR) {
        ptrdiff_t cols = nc - j0 < GP_NR ? nc - j0 : GP_NR;
        if (!trans) {  // op(B)[p][j] = b[p·ldb + j]: NR contiguous values per p
            dst = GP_NAME(pack_contiguous)(b + j0, ldb, kc, cols, GP_NR, dst);
            continue;
        }
        // op(B)[p][j] = b[j·ldb + p]: transpose G×G blocks of B's rows (columns past `cols`, in a
        // short last panel, are zeros: zero vectors into the transposes, or whole zero groups)
        const GP_T *src = b + j0 * ldb;
        ptrdiff_t p = 0;
        for (; p + GP_G <= kc; p += GP_G) {
            for (int h = 0; h < GP_NR / GP_G; h++) {
                GP_VEC v[GP_G];
                if (h * GP_G >= cols) {
                    for (int q = 0; q < GP_G; q++) GP_STORE(dst + (p + q) * GP_NR + h * GP_G, GP_ZERO());
                    continue;
                }
                for (int q = 0; q < GP_G; q++)
                    v[q] = h * GP_G + q < cols ? GP_LOAD(src + (h * GP_G + q) * ldb + p) : GP_ZERO();
                GP_TRANSPOSE(v);
                for (int q = 0; q < GP_G; q++) GP_STORE(dst + (p + q) * GP_NR + h * GP_G, v[q]);
            }
        }
        for (; p < kc; p++)
            for (int j = 0; j < GP_NR; j++) dst[p * GP_NR + j] = j < cols ? src[j * ldb + p] : 0;
        dst += kc * GP_NR;
    }
}

#undef GP_G
#undef GP_VEC
#undef GP_TRANSPOSE
#undef GP_LOAD
#undef GP_ZERO
#undef GP_STORE
// The instantiation's parameters (GP_ATTR stays for the tier's next one).
#undef GP_T
#undef GP_MR
#undef GP_NR
#undef GP_NAME
