// Private float log and exp for the fused float kernels (relevance_f32.c, relevance_cplx_f32.c):
// Cephes' minimax polynomials (Moshier 1992; about 1 ulp), written twice with the same operations
// in the same order: scalar with fmaf() and AVX2/FMA with 8 float lanes, so both paths give
// identical bits. Include after <math.h>, <stdint.h> and <string.h>, in a file compiled with
// floating-point contraction off.
#ifndef WIRTINGER_VMATHF_CORE_H
#define WIRTINGER_VMATHF_CORE_H

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define RF_X86 1
#include <immintrin.h>
#define RF_AVX2 __attribute__((target("avx2,fma")))
#else
#define RF_X86 0
#endif

// log(1 + f), f in [√½ − 1, √2 − 1]: f − f²/2 + f³·P(f), P of degree 8 (Cephes logf).
#define RF_LP0 3.3333331174E-1f
#define RF_LP1 -2.4999993993E-1f
#define RF_LP2 2.0000714765E-1f
#define RF_LP3 -1.6668057665E-1f
#define RF_LP4 1.4249322787E-1f
#define RF_LP5 -1.2420140846E-1f
#define RF_LP6 1.1676998740E-1f
#define RF_LP7 -1.1514610310E-1f
#define RF_LP8 7.0376836292E-2f
// ln 2 in two parts: RF_LN2HI has 9 significant bits, so k·RF_LN2HI is exact for |k| < 2¹⁵.
#define RF_LN2HI 0.693359375f
#define RF_LN2LO -2.12194440E-4f
// e^r = 1 + r + r²·Q(r), |r| ≤ ln2/2, Q of degree 5 (Cephes expf).
#define RF_EQ0 5.0000001201E-1f
#define RF_EQ1 1.6666665459E-1f
#define RF_EQ2 4.1665795894E-2f
#define RF_EQ3 8.3334519073E-3f
#define RF_EQ4 1.3981999507E-3f
#define RF_EQ5 1.9875691500E-4f
#define RF_LOG2E 1.44269504088896341f
#define RF_EXP_LO -104.0f       // e^x < 2⁻¹⁵⁰ below: the result rounds to 0
#define RF_EXP_HI 89.0f         // e^x > FLT_MAX above (k = 128 and the scaling overflows to +inf)

// ---------------------------------------------------------------- scalar (portable)

static inline float rf_from_bits(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }
static inline uint32_t rf_to_bits(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }

/// log x for a positive normal x or +inf (the only inputs here: x ≥ 1e-12).
static inline float rf_log(float x) {
    if (!(x < INFINITY)) return x;  // +inf, NaN
    uint32_t b = rf_to_bits(x);
    float k = (float)((int32_t)(b >> 23) - 127);
    float m = rf_from_bits((b & 0x007fffffu) | 0x3f800000u);  // [1, 2)
    if (m > 1.41421356f) { m = m * 0.5f; k = k + 1.0f; }
    float f = m - 1.0f, z = f * f;
    float p = RF_LP8;
    p = fmaf(p, f, RF_LP7); p = fmaf(p, f, RF_LP6); p = fmaf(p, f, RF_LP5); p = fmaf(p, f, RF_LP4);
    p = fmaf(p, f, RF_LP3); p = fmaf(p, f, RF_LP2); p = fmaf(p, f, RF_LP1); p = fmaf(p, f, RF_LP0);
    float y = p * f * z;
    y = fmaf(k, RF_LN2LO, y);
    y = fmaf(-0.5f, z, y);
    return fmaf(k, RF_LN2HI, f + y);
}

/// e^x (subnormal results rounded once; 0 below −104, +inf above 88.72).
static inline float rf_exp(float x) {
    if (x != x) return x;
    x = x < RF_EXP_LO ? RF_EXP_LO : (x > RF_EXP_HI ? RF_EXP_HI : x);
    float k = nearbyintf(x * RF_LOG2E);
    float r = fmaf(k, -RF_LN2HI, x);
    r = fmaf(k, -RF_LN2LO, r);
    float q = RF_EQ5;
    q = fmaf(q, r, RF_EQ4); q = fmaf(q, r, RF_EQ3); q = fmaf(q, r, RF_EQ2); q = fmaf(q, r, RF_EQ1);
    q = fmaf(q, r, RF_EQ0);
    float y = fmaf(q, r * r, r) + 1.0f;
    int32_t ki = (int32_t)k, k1 = ki / 2, k2 = ki - k1;  // both in [−75, 64]: normal powers of two
    return y * rf_from_bits((uint32_t)(k1 + 127) << 23) * rf_from_bits((uint32_t)(k2 + 127) << 23);
}

// ---------------------------------------------------------------- AVX2/FMA (8 lanes)

#if RF_X86
#define V8 __m256
RF_AVX2 static inline V8 rf8_c(float c) { return _mm256_set1_ps(c); }
RF_AVX2 static inline V8 rf8_abs(V8 x) { return _mm256_andnot_ps(rf8_c(-0.0f), x); }
RF_AVX2 static inline V8 rf8_sel(V8 mask, V8 yes, V8 no) { return _mm256_blendv_ps(no, yes, mask); }

RF_AVX2 static inline V8 rf8_log(V8 x) {
    __m256i b = _mm256_castps_si256(x);
    V8 k = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(b, 23), _mm256_set1_epi32(127)));
    V8 m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(b, _mm256_set1_epi32(0x007fffff)),
                                               _mm256_set1_epi32(0x3f800000)));
    V8 big = _mm256_cmp_ps(m, rf8_c(1.41421356f), _CMP_GT_OQ);
    m = rf8_sel(big, _mm256_mul_ps(m, rf8_c(0.5f)), m);
    k = rf8_sel(big, _mm256_add_ps(k, rf8_c(1.0f)), k);
    V8 f = _mm256_sub_ps(m, rf8_c(1.0f)), z = _mm256_mul_ps(f, f);
    V8 p = rf8_c(RF_LP8);
    p = _mm256_fmadd_ps(p, f, rf8_c(RF_LP7)); p = _mm256_fmadd_ps(p, f, rf8_c(RF_LP6));
    p = _mm256_fmadd_ps(p, f, rf8_c(RF_LP5)); p = _mm256_fmadd_ps(p, f, rf8_c(RF_LP4));
    p = _mm256_fmadd_ps(p, f, rf8_c(RF_LP3)); p = _mm256_fmadd_ps(p, f, rf8_c(RF_LP2));
    p = _mm256_fmadd_ps(p, f, rf8_c(RF_LP1)); p = _mm256_fmadd_ps(p, f, rf8_c(RF_LP0));
    V8 y = _mm256_mul_ps(_mm256_mul_ps(p, f), z);
    y = _mm256_fmadd_ps(k, rf8_c(RF_LN2LO), y);
    y = _mm256_fmadd_ps(rf8_c(-0.5f), z, y);
    V8 r = _mm256_fmadd_ps(k, rf8_c(RF_LN2HI), _mm256_add_ps(f, y));
    V8 finite = _mm256_cmp_ps(x, rf8_c(INFINITY), _CMP_LT_OQ);  // false for +inf and NaN
    return rf8_sel(finite, r, x);
}

RF_AVX2 static inline V8 rf8_exp(V8 x) {
    // NaN stays in xc: max and min return their second operand when one is NaN
    V8 xc = _mm256_min_ps(rf8_c(RF_EXP_HI), _mm256_max_ps(rf8_c(RF_EXP_LO), x));
    V8 k = _mm256_round_ps(_mm256_mul_ps(xc, rf8_c(RF_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    V8 r = _mm256_fmadd_ps(k, rf8_c(-RF_LN2HI), xc);
    r = _mm256_fmadd_ps(k, rf8_c(-RF_LN2LO), r);
    V8 q = rf8_c(RF_EQ5);
    q = _mm256_fmadd_ps(q, r, rf8_c(RF_EQ4)); q = _mm256_fmadd_ps(q, r, rf8_c(RF_EQ3));
    q = _mm256_fmadd_ps(q, r, rf8_c(RF_EQ2)); q = _mm256_fmadd_ps(q, r, rf8_c(RF_EQ1));
    q = _mm256_fmadd_ps(q, r, rf8_c(RF_EQ0));
    V8 y = _mm256_add_ps(_mm256_fmadd_ps(q, _mm256_mul_ps(r, r), r), rf8_c(1.0f));
    // k1 = trunc(k / 2) as the scalar path's integer division, k2 = k − k1; NaN lanes give junk
    // powers, but y is NaN there and stays NaN
    __m256i ki = _mm256_cvtps_epi32(k);
    __m256i k1 = _mm256_srai_epi32(_mm256_add_epi32(ki, _mm256_srli_epi32(ki, 31)), 1);
    __m256i k2 = _mm256_sub_epi32(ki, k1);
    V8 p1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, _mm256_set1_epi32(127)), 23));
    V8 p2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(_mm256_mul_ps(y, p1), p2);
}
#endif

#endif
