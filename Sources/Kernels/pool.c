// Max pooling without padding (kernels_pool.h). Whether the next element of a window is larger is a
// coin toss for the branch predictor, so every path selects without branching: bit masks in plain
// C, lane masks in the vector body. The vector body covers the common 2×2 window with stride 2
// along the row (W outputs at a time from 2W adjacent inputs of each of the two rows; W = 8 at
// AVX2, 16 at AVX-512); everything else, and float64, runs the plain-C loops. Every path gives the
// same values and indices.
#include "kernels_pool.h"
#include "kernels_dispatch.h"
#include "kernels_parallel.h"
#include <stdint.h>
#include <string.h>

#include "tiers.h"

typedef struct {
    ptrdiff_t in[3], out[3], k[3], s[3], d[3];
    const void *x;
    void *y;
    ptrdiff_t *index;
} pool_job;

/// The window rule: replace the running maximum by v when v is larger or NaN (PyTorch's rule).
/// Bit masks instead of a conditional move the compiler might turn into a branch.
#define MP_TAKE(NAME, T, U)                                                                          \
    static inline void NAME(T v, ptrdiff_t i, T *best, ptrdiff_t *at) {                              \
        const uint64_t m = 0u - (uint64_t)((v > *best) | (v != v)); /* all ones: take v */           \
        U vb, bb;                                                                                    \
        memcpy(&vb, &v, sizeof vb);                                                                  \
        memcpy(&bb, best, sizeof bb);                                                                \
        bb = (vb & (U)m) | (bb & ~(U)m);                                                             \
        memcpy(best, &bb, sizeof bb);                                                                \
        *at = (ptrdiff_t)(((uint64_t)i & m) | ((uint64_t)*at & ~m));                                 \
    }
MP_TAKE(take_f32, float, uint32_t)
MP_TAKE(take_f64, double, uint64_t)

// Plain C: any window, one output at a time, from output index `o` of plane `begin` on.
#define MP_PLANES(NAME, T, TAKE)                                                                     \
    static void NAME(void *context, ptrdiff_t begin, ptrdiff_t end) {                                \
        const pool_job *j = context;                                                                 \
        const T *restrict x = j->x;                                                                  \
        T *restrict y = j->y;                                                                        \
        ptrdiff_t *restrict index = j->index;                                                        \
        const ptrdiff_t S1 = j->in[1], S2 = j->in[2], plane_in = j->in[0] * S1 * S2;                 \
        const ptrdiff_t O0 = j->out[0], O1 = j->out[1], O2 = j->out[2];                              \
        const ptrdiff_t K0 = j->k[0], K1 = j->k[1], K2 = j->k[2];                                    \
        ptrdiff_t o = begin * O0 * O1 * O2;                                                          \
        for (ptrdiff_t plane = begin; plane < end; plane++)                                          \
            for (ptrdiff_t o0 = 0; o0 < O0; o0++)                                                    \
                for (ptrdiff_t o1 = 0; o1 < O1; o1++)                                                \
                    for (ptrdiff_t o2 = 0; o2 < O2; o2++, o++) {                                     \
                        ptrdiff_t corner = plane * plane_in + (o0 * j->s[0] * S1 + o1 * j->s[1]) * S2 \
                                           + o2 * j->s[2];                                           \
                        T best = x[corner];                                                          \
                        ptrdiff_t at = corner;                                                       \
                        for (ptrdiff_t k0 = 0; k0 < K0; k0++)                                        \
                            for (ptrdiff_t k1 = 0; k1 < K1; k1++) {                                  \
                                ptrdiff_t row = corner + (k0 * j->d[0] * S1 + k1 * j->d[1]) * S2;    \
                                for (ptrdiff_t k2 = 0; k2 < K2; k2++)                                \
                                    TAKE(x[row + k2 * j->d[2]], row + k2 * j->d[2], &best, &at);     \
                            }                                                                        \
                        y[o] = best;                                                                 \
                        index[o] = at;                                                               \
                    }                                                                                \
    }
MP_PLANES(maxpool_planes_f32, float, take_f32)
MP_PLANES(maxpool_planes_f64, double, take_f64)

#if WT_X86
/// 2×2 windows (k = 1×2×2, no dilation) with stride 2 along the row, W outputs per step, written once
/// over a vector-extension type of W floats and instantiated per tier (W = 8 at AVX2, 16 at
/// AVX-512). The window's taps are, in order, (row, 2o), (row, 2o + 1), (row + 1, 2o),
/// (row + 1, 2o + 1); each is taken, in that order, where it is larger than the lane's maximum or
/// NaN (the rule of take_f32), the lanes keep the tap number of their maximum, and the index is
/// row + 2o + (tap & 1) + (tap >> 1)·S2. Selects are exact, so every tier gives the same values and
/// indices.
#define MP_2X2S2(NAME, W, ATTR, EVEN, ODD)                                                           \
    typedef float NAME##_f __attribute__((vector_size((W) * 4), aligned(4)));                       \
    typedef int NAME##_i __attribute__((vector_size((W) * 4), aligned(4)));                         \
    typedef long long NAME##_l __attribute__((vector_size((W) * 8), aligned(8)));                   \
    ATTR static void NAME(void *context, ptrdiff_t begin, ptrdiff_t end) {                           \
        const pool_job *j = context;                                                                 \
        const float *restrict x = j->x;                                                              \
        float *restrict y = j->y;                                                                    \
        ptrdiff_t *restrict index = j->index;                                                        \
        const ptrdiff_t S1 = j->in[1], S2 = j->in[2], plane_in = j->in[0] * S1 * S2;                 \
        const ptrdiff_t O0 = j->out[0], O1 = j->out[1], O2 = j->out[2], s0 = j->s[0], s1 = j->s[1];  \
        NAME##_l lane;                                                                               \
        for (int l = 0; l < (W); l++) lane[l] = 2 * l;                                               \
        ptrdiff_t o = begin * O0 * O1 * O2;                                                          \
        for (ptrdiff_t plane = begin; plane < end; plane++)                                          \
            for (ptrdiff_t o0 = 0; o0 < O0; o0++)                                                    \
                for (ptrdiff_t o1 = 0; o1 < O1; o1++) {                                              \
                    const ptrdiff_t row = plane * plane_in + (o0 * s0 * S1 + o1 * s1) * S2;          \
                    const float *r0 = x + row, *r1 = r0 + S2;                                        \
                    ptrdiff_t o2 = 0;                                                                \
                    for (; o2 + (W) <= O2; o2 += (W), o += (W)) {                                    \
                        NAME##_f a0 = *(const NAME##_f *)(r0 + 2 * o2);                              \
                        NAME##_f a1 = *(const NAME##_f *)(r0 + 2 * o2 + (W));                        \
                        NAME##_f b0 = *(const NAME##_f *)(r1 + 2 * o2);                              \
                        NAME##_f b1 = *(const NAME##_f *)(r1 + 2 * o2 + (W));                        \
                        NAME##_f t[4] = {__builtin_shufflevector(a0, a1, EVEN),                      \
                                         __builtin_shufflevector(a0, a1, ODD),                       \
                                         __builtin_shufflevector(b0, b1, EVEN),                      \
                                         __builtin_shufflevector(b0, b1, ODD)};                      \
                        NAME##_f best = t[0];                                                        \
                        NAME##_i tap = {0};                                                          \
                        for (int q = 1; q < 4; q++) {                                                \
                            NAME##_i m = (t[q] > best) | (t[q] != t[q]);                             \
                            best = (NAME##_f)(((NAME##_i)t[q] & m) | ((NAME##_i)best & ~m));         \
                            tap = (q & m) | (tap & ~m);                                              \
                        }                                                                            \
                        *(NAME##_f *)(y + o) = best;                                                 \
                        NAME##_l tl = __builtin_convertvector(tap, NAME##_l);                        \
                        NAME##_l at = (row + 2 * o2) + lane + (tl & 1) + (tl >> 1) * S2;             \
                        *(NAME##_l *)(index + o) = at;                                               \
                    }                                                                                \
                    for (; o2 < O2; o2++, o++) {                                                     \
                        ptrdiff_t i = row + 2 * o2, at = i;                                          \
                        float best = x[i];                                                           \
                        take_f32(x[i + 1], i + 1, &best, &at);                                       \
                        take_f32(x[i + S2], i + S2, &best, &at);                                     \
                        take_f32(x[i + S2 + 1], i + S2 + 1, &best, &at);                             \
                        y[o] = best;                                                                 \
                        index[o] = at;                                                               \
                    }                                                                                \
                }                                                                                    \
    }
#define MP_EVEN8 0, 2, 4, 6, 8, 10, 12, 14
#define MP_ODD8 1, 3, 5, 7, 9, 11, 13, 15
#define MP_EVEN16 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define MP_ODD16 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
MP_2X2S2(maxpool_planes_2x2s2_f32_avx2, 8, WT_TARGET_AVX2, MP_EVEN8, MP_ODD8)
MP_2X2S2(maxpool_planes_2x2s2_f32_avx512, 16, WT_TARGET_AVX512, MP_EVEN16, MP_ODD16)
#else
#define maxpool_planes_2x2s2_f32_avx2 maxpool_planes_f32
#define maxpool_planes_2x2s2_f32_avx512 maxpool_planes_f32
#endif

static void maxpool_run(ptrdiff_t planes, const ptrdiff_t in[3], const ptrdiff_t out[3], const ptrdiff_t k[3],
                        const ptrdiff_t s[3], const ptrdiff_t d[3], const void *x, void *y, ptrdiff_t *index,
                        wt_parallel_body body) {
    pool_job job = {{in[0], in[1], in[2]}, {out[0], out[1], out[2]}, {k[0], k[1], k[2]},
                    {s[0], s[1], s[2]}, {d[0], d[1], d[2]}, x, y, index};
    ptrdiff_t per_plane = out[0] * out[1] * out[2] * k[0] * k[1] * k[2];
    ptrdiff_t grain = per_plane > 0 ? 1 + 16384 / per_plane : 1;  // at least ~16k taps per range
    wt_parallel_for(planes, grain, body, &job);
}

void wt_maxpool_inside_f32(ptrdiff_t planes, const ptrdiff_t in[3], const ptrdiff_t out[3], const ptrdiff_t k[3],
                           const ptrdiff_t s[3], const ptrdiff_t d[3], const float *x, float *y, ptrdiff_t *index) {
    wt_parallel_body body = maxpool_planes_f32;
    // the vector kernels cover the 2×2 window with stride 2 along the row
    if (k[0] == 1 && k[1] == 2 && k[2] == 2 && d[1] == 1 && d[2] == 1 && s[2] == 2)
        body = WT_PICK(maxpool_planes_f32, maxpool_planes_2x2s2_f32_avx2, maxpool_planes_2x2s2_f32_avx512);
    maxpool_run(planes, in, out, k, s, d, x, y, index, body);
}

void wt_maxpool_inside_f64(ptrdiff_t planes, const ptrdiff_t in[3], const ptrdiff_t out[3], const ptrdiff_t k[3],
                           const ptrdiff_t s[3], const ptrdiff_t d[3], const double *x, double *y, ptrdiff_t *index) {
    maxpool_run(planes, in, out, k, s, d, x, y, index, maxpool_planes_f64);
}
