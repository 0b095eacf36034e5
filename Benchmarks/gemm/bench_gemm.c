// GEMM throughput of the Kernels target, optionally interleaved with an OpenBLAS library.
//
//   swift build -c release --scratch-path .build-gemm --target Kernels
//   clang -O2 -ISources/Kernels/include Benchmarks/gemm/bench_gemm.c \
//         .build-gemm/release/Kernels.build/*.o -lm -lpthread -ldl -o /tmp/bench_gemm
//   [WT_BENCH_CLOCK=thread] [WT_BENCH_THREADS=n] [WT_BENCH_ISA=portable] /tmp/bench_gemm [trials] [openblas.so]
//
// For every shape and thread count (1, 2) it runs `trials` rounds; a round times a batch of calls
// (about 0.3 GFLOP) of wt_?gemm and, if an OpenBLAS shared library is given (numpy's bundled
// libscipy_openblas64_*.so works), of its cblas_?gemm on the same operands right after. The best
// round is reported, which filters out time slices lost to other processes on a shared machine.
// Compare two-thread figures with bench_numpy.py in a separate process: OpenBLAS's idle threads
// keep polling for a while after each call and would take the core from ours when interleaved.
#include "Kernels.h"
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void (*cblas_s)(int, int, int, int64_t, int64_t, int64_t, float, const float *, int64_t,
                        const float *, int64_t, float, float *, int64_t);
typedef void (*cblas_d)(int, int, int, int64_t, int64_t, int64_t, double, const double *, int64_t,
                        const double *, int64_t, double, double *, int64_t);
static cblas_s blas_s;
static cblas_d blas_d;
static void (*blas_threads)(int);

/// Wall clock; with WT_BENCH_CLOCK=thread the calling thread's CPU time (for one-thread runs on a
/// busy machine: time the thread spends descheduled is not counted).
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now(void) {
    struct timespec t;
    clock_gettime(bench_clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *symbol(void *lib, const char *a, const char *b) {
    void *f = dlsym(lib, a);
    return f ? f : dlsym(lib, b);
}

#define DEFINE_RUN(P, T, BLAS)                                                                       \
static void run_##P(int threads, const char *name, int ta, int tb, long m, long n, long k,           \
                    int trials) {                                                                    \
    long lda = ta ? m : k, ldb = tb ? k : n;                                                         \
    T *a = malloc(sizeof(T) * m * k), *b = malloc(sizeof(T) * k * n), *c = malloc(sizeof(T) * m * n); \
    for (long i = 0; i < m * k; i++) a[i] = (T)((i * 7919 % 1000) / 1000.0 - 0.5);                   \
    for (long i = 0; i < k * n; i++) b[i] = (T)((i * 104729 % 1000) / 1000.0 - 0.5);                 \
    double flops = 2.0 * m * n * k;                                                                  \
    int reps = (int)(3e8 / flops);                                                                   \
    if (reps < 1) reps = 1;                                                                          \
    double best = 1e30, best_blas = 1e30;                                                            \
    for (int t = 0; t < trials; t++) {                                                               \
        double s = now();                                                                            \
        for (int r = 0; r < reps; r++) wt_##P##gemm(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n);   \
        s = (now() - s) / reps;                                                                      \
        if (s < best) best = s;                                                                      \
        if (BLAS) {                                                                                  \
            s = now();                                                                               \
            for (int r = 0; r < reps; r++)                                                           \
                BLAS(101, ta ? 112 : 111, tb ? 112 : 111, m, n, k, 1, a, lda, b, ldb, 0, c, n);      \
            s = (now() - s) / reps;                                                                  \
            if (s < best_blas) best_blas = s;                                                        \
        }                                                                                            \
    }                                                                                                \
    printf("%-7d %-8s %-34s %8.1f", threads, #T, name, flops / best / 1e9);                          \
    if (BLAS) printf(" %9.1f %6.2f", flops / best_blas / 1e9, best_blas / best);                     \
    printf("\n");                                                                                    \
    free(a); free(b); free(c);                                                                       \
}

DEFINE_RUN(s, float, blas_s)
DEFINE_RUN(d, double, blas_d)

int main(int argc, char **argv) {
    int trials = argc > 1 ? atoi(argv[1]) : 20;
    const char *clock_name = getenv("WT_BENCH_CLOCK");
    int thread_clock = clock_name && strcmp(clock_name, "thread") == 0;
    int min_threads = 1, max_threads = thread_clock ? 1 : 2;
    if (thread_clock) bench_clock = CLOCK_THREAD_CPUTIME_ID;
    const char *isa = getenv("WT_BENCH_ISA");  // "portable": time the portable blocked path
    if (isa) for (int t = 0; t <= 2; t++) if (strcmp(isa, wt_isa_name((wt_isa)t)) == 0) wt_set_isa((wt_isa)t);
    const char *only = getenv("WT_BENCH_THREADS");  // run just this thread count
    if (only && atoi(only) >= 1) min_threads = max_threads = atoi(only);
    if (argc > 2) {
        void *lib = dlopen(argv[2], RTLD_NOW);
        if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 1; }
        blas_s = (cblas_s)symbol(lib, "scipy_cblas_sgemm64_", "cblas_sgemm");
        blas_d = (cblas_d)symbol(lib, "scipy_cblas_dgemm64_", "cblas_dgemm");
        blas_threads = (void (*)(int))symbol(lib, "scipy_openblas_set_num_threads64_", "openblas_set_num_threads");
        if (!blas_s || !blas_d || !blas_threads) { fprintf(stderr, "no cblas_?gemm in %s\n", argv[2]); return 1; }
    }
    struct { const char *name; long m, n, k; int ta, tb; } shapes[] = {
        {"512^3", 512, 512, 512, 0, 0},
        {"1024^3", 1024, 1024, 1024, 0, 0},
        {"mlp fwd X·W 128x784·784x400", 128, 400, 784, 0, 0},
        {"mlp dW Xᵀ·G 784x128·128x400", 784, 400, 128, 1, 0},
        {"mlp dX G·Wᵀ 128x400·400x784", 128, 784, 400, 0, 1},
        {"small 64^3", 64, 64, 64, 0, 0},
    };
    int count = (int)(sizeof shapes / sizeof shapes[0]);
    printf("isa=%s trials=%d clock=%s\n", wt_isa_name(wt_active_isa()), trials,
           thread_clock ? "thread CPU time (1 thread only)" : "wall");
    printf("%-7s %-8s %-34s %8s%s\n", "threads", "type", "shape", "GFLOP/s", blas_s ? "  openblas  ratio" : "");
    for (int threads = min_threads; threads <= max_threads; threads++) {
        wt_set_num_threads(threads);
        if (blas_threads) blas_threads(threads);
        for (int i = 0; i < count; i++)
            run_s(threads, shapes[i].name, shapes[i].ta, shapes[i].tb, shapes[i].m, shapes[i].n, shapes[i].k, trials);
        for (int i = 0; i < count; i++)
            run_d(threads, shapes[i].name, shapes[i].ta, shapes[i].tb, shapes[i].m, shapes[i].n, shapes[i].k, trials);
    }
    return 0;
}
