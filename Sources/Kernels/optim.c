// Fused optimizer updates (kernels_optim.h). The element formula is written once as a static
// inline body; it is instantiated for the portable path and, on x86, inside whole functions
// compiled for AVX2 and for AVX-512 (which the compiler vectorises), called through per-tier
// tables. Contraction is off, so every path rounds every multiply and add separately, exactly like
// the Swift reference formulas, and all give the same bits.
#include "kernels_optim.h"
#include "kernels_dispatch.h"
#include "kernels_parallel.h"
#include <math.h>


// sqrt without errno (a libm call that may set errno blocks vectorisation): the correctly rounded
// IEEE square root either way.
#if defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_sqrt)
#define OPT_SQRT_D(x) __builtin_elementwise_sqrt(x)
#define OPT_SQRT_F(x) __builtin_elementwise_sqrt(x)
#endif
#endif
#ifndef OPT_SQRT_D
#define OPT_SQRT_D(x) sqrt(x)
#define OPT_SQRT_F(x) sqrtf(x)
#endif

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#include "tiers.h"

// One Adam pass; WD says whether the coupled L2 term is added (the reference skips it when the
// decay is 0, and g + 0·p would turn an infinite p into NaN). p·decay with decay = 1 is exact.
// It also notes whether a parameter or gradient read or a parameter written is NaN or infinite
// (x − x ≠ 0 exactly for those), which changes none of the values.
#define ADAM_LOOP(T, SQRT, WD, LERP)                                                           \
    for (ptrdiff_t i = 0; i < n; i++) {                                                        \
        T p0 = p[i], pi = p0 * decay, gi = g[i];                                               \
        T g0 = gi;                                                                             \
        if (WD) gi = gi + weight_decay * pi;                                                   \
        T mi = LERP;                                                                           \
        T vi = v[i] * beta2 + c2 * gi * gi;                                                    \
        m[i] = mi;                                                                             \
        v[i] = vi;                                                                             \
        T po = pi + neg_step * (mi / (SQRT(vi) / bc2_sqrt + eps));                             \
        p_out[i] = po;                                                                         \
        bad |= (p0 - p0 != (T)0) | (g0 - g0 != (T)0) | (po - po != (T)0);                      \
    }

/// Returns 1 if some p[i], g[i] or p_out[i] is NaN or infinite, else 0.
#define ADAM_FN(NAME, T, SQRT, ATTR)                                                           \
    static ATTR int NAME(T *restrict p_out, const T *restrict p, const T *restrict g,          \
                         T *restrict m, T *restrict v, ptrdiff_t n, T decay, T weight_decay,   \
                         T w, T one_minus_w, T beta2, T c2, T bc2_sqrt, T eps, T neg_step) {   \
        int low = w < (T)0.5, bad = 0;                                                         \
        if (weight_decay != 0) {                                                               \
            if (low) ADAM_LOOP(T, SQRT, 1, m[i] + w * (gi - m[i]))                             \
            else ADAM_LOOP(T, SQRT, 1, gi - (gi - m[i]) * one_minus_w)                         \
        } else {                                                                               \
            if (low) ADAM_LOOP(T, SQRT, 0, m[i] + w * (gi - m[i]))                             \
            else ADAM_LOOP(T, SQRT, 0, gi - (gi - m[i]) * one_minus_w)                         \
        }                                                                                      \
        return bad;                                                                            \
    }

WT_DEFINE_TIERS_DF(ADAM_FN, adam_d, adam_f, OPT_SQRT_D, OPT_SQRT_F)
#if WT_X86
#define OPT_TIERS(PRE) {PRE##_portable, PRE##_avx2, PRE##_avx512}
#else
#define OPT_TIERS(PRE) {PRE##_portable, PRE##_portable, PRE##_portable}
#endif

/// Each tier's instantiation, indexed by wt_active_isa().
typedef int (*adam_d_fn)(double *restrict, const double *restrict, const double *restrict, double *restrict,
                         double *restrict, ptrdiff_t, double, double, double, double, double, double, double,
                         double, double);
typedef int (*adam_f_fn)(float *restrict, const float *restrict, const float *restrict, float *restrict,
                         float *restrict, ptrdiff_t, float, float, float, float, float, float, float, float, float);
static const adam_d_fn adam_d_tiers[] = OPT_TIERS(adam_d);
static const adam_f_fn adam_f_tiers[] = OPT_TIERS(adam_f);

// Adam is elementwise: large parameter tensors are split over the kernel threads (any split gives
// the same values).
#define OPT_GRAIN 16384

#define ADAM_PUBLIC(PUBLIC, PICK, T)                                                                \
    typedef struct {                                                                               \
        T *p_out; const T *p, *g; T *m, *v;                                                        \
        T decay, weight_decay, w, one_minus_w, beta2, c2, bc2_sqrt, eps, neg_step;                 \
        int bad;                                                                                   \
    } PUBLIC##_job;                                                                                \
    static void PUBLIC##_part(void *context, ptrdiff_t b, ptrdiff_t e) {                           \
        PUBLIC##_job *j = context;                                                                 \
        int bad = PICK##_tiers[wt_active_isa()](j->p_out + b, j->p + b, j->g + b, j->m + b, j->v + b, e - b, \
                       j->decay, j->weight_decay, j->w, j->one_minus_w, j->beta2, j->c2, j->bc2_sqrt, \
                       j->eps, j->neg_step);                                                       \
        if (bad) __atomic_store_n(&j->bad, 1, __ATOMIC_RELAXED);                                   \
    }                                                                                              \
    int PUBLIC##_checked(T *p_out, const T *p, const T *g, T *m, T *v, ptrdiff_t n, T decay,       \
                         T weight_decay, T w, T one_minus_w, T beta2, T c2, T bc2_sqrt, T eps,     \
                         T neg_step) {                                                             \
        PUBLIC##_job j = {p_out, p, g, m, v, decay, weight_decay, w, one_minus_w, beta2, c2,       \
                          bc2_sqrt, eps, neg_step, 0};                                             \
        wt_parallel_for(n, OPT_GRAIN, PUBLIC##_part, &j);                                          \
        return !__atomic_load_n(&j.bad, __ATOMIC_RELAXED);                                         \
    }                                                                                              \
    void PUBLIC(T *p_out, const T *p, const T *g, T *m, T *v, ptrdiff_t n, T decay, T weight_decay, \
                T w, T one_minus_w, T beta2, T c2, T bc2_sqrt, T eps, T neg_step) {                \
        (void)PUBLIC##_checked(p_out, p, g, m, v, n, decay, weight_decay, w, one_minus_w, beta2, c2, \
                               bc2_sqrt, eps, neg_step);                                           \
    }
ADAM_PUBLIC(wt_adam_f64, adam_d, double)
ADAM_PUBLIC(wt_adam_f32, adam_f, float)

// Adam over several tensors in one parallel loop: the elements of all tensors are numbered one
// after another (tensor 0's first), the loop's ranges over that numbering are cut at the tensors'
// ends, and each piece is the one-tensor pass above with its tensor's constants. Every element
// gets the operations of the one-tensor call, whatever the cut: the same bits.
#define ADAM_MULTI(PUBLIC, PICK, T, DESC)                                                           \
    typedef struct {                                                                               \
        const DESC *tensors;                                                                       \
        ptrdiff_t count;                                                                           \
        int bad;                                                                                   \
    } PUBLIC##_job;                                                                                \
    static void PUBLIC##_part(void *context, ptrdiff_t b, ptrdiff_t e) {                           \
        PUBLIC##_job *j = context;                                                                 \
        int bad = 0;                                                                               \
        ptrdiff_t start = 0; /* the number of the first element of tensor k */                     \
        for (ptrdiff_t k = 0; k < j->count && start < e; start += j->tensors[k].n, k++) {          \
            const DESC *t = &j->tensors[k];                                                        \
            ptrdiff_t lo = b > start ? b - start : 0, hi = e - start < t->n ? e - start : t->n;    \
            if (lo >= hi) continue;                                                                \
            bad |= PICK##_tiers[wt_active_isa()](t->p_out + lo, t->p + lo, t->g + lo, t->m + lo,   \
                       t->v + lo, hi - lo, t->decay, t->weight_decay, t->w, t->one_minus_w,        \
                       t->beta2, t->c2, t->bc2_sqrt, t->eps, t->neg_step);                         \
        }                                                                                          \
        if (bad) __atomic_store_n(&j->bad, 1, __ATOMIC_RELAXED);                                   \
    }                                                                                              \
    int PUBLIC(const DESC *tensors, ptrdiff_t count) {                                             \
        ptrdiff_t total = 0;                                                                       \
        for (ptrdiff_t k = 0; k < count; k++) total += tensors[k].n;                               \
        PUBLIC##_job j = {tensors, count, 0};                                                      \
        if (total > 0) wt_parallel_for(total, OPT_GRAIN, PUBLIC##_part, &j);                       \
        return !__atomic_load_n(&j.bad, __ATOMIC_RELAXED);                                         \
    }
ADAM_MULTI(wt_adam_multi_f64_checked, adam_d, double, wt_adam_tensor_f64)
ADAM_MULTI(wt_adam_multi_f32_checked, adam_f, float, wt_adam_tensor_f32)

// ---------------------------------------------------------------- SGD

#define SGD_FN(NAME, T, ATTR)                                                                  \
    static ATTR void NAME(T *restrict p_out, const T *restrict p, const T *restrict g, T *restrict buf, \
                          ptrdiff_t n, T lr, T weight_decay, T momentum, T one_minus_dampening,  \
                          int first, int nesterov) {                                           \
        int wd = weight_decay != 0;                                                            \
        if (!buf) {                                                                            \
            if (wd) for (ptrdiff_t i = 0; i < n; i++) p_out[i] = p[i] - lr * (g[i] + weight_decay * p[i]); \
            else for (ptrdiff_t i = 0; i < n; i++) p_out[i] = p[i] - lr * g[i];               \
            return;                                                                            \
        }                                                                                      \
        for (ptrdiff_t i = 0; i < n; i++) {                                                    \
            T pi = p[i];                                                                       \
            T gi = wd ? g[i] + weight_decay * pi : g[i];                                       \
            T b = first ? gi : momentum * buf[i] + one_minus_dampening * gi;                   \
            buf[i] = b;                                                                        \
            T d = nesterov ? gi + momentum * b : b;                                            \
            p_out[i] = pi - lr * d;                                                            \
        }                                                                                      \
    }

SGD_FN(sgd_d_portable, double, )
SGD_FN(sgd_f_portable, float, )
#if WT_X86
SGD_FN(sgd_d_avx2, double, WT_TARGET_AVX2)
SGD_FN(sgd_f_avx2, float, WT_TARGET_AVX2)
SGD_FN(sgd_d_avx512, double, WT_TARGET_AVX512)
SGD_FN(sgd_f_avx512, float, WT_TARGET_AVX512)
#endif
typedef void (*sgd_d_fn)(double *restrict, const double *restrict, const double *restrict, double *restrict,
                         ptrdiff_t, double, double, double, double, int, int);
typedef void (*sgd_f_fn)(float *restrict, const float *restrict, const float *restrict, float *restrict, ptrdiff_t,
                         float, float, float, float, int, int);
static const sgd_d_fn sgd_d_tiers[] = OPT_TIERS(sgd_d);
static const sgd_f_fn sgd_f_tiers[] = OPT_TIERS(sgd_f);

void wt_sgd_f64(double *p_out, const double *p, const double *g, double *buf, ptrdiff_t n, double lr,
                double weight_decay, double momentum, double one_minus_dampening, int first, int nesterov) {
    sgd_d_tiers[wt_active_isa()](p_out, p, g, buf, n, lr, weight_decay, momentum, one_minus_dampening, first, nesterov);
}

void wt_sgd_f32(float *p_out, const float *p, const float *g, float *buf, ptrdiff_t n, float lr,
                float weight_decay, float momentum, float one_minus_dampening, int first, int nesterov) {
    sgd_f_tiers[wt_active_isa()](p_out, p, g, buf, n, lr, weight_decay, momentum, one_minus_dampening, first, nesterov);
}
