// The vector form of the complex KL chain of relevance_cplx_f32.c (kl_cplx_f32_scalar explains
// it), written once over the W-lane float helpers of vmathf_vec.h and instantiated per tier:
//
//   #define KV_W     lanes (8 or 16; a multiple of 8)   #define RV(x)  the helpers of that width
//   #define KV_ATTR  the tier's target attribute         #define KV_NAME the function to define
//   #include "relevance_cplx_f32_vec.h"      (relevance_vec_tiers.h does this for each tier)
//
// Same operations in the same order as the scalar chain (|w| in double, rounded once); the value
// sums go to 8 double lanes in element order, as in the scalar run.

typedef double RV(cd) __attribute__((vector_size(KV_W * 8), aligned(KV_W * 8)));
typedef double RV(cacc8) __attribute__((vector_size(64), aligned(64)));
typedef float RV(cf8) __attribute__((vector_size(32), aligned(4)));

KV_ATTR static inline __attribute__((always_inline)) RV(f) RV(chorner)(const float *c, int n, RV(f) x) {
    RV(f) p = RV(c)(c[n - 1]);
    for (int i = n - 2; i >= 0; i--) p = RV(fma)(p, x, RV(c)(c[i]));
    return p;
}

KV_ATTR static void KV_NAME(wt_kl_prior prior, const float *ls, const float *re, const float *im, float *value,
                            float *d_ls, float *d_re, float *d_im, ptrdiff_t n, float scale, double *acc) {
    const int grad = d_ls != NULL && d_re != NULL && d_im != NULL;
    const RV(f) zero = RV(c)(0.0f), one = RV(c)(1.0f), vscale = RV(c)(scale);
    RV(cacc8) sums = {0, 0, 0, 0, 0, 0, 0, 0};
    ptrdiff_t i = 0;
    for (; i + KV_W <= n; i += KV_W) {
        RV(f) r = RV(load)(re + i), q = RV(load)(im + i);
        RV(cd) rd = __builtin_convertvector(r, RV(cd)), qd = __builtin_convertvector(q, RV(cd));
        RV(f) m = __builtin_convertvector(__builtin_elementwise_sqrt(rd * rd + qd * qd), RV(f));
        RV(f) t = m + RV(c)(RC_EPS);
        RV(f) a = RV(load)(ls + i) - RV(c)(2.0f) * RV(log)(t);
        RV(f) val, da;
        if (prior == WT_KL_CPLX_ARD) {
            RV(f) nn = RV(neg)(a);
            RV(f) e = RV(exp)(RV(neg)(RV(abs)(nn)));
            RV(f) ope = one + e, inv = one / ope;
            RV(f) l1p = RV(log)(ope) + (e - (ope - one)) * inv;
            RV(f) over = RV(gt)(nn, RV(c)(20.0f));
            val = RV(sel)(over, nn, RV(sel)(RV(gt)(nn, zero), nn, zero) + l1p);
            RV(f) dsp = RV(sel)(over, one, RV(sel)(RV(ge)(nn, zero), one, e) * inv);
            da = RV(neg)(dsp);
        } else {
            RV(f) x = RV(exp)(RV(neg)(a));
            RV(f) ex = RV(exp)(RV(neg)(x));
            RV(f) series = x * RV(chorner)(rc_series, 15, x);
            RV(f) ix = one / x;
            RV(f) u = RV(c)(4.0f) * ix - one;
            RV(f) tail = (RV(c)(RC_GAMMA) - a) + (ex * ix) * RV(chorner)(rc_e1, 10, u);
            val = prior == WT_KL_CPLX_VD_BOGUS ? RV(neg)(a) : RV(sel)(RV(lt)(x, RV(c)(2.0f)), series, tail);
            RV(f) small = RV(neg)(x) * RV(chorner)(rc_expm1, 10, x);
            da = RV(sel)(RV(lt)(x, RV(c)(0.5f)), small, ex - one);
        }
        if (value) RV(store)(value + i, val);
        if (acc) {
            float v[KV_W] __attribute__((aligned(64)));
            RV(store)(v, val);
            for (int h = 0; h < KV_W; h += 8) sums = sums + __builtin_convertvector(*(const RV(cf8) *)(v + h), RV(cacc8));
        }
        if (grad) {
            RV(f) pos = RV(gt)(m, zero), isZero = (RV(f))(m == zero);
            RV(f) cr = RV(sel)(pos, r / m, RV(sel)(isZero, zero, m));
            RV(f) ci = RV(sel)(pos, q / m, RV(sel)(isZero, zero, m));
            RV(f) f = (RV(c)(-2.0f) * da) * (one / t);
            RV(store)(d_ls + i, da * vscale);
            RV(store)(d_re + i, (f * cr) * vscale);
            RV(store)(d_im + i, (f * ci) * vscale);
        }
    }
    if (acc)
        for (int l = 0; l < 8; l++) acc[l] += sums[l];
    if (i < n)  // i is a multiple of 8, so the tail's accumulator lanes line up with the scalar run
        kl_cplx_f32_scalar(prior, ls + i, re + i, im + i, value ? value + i : NULL, grad ? d_ls + i : NULL,
                           grad ? d_re + i : NULL, grad ? d_im + i : NULL, n - i, scale, acc);
}
