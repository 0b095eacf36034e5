// Philox4x32-10 + Box–Muller normals (kernels_random.h). The generator is integer arithmetic, so
// the vector paths (W blocks per step, one 32x32->64-bit multiply per word pair and lane;
// random_vec.h for AVX2 and AVX-512) and the portable path produce the same words; the Box–Muller
// transform uses our own log and sin/cos, identical on every path and equal bit for bit to the
// Swift reference (see below).
#include "kernels_random.h"
#include "kernels_dispatch.h"
#include "kernels_parallel.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tiers.h"

#define RN_M0 0xD2511F53u
#define RN_M1 0xCD9E8D57u
#define RN_W0 0x9E3779B9u
#define RN_W1 0xBB67AE85u
#define RN_BATCH 64 /* blocks generated before the transcendental pass */

static void philox_portable(uint32_t k0, uint32_t k1, uint64_t first, uint32_t *w, ptrdiff_t blocks) {
    for (ptrdiff_t j = 0; j < blocks; j++) {
        uint64_t b = first + (uint64_t)j;
        uint32_t c0 = (uint32_t)b, c1 = (uint32_t)(b >> 32), c2 = 0, c3 = 0, a0 = k0, a1 = k1;
        for (int round = 0; round < 10; round++) {
            uint64_t p0 = (uint64_t)RN_M0 * c0, p1 = (uint64_t)RN_M1 * c2;
            uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0, hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
            c0 = hi1 ^ c1 ^ a0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ a1;
            c3 = lo0;
            a0 += RN_W0;
            a1 += RN_W1;
        }
        w[4 * j] = c0; w[4 * j + 1] = c1; w[4 * j + 2] = c2; w[4 * j + 3] = c3;
    }
}

/// The two uniforms of block j, a and b in [0, 1) with 53 random bits each: a from words 0 and 1,
/// b from words 2 and 3 (the top 53 of the 64 bits, times 2⁻⁵³). Written as
/// w₀·2⁻³² + ⌊w₁/2¹¹⌋·2⁻⁵³: both terms and their sum are exact, so this equals the 64-bit form,
/// and the vector paths (random_vec.h) convert 32-bit words, which AVX2 can, not 64-bit ones.
static inline double uniform_from_words(uint32_t hi, uint32_t lo) {
    return (double)hi * 0x1p-32 + (double)(lo >> 11) * 0x1p-53;
}

/// Blocks first ..< first + blocks as uniform pairs (ua[j], ub[j]).
static void uniforms_portable(uint32_t k0, uint32_t k1, uint64_t first, double *ua, double *ub, ptrdiff_t blocks) {
    uint32_t w[4];
    for (ptrdiff_t j = 0; j < blocks; j++) {
        philox_portable(k0, k1, first + (uint64_t)j, w, 1);
        ua[j] = uniform_from_words(w[0], w[1]);
        ub[j] = uniform_from_words(w[2], w[3]);
    }
}

// ---------------------------------------------------------------- Box–Muller
//
// log and sin/cos are our own (fdlibm's minimax polynomials, Sun Microsystems 1993; < 1 ulp on
// the ranges used here), written twice with the same operations in the same order: scalar with
// fma() and once over W double lanes (random_vec.h, AVX2 and AVX-512) with fused multiply-adds. Both paths give the same bits, on every machine
// and C library, and ``normalReference`` in Tests/Support/NormalReference.swift is the specification.
//
//   log u, u in [2^-53, 1]:  u = 2^k (1 + f), 1 + f in [√½, √2), s = f / (2 + f), z = s²,
//       log u = k ln2_hi − ((f²/2 − (s (f²/2 + z L(z)) + k ln2_lo)) − f)
//   sin/cos 2πb, b in [0, 1):  q = round(4b), t = 4b − q (exact), r = t·π/2 (|r| ≤ π/4),
//       sin r = r + r³ (S₁ + z S(z)),  cos r = w + (((1 − w) − z/2) + z² C(z)),  z = r², w = 1 − z/2,
//       then the quadrant q mod 4 swaps and negates them.

#define BM_LN2HI 6.93147180369123816490e-01
#define BM_LN2LO 1.90821492927058770002e-10
#define BM_SQRTH_BITS 0x3fe6a09e667f3bcdULL
#define BM_PIO2HI 1.57079632679489655800e+00
#define BM_PIO2LO 6.12323399573676603587e-17
#define BM_SHIFT 0x1.8p52
static const double bm_lg[7] = {6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
                                2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
                                1.479819860511658591e-01};
static const double bm_s[6] = {-1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04,
                               2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10};
static const double bm_c[6] = {4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05,
                               -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11};

static inline double bm_bits_to_double(uint64_t u) { double d; memcpy(&d, &u, sizeof d); return d; }
static inline uint64_t bm_double_to_bits(double d) { uint64_t u; memcpy(&u, &d, sizeof u); return u; }

/// One Box–Muller pair from the uniforms a in [0, 1) (u₁ = a + 2⁻⁵³) and b in [0, 1).
static inline void bm_pair(double a, double b, double *z0, double *z1) {
    double u = a + 0x1p-53;
    uint64_t ix = bm_double_to_bits(u) + (0x3ff0000000000000ULL - BM_SQRTH_BITS);
    double k = (double)((int)(ix >> 52) - 1023);
    double f = bm_bits_to_double((ix & 0x000fffffffffffffULL) + BM_SQRTH_BITS) - 1.0;
    double s = f / (2.0 + f), z = s * s, hfsq = 0.5 * f * f;
    double p = bm_lg[6];
    for (int i = 5; i >= 0; i--) p = fma(p, z, bm_lg[i]);
    double l = k * BM_LN2HI - ((hfsq - (s * (hfsq + z * p) + k * BM_LN2LO)) - f);
    double rad = sqrt(-2.0 * l);

    double x4 = 4.0 * b, q = nearbyint(x4), t = x4 - q;
    double r = fma(t, BM_PIO2HI, t * BM_PIO2LO), rz = r * r;
    double ps = bm_s[5];
    for (int i = 4; i >= 1; i--) ps = fma(ps, rz, bm_s[i]);
    double sn = r + (rz * r) * fma(rz, ps, bm_s[0]);
    double pc = bm_c[5];
    for (int i = 4; i >= 0; i--) pc = fma(pc, rz, bm_c[i]);
    double hz = 0.5 * rz, w = 1.0 - hz;
    double cs = w + (((1.0 - w) - hz) + rz * (rz * pc));
    int qi = (int)q;
    double sv = (qi & 1) ? cs : sn, cv = (qi & 1) ? sn : cs;
    if (qi & 2) sv = -sv;
    if ((qi + 1) & 2) cv = -cv;
    *z0 = rad * cv;
    *z1 = rad * sv;
}

static void bm_pairs_portable(const double *a, const double *b, double *z0, double *z1, ptrdiff_t m) {
    for (ptrdiff_t j = 0; j < m; j++) bm_pair(a[j], b[j], z0 + j, z1 + j);
}

// ---------------------------------------------------------------- vector paths
// random_vec.h written once (Philox and Box–Muller over W lanes of 64 bits), instantiated for
// AVX2/FMA (4 lanes) and AVX-512 (8 lanes); both give the portable path's bits.

typedef void (*philox_fn)(uint32_t, uint32_t, uint64_t, uint32_t *, ptrdiff_t);

#if WT_X86
#define RNV_W 4
#define RNV(x) x##_avx2
#define RNV_ATTR WT_TARGET_AVX2
#include "random_vec.h"
#undef RNV_W
#undef RNV
#undef RNV_ATTR

#define RNV_W 8
#define RNV(x) x##_avx512
#define RNV_ATTR WT_TARGET_AVX512
#include "random_vec.h"
#undef RNV_W
#undef RNV
#undef RNV_ATTR

/// Each tier's generator, indexed by wt_active_isa() (the transforms are reached through fill_range_*_tiers).
static const philox_fn philox_tiers[] = {philox_portable, philox_avx2, philox_avx512};
#else
static const philox_fn philox_tiers[] = {philox_portable, philox_portable, philox_portable};
#endif

void wt_philox_blocks(uint32_t k0, uint32_t k1, uint64_t first_block, uint32_t *words, ptrdiff_t blocks) {
    philox_tiers[wt_active_isa()](k0, k1, first_block, words, blocks);
}

// Pairs p0 ..< p1 of the stream (elements 2·p0 ..< min(2·p1, n)), RN_BATCH blocks at a time, written
// once and instantiated per tier with that tier's generator of uniforms UNIFORMS, transform BM and target
// attribute ATTR, so that the conversions around them (words to uniforms, doubles to T, the
// interleaving, the multiplication by the scale in T) are compiled for the tier too. Those are exact
// or correctly rounded, so every tier still gives the portable bits (and a scale of 1 changes no
// bit). Only the stream's last pair can lack its second element (odd n).
#define RN_FILL_RANGE(NAME, T, ATTR, UNIFORMS, BM)                                              \
    static ATTR void NAME(uint32_t k0, uint32_t k1, uint64_t first_block, T *y, ptrdiff_t n,    \
                          ptrdiff_t p0, ptrdiff_t p1, T scale) {                                \
        double ua[RN_BATCH], ub[RN_BATCH], z0[RN_BATCH], z1[RN_BATCH];                          \
        for (ptrdiff_t done = p0; done < p1;) {                                                 \
            ptrdiff_t m = p1 - done < RN_BATCH ? p1 - done : RN_BATCH;                          \
            UNIFORMS(k0, k1, first_block + (uint64_t)done, ua, ub, m);                          \
            BM(ua, ub, z0, z1, m);                                                              \
            ptrdiff_t whole = 2 * (done + m) > n ? m - 1 : m;                                   \
            T *out = y + 2 * done;                                                              \
            for (ptrdiff_t j = 0; j < whole; j++) {                                             \
                out[2 * j] = (T)z0[j] * scale;                                                  \
                out[2 * j + 1] = (T)z1[j] * scale;                                              \
            }                                                                                   \
            if (whole < m) out[2 * whole] = (T)z0[whole] * scale;                               \
            done += m;                                                                          \
        }                                                                                       \
    }
RN_FILL_RANGE(fill_range_d, double, , uniforms_portable, bm_pairs_portable)
RN_FILL_RANGE(fill_range_f, float, , uniforms_portable, bm_pairs_portable)
#if WT_X86
RN_FILL_RANGE(fill_range_d_avx2, double, WT_TARGET_AVX2, uniforms_avx2, bm_pairs_avx2)
RN_FILL_RANGE(fill_range_f_avx2, float, WT_TARGET_AVX2, uniforms_avx2, bm_pairs_avx2)
RN_FILL_RANGE(fill_range_d_avx512, double, WT_TARGET_AVX512, uniforms_avx512, bm_pairs_avx512)
RN_FILL_RANGE(fill_range_f_avx512, float, WT_TARGET_AVX512, uniforms_avx512, bm_pairs_avx512)
#define RN_FILL_TIERS(PRE) {PRE, PRE##_avx2, PRE##_avx512}
#else
#define RN_FILL_TIERS(PRE) {PRE, PRE, PRE}
#endif
typedef void (*fill_d_fn)(uint32_t, uint32_t, uint64_t, double *, ptrdiff_t, ptrdiff_t, ptrdiff_t, double);
typedef void (*fill_f_fn)(uint32_t, uint32_t, uint64_t, float *, ptrdiff_t, ptrdiff_t, ptrdiff_t, float);
static const fill_d_fn fill_range_d_tiers[] = RN_FILL_TIERS(fill_range_d);
static const fill_f_fn fill_range_f_tiers[] = RN_FILL_TIERS(fill_range_f);

// Every pair depends on its block number only, so the pairs split over threads give the same
// values as one pass. Arrays of fewer than 2·RN_PARALLEL_GRAIN pairs stay on the calling thread.
#define RN_PARALLEL_GRAIN 8192

typedef struct {
    uint32_t k0, k1;
    uint64_t first_block;
    void *y;
    ptrdiff_t n;
    double scale;
    int is_float, tier;
} rn_job;

static void rn_part(void *context, ptrdiff_t begin, ptrdiff_t end) {
    const rn_job *job = context;
    if (job->is_float)
        fill_range_f_tiers[job->tier](job->k0, job->k1, job->first_block, job->y, job->n, begin, end, (float)job->scale);
    else fill_range_d_tiers[job->tier](job->k0, job->k1, job->first_block, job->y, job->n, begin, end, job->scale);
}

static void rn_fill(uint32_t k0, uint32_t k1, uint64_t first_block, void *y, ptrdiff_t n, double scale, int is_float) {
    rn_job job = {k0, k1, first_block, y, n, scale, is_float, (int)wt_active_isa()};
    wt_parallel_for((n + 1) / 2, RN_PARALLEL_GRAIN, rn_part, &job);
}

void wt_normal_array(uint32_t k0, uint32_t k1, uint64_t first_block, double *y, ptrdiff_t n) {
    rn_fill(k0, k1, first_block, y, n, 1.0, 0);
}
void wt_normalf_array(uint32_t k0, uint32_t k1, uint64_t first_block, float *y, ptrdiff_t n) {
    rn_fill(k0, k1, first_block, y, n, 1.0, 1);
}
void wt_normal_array_scaled(uint32_t k0, uint32_t k1, uint64_t first_block, double scale, double *y, ptrdiff_t n) {
    rn_fill(k0, k1, first_block, y, n, scale, 0);
}
void wt_normalf_array_scaled(uint32_t k0, uint32_t k1, uint64_t first_block, float scale, float *y, ptrdiff_t n) {
    rn_fill(k0, k1, first_block, y, n, (double)scale, 1);
}
