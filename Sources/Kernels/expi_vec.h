// The vector form of ei_eval (expi.c), written once over the W-lane helpers of vmath_vec.h and
// instantiated per tier by expi.c:
//
//   #define VV(x)     the vmath helpers of the width (vm4_x, vm8_x)
//   #define EV(x)     the name of x for this width (ei4_x, ei8_x); EV(columns) must exist
//   #define VV_ATTR   always_inline + the tier's target attribute
//   #include "expi_vec.h"
//
// Branch-free: every lane evaluates its piece's polynomial (the rows of the W lanes gathered into
// columns by EV(columns)) and the log and exp forms, and selects; mixed vectors are common (e.g.
// x = −1/α), and mispredictions would cost more. Same operations in the same order on every width,
// so the tiers give the same bits.
#pragma STDC FP_CONTRACT OFF

VV_ATTR VV(d) EV(eval)(VV(d) x, const double *tab, const int stride, const int ncoef, const int split0) {
    typedef VV(d) D;
    typedef VV(i) I;
    const D zero = VV(c)(0.0);
    D ax = VV(abs)(x);
    I logm = (I)(x > VV(c)(-0.25)) & (I)(x < VV(c)(0.125));
    I q = (I)((unsigned long long __attribute__((vector_size(sizeof(D)))))VV(bits)(ax) >> 50);
    I qlo = VV(ci)(EI_QLO), qhi = VV(ci)(EI_QHI);
    I below = (I)(q < qlo), above = (I)(q > qhi);
    q = (qlo & below) | (q & ~below);
    q = (qhi & above) | (q & ~above);
    I idx = q - VV(ci)(EI_QLO - 1);
    idx = idx + ((I)(x > zero) & VV(ci)(EI_NSIDE));
    idx = idx & ~logm;
    I off = idx * VV(ci)(stride);
    D col[20];
    EV(columns)(tab, off, stride, col);
    D t = x - col[0];
    D p;
    if (split0) {
        p = col[ncoef + 1];
        for (int i = ncoef; i >= 3; i--) p = VV(fma)(p, t, col[i]);
        p = col[1] + VV(fma)(p, t, col[2]);
    } else {
        p = col[ncoef];
        for (int i = ncoef - 1; i >= 1; i--) p = VV(fma)(p, t, col[i]);
    }
    D y = p;
    // root: (x − x0) P
    I rootm = (I)(x >= VV(c)(0.25)) & (I)(x < VV(c)(0.5));
    D d = (x - VV(c)(ei_x0_hi)) - VV(c)(ei_x0_lo);
    y = VV(blend)(y, p * d, rootm);
    // log: ln|x| + P
    D l = VV(log_pos)(VV(blend)(VV(c)(1.0), ax, logm)) + p;
    l = VV(blend)(l, VV(c)(-INFINITY), (I)(x == zero));
    y = VV(blend)(y, l, logm);
    // exp: e^x P, applied as e^r P 2^k
    I expm = (I)(ax >= VV(c)(4.0));
    I k;
    D em1 = VV(expm1_reduced)(x, &k);
    D v = VV(fma)(em1, p, p);
    y = VV(blend)(y, VV(scale)(v, k), expm);
    I big = (I)(ax >= VV(c)(1024.0));
    D lim = VV(blend)(VV(c)(-0.0), VV(c)(INFINITY), (I)(x > zero));
    y = VV(blend)(y, lim, big);
    return VV(blend)(y, x + x, VV(isnan)(x));
}

VV_ATTR VV(d) EV(d)(VV(d) x) { return EV(eval)(x, &ei_table_d[0][0], EI_STRIDE_D, EI_NCOEF_D, 1); }
VV_ATTR VV(d) EV(f)(VV(d) x) { return EV(eval)(x, &ei_table_f[0][0], EI_STRIDE_F, EI_NCOEF_F, 0); }

#pragma STDC FP_CONTRACT DEFAULT
