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

/// The head of the VD chain for W elements: the weight, t, n = 2·log t − log σ², e = e^(−|n|),
/// u = k₃n − k₂, e2 = e^(−|u|), inv = 1/(1 + e) and l1p = log1p(e) (the first four passes of
/// KV_NAME; the exponentials' arguments are ≤ 0, so RV(exp_nonpos) gives RV(exp)'s bits).
typedef struct {
    RV(f) wi, t, nn, e, u, e2, inv, l1p;
} RV(vd_head);

/// The rest of the VD chain for the W elements at i, from their head: values (stored, summed) and
/// derivatives, in the scalar chain's order.
KV_ATTR static inline __attribute__((always_inline)) void RV(vd_rest)(RV(vd_head) h, float *value, float *d_ls, float *d_w,
                                                                      ptrdiff_t i, int grad, RV(f) vscale, int acc,
                                                                      RV(acc8) *sums) {
    const RV(f) zero = RV(c)(0.0f), one = RV(c)(1.0f), half = RV(c)(0.5f), twenty = RV(c)(20.0f);
    RV(f) nn = h.nn, e = h.e;
    RV(f) inv = h.inv, l1p = h.l1p;
    RV(f) over = RV(gt)(nn, twenty);
    RV(f) pos = RV(gt)(nn, zero);
    RV(f) sp = RV(sel)(over, nn, RV(sel)(pos, nn, zero) + l1p);
    RV(f) nonneg = RV(ge)(nn, zero);
    RV(f) dsp = RV(sel)(over, one, RV(sel)(nonneg, one, e) * inv);
    RV(f) val = half * sp;
    RV(f) inv2 = one / (one + h.e2);
    RV(f) s = RV(sel)(RV(ge)(h.u, zero), one, h.e2) * inv2;
    val = val + RV(c)(RF_K1) * s;
    if (value) RV(store)(value + i, val);
    if (acc) RV(accumulate)(sums, val);
    if (grad) {
        RV(f) ds = (h.e2 * inv2) * inv2;
        RV(f) da = RV(neg)(half * dsp + RV(c)(RF_K1) * (RV(c)(RF_K3) * ds));
        RV(f) q = RV(signed_by)(h.wi, one / h.t);
        RV(store)(d_ls + i, da * vscale);
        RV(store)(d_w + i, ((RV(c)(-2.0f) * da) * q) * vscale);
    }
}

/// The first half of the ARD short chain for W elements: the exponential and q = 1/α; `ok` is 0
/// when some lane needs the general chain (q ≥ RF_ARD_QMAX, or not finite).
typedef struct {
    RV(f) wi, te, q;
    int ok;
} RV(ard_head);

KV_ATTR static inline __attribute__((always_inline)) RV(ard_head) RV(ard_first)(RV(f) wi, RV(f) lsi) {
    RV(ard_head) h;
    h.wi = wi;
    RV(f) t = RV(abs)(wi) + RV(c)(RF_EPS);
    RV(f) el = RV(exp)(RV(neg)(lsi));
    h.te = t * el;
    h.q = h.te * t;
    h.ok = RV(all)(RV(lt)(h.q, RV(c)(RF_ARD_QMAX)));
    return h;
}

/// The rest of the ARD short chain for the W elements at i, in the scalar chain's order, or, when the
/// head says some lane needs the general chain, the portable code for these W, 8 at a time (it
/// picks per element); either way their values join the lane sums in the scalar run's order.
KV_ATTR static inline __attribute__((always_inline)) void RV(ard_rest)(RV(ard_head) h, wt_kl_prior prior, const float *ls,
                                                                       const float *w, float *value, float *d_ls, float *d_w,
                                                                       ptrdiff_t i, int grad, float scale, double *acc,
                                                                       RV(acc8) *sums) {
    const RV(f) one = RV(c)(1.0f), half = RV(c)(0.5f), vscale = RV(c)(scale);
    if (!h.ok) {
        for (int k = 0; k < KV_W; k += 8) {
            double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            kl_real_f32_scalar(prior, ls + i + k, w + i + k, value ? value + i + k : NULL,
                               grad ? d_ls + i + k : NULL, grad ? d_w + i + k : NULL, 8, scale, acc ? part : NULL);
            if (acc) *sums = *sums + *(const RV(acc8) *)part;
        }
        return;
    }
    RV(f) q = h.q;
    RV(f) u = one + q, inv = one / u;
    RV(f) l1p = RV(log)(u) + (q - (u - one)) * inv;
    RV(f) val = half * l1p;
    if (value) RV(store)(value + i, val);
    if (acc) RV(accumulate)(sums, val);
    if (grad) {
        RV(f) dl = RV(neg)(half * (q * inv));
        RV(store)(d_ls + i, dl * vscale);
        RV(store)(d_w + i, RV(signed_by)(h.wi, h.te * inv) * vscale);
    }
}

#ifndef KV_CHUNK
#define KV_CHUNK 256  // elements per chunk of the VD chain's passes (a multiple of every KV_W)
#endif
KV_ATTR static void KV_NAME(wt_kl_prior prior, const float *ls, const float *w, float *value, float *d_ls,
                            float *d_w, ptrdiff_t n, float scale, double *acc) {
    const int vd = prior == WT_KL_REAL_VD, grad = d_ls != NULL && d_w != NULL;
    const RV(f) vscale = RV(c)(scale);
    RV(acc8) sums = {0, 0, 0, 0, 0, 0, 0, 0};
    ptrdiff_t i = 0;
    // Both chains run in chunks of KV_CHUNK elements, a pass per part of the chain over L1-resident
    // buffers (until session 10 a software pipeline of one next block's head with this block's
    // rest). Every element sees the chain's operations in their order; blocks finish in order.
    if (n >= KV_W && vd) {
        // VD: in chunks of KV_CHUNK elements, the head in four passes (the logarithm; e^(−|n|);
        // u and e^(−|u|); log1p(e) and 1/(1 + e)) into L1-resident buffers and the rest in a fifth:
        // short loop bodies let the core overlap the long dependency chains of many blocks (the
        // software pipelining of one next block had two in flight; AVX-512 on Zen 4: 2.6 → 2.2 ns
        // per element with three passes, → 2.0 with five; AVX2 4.0 → 3.5 → 3.1).
        float bt[KV_CHUNK] __attribute__((aligned(64))), bn[KV_CHUNK] __attribute__((aligned(64)));
        float be[KV_CHUNK] __attribute__((aligned(64))), bu[KV_CHUNK] __attribute__((aligned(64)));
        float be2[KV_CHUNK] __attribute__((aligned(64))), binv[KV_CHUNK] __attribute__((aligned(64)));
        float bl[KV_CHUNK] __attribute__((aligned(64)));
        const ptrdiff_t nv = n - n % KV_W;
        for (; i < nv; i += KV_CHUNK) {
            const ptrdiff_t cn = nv - i < KV_CHUNK ? nv - i : KV_CHUNK;
            for (ptrdiff_t k = 0; k < cn; k += KV_W) {
                RV(f) t = RV(abs)(RV(load)(w + i + k)) + RV(c)(RF_EPS);
                RV(store)(bt + k, t);
                RV(store)(bn + k, RV(c)(2.0f) * RV(log)(t) - RV(load)(ls + i + k));
            }
            for (ptrdiff_t k = 0; k < cn; k += KV_W) RV(store)(be + k, RV(exp_nonpos)(RV(neg)(RV(abs)(RV(load)(bn + k)))));
            for (ptrdiff_t k = 0; k < cn; k += KV_W) {
                RV(f) u = RV(c)(RF_K3) * RV(load)(bn + k) - RV(c)(RF_K2);
                RV(store)(bu + k, u);
                RV(store)(be2 + k, RV(exp_nonpos)(RV(neg)(RV(abs)(u))));
            }
            for (ptrdiff_t k = 0; k < cn; k += KV_W) {  // log1p(e) = log u + (e − (u − 1))/u, u = 1 + e
                const RV(f) one = RV(c)(1.0f);
                RV(f) e = RV(load)(be + k), ope = one + e, inv = one / ope;
                RV(store)(binv + k, inv);
                RV(store)(bl + k, RV(log)(ope) + (e - (ope - one)) * inv);
            }
            for (ptrdiff_t k = 0; k < cn; k += KV_W) {
                RV(vd_head) h = {RV(load)(w + i + k), RV(load)(bt + k), RV(load)(bn + k),
                                 RV(load)(be + k), RV(load)(bu + k), RV(load)(be2 + k),
                                 RV(load)(binv + k), RV(load)(bl + k)};
                RV(vd_rest)(h, value, d_ls, d_w, i + k, grad, vscale, acc != NULL, &sums);
            }
        }
        i = nv;
    } else if (n >= KV_W) {
        // ARD: the heads (the exponential, q) in a first pass, the rest in a second (AVX-512 on Zen 4:
        // 1.24 → 1.15 ns per element, AVX2 2.46 → 2.02).
        float bte[KV_CHUNK] __attribute__((aligned(64))), bq[KV_CHUNK] __attribute__((aligned(64)));
        int ok[KV_CHUNK / KV_W];
        const ptrdiff_t nv = n - n % KV_W;
        for (; i < nv; i += KV_CHUNK) {
            const ptrdiff_t cn = nv - i < KV_CHUNK ? nv - i : KV_CHUNK;
            for (ptrdiff_t k = 0; k < cn; k += KV_W) {
                RV(ard_head) h = RV(ard_first)(RV(load)(w + i + k), RV(load)(ls + i + k));
                RV(store)(bte + k, h.te);
                RV(store)(bq + k, h.q);
                ok[k / KV_W] = h.ok;
            }
            for (ptrdiff_t k = 0; k < cn; k += KV_W) {
                RV(ard_head) h = {RV(load)(w + i + k), RV(load)(bte + k), RV(load)(bq + k), ok[k / KV_W]};
                RV(ard_rest)(h, prior, ls, w, value, d_ls, d_w, i + k, grad, scale, acc, &sums);
            }
        }
        i = nv;
    }
    if (acc)
        for (int l = 0; l < 8; l++) acc[l] += sums[l];
    if (i < n)  // i is a multiple of 8: the tail's element j lands in acc[j mod 8] as in the scalar run
        kl_real_f32_scalar(prior, ls + i, w + i, value ? value + i : NULL, grad ? d_ls + i : NULL, grad ? d_w + i : NULL,
                           n - i, scale, acc);
}
