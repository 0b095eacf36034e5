// The worker pool (Sources/Kernels/threadpool.c) on a synthetic training step: 20 jobs of two
// parts that each busy-wait PART microseconds, with GAP microseconds of serial work after each
// job (what the Swift side does between two kernels), repeated STEPS times. Prints the minimum,
// first quartile and median step time against the ideal (both cores free: 20·(PART + GAP)) and the
// serial time (20·(2·PART + GAP)), and how many parts the worker ran. On a host shared with other
// busy processes the median shows how much a late or descheduled worker costs the caller.
// Build and run from the package root (compare with an older threadpool.c by building it the same
// way from a `git archive` of that commit):
//   clang -O2 -std=gnu11 -D_GNU_SOURCE -ISources/Kernels/include -ISources/Kernels \
//     Benchmarks/pool_steps.c Sources/Kernels/threadpool.c Sources/Kernels/gemm*.c \
//     Sources/Kernels/dispatch.c -lm -lpthread -o /tmp/pool_steps
//   /tmp/pool_steps 25 10 200
#include "gemm_internal.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void busy(double seconds) {
    double t = now();
    while (now() - t < seconds) {}
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static pthread_t caller;
static _Atomic int worker_parts;
static double part_s;

static void part(void *context, int index, int parts) {
    (void)context; (void)index; (void)parts;
    if (!pthread_equal(caller, pthread_self())) worker_parts++;
    busy(part_s);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s PART_US GAP_US STEPS\n", argv[0]);
        return 2;
    }
    double part_us = atof(argv[1]), gap_us = atof(argv[2]);
    int steps = atoi(argv[3]);
    if (part_us <= 0 || gap_us < 0 || steps < 1) {
        fprintf(stderr, "%s: PART_US > 0, GAP_US >= 0 and STEPS >= 1 expected\n", argv[0]);
        return 2;
    }
    caller = pthread_self();
    part_s = part_us * 1e-6;
    double *times = malloc((size_t)steps * sizeof *times);
    if (!times) return 1;
    for (int s = 0; s < steps; s++) {
        double t = now();
        for (int j = 0; j < 20; j++) {
            if (!wt_pool_try_run(2, part, NULL)) { part(NULL, 0, 2); part(NULL, 1, 2); }
            busy(gap_us * 1e-6);
        }
        times[s] = now() - t;
    }
    qsort(times, (size_t)steps, sizeof *times, by_value);
    printf("step: min %.0f  p25 %.0f  median %.0f us (ideal %.0f, serial %.0f); worker ran %d of %d parts\n",
           times[0] * 1e6, times[steps / 4] * 1e6, times[steps / 2] * 1e6, 20 * (part_us + gap_us),
           20 * (2 * part_us + gap_us), (int)worker_parts, 40 * steps);
    free(times);
    return 0;
}
