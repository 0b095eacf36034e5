// Tight-loop timing of wt_expi_array / wt_expif_array on every kernel tier the host has, one
// thread, no allocation in the loop, on the two input distributions of `wirtinger bench --filter ei`
// (x_i from the golden-ratio sequence u_i = frac(i·0.618…): −10^(−3+6u) "neglog", the −1/α of the
// complex VD penalty, and −50 + 100u "uniform50"), 2^16 elements, best of 300 calls.
// Build and run from the package root:
//   clang -O2 -std=gnu11 -D_GNU_SOURCE -ISources/Kernels/include Benchmarks/bench_expi.c \
//     Sources/Kernels/*.c -lm -lpthread -o /tmp/bench_expi
//   /tmp/bench_expi
#include "Kernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(void) {
    wt_set_num_threads(1);
    const int n = 1 << 16;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    float *xf = malloc(n * sizeof *xf), *yf = malloc(n * sizeof *yf);
    for (int kind = 0; kind < 2; kind++) {
        for (int i = 0; i < n; i++) {
            double u = fmod(i * 0.6180339887498949, 1.0);
            x[i] = kind == 0 ? -pow(10, -3 + 6 * u) : -50 + 100 * u;
            xf[i] = (float)x[i];
        }
        for (int isa = (int)wt_detected_isa(); isa >= 0; isa--) {
            wt_set_isa((wt_isa)isa);
            double bd = 1e9, bf = 1e9;
            for (int r = 0; r < 300; r++) {
                double t = now();
                wt_expi_array(x, y, n);
                t = now() - t;
                if (t < bd) bd = t;
                t = now();
                wt_expif_array(xf, yf, n);
                t = now() - t;
                if (t < bf) bf = t;
            }
            printf("ei.%-9s %-8s float64 %6.2f ns/elem   float32 %6.2f ns/elem\n", kind == 0 ? "neglog" : "uniform50",
                   wt_isa_name((wt_isa)isa), bd / n * 1e9, bf / n * 1e9);
        }
    }
    return 0;
}
