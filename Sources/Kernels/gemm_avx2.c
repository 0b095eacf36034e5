// AVX2/FMA GEMM building blocks: packing routines and register-blocked macro-kernels.
// Micro-tiles: 6×16 floats and 6×8 doubles (12 ymm accumulators, 2 B vectors, 1 broadcast).
// Every function here is compiled for avx2,fma as a whole; they are reached only through
// wt_sgemm_impl_avx2 / wt_dgemm_impl_avx2, which gemm.c selects when wt_active_isa() reports AVX2+FMA.
#include "gemm_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <string.h>

#define WT_AVX2 __attribute__((target("avx2,fma")))
#define WT_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

// ---------------------------------------------------------------------------------------------
// float

enum { SMR = 6, SNR = 16 };
// Cache blocks (elements): an MC×KC block of A in L2, a KC×NR micro-panel of B in L1 (25 KiB
// float, 16 KiB double). Measured on Zen 4: float KC 400 beats 256 by ~10% at k = 784; double
// MC 64 / KC 256 beat 72 / 320 by 10–25% at 1 thread (1024³: 42 against 48–57 ms) and split the
// 128 rows of the MLP shapes evenly at 2 threads (MC 96 left a 32-row block: 1.08 against 0.82 ms
// for 128×400×784; `wirtinger bench --filter dgemm`).
#ifndef WT_AVX2_SMC
#define WT_AVX2_SMC 144
#endif
#ifndef WT_AVX2_SKC
#define WT_AVX2_SKC 400
#endif
#ifndef WT_AVX2_SNC
#define WT_AVX2_SNC 4080
#endif

/// 8×8 transpose of rows r[0..7] (in place).
WT_AVX2_INLINE void transpose8_ps(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20); r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20); r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31); r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31); r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

WT_AVX2 static void spack_a_avx2(int trans, ptrdiff_t mc, ptrdiff_t kc, const float *a, ptrdiff_t lda, float *dst) {
    for (ptrdiff_t i0 = 0; i0 < mc; i0 += SMR) {
        ptrdiff_t rows = mc - i0 < SMR ? mc - i0 : SMR;
        if (trans) {  // op(A)[i][p] = a[p·lda + i]: the MR values for one p are contiguous
            const float *src = a + i0;
            if (rows == SMR) {
                for (ptrdiff_t p = 0; p < kc; p++, src += lda, dst += SMR) {
                    _mm_storeu_ps(dst, _mm_loadu_ps(src));
                    dst[4] = src[4]; dst[5] = src[5];
                }
            } else {
                for (ptrdiff_t p = 0; p < kc; p++, src += lda, dst += SMR) {
                    ptrdiff_t r = 0;
                    for (; r < rows; r++) dst[r] = src[r];
                    for (; r < SMR; r++) dst[r] = 0;
                }
            }
        } else {      // op(A)[i][p] = a[i·lda + p]: gather one value from each of MR rows
            const float *s[SMR];
            for (ptrdiff_t r = 0; r < SMR; r++) s[r] = a + (i0 + (r < rows ? r : 0)) * lda;
            if (rows == SMR) {
                ptrdiff_t p = 0;
                for (; p + 8 <= kc; p += 8, dst += 8 * SMR) {
                    __m256 r[8];
                    for (int q = 0; q < SMR; q++) r[q] = _mm256_loadu_ps(s[q] + p);
                    r[6] = r[7] = _mm256_setzero_ps();
                    transpose8_ps(r);
                    // column q of the 6 rows is r[q][0..5]; write 6 floats per p
                    float tmp[8 * 8] __attribute__((aligned(32)));
                    for (int q = 0; q < 8; q++) _mm256_store_ps(tmp + 8 * q, r[q]);
                    for (int q = 0; q < 8; q++) {
                        _mm_storeu_ps(dst + q * SMR, _mm_load_ps(tmp + 8 * q));
                        dst[q * SMR + 4] = tmp[8 * q + 4]; dst[q * SMR + 5] = tmp[8 * q + 5];
                    }
                }
                for (; p < kc; p++, dst += SMR)
                    for (int r = 0; r < SMR; r++) dst[r] = s[r][p];
            } else {
                for (ptrdiff_t p = 0; p < kc; p++, dst += SMR) {
                    ptrdiff_t r = 0;
                    for (; r < rows; r++) dst[r] = s[r][p];
                    for (; r < SMR; r++) dst[r] = 0;
                }
            }
        }
    }
}

WT_AVX2 static void spack_b_avx2(int trans, ptrdiff_t kc, ptrdiff_t nc, const float *b, ptrdiff_t ldb, float *dst) {
    for (ptrdiff_t j0 = 0; j0 < nc; j0 += SNR) {
        ptrdiff_t cols = nc - j0 < SNR ? nc - j0 : SNR;
        if (!trans) {  // op(B)[p][j] = b[p·ldb + j]: NR contiguous values per p
            const float *src = b + j0;
            if (cols == SNR) {
                for (ptrdiff_t p = 0; p < kc; p++, src += ldb, dst += SNR) {
                    _mm256_store_ps(dst, _mm256_loadu_ps(src));
                    _mm256_store_ps(dst + 8, _mm256_loadu_ps(src + 8));
                }
            } else {
                for (ptrdiff_t p = 0; p < kc; p++, src += ldb, dst += SNR) {
                    ptrdiff_t j = 0;
                    for (; j < cols; j++) dst[j] = src[j];
                    for (; j < SNR; j++) dst[j] = 0;
                }
            }
        } else {       // op(B)[p][j] = b[j·ldb + p]: transpose 8×8 blocks of B's rows
            const float *src = b + j0 * ldb;
            if (cols == SNR) {
                ptrdiff_t p = 0;
                for (; p + 8 <= kc; p += 8) {
                    for (int h = 0; h < 2; h++) {
                        __m256 r[8];
                        for (int q = 0; q < 8; q++) r[q] = _mm256_loadu_ps(src + (h * 8 + q) * ldb + p);
                        transpose8_ps(r);
                        for (int q = 0; q < 8; q++) _mm256_store_ps(dst + (p + q) * SNR + h * 8, r[q]);
                    }
                }
                for (; p < kc; p++)
                    for (int j = 0; j < SNR; j++) dst[p * SNR + j] = src[j * ldb + p];
            } else {
                for (ptrdiff_t p = 0; p < kc; p++) {
                    ptrdiff_t j = 0;
                    for (; j < cols; j++) dst[p * SNR + j] = src[j * ldb + p];
                    for (; j < SNR; j++) dst[p * SNR + j] = 0;
                }
            }
            dst += kc * SNR;
        }
    }
}

/// One 6×16 tile: C[0..<mr][0..<nr] = alpha · Ã·B̃ + beta · C (beta = 0: C not read).
WT_AVX2_INLINE void stile_avx2(ptrdiff_t kc, const float *a, const float *b, float alpha, float beta,
                               float *c, ptrdiff_t ldc, ptrdiff_t mr, ptrdiff_t nr) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (ptrdiff_t i = 0; i < mr; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
#define WT_SSTEP(P)                                                                         \
    {                                                                                       \
        __m256 b0 = _mm256_load_ps(b + 16 * (P)), b1 = _mm256_load_ps(b + 16 * (P) + 8);    \
        __m256 av;                                                                          \
        av = _mm256_broadcast_ss(a + 6 * (P) + 0);                                          \
        c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);             \
        av = _mm256_broadcast_ss(a + 6 * (P) + 1);                                          \
        c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);             \
        av = _mm256_broadcast_ss(a + 6 * (P) + 2);                                          \
        c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);             \
        av = _mm256_broadcast_ss(a + 6 * (P) + 3);                                          \
        c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);             \
        av = _mm256_broadcast_ss(a + 6 * (P) + 4);                                          \
        c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);             \
        av = _mm256_broadcast_ss(a + 6 * (P) + 5);                                          \
        c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);             \
    }
    ptrdiff_t p = 0;
    for (; p + 4 <= kc; p += 4) {
        _mm_prefetch((const char *)(a + 6 * 16), _MM_HINT_T0);
        WT_SSTEP(0) WT_SSTEP(1) WT_SSTEP(2) WT_SSTEP(3)
        a += 4 * 6; b += 4 * 16;
    }
    for (; p < kc; p++) { WT_SSTEP(0) a += 6; b += 16; }
#undef WT_SSTEP
    __m256 va = _mm256_set1_ps(alpha);
    if (mr == SMR && nr == SNR) {
#define WT_SROW(I)                                                                          \
    if (beta == 0) {                                                                        \
        _mm256_storeu_ps(c + (I) * ldc, _mm256_mul_ps(va, c##I##0));                         \
        _mm256_storeu_ps(c + (I) * ldc + 8, _mm256_mul_ps(va, c##I##1));                     \
    } else {                                                                                \
        __m256 vb = _mm256_set1_ps(beta);                                                   \
        _mm256_storeu_ps(c + (I) * ldc, _mm256_fmadd_ps(va, c##I##0,                         \
                         _mm256_mul_ps(vb, _mm256_loadu_ps(c + (I) * ldc))));                \
        _mm256_storeu_ps(c + (I) * ldc + 8, _mm256_fmadd_ps(va, c##I##1,                     \
                         _mm256_mul_ps(vb, _mm256_loadu_ps(c + (I) * ldc + 8))));            \
    }
        WT_SROW(0) WT_SROW(1) WT_SROW(2) WT_SROW(3) WT_SROW(4) WT_SROW(5)
#undef WT_SROW
    } else {
        float t[SMR * SNR] __attribute__((aligned(32)));
        _mm256_store_ps(t + 0, _mm256_mul_ps(va, c00));  _mm256_store_ps(t + 8, _mm256_mul_ps(va, c01));
        _mm256_store_ps(t + 16, _mm256_mul_ps(va, c10)); _mm256_store_ps(t + 24, _mm256_mul_ps(va, c11));
        _mm256_store_ps(t + 32, _mm256_mul_ps(va, c20)); _mm256_store_ps(t + 40, _mm256_mul_ps(va, c21));
        _mm256_store_ps(t + 48, _mm256_mul_ps(va, c30)); _mm256_store_ps(t + 56, _mm256_mul_ps(va, c31));
        _mm256_store_ps(t + 64, _mm256_mul_ps(va, c40)); _mm256_store_ps(t + 72, _mm256_mul_ps(va, c41));
        _mm256_store_ps(t + 80, _mm256_mul_ps(va, c50)); _mm256_store_ps(t + 88, _mm256_mul_ps(va, c51));
        for (ptrdiff_t i = 0; i < mr; i++)
            for (ptrdiff_t j = 0; j < nr; j++)
                c[i * ldc + j] = beta == 0 ? t[i * SNR + j] : t[i * SNR + j] + beta * c[i * ldc + j];
    }
}

WT_AVX2 static void smacro_avx2(ptrdiff_t mc, ptrdiff_t nc, ptrdiff_t kc, float alpha, const float *pa,
                                const float *pb, float beta, float *c, ptrdiff_t ldc) {
    for (ptrdiff_t j = 0; j < nc; j += SNR) {
        ptrdiff_t nr = nc - j < SNR ? nc - j : SNR;
        for (ptrdiff_t i = 0; i < mc; i += SMR) {
            ptrdiff_t mr = mc - i < SMR ? mc - i : SMR;
            stile_avx2(kc, pa + i * kc, pb + j * kc, alpha, beta, c + i * ldc + j, ldc, mr, nr);
        }
    }
}

const wt_sgemm_impl wt_sgemm_impl_avx2 = {
    .mr = SMR, .nr = SNR, .mc = WT_AVX2_SMC, .kc = WT_AVX2_SKC, .nc = WT_AVX2_SNC,
    .pack_a = spack_a_avx2, .pack_b = spack_b_avx2, .macro = smacro_avx2,
};

// ---------------------------------------------------------------------------------------------
// double

enum { DMR = 6, DNR = 8 };
#ifndef WT_AVX2_DMC
#define WT_AVX2_DMC 64
#endif
#ifndef WT_AVX2_DKC
#define WT_AVX2_DKC 256
#endif
#ifndef WT_AVX2_DNC
#define WT_AVX2_DNC 4080
#endif

/// 4×4 transpose of rows r[0..3] (in place).
WT_AVX2_INLINE void transpose4_pd(__m256d r[4]) {
    __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20); r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31); r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

WT_AVX2 static void dpack_a_avx2(int trans, ptrdiff_t mc, ptrdiff_t kc, const double *a, ptrdiff_t lda, double *dst) {
    for (ptrdiff_t i0 = 0; i0 < mc; i0 += DMR) {
        ptrdiff_t rows = mc - i0 < DMR ? mc - i0 : DMR;
        if (trans) {
            const double *src = a + i0;
            if (rows == DMR) {
                for (ptrdiff_t p = 0; p < kc; p++, src += lda, dst += DMR) {
                    _mm256_storeu_pd(dst, _mm256_loadu_pd(src));
                    _mm_storeu_pd(dst + 4, _mm_loadu_pd(src + 4));
                }
            } else {
                for (ptrdiff_t p = 0; p < kc; p++, src += lda, dst += DMR) {
                    ptrdiff_t r = 0;
                    for (; r < rows; r++) dst[r] = src[r];
                    for (; r < DMR; r++) dst[r] = 0;
                }
            }
        } else {
            const double *s[DMR];
            for (ptrdiff_t r = 0; r < DMR; r++) s[r] = a + (i0 + (r < rows ? r : 0)) * lda;
            if (rows == DMR) {
                ptrdiff_t p = 0;
                for (; p + 4 <= kc; p += 4, dst += 4 * DMR) {
                    __m256d lo[4] = {_mm256_loadu_pd(s[0] + p), _mm256_loadu_pd(s[1] + p),
                                     _mm256_loadu_pd(s[2] + p), _mm256_loadu_pd(s[3] + p)};
                    transpose4_pd(lo);
                    __m256d h45a = _mm256_unpacklo_pd(_mm256_loadu_pd(s[4] + p), _mm256_loadu_pd(s[5] + p));
                    __m256d h45b = _mm256_unpackhi_pd(_mm256_loadu_pd(s[4] + p), _mm256_loadu_pd(s[5] + p));
                    // h45a = (r4p0 r5p0 r4p2 r5p2), h45b = (r4p1 r5p1 r4p3 r5p3)
                    for (int q = 0; q < 4; q++) _mm256_storeu_pd(dst + q * DMR, lo[q]);
                    _mm_storeu_pd(dst + 0 * DMR + 4, _mm256_castpd256_pd128(h45a));
                    _mm_storeu_pd(dst + 1 * DMR + 4, _mm256_castpd256_pd128(h45b));
                    _mm_storeu_pd(dst + 2 * DMR + 4, _mm256_extractf128_pd(h45a, 1));
                    _mm_storeu_pd(dst + 3 * DMR + 4, _mm256_extractf128_pd(h45b, 1));
                }
                for (; p < kc; p++, dst += DMR)
                    for (int r = 0; r < DMR; r++) dst[r] = s[r][p];
            } else {
                for (ptrdiff_t p = 0; p < kc; p++, dst += DMR) {
                    ptrdiff_t r = 0;
                    for (; r < rows; r++) dst[r] = s[r][p];
                    for (; r < DMR; r++) dst[r] = 0;
                }
            }
        }
    }
}

WT_AVX2 static void dpack_b_avx2(int trans, ptrdiff_t kc, ptrdiff_t nc, const double *b, ptrdiff_t ldb, double *dst) {
    for (ptrdiff_t j0 = 0; j0 < nc; j0 += DNR) {
        ptrdiff_t cols = nc - j0 < DNR ? nc - j0 : DNR;
        if (!trans) {
            const double *src = b + j0;
            if (cols == DNR) {
                for (ptrdiff_t p = 0; p < kc; p++, src += ldb, dst += DNR) {
                    _mm256_store_pd(dst, _mm256_loadu_pd(src));
                    _mm256_store_pd(dst + 4, _mm256_loadu_pd(src + 4));
                }
            } else {
                for (ptrdiff_t p = 0; p < kc; p++, src += ldb, dst += DNR) {
                    ptrdiff_t j = 0;
                    for (; j < cols; j++) dst[j] = src[j];
                    for (; j < DNR; j++) dst[j] = 0;
                }
            }
        } else {
            const double *src = b + j0 * ldb;
            if (cols == DNR) {
                ptrdiff_t p = 0;
                for (; p + 4 <= kc; p += 4) {
                    for (int h = 0; h < 2; h++) {
                        __m256d r[4];
                        for (int q = 0; q < 4; q++) r[q] = _mm256_loadu_pd(src + (h * 4 + q) * ldb + p);
                        transpose4_pd(r);
                        for (int q = 0; q < 4; q++) _mm256_store_pd(dst + (p + q) * DNR + h * 4, r[q]);
                    }
                }
                for (; p < kc; p++)
                    for (int j = 0; j < DNR; j++) dst[p * DNR + j] = src[j * ldb + p];
            } else {
                for (ptrdiff_t p = 0; p < kc; p++) {
                    ptrdiff_t j = 0;
                    for (; j < cols; j++) dst[p * DNR + j] = src[j * ldb + p];
                    for (; j < DNR; j++) dst[p * DNR + j] = 0;
                }
            }
            dst += kc * DNR;
        }
    }
}

/// One 6×8 tile of doubles (see stile_avx2).
WT_AVX2_INLINE void dtile_avx2(ptrdiff_t kc, const double *a, const double *b, double alpha, double beta,
                               double *c, ptrdiff_t ldc, ptrdiff_t mr, ptrdiff_t nr) {
    __m256d c00 = _mm256_setzero_pd(), c01 = _mm256_setzero_pd();
    __m256d c10 = _mm256_setzero_pd(), c11 = _mm256_setzero_pd();
    __m256d c20 = _mm256_setzero_pd(), c21 = _mm256_setzero_pd();
    __m256d c30 = _mm256_setzero_pd(), c31 = _mm256_setzero_pd();
    __m256d c40 = _mm256_setzero_pd(), c41 = _mm256_setzero_pd();
    __m256d c50 = _mm256_setzero_pd(), c51 = _mm256_setzero_pd();
    for (ptrdiff_t i = 0; i < mr; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
#define WT_DSTEP(P)                                                                         \
    {                                                                                       \
        __m256d b0 = _mm256_load_pd(b + 8 * (P)), b1 = _mm256_load_pd(b + 8 * (P) + 4);     \
        __m256d av;                                                                         \
        av = _mm256_broadcast_sd(a + 6 * (P) + 0);                                          \
        c00 = _mm256_fmadd_pd(av, b0, c00); c01 = _mm256_fmadd_pd(av, b1, c01);             \
        av = _mm256_broadcast_sd(a + 6 * (P) + 1);                                          \
        c10 = _mm256_fmadd_pd(av, b0, c10); c11 = _mm256_fmadd_pd(av, b1, c11);             \
        av = _mm256_broadcast_sd(a + 6 * (P) + 2);                                          \
        c20 = _mm256_fmadd_pd(av, b0, c20); c21 = _mm256_fmadd_pd(av, b1, c21);             \
        av = _mm256_broadcast_sd(a + 6 * (P) + 3);                                          \
        c30 = _mm256_fmadd_pd(av, b0, c30); c31 = _mm256_fmadd_pd(av, b1, c31);             \
        av = _mm256_broadcast_sd(a + 6 * (P) + 4);                                          \
        c40 = _mm256_fmadd_pd(av, b0, c40); c41 = _mm256_fmadd_pd(av, b1, c41);             \
        av = _mm256_broadcast_sd(a + 6 * (P) + 5);                                          \
        c50 = _mm256_fmadd_pd(av, b0, c50); c51 = _mm256_fmadd_pd(av, b1, c51);             \
    }
    ptrdiff_t p = 0;
    for (; p + 4 <= kc; p += 4) {
        _mm_prefetch((const char *)(a + 6 * 8), _MM_HINT_T0);
        WT_DSTEP(0) WT_DSTEP(1) WT_DSTEP(2) WT_DSTEP(3)
        a += 4 * 6; b += 4 * 8;
    }
    for (; p < kc; p++) { WT_DSTEP(0) a += 6; b += 8; }
#undef WT_DSTEP
    __m256d va = _mm256_set1_pd(alpha);
    if (mr == DMR && nr == DNR) {
#define WT_DROW(I)                                                                          \
    if (beta == 0) {                                                                        \
        _mm256_storeu_pd(c + (I) * ldc, _mm256_mul_pd(va, c##I##0));                         \
        _mm256_storeu_pd(c + (I) * ldc + 4, _mm256_mul_pd(va, c##I##1));                     \
    } else {                                                                                \
        __m256d vb = _mm256_set1_pd(beta);                                                  \
        _mm256_storeu_pd(c + (I) * ldc, _mm256_fmadd_pd(va, c##I##0,                         \
                         _mm256_mul_pd(vb, _mm256_loadu_pd(c + (I) * ldc))));                \
        _mm256_storeu_pd(c + (I) * ldc + 4, _mm256_fmadd_pd(va, c##I##1,                     \
                         _mm256_mul_pd(vb, _mm256_loadu_pd(c + (I) * ldc + 4))));            \
    }
        WT_DROW(0) WT_DROW(1) WT_DROW(2) WT_DROW(3) WT_DROW(4) WT_DROW(5)
#undef WT_DROW
    } else {
        double t[DMR * DNR] __attribute__((aligned(32)));
        _mm256_store_pd(t + 0, _mm256_mul_pd(va, c00));  _mm256_store_pd(t + 4, _mm256_mul_pd(va, c01));
        _mm256_store_pd(t + 8, _mm256_mul_pd(va, c10));  _mm256_store_pd(t + 12, _mm256_mul_pd(va, c11));
        _mm256_store_pd(t + 16, _mm256_mul_pd(va, c20)); _mm256_store_pd(t + 20, _mm256_mul_pd(va, c21));
        _mm256_store_pd(t + 24, _mm256_mul_pd(va, c30)); _mm256_store_pd(t + 28, _mm256_mul_pd(va, c31));
        _mm256_store_pd(t + 32, _mm256_mul_pd(va, c40)); _mm256_store_pd(t + 36, _mm256_mul_pd(va, c41));
        _mm256_store_pd(t + 40, _mm256_mul_pd(va, c50)); _mm256_store_pd(t + 44, _mm256_mul_pd(va, c51));
        for (ptrdiff_t i = 0; i < mr; i++)
            for (ptrdiff_t j = 0; j < nr; j++)
                c[i * ldc + j] = beta == 0 ? t[i * DNR + j] : t[i * DNR + j] + beta * c[i * ldc + j];
    }
}

WT_AVX2 static void dmacro_avx2(ptrdiff_t mc, ptrdiff_t nc, ptrdiff_t kc, double alpha, const double *pa,
                                const double *pb, double beta, double *c, ptrdiff_t ldc) {
    for (ptrdiff_t j = 0; j < nc; j += DNR) {
        ptrdiff_t nr = nc - j < DNR ? nc - j : DNR;
        for (ptrdiff_t i = 0; i < mc; i += DMR) {
            ptrdiff_t mr = mc - i < DMR ? mc - i : DMR;
            dtile_avx2(kc, pa + i * kc, pb + j * kc, alpha, beta, c + i * ldc + j, ldc, mr, nr);
        }
    }
}

const wt_dgemm_impl wt_dgemm_impl_avx2 = {
    .mr = DMR, .nr = DNR, .mc = WT_AVX2_DMC, .kc = WT_AVX2_DKC, .nc = WT_AVX2_DNC,
    .pack_a = dpack_a_avx2, .pack_b = dpack_b_avx2, .macro = dmacro_avx2,
};

#endif
