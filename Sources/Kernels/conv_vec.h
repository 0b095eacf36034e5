// The row helpers of im2col / col2im and the elementwise steps of the variational convolution
// (conv.c), written once over a vector-extension type of W elements of type T and instantiated per
// tier and type by conv.c:
//
//   #define CV_T         float or double, with CV_F32 or CV_F64 defined
//   #define CV_W         lanes of a whole vector (AVX2 and portable: 8 floats / 4 doubles, which the
//                        baseline ISA splits into two 128-bit halves; AVX-512: 16 / 8)
//   #define CV(x)        the instantiation's name of x (cv_f32_avx2_x, …)
//   #define CV_ATTR      the tier's target attribute (tiers.h; empty for the portable tier)
//   #define CV_HALF      1: step by one half vector before the partial one (AVX-512), else 0
//   #define CV_PORTABLE  for the portable tier only
//   #include "conv_vec.h"
//
// The header undefines CV_W, CV_HALF, CV, CV_ATTR and CV_PORTABLE (not CV_T, CV_F32 / CV_F64).
//
// Every helper walks a row the same way: whole vectors of W lanes, (CV_HALF) at most one unmasked
// half vector, and the rest under a lane mask on a partial vector (a half vector with CV_HALF,
// else a whole one). The runs are short (rows of 8–24 floats in LeNet-5, where a library
// memcpy per run costs more than the copy), so the half vector matters at the AVX-512 tier: there
// LeNet-5's rows of 8 and 24 floats need no masked move, and profiles showed 512-bit stores with
// half their lanes masked off to be costly. At the AVX2 tier the half step measured no better
// (Docs/Kernels-GEMM.md, "Kernel tiers"). The helpers only move, add or multiply single elements
// (x·x, g·(2c) with 2c exact), so every tier gives the same bits (those of one scalar operation per
// element). What differs per tier is only the partial move of the first section: AVX-512 opmask
// moves, AVX2 vmaskmov with a vector lane mask, lane by lane on the portable tier (no intrinsics:
// it compiles for any target).

#define CV_INL static inline __attribute__((always_inline)) CV_ATTR

/// Lanes of the partial vector that ends a row: a half vector where the tier steps by one
/// (CV_HALF = 1), else a whole one.
#define CV_P (CV_HALF ? CV_W / 2 : CV_W)
/// A whole vector and the partial vector, loaded from and stored to any element-aligned address.
typedef CV_T CV(v) __attribute__((vector_size(CV_W * sizeof(CV_T)), aligned(sizeof(CV_T)), may_alias));
typedef CV_T CV(p) __attribute__((vector_size(CV_P * sizeof(CV_T)), aligned(sizeof(CV_T)), may_alias));

// MARK: - The per-tier primitives: the first n < CV_P lanes of a partial vector.

#if defined(CV_PORTABLE)
/* portable: the count itself, the lanes moved one by one. The helpers are always inlined, so the
   baseline's lack of 256-bit registers changes no calling convention (-Wpsabi says it would). */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wpsabi"
typedef ptrdiff_t CV(m);
CV_INL CV(m) CV(first)(ptrdiff_t n) { return n; }
CV_INL CV(p) CV(load_part)(const CV_T *p, CV(m) n) {
    CV(p) v = {0};
    for (ptrdiff_t l = 0; l < n; l++) v[l] = p[l];
    return v;
}
CV_INL void CV(store_part)(CV_T *p, CV(m) n, CV(p) v) {
    for (ptrdiff_t l = 0; l < n; l++) p[l] = v[l];
}
#elif defined(CV_F32) && CV_P == 8 && CV_HALF
/* AVX-512, float: a 256-bit move under an opmask */
typedef __mmask8 CV(m);
CV_INL CV(m) CV(first)(ptrdiff_t n) { return (__mmask8)((1u << n) - 1); }
CV_INL CV(p) CV(load_part)(const CV_T *p, CV(m) m) { return (CV(p))_mm256_maskz_loadu_ps(m, p); }
CV_INL void CV(store_part)(CV_T *p, CV(m) m, CV(p) v) { _mm256_mask_storeu_ps(p, m, (__m256)v); }
#elif defined(CV_F64) && CV_P == 4 && CV_HALF
/* AVX-512, double: a 256-bit move under an opmask */
typedef __mmask8 CV(m);
CV_INL CV(m) CV(first)(ptrdiff_t n) { return (__mmask8)((1u << n) - 1); }
CV_INL CV(p) CV(load_part)(const CV_T *p, CV(m) m) { return (CV(p))_mm256_maskz_loadu_pd(m, p); }
CV_INL void CV(store_part)(CV_T *p, CV(m) m, CV(p) v) { _mm256_mask_storeu_pd(p, m, (__m256d)v); }
#elif defined(CV_F32) && CV_P == 8
/* AVX2, float: vmaskmovps with a vector lane mask */
typedef __m256i CV(m);
CV_INL CV(m) CV(first)(ptrdiff_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
CV_INL CV(p) CV(load_part)(const CV_T *p, CV(m) m) { return (CV(p))_mm256_maskload_ps(p, m); }
CV_INL void CV(store_part)(CV_T *p, CV(m) m, CV(p) v) { _mm256_maskstore_ps(p, m, (__m256)v); }
#elif defined(CV_F64) && CV_P == 4
/* AVX2, double: vmaskmovpd with a vector lane mask */
typedef __m256i CV(m);
CV_INL CV(m) CV(first)(ptrdiff_t n) { return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3)); }
CV_INL CV(p) CV(load_part)(const CV_T *p, CV(m) m) { return (CV(p))_mm256_maskload_pd(p, m); }
CV_INL void CV(store_part)(CV_T *p, CV(m) m, CV(p) v) { _mm256_maskstore_pd(p, m, (__m256d)v); }
#else
#error "conv_vec.h: no partial move for this CV_T (CV_F32 / CV_F64), CV_W and CV_HALF"
#endif

// MARK: - The helpers, written once.

// The row helpers step by whole vectors without unrolling: their rows are a few vectors long, and
// the prologue of an unrolled loop cost more than it saved (LeNet-5's im2col at the AVX2 and
// AVX-512 tiers, Docs/Kernels-GEMM.md "Kernel tiers").
#define CV_WHOLE _Pragma("clang loop unroll(disable)") for (; i + CV_W <= n; i += CV_W)
/// Where the tier steps by a half vector (CV_HALF): H = W/2 elements when bit H of n is set
/// (n mod W ≥ H), so that fewer than H are left for the partial vector. The row helpers take it
/// first (straight-line code for LeNet-5's rows of 8 and 24; measured, Docs/Kernels-GEMM.md), the
/// long-array steps after the whole vectors (which then stay aligned as the caller's buffer).
#if CV_HALF
#define CV_HALF_STEP(STMT) if (n & CV_P) { STMT; i += CV_P; }
#else
#define CV_HALF_STEP(STMT)
#endif

/// dst[0 ..< n] = 0.
CV_INL void CV(zero)(CV_T *dst, ptrdiff_t n) {
    ptrdiff_t i = 0;
    CV_HALF_STEP(*(CV(p) *)(dst + i) = (CV(p)){0})
    CV_WHOLE *(CV(v) *)(dst + i) = (CV(v)){0};
    if (i < n) CV(store_part)(dst + i, CV(first)(n - i), (CV(p)){0});
}

/// dst[0 ..< n] = src[0 ..< n].
CV_INL void CV(copy)(CV_T *dst, const CV_T *src, ptrdiff_t n) {
    ptrdiff_t i = 0;
    CV_HALF_STEP(*(CV(p) *)(dst + i) = *(const CV(p) *)(src + i))
    CV_WHOLE *(CV(v) *)(dst + i) = *(const CV(v) *)(src + i);
    if (i < n) {
        CV(m) m = CV(first)(n - i);
        CV(store_part)(dst + i, m, CV(load_part)(src + i, m));
    }
}

/// dst[0 ..< n] += src[0 ..< n].
CV_INL void CV(add)(CV_T *dst, const CV_T *src, ptrdiff_t n) {
    ptrdiff_t i = 0;
    CV_HALF_STEP(*(CV(p) *)(dst + i) = *(const CV(p) *)(dst + i) + *(const CV(p) *)(src + i))
    CV_WHOLE *(CV(v) *)(dst + i) = *(const CV(v) *)(dst + i) + *(const CV(v) *)(src + i);
    if (i < n) {
        CV(m) m = CV(first)(n - i);
        CV(store_part)(dst + i, m, CV(load_part)(dst + i, m) + CV(load_part)(src + i, m));
    }
}

/// x[0 ..< n] = x²  (col(x²) = col(x)², ConvolutionMoments.swift). Long arrays: the compiler unrolls.
static CV_ATTR void CV(square)(CV_T *x, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + CV_W <= n; i += CV_W) {
        CV(v) v = *(const CV(v) *)(x + i);
        *(CV(v) *)(x + i) = v * v;
    }
    CV_HALF_STEP(CV(p) v = *(const CV(p) *)(x + i); *(CV(p) *)(x + i) = v * v)
    if (i < n) {
        CV(m) m = CV(first)(n - i);
        CV(p) v = CV(load_part)(x + i, m);
        CV(store_part)(x + i, m, v * v);
    }
}

/// g[0 ..< n] = g · (2·c)  (the column-space input gradient of the variance path).
static CV_ATTR void CV(mul_twice)(CV_T *g, const CV_T *c, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + CV_W <= n; i += CV_W)
        *(CV(v) *)(g + i) = *(const CV(v) *)(g + i) * ((CV_T)2 * *(const CV(v) *)(c + i));
    CV_HALF_STEP(*(CV(p) *)(g + i) = *(const CV(p) *)(g + i) * ((CV_T)2 * *(const CV(p) *)(c + i)))
    if (i < n) {
        CV(m) m = CV(first)(n - i);
        CV(store_part)(g + i, m, CV(load_part)(g + i, m) * ((CV_T)2 * CV(load_part)(c + i, m)));
    }
}

#if defined(CV_PORTABLE)
#pragma clang diagnostic pop
#endif
#undef CV_P
#undef CV_WHOLE
#undef CV_HALF_STEP
#undef CV_INL
#undef CV_W
#undef CV_HALF
#undef CV
#undef CV_ATTR
#undef CV_PORTABLE
