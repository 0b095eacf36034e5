// im2col and col2im (kernels_conv.h). Rows of a convolution's input are copied (or added back) in
// runs: along the last axis a kernel tap reads out[2] positions, the first `lo` and the last
// out[2] − hi of which fall in the padding. With stride 1 a run is contiguous; the vector tiers
// move it with the helpers of conv_vec.h (one body over W lanes: whole vectors, a half vector,
// then a masked partial half vector), since the runs are short (8–24 elements in LeNet-5) and a
// library memcpy per run costs more than the copy. The per-sample walk (CV_SAMPLE) is one body
// instantiated per tier with that tier's helpers.
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
// Row helpers and elementwise steps: one body over a vector-extension type (conv_vec.h),
// instantiated per tier and element type as cv_<type>_<tier>_<helper>. The portable tier has no
// intrinsics (its vectors are split by the compiler into the baseline's 128-bit SSE2 or NEON
// registers) and moves a row's partial vector lane by lane; the x86 tiers with masked moves.

#define CV_T float
#define CV_F32
#define CV_PORTABLE
#define CV_W 8
#define CV_HALF 0
#define CV(x) cv_f32_portable_##x
#define CV_ATTR
#include "conv_vec.h"
#if WT_X86
#define CV_W 8
#define CV_HALF 0
#define CV(x) cv_f32_avx2_##x
#define CV_ATTR WT_TARGET_AVX2
#include "conv_vec.h"
#define CV_W 16
#define CV_HALF 1
#define CV(x) cv_f32_avx512_##x
#define CV_ATTR WT_TARGET_AVX512
#include "conv_vec.h"
#endif
#undef CV_T
#undef CV_F32

#define CV_T double
#define CV_F64
#define CV_PORTABLE
#define CV_W 4
#define CV_HALF 0
#define CV(x) cv_f64_portable_##x
#define CV_ATTR
#include "conv_vec.h"
#if WT_X86
#define CV_W 4
#define CV_HALF 0
#define CV(x) cv_f64_avx2_##x
#define CV_ATTR WT_TARGET_AVX2
#include "conv_vec.h"
#define CV_W 8
#define CV_HALF 1
#define CV(x) cv_f64_avx512_##x
#define CV_ATTR WT_TARGET_AVX512
#include "conv_vec.h"
#endif
#undef CV_T
#undef CV_F64

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

CV_SAMPLE(im2col_sample_f32, col2im_sample_f32, float, , cv_f32_portable_zero, cv_f32_portable_copy,
          cv_f32_portable_add)
CV_SAMPLE(im2col_sample_f64, col2im_sample_f64, double, , cv_f64_portable_zero, cv_f64_portable_copy,
          cv_f64_portable_add)
#if WT_X86
CV_SAMPLE(im2col_sample_f32_avx2, col2im_sample_f32_avx2, float, WT_TARGET_AVX2, cv_f32_avx2_zero, cv_f32_avx2_copy,
          cv_f32_avx2_add)
CV_SAMPLE(im2col_sample_f64_avx2, col2im_sample_f64_avx2, double, WT_TARGET_AVX2, cv_f64_avx2_zero, cv_f64_avx2_copy,
          cv_f64_avx2_add)
CV_SAMPLE(im2col_sample_f32_avx512, col2im_sample_f32_avx512, float, WT_TARGET_AVX512, cv_f32_avx512_zero,
          cv_f32_avx512_copy, cv_f32_avx512_add)
CV_SAMPLE(im2col_sample_f64_avx512, col2im_sample_f64_avx512, double, WT_TARGET_AVX512, cv_f64_avx512_zero,
          cv_f64_avx512_copy, cv_f64_avx512_add)
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

// The tiers' square / mul_twice are conv_vec.h's (cv_f32_portable_square, …).
#if WT_X86
#define CV_ELEM_TIERS(PRE, SUF) {cv_##SUF##_portable_##PRE, cv_##SUF##_avx2_##PRE, cv_##SUF##_avx512_##PRE}
#else
#define CV_ELEM_TIERS(PRE, SUF) {cv_##SUF##_portable_##PRE, cv_##SUF##_portable_##PRE, cv_##SUF##_portable_##PRE}
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
