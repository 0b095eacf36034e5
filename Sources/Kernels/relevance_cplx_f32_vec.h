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

/// The head of the chain for W elements: the modulus, a = log σ² − 2·log t and the exponentials
/// (ARD: x = e^(−|n|) with n = −a; VD: x = e^(−a) = 1/α and ex = e^(−x)).
typedef struct {
    RV(f) r, q, m, t, a, x, ex;
} RV(chead);

KV_ATTR static inline __attribute__((always_inline)) RV(chead) RV(cfirst)(wt_kl_prior prior, RV(f) r, RV(f) q, RV(f) lsi) {
    RV(chead) h;
    h.r = r;
    h.q = q;
    RV(cd) rd = __builtin_convertvector(r, RV(cd)), qd = __builtin_convertvector(q, RV(cd));
    h.m = __builtin_convertvector(__builtin_elementwise_sqrt(rd * rd + qd * qd), RV(f));
    h.t = h.m + RV(c)(RC_EPS);
    h.a = lsi - RV(c)(2.0f) * RV(log)(h.t);
    if (prior == WT_KL_CPLX_ARD) {
        h.x = RV(exp)(RV(neg)(RV(abs)(RV(neg)(h.a))));
        h.ex = h.x;
    } else {
        h.x = RV(exp)(RV(neg)(h.a));
        h.ex = RV(exp)(RV(neg)(h.x));
    }
    return h;
}

/// The rest of the chain for the W elements at i, from their head: values (stored, summed) and
/// derivatives, in the scalar chain's order.
KV_ATTR static inline __attribute__((always_inline)) void RV(crest)(RV(chead) h, wt_kl_prior prior, float *value, float *d_ls,
                                                                    float *d_re, float *d_im, ptrdiff_t i, int grad,
                                                                    RV(f) vscale, int acc, RV(cacc8) *sums) {
    const RV(f) zero = RV(c)(0.0f), one = RV(c)(1.0f);
    RV(f) a = h.a, val, da;
    if (prior == WT_KL_CPLX_ARD) {
        RV(f) nn = RV(neg)(a);
        RV(f) e = h.x;
        RV(f) ope = one + e, inv = one / ope;
        RV(f) l1p = RV(log)(ope) + (e - (ope - one)) * inv;
        RV(f) over = RV(gt)(nn, RV(c)(20.0f));
        val = RV(sel)(over, nn, RV(sel)(RV(gt)(nn, zero), nn, zero) + l1p);
        RV(f) dsp = RV(sel)(over, one, RV(sel)(RV(ge)(nn, zero), one, e) * inv);
        da = RV(neg)(dsp);
    } else {
        RV(f) x = h.x, ex = h.ex;
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
        for (int k = 0; k < KV_W; k += 8) *sums = *sums + __builtin_convertvector(*(const RV(cf8) *)(v + k), RV(cacc8));
    }
    if (grad) {
        RV(f) m = h.m;
        RV(f) pos = RV(gt)(m, zero), isZero = (RV(f))(m == zero);
        RV(f) cr = RV(sel)(pos, h.r / m, RV(sel)(isZero, zero, m));
        RV(f) ci = RV(sel)(pos, h.q / m, RV(sel)(isZero, zero, m));
        RV(f) f = (RV(c)(-2.0f) * da) * (one / h.t);
        RV(store)(d_ls + i, da * vscale);
        RV(store)(d_re + i, (f * cr) * vscale);
        RV(store)(d_im + i, (f * ci) * vscale);
    }
}

KV_ATTR static void KV_NAME(wt_kl_prior prior, const float *ls, const float *re, const float *im, float *value,
                            float *d_ls, float *d_re, float *d_im, ptrdiff_t n, float scale, double *acc) {
    const int grad = d_ls != NULL && d_re != NULL && d_im != NULL;
    const RV(f) vscale = RV(c)(scale);
    RV(cacc8) sums = {0, 0, 0, 0, 0, 0, 0, 0};
    ptrdiff_t i = 0;
    // Software-pipelined over blocks of W, as the real chain (relevance_f32_vec.h): the head of the
    // next block and the rest of the current one in each step; blocks finish in order.
    if (n >= KV_W) {
        RV(chead) h = RV(cfirst)(prior, RV(load)(re), RV(load)(im), RV(load)(ls));
        for (; i + 2 * KV_W <= n; i += KV_W) {
            RV(chead) next = RV(cfirst)(prior, RV(load)(re + i + KV_W), RV(load)(im + i + KV_W), RV(load)(ls + i + KV_W));
            RV(crest)(h, prior, value, d_ls, d_re, d_im, i, grad, vscale, acc != NULL, &sums);
            h = next;
        }
        RV(crest)(h, prior, value, d_ls, d_re, d_im, i, grad, vscale, acc != NULL, &sums);
        i += KV_W;
    }
    if (acc)
        for (int l = 0; l < 8; l++) acc[l] += sums[l];
    if (i < n)  // i is a multiple of 8, so the tail's accumulator lanes line up with the scalar run
        kl_cplx_f32_scalar(prior, ls + i, re + i, im + i, value ? value + i : NULL, grad ? d_ls + i : NULL,
                           grad ? d_re + i : NULL, grad ? d_im + i : NULL, n - i, scale, acc);
}
