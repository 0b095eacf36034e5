// GEMM entry points: argument handling, instruction-set dispatch, cache blocking and threading.
//
// Blocking (BLIS order): for each NC-wide column block of C, for each KC-deep slice of k, pack the
// KC×NC block of op(B); then for each MC-tall row block, pack the MC×KC block of op(A) and run the
// macro-kernel, which walks NR-wide / MR-tall micro-tiles over the packed blocks. The first k-slice
// applies the caller's beta, later slices accumulate (beta = 1). Block sizes and building blocks
// come from the wt_?gemm_impl of the tier wt_active_isa() reports, read on every call.
//
// Threads: a large enough product is split into independent sub-products, run on the persistent
// pool in threadpool.c. With a plain B (WT_GEMM_BALANCED), one part per thread, of equal cost: split
// along n, the output is cut into cells of col_step columns × MR rows, numbered column first, and
// each part takes an equal run of cells (gemm_balanced_pieces), at most three pieces with disjoint
// columns that share one packing of op(A) (gemm_column_pieces); split along m (m > n), whole row
// steps. Otherwise (a prepacked B, or WT_GEMM_BALANCED = 0), chunks
// along n (or m) in multiples of col_step (row_step / MR), claimed from a counter. A split along m
// packs its own operands per part; a split along n of a plain B runs one k-slice at a time, its
// block of op(A) packed once and shared by the threads, each column chunk packing its own op(B),
// unless m and n are both large (WT_GEMM_WHOLE_PART_MIN): then each thread takes one part and
// packs its own operands, with no wait between k-slices. If the pool is busy (another thread's GEMM holds it), the call runs serially.
#include "kernels_gemm.h"
#include "kernels_dispatch.h"
#include "gemm_internal.h"
#include "kernels_cplx_passes.h"
#include "kernels_parallel.h"
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sched.h>
#include <stdio.h>

/// Products with fewer multiply-adds than this (counted as WT_GEMM_PADDED_MACS) run on the calling
/// thread only. 2¹⁹ is about 9 µs of one core's work: a worker that is polling for work (the pool
/// polls 20 µs after a job, then yields up to 200 µs) takes its part within a microsecond or two;
/// one that sleeps costs a wake-up, but the caller claims every part no worker has taken, so a late
/// worker costs a second packing of the shared operand, not the wake-up (Kernels-GEMM.md, "Threads").
#ifndef WT_GEMM_PARALLEL_MIN_MACS
#define WT_GEMM_PARALLEL_MIN_MACS ((double)(1 << 19))
#endif
/// Multiply-adds of an m×n×k product as the micro-kernels compute them: rows rounded up to a row
/// step, columns to a column vector (a short last panel costs that much).
#define WT_GEMM_PADDED_MACS(im, m, n, k) ((double)(((m) + (im)->row_step - 1) / (im)->row_step * (im)->row_step) * \
    (double)(((n) + (im)->col_step - 1) / (im)->col_step * (im)->col_step) * (double)(k))

/// Work items per thread in a parallel product (taken dynamically, see gemm_part).
#ifndef WT_GEMM_CHUNKS_PER_THREAD
#define WT_GEMM_CHUNKS_PER_THREAD 2
#endif

/// Products with m and n both at least this large (and a plain B) run as one independent sub-product
/// per thread, each packing its own operands: no shared packing, one pool job, no wait per k-slice.
#ifndef WT_GEMM_WHOLE_PART_MIN
#define WT_GEMM_WHOLE_PART_MIN 512
#endif

/// 1: a product split along n packs each k-slice of op(A) once for all threads (gemm_shared_a);
/// 0: every column chunk packs all of op(A) itself (the form before session 9, kept for timing).
#ifndef WT_GEMM_SHARED_A
#define WT_GEMM_SHARED_A 1
#endif

/// 1: a parallel product with a plain B runs as one part per thread, the parts of equal cost down to
/// a cell of row_step rows × col_step columns, each packing its own operands (gemm_part, balanced);
/// 0: the chunked forms below (shared op(A), or one part per thread for large m and n), kept for timing.
#ifndef WT_GEMM_BALANCED
#define WT_GEMM_BALANCED 1
#endif

static _Atomic int gemm_threads = 0;  // 0: not yet initialised

int wt_default_num_threads(void) {
    const char *env = getenv("WIRTINGER_NUM_THREADS");
    if (env && *env) {
        char *end = NULL;
        long n = strtol(env, &end, 10);
        if (env[0] >= '0' && env[0] <= '9' && *end == 0 && n >= 1 && n <= 64) return (int)n;  // digits only
        fprintf(stderr, "wirtinger: WIRTINGER_NUM_THREADS=%s is not a whole number in 1...64; ignored\n", env);
    }
    long cpus = 0;
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
#endif
    if (cpus < 1) cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > 64 ? 64 : (int)cpus;
}

int wt_set_num_threads(int n) {
    if (n < 1) n = 1;
    if (n > 64) n = 64;
    atomic_store_explicit(&gemm_threads, n, memory_order_relaxed);
    return n;
}

int wt_get_num_threads(void) {
    int n = atomic_load_explicit(&gemm_threads, memory_order_relaxed);
    if (n == 0) {
        int expected = 0;
        n = wt_default_num_threads();
        if (!atomic_compare_exchange_strong(&gemm_threads, &expected, n)) n = expected;
    }
    return n;
}

/// Splits `total` items into `blocks` nearly equal blocks, each a multiple of `unit` (except the
/// last): returns the block size.
static ptrdiff_t balanced_block(ptrdiff_t total, ptrdiff_t max_block, ptrdiff_t unit) {
    ptrdiff_t blocks = (total + max_block - 1) / max_block;
    ptrdiff_t size = (total + blocks - 1) / blocks;
    return (size + unit - 1) / unit * unit;
}

/// One rectangle of a thread's share of a balanced split (gemm_balanced_pieces), in units: major
/// units [maj0, maj1) × minor units [min0, min1).
typedef struct { ptrdiff_t maj0, maj1, min0, min1; } wt_gemm_piece;

/// The share of part `part` of `parts` in a product whose output is a grid of major_units ×
/// minor_units equal cells, numbered major unit first: cells [total·part/parts,
/// total·(part + 1)/parts). Such a range is at most three rectangles (the rest of a major unit the
/// previous part began, whole major units, the start of the next one), written to `out`; returns
/// how many.
static int gemm_balanced_pieces(ptrdiff_t major_units, ptrdiff_t minor_units, int part, int parts,
                                wt_gemm_piece out[3]) {
    ptrdiff_t total = major_units * minor_units;
    ptrdiff_t s = total * part / parts, e = total * (part + 1) / parts;
    if (s >= e) return 0;
    ptrdiff_t j0 = s / minor_units, i0 = s % minor_units, j1 = e / minor_units, i1 = e % minor_units;
    if (j0 == j1) {
        out[0] = (wt_gemm_piece){j0, j0 + 1, i0, i1};
        return 1;
    }
    int count = 0;
    if (i0 > 0) out[count++] = (wt_gemm_piece){j0, j0 + 1, i0, minor_units}, j0++;
    if (j1 > j0) out[count++] = (wt_gemm_piece){j0, j1, 0, minor_units};
    if (i1 > 0) out[count++] = (wt_gemm_piece){j1, j1 + 1, 0, i1};
    return count;
}

/// 64-byte aligned scratch memory; freed with free(*raw).
static void *aligned_scratch(size_t bytes, void **raw) {
    *raw = malloc(bytes + 64);
    if (!*raw) return 0;
    return (void *)(((uintptr_t)*raw + 63) & ~(uintptr_t)63);
}

#define DEFINE_GEMM_DRIVER(P, T)                                                                     \
/* Rows r0 ..< r1 and columns lo ..< hi (lo a multiple of NR) of C = alpha·op(A)·op(B) + beta·C, over \
   the column blocks of the whole product (n columns). B̃ is read from `packed` (the layout of         \
   wt_?gemm_pack_b) or, when that is NULL, packed here from b block by block. Without scratch memory  \
   it falls back to plain sums (the unpacked oracle, or sums over the packed panels). A non-NULL      \
   shared_a holds op(A)[r0 ..< r1] already packed (slice pc at pc·round_up(r1 − r0, MR), its row      \
   block ic at (ic − r0)·kc within), read in place of packing A here. */                             \
static void P##gemm_serial(const wt_##P##gemm_impl *im, int ta, int tb, ptrdiff_t r0, ptrdiff_t r1,  \
                           ptrdiff_t lo, ptrdiff_t hi, ptrdiff_t n, ptrdiff_t k, T alpha, const T *a, \
                           ptrdiff_t lda, const T *b, ptrdiff_t ldb, const T *packed, T beta, T *c,  \
                           ptrdiff_t ldc, const T *shared_a) {                                       \
    ptrdiff_t mb = balanced_block(r1 - r0, im->mc, im->mr), kb = balanced_block(k, im->kc, 1);       \
    ptrdiff_t nb = balanced_block(n, im->nc, im->nr), m_pad = (r1 - r0 + im->mr - 1) / im->mr * im->mr;\
    size_t a_len = shared_a ? 0 : (size_t)mb * (size_t)kb, b_len = packed ? 0 : (size_t)nb * (size_t)kb;\
    void *raw;                                                                                       \
    T *pa = aligned_scratch((a_len + b_len) * sizeof(T) + 64, &raw);                                 \
    if (!pa && !packed) {                                                                            \
        wt_##P##gemm_portable(ta, tb, r1 - r0, hi - lo, k, alpha, ta ? a + r0 : a + r0 * lda, lda,   \
                              tb ? b + lo * ldb : b + lo, ldb, beta, c + r0 * ldc + lo, ldc);        \
        return;                                                                                      \
    }                                                                                                \
    if (!pa) {                                                                                       \
        for (ptrdiff_t i = r0; i < r1; i++)                                                          \
            for (ptrdiff_t j = lo; j < hi; j++) {                                                    \
                ptrdiff_t jc = j / nb * nb, nc = n - jc < nb ? n - jc : nb;                          \
                ptrdiff_t ncp = (nc + im->nr - 1) / im->nr * im->nr, jr = j - jc;                    \
                T sum = 0;                                                                           \
                for (ptrdiff_t pc = 0; pc < k; pc += kb) {                                           \
                    ptrdiff_t kc = k - pc < kb ? k - pc : kb;                                        \
                    const T *panel = packed + jc * k + pc * ncp + jr / im->nr * im->nr * kc;         \
                    for (ptrdiff_t p = 0; p < kc; p++)                                               \
                        sum += (ta ? a[(pc + p) * lda + i] : a[i * lda + pc + p]) *                  \
                               panel[p * im->nr + jr % im->nr];                                      \
                }                                                                                    \
                c[i * ldc + j] = beta == 0 ? alpha * sum : alpha * sum + beta * c[i * ldc + j];      \
            }                                                                                        \
        return;                                                                                      \
    }                                                                                                \
    T *scratch_b = (T *)(((uintptr_t)(pa + a_len) + 63) & ~(uintptr_t)63);                           \
    for (ptrdiff_t jc = 0; jc < n; jc += nb) {                                                       \
        ptrdiff_t nc = n - jc < nb ? n - jc : nb, ncp = (nc + im->nr - 1) / im->nr * im->nr;         \
        ptrdiff_t j0 = lo > jc ? lo : jc, j1 = hi < jc + nc ? hi : jc + nc;                          \
        if (j0 >= j1) continue;                                                                      \
        for (ptrdiff_t pc = 0; pc < k; pc += kb) {                                                   \
            ptrdiff_t kc = k - pc < kb ? k - pc : kb;                                                \
            const T *pb = scratch_b;                                                                 \
            if (packed)                                                                              \
                pb = packed + jc * k + pc * ncp + (j0 - jc) / im->nr * im->nr * kc;                  \
            else                                                                                     \
                im->pack_b(tb, kc, j1 - j0, tb ? b + j0 * ldb + pc : b + pc * ldb + j0, ldb, scratch_b);\
            T slice_beta = pc == 0 ? beta : (T)1;                                                    \
            for (ptrdiff_t ic = r0; ic < r1; ic += mb) {                                             \
                ptrdiff_t mc = r1 - ic < mb ? r1 - ic : mb;                                          \
                const T *blk = pa;                                                                   \
                if (shared_a)                                                                        \
                    blk = shared_a + pc * m_pad + (ic - r0) * kc;                                    \
                else                                                                                 \
                    im->pack_a(ta, mc, kc, ta ? a + pc * lda + ic : a + ic * lda + pc, lda, pa);     \
                im->macro(mc, j1 - j0, kc, alpha, blk, pb, slice_beta, c + ic * ldc + j0, ldc);      \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
    free(raw);                                                                                       \
}                                                                                                    \
                                                                                                     \
/* `count` pieces with disjoint column ranges [cols0[q], cols1[q]) and row ranges [rows0[q],        \
   rows1[q]) whose starts lie a multiple of MR above the lowest one (a plain B): one pass like        \
   gemm_serial, op(A) packed once per block for all of them and each piece's columns of op(B) packed \
   on their own, so a part of a balanced split (up to three such pieces) packs nothing twice. */     \
static void P##gemm_column_pieces(const wt_##P##gemm_impl *im, int ta, int tb, int count,            \
                                  const ptrdiff_t *rows0, const ptrdiff_t *rows1,                    \
                                  const ptrdiff_t *cols0, const ptrdiff_t *cols1, ptrdiff_t n,       \
                                  ptrdiff_t k, T alpha, const T *a, ptrdiff_t lda, const T *b,       \
                                  ptrdiff_t ldb, T beta, T *c, ptrdiff_t ldc) {                      \
    if (count == 1) {                                                                                \
        P##gemm_serial(im, ta, tb, rows0[0], rows1[0], cols0[0], cols1[0], n, k, alpha, a, lda, b, ldb, \
                       0, beta, c, ldc, 0);                                                          \
        return;                                                                                      \
    }                                                                                                \
    ptrdiff_t lo = rows0[0], hi = rows1[0];                                                          \
    for (int q = 1; q < count; q++) {                                                                \
        if (rows0[q] < lo) lo = rows0[q];                                                            \
        if (rows1[q] > hi) hi = rows1[q];                                                            \
    }                                                                                                \
    ptrdiff_t mb = balanced_block(hi - lo, im->mc, im->mr), kb = balanced_block(k, im->kc, 1);       \
    ptrdiff_t nb = balanced_block(n, im->nc, im->nr), b_len[3], b_total = 0;                         \
    for (int q = 0; q < count; q++) {                                                                \
        ptrdiff_t w = cols1[q] - cols0[q] < nb ? cols1[q] - cols0[q] : nb;                           \
        b_len[q] = ((w + im->nr - 1) / im->nr * im->nr * kb + 15) / 16 * 16;                         \
        b_total += b_len[q];                                                                         \
    }                                                                                                \
    void *raw;                                                                                       \
    T *pa = aligned_scratch(((size_t)mb * (size_t)kb + (size_t)b_total) * sizeof(T) + 64, &raw);     \
    if (!pa) {                                                                                       \
        for (int q = 0; q < count; q++)                                                              \
            P##gemm_serial(im, ta, tb, rows0[q], rows1[q], cols0[q], cols1[q], n, k, alpha, a, lda, b, \
                           ldb, 0, beta, c, ldc, 0);                                                 \
        return;                                                                                      \
    }                                                                                                \
    T *pb[3];                                                                                        \
    pb[0] = (T *)(((uintptr_t)(pa + (size_t)mb * (size_t)kb) + 63) & ~(uintptr_t)63);                \
    for (int q = 1; q < count; q++) pb[q] = pb[q - 1] + b_len[q - 1];                                \
    for (ptrdiff_t jc = 0; jc < n; jc += nb) {                                                       \
        ptrdiff_t nc = n - jc < nb ? n - jc : nb, j0[3], j1[3];                                      \
        int any = 0;                                                                                 \
        for (int q = 0; q < count; q++) {                                                            \
            j0[q] = cols0[q] > jc ? cols0[q] : jc;                                                   \
            j1[q] = cols1[q] < jc + nc ? cols1[q] : jc + nc;                                         \
            any |= j0[q] < j1[q];                                                                    \
        }                                                                                            \
        if (!any) continue;                                                                          \
        for (ptrdiff_t pc = 0; pc < k; pc += kb) {                                                   \
            ptrdiff_t kc = k - pc < kb ? k - pc : kb;                                                \
            for (int q = 0; q < count; q++)                                                          \
                if (j0[q] < j1[q])                                                                   \
                    im->pack_b(tb, kc, j1[q] - j0[q], tb ? b + j0[q] * ldb + pc : b + pc * ldb + j0[q], \
                               ldb, pb[q]);                                                          \
            T slice_beta = pc == 0 ? beta : (T)1;                                                    \
            for (ptrdiff_t ic = lo; ic < hi; ic += mb) {                                             \
                ptrdiff_t mc = hi - ic < mb ? hi - ic : mb;                                          \
                im->pack_a(ta, mc, kc, ta ? a + pc * lda + ic : a + ic * lda + pc, lda, pa);         \
                for (int q = 0; q < count; q++) {                                                    \
                    ptrdiff_t x0 = rows0[q] > ic ? rows0[q] : ic;                                    \
                    ptrdiff_t x1 = rows1[q] < ic + mc ? rows1[q] : ic + mc;                          \
                    if (j0[q] < j1[q] && x0 < x1)                                                    \
                        im->macro(x1 - x0, j1[q] - j0[q], kc, alpha, pa + (x0 - ic) * kc, pb[q],     \
                                  slice_beta, c + x0 * ldc + j0[q], ldc);                            \
                }                                                                                    \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
    free(raw);                                                                                       \
}                                                                                                    \
                                                                                                     \
typedef struct {                                                                                     \
    const wt_##P##gemm_impl *im;                                                                     \
    int ta, tb, split_n, chunks, balanced;                                                           \
    ptrdiff_t m, n, k, lda, ldb, ldc, unit, units, minor_unit, minor_units;                          \
    T alpha, beta;                                                                                   \
    const T *a, *b, *packed;                                                                         \
    T *c;                                                                                            \
    _Atomic int next_chunk;                                                                          \
    /* A shared op(A) (a column split of one k-slice, see gemm_run): its row_blocks blocks of mb     \
       rows are packed into shared_a by whichever threads claim them, before any chunk runs. */      \
    T *shared_a;                                                                                     \
    ptrdiff_t mb;                                                                                    \
    int row_blocks;                                                                                  \
    _Atomic int next_pack, packs_done;                                                               \
} P##gemm_job;                                                                                       \
                                                                                                     \
/* Each participating thread takes chunks (contiguous ranges of NR columns, MR rows or, for a      \
   prepacked B, row_step rows of C) until none are left, so a worker that wakes late just does       \
   fewer of them. With a shared A, the threads first pack its blocks the same way and wait until    \
   every block is packed. */                                                                        \
static void P##gemm_part(void *context, int part, int parts) {                                       \
    P##gemm_job *j = context;                                                                        \
    ptrdiff_t unit = j->unit;                                                                        \
    ptrdiff_t extent = j->split_n ? j->n : j->m;                                                     \
    if (j->balanced) {  /* this part's cells: up to three rectangles */                              \
        wt_gemm_piece pieces[3];                                                                     \
        ptrdiff_t r0[3], r1[3], c0[3], c1[3];                                                        \
        int count = gemm_balanced_pieces(j->units, j->minor_units, part, parts, pieces), used = 0;   \
        for (int q = 0; q < count; q++) {                                                            \
            ptrdiff_t a0 = pieces[q].maj0 * unit, a1 = pieces[q].maj1 * unit;                        \
            ptrdiff_t b0 = pieces[q].min0 * j->minor_unit, b1 = pieces[q].min1 * j->minor_unit;      \
            ptrdiff_t minor_extent = j->split_n ? j->m : j->n;                                       \
            if (a1 > extent) a1 = extent;                                                            \
            if (b1 > minor_extent) b1 = minor_extent;                                                \
            if (a0 >= a1 || b0 >= b1) continue;                                                      \
            r0[used] = j->split_n ? b0 : a0, r1[used] = j->split_n ? b1 : a1;                        \
            c0[used] = j->split_n ? a0 : b0, c1[used] = j->split_n ? a1 : b1;                        \
            used++;                                                                                  \
        }                                                                                            \
        if (used)                                                                                    \
            P##gemm_column_pieces(j->im, j->ta, j->tb, used, r0, r1, c0, c1, j->n, j->k, j->alpha,   \
                                  j->a, j->lda, j->b, j->ldb, j->beta, j->c, j->ldc);                \
        return;                                                                                      \
    }                                                                                                \
    (void)part; (void)parts;                                                                         \
    if (j->shared_a) {                                                                               \
        for (;;) {                                                                                   \
            int t = atomic_fetch_add_explicit(&j->next_pack, 1, memory_order_relaxed);               \
            if (t >= j->row_blocks) break;                                                           \
            ptrdiff_t ic = t * j->mb, mc = j->m - ic < j->mb ? j->m - ic : j->mb;                     \
            j->im->pack_a(j->ta, mc, j->k, j->ta ? j->a + ic : j->a + ic * j->lda, j->lda,           \
                          j->shared_a + ic * j->k);                                                  \
            atomic_fetch_add_explicit(&j->packs_done, 1, memory_order_release);                      \
        }                                                                                            \
        /* every block is claimed; wait for those another thread is still packing */                 \
        for (int spins = 0; atomic_load_explicit(&j->packs_done, memory_order_acquire) < j->row_blocks; spins++) \
            if (spins > 2000) sched_yield();                                                         \
    }                                                                                                \
    for (;;) {                                                                                       \
        int chunk = atomic_fetch_add_explicit(&j->next_chunk, 1, memory_order_relaxed);              \
        if (chunk >= j->chunks) return;                                                              \
        ptrdiff_t lo = j->units * chunk / j->chunks * unit;                                          \
        ptrdiff_t hi = j->units * (chunk + 1) / j->chunks * unit;                                    \
        if (hi > extent) hi = extent;                                                                \
        if (lo >= hi) continue;                                                                      \
        if (j->split_n)                                                                              \
            P##gemm_serial(j->im, j->ta, j->tb, 0, j->m, lo, hi, j->n, j->k, j->alpha, j->a, j->lda,  \
                           j->b, j->ldb, j->packed, j->beta, j->c, j->ldc, j->shared_a);             \
        else                                                                                         \
            P##gemm_serial(j->im, j->ta, j->tb, lo, hi, 0, j->n, j->n, j->k, j->alpha, j->a, j->lda,  \
                           j->b, j->ldb, j->packed, j->beta, j->c, j->ldc, 0);                       \
    }                                                                                                \
}                                                                                                    \
                                                                                                     \
/* A column split (plain B) with a shared A: one pool job per k-slice, in order. Each job packs the  \
   slice's m×kc block of op(A) once (its row blocks spread over the threads), then the threads take  \
   column chunks of C, each packing its own kc×columns of op(B), and add the slice's product to C   \
   (the first slice with the caller's beta, later ones with beta = 1), so every element sums the    \
   same slices in the same order as gemm_serial. Without it each chunk packs the whole of A: with 2 \
   chunks per thread, every thread packed A twice (4× in all). Returns 0, having done nothing, if   \
   the pool is busy or the buffer cannot be had; a pool busy at a later slice is covered by running \
   the remaining slices on the calling thread. */                                                   \
static int P##gemm_shared_a(P##gemm_job *job, int threads) {                                         \
    const wt_##P##gemm_impl *im = job->im;                                                           \
    ptrdiff_t k = job->k, kb = balanced_block(k, im->kc, 1);                                         \
    ptrdiff_t m_pad = (job->m + im->mr - 1) / im->mr * im->mr;                                       \
    void *raw;                                                                                       \
    T *buffer = aligned_scratch((size_t)m_pad * (size_t)kb * sizeof(T), &raw);                      \
    if (!buffer) return 0;                                                                           \
    const T *a = job->a, *b = job->b;                                                                \
    T beta = job->beta;                                                                              \
    job->shared_a = buffer;                                                                          \
    job->mb = balanced_block(job->m, im->mc, im->mr);                                                \
    job->row_blocks = (int)((job->m + job->mb - 1) / job->mb);                                       \
    for (ptrdiff_t pc = 0; pc < k; pc += kb) {                                                       \
        ptrdiff_t kc = k - pc < kb ? k - pc : kb;                                                    \
        const T *as = job->ta ? a + pc * job->lda : a + pc, *bs = job->tb ? b + pc : b + pc * job->ldb; \
        T slice_beta = pc == 0 ? beta : (T)1;                                                        \
        job->k = kc;                                                                                 \
        job->a = as;                                                                                 \
        job->b = bs;                                                                                 \
        job->beta = slice_beta;                                                                      \
        atomic_store_explicit(&job->next_chunk, 0, memory_order_relaxed);                            \
        atomic_store_explicit(&job->next_pack, 0, memory_order_relaxed);                             \
        atomic_store_explicit(&job->packs_done, 0, memory_order_relaxed);                            \
        if (!wt_pool_try_run(threads, P##gemm_part, job)) {                                          \
            if (pc == 0) { free(raw); job->k = k; job->a = a; job->b = b; job->beta = beta; return 0; } \
            P##gemm_serial(im, job->ta, job->tb, 0, job->m, 0, job->n, job->n, kc, job->alpha, as,   \
                           job->lda, bs, job->ldb, 0, slice_beta, job->c, job->ldc, 0);              \
        }                                                                                            \
    }                                                                                                \
    free(raw);                                                                                       \
    return 1;                                                                                        \
}                                                                                                    \
                                                                                                     \
/* The whole product: trivial cases, then the threads for a large one, else the calling thread. */ \
static void P##gemm_run(const wt_##P##gemm_impl *im, int ta, int tb, ptrdiff_t m, ptrdiff_t n,      \
                        ptrdiff_t k, T alpha, const T *a, ptrdiff_t lda, const T *b, ptrdiff_t ldb,  \
                        const T *packed, T beta, T *c, ptrdiff_t ldc) {                              \
    if (m <= 0 || n <= 0) return;                                                                    \
    if (k <= 0 || alpha == 0) {  /* C = beta · C; beta = 0 writes zeros without reading C */         \
        for (ptrdiff_t i = 0; i < m; i++)                                                            \
            for (ptrdiff_t j = 0; j < n; j++)                                                        \
                c[i * ldc + j] = beta == 0 ? (T)0 : beta * c[i * ldc + j];                           \
        return;                                                                                      \
    }                                                                                                \
    int threads = wt_get_num_threads();                                                              \
    if (threads > 1 && WT_GEMM_PADDED_MACS(im, m, n, k) >= WT_GEMM_PARALLEL_MIN_MACS) {             \
        P##gemm_job job = {.im = im, .ta = ta, .tb = tb, .split_n = packed ? m < 2 * im->mr * threads : n >= m, \
                           .m = m, .n = n, .k = k,                                                   \
                           .lda = lda, .ldb = ldb, .ldc = ldc, .alpha = alpha, .beta = beta,         \
                           .a = a, .b = b, .packed = packed, .c = c};                                \
        /* rows of a prepacked product are cut at row_step rows, not MR: a short micro-panel costs   \
           only its rows (gemm_tile.h), so 128 rows at MR = 12 split as 2 × (12 + 12 + 8) rows per    \
           thread instead of 6 : 5 whole panels */                                                   \
        /* columns at col_step (a short column panel costs one vector per row); a prepacked B is    \
           read in whole NR panels, so its columns split at NR */                                    \
        job.unit = job.split_n ? (packed ? im->nr : im->col_step) : packed ? im->row_step : im->mr;  \
        job.units = ((job.split_n ? n : m) + job.unit - 1) / job.unit;                               \
        if (job.units < threads) threads = (int)job.units;                                           \
        /* large in both directions: one part per thread (see Kernels-GEMM.md, "Threads") */        \
        int whole = !packed && m >= WT_GEMM_WHOLE_PART_MIN && n >= WT_GEMM_WHOLE_PART_MIN;           \
        job.chunks = threads * (whole ? 1 : WT_GEMM_CHUNKS_PER_THREAD);                              \
        if (job.chunks > job.units) job.chunks = (int)job.units;                                     \
        atomic_init(&job.next_chunk, 0);                                                             \
        atomic_init(&job.next_pack, 0);                                                              \
        atomic_init(&job.packs_done, 0);                                                             \
        if (WT_GEMM_BALANCED && !packed) {                                                           \
            /* one part per thread of equal cost (a short last micro-panel costs only its rows or   \
               vector of columns, gemm_tile.h): along n, cells of col_step columns × MR rows, numbered \
               columns first (gemm_balanced_pieces), so that a part is at most three pieces with    \
               disjoint columns sharing one packing of op(A) (gemm_column_pieces); along m, whole    \
               row steps (a part ends at most a row step off the balance) */                         \
            threads = wt_get_num_threads();                                                          \
            job.balanced = 1;                                                                        \
            job.unit = job.split_n ? im->col_step : im->row_step;                                    \
            job.units = ((job.split_n ? n : m) + job.unit - 1) / job.unit;                           \
            job.minor_unit = job.split_n ? im->mr : n;                                               \
            job.minor_units = job.split_n ? (m + im->mr - 1) / im->mr : 1;                           \
            if (job.units * job.minor_units < threads) threads = (int)(job.units * job.minor_units); \
            if (threads > 1 && wt_pool_try_run(threads, P##gemm_part, &job)) return;                 \
            threads = 1;                                                                             \
        }                                                                                            \
        if (threads > 1 && job.split_n && !packed && !whole && job.chunks > 1 && WT_GEMM_SHARED_A && \
            P##gemm_shared_a(&job, threads))                                                         \
            return;                                                                                  \
        if (threads > 1 && wt_pool_try_run(threads, P##gemm_part, &job)) return;                     \
    }                                                                                                \
    P##gemm_serial(im, ta, tb, 0, m, 0, n, n, k, alpha, a, lda, b, ldb, packed, beta, c, ldc, 0);    \
}                                                                                                    \
                                                                                                     \
void wt_##P##gemm(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,                   \
                  T alpha, const T *a, ptrdiff_t lda, const T *b, ptrdiff_t ldb,                     \
                  T beta, T *c, ptrdiff_t ldc) {                                                     \
    P##gemm_run(P##gemm_impls[wt_active_isa()], trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, 0, \
                beta, c, ldc);                                                                       \
}                                                                                                    \
                                                                                                     \
/* Pre-packed B (see the comment above wt_?gemm_pack_b's definition). */                             \
size_t wt_##P##gemm_packed_count(wt_isa tier, ptrdiff_t n, ptrdiff_t k) {                           \
    if (n <= 0 || k <= 0) return 0;                                                                  \
    const wt_##P##gemm_impl *im = P##gemm_impls[tier];                                               \
    ptrdiff_t nb = balanced_block(n, im->nc, im->nr), total = 0;                                     \
    for (ptrdiff_t jc = 0; jc < n; jc += nb) {                                                       \
        ptrdiff_t nc = n - jc < nb ? n - jc : nb;                                                    \
        total += (nc + im->nr - 1) / im->nr * im->nr * k;                                            \
    }                                                                                                \
    return (size_t)total;                                                                            \
}                                                                                                    \
                                                                                                     \
void wt_##P##gemm_pack_b(wt_isa tier, int trans_b, ptrdiff_t n, ptrdiff_t k, const T *b,             \
                         ptrdiff_t ldb, T *packed) {                                                 \
    if (n <= 0 || k <= 0) return;                                                                    \
    const wt_##P##gemm_impl *im = P##gemm_impls[tier];                                               \
    ptrdiff_t nb = balanced_block(n, im->nc, im->nr), kb = balanced_block(k, im->kc, 1);             \
    for (ptrdiff_t jc = 0; jc < n; jc += nb) {                                                       \
        ptrdiff_t nc = n - jc < nb ? n - jc : nb, ncp = (nc + im->nr - 1) / im->nr * im->nr;         \
        for (ptrdiff_t pc = 0; pc < k; pc += kb) {                                                   \
            ptrdiff_t kc = k - pc < kb ? k - pc : kb;                                                \
            im->pack_b(trans_b, kc, nc, trans_b ? b + jc * ldb + pc : b + pc * ldb + jc, ldb,        \
                       packed + jc * k + pc * ncp);                                                  \
        }                                                                                            \
    }                                                                                                \
}                                                                                                    \
                                                                                                     \
void wt_##P##gemm_prepacked(wt_isa tier, int trans_a, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,         \
                            T alpha, const T *a, ptrdiff_t lda, const T *packed, T beta, T *c,       \
                            ptrdiff_t ldc) {                                                         \
    P##gemm_run(P##gemm_impls[tier], trans_a, 0, m, n, k, alpha, a, lda, 0, 0, packed, beta, c, ldc);\
}

// Pre-packed B: the packing of op(B) done once (a layer's weight, reused by every inference
// call), wt_?gemm_pack_b. The packed form is the concatenation, in the driver's loop order, of the
// blocks the driver packs: for each NC-wide column block jc (nb = balanced_block(n, NC, NR) columns,
// the last narrower), for each KC-deep slice pc, ceil(nc/NR) micro-panels of kc×NR; a block's
// offset is jc·k + pc·round_up(nc, NR). The driver above reads it in place of its own packing, and
// blocking depends on n, k and the tier only, so wt_?gemm_prepacked runs the same micro-kernels over
// the same k-slices in the same order as wt_?gemm at that tier: the results are bit-identical.

/// The implementation of each tier, indexed by wt_isa (wt_set_isa never lets a tier above the CPU's
/// become active, so on other architectures only index 0 is read).
#if WT_X86
static const wt_sgemm_impl *const sgemm_impls[] = {&wt_sgemm_impl_blocked, &wt_sgemm_impl_avx2, &wt_sgemm_impl_avx512};
static const wt_dgemm_impl *const dgemm_impls[] = {&wt_dgemm_impl_blocked, &wt_dgemm_impl_avx2, &wt_dgemm_impl_avx512};
#else
static const wt_sgemm_impl *const sgemm_impls[] = {&wt_sgemm_impl_blocked, &wt_sgemm_impl_blocked, &wt_sgemm_impl_blocked};
static const wt_dgemm_impl *const dgemm_impls[] = {&wt_dgemm_impl_blocked, &wt_dgemm_impl_blocked, &wt_dgemm_impl_blocked};
#endif

DEFINE_GEMM_DRIVER(s, float)
DEFINE_GEMM_DRIVER(d, double)

// A complex product by Gauss's three real products in one driver (wt_?gemm_gauss): with
// rr = op(A1)·op(B1), ii = op(A2)·op(B2), p = op(A1 + sa·A2)·op(B1 + sb·B2) and t = sa·sb·ii,
// re = rr − t and im = (p − rr) − t, or, given sums, re = sum_re + (rr − t) and
// im = sum_im + ((p − rr) − t). Per k-slice it packs op(A1) and op(A2) and forms the packing of the
// summed operand from those panels while they are in cache (packing is a permutation with zero
// padding, so the panels of a sum are the sum of the panels); then, per block of columns narrow
// enough that the three B blocks stay in L2, the same for op(B1) and op(B2); then, per row block,
// the three macro-kernels, and after the last k-slice the combine of that tile while it is in
// cache (and a bias added to each row). No summed copy of an operand is written, each operand is
// packed from its source once, and with one k-slice ii lives only in a tile-sized buffer. The sums
// form is not used by the ops: tile-by-tile reads of the sums measured slower than one streaming
// wt_cplx_gauss_add pass for a weight gradient (Benchmarks.md, session 10). Every product element
// is computed by the same micro-kernel over the same k-slices in the same order as gemm_serial
// computes it (column and row blocking never change an element's arithmetic), each operand sum is
// rounded once as wt_cplx_signed_sum_* rounds it and the combine is wt_cplx_gauss_combine_* / wt_cplx_gauss_add_*
// row by row, so the results have the bits of three wt_?gemm calls on the summed operands followed
// by that combine, at any thread count (threads take disjoint rectangles, each packing its own operands).
#define DEFINE_GEMM_GAUSS(P, T, SUF)                                                                 \
typedef struct {                                                                                     \
    const wt_##P##gemm_impl *im;                                                                     \
    int ta, tb;                                                                                      \
    ptrdiff_t m, n, k, lda, ldb, ldc;                                                                \
    const T *a1, *a2, *b1, *b2, *sum_re, *sum_im, *bias_re, *bias_im;                                \
    T sa, sb;                                                                                        \
    T *out_re, *out_im;                                                                              \
    int failed;                                                                                      \
} P##gauss_job;                                                                                      \
                                                                                                     \
/* Rows [r0, r1) and columns [c0, c1) of the product; 0 if no scratch memory could be had (nothing  \
   written). */                                                                                      \
static int P##gauss_region(const P##gauss_job *j, ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t c0, ptrdiff_t c1) { \
    const wt_##P##gemm_impl *im = j->im;                                                             \
    ptrdiff_t m = r1 - r0, k = j->k, nr = im->nr, ldc = j->ldc;                                      \
    if (c0 >= c1 || m <= 0) return 1;                                                                \
    ptrdiff_t kb = balanced_block(k, im->kc, 1), mb = balanced_block(m, im->mc, im->mr);             \
    ptrdiff_t m_pad = (m + im->mr - 1) / im->mr * im->mr;                                            \
    /* columns per B block: about 24 K elements per packed block, whole panels */                    \
    ptrdiff_t nbw = 24576 / kb / nr * nr;                                                            \
    if (nbw < nr) nbw = nr;                                                                          \
    /* no wider than this region's columns (whole panels): the same column blocks, smaller scratch   \
       (at K = 10 a 24 K-column ii tile was 1.2 MB, trimmed and faulted in again on every call) */   \
    if (nbw > (c1 - c0 + nr - 1) / nr * nr) nbw = (c1 - c0 + nr - 1) / nr * nr;                     \
    /* ii: a tile of mb × nbw when one k-slice makes it whole, else all rows of these columns */     \
    int one_slice = kb >= k;                                                                         \
    ptrdiff_t ldi = one_slice ? nbw : c1 - c0;                                                       \
    size_t a_len = ((size_t)m_pad * (size_t)kb + 15) / 16 * 16, b_len = ((size_t)nbw * (size_t)kb + 15) / 16 * 16; \
    size_t i_len = one_slice ? (size_t)mb * (size_t)nbw : (size_t)m * (size_t)(c1 - c0);            \
    void *raw;                                                                                       \
    T *base = aligned_scratch((3 * a_len + 3 * b_len + i_len) * sizeof(T) + 64, &raw);               \
    if (!base) return 0;                                                                             \
    T *pa[3] = {base, base + a_len, base + 2 * a_len};                                               \
    T *pb[3] = {base + 3 * a_len, base + 3 * a_len + b_len, base + 3 * a_len + 2 * b_len};           \
    T *ii = base + 3 * a_len + 3 * b_len;                                                            \
    T s = j->sa * j->sb;                                                                             \
    for (ptrdiff_t pc = 0; pc < k; pc += kb) {                                                       \
        ptrdiff_t kc = k - pc < kb ? k - pc : kb;                                                    \
        int last = pc + kc >= k;                                                                     \
        for (ptrdiff_t ic = 0; ic < m; ic += mb) {                                                   \
            ptrdiff_t mc = m - ic < mb ? m - ic : mb;                                                \
            ptrdiff_t src = j->ta ? pc * j->lda + r0 + ic : (r0 + ic) * j->lda + pc;                 \
            im->pack_a(j->ta, mc, kc, j->a1 + src, j->lda, pa[0] + ic * kc);                         \
            im->pack_a(j->ta, mc, kc, j->a2 + src, j->lda, pa[1] + ic * kc);                         \
        }                                                                                            \
        wt_cplx_signed_sum_##SUF(pa[0], pa[1], j->sa, pa[2], m_pad * kc);                                     \
        T beta = pc == 0 ? (T)0 : (T)1;                                                              \
        for (ptrdiff_t jc = c0; jc < c1; jc += nbw) {                                                \
            ptrdiff_t nc = c1 - jc < nbw ? c1 - jc : nbw, ncp = (nc + nr - 1) / nr * nr;             \
            ptrdiff_t src = j->tb ? jc * j->ldb + pc : pc * j->ldb + jc;                             \
            im->pack_b(j->tb, kc, nc, j->b1 + src, j->ldb, pb[0]);                                   \
            im->pack_b(j->tb, kc, nc, j->b2 + src, j->ldb, pb[1]);                                   \
            wt_cplx_signed_sum_##SUF(pb[0], pb[1], j->sb, pb[2], ncp * kc);                                   \
            for (ptrdiff_t ic = 0; ic < m; ic += mb) {                                               \
                ptrdiff_t mc = m - ic < mb ? m - ic : mb, at = (r0 + ic) * ldc + jc;                 \
                T *rr = j->out_re + at, *pp = j->out_im + at;                                        \
                T *it = one_slice ? ii : ii + ic * ldi + (jc - c0);                                  \
                im->macro(mc, nc, kc, (T)1, pa[0] + ic * kc, pb[0], beta, rr, ldc);                  \
                im->macro(mc, nc, kc, (T)1, pa[1] + ic * kc, pb[1], beta, it, ldi);                  \
                im->macro(mc, nc, kc, (T)1, pa[2] + ic * kc, pb[2], beta, pp, ldc);                  \
                if (last)                                                                            \
                    wt_cplx_gauss_tile_##SUF(mc, nc, j->sum_re ? j->sum_re + at : 0,                 \
                                             j->sum_im ? j->sum_im + at : 0, ldc, rr, pp,            \
                                             ldc, it, ldi, s, j->bias_re ? j->bias_re + jc : 0,      \
                                             j->bias_im ? j->bias_im + jc : 0);                      \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
    free(raw);                                                                                       \
    return 1;                                                                                        \
}                                                                                                    \
                                                                                                     \
/* One thread's share (gemm_balanced_pieces over cells of row_step rows × col_step columns, columns \
   first): up to three rectangles, each packing its own operands. */                                 \
static void P##gauss_part(void *context, int part, int parts) {                                      \
    P##gauss_job *j = context;                                                                       \
    ptrdiff_t cu = j->im->col_step, ru = j->im->row_step;                                            \
    wt_gemm_piece pieces[3];                                                                         \
    int count = gemm_balanced_pieces((j->n + cu - 1) / cu, (j->m + ru - 1) / ru, part, parts, pieces); \
    for (int q = 0; q < count; q++) {                                                                \
        ptrdiff_t c0 = pieces[q].maj0 * cu, c1 = pieces[q].maj1 * cu;                                \
        ptrdiff_t r0 = pieces[q].min0 * ru, r1 = pieces[q].min1 * ru;                                \
        if (!P##gauss_region(j, r0, r1 < j->m ? r1 : j->m, c0, c1 < j->n ? c1 : j->n))               \
            __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);                                       \
    }                                                                                                \
}                                                                                                    \
                                                                                                     \
int wt_##P##gemm_gauss(int trans_a, int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const T *a1,  \
                       const T *a2, ptrdiff_t lda, T sa, const T *b1, const T *b2, ptrdiff_t ldb, T sb, \
                       const T *sum_re, const T *sum_im, const T *bias_re, const T *bias_im, T *re,  \
                       T *im, ptrdiff_t ldc) {                                                       \
    if (m <= 0 || n <= 0) return 1;                                                                  \
    if (k <= 0 || (sum_re == 0) != (sum_im == 0) || (bias_re == 0) != (bias_im == 0)) return 0;      \
    P##gauss_job j = {.im = P##gemm_impls[wt_active_isa()], .ta = trans_a, .tb = trans_b, .m = m,    \
                      .n = n, .k = k, .lda = lda, .ldb = ldb, .ldc = ldc, .a1 = a1, .a2 = a2,        \
                      .b1 = b1, .b2 = b2, .sum_re = sum_re, .sum_im = sum_im, .bias_re = bias_re,    \
                      .bias_im = bias_im, .sa = sa, .sb = sb,                                        \
                      .out_re = re, .out_im = im};                                                   \
    int threads = wt_get_num_threads();                                                              \
    /* one part of equal cost per thread for a large product, else the calling thread alone */       \
    if (threads > 1 && 3.0 * WT_GEMM_PADDED_MACS(j.im, m, n, k) >= WT_GEMM_PARALLEL_MIN_MACS &&       \
        wt_pool_try_run(threads, P##gauss_part, &j))                                                 \
        return !j.failed;                                                                            \
    return P##gauss_region(&j, 0, m, 0, n);                                                          \
}

DEFINE_GEMM_GAUSS(s, float, f32)
DEFINE_GEMM_GAUSS(d, double, f64)
