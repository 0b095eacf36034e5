// The vector form of the complex KL chain of relevance_cplx_f32.c (kl_cplx_f32_scalar explains
// it), written once over the W-lane float helpers of vmathf_vec.h and instantiated per tier:
//
//   #define KV_W     lanes (8 or 16; a multiple of 8)   #define RV(x)  the helpers of that width
//   #define KV_ATTR  the tier's target attribute         #define KV_NAME the function to define
//   #include "relevance_cplx_f32_vec.h"      (relevance_vec_tiers.h does this for each tier)
//
// Same operations in the same order as the scalar chain (each lane takes |w| in float or in double
// as the scalar element would); the value
// sums go to 8 double lanes in element order, as in the scalar run. ARD runs its short chain in
// RV(ard_chunks); VD and bogus in the six passes of KV_NAME. The branches of the VD chain
// (series or tail, short expm1 or e^(−x) − 1) are evaluated only when some lane of the block takes
// them: the selects pick the same lanes, so skipping one changes no bit.

typedef double RV(cd) __attribute__((vector_size(KV_W * 8), aligned(KV_W * 8)));
typedef double RV(cacc8) __attribute__((vector_size(64), aligned(64)));
typedef float RV(cf8) __attribute__((vector_size(32), aligned(4)));

/// Adds the W values to the 8 lane sums, 8 at a time in element order, each widened to double
/// (relevance_f32_vec.h's RV(accumulate), for this translation unit).
KV_ATTR static inline __attribute__((always_inline)) void RV(caccumulate)(RV(cacc8) *sums, RV(f) val) {
    float v[KV_W] __attribute__((aligned(64)));
    RV(store)(v, val);
    for (int h = 0; h < KV_W; h += 8) *sums = *sums + __builtin_convertvector(*(const RV(cf8) *)(v + h), RV(cacc8));
}

KV_ATTR static inline __attribute__((always_inline)) RV(f) RV(chorner)(const float *c, int n, RV(f) x) {
    RV(f) p = RV(c)(c[n - 1]);
    for (int i = n - 2; i >= 0; i--) p = RV(fma)(p, x, RV(c)(c[i]));
    return p;
}

/// The head of the VD (and bogus) chain for W elements (the weight parts, the modulus, t,
/// a = log σ² − 2·log t and the exponentials x = e^(−a) = 1/α and ex = e^(−x)), computed by the
/// first four passes of KV_NAME.
typedef struct {
    RV(f) r, q, m, t, a, x, ex;
} RV(chead);

/// The value and ∂/∂log α of the VD (or bogus) chain for W elements, from their head (a, x, ex),
/// in the scalar chain's order.
KV_ATTR static inline __attribute__((always_inline)) void RV(cvalue)(RV(chead) h, wt_kl_prior prior, RV(f) *value,
                                                                     RV(f) *deriv) {
    const RV(f) zero = RV(c)(0.0f), one = RV(c)(1.0f);
    RV(f) a = h.a, x = h.x, ex = h.ex, val;
    // Each branch is evaluated only when some lane takes it (the selects pick the same lanes).
    if (prior == WT_KL_CPLX_VD_BOGUS) {
        val = RV(neg)(a);
    } else {
        RV(f) low = RV(lt)(x, RV(c)(2.0f));
        RV(f) series = zero, tail = zero;
        if (RV(any)(low)) series = x * RV(chorner)(rc_series, 15, x);
        if (!RV(all)(low)) {
            RV(f) ix = one / x;
            RV(f) u = RV(c)(4.0f) * ix - one;
            tail = (RV(c)(RC_GAMMA) - a) + (ex * ix) * RV(chorner)(rc_e1, 10, u);
        }
        val = RV(sel)(low, series, tail);
    }
    RV(f) tiny = RV(lt)(x, RV(c)(0.5f));
    RV(f) small = zero;
    if (RV(any)(tiny)) small = RV(neg)(x) * RV(chorner)(rc_expm1, 10, x);
    *value = val;
    *deriv = RV(sel)(tiny, small, ex - one);
}

/// The outputs of the W elements at i from their head (r, q, m, t), value and ∂/∂log α: values
/// (stored, summed) and derivatives, in the scalar chain's order (allfast: every lane's |w| has the
/// float form).
KV_ATTR static inline __attribute__((always_inline)) void RV(cout)(RV(chead) h, RV(f) val, RV(f) da, float *value,
                                                                   float *d_ls, float *d_re, float *d_im, ptrdiff_t i,
                                                                   int grad, RV(f) vscale, int acc, RV(cacc8) *sums,
                                                                   int allfast) {
    const RV(f) zero = RV(c)(0.0f), one = RV(c)(1.0f);
    if (value) RV(store)(value + i, val);
    if (acc) RV(caccumulate)(sums, val);
    if (grad) {
        RV(f) m = h.m;
        RV(store)(d_ls + i, da * vscale);
        RV(f) k = (RV(c)(-2.0f) * da) / (m * h.t);
        RV(f) gr = h.r * k, gi = h.q * k;
        if (!allfast) {  // some lanes' modulus came from the double evaluation: they take the old form
            RV(f) s = RV(fma)(h.r, h.r, h.q * h.q);
            RV(f) fast = RV(both)(RV(ge)(s, RV(c)(RC_S_MIN)), RV(lt)(s, RV(c)(INFINITY)));
            RV(f) pos = RV(gt)(m, zero), isZero = (RV(f))(m == zero);
            RV(f) cr = RV(sel)(pos, h.r / m, RV(sel)(isZero, zero, m));
            RV(f) ci = RV(sel)(pos, h.q / m, RV(sel)(isZero, zero, m));
            RV(f) f = (RV(c)(-2.0f) * da) * (one / h.t);
            gr = RV(sel)(fast, gr, f * cr);
            gi = RV(sel)(fast, gi, f * ci);
        }
        RV(store)(d_re + i, gr * vscale);
        RV(store)(d_im + i, gi * vscale);
    }
}

#ifndef KV_CHUNK
#define KV_CHUNK 256  // elements per chunk of the passes (a multiple of every KV_W)
#endif

/// The ARD prior in chunks: a first pass computes the modulus (float form), t, te = t·e^(−log σ²)
/// and q = te·t per block and notes whether every lane can take the short chain (float modulus,
/// q < 2¹⁰⁰); the second pass finishes those blocks with the short chain and hands any other block
/// to the portable code, 8 elements at a time (it picks the chain per element), so every lane gets
/// the portable bits and the sums their order.
KV_ATTR static void RV(ard_chunks)(const float *ls, const float *re, const float *im, float *value, float *d_ls,
                                   float *d_re, float *d_im, ptrdiff_t nv, float scale, double *acc,
                                   RV(cacc8) *sums) {
    const int grad = d_ls != NULL && d_re != NULL && d_im != NULL;
    const RV(f) one = RV(c)(1.0f), vscale = RV(c)(scale);
    float bm[KV_CHUNK] __attribute__((aligned(64))), bte[KV_CHUNK] __attribute__((aligned(64)));
    float bq[KV_CHUNK] __attribute__((aligned(64)));
    int ok[KV_CHUNK / KV_W];
    for (ptrdiff_t i = 0; i < nv; i += KV_CHUNK) {
        const ptrdiff_t cn = nv - i < KV_CHUNK ? nv - i : KV_CHUNK;
        for (ptrdiff_t k = 0; k < cn; k += KV_W) {
            RV(f) r = RV(load)(re + i + k), q = RV(load)(im + i + k);
            RV(f) s = RV(fma)(r, r, q * q);
            RV(f) m = __builtin_elementwise_sqrt(s);
            RV(f) fast = RV(both)(RV(ge)(s, RV(c)(RC_S_MIN)), RV(lt)(s, RV(c)(INFINITY)));
            RV(f) te = (m + RV(c)(RC_EPS)) * RV(exp)(RV(neg)(RV(load)(ls + i + k)));
            RV(f) p = te * (m + RV(c)(RC_EPS));
            ok[k / KV_W] = RV(all)(RV(both)(fast, RV(lt)(p, RV(c)(RC_ARD_QMAX))));
            RV(store)(bm + k, m);
            RV(store)(bte + k, te);
            RV(store)(bq + k, p);
        }
        for (ptrdiff_t k = 0; k < cn; k += KV_W) {
            const ptrdiff_t j = i + k;
            if (!ok[k / KV_W]) {
                for (int h = 0; h < KV_W; h += 8) {
                    double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                    kl_cplx_f32_scalar(WT_KL_CPLX_ARD, ls + j + h, re + j + h, im + j + h, value ? value + j + h : NULL,
                                       grad ? d_ls + j + h : NULL, grad ? d_re + j + h : NULL, grad ? d_im + j + h : NULL,
                                       8, scale, acc ? part : NULL);
                    if (acc) *sums = *sums + *(const RV(cacc8) *)part;
                }
                continue;
            }
            RV(f) p = RV(load)(bq + k);
            RV(f) u = one + p, inv = one / u;
            RV(f) val = RV(log)(u) + (p - (u - one)) * inv;
            if (value) RV(store)(value + j, val);
            if (acc) RV(caccumulate)(sums, val);
            if (grad) {
                RV(f) kk = (RV(c)(2.0f) * (RV(load)(bte + k) * inv)) / RV(load)(bm + k);
                RV(store)(d_ls + j, RV(neg)(p * inv) * vscale);
                RV(store)(d_re + j, (RV(load)(re + j) * kk) * vscale);
                RV(store)(d_im + j, (RV(load)(im + j) * kk) * vscale);
            }
        }
    }
}

KV_ATTR static void KV_NAME(wt_kl_prior prior, const float *ls, const float *re, const float *im, float *value,
                            float *d_ls, float *d_re, float *d_im, ptrdiff_t n, float scale, double *acc) {
    const int grad = d_ls != NULL && d_re != NULL && d_im != NULL;
    const RV(f) vscale = RV(c)(scale);
    // the lanes continue acc (a block run in pieces adds every element in the order of one run:
    // wt_blocked_sum_begin's units)
    RV(cacc8) sums = {0, 0, 0, 0, 0, 0, 0, 0};
    if (acc) sums = (RV(cacc8)){acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]};
    float bm[KV_CHUNK] __attribute__((aligned(64))), bt[KV_CHUNK] __attribute__((aligned(64)));
    float ba[KV_CHUNK] __attribute__((aligned(64))), bx[KV_CHUNK] __attribute__((aligned(64)));
    float bex[KV_CHUNK] __attribute__((aligned(64)));
    int allfast[KV_CHUNK / KV_W];
    const ptrdiff_t nv = n - n % KV_W;
    ptrdiff_t i = 0;
    // VD: in chunks of KV_CHUNK elements, in six passes over L1-resident buffers (modulus and t;
    // log α; x = e^(−a); e^(−x); value and ∂/∂log α; the outputs): the chain of one block is some
    // 250 cycles of dependent latency, and short loop bodies let the core overlap many blocks'
    // chains, where the software pipelining of one next block before (head of the next block with
    // the rest of this one) had about two in flight (AVX-512 on Zen 4: 3.5 → 2.7 ns per VD element
    // with three passes, 2.2 → 2.0 from three to six; AVX2 7.0 → 4.2 → 2.9). Same operations per
    // element; blocks finish in order.
    if (prior == WT_KL_CPLX_ARD) {  // ARD: its own two passes
        RV(ard_chunks)(ls, re, im, value, d_ls, d_re, d_im, nv, scale, acc, &sums);
        i = nv;
    }
    for (; i < nv; i += KV_CHUNK) {
        const ptrdiff_t cn = nv - i < KV_CHUNK ? nv - i : KV_CHUNK;
        for (ptrdiff_t k = 0; k < cn; k += KV_W) {
            RV(f) r = RV(load)(re + i + k), q = RV(load)(im + i + k);
            RV(f) s = RV(fma)(r, r, q * q);
            RV(f) m = __builtin_elementwise_sqrt(s);
            RV(f) fast = RV(both)(RV(ge)(s, RV(c)(RC_S_MIN)), RV(lt)(s, RV(c)(INFINITY)));
            allfast[k / KV_W] = RV(all)(fast);
            if (!allfast[k / KV_W]) {  // some lane tiny, huge or NaN: those take |w| in double
                RV(cd) rd = __builtin_convertvector(r, RV(cd)), qd = __builtin_convertvector(q, RV(cd));
                m = RV(sel)(fast, m, __builtin_convertvector(__builtin_elementwise_sqrt(rd * rd + qd * qd), RV(f)));
            }
            RV(store)(bm + k, m);
            RV(store)(bt + k, m + RV(c)(RC_EPS));
        }
        for (ptrdiff_t k = 0; k < cn; k += KV_W)
            RV(store)(ba + k, RV(load)(ls + i + k) - RV(c)(2.0f) * RV(log)(RV(load)(bt + k)));
        for (ptrdiff_t k = 0; k < cn; k += KV_W) RV(store)(bx + k, RV(exp)(RV(neg)(RV(load)(ba + k))));
        for (ptrdiff_t k = 0; k < cn; k += KV_W) RV(store)(bex + k, RV(exp_nonpos)(RV(neg)(RV(load)(bx + k))));
        for (ptrdiff_t k = 0; k < cn; k += KV_W) {  // value and ∂/∂log α over x and ex
            RV(chead) h;
            h.a = RV(load)(ba + k);
            h.x = RV(load)(bx + k);
            h.ex = RV(load)(bex + k);
            RV(f) val, da;
            RV(cvalue)(h, prior, &val, &da);
            RV(store)(bx + k, val);
            RV(store)(bex + k, da);
        }
        for (ptrdiff_t k = 0; k < cn; k += KV_W) {
            RV(chead) h;
            h.r = RV(load)(re + i + k);
            h.q = RV(load)(im + i + k);
            h.m = RV(load)(bm + k);
            h.t = RV(load)(bt + k);
            RV(cout)(h, RV(load)(bx + k), RV(load)(bex + k), value, d_ls, d_re, d_im, i + k, grad, vscale, acc != NULL,
                     &sums, allfast[k / KV_W]);
        }
    }
    i = nv;
    if (acc)
        for (int l = 0; l < 8; l++) acc[l] = sums[l];
    if (i < n)  // i is a multiple of 8, so the tail's accumulator lanes line up with the scalar run
        kl_cplx_f32_scalar(prior, ls + i, re + i, im + i, value ? value + i : NULL, grad ? d_ls + i : NULL,
                           grad ? d_re + i : NULL, grad ? d_im + i : NULL, n - i, scale, acc);
}
