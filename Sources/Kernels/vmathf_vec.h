// The vector forms of rf_log and rf_exp (vmathf_core.h) and the lane helpers of the fused float
// kernels, written once over a vector-extension type of W floats and instantiated per tier by
// vmathf_core.h:
//
//   #define RV_W      lanes (8: AVX2 ymm, 16: AVX-512 zmm)
//   #define RV(x)     the name of the instantiation of x (rf8_x, rf16_x)
//   #define RV_ATTR   always_inline + the tier's target attribute
//   #include "vmathf_vec.h"
//
// The operations and their order are those of the scalar rf_log / rf_exp (fused multiply-adds where
// they call fmaf), so every lane gives the scalar function's bits. Masks are float vectors whose
// lanes are all-ones or zero bits (what RV(cmp_*) return).

typedef float RV(f) __attribute__((vector_size(RV_W * 4), aligned(RV_W * 4)));
typedef float RV(uf) __attribute__((vector_size(RV_W * 4), aligned(4)));
typedef int RV(i) __attribute__((vector_size(RV_W * 4), aligned(RV_W * 4)));
typedef unsigned RV(u) __attribute__((vector_size(RV_W * 4), aligned(RV_W * 4)));

RV_ATTR RV(f) RV(c)(float c) { return c - (RV(f)){0}; }  // splat (c − (+0) = c, also for −0)
RV_ATTR RV(i) RV(ci)(int c) { return c - (RV(i)){0}; }
RV_ATTR RV(i) RV(bits)(RV(f) x) { return (RV(i))x; }
RV_ATTR RV(f) RV(from_bits)(RV(i) x) { return (RV(f))x; }
RV_ATTR RV(f) RV(load)(const float *p) { return *(const RV(uf) *)p; }
RV_ATTR void RV(store)(float *p, RV(f) x) { *(RV(uf) *)p = x; }
RV_ATTR RV(f) RV(fma)(RV(f) a, RV(f) b, RV(f) c) { return __builtin_elementwise_fma(a, b, c); }
/// mask ? yes : no per lane.
RV_ATTR RV(f) RV(sel)(RV(f) mask, RV(f) yes, RV(f) no) {
    RV(i) m = RV(bits)(mask);
    return RV(from_bits)((RV(bits)(yes) & m) | (RV(bits)(no) & ~m));
}
RV_ATTR RV(f) RV(lt)(RV(f) a, RV(f) b) { return (RV(f))(a < b); }
RV_ATTR RV(f) RV(gt)(RV(f) a, RV(f) b) { return (RV(f))(a > b); }
RV_ATTR RV(f) RV(ge)(RV(f) a, RV(f) b) { return (RV(f))(a >= b); }
RV_ATTR RV(f) RV(neg)(RV(f) x) { return RV(from_bits)(RV(bits)(x) ^ RV(bits)(RV(c)(-0.0f))); }
RV_ATTR RV(f) RV(abs)(RV(f) x) { return RV(from_bits)(RV(bits)(x) & ~RV(bits)(RV(c)(-0.0f))); }
/// 1 when every lane of the mask is set.
RV_ATTR int RV(all)(RV(f) mask) { return __builtin_reduce_and(RV(bits)(mask)) != 0; }
/// The lanes set in both masks.
RV_ATTR RV(f) RV(both)(RV(f) a, RV(f) b) { return RV(from_bits)(RV(bits)(a) & RV(bits)(b)); }
/// 1 when some lane of the mask is set.
RV_ATTR int RV(any)(RV(f) mask) { return __builtin_reduce_or(RV(bits)(mask)) != 0; }

RV_ATTR RV(f) RV(log)(RV(f) x) {
    RV(i) b = RV(bits)(x);
    RV(f) k = __builtin_convertvector((RV(i))((RV(u))b >> 23) - RV(ci)(127), RV(f));
    RV(f) m = RV(from_bits)((b & RV(ci)(0x007fffff)) | RV(ci)(0x3f800000));
    RV(f) big = RV(gt)(m, RV(c)(1.41421356f));
    m = RV(sel)(big, m * RV(c)(0.5f), m);
    k = RV(sel)(big, k + RV(c)(1.0f), k);
    RV(f) f = m - RV(c)(1.0f), z = f * f;
    RV(f) p = RV(c)(RF_LP8);
    p = RV(fma)(p, f, RV(c)(RF_LP7)); p = RV(fma)(p, f, RV(c)(RF_LP6));
    p = RV(fma)(p, f, RV(c)(RF_LP5)); p = RV(fma)(p, f, RV(c)(RF_LP4));
    p = RV(fma)(p, f, RV(c)(RF_LP3)); p = RV(fma)(p, f, RV(c)(RF_LP2));
    p = RV(fma)(p, f, RV(c)(RF_LP1)); p = RV(fma)(p, f, RV(c)(RF_LP0));
    RV(f) y = (p * f) * z;
    y = RV(fma)(k, RV(c)(RF_LN2LO), y);
    y = RV(fma)(RV(c)(-0.5f), z, y);
    RV(f) r = RV(fma)(k, RV(c)(RF_LN2HI), f + y);
    return RV(sel)(RV(lt)(x, RV(c)(INFINITY)), r, x);  // +inf and NaN pass through
}

/// RV(exp) after its clamp (xc in [RF_EXP_LO, RF_EXP_HI] or NaN).
RV_ATTR RV(f) RV(exp_clamped)(RV(f) xc) {
    RV(f) k = __builtin_elementwise_roundeven(xc * RV(c)(RF_LOG2E));
    RV(f) r = RV(fma)(k, RV(c)(-RF_LN2HI), xc);
    r = RV(fma)(k, RV(c)(-RF_LN2LO), r);
    RV(f) q = RV(c)(RF_EQ5);
    q = RV(fma)(q, r, RV(c)(RF_EQ4)); q = RV(fma)(q, r, RV(c)(RF_EQ3));
    q = RV(fma)(q, r, RV(c)(RF_EQ2)); q = RV(fma)(q, r, RV(c)(RF_EQ1));
    q = RV(fma)(q, r, RV(c)(RF_EQ0));
    RV(f) y = RV(fma)(q, r * r, r) + RV(c)(1.0f);
    // k1 = trunc(k / 2) as the scalar path's integer division, k2 = k − k1 (y is NaN in NaN lanes)
    RV(i) ki = __builtin_convertvector(RV(sel)((RV(f))(k == k), k, RV(c)(0.0f)), RV(i));  // NaN lanes: 0
    RV(i) k1 = (ki + (RV(i))((RV(u))ki >> 31)) >> 1;
    RV(i) k2 = ki - k1;
    RV(f) p1 = RV(from_bits)((k1 + RV(ci)(127)) << 23);
    RV(f) p2 = RV(from_bits)((k2 + RV(ci)(127)) << 23);
    return (y * p1) * p2;
}

RV_ATTR RV(f) RV(exp)(RV(f) x) {
    // the clamp keeps NaN (each select takes x when the comparison with NaN is false)
    RV(f) xc = RV(sel)(RV(lt)(x, RV(c)(RF_EXP_LO)), RV(c)(RF_EXP_LO), x);
    return RV(exp_clamped)(RV(sel)(RV(gt)(xc, RV(c)(RF_EXP_HI)), RV(c)(RF_EXP_HI), xc));
}

/// RV(exp) of an argument ≤ 0 or NaN (the upper clamp is then a no-op, so the bits are RV(exp)'s).
RV_ATTR RV(f) RV(exp_nonpos)(RV(f) x) {
    return RV(exp_clamped)(RV(sel)(RV(lt)(x, RV(c)(RF_EXP_LO)), RV(c)(RF_EXP_LO), x));
}

