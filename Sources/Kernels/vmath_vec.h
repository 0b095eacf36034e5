// The vector forms of the vmath_core.h functions (exp, log, log1p, sigmoid, softplus, log-sigmoid,
// tanh and their building blocks), written once over a vector-extension type of W doubles and
// instantiated per tier by vmath_core.h:
//
//   #define VV_W       lanes (4: AVX2 ymm, 8: AVX-512 zmm)
//   #define VV(x)      the name of the instantiation of x (vm4_x, vm8_x)
//   #define VV_ATTR    always_inline + the tier's target attribute
//   #include "vmath_vec.h"
//
// Every operation is lane-wise and written out explicitly (fused multiply-adds where the formula
// has them, nothing contracted by the compiler), so every tier computes the same bits per element.
// Lane masks are integer vectors of all-ones / zero (what a vector comparison yields).
#pragma STDC FP_CONTRACT OFF

typedef double VV(d) __attribute__((vector_size(VV_W * 8), aligned(VV_W * 8)));
typedef long long VV(i) __attribute__((vector_size(VV_W * 8), aligned(VV_W * 8)));
typedef float VV(f) __attribute__((vector_size(VV_W * 4), aligned(4)));
typedef double VV(ud) __attribute__((vector_size(VV_W * 8), aligned(8)));

VV_ATTR VV(d) VV(c)(double v) { return v - (VV(d)){0}; }  // splat (v − (+0) = v, also for −0)
VV_ATTR VV(i) VV(ci)(long long v) { return v - (VV(i)){0}; }
VV_ATTR VV(i) VV(bits)(VV(d) x) { return (VV(i))x; }
VV_ATTR VV(d) VV(from_bits)(VV(i) x) { return (VV(d))x; }
/// m ? b : a per lane (the operand order of blendv).
VV_ATTR VV(d) VV(blend)(VV(d) a, VV(d) b, VV(i) m) { return VV(from_bits)((VV(bits)(b) & m) | (VV(bits)(a) & ~m)); }
VV_ATTR VV(d) VV(fma)(VV(d) a, VV(d) b, VV(d) c) { return __builtin_elementwise_fma(a, b, c); }
/// x < y ? x : y, and x > y ? x : y (the second operand when either is NaN, like minpd/maxpd).
VV_ATTR VV(d) VV(min)(VV(d) x, VV(d) y) { return VV(blend)(y, x, (VV(i))(x < y)); }
VV_ATTR VV(d) VV(max)(VV(d) x, VV(d) y) { return VV(blend)(y, x, (VV(i))(x > y)); }
VV_ATTR VV(i) VV(isnan)(VV(d) x) { return (VV(i))(x != x); }
VV_ATTR VV(d) VV(abs)(VV(d) x) { return VV(from_bits)(VV(bits)(x) & ~VV(bits)(VV(c)(-0.0))); }
VV_ATTR VV(d) VV(neg_abs)(VV(d) x) { return VV(from_bits)(VV(bits)(x) | VV(bits)(VV(c)(-0.0))); }

VV_ATTR VV(d) VV(horner)(const double *c, int n, VV(d) t) {
    VV(d) p = VV(c)(c[n - 1]);
    for (int i = n - 2; i >= 0; i--) p = VV(fma)(p, t, VV(c)(c[i]));
    return p;
}

/// The integer value of kd (|kd| < 2⁵¹, integral) as a 64-bit lane.
VV_ATTR VV(i) VV(to_int)(VV(d) kd) { return VV(bits)(kd + VV(c)(VM_SHIFT)) - VV(bits)(VV(c)(VM_SHIFT)); }
/// 2^k for -1022 <= k <= 1023.
VV_ATTR VV(d) VV(pow2i)(VV(i) k) { return VV(from_bits)((k + VV(ci)(1023)) << 52); }
/// v · 2^k with one rounding (see vm_scale).
VV_ATTR VV(d) VV(scale)(VV(d) v, VV(i) k) {
    VV(i) k1 = k >> 1;
    return v * VV(pow2i)(k1) * VV(pow2i)(k - k1);
}

/// VV(expm1_reduced) for x already in [−1400, 1400] (other lanes give unspecified values).
VV_ATTR VV(d) VV(expm1_reduced_inrange)(VV(d) x, VV(i) *k) {
    VV(d) kd = __builtin_elementwise_roundeven(x * VV(c)(VM_LOG2E));
    VV(d) r = VV(fma)(-kd, VV(c)(VM_LN2HI), x);
    r = VV(fma)(-kd, VV(c)(VM_LN2LO), r);
    *k = VV(to_int)(kd);
    return VV(fma)(r * r, VV(horner)(vm_exp_c, 11, r), r);
}

/// q = e^r − 1 and k with e^x = 2^k (1 + q), x clamped to [−1400, 1400] (see vm_expm1_reduced).
VV_ATTR VV(d) VV(expm1_reduced)(VV(d) x, VV(i) *k) {
    return VV(expm1_reduced_inrange)(VV(min)(VV(max)(x, VV(c)(-1400.0)), VV(c)(1400.0)), k);
}

VV_ATTR VV(d) VV(exp)(VV(d) x) {
    VV(i) k;
    VV(d) q = VV(expm1_reduced)(x, &k);
    VV(d) y = VV(scale)(VV(c)(1.0) + q, k);
    return VV(blend)(y, x + x, VV(isnan)(x));
}

/// The vector form of vm_expf_d (NaN lanes pass through as x + x).
VV_ATTR VV(d) VV(expf_d)(VV(d) x) {
    VV(d) xc = VV(min)(VV(max)(x, VV(c)(-104.0)), VV(c)(104.0));
    VV(d) kd = __builtin_elementwise_roundeven(xc * VV(c)(VM_LOG2E));
    VV(d) r = VV(fma)(-kd, VV(c)(VM_LN2HI), xc);
    r = VV(fma)(-kd, VV(c)(VM_LN2LO), r);
    VV(d) y = VV(horner)(vm_expf_c, 10, r) * VV(pow2i)(VV(to_int)(kd));
    return VV(blend)(y, x + x, VV(isnan)(x));
}

/// log(x) for finite x > 0 (subnormals included); see vm_log_pos.
VV_ATTR VV(d) VV(log_pos)(VV(d) x) {
    VV(i) ix = VV(bits)(x);
    VV(i) sub = (VV(i))(VV(ci)(0x0010000000000000LL) > ix);
    ix = (VV(bits)(x * VV(c)(0x1p54)) & sub) | (ix & ~sub);
    VV(i) kadj = sub & VV(ci)(-54);
    ix = ix + VV(ci)((long long)(0x3ff0000000000000ULL - VM_SQRTH_BITS));
    VV(i) k = (VV(i))((unsigned long long __attribute__((vector_size(VV_W * 8))))ix >> 52) + (kadj + VV(ci)(-1023));
    VV(d) kd = VV(from_bits)(k + VV(bits)(VV(c)(VM_SHIFT))) - VV(c)(VM_SHIFT);
    VV(i) mb = (ix & VV(ci)(0x000fffffffffffffLL)) + VV(ci)((long long)VM_SQRTH_BITS);
    VV(d) f = VV(from_bits)(mb) - VV(c)(1.0);
    VV(d) s = f / (VV(c)(2.0) + f);
    VV(d) z = s * s;
    VV(d) hfsq = VV(c)(0.5) * (f * f);
    VV(d) r = z * VV(horner)(vm_log_c, 8, z);
    VV(d) inner = VV(fma)(s, hfsq + r, kd * VV(c)(VM_LN2LO));
    return VV(fma)(kd, VV(c)(VM_LN2HI), f - (hfsq - inner));
}

VV_ATTR VV(d) VV(log)(VV(d) x) {
    VV(d) zero = VV(c)(0.0);
    VV(d) y = VV(log_pos)(x);
    y = VV(blend)(y, VV(c)(-INFINITY), (VV(i))(x == zero));
    y = VV(blend)(y, VV(c)(NAN), (VV(i))(x < zero));
    y = VV(blend)(y, x, (VV(i))(x == VV(c)(INFINITY)));
    return VV(blend)(y, x + x, VV(isnan)(x));
}

VV_ATTR VV(d) VV(log1p)(VV(d) x) {
    VV(d) one = VV(c)(1.0);
    VV(d) u = one + x;
    VV(d) c = VV(blend)(x - (u - one), one - (u - x), (VV(i))(x > one));
    VV(d) y = VV(log_pos)(u) + c / u;
    y = VV(blend)(y, x, (VV(i))(VV(abs)(x) < VV(c)(0x1p-54)));
    y = VV(blend)(y, VV(c)(-INFINITY), (VV(i))(x == VV(c)(-1.0)));
    y = VV(blend)(y, VV(c)(NAN), (VV(i))(x < VV(c)(-1.0)));
    y = VV(blend)(y, x, (VV(i))(x == VV(c)(INFINITY)));
    return VV(blend)(y, x + x, VV(isnan)(x));
}

VV_ATTR VV(d) VV(sigmoid)(VV(d) x) {
    VV(d) e = VV(exp)(VV(neg_abs)(x));
    VV(d) num = VV(blend)(VV(c)(1.0), e, (VV(i))(x < VV(c)(0.0)));
    VV(d) y = num / (VV(c)(1.0) + e);
    return VV(blend)(y, x + x, VV(isnan)(x));
}

VV_ATTR VV(d) VV(softplus)(VV(d) x) {
    VV(d) l = VV(log1p)(VV(exp)(VV(neg_abs)(x)));
    VV(d) y = VV(max)(x, VV(c)(0.0)) + l;
    return VV(blend)(y, x + x, VV(isnan)(x));
}

VV_ATTR VV(d) VV(log_sigmoid)(VV(d) x) {
    VV(d) l = VV(log1p)(VV(exp)(VV(neg_abs)(x)));
    VV(d) y = VV(min)(x, VV(c)(0.0)) - l;
    return VV(blend)(y, x + x, VV(isnan)(x));
}

VV_ATTR VV(d) VV(tanh)(VV(d) x) {
    VV(d) ax = VV(abs)(x);
    VV(d) u = VV(c)(2.0) * VV(min)(ax, VV(c)(22.0));
    VV(i) k;
    VV(d) q = VV(expm1_reduced)(u, &k);
    VV(d) t = VV(pow2i)(k);
    VV(d) em1 = VV(fma)(t, q, t - VV(c)(1.0));
    VV(d) y = em1 / (em1 + VV(c)(2.0));
    y = VV(blend)(y, ax, (VV(i))(ax < VV(c)(0x1p-28)));
    y = VV(from_bits)(VV(bits)(y) | (VV(bits)(x) & VV(bits)(VV(c)(-0.0))));
    return VV(blend)(y, x + x, VV(isnan)(x));
}

#pragma STDC FP_CONTRACT DEFAULT
