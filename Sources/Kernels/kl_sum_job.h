// The blocked KL sums (wt_blocked_sum over a KL chain), shared by relevance.c, relevance_f32.c and
// relevance_cplx_f32.c: one job type per element type T and the block functions that run a chain
// over elements [s, s + count) of it, adding the values into the block's accumulator.
#ifndef WIRTINGER_KERNELS_KL_SUM_JOB_H
#define WIRTINGER_KERNELS_KL_SUM_JOB_H
#include "kernels_relevance.h"
#include <stddef.h>

/// The job: log σ², the weight (re, plus im for complex weights), the optional gradients (NULL:
/// not wanted) and the scale of the derivatives.
#define KL_SUM_JOB(NAME, T)                                                                          \
    typedef struct {                                                                                 \
        wt_kl_prior prior;                                                                           \
        const T *ls, *re, *im;                                                                       \
        T *d_ls, *d_re, *d_im;                                                                       \
        T scale;                                                                                     \
    } NAME
/// p + s, or NULL where the optional output p is NULL.
#define KL_AT(p, s) ((p) ? (p) + (s) : NULL)
/// NAME(context, s, count, acc): the real chain CHAIN(prior, ls, w, value, d_ls, d_w, n, scale, acc).
#define KL_REAL_SUM_BLOCK(NAME, JOB, CHAIN)                                                          \
    static void NAME(void *context, ptrdiff_t s, ptrdiff_t count, double *acc) {                     \
        const JOB *j = context;                                                                      \
        CHAIN(j->prior, j->ls + s, j->re + s, NULL, KL_AT(j->d_ls, s), KL_AT(j->d_re, s), count, j->scale, acc); \
    }
/// NAME(context, s, count, acc): the complex chain CHAIN(prior, ls, re, im, value, d_ls, d_re, d_im,
/// n, scale, acc).
#define KL_CPLX_SUM_BLOCK(NAME, JOB, CHAIN)                                                          \
    static void NAME(void *context, ptrdiff_t s, ptrdiff_t count, double *acc) {                     \
        const JOB *j = context;                                                                      \
        CHAIN(j->prior, j->ls + s, j->re + s, j->im + s, NULL, KL_AT(j->d_ls, s), KL_AT(j->d_re, s), \
              KL_AT(j->d_im, s), count, j->scale, acc);                                              \
    }
#endif
