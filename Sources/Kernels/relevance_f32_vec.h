// The vector form of the real KL chain of relevance_f32.c (kl_real_f32_scalar explains it),
// written once over the W-lane float helpers of vmathf_vec.h and instantiated per tier:
//
//   #define KV_W     lanes (8 or 16; a multiple of 8)   #define RV(x)  the helpers of that width
//   #define KV_ATTR  the tier's target attribute         #define KV_NAME the function to define
//   #include "relevance_f32_vec.h"           (relevance_vec_tiers.h does this for each tier)
//
// Same operations in the same order as the scalar chain. The value sums go to 8 double lanes, an
// element i to lane i mod 8 and in increasing i, as in the scalar run, so the sums have its bits too.

/// x where w > 0, −x where w < 0, and w·0 (a signed zero or NaN) elsewhere: sign(w)·x as the scalar code takes it.
KV_ATTR static inline __attribute__((always_inline)) RV(f) RV(signed_by)(RV(f) w, RV(f) x) {
    const RV(f) zero = RV(c)(0.0f);
    return RV(sel)(RV(gt)(w, zero), x, RV(sel)(RV(lt)(w, zero), RV(neg)(x), w * zero));
}

typedef double RV(acc8) __attribute__((vector_size(64), aligned(64)));
typedef float RV(f8) __attribute__((vector_size(32), aligned(4)));

/// Adds the W values to the 8 lane sums, 8 at a time in element order, each widened to double.
KV_ATTR static inline __attribute__((always_inline)) void RV(accumulate)(RV(acc8) *acc, RV(f) val) {
    float v[KV_W] __attribute__((aligned(64)));
    RV(store)(v, val);
    for (int h = 0; h < KV_W; h += 8) *acc = *acc + __builtin_convertvector(*(const RV(f8) *)(v + h), RV(acc8));
}

KV_ATTR static void KV_NAME(wt_kl_prior prior, const float *ls, const float *w, float *value, float *d_ls,
                            float *d_w, ptrdiff_t n, float scale, double *acc) {
    const int vd = prior == WT_KL_REAL_VD, grad = d_ls != NULL && d_w != NULL;
    const RV(f) zero = RV(c)(0.0f), one = RV(c)(1.0f), half = RV(c)(0.5f), twenty = RV(c)(20.0f);
    const RV(f) vscale = RV(c)(scale);
    RV(acc8) sums = {0, 0, 0, 0, 0, 0, 0, 0};
    ptrdiff_t i = 0;
    for (; i + KV_W <= n; i += KV_W) {
        RV(f) wi = RV(load)(w + i);
        RV(f) t = RV(abs)(wi) + RV(c)(RF_EPS);
        if (!vd) {
            RV(f) el = RV(exp)(RV(neg)(RV(load)(ls + i)));
            RV(f) te = t * el, q = te * t;
            if (RV(all)(RV(lt)(q, RV(c)(RF_ARD_QMAX)))) {
                RV(f) u = one + q, inv = one / u;
                RV(f) l1p = RV(log)(u) + (q - (u - one)) * inv;
                RV(f) val = half * l1p;
                if (value) RV(store)(value + i, val);
                if (acc) RV(accumulate)(&sums, val);
                if (grad) {
                    RV(f) dl = RV(neg)(half * (q * inv));
                    RV(store)(d_ls + i, dl * vscale);
                    RV(store)(d_w + i, RV(signed_by)(wi, te * inv) * vscale);
                }
                continue;
            }
            // Some lane needs the general chain: these W go through the portable code, 8 at a time,
            // which picks per element; their values join the lane sums in the scalar run's order.
            for (int h = 0; h < KV_W; h += 8) {
                double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                kl_real_f32_scalar(prior, ls + i + h, w + i + h, value ? value + i + h : NULL,
                                   grad ? d_ls + i + h : NULL, grad ? d_w + i + h : NULL, 8, scale, acc ? part : NULL);
                if (acc) sums = sums + *(const RV(acc8) *)part;
            }
            continue;
        }
        RV(f) nn = RV(c)(2.0f) * RV(log)(t) - RV(load)(ls + i);
        RV(f) e = RV(exp)(RV(neg)(RV(abs)(nn)));
        RV(f) ope = one + e, inv = one / ope;
        RV(f) l1p = RV(log)(ope) + (e - (ope - one)) * inv;
        RV(f) over = RV(gt)(nn, twenty);
        RV(f) pos = RV(gt)(nn, zero);
        RV(f) sp = RV(sel)(over, nn, RV(sel)(pos, nn, zero) + l1p);
        RV(f) nonneg = RV(ge)(nn, zero);
        RV(f) dsp = RV(sel)(over, one, RV(sel)(nonneg, one, e) * inv);
        RV(f) val = half * sp;
        RV(f) da = RV(neg)(half * dsp);
        if (vd) {
            RV(f) u = RV(c)(RF_K3) * nn - RV(c)(RF_K2);
            RV(f) e2 = RV(exp)(RV(neg)(RV(abs)(u)));
            RV(f) inv2 = one / (one + e2);
            RV(f) s = RV(sel)(RV(ge)(u, zero), one, e2) * inv2;
            val = val + RV(c)(RF_K1) * s;
            RV(f) ds = (e2 * inv2) * inv2;
            da = RV(neg)(half * dsp + RV(c)(RF_K1) * (RV(c)(RF_K3) * ds));
        }
        if (value) RV(store)(value + i, val);
        if (acc) RV(accumulate)(&sums, val);
        if (grad) {
            RV(f) q = RV(signed_by)(wi, one / t);
            RV(store)(d_ls + i, da * vscale);
            RV(store)(d_w + i, ((RV(c)(-2.0f) * da) * q) * vscale);
        }
    }
    if (acc)
        for (int l = 0; l < 8; l++) acc[l] += sums[l];
    if (i < n)  // i is a multiple of 8: the tail's element j lands in acc[j mod 8] as in the scalar run
        kl_real_f32_scalar(prior, ls + i, w + i, value ? value + i : NULL, grad ? d_ls + i : NULL, grad ? d_w + i : NULL,
                           n - i, scale, acc);
}
