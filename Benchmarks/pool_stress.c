// Stress check of the worker pool (Sources/Kernels/threadpool.c) from C, without Swift: many
// wt_parallel_for jobs back to back, the thread count changed before every job (1–4), loops of
// 1 … 4 099 items with grains 1 … 8, half of them with a parallel loop nested in every range, and
// some arithmetic per item (WORK iterations) so that workers claim ranges. After each job it
// checks that every item was visited exactly once and that every range that started also
// finished (a part still running when the caller returned shows as a started, unfinished range).
// Prints the first failures, the number of bad jobs, and how many ranges ran on workers.
// Exit status 1 when a job went wrong. Build from the package root like pool_steps.c, e.g.
//   clang -O2 -std=gnu11 -D_GNU_SOURCE -ISources/Kernels/include -ISources/Kernels \
//     Benchmarks/pool_stress.c Sources/Kernels/threadpool.c Sources/Kernels/gemm*.c \
//     Sources/Kernels/dispatch.c -lm -lpthread -o /tmp/pool_stress
//   /tmp/pool_stress 20000 30
// or with ThreadSanitizer (gcc; the stand-in below replaces gemm.c's thread setting, which gcc
// cannot compile): add -DPOOL_STRESS_OWN_THREADS, -fsanitize=thread, and drop gemm*.c / dispatch.c.
#include "gemm_internal.h"
#include "kernels_gemm.h"
#include "kernels_parallel.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef POOL_STRESS_OWN_THREADS
static _Atomic int own_threads = 2;
int wt_set_num_threads(int n) { atomic_store(&own_threads, n < 1 ? 1 : n); return n < 1 ? 1 : n; }
int wt_get_num_threads(void) { return atomic_load(&own_threads); }
#endif

enum { MAX_COUNT = 4099, INNER = 16 };

typedef struct {
    int *hits;       // [MAX_COUNT] visits per item
    int *state;      // [MAX_COUNT] 1: the range starting here started, 2: it finished
    int *inner;      // [MAX_COUNT * INNER] the nested loop's visits, per range start
    int inner_count; // items of each range's nested loop (0: none)
    int work;
} job_t;

static pthread_t caller;
static atomic_long ranges, worker_ranges;

static void inner_body(void *context, ptrdiff_t begin, ptrdiff_t end) {
    int *marks = context;
    for (ptrdiff_t i = begin; i < end; i++) marks[i] += 1;
}

static void body(void *context, ptrdiff_t begin, ptrdiff_t end) {
    job_t *j = context;
    atomic_fetch_add(&ranges, 1);
    if (!pthread_equal(caller, pthread_self())) atomic_fetch_add(&worker_ranges, 1);
    j->state[begin] = 1;
    if (j->inner_count) wt_parallel_for(j->inner_count, 1, inner_body, j->inner + begin * INNER);
    for (ptrdiff_t i = begin; i < end; i++) {
        for (volatile int k = 0; k < j->work; k++) {}
        j->hits[i] += 1;
    }
    j->state[begin] = 2;
}

static unsigned long long rng_state = 0x5EED0013ULL;
static unsigned next(unsigned n) {  // xorshift64
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

int main(int argc, char **argv) {
    long jobs = argc > 1 ? atol(argv[1]) : 20000;
    int work = argc > 2 ? atoi(argv[2]) : 30;
    if (jobs < 1 || work < 0) {
        fprintf(stderr, "usage: %s [JOBS >= 1] [WORK >= 0]\n", argv[0]);
        return 2;
    }
    caller = pthread_self();
    static int hits[MAX_COUNT], state[MAX_COUNT], inner[MAX_COUNT * INNER];
    long bad = 0;
    for (long n = 0; n < jobs; n++) {
        int threads = 1 + (int)next(4);
        wt_set_num_threads(threads);
        int count = 1 + (int)(next(8) == 0 ? next(MAX_COUNT) : next(96));
        int grain = 1 + (int)next(8);
        job_t j = {hits, state, inner, next(2) ? 1 + (int)next(INNER) : 0, work};
        memset(hits, 0, sizeof hits); memset(state, 0, sizeof state); memset(inner, 0, sizeof inner);
        wt_parallel_for(count, grain, body, &j);
        int ok = 1;
        for (int i = 0; i < count; i++) {
            if (hits[i] != 1 || state[i] == 1) ok = 0;
            if (state[i] == 2)
                for (int k = 0; k < INNER; k++)
                    if (inner[i * INNER + k] != (k < j.inner_count)) ok = 0;
        }
        if (!ok && ++bad <= 5) {
            printf("job %ld: %d items, grain %d, %d threads, nested %d; ranges (start:1 started, 2 finished):",
                   n, count, grain, threads, j.inner_count);
            for (int i = 0; i < count; i++) if (state[i]) printf(" %d:%d", i, state[i]);
            printf("\n");
        }
    }
    printf("%ld of %ld jobs wrong; %ld of %ld ranges ran on workers\n", bad, jobs, (long)worker_ranges, (long)ranges);
    return bad != 0;
}
