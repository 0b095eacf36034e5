// Persistent worker pool for the GEMM (see gemm_internal.h) and for wt_parallel_for.
//
// Workers are created lazily, on the first parallel call that needs them, and are then kept; no
// call creates or joins threads once the pool is large enough. A job is `parts` part indices;
// every thread, the caller included, claims unclaimed parts one at a time (one compare-and-swap on
// a word holding the job's generation, its part count and the next part) and runs them. The caller
// returns as soon as every part has *finished*, whoever ran it: a worker that has not woken up, or
// that another process keeps off its core, holds nothing up (the caller runs its parts too), and
// a worker that wakes after the job finds nothing left to claim. On this 2-vCPU host, shared with
// other work, the former rule (the caller waits for every worker to check in) made a step wait for
// a descheduled worker for up to a scheduler time slice.
// Between jobs a worker first polls for the next job for a short while (WT_POOL_SPIN_NS;
// back-to-back GEMMs then start without a wake-up), yielding its core to any other runnable thread
// while it does, and then sleeps on a condition variable. The caller likewise polls briefly for
// the last parts to finish before sleeping.
// One caller at a time owns the pool (`owner` mutex, taken with trylock): a second thread that calls
// in concurrently does not wait, it gets 0 back and runs its work single-threaded.
// Which thread runs which part varies from run to run; every user computes a part the same way
// whoever runs it (the GEMM's chunks, wt_parallel_for's ranges), so results do not depend on it.
//
// Why every part runs exactly once, and before the caller returns (the argument the stress tests
// PoolStressTests and Benchmarks/pool_stress.c check):
// - A part is claimed by the one compare-and-swap that moves `next` past it, and only on a word of
//   the current generation: a worker holding a word of an older job fails its CAS (the generation
//   differs) and reloads. The generation is 32 bits, so a stale CAS could only succeed if a thread
//   stalled between one load and the next CAS while exactly 2^32 jobs were posted.
// - `finished` counts the parts of the current job that returned. The caller posts the next job
//   (and resets `finished`) only after it has read finished == parts, i.e. after every part of this
//   job has returned and counted itself, so no count of one job can land in the next, and the
//   task and context a part reads after its CAS stay the same until the part has counted itself.
// - A nested call (a part that runs a GEMM or a parallel loop) finds the `owner` mutex taken,
//   since the caller holds it until all parts have finished, and runs serially on its thread.
// (A range lost in session 7 and blamed on this design was a data race in the test: Kernels-GEMM.md.)
#include "gemm_internal.h"
#include "kernels_gemm.h"
#include "kernels_parallel.h"
#include "blocked_sum.h"
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#define WT_POOL_MAX_WORKERS 63
#ifndef WT_POOL_SPIN_NS
#define WT_POOL_SPIN_NS 200000L
#endif
/// Polling without yielding for this long first (a job that follows within a few microseconds,
/// as between the calls of one training step, starts without a system call).
#ifndef WT_POOL_HOT_NS
#define WT_POOL_HOT_NS 20000L
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

/// The job word: generation (high 32 bits), threads that may take part (8 bits: the owner and
/// workers 1 ..< threads), part count (12 bits), next unclaimed part (12 bits).
#define JOB_GEN(w) ((unsigned)((w) >> 32))
#define JOB_THREADS(w) ((int)(((w) >> 24) & 0xff))
#define JOB_PARTS(w) ((int)(((w) >> 12) & 0xfff))
#define JOB_NEXT(w) ((int)((w) & 0xfff))
#define JOB_MAX_PARTS 0xfff

static struct {
    pthread_mutex_t owner;     // held by the caller that is using the pool
    pthread_mutex_t lock;      // guards the sleeping below
    pthread_cond_t wake;       // workers sleep here until a new generation is posted
    pthread_cond_t done;       // the owner sleeps here until every part has finished
    int workers;               // workers started so far (under `owner`)
    unsigned generation;       // the current job's generation (under `owner`)
    _Atomic unsigned long long job;  // JOB_GEN | JOB_THREADS | JOB_PARTS | JOB_NEXT
    wt_pool_task task;         // the current job (stable while any of its parts is unfinished)
    void *context;
    _Atomic int finished;      // parts of the current job finished
} pool = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
    0, 0, 0, 0, 0, 0,
};

/// Claims and runs parts of job generation `gen` until none is left (`index`: 0 for the owner,
/// the worker's number otherwise; workers past the job's thread count take no part). A part is
/// claimed only while its generation is current and it is unclaimed, so the job (task, context)
/// cannot change before the part has finished. Returns after the last claim attempt.
static void run_parts(unsigned gen, int index) {
    unsigned long long w = atomic_load_explicit(&pool.job, memory_order_acquire);
    for (;;) {
        if (JOB_GEN(w) != gen || JOB_NEXT(w) >= JOB_PARTS(w) || index >= JOB_THREADS(w)) return;
        if (!atomic_compare_exchange_weak_explicit(&pool.job, &w, w + 1, memory_order_acq_rel,
                                                   memory_order_acquire))
            continue;  // w now holds the current word
        int parts = JOB_PARTS(w);
        pool.task(pool.context, JOB_NEXT(w), parts);
        if (atomic_fetch_add_explicit(&pool.finished, 1, memory_order_acq_rel) + 1 == parts && index > 0) {
            pthread_mutex_lock(&pool.lock);  // the owner may be asleep
            pthread_cond_signal(&pool.done);
            pthread_mutex_unlock(&pool.lock);
        }
        w = atomic_load_explicit(&pool.job, memory_order_acquire);
    }
}

/// Polls for WT_POOL_SPIN_NS until ready() (returns 1) or not (returns 0); after the first
/// WT_POOL_HOT_NS it gives its core to any other runnable thread between polls (a spinning worker
/// placed on the owner's core would otherwise take half of the owner's time).
#define SPIN_UNTIL(ready, result)                                                                  \
    do {                                                                                           \
        long start_ = monotonic_ns(), now_ = start_;                                               \
        (result) = 0;                                                                              \
        for (;;) {                                                                                 \
            for (int i_ = 0; i_ < 64; i_++) {                                                      \
                if (ready) { (result) = 1; break; }                                                \
                cpu_relax();                                                                       \
            }                                                                                      \
            if ((result) || (now_ = monotonic_ns()) - start_ > WT_POOL_SPIN_NS) break;            \
            if (now_ - start_ > WT_POOL_HOT_NS) sched_yield();                                     \
        }                                                                                          \
    } while (0)

/// Units of the pending background sum (wt_blocked_sum_begin) that no thread has claimed yet.
static _Atomic int bg_left;
static int bg_run_unit(void);

static void *worker_main(void *arg) {
    int index = (int)((size_t)arg & 0xff);         // this worker's number, 1 ..< 64
    unsigned seen = (unsigned)((size_t)arg >> 8);  // the generation current when it was started
    for (;;) {
        int posted;
        SPIN_UNTIL(JOB_GEN(atomic_load_explicit(&pool.job, memory_order_acquire)) != seen ||
                       atomic_load(&bg_left) > 0,
                   posted);
        if (!posted) {
            pthread_mutex_lock(&pool.lock);
            while (JOB_GEN(atomic_load_explicit(&pool.job, memory_order_acquire)) == seen && atomic_load(&bg_left) <= 0)
                pthread_cond_wait(&pool.wake, &pool.lock);
            pthread_mutex_unlock(&pool.lock);
        }
        unsigned gen = JOB_GEN(atomic_load_explicit(&pool.job, memory_order_acquire));
        if (gen != seen) {  // a parallel job first
            seen = gen;
            run_parts(seen, index);
            continue;
        }
        bg_run_unit();  // else one unit of the background sum, then look for a job again
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
        size_t arg = (size_t)pool.generation << 8 | (size_t)(pool.workers + 1);
        int failed = pthread_create(&thread, &attr, worker_main, (void *)arg);
        pthread_attr_destroy(&attr);
        if (failed) break;
        pool.workers++;
    }
    return pool.workers;
}

/// wt_pool_try_run with `parts` parts shared by at most `threads` threads (the caller included).
static int pool_try_run(int threads, int parts, wt_pool_task task, void *context) {
    if (parts <= 1) { if (parts == 1) task(context, 0, 1); return 1; }
    if (parts > JOB_MAX_PARTS) return 0;  // (no caller asks for as many)
    if (threads > parts) threads = parts;
    if (threads > WT_POOL_MAX_WORKERS + 1) threads = WT_POOL_MAX_WORKERS + 1;
    if (threads <= 1) return 0;
    if (pthread_mutex_trylock(&pool.owner) != 0) return 0;
    if (ensure_workers(threads - 1) < threads - 1) { pthread_mutex_unlock(&pool.owner); return 0; }

    // Post the job: its fields first, then the word that publishes them (release).
    pool.task = task;
    pool.context = context;
    atomic_store_explicit(&pool.finished, 0, memory_order_relaxed);
    unsigned gen = ++pool.generation;
    atomic_store_explicit(&pool.job, (unsigned long long)gen << 32 | (unsigned long long)threads << 24 |
                                         (unsigned long long)parts << 12,
                          memory_order_release);
    pthread_mutex_lock(&pool.lock);  // (a worker between its check and its wait holds the lock)
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);

    run_parts(gen, 0);

    int all;
    SPIN_UNTIL(atomic_load_explicit(&pool.finished, memory_order_acquire) == parts, all);
    if (!all) {
        pthread_mutex_lock(&pool.lock);
        while (atomic_load_explicit(&pool.finished, memory_order_acquire) < parts)
            pthread_cond_wait(&pool.done, &pool.lock);
        pthread_mutex_unlock(&pool.lock);
    }
    pthread_mutex_unlock(&pool.owner);
    return 1;
}

int wt_pool_try_run(int parts, wt_pool_task task, void *context) {
    return pool_try_run(parts, parts, task, context);
}

// ---------------------------------------------------------------------------------------------
// wt_parallel_for (kernels_parallel.h): contiguous ranges over the same pool.

#ifndef WT_PARALLEL_PARTS_PER_THREAD
#define WT_PARALLEL_PARTS_PER_THREAD 4
#endif

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
    int threads = wt_get_num_threads();
    // WT_PARALLEL_PARTS_PER_THREAD ranges per thread when the loop is long enough (each still of
    // at least `grain` items), claimed one at a time: a worker that starts late, or loses its core
    // for a while, still takes a share, and the threads finish within one range of each other.
    int parts = most < (ptrdiff_t)threads * WT_PARALLEL_PARTS_PER_THREAD ? (int)most : threads * WT_PARALLEL_PARTS_PER_THREAD;
    // Fewer: a multiple of the thread count (ranges of one size), so threads that start together
    // finish together; 3 ranges on 2 threads (an activation of 128 × 400 at a grain of 16384) left
    // one thread idle for a third of the loop.
    if (parts > threads) parts -= parts % threads;
    if (threads > 1 && parts > 1) {
        parallel_job job = {count, body, context};
        if (pool_try_run(threads, parts, parallel_part, &job)) return;
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

// ---------------------------------------------------------------------------------------------
// Background blocked sums (blocked_sum.h): one at a time, run in units by idle workers.
//
// Block b of the sum runs as units 0 ..< units(b) in order, each continuing the block's
// accumulators (the block function is resumable), so the result is wt_blocked_sum's whoever runs
// which unit. state[b] = 2·(units done) + 1 while a thread runs the next one: a unit is claimed by
// the compare-and-swap that sets the busy bit on a state whose previous units are all done, and
// released by the store of the next count, which also publishes the accumulators to the next
// claimer. A worker takes one unit at a time and looks for a parallel job in between; the owner
// of the sum runs the units left in wt_blocked_sum_end while the workers go on taking them, then
// retires the sum: it clears bg_current and waits until no worker still holds a pointer to it
// (bg_users counts the workers between their load of bg_current and their last access).

#define BG_MAX_BLOCKS 64

struct wt_background_sum {
    ptrdiff_t n;
    int lanes, blocks, background;
    wt_block_sum_fn block;
    _Atomic int state[BG_MAX_BLOCKS];
    _Atomic int blocks_done;
    double partial[BG_MAX_BLOCKS * 8];
    void *context;  // the copy (points into `storage`)
    _Alignas(16) unsigned char storage[];
};

static _Atomic(wt_background_sum *) bg_current;
static _Atomic int bg_users;
/// 1 from a background sum's start until its end has retired it (no second one starts before, so
/// the end's wait for the workers that may still hold the retired pointer is short).
static _Atomic int bg_busy;

static int bg_units(const wt_background_sum *h, int b) {
    ptrdiff_t start = (ptrdiff_t)b * WT_SUM_BLOCK, count = h->n - start < WT_SUM_BLOCK ? h->n - start : WT_SUM_BLOCK;
    return (int)((count + WT_SUM_UNIT - 1) / WT_SUM_UNIT);
}

/// Runs the next unit of block b if it is free (returns 1), else returns 0.
static int bg_try_unit(wt_background_sum *h, int b) {
    int s = atomic_load(&h->state[b]);
    int k = s >> 1, units = bg_units(h, b);
    if ((s & 1) || k >= units || !atomic_compare_exchange_strong(&h->state[b], &s, s | 1)) return 0;
    if (h->background) atomic_fetch_sub(&bg_left, 1);
    double *acc = h->partial + (ptrdiff_t)b * h->lanes;
    if (k == 0)
        for (int l = 0; l < h->lanes; l++) acc[l] = 0;
    ptrdiff_t block_start = (ptrdiff_t)b * WT_SUM_BLOCK, start = block_start + (ptrdiff_t)k * WT_SUM_UNIT;
    ptrdiff_t block_end = h->n - block_start < WT_SUM_BLOCK ? h->n : block_start + WT_SUM_BLOCK;
    ptrdiff_t count = block_end - start < WT_SUM_UNIT ? block_end - start : WT_SUM_UNIT;
    h->block(h->context, start, count, acc);
    atomic_store(&h->state[b], 2 * (k + 1));
    if (k + 1 == units) atomic_fetch_add(&h->blocks_done, 1);
    return 1;
}

/// A worker's turn at the background sum: one unit, the lowest free one.
static int bg_run_unit(void) {
    int ran = 0;
    atomic_fetch_add(&bg_users, 1);
    wt_background_sum *h = atomic_load(&bg_current);
    if (h)
        for (int b = 0; b < h->blocks && !ran; b++) ran = bg_try_unit(h, b);
    atomic_fetch_sub(&bg_users, 1);
    if (!ran) cpu_relax();
    return ran;
}

wt_background_sum *wt_blocked_sum_begin(ptrdiff_t n, int lanes, wt_block_sum_fn block, const void *context,
                                        size_t context_size) {
    wt_background_sum *h = malloc(sizeof(wt_background_sum) + context_size);
    if (!h) return NULL;
    h->n = n;
    h->lanes = lanes;
    h->block = block;
    ptrdiff_t blocks = n > 0 ? (n + WT_SUM_BLOCK - 1) / WT_SUM_BLOCK : 0;
    h->blocks = blocks > BG_MAX_BLOCKS ? BG_MAX_BLOCKS + 1 : (int)blocks;  // more: no background
    h->background = 0;
    for (int b = 0; b < BG_MAX_BLOCKS; b++) atomic_init(&h->state[b], 0);
    atomic_init(&h->blocks_done, 0);
    memcpy(h->storage, context, context_size);
    h->context = h->storage;
    int threads = wt_get_num_threads();
    if (threads <= 1 || h->blocks < 1 || h->blocks > BG_MAX_BLOCKS || pthread_mutex_trylock(&pool.owner) != 0) return h;
    int idle = 0;
    if (ensure_workers(threads - 1) >= threads - 1 && atomic_compare_exchange_strong(&bg_busy, &idle, 1)) {
        h->background = 1;
        int units = 0;
        for (int b = 0; b < h->blocks; b++) units += bg_units(h, b);
        atomic_store(&bg_current, h);
        atomic_store(&bg_left, units);
        pthread_mutex_lock(&pool.lock);  // wake a sleeping worker
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }  // else another background sum is pending: this one runs where it ends
    pthread_mutex_unlock(&pool.owner);
    return h;
}

double wt_blocked_sum_end(wt_background_sum *h) {
    double sum;
    if (!h->background) {
        sum = wt_blocked_sum(h->n, h->lanes, h->block, h->context);
    } else {
        // the units left, from the last block down (the workers take the lowest free ones)
        // (waiting only for units a worker runs: after WT_POOL_HOT_NS it gives its core away
        // between polls, in case that worker shares it)
        long waiting = 0;
        while (atomic_load(&h->blocks_done) < h->blocks) {
            int ran = 0;
            for (int b = h->blocks - 1; b >= 0; b--)
                while (bg_try_unit(h, b)) ran = 1;
            if (ran) {
                waiting = 0;
            } else {
                long now = monotonic_ns();
                if (!waiting) waiting = now;
                if (now - waiting > WT_POOL_HOT_NS) sched_yield(); else cpu_relax();
            }
        }
        atomic_store(&bg_current, NULL);
        while (atomic_load(&bg_users) > 0) cpu_relax();
        atomic_store(&bg_busy, 0);
        double total[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int b = 0; b < h->blocks; b++)
            for (int l = 0; l < h->lanes; l++) total[l] += h->partial[b * h->lanes + l];
        sum = 0;
        for (int l = 0; l < h->lanes; l++) sum += total[l];
    }
    free(h);
    return sum;
}
