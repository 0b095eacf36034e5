// The per-element kernels of the Bayesian training steps at the active tier (WIRTINGER_ISA caps
// it), on one thread: the normal generator (wt_normalf_array, 2²¹ floats), the float KL chains
// with their derivatives (wt_kl_real_sum_f32 VD and ARD over the 784·400 + 400·10 weights of the
// MLP, wt_kl_cplx_sum_f32 ARD over 392·400 + 400·10) and the weight gradient of LeNet-5's first
// convolution for one chunk of 9 samples (wt_sgemm 20×25×5 184, Bᵀ). Prints the minimum time per
// call over ROUNDS calls (default 200) and a hash of every output, so that two builds (say a
// `git archive` of an older commit built the same way) can be compared for speed and for bits.
// Build and run from the package root:
//   clang -O3 -std=gnu11 -D_GNU_SOURCE -ISources/Kernels/include -ISources/Kernels \
//     Benchmarks/kernel_chains.c Sources/Kernels/*.c -lm -lpthread -o /tmp/kernel_chains
//   WIRTINGER_ISA=avx2 /tmp/kernel_chains; WIRTINGER_ISA=avx512 /tmp/kernel_chains
#include "kernels_dispatch.h"
#include "kernels_gemm.h"
#include "kernels_random.h"
#include "kernels_relevance.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static unsigned long long hash = 1469598103934665603ull;
static void mix(const void *p, size_t bytes) {
    const unsigned char *b = p;
    for (size_t i = 0; i < bytes; i++) hash = (hash ^ b[i]) * 1099511628211ull;
}

/// Uniform in [lo, hi) from a fixed linear congruential stream (same inputs in every build).
static unsigned long long lcg = 12345;
static float uniform(float lo, float hi) {
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (float)((lcg >> 40) * 0x1p-24);
}

typedef void (*body_fn)(void *);
static double best_of(int rounds, body_fn body, void *context) {
    double best = 1e30;
    for (int r = 0; r < rounds; r++) {
        double t = now();
        body(context);
        t = now() - t;
        if (t < best) best = t;
    }
    return best;
}

typedef struct {
    ptrdiff_t n;
    float *ls, *re, *im, *d_ls, *d_re, *d_im, *y;
    wt_kl_prior prior;
    double sum;
} job;

static void normals(void *c) { job *j = c; wt_normalf_array(7, 9, 12345, j->y, j->n); }
static void kl_real(void *c) {
    job *j = c;
    j->sum = wt_kl_real_sum_f32(j->prior, j->ls, j->re, 1.0, j->d_ls, j->d_re, j->n);
}
static void kl_cplx(void *c) {
    job *j = c;
    j->sum = wt_kl_cplx_sum_f32(j->prior, j->ls, j->re, j->im, 1.0, j->d_ls, j->d_re, j->d_im, j->n);
}
static void conv1_wgrad(void *c) {
    job *j = c;  // C[20×25] = A[20×5184] · B[25×5184]ᵀ (m̄ · colᵀ of one chunk)
    wt_sgemm(0, 1, 20, 25, 5184, 1.0f, j->ls, 5184, j->re, 5184, 0.0f, j->y, 25);
}

int main(void) {
    int rounds = getenv("ROUNDS") ? atoi(getenv("ROUNDS")) : 200;
    wt_set_num_threads(1);
    ptrdiff_t cap = 1 << 21;
    job j = {0};
    j.ls = malloc(cap * sizeof(float)); j.re = malloc(cap * sizeof(float)); j.im = malloc(cap * sizeof(float));
    j.d_ls = malloc(cap * sizeof(float)); j.d_re = malloc(cap * sizeof(float)); j.d_im = malloc(cap * sizeof(float));
    j.y = malloc(cap * sizeof(float));
    if (!j.ls || !j.re || !j.im || !j.d_ls || !j.d_re || !j.d_im || !j.y) return 1;
    for (ptrdiff_t i = 0; i < cap; i++) {
        j.ls[i] = uniform(-12.0f, 4.0f);
        j.re[i] = uniform(-0.1f, 0.1f);
        j.im[i] = uniform(-0.1f, 0.1f);
    }
    printf("kernel_chains: tier %s, 1 thread, minimum of %d calls\n", wt_isa_name(wt_active_isa()), rounds);

    j.n = cap;
    double t = best_of(rounds, normals, &j);
    mix(j.y, (size_t)j.n * sizeof(float));
    printf("  normals          %8ld  %8.3f ms  %6.2f ns/element\n", (long)j.n, t * 1e3, t * 1e9 / (double)j.n);

    const struct { const char *name; wt_kl_prior prior; int complex; ptrdiff_t n; } kl[] = {
        {"KL real VD", WT_KL_REAL_VD, 0, 784 * 400 + 400 * 10},
        {"KL real ARD", WT_KL_REAL_ARD, 0, 784 * 400 + 400 * 10},
        {"KL cplx ARD", WT_KL_CPLX_ARD, 1, 392 * 400 + 400 * 10},
        {"KL cplx VD", WT_KL_CPLX_VD, 1, 392 * 400 + 400 * 10},
    };
    for (size_t k = 0; k < sizeof kl / sizeof kl[0]; k++) {
        j.prior = kl[k].prior;
        j.n = kl[k].n;
        t = best_of(rounds, kl[k].complex ? kl_cplx : kl_real, &j);
        mix(&j.sum, sizeof j.sum);
        mix(j.d_ls, (size_t)j.n * sizeof(float));
        mix(j.d_re, (size_t)j.n * sizeof(float));
        if (kl[k].complex) mix(j.d_im, (size_t)j.n * sizeof(float));
        printf("  %-16s %8ld  %8.3f ms  %6.2f ns/element\n", kl[k].name, (long)j.n, t * 1e3, t * 1e9 / (double)j.n);
    }

    t = best_of(rounds, conv1_wgrad, &j);
    mix(j.y, 20 * 25 * sizeof(float));
    printf("  sgemm 20x25x5184 (Bt)  %8.1f us  %6.1f GFLOP/s\n", t * 1e6, 2.0 * 20 * 25 * 5184 / t * 1e-9);
    printf("  hash of the outputs %016llx\n", hash);
    return 0;
}
