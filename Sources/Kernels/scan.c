// Whole-array predicates (kernels_scan.h).
//
// x·0 is ±0 for a finite x and NaN for NaN and ±inf, and a sum of zeros stays zero while a NaN
// poisons it: the arrays are scanned with four independent accumulators of x·0 (fused
// multiply-adds over vectors of the tier's width: 256 bits at AVX2, 512 at AVX-512), checked once at
// the end. No branch per element, one pass at memory speed; arrays of 2¹⁶ elements or more are
// scanned in ranges over the kernel threads. The answer is exact, so every tier and thread count
// gives the same one.
#include "kernels_scan.h"
#include "kernels_dispatch.h"
#include "kernels_parallel.h"
#include <stdatomic.h>

#include "tiers.h"

#define SC_PORTABLE(NAME, T)                                                                   \
    static int NAME##_portable(const T *x, ptrdiff_t n) {                                      \
        T acc[4] = {0, 0, 0, 0};                                                               \
        ptrdiff_t i = 0;                                                                       \
        for (; i + 4 <= n; i += 4)                                                             \
            for (int j = 0; j < 4; j++) acc[j] += x[i + j] * (T)0;                             \
        for (; i < n; i++) acc[0] += x[i] * (T)0;                                              \
        return (acc[0] + acc[1] + acc[2] + acc[3]) == (T)0;                                    \
    }
SC_PORTABLE(all_finite_f64, double)
SC_PORTABLE(all_finite_f32, float)

#if WT_X86
/// The vector scan, written once: NAME over elements T in vectors of W lanes, for target ATTR.
/// The four accumulators are summed lane-wise and every lane must be zero; the tail goes through
/// the portable loop.
#define SC_VECTOR(NAME, T, W, ATTR)                                                            \
    typedef T NAME##_v __attribute__((vector_size((W) * sizeof(T)), aligned(sizeof(T))));      \
    ATTR static int NAME(const T *x, ptrdiff_t n) {                                            \
        const NAME##_v z = {0};                                                                \
        NAME##_v a0 = z, a1 = z, a2 = z, a3 = z;                                               \
        ptrdiff_t i = 0;                                                                       \
        for (; i + 4 * (W) <= n; i += 4 * (W)) {                                               \
            a0 = __builtin_elementwise_fma(*(const NAME##_v *)(x + i), z, a0);                 \
            a1 = __builtin_elementwise_fma(*(const NAME##_v *)(x + i + (W)), z, a1);           \
            a2 = __builtin_elementwise_fma(*(const NAME##_v *)(x + i + 2 * (W)), z, a2);       \
            a3 = __builtin_elementwise_fma(*(const NAME##_v *)(x + i + 3 * (W)), z, a3);       \
        }                                                                                      \
        NAME##_v a = (a0 + a1) + (a2 + a3);                                                    \
        if (__builtin_reduce_or(a != z)) return 0; /* a NaN lane compares unequal */           \
        return NAME##_tail(x + i, n - i);                                                      \
    }
#define all_finite_f32_avx2_tail all_finite_f32_portable
#define all_finite_f64_avx2_tail all_finite_f64_portable
#define all_finite_f32_avx512_tail all_finite_f32_portable
#define all_finite_f64_avx512_tail all_finite_f64_portable
SC_VECTOR(all_finite_f32_avx2, float, 8, WT_TARGET_AVX2)
SC_VECTOR(all_finite_f64_avx2, double, 4, WT_TARGET_AVX2)
SC_VECTOR(all_finite_f32_avx512, float, 16, WT_TARGET_AVX512)
SC_VECTOR(all_finite_f64_avx512, double, 8, WT_TARGET_AVX512)
#else
#define all_finite_f32_avx2 all_finite_f32_portable
#define all_finite_f64_avx2 all_finite_f64_portable
#define all_finite_f32_avx512 all_finite_f32_portable
#define all_finite_f64_avx512 all_finite_f64_portable
#endif

/// Arrays of at least this many elements are scanned in ranges over the kernel threads (the answer
/// is exact, so the split cannot change it).
#define SC_PARALLEL_MIN ((ptrdiff_t)1 << 16)

typedef struct {
    const void *x;
    int (*scan32)(const float *, ptrdiff_t);
    int (*scan64)(const double *, ptrdiff_t);
    _Atomic int finite;
} scan_job;

static void scan_range(void *context, ptrdiff_t begin, ptrdiff_t end) {
    scan_job *j = context;
    if (!atomic_load_explicit(&j->finite, memory_order_relaxed)) return;  // already answered
    int ok = j->scan32 ? j->scan32((const float *)j->x + begin, end - begin)
                       : j->scan64((const double *)j->x + begin, end - begin);
    if (!ok) atomic_store_explicit(&j->finite, 0, memory_order_relaxed);
}

int wt_all_finite_f32(const float *x, ptrdiff_t n) {
    int (*scan)(const float *, ptrdiff_t) = WT_PICK(all_finite_f32_portable, all_finite_f32_avx2, all_finite_f32_avx512);
    if (n < SC_PARALLEL_MIN) return scan(x, n);
    scan_job job = {.x = x, .scan32 = scan, .scan64 = 0};
    atomic_init(&job.finite, 1);
    wt_parallel_for(n, SC_PARALLEL_MIN / 2, scan_range, &job);
    return atomic_load(&job.finite);
}
int wt_all_finite_f64(const double *x, ptrdiff_t n) {
    int (*scan)(const double *, ptrdiff_t) = WT_PICK(all_finite_f64_portable, all_finite_f64_avx2, all_finite_f64_avx512);
    if (n < SC_PARALLEL_MIN) return scan(x, n);
    scan_job job = {.x = x, .scan32 = 0, .scan64 = scan};
    atomic_init(&job.finite, 1);
    wt_parallel_for(n, SC_PARALLEL_MIN / 2, scan_range, &job);
    return atomic_load(&job.finite);
}
