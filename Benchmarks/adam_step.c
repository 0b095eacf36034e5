// Adam's float32 kernel (wt_adam_multi_f32_checked, Sources/Kernels/optim.c) alone, on the
// parameter tensors of `train.cplxmlp.vd` (the complex VD MLP 784-400-10 of `wirtinger bench`:
// 10 tensors, 483,010 floats), to tell its arithmetic from its memory traffic: with FLUSH = 1 a
// 64 MB buffer is written before every call, so p, g, m and v come from memory, as they do in a
// training step after the backward pass (session 15 measured 102–109 µs warm and 210 µs flushed on
// two threads of the Zen 4, against 132 µs inside the step; Docs/Benchmarks.md, History, cplx15).
// Build and run from the package root:
//   clang -O2 -std=gnu11 -D_GNU_SOURCE -ISources/Kernels/include -ISources/Kernels \
//     Benchmarks/adam_step.c Sources/Kernels/*.c -lm -lpthread -o /tmp/adam_step
//   /tmp/adam_step THREADS [FLUSH]
#include "kernels_gemm.h"
#include "kernels_optim.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec * 1e-3;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s THREADS [FLUSH]\n", argv[0]);
        return 2;
    }
    const int threads = atoi(argv[1]), flush = argc > 2 ? atoi(argv[2]) : 0;
    wt_set_num_threads(threads);
    // per layer: log σ², Re w and Im w, then the real and imaginary parts of the bias
    const ptrdiff_t sizes[] = {156800, 156800, 156800, 400, 400, 4000, 4000, 4000, 10, 10};
    enum { TENSORS = sizeof sizes / sizeof sizes[0] };
    wt_adam_tensor_f32 tensors[TENSORS];
    for (int k = 0; k < TENSORS; k++) {
        const ptrdiff_t n = sizes[k];
        float *p = malloc(4 * n), *g = malloc(4 * n), *m = calloc(n, 4), *v = calloc(n, 4), *out = malloc(4 * n);
        if (!p || !g || !m || !v || !out) return 1;
        for (ptrdiff_t i = 0; i < n; i++) {
            p[i] = 0.01f * (float)(i % 100);
            g[i] = 0.001f * (float)(i % 37) - 0.01f;
        }
        tensors[k] = (wt_adam_tensor_f32){.p_out = out, .p = p, .g = g, .m = m, .v = v, .n = n, .decay = 1,
                                          .weight_decay = 0, .w = 0.1f, .one_minus_w = 0.9f, .beta2 = 0.999f,
                                          .c2 = 0.001f, .bc2_sqrt = 0.05f, .eps = 1e-8f, .neg_step = -0.01f};
    }
    const size_t flush_bytes = (size_t)64 << 20;
    volatile char *junk = malloc(flush_bytes);
    if (!junk) return 1;
    double best = 1e30, total = 0;
    const int rounds = 200;
    for (int r = 0; r < rounds; r++) {
        if (flush)
            for (size_t i = 0; i < flush_bytes; i += 64) junk[i]++;
        const double t0 = now_us();
        wt_adam_multi_f32_checked(tensors, TENSORS);
        const double t = now_us() - t0;
        if (t < best) best = t;
        total += t;
    }
    printf("threads %d flush %d: best %.1f us, mean %.1f us over %d calls\n", threads, flush, best, total / rounds, rounds);
    return 0;
}
