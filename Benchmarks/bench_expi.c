// Tight-loop timing of wt_expi_array / wt_expif_array (both kernel paths), no allocation in the loop.
// Build and run from the package root:
//   clang -O2 -std=gnu11 -ISources/Kernels/include Benchmarks/bench_expi.c \
//     Sources/Kernels/expi.c Sources/Kernels/vmath.c Sources/Kernels/dispatch.c -lm -o /tmp/bench_expi
//   /tmp/bench_expi -700 700        # uniform inputs in [lo, hi]
//   /tmp/bench_expi vd              # x = -exp(U(-10, 10)), the -1/alpha of complex VD
#include "Kernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
    const int n = 1 << 16;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    float *xf = malloc(n * sizeof *xf), *yf = malloc(n * sizeof *yf);
    int vd = argc > 1 && strcmp(argv[1], "vd") == 0;
    double lo = argc > 2 ? atof(argv[1]) : -700, hi = argc > 2 ? atof(argv[2]) : 700;
    srand(1);
    for (int i = 0; i < n; i++) {
        double u = rand() / (double)RAND_MAX;
        x[i] = vd ? -exp(-10 + 20 * u) : lo + (hi - lo) * u;
        xf[i] = (float)x[i];
    }
    for (int isa = 1; isa >= 0; isa--) {
        wt_set_isa((wt_isa)isa);
        double bd = 1e9, bf = 1e9;
        for (int r = 0; r < 30; r++) {
            double t = now();
            wt_expi_array(x, y, n);
            t = now() - t;
            if (t < bd) bd = t;
            t = now();
            wt_expif_array(xf, yf, n);
            t = now() - t;
            if (t < bf) bf = t;
        }
        printf("%-8s float64 %6.2f ns/elem   float32 %6.2f ns/elem\n", isa ? "avx2" : "portable", bd / n * 1e9, bf / n * 1e9);
    }
    return 0;
}
