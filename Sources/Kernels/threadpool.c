// Persistent worker pool for the GEMM (see gemm_internal.h) and for wt_parallel_for.
//
// Workers are created lazily, on the first parallel call that needs them, and are then kept; no
// call creates or joins threads once the pool is large enough. Between jobs a worker first polls
// for the next job for a short while (WT_POOL_SPIN_NS; back-to-back GEMMs then start without a
// wake-up, which matters when other processes keep the cores busy) and then sleeps on a condition
// variable. The owner likewise polls briefly for the workers to finish before sleeping.
// One caller at a time owns the pool (`owner` mutex, taken with trylock): a second thread that calls
// in concurrently does not wait, it gets 0 back and runs its work single-threaded.
#include "gemm_internal.h"
#include "kernels_gemm.h"
#include "kernels_parallel.h"
#include "blocked_sum.h"
#include <stdlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define WT_POOL_MAX_WORKERS 63
#ifndef WT_POOL_SPIN_NS
#define WT_POOL_SPIN_NS 200000L
#endif

static long monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// Polls until (*value == target) == equal (returns 1) or WT_POOL_SPIN_NS pass (returns 0).
static int spin_until(_Atomic unsigned long *value, unsigned long target, int equal) {
    long deadline = monotonic_ns() + WT_POOL_SPIN_NS;
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if ((atomic_load_explicit(value, memory_order_acquire) == target) == equal) return 1;
            cpu_relax();
        }
        if (monotonic_ns() > deadline) return 0;
    }
}

static struct {
    pthread_mutex_t owner;     // held by the caller that is using the pool
    pthread_mutex_t lock;      // guards every field below
    pthread_cond_t wake;       // workers wait here for a new generation
    pthread_cond_t done;       // the owner waits here for `pending` to reach 0
    int workers;               // workers started so far
    _Atomic unsigned long generation;  // incremented for every job (under `lock`; polled without)
    wt_pool_task task;
    void *context;
    int parts;
    _Atomic unsigned long pending;     // workers yet to finish the current job (under `lock`; polled without)
    unsigned long start_generation[WT_POOL_MAX_WORKERS + 1];  // generation current at each worker's start
} pool = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
    0, 0, 0, 0, 0, 0, {0},
};

static void *worker_main(void *arg) {
    int index = (int)(ptrdiff_t)arg;  // this worker runs part index (1-based; part 0 is the owner's)
    pthread_mutex_lock(&pool.lock);
    // Not pool.generation: this thread may first run after its first job was already posted.
    unsigned long seen = pool.start_generation[index];
    for (;;) {
        while (pool.generation == seen) pthread_cond_wait(&pool.wake, &pool.lock);
        seen = pool.generation;
        wt_pool_task task = pool.task;
        void *context = pool.context;
        int parts = pool.parts;
        pthread_mutex_unlock(&pool.lock);
        if (index < parts) task(context, index, parts);
        pthread_mutex_lock(&pool.lock);
        if (atomic_fetch_sub(&pool.pending, 1) == 1) pthread_cond_signal(&pool.done);
        pthread_mutex_unlock(&pool.lock);
        spin_until(&pool.generation, seen, 0);  // the next job, if it comes soon
        pthread_mutex_lock(&pool.lock);
    }
    return 0;
}

/// Starts workers until there are `wanted` (owner mutex held). Returns the number running.
static int ensure_workers(int wanted) {
    if (wanted > WT_POOL_MAX_WORKERS) wanted = WT_POOL_MAX_WORKERS;
    while (pool.workers < wanted) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t thread;
        pthread_mutex_lock(&pool.lock);
        int index = pool.workers + 1;
        pool.start_generation[index] = pool.generation;
        int failed = pthread_create(&thread, &attr, worker_main, (void *)(ptrdiff_t)index);
        if (!failed) pool.workers++;
        pthread_mutex_unlock(&pool.lock);
        pthread_attr_destroy(&attr);
        if (failed) break;
    }
    return pool.workers;
}

int wt_pool_try_run(int parts, wt_pool_task task, void *context) {
    if (parts <= 1) { if (parts == 1) task(context, 0, 1); return 1; }
    if (pthread_mutex_trylock(&pool.owner) != 0) return 0;
    if (ensure_workers(parts - 1) < parts - 1) { pthread_mutex_unlock(&pool.owner); return 0; }

    pthread_mutex_lock(&pool.lock);
    pool.task = task;
    pool.context = context;
    pool.parts = parts;
    atomic_store(&pool.pending, (unsigned long)pool.workers);
    atomic_fetch_add(&pool.generation, 1);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);

    task(context, 0, parts);

    if (!spin_until(&pool.pending, 0, 1)) {
        pthread_mutex_lock(&pool.lock);
        while (atomic_load(&pool.pending) > 0) pthread_cond_wait(&pool.done, &pool.lock);
        pthread_mutex_unlock(&pool.lock);
    }
    pthread_mutex_unlock(&pool.owner);
    return 1;
}

// ---------------------------------------------------------------------------------------------
// wt_parallel_for (kernels_parallel.h): contiguous ranges over the same pool.

typedef struct {
    ptrdiff_t count;
    wt_parallel_body body;
    void *context;
} parallel_job;

static void parallel_part(void *context, int part, int parts) {
    const parallel_job *job = context;
    ptrdiff_t begin = job->count * part / parts, end = job->count * (part + 1) / parts;
    if (end > begin) job->body(job->context, begin, end);
}

void wt_parallel_for(ptrdiff_t count, ptrdiff_t grain, wt_parallel_body body, void *context) {
    if (count <= 0) return;
    if (grain < 1) grain = 1;
    ptrdiff_t most = count / grain;
    int parts = wt_get_num_threads();
    if (most < parts) parts = (int)most;
    if (parts > 1) {
        parallel_job job = {count, body, context};
        if (wt_pool_try_run(parts, parallel_part, &job)) return;
    }
    body(context, 0, count);
}

// ---------------------------------------------------------------------------------------------
// wt_blocked_sum (blocked_sum.h): deterministic sums over the same pool.

typedef struct {
    ptrdiff_t n;
    int lanes;
    wt_block_sum_fn block;
    void *context;
    double *partial;  // lanes per block
} blocked_sum_job;

/// One block into acc[0 ..< lanes].
static void blocked_sum_block(const blocked_sum_job *job, ptrdiff_t b, double *acc) {
    for (int l = 0; l < job->lanes; l++) acc[l] = 0;
    ptrdiff_t start = b * WT_SUM_BLOCK, count = job->n - start < WT_SUM_BLOCK ? job->n - start : WT_SUM_BLOCK;
    job->block(job->context, start, count, acc);
}

static void blocked_sum_part(void *context, ptrdiff_t begin, ptrdiff_t end) {
    const blocked_sum_job *job = context;
    for (ptrdiff_t b = begin; b < end; b++) blocked_sum_block(job, b, job->partial + b * job->lanes);
}

double wt_blocked_sum(ptrdiff_t n, int lanes, wt_block_sum_fn block, void *context) {
    double total[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (n > 0) {
        ptrdiff_t blocks = (n + WT_SUM_BLOCK - 1) / WT_SUM_BLOCK;
        double local[8 * 16];
        double *partial = blocks <= 16 ? local : malloc((size_t)(blocks * lanes) * sizeof(double));
        blocked_sum_job job = {n, lanes, block, context, partial};
        if (partial) {
            wt_parallel_for(blocks, 1, blocked_sum_part, &job);
            for (ptrdiff_t b = 0; b < blocks; b++)
                for (int l = 0; l < lanes; l++) total[l] += partial[b * lanes + l];
            if (partial != local) free(partial);
        } else {
            // No memory for the block results: the same blocks one after another, same bits.
            double one[8];
            for (ptrdiff_t b = 0; b < blocks; b++) {
                blocked_sum_block(&job, b, one);
                for (int l = 0; l < lanes; l++) total[l] += one[l];
            }
        }
    }
    double sum = 0;
    for (int l = 0; l < lanes; l++) sum += total[l];
    return sum;
}
