// Private float log and exp for the fused float kernels (relevance_f32.c, relevance_cplx_f32.c):
// Cephes' minimax polynomials (Moshier 1992; about 1 ulp), written twice with the same operations
// in the same order: scalar with fmaf() and once over a vector-extension type (vmathf_vec.h,
// instantiated for AVX2/FMA with 8 lanes and AVX-512 with 16), so every path gives identical bits. Include after <math.h>, <stdint.h> and <string.h>, in a file compiled with
// floating-point contraction off.
#ifndef WIRTINGER_VMATHF_CORE_H
#define WIRTINGER_VMATHF_CORE_H

#include "tiers.h"

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

// ---------------------------------------------------------------- vector forms
// vmathf_vec.h written once, instantiated for AVX2/FMA (rf8_*, 8 lanes; the rf8_ names are the
// __m256 the fused kernels use) and AVX-512 (rf16_*, 16 lanes).

#if WT_X86
#define V8 __m256

#define RV_W 8
#define RV(x) rf8_##x
#define RV_ATTR WT_TARGET_AVX2 static inline __attribute__((always_inline))
#include "vmathf_vec.h"
#undef RV_W
#undef RV
#undef RV_ATTR

#define RV_W 16
#define RV(x) rf16_##x
#define RV_ATTR WT_TARGET_AVX512 static inline __attribute__((always_inline))
#include "vmathf_vec.h"
#undef RV_W
#undef RV
#undef RV_ATTR
#endif

#endif
