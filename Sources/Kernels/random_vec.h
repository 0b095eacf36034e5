// The vector forms of philox_portable and bm_pairs_portable (random.c), written once over W lanes
// of 64 bits and instantiated per tier by random.c:
//
//   #define RNV_W     lanes (4: AVX2, 8: AVX-512)    #define RNV(x) the name of x for that tier
//   #define RNV_ATTR  the tier's target attribute
//   #include "random_vec.h"
//
// Philox is integer arithmetic (each 64-bit lane holds one block's 32-bit word in its low half,
// multiplied 32×32→64); Box–Muller performs the scalar transform's operations in its order with
// the same fused multiply-adds and nothing contracted, so every tier gives the portable bits.
#pragma STDC FP_CONTRACT OFF

typedef unsigned long long RNV(u64v) __attribute__((vector_size(RNV_W * 8), aligned(RNV_W * 8)));
typedef long long RNV(i64v) __attribute__((vector_size(RNV_W * 8), aligned(RNV_W * 8)));
typedef double RNV(dv) __attribute__((vector_size(RNV_W * 8), aligned(RNV_W * 8)));
typedef double RNV(udv) __attribute__((vector_size(RNV_W * 8), aligned(8)));

/// The round keys of (k0, k1), one splat vector per round.
RNV_ATTR static inline void RNV(round_keys)(uint32_t k0, uint32_t k1, RNV(u64v) *key0, RNV(u64v) *key1) {
    typedef RNV(u64v) U;
    for (int r = 0; r < 10; r++) {
        key0[r] = (unsigned long long)k0 - (U){0};
        key1[r] = (unsigned long long)k1 - (U){0};
        k0 += RN_W0;
        k1 += RN_W1;
    }
}

/// Philox4x32-10 of the blocks ctr (one per lane): c[0..3] = its four words, each in the low 32
/// bits of its lane (the rounds only mask, shift down or xor 32-bit values).
RNV_ATTR __attribute__((always_inline)) static inline void RNV(rounds)(RNV(u64v) ctr, const RNV(u64v) *key0,
                                                                       const RNV(u64v) *key1, RNV(u64v) *c) {
    typedef RNV(u64v) U;
    const U lo32 = 0xFFFFFFFFull - (U){0}, m0 = (unsigned long long)RN_M0 - (U){0}, m1 = (unsigned long long)RN_M1 - (U){0};
    U c0 = ctr & lo32, c1 = ctr >> 32, c2 = (U){0}, c3 = (U){0};
#pragma clang loop unroll(full)
    for (int r = 0; r < 10; r++) {
        U p0 = (c0 & lo32) * m0, p1 = (c2 & lo32) * m1;
        U n0 = (p1 >> 32) ^ c1 ^ key0[r];
        U n2 = (p0 >> 32) ^ c3 ^ key1[r];
        c1 = p1 & lo32;
        c3 = p0 & lo32;
        c0 = n0;
        c2 = n2;
    }
    c[0] = c0; c[1] = c1; c[2] = c2; c[3] = c3;
}

/// The set-up both block loops share: the ten round keys of (k0, k1) and the lane offsets 0…W−1.
RNV_ATTR static inline void RNV(setup)(uint32_t k0, uint32_t k1, RNV(u64v) *key0, RNV(u64v) *key1, RNV(u64v) *iota) {
    RNV(round_keys)(k0, k1, key0, key1);
    for (int l = 0; l < RNV_W; l++) (*iota)[l] = (unsigned long long)l;
}

RNV_ATTR static void RNV(philox)(uint32_t k0, uint32_t k1, uint64_t first, uint32_t *w, ptrdiff_t blocks) {
    typedef RNV(u64v) U;
    U key0[10], key1[10], iota, c[4];
    RNV(setup)(k0, k1, key0, key1, &iota);
    ptrdiff_t j = 0;
    for (; j + RNV_W <= blocks; j += RNV_W) {
        RNV(rounds)((first + (uint64_t)j) + iota, key0, key1, c);
        for (int l = 0; l < RNV_W; l++) {
            uint32_t *o = w + 4 * (j + l);
            o[0] = (uint32_t)c[0][l]; o[1] = (uint32_t)c[1][l]; o[2] = (uint32_t)c[2][l]; o[3] = (uint32_t)c[3][l];
        }
    }
    if (j < blocks) philox_portable(k0, k1, first + (uint64_t)j, w + 4 * j, blocks - j);
}

/// uniforms_portable over W blocks per step: the rounds, then each lane's words straight to its
/// two uniforms, w₀·2⁻³² + ⌊w₁/2¹¹⌋·2⁻⁵³ (uniform_from_words), the 32-bit words converted
/// exactly as (2⁵² + w, their bits under the exponent of 2⁵²) − 2⁵², since AVX2 has no conversion
/// of unsigned (or 64-bit) integers.
RNV_ATTR static void RNV(uniforms)(uint32_t k0, uint32_t k1, uint64_t first, double *ua, double *ub, ptrdiff_t blocks) {
    typedef RNV(u64v) U;
    typedef RNV(dv) D;
    const U two52_bits = 0x4330000000000000ull - (U){0};
    const D two52 = 0x1p52 - (D){0}, scale_hi = 0x1p-32 - (D){0}, scale_lo = 0x1p-53 - (D){0};
    U key0[10], key1[10], iota, c[4];
    RNV(setup)(k0, k1, key0, key1, &iota);
    ptrdiff_t j = 0;
    for (; j + RNV_W <= blocks; j += RNV_W) {
        RNV(rounds)((first + (uint64_t)j) + iota, key0, key1, c);
        D w0 = (D)(c[0] | two52_bits) - two52, w1 = (D)((c[1] >> 11) | two52_bits) - two52;
        D w2 = (D)(c[2] | two52_bits) - two52, w3 = (D)((c[3] >> 11) | two52_bits) - two52;
        *(RNV(udv) *)(ua + j) = w0 * scale_hi + w1 * scale_lo;
        *(RNV(udv) *)(ub + j) = w2 * scale_hi + w3 * scale_lo;
    }
    if (j < blocks) uniforms_portable(k0, k1, first + (uint64_t)j, ua + j, ub + j, blocks - j);
}

RNV_ATTR static void RNV(bm_pairs)(const double *a, const double *b, double *z0, double *z1, ptrdiff_t m) {
    typedef RNV(dv) D;
    typedef RNV(i64v) I;
#define RNV_C(v) ((double)(v) - (D){0})
#define RNV_FMA(x, y, z) __builtin_elementwise_fma(x, y, z)
    const D one = RNV_C(1.0), half = RNV_C(0.5);
    const I sign = (I)RNV_C(-0.0);
    ptrdiff_t j = 0;
    for (; j + RNV_W <= m; j += RNV_W) {
        D u = *(const RNV(udv) *)(a + j) + RNV_C(0x1p-53);
        I ix = (I)u + (long long)(0x3ff0000000000000ULL - BM_SQRTH_BITS);
        I ki = (I)((RNV(u64v))ix >> 52) - 1023;
        // small signed integer to double: add to the bits of 1.5·2⁵², subtract 1.5·2⁵²
        D k = (D)(ki + (I)RNV_C(BM_SHIFT)) - RNV_C(BM_SHIFT);
        I mb = (ix & 0x000fffffffffffffLL) + (long long)BM_SQRTH_BITS;
        D f = (D)mb - one;
        D s = f / (RNV_C(2.0) + f);
        D z = s * s;
        D hfsq = (half * f) * f;
        D p = RNV_C(bm_lg[6]);
        for (int i = 5; i >= 0; i--) p = RNV_FMA(p, z, RNV_C(bm_lg[i]));
        D inner = s * (hfsq + z * p) + k * RNV_C(BM_LN2LO);
        D l = k * RNV_C(BM_LN2HI) - ((hfsq - inner) - f);
        D rad = __builtin_elementwise_sqrt(RNV_C(-2.0) * l);

        D x4 = RNV_C(4.0) * *(const RNV(udv) *)(b + j);
        D q = __builtin_elementwise_roundeven(x4);
        D t = x4 - q;
        D r = RNV_FMA(t, RNV_C(BM_PIO2HI), t * RNV_C(BM_PIO2LO));
        D rz = r * r;
        D ps = RNV_C(bm_s[5]);
        for (int i = 4; i >= 1; i--) ps = RNV_FMA(ps, rz, RNV_C(bm_s[i]));
        D sn = r + (rz * r) * RNV_FMA(rz, ps, RNV_C(bm_s[0]));
        D pc = RNV_C(bm_c[5]);
        for (int i = 4; i >= 0; i--) pc = RNV_FMA(pc, rz, RNV_C(bm_c[i]));
        D hz = half * rz, w = one - hz;
        D cs = w + (((one - w) - hz) + rz * (rz * pc));
        // quadrant q ∈ {0, …, 4} as an integer: odd swaps sin and cos, bit 1 negates sin, bit 1 of q + 1 cos
        I qi = (I)(q + RNV_C(BM_SHIFT)) - (I)RNV_C(BM_SHIFT);
        I odd = -(qi & 1);
        I negS = (I)((RNV(u64v))(qi & 2) << 62), negC = (I)((RNV(u64v))((qi + 1) & 2) << 62);
        D sv = (D)((((I)cs & odd) | ((I)sn & ~odd)) ^ (negS & sign));
        D cv = (D)((((I)sn & odd) | ((I)cs & ~odd)) ^ (negC & sign));
        *(RNV(udv) *)(z0 + j) = rad * cv;
        *(RNV(udv) *)(z1 + j) = rad * sv;
    }
#undef RNV_C
#undef RNV_FMA
    if (j < m) bm_pairs_portable(a + j, b + j, z0 + j, z1 + j, m - j);
}

#pragma STDC FP_CONTRACT DEFAULT
