// The vector forms of the complex modulus kernels (|z| and its pullback over split real/imaginary
// buffers), written once over a vector-extension type of W doubles and instantiated per tier by
// complex.c:
//
//   #define CV_W       lanes (4: AVX2 ymm, 8: AVX-512 zmm)
//   #define CV(x)      the name of the instantiation of x
//   #define CV_ATTR    the tier's target attribute
//   #include "complex_vec.h"
//
// Per lane: |z| = sqrt(fma(x, x, y·y)) and the pullback (g·x)/|z|, (g·y)/|z| (0 where |z| = 0), float
// inputs widened to double and the results rounded once to float. A lane outside the safe range
// (|x|, |y| above 2⁵⁰⁰, nonzero below 2⁻⁵⁰⁰, NaN or inf; for float inputs only inf and NaN) is
// recomputed by the scalar wt_modulus / cx_grad (libm hypot). Every element's bits depend on that
// element alone, so every vector tier computes the same bits.
#pragma STDC FP_CONTRACT OFF

typedef double CV(d) __attribute__((vector_size(CV_W * 8), aligned(8)));
typedef long long CV(i) __attribute__((vector_size(CV_W * 8), aligned(8)));
typedef float CV(f) __attribute__((vector_size(CV_W * 4), aligned(4)));

#define CV_INLINE CV_ATTR __attribute__((always_inline)) static inline

CV_INLINE CV(d) CV(c)(double v) { return v - (CV(d)){0}; }  // splat
CV_INLINE CV(d) CV(abs_lanes)(CV(d) x) { return (CV(d))((CV(i))x & ~(CV(i))CV(c)(-0.0)); }

/// The lanes of a double pair in the safe range of the direct formula (all ones) — the condition of
/// wt_modulus's direct branch.
CV_INLINE CV(i) CV(safe_d)(CV(d) x, CV(d) y) {
    CV(d) ax = CV(abs_lanes)(x), ay = CV(abs_lanes)(y), hi = CV(c)(CX_HI), lo = CV(c)(CX_LO), z = CV(c)(0);
    return (ax <= hi) & (ay <= hi) & ((ax >= lo) | (ay >= lo) | ((ax == z) & (ay == z)));
}

/// The finite lanes of a widened float pair (the squares of finite floats never overflow or
/// underflow in double, so these are exactly the lanes wt_modulus computes directly).
CV_INLINE CV(i) CV(safe_f)(CV(d) x, CV(d) y) {
    CV(d) fmax = CV(c)(0x1.fffffep127);
    return (CV(abs_lanes)(x) <= fmax) & (CV(abs_lanes)(y) <= fmax);
}

CV_INLINE CV(d) CV(mod)(CV(d) x, CV(d) y) {
    return __builtin_elementwise_sqrt(__builtin_elementwise_fma(x, x, y * y));
}

/// g·x/m and g·y/m with 0 where m = 0.
CV_INLINE void CV(grad)(CV(d) x, CV(d) y, CV(d) g, CV(d) *gx, CV(d) *gy) {
    CV(d) m = CV(mod)(x, y);
    CV(i) nonzero = m != CV(c)(0);
    *gx = (CV(d))((CV(i))((g * x) / m) & nonzero);
    *gy = (CV(d))((CV(i))((g * y) / m) & nonzero);
}

// One group of W elements per kernel: the vector formula on every lane, then the scalar fallback
// on the lanes outside the safe range. Each element's result depends on that element only (never
// on its neighbours), so the vector width does not change a bit. The last n mod W elements go
// through the same group, read from and written to a zero-padded copy.

CV_INLINE void CV(group_d)(const double *re, const double *im, double *y) {
    CV(d) a = *(const CV(d) *)re, b = *(const CV(d) *)im;
    CV(i) ok = CV(safe_d)(a, b);
    *(CV(d) *)y = CV(mod)(a, b);
    if (!__builtin_reduce_and(ok))
        for (int k = 0; k < CV_W; k++) if (!ok[k]) y[k] = wt_modulus(re[k], im[k]);
}

CV_INLINE void CV(group_f)(const float *re, const float *im, float *y) {
    CV(d) a = __builtin_convertvector(*(const CV(f) *)re, CV(d));
    CV(d) b = __builtin_convertvector(*(const CV(f) *)im, CV(d));
    CV(i) ok = CV(safe_f)(a, b);
    *(CV(f) *)y = __builtin_convertvector(CV(mod)(a, b), CV(f));
    if (!__builtin_reduce_and(ok))
        for (int k = 0; k < CV_W; k++) if (!ok[k]) y[k] = (float)wt_modulus((double)re[k], (double)im[k]);
}

CV_INLINE void CV(group_grad_d)(const double *re, const double *im, const double *g, double *gre, double *gim) {
    CV(d) a = *(const CV(d) *)re, b = *(const CV(d) *)im, ga, gb;
    CV(i) ok = CV(safe_d)(a, b);
    CV(grad)(a, b, *(const CV(d) *)g, &ga, &gb);
    *(CV(d) *)gre = ga;
    *(CV(d) *)gim = gb;
    if (!__builtin_reduce_and(ok))
        for (int k = 0; k < CV_W; k++) if (!ok[k]) cx_grad(re[k], im[k], g[k], gre + k, gim + k);
}

CV_INLINE void CV(group_grad_f)(const float *re, const float *im, const float *g, float *gre, float *gim) {
    CV(d) a = __builtin_convertvector(*(const CV(f) *)re, CV(d));
    CV(d) b = __builtin_convertvector(*(const CV(f) *)im, CV(d)), ga, gb;
    CV(i) ok = CV(safe_f)(a, b);
    CV(grad)(a, b, __builtin_convertvector(*(const CV(f) *)g, CV(d)), &ga, &gb);
    *(CV(f) *)gre = __builtin_convertvector(ga, CV(f));
    *(CV(f) *)gim = __builtin_convertvector(gb, CV(f));
    if (!__builtin_reduce_and(ok))
        for (int k = 0; k < CV_W; k++) if (!ok[k]) cx_grad_f(re[k], im[k], g[k], gre + k, gim + k);
}

// The array kernels, written once over the element type T: whole groups of W elements, then the
// last n mod W through a zero-padded copy.
#define CV_CABS(NAME, GROUP, T)                                                                      \
    CV_ATTR static void CV(NAME)(const T *re, const T *im, T *y, ptrdiff_t n) {                      \
        ptrdiff_t i = 0;                                                                             \
        for (; i + CV_W <= n; i += CV_W) CV(GROUP)(re + i, im + i, y + i);                           \
        if (i == n) return;                                                                          \
        T r[CV_W] = {0}, m[CV_W] = {0}, o[CV_W];                                                     \
        for (ptrdiff_t k = i; k < n; k++) { r[k - i] = re[k]; m[k - i] = im[k]; }                    \
        CV(GROUP)(r, m, o);                                                                          \
        for (ptrdiff_t k = i; k < n; k++) y[k] = o[k - i];                                           \
    }
#define CV_CABS_GRAD(NAME, GROUP, T)                                                                 \
    CV_ATTR static void CV(NAME)(const T *re, const T *im, const T *g, T *gre, T *gim, ptrdiff_t n) { \
        ptrdiff_t i = 0;                                                                             \
        for (; i + CV_W <= n; i += CV_W) CV(GROUP)(re + i, im + i, g + i, gre + i, gim + i);         \
        if (i == n) return;                                                                          \
        T r[CV_W] = {0}, m[CV_W] = {0}, h[CV_W] = {0}, oa[CV_W], ob[CV_W];                           \
        for (ptrdiff_t k = i; k < n; k++) { r[k - i] = re[k]; m[k - i] = im[k]; h[k - i] = g[k]; }   \
        CV(GROUP)(r, m, h, oa, ob);                                                                  \
        for (ptrdiff_t k = i; k < n; k++) { gre[k] = oa[k - i]; gim[k] = ob[k - i]; }                \
    }
CV_CABS(cabs_d, group_d, double)
CV_CABS(cabs_f, group_f, float)
CV_CABS_GRAD(cabs_grad_d, group_grad_d, double)
CV_CABS_GRAD(cabs_grad_f, group_grad_f, float)
#undef CV_CABS
#undef CV_CABS_GRAD
#undef CV_INLINE
