// im2col and col2im (kernels_conv.h). Rows of a convolution's input are copied (or added back) in
// runs: along the last axis a kernel tap reads out[2] positions, the first `lo` and the last
// out[2] − hi of which fall in the padding. With stride 1 a run is contiguous; the AVX2 versions
// move it 8 floats (4 doubles) at a time with masked loads and stores for the remainder, the
// AVX-512 ones 16 floats (8 doubles) and the rest as a 256-bit half vector and an opmask, since
// the runs are short (8–24 elements in LeNet-5) and a library memcpy per run costs more than the copy.
#include "kernels_conv.h"
#include "kernels_dispatch.h"
#include "kernels_parallel.h"

#include "tiers.h"

static inline ptrdiff_t ceil_div(ptrdiff_t a, ptrdiff_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
/// The outputs o ∈ [*lo, *hi) of `out` along an axis whose input o·s + off lies in [0, size)
/// (0 ≤ *lo ≤ *hi ≤ out; the rest of the row reads padding).
static inline void inside_span(ptrdiff_t off, ptrdiff_t s, ptrdiff_t size, ptrdiff_t out, ptrdiff_t *lo, ptrdiff_t *hi) {
    ptrdiff_t l = ceil_div(-off, s);
    l = l < 0 ? 0 : (l > out ? out : l);
    ptrdiff_t h = ceil_div(size - off, s);
    h = h > out ? out : h;
    *lo = l;
    *hi = h < l ? l : h;
}

// ---------------------------------------------------------------------------------------------
// Row helpers: plain C, and AVX2 with masked tails.

#define CV_ROWS_PLAIN(T, SUF)                                                                       \
    static inline void zero_##SUF(T *dst, ptrdiff_t n) { for (ptrdiff_t i = 0; i < n; i++) dst[i] = 0; } \
    static inline void copy_##SUF(T *dst, const T *src, ptrdiff_t n) {                             \
        for (ptrdiff_t i = 0; i < n; i++) dst[i] = src[i];                                          \
    }                                                                                               \
    static inline void add_##SUF(T *dst, const T *src, ptrdiff_t n) {                              \
        for (ptrdiff_t i = 0; i < n; i++) dst[i] += src[i];                                         \
    }
CV_ROWS_PLAIN(float, f32)
CV_ROWS_PLAIN(double, f64)

#if WT_X86
#define CV_AVX2 WT_TARGET_AVX2
/// Lane mask with the first n (0 ≤ n < 8) 32-bit lanes set.
static inline CV_AVX2 __m256i first_lanes32(ptrdiff_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
/// Lane mask with the first n (0 ≤ n < 4) 64-bit lanes set.
static inline CV_AVX2 __m256i first_lanes64(ptrdiff_t n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
}
// The row helpers of a vector tier for one element type T, written once over the tier's
// operations: W lanes a step with LOAD / STORE / ADD / ZERO, the remainder (fewer than W) under
// the lane mask MASK(count) of type MT with MLOAD(p, mask) / MSTORE(p, mask, v).
#define CV_ROWS_VEC(SUF, ATTR, T, W, MT, MASK, LOAD, STORE, ADD, ZERO, MLOAD, MSTORE)                \
    static inline ATTR void zero_##SUF(T *dst, ptrdiff_t n) {                                        \
        ptrdiff_t i = 0;                                                                             \
        for (; i + W <= n; i += W) STORE(dst + i, ZERO());                                           \
        if (i < n) MSTORE(dst + i, MASK(n - i), ZERO());                                             \
    }                                                                                                \
    static inline ATTR void copy_##SUF(T *dst, const T *src, ptrdiff_t n) {                          \
        ptrdiff_t i = 0;                                                                             \
        for (; i + W <= n; i += W) STORE(dst + i, LOAD(src + i));                                    \
        if (i < n) {                                                                                 \
            MT m = MASK(n - i);                                                                      \
            MSTORE(dst + i, m, MLOAD(src + i, m));                                                   \
        }                                                                                            \
    }                                                                                                \
    static inline ATTR void add_##SUF(T *dst, const T *src, ptrdiff_t n) {                           \
        ptrdiff_t i = 0;                                                                             \
        for (; i + W <= n; i += W) STORE(dst + i, ADD(LOAD(dst + i), LOAD(src + i)));                \
        if (i < n) {                                                                                 \
            MT m = MASK(n - i);                                                                      \
            MSTORE(dst + i, m, ADD(MLOAD(dst + i, m), MLOAD(src + i, m)));                           \
        }                                                                                            \
    }
// AVX2: 8 floats (4 doubles) per step, the remainder under a lane mask.
CV_ROWS_VEC(f32_avx2, CV_AVX2, float, 8, __m256i, first_lanes32, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_add_ps,
            _mm256_setzero_ps, _mm256_maskload_ps, _mm256_maskstore_ps)
CV_ROWS_VEC(f64_avx2, CV_AVX2, double, 4, __m256i, first_lanes64, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_add_pd,
            _mm256_setzero_pd, _mm256_maskload_pd, _mm256_maskstore_pd)

#define CV_AVX512 WT_TARGET_AVX512
// AVX-512: 16 floats (8 doubles) per step; of the remainder, a whole half vector (8 floats, 4
// doubles: a 256-bit move) unmasked, then the rest under an opmask on a 256-bit move. LeNet-5's
// rows of 8 and 24 floats thus need no masked store at all, which profiles showed costly when
// the stores were 512-bit with half the lanes masked off.
#define CV_MASK16(n) ((__mmask16)((1u << (n)) - 1))
#define CV_MASK8(n) ((__mmask8)((1u << (n)) - 1))
#define CV_MLOAD512_PS(p, m) _mm512_maskz_loadu_ps(m, p)
#define CV_MLOAD512_PD(p, m) _mm512_maskz_loadu_pd(m, p)
#define CV_MLOAD256_PS(p, m) _mm256_maskz_loadu_ps(m, p)
#define CV_MLOAD256_PD(p, m) _mm256_maskz_loadu_pd(m, p)
// W lanes a step (LOAD / STORE / ADD / ZERO), then at most one half vector of H = W/2 lanes
// (HLOAD / HSTORE / HADD / HZERO), then fewer than H lanes under HMASK(count) (HMLOAD / HMSTORE).
#define CV_ROWS_512(SUF, T, W, LOAD, STORE, ADD, ZERO, HLOAD, HSTORE, HADD, HZERO, HMASK, HMLOAD, HMSTORE) \
    static inline CV_AVX512 void zero_##SUF(T *dst, ptrdiff_t n) {                                   \
        ptrdiff_t i = 0;                                                                             \
        for (; i + W <= n; i += W) STORE(dst + i, ZERO());                                           \
        if (i + W / 2 <= n) { HSTORE(dst + i, HZERO()); i += W / 2; }                                \
        if (i < n) HMSTORE(dst + i, HMASK(n - i), HZERO());                                          \
    }                                                                                                \
    static inline CV_AVX512 void copy_##SUF(T *dst, const T *src, ptrdiff_t n) {                     \
        ptrdiff_t i = 0;                                                                             \
        for (; i + W <= n; i += W) STORE(dst + i, LOAD(src + i));                                    \
        if (i + W / 2 <= n) { HSTORE(dst + i, HLOAD(src + i)); i += W / 2; }                         \
        if (i < n) HMSTORE(dst + i, HMASK(n - i), HMLOAD(src + i, HMASK(n - i)));                    \
    }                                                                                                \
    static inline CV_AVX512 void add_##SUF(T *dst, const T *src, ptrdiff_t n) {                      \
        ptrdiff_t i = 0;                                                                             \
        for (; i + W <= n; i += W) STORE(dst + i, ADD(LOAD(dst + i), LOAD(src + i)));                \
        if (i + W / 2 <= n) { HSTORE(dst + i, HADD(HLOAD(dst + i), HLOAD(src + i))); i += W / 2; }   \
        if (i < n) {                                                                                 \
            __mmask8 m = HMASK(n - i);                                                               \
            HMSTORE(dst + i, m, HADD(HMLOAD(dst + i, m), HMLOAD(src + i, m)));                       \
        }                                                                                            \
    }
CV_ROWS_512(f32_avx512, float, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_add_ps, _mm512_setzero_ps,
            _mm256_loadu_ps, _mm256_storeu_ps, _mm256_add_ps, _mm256_setzero_ps, CV_MASK8, CV_MLOAD256_PS,
            _mm256_mask_storeu_ps)
CV_ROWS_512(f64_avx512, double, 8, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_add_pd, _mm512_setzero_pd,
            _mm256_loadu_pd, _mm256_storeu_pd, _mm256_add_pd, _mm256_setzero_pd, CV_MASK8, CV_MLOAD256_PD,
            _mm256_mask_storeu_pd)
#endif

// ---------------------------------------------------------------------------------------------
// One sample, written once. ATTR is empty or a tier's target attribute; ZERO / COPY / ADD the row
// helpers of that tier (they only move or add values, so every tier gives the same bits).

#define CV_SAMPLE(NAME_IM, NAME_COL, T, ATTR, ZERO, COPY, ADD)                                       \
    static ATTR void NAME_IM(const wt_conv_shape *g, const T *x, T *col, ptrdiff_t ld) {             \
        const ptrdiff_t S0 = g->in[0], S1 = g->in[1], S2 = g->in[2];                                 \
        const ptrdiff_t O0 = g->out[0], O1 = g->out[1], O2 = g->out[2];                              \
        const ptrdiff_t in_plane = S0 * S1 * S2;                                                     \
        ptrdiff_t row = 0;                                                                           \
        for (ptrdiff_t c = 0; c < g->channels; c++) {                                                \
            const T *xc = x + c * in_plane;                                                          \
            for (ptrdiff_t k0 = 0; k0 < g->k[0]; k0++)                                               \
                for (ptrdiff_t k1 = 0; k1 < g->k[1]; k1++)                                           \
                    for (ptrdiff_t k2 = 0; k2 < g->k[2]; k2++, row++) {                              \
                        T *dst = col + row * ld;                                                     \
                        const ptrdiff_t off2 = k2 * g->d[2] - g->p[2], s2 = g->s[2];                 \
                        ptrdiff_t lo, hi;                                                            \
                        inside_span(off2, s2, S2, O2, &lo, &hi);                                     \
                        const ptrdiff_t off1 = k1 * g->d[1] - g->p[1], s1 = g->s[1];                 \
                        ptrdiff_t lo1, hi1;                                                          \
                        inside_span(off1, s1, S1, O1, &lo1, &hi1);                                   \
                        const int whole = s2 == 1 && lo == 0 && hi == O2;                            \
                        for (ptrdiff_t o0 = 0; o0 < O0; o0++) {                                      \
                            T *d0 = dst + o0 * O1 * O2;                                              \
                            const ptrdiff_t i0 = o0 * g->s[0] - g->p[0] + k0 * g->d[0];              \
                            if (i0 < 0 || i0 >= S0) { ZERO(d0, O1 * O2); continue; }                 \
                            /* rows o1 < lo1 and o1 ≥ hi1 read the padding along axis 1 */           \
                            ZERO(d0, lo1 * O2);                                                      \
                            const T *x0 = xc + i0 * S1 * S2 + off2;                                  \
                            if (whole) {                                                             \
                                for (ptrdiff_t o1 = lo1; o1 < hi1; o1++)                             \
                                    COPY(d0 + o1 * O2, x0 + (o1 * s1 + off1) * S2, O2);              \
                            } else {                                                                 \
                                for (ptrdiff_t o1 = lo1; o1 < hi1; o1++) {                           \
                                    T *out = d0 + o1 * O2;                                           \
                                    const T *src = x0 + (o1 * s1 + off1) * S2;                       \
                                    ZERO(out, lo);                                                   \
                                    if (s2 == 1) COPY(out + lo, src + lo, hi - lo);                  \
                                    else for (ptrdiff_t o2 = lo; o2 < hi; o2++) out[o2] = src[o2 * s2]; \
                                    ZERO(out + hi, O2 - hi);                                         \
                                }                                                                    \
                            }                                                                        \
                            ZERO(d0 + hi1 * O2, (O1 - hi1) * O2);                                    \
                        }                                                                            \
                    }                                                                                \
        }                                                                                            \
    }                                                                                                \
    static ATTR void NAME_COL(const wt_conv_shape *g, const T *col, ptrdiff_t ld, T *x) {            \
        const ptrdiff_t S0 = g->in[0], S1 = g->in[1], S2 = g->in[2];                                 \
        const ptrdiff_t O0 = g->out[0], O1 = g->out[1], O2 = g->out[2];                              \
        const ptrdiff_t in_plane = S0 * S1 * S2;                                                     \
        ptrdiff_t row = 0;                                                                           \
        for (ptrdiff_t c = 0; c < g->channels; c++) {                                                \
            T *xc = x + c * in_plane;                                                                \
            for (ptrdiff_t k0 = 0; k0 < g->k[0]; k0++)                                               \
                for (ptrdiff_t k1 = 0; k1 < g->k[1]; k1++)                                           \
                    for (ptrdiff_t k2 = 0; k2 < g->k[2]; k2++, row++) {                              \
                        const T *src_row = col + row * ld;                                           \
                        const ptrdiff_t off2 = k2 * g->d[2] - g->p[2], s2 = g->s[2];                 \
                        ptrdiff_t lo, hi;                                                            \
                        inside_span(off2, s2, S2, O2, &lo, &hi);                                     \
                        const ptrdiff_t off1 = k1 * g->d[1] - g->p[1], s1 = g->s[1];                 \
                        ptrdiff_t lo1, hi1;                                                          \
                        inside_span(off1, s1, S1, O1, &lo1, &hi1);                                   \
                        for (ptrdiff_t o0 = 0; o0 < O0; o0++) {                                      \
                            const ptrdiff_t i0 = o0 * g->s[0] - g->p[0] + k0 * g->d[0];              \
                            if (i0 < 0 || i0 >= S0) continue;                                        \
                            T *x0 = xc + i0 * S1 * S2 + off2;                                        \
                            const T *s0 = src_row + o0 * O1 * O2;                                    \
                            if (s2 == 1) {                                                           \
                                for (ptrdiff_t o1 = lo1; o1 < hi1; o1++)                             \
                                    ADD(x0 + (o1 * s1 + off1) * S2 + lo, s0 + o1 * O2 + lo, hi - lo); \
                            } else {                                                                 \
                                for (ptrdiff_t o1 = lo1; o1 < hi1; o1++) {                           \
                                    T *dst = x0 + (o1 * s1 + off1) * S2;                             \
                                    const T *src = s0 + o1 * O2;                                     \
                                    for (ptrdiff_t o2 = lo; o2 < hi; o2++) dst[o2 * s2] += src[o2];  \
                                }                                                                    \
                            }                                                                        \
                        }                                                                            \
                    }                                                                                \
        }                                                                                            \
    }

CV_SAMPLE(im2col_sample_f32, col2im_sample_f32, float, , zero_f32, copy_f32, add_f32)
CV_SAMPLE(im2col_sample_f64, col2im_sample_f64, double, , zero_f64, copy_f64, add_f64)
#if WT_X86
CV_SAMPLE(im2col_sample_f32_avx2, col2im_sample_f32_avx2, float, CV_AVX2, zero_f32_avx2, copy_f32_avx2, add_f32_avx2)
CV_SAMPLE(im2col_sample_f64_avx2, col2im_sample_f64_avx2, double, CV_AVX2, zero_f64_avx2, copy_f64_avx2, add_f64_avx2)
CV_SAMPLE(im2col_sample_f32_avx512, col2im_sample_f32_avx512, float, CV_AVX512, zero_f32_avx512, copy_f32_avx512,
          add_f32_avx512)
CV_SAMPLE(im2col_sample_f64_avx512, col2im_sample_f64_avx512, double, CV_AVX512, zero_f64_avx512, copy_f64_avx512,
          add_f64_avx512)
#define CV_TIERS(PRE, SUF) {PRE##_##SUF, PRE##_##SUF##_avx2, PRE##_##SUF##_avx512}
#else
#define CV_TIERS(PRE, SUF) {PRE##_##SUF, PRE##_##SUF, PRE##_##SUF}
#endif

/// Each tier's sample kernels, indexed by wt_active_isa().
typedef void (*im2col_f32_fn)(const wt_conv_shape *, const float *, float *, ptrdiff_t);
typedef void (*im2col_f64_fn)(const wt_conv_shape *, const double *, double *, ptrdiff_t);
typedef void (*col2im_f32_fn)(const wt_conv_shape *, const float *, ptrdiff_t, float *);
typedef void (*col2im_f64_fn)(const wt_conv_shape *, const double *, ptrdiff_t, double *);
static const im2col_f32_fn im2col_f32_tiers[] = CV_TIERS(im2col_sample, f32);
static const im2col_f64_fn im2col_f64_tiers[] = CV_TIERS(im2col_sample, f64);
static const col2im_f32_fn col2im_f32_tiers[] = CV_TIERS(col2im_sample, f32);
static const col2im_f64_fn col2im_f64_tiers[] = CV_TIERS(col2im_sample, f64);

// ---------------------------------------------------------------------------------------------
// The elementwise steps of the variational convolution (ConvolutionMoments.swift): the column
// matrix squared in place (col(x²) = col(x)²) and the column-space input gradient scaled by
// 2·col(x). Each element depends on itself only (x·x, and g·(2c) with 2c exact), so every tier
// gives the portable bits.

#define CV_ELEMWISE_PLAIN(T, SUF)                                                                    \
    static void square_##SUF(T *x, ptrdiff_t n) { for (ptrdiff_t i = 0; i < n; i++) x[i] = x[i] * x[i]; } \
    static void mul_twice_##SUF(T *g, const T *c, ptrdiff_t n) {                                     \
        for (ptrdiff_t i = 0; i < n; i++) g[i] = g[i] * (2 * c[i]);                                  \
    }
CV_ELEMWISE_PLAIN(float, f32)
CV_ELEMWISE_PLAIN(double, f64)

#if WT_X86
// W lanes a step with LOAD / STORE / MUL, the remainder under the lane mask MASK(count).
#define CV_ELEMWISE_VEC(SUF, ATTR, T, W, MT, MASK, LOAD, STORE, MUL, SET1, MLOAD, MSTORE)               \
    static ATTR void square_##SUF(T *x, ptrdiff_t n) {                                               \
        ptrdiff_t i = 0;                                                                             \
        for (; i + W <= n; i += W) { __typeof__(LOAD(x)) v = LOAD(x + i); STORE(x + i, MUL(v, v)); }  \
        if (i < n) {                                                                                 \
            MT m = MASK(n - i);                                                                      \
            __typeof__(LOAD(x)) v = MLOAD(x + i, m);                                                 \
            MSTORE(x + i, m, MUL(v, v));                                                             \
        }                                                                                            \
    }                                                                                                \
    static ATTR void mul_twice_##SUF(T *g, const T *c, ptrdiff_t n) {                                \
        const __typeof__(LOAD(c)) two = SET1((T)2);                                                  \
        ptrdiff_t i = 0;                                                                             \
        for (; i + W <= n; i += W) STORE(g + i, MUL(LOAD(g + i), MUL(two, LOAD(c + i))));            \
        if (i < n) {                                                                                 \
            MT m = MASK(n - i);                                                                      \
            MSTORE(g + i, m, MUL(MLOAD(g + i, m), MUL(two, MLOAD(c + i, m))));                       \
        }                                                                                            \
    }
CV_ELEMWISE_VEC(f32_avx2, CV_AVX2, float, 8, __m256i, first_lanes32, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_mul_ps,
                _mm256_set1_ps, _mm256_maskload_ps, _mm256_maskstore_ps)
CV_ELEMWISE_VEC(f64_avx2, CV_AVX2, double, 4, __m256i, first_lanes64, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_mul_pd,
                _mm256_set1_pd, _mm256_maskload_pd, _mm256_maskstore_pd)
CV_ELEMWISE_VEC(f32_avx512, CV_AVX512, float, 16, __mmask16, CV_MASK16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_mul_ps,
                _mm512_set1_ps, CV_MLOAD512_PS, _mm512_mask_storeu_ps)
CV_ELEMWISE_VEC(f64_avx512, CV_AVX512, double, 8, __mmask8, CV_MASK8, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_mul_pd,
                _mm512_set1_pd, CV_MLOAD512_PD, _mm512_mask_storeu_pd)
#define CV_ELEM_TIERS(PRE, SUF) {PRE##_##SUF, PRE##_##SUF##_avx2, PRE##_##SUF##_avx512}
#else
#define CV_ELEM_TIERS(PRE, SUF) {PRE##_##SUF, PRE##_##SUF, PRE##_##SUF}
#endif

typedef void (*square_f32_fn)(float *, ptrdiff_t);
typedef void (*square_f64_fn)(double *, ptrdiff_t);
typedef void (*mul_twice_f32_fn)(float *, const float *, ptrdiff_t);
typedef void (*mul_twice_f64_fn)(double *, const double *, ptrdiff_t);
static const square_f32_fn square_f32_tiers[] = CV_ELEM_TIERS(square, f32);
static const square_f64_fn square_f64_tiers[] = CV_ELEM_TIERS(square, f64);
static const mul_twice_f32_fn mul_twice_f32_tiers[] = CV_ELEM_TIERS(mul_twice, f32);
static const mul_twice_f64_fn mul_twice_f64_tiers[] = CV_ELEM_TIERS(mul_twice, f64);

void wt_square_inplace_f32(float *x, ptrdiff_t n) { square_f32_tiers[wt_active_isa()](x, n); }
void wt_square_inplace_f64(double *x, ptrdiff_t n) { square_f64_tiers[wt_active_isa()](x, n); }
void wt_mul_twice_f32(float *g, const float *c, ptrdiff_t n) { mul_twice_f32_tiers[wt_active_isa()](g, c, n); }
void wt_mul_twice_f64(double *g, const double *c, ptrdiff_t n) { mul_twice_f64_tiers[wt_active_isa()](g, c, n); }

// ---------------------------------------------------------------------------------------------
// The per-channel bias of a convolution and its gradient, plain C (the compiler's vectors): the
// same operations in the same order on every tier and at any thread count.

typedef struct {
    const void *src;
    void *dst;
    ptrdiff_t channels, inner, batch;
    int is_float;
} cv_bias_job;

#define CV_BIAS_FNS(T, SUF)                                                                          \
    static void bias_add_##SUF(const cv_bias_job *j, ptrdiff_t n0, ptrdiff_t n1) {                   \
        const T *b = j->src;                                                                         \
        for (ptrdiff_t n = n0; n < n1; n++)                                                          \
            for (ptrdiff_t c = 0; c < j->channels; c++) {                                            \
                T *row = (T *)j->dst + (n * j->channels + c) * j->inner;                             \
                const T v = b[c];                                                                    \
                for (ptrdiff_t i = 0; i < j->inner; i++) row[i] += v;                                \
            }                                                                                        \
    }                                                                                                \
    static void bias_grad_##SUF(const cv_bias_job *j, ptrdiff_t c0, ptrdiff_t c1) {                  \
        T *gb = j->dst;                                                                              \
        for (ptrdiff_t c = c0; c < c1; c++)                                                          \
            for (ptrdiff_t n = 0; n < j->batch; n++) {                                               \
                const T *row = (const T *)j->src + (n * j->channels + c) * j->inner;                 \
                T s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                                    \
                ptrdiff_t i = 0;                                                                     \
                for (; i + 4 <= j->inner; i += 4) {                                                  \
                    s0 += row[i]; s1 += row[i + 1]; s2 += row[i + 2]; s3 += row[i + 3];              \
                }                                                                                    \
                for (; i < j->inner; i++) s0 += row[i];                                              \
                gb[c] += (s0 + s1) + (s2 + s3);                                                      \
            }                                                                                        \
    }
CV_BIAS_FNS(float, f32)
CV_BIAS_FNS(double, f64)

static void bias_add_part(void *context, ptrdiff_t begin, ptrdiff_t end) {
    const cv_bias_job *j = context;
    if (j->is_float) bias_add_f32(j, begin, end); else bias_add_f64(j, begin, end);
}
static void bias_grad_part(void *context, ptrdiff_t begin, ptrdiff_t end) {
    const cv_bias_job *j = context;
    if (j->is_float) bias_grad_f32(j, begin, end); else bias_grad_f64(j, begin, end);
}

void wt_channel_bias_add_f32(float *y, const float *b, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t inner) {
    cv_bias_job j = {b, y, channels, inner, batch, 1};
    wt_parallel_for(batch, 4, bias_add_part, &j);
}
void wt_channel_bias_add_f64(double *y, const double *b, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t inner) {
    cv_bias_job j = {b, y, channels, inner, batch, 0};
    wt_parallel_for(batch, 4, bias_add_part, &j);
}
void wt_channel_sum_f32(const float *gy, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t inner, float *gb) {
    cv_bias_job j = {gy, gb, channels, inner, batch, 1};
    wt_parallel_for(channels, 1, bias_grad_part, &j);
}
void wt_channel_sum_f64(const double *gy, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t inner, double *gb) {
    cv_bias_job j = {gy, gb, channels, inner, batch, 0};
    wt_parallel_for(channels, 1, bias_grad_part, &j);
}

// ---------------------------------------------------------------------------------------------
// Samples in parallel.

typedef struct {
    const wt_conv_shape *shape;
    const void *src;
    void *dst;
    ptrdiff_t ld, x_stride, plane_out;
    int is_float, tier;
} conv_job;

static void im2col_part(void *context, ptrdiff_t begin, ptrdiff_t end) {
    const conv_job *j = context;
    for (ptrdiff_t n = begin; n < end; n++) {
        ptrdiff_t xo = n * j->x_stride, co = n * j->plane_out;
        if (j->is_float) im2col_f32_tiers[j->tier](j->shape, (const float *)j->src + xo, (float *)j->dst + co, j->ld);
        else im2col_f64_tiers[j->tier](j->shape, (const double *)j->src + xo, (double *)j->dst + co, j->ld);
    }
}

static void col2im_part(void *context, ptrdiff_t begin, ptrdiff_t end) {
    const conv_job *j = context;
    for (ptrdiff_t n = begin; n < end; n++) {
        ptrdiff_t xo = n * j->x_stride, co = n * j->plane_out;
        if (j->is_float) col2im_f32_tiers[j->tier](j->shape, (const float *)j->src + co, j->ld, (float *)j->dst + xo);
        else col2im_f64_tiers[j->tier](j->shape, (const double *)j->src + co, j->ld, (double *)j->dst + xo);
    }
}

static void conv_run(const wt_conv_shape *g, ptrdiff_t samples, const void *src, void *dst, ptrdiff_t ld,
                     ptrdiff_t x_stride, int is_float, wt_parallel_body body) {
    conv_job job = {g, src, dst, ld, x_stride, g->out[0] * g->out[1] * g->out[2], is_float, (int)wt_active_isa()};
    wt_parallel_for(samples, 1, body, &job);
}

void wt_im2col_f32(const wt_conv_shape *shape, ptrdiff_t samples, const float *x, ptrdiff_t x_stride,
                   float *col, ptrdiff_t ld) {
    conv_run(shape, samples, x, col, ld, x_stride, 1, im2col_part);
}
void wt_im2col_f64(const wt_conv_shape *shape, ptrdiff_t samples, const double *x, ptrdiff_t x_stride,
                   double *col, ptrdiff_t ld) {
    conv_run(shape, samples, x, col, ld, x_stride, 0, im2col_part);
}
void wt_col2im_f32(const wt_conv_shape *shape, ptrdiff_t samples, const float *col, ptrdiff_t ld,
                   float *x, ptrdiff_t x_stride) {
    conv_run(shape, samples, col, x, ld, x_stride, 1, col2im_part);
}
void wt_col2im_f64(const wt_conv_shape *shape, ptrdiff_t samples, const double *col, ptrdiff_t ld,
                   double *x, ptrdiff_t x_stride) {
    conv_run(shape, samples, col, x, ld, x_stride, 0, col2im_part);
}
