// Philox4x32-10 + Box–Muller normals (kernels_random.h). The generator is integer arithmetic, so
// the AVX2 path (4 blocks per step, one 32x32->64-bit multiply per word pair and lane) and the
// portable path produce the same words; the transcendental functions are the C library's, called
// exactly as the Swift reference does, so the values are bit-identical to it.
#include "kernels_random.h"
#include "kernels_dispatch.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define RN_X86 1
#include <immintrin.h>
#else
#define RN_X86 0
#endif

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

#if RN_X86
/// Four blocks per step: each 64-bit lane holds one block's word in its low half.
static __attribute__((target("avx2"))) void philox_avx2(uint32_t k0, uint32_t k1, uint64_t first, uint32_t *w, ptrdiff_t blocks) {
    const __m256i lo32 = _mm256_set1_epi64x(0xFFFFFFFFll);
    const __m256i m0 = _mm256_set1_epi64x(RN_M0), m1 = _mm256_set1_epi64x(RN_M1);
    __m256i key0[10], key1[10];
    uint32_t a0 = k0, a1 = k1;
    for (int r = 0; r < 10; r++) {
        key0[r] = _mm256_set1_epi64x(a0);
        key1[r] = _mm256_set1_epi64x(a1);
        a0 += RN_W0;
        a1 += RN_W1;
    }
    ptrdiff_t j = 0;
    for (; j + 4 <= blocks; j += 4) {
        uint64_t b = first + (uint64_t)j;
        __m256i ctr = _mm256_add_epi64(_mm256_set1_epi64x((long long)b), _mm256_setr_epi64x(0, 1, 2, 3));
        __m256i c0 = _mm256_and_si256(ctr, lo32), c1 = _mm256_srli_epi64(ctr, 32);
        __m256i c2 = _mm256_setzero_si256(), c3 = _mm256_setzero_si256();
        for (int r = 0; r < 10; r++) {
            __m256i p0 = _mm256_mul_epu32(c0, m0), p1 = _mm256_mul_epu32(c2, m1);
            __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), c1), key0[r]);
            __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c3), key1[r]);
            c1 = _mm256_and_si256(p1, lo32);
            c3 = _mm256_and_si256(p0, lo32);
            c0 = n0;
            c2 = n2;
        }
        uint64_t v0[4], v1[4], v2[4], v3[4];
        _mm256_storeu_si256((__m256i *)v0, c0);
        _mm256_storeu_si256((__m256i *)v1, c1);
        _mm256_storeu_si256((__m256i *)v2, c2);
        _mm256_storeu_si256((__m256i *)v3, c3);
        for (int l = 0; l < 4; l++) {
            uint32_t *o = w + 4 * (j + l);
            o[0] = (uint32_t)v0[l]; o[1] = (uint32_t)v1[l]; o[2] = (uint32_t)v2[l]; o[3] = (uint32_t)v3[l];
        }
    }
    if (j < blocks) philox_portable(k0, k1, first + (uint64_t)j, w + 4 * j, blocks - j);
}
#endif

void wt_philox_blocks(uint32_t k0, uint32_t k1, uint64_t first_block, uint32_t *words, ptrdiff_t blocks) {
#if RN_X86
    if (wt_active_isa() == WT_ISA_AVX2_FMA) { philox_avx2(k0, k1, first_block, words, blocks); return; }
#endif
    philox_portable(k0, k1, first_block, words, blocks);
}

/// The Box–Muller pair of one block, with the reference's operation order (no contraction:
/// every expression is a single product or sum).
static inline void box_muller(const uint32_t *w, double *z0, double *z1) {
    double a = (double)((((uint64_t)w[0] << 32) | w[1]) >> 11) * 0x1p-53;
    double b = (double)((((uint64_t)w[2] << 32) | w[3]) >> 11) * 0x1p-53;
    double u1 = a + 0x1p-53;
    double l = log(u1);
    double r = sqrt(-2.0 * l);
    double two_pi = 2.0 * 3.141592653589793115997963468544185161590576171875; /* 2 * Double.pi, exact */
    double theta = two_pi * b;
    double s, c;
#if defined(__GLIBC__)
    sincos(theta, &s, &c); /* glibc's sincos shares sin's and cos's code: identical results */
#else
    s = sin(theta);
    c = cos(theta);
#endif
    *z0 = r * c;
    *z1 = r * s;
}

#define RN_FILL(T)                                                                    \
    uint32_t words[4 * RN_BATCH];                                                     \
    ptrdiff_t pairs = (n + 1) / 2, done = 0;                                          \
    while (done < pairs) {                                                            \
        ptrdiff_t m = pairs - done < RN_BATCH ? pairs - done : RN_BATCH;              \
        wt_philox_blocks(k0, k1, first_block + (uint64_t)done, words, m);             \
        for (ptrdiff_t j = 0; j < m; j++) {                                           \
            double z0, z1;                                                            \
            box_muller(words + 4 * j, &z0, &z1);                                      \
            ptrdiff_t i = 2 * (done + j);                                             \
            y[i] = (T)z0;                                                             \
            if (i + 1 < n) y[i + 1] = (T)z1;                                          \
        }                                                                             \
        done += m;                                                                    \
    }

void wt_normal_array(uint32_t k0, uint32_t k1, uint64_t first_block, double *y, ptrdiff_t n) { RN_FILL(double) }
void wt_normalf_array(uint32_t k0, uint32_t k1, uint64_t first_block, float *y, ptrdiff_t n) { RN_FILL(float) }
