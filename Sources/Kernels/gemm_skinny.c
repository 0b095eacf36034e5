// Skinny products: C = alpha · A · op(B) + beta · C for a few rows of A (a batch of 1 to 16
// inputs), reading B where it lies. The blocked GEMM packs B into panels on every call, which for
// one input row costs as much as the product itself; here each element of B is read once per four
// rows of A, straight from the caller's memory.
//
// Two forms, both row-major:
//   nt: B stored N×K (a linear layer's weight [out, in]); C[i, j] = Σ_p A[i, p] · B[j, p], a dot
//       product of two contiguous rows, reduced in vector lanes over p, then across lanes in a
//       fixed tree order, then the k % W tail in order.
//   nn: B stored K×N; C[i, j] = Σ_p A[i, p] · B[p, j] accumulated in order p = 0, 1, … (each lane of
//       a vector is one j), so every element is a plain sequential sum.
//
// Each element of C is computed by one loop whose order does not depend on m, on the position of
// the row in its block or on the thread count: row i of a batch equals the product of row i
// alone, and the threads (which split the columns j) never change a value. The vector width, and
// whether the tier fuses multiply-adds, do change the rounding: tiers agree within a few ulp of
// the sum of |terms|, not bit for bit.
//
// One body per form, written over a GCC/Clang vector-extension type of W lanes and instantiated
// per tier with a function target attribute: W = 4 (baseline SSE2 / NEON, no FMA), W = 8 (AVX2 +
// FMA), W = 16 (AVX-512F). `acc + a * b` is fused into one FMA where the target has FMA (Clang
// contracts within an expression by default), so each tier has one fixed rounding.
#include "kernels_skinny.h"
#include "kernels_dispatch.h"
#include "kernels_parallel.h"
#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define SK_X86 1
#define SK_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define SK_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
#else
#define SK_X86 0
#endif

/// Rows of A per register block, and rows of B (nt) or vectors of columns (nn) per block.
#define SK_MB 4
#define SK_NB 4

// MARK: - nt: dot products of rows

// One MB_×SK_NB block of C: rows i0 ..< i0 + MB_ of A against rows j0 ..< j0 + SK_NB of B.
// VEC is the vector type, W its lane count, T the scalar type.
#define SK_NT_BLOCK(T, VEC, W, MB_)                                                                  \
    {                                                                                                \
        VEC acc[MB_][SK_NB];                                                                         \
        for (int r = 0; r < MB_; r++)                                                                \
            for (int s = 0; s < SK_NB; s++) acc[r][s] = (VEC){0};                                    \
        ptrdiff_t p = 0;                                                                             \
        for (; p + W <= k; p += W) {                                                                 \
            VEC bv[SK_NB];                                                                           \
            for (int s = 0; s < SK_NB; s++) memcpy(&bv[s], b + (j0 + s) * ldb + p, sizeof(VEC));   \
            for (int r = 0; r < MB_; r++) {                                                          \
                VEC av;                                                                              \
                memcpy(&av, a + (i0 + r) * lda + p, sizeof(VEC));                                    \
                for (int s = 0; s < SK_NB; s++) acc[r][s] = acc[r][s] + av * bv[s];                  \
            }                                                                                        \
        }                                                                                            \
        for (int r = 0; r < MB_; r++)                                                                \
            for (int s = 0; s < SK_NB; s++) {                                                        \
                /* lanes reduced as a tree: (0+W/2, 1+W/2, …), then halves again */                  \
                T lane[W];                                                                           \
                memcpy(lane, &acc[r][s], sizeof(VEC));                                               \
                for (int h = W / 2; h >= 1; h /= 2)                                                  \
                    for (int l = 0; l < h; l++) lane[l] = lane[l] + lane[l + h];                     \
                T sum = lane[0];                                                                     \
                const T *ar = a + (i0 + r) * lda, *br = b + (j0 + s) * ldb;                          \
                for (ptrdiff_t q = p; q < k; q++) sum = sum + ar[q] * br[q];                         \
                T *cp = c + (i0 + r) * ldc + (j0 + s);                                               \
                *cp = beta == 0 ? alpha * sum : alpha * sum + beta * *cp;                            \
            }                                                                                        \
    }

// Rows j_begin ..< j_end of B (columns of C), all m rows of A. The column count is a multiple of
// SK_NB except at the very end, where the last rows of B are handled one by one with the same
// arithmetic (a block whose missing rows are never stored).
#define SK_DEFINE_NT(NAME, ATTR, T, W)                                                               \
    typedef T NAME##_vec __attribute__((vector_size(sizeof(T) * W)));                                \
    ATTR static void NAME(ptrdiff_t m, ptrdiff_t j_begin, ptrdiff_t j_end, ptrdiff_t k, T alpha,     \
                          const T *a, ptrdiff_t lda, const T *b, ptrdiff_t ldb, T beta, T *c,        \
                          ptrdiff_t ldc) {                                                           \
        ptrdiff_t j0 = j_begin;                                                                      \
        for (; j0 + SK_NB <= j_end; j0 += SK_NB) {                                                   \
            ptrdiff_t i0 = 0;                                                                        \
            for (; i0 + SK_MB <= m; i0 += SK_MB) SK_NT_BLOCK(T, NAME##_vec, W, SK_MB)                \
            for (; i0 < m; i0++) SK_NT_BLOCK(T, NAME##_vec, W, 1)                                    \
        }                                                                                            \
        for (; j0 < j_end; j0++) {                                                                   \
            for (ptrdiff_t i0 = 0; i0 < m; i0++) {                                                   \
                NAME##_vec acc = (NAME##_vec){0};                                                    \
                ptrdiff_t p = 0;                                                                     \
                for (; p + W <= k; p += W) {                                                         \
                    NAME##_vec av, bv;                                                               \
                    memcpy(&av, a + i0 * lda + p, sizeof av);                                        \
                    memcpy(&bv, b + j0 * ldb + p, sizeof bv);                                        \
                    acc = acc + av * bv;                                                             \
                }                                                                                    \
                T lane[W];                                                                           \
                memcpy(lane, &acc, sizeof acc);                                                      \
                for (int h = W / 2; h >= 1; h /= 2)                                                  \
                    for (int l = 0; l < h; l++) lane[l] = lane[l] + lane[l + h];                     \
                T sum = lane[0];                                                                     \
                for (ptrdiff_t q = p; q < k; q++) sum = sum + a[i0 * lda + q] * b[j0 * ldb + q];     \
                T *cp = c + i0 * ldc + j0;                                                           \
                *cp = beta == 0 ? alpha * sum : alpha * sum + beta * *cp;                            \
            }                                                                                        \
        }                                                                                            \
    }

// MARK: - nn: rows of A times the rows of B

// Columns j0 ..< j0 + NV·W of rows i0 ..< i0 + MB_ of C.
#define SK_NN_BLOCK(T, VEC, W, MB_, NV)                                                              \
    {                                                                                                \
        VEC acc[MB_][NV];                                                                            \
        for (int r = 0; r < MB_; r++)                                                                \
            for (int s = 0; s < NV; s++) acc[r][s] = (VEC){0};                                       \
        for (ptrdiff_t p = 0; p < k; p++) {                                                          \
            VEC bv[NV];                                                                              \
            for (int s = 0; s < NV; s++) memcpy(&bv[s], b + p * ldb + j0 + s * W, sizeof(VEC));      \
            for (int r = 0; r < MB_; r++) {                                                          \
                VEC av = (VEC){0} + a[(i0 + r) * lda + p];                                           \
                for (int s = 0; s < NV; s++) acc[r][s] = acc[r][s] + av * bv[s];                     \
            }                                                                                        \
        }                                                                                            \
        for (int r = 0; r < MB_; r++)                                                                \
            for (int s = 0; s < NV; s++) {                                                           \
                T lane[W];                                                                           \
                memcpy(lane, &acc[r][s], sizeof(VEC));                                               \
                T *cp = c + (i0 + r) * ldc + j0 + s * W;                                             \
                for (int l = 0; l < W; l++)                                                          \
                    cp[l] = beta == 0 ? alpha * lane[l] : alpha * lane[l] + beta * cp[l];           \
            }                                                                                        \
    }

#define SK_DEFINE_NN(NAME, ATTR, T, W)                                                               \
    typedef T NAME##_vec __attribute__((vector_size(sizeof(T) * W)));                                \
    ATTR static void NAME(ptrdiff_t m, ptrdiff_t j_begin, ptrdiff_t j_end, ptrdiff_t k, T alpha,     \
                          const T *a, ptrdiff_t lda, const T *b, ptrdiff_t ldb, T beta, T *c,        \
                          ptrdiff_t ldc) {                                                           \
        ptrdiff_t j0 = j_begin;                                                                      \
        for (; j0 + SK_NB * W <= j_end; j0 += SK_NB * W) {                                           \
            ptrdiff_t i0 = 0;                                                                        \
            for (; i0 + SK_MB <= m; i0 += SK_MB) SK_NN_BLOCK(T, NAME##_vec, W, SK_MB, SK_NB)         \
            for (; i0 < m; i0++) SK_NN_BLOCK(T, NAME##_vec, W, 1, SK_NB)                             \
        }                                                                                            \
        for (; j0 + W <= j_end; j0 += W) {                                                           \
            for (ptrdiff_t i0 = 0; i0 < m; i0++) SK_NN_BLOCK(T, NAME##_vec, W, 1, 1)                 \
        }                                                                                            \
        /* the last columns: the same sequential sum, one element at a time */                       \
        for (; j0 < j_end; j0++)                                                                     \
            for (ptrdiff_t i0 = 0; i0 < m; i0++) {                                                   \
                T sum = 0;                                                                           \
                for (ptrdiff_t p = 0; p < k; p++) sum = sum + a[i0 * lda + p] * b[p * ldb + j0];     \
                T *cp = c + i0 * ldc + j0;                                                           \
                *cp = beta == 0 ? alpha * sum : alpha * sum + beta * *cp;                            \
            }                                                                                        \
    }

// MARK: - Instantiations per tier

SK_DEFINE_NT(sk_snt_base, , float, 4)
SK_DEFINE_NT(sk_dnt_base, , double, 2)
SK_DEFINE_NN(sk_snn_base, , float, 4)
SK_DEFINE_NN(sk_dnn_base, , double, 2)
#if SK_X86
SK_DEFINE_NT(sk_snt_avx2, SK_TARGET_AVX2, float, 8)
SK_DEFINE_NT(sk_dnt_avx2, SK_TARGET_AVX2, double, 4)
SK_DEFINE_NN(sk_snn_avx2, SK_TARGET_AVX2, float, 8)
SK_DEFINE_NN(sk_dnn_avx2, SK_TARGET_AVX2, double, 4)
SK_DEFINE_NT(sk_snt_avx512, SK_TARGET_AVX512, float, 16)
SK_DEFINE_NT(sk_dnt_avx512, SK_TARGET_AVX512, double, 8)
SK_DEFINE_NN(sk_snn_avx512, SK_TARGET_AVX512, float, 16)
SK_DEFINE_NN(sk_dnn_avx512, SK_TARGET_AVX512, double, 8)
#endif

// MARK: - Dispatch and threads

/// The arguments of one skinny product, shared by the threads (each takes a range of columns).
/// The tier of this file's kernels: 0 portable, 1 AVX2 + FMA, 2 AVX-512 (F, VL, DQ, BW, with the
/// ZMM and opmask state enabled by the OS), capped by wt_active_isa().
enum { SK_BASE = 0, SK_AVX2 = 1, SK_AVX512 = 2 };

static int sk_detected_avx512(void) {
#if SK_X86
    __builtin_cpu_init();
    if (!(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw")))
        return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    return (lo & 0xE6) == 0xE6;  // XMM, YMM, opmask, ZMM_Hi256, Hi16_ZMM state
#else
    return 0;
#endif
}

static int sk_tier(void) {
    static _Atomic int avx512 = -1;
    if (wt_active_isa() != WT_ISA_AVX2_FMA) return SK_BASE;
    int v = atomic_load_explicit(&avx512, memory_order_relaxed);
    if (v < 0) { v = sk_detected_avx512(); atomic_store_explicit(&avx512, v, memory_order_relaxed); }
    return v ? SK_AVX512 : SK_AVX2;
}

typedef struct {
    int trans_b, is_double;
    int tier;
    ptrdiff_t m, k, unit;
    double alpha, beta;
    const void *a, *b;
    void *c;
    ptrdiff_t lda, ldb, ldc;
} sk_job;

#define SK_CALL(FN, T)                                                                                \
    FN(j->m, j_begin, j_end, j->k, (T)j->alpha, (const T *)j->a, j->lda, (const T *)j->b, j->ldb,     \
       (T)j->beta, (T *)j->c, j->ldc)

static void sk_run(const sk_job *j, ptrdiff_t j_begin, ptrdiff_t j_end) {
#if SK_X86
    if (j->tier == SK_AVX512) {
        if (j->is_double) { if (j->trans_b) SK_CALL(sk_dnt_avx512, double); else SK_CALL(sk_dnn_avx512, double); }
        else { if (j->trans_b) SK_CALL(sk_snt_avx512, float); else SK_CALL(sk_snn_avx512, float); }
        return;
    }
    if (j->tier == SK_AVX2) {
        if (j->is_double) { if (j->trans_b) SK_CALL(sk_dnt_avx2, double); else SK_CALL(sk_dnn_avx2, double); }
        else { if (j->trans_b) SK_CALL(sk_snt_avx2, float); else SK_CALL(sk_snn_avx2, float); }
        return;
    }
#endif
    if (j->is_double) { if (j->trans_b) SK_CALL(sk_dnt_base, double); else SK_CALL(sk_dnn_base, double); }
    else { if (j->trans_b) SK_CALL(sk_snt_base, float); else SK_CALL(sk_snn_base, float); }
}

/// Parallel body: items are units of columns (SK_NB rows of B for nt, SK_NB vectors for nn).
static void sk_part(void *context, ptrdiff_t begin, ptrdiff_t end) {
    const sk_job *j = context;
    sk_run(j, begin * j->unit, end * j->unit);
}

/// Multiply-adds below which a skinny product stays on the calling thread.
#define SK_PARALLEL_MIN_MACS ((ptrdiff_t)1 << 17)

static void sk_product(sk_job *j, ptrdiff_t n) {
    if (j->m == 0 || n == 0) return;
    j->tier = sk_tier();
    ptrdiff_t lanes = j->tier == SK_AVX512 ? 16 : j->tier == SK_AVX2 ? 8 : 4;
    if (j->is_double) lanes /= 2;
    j->unit = j->trans_b ? SK_NB : SK_NB * lanes;
    ptrdiff_t units = n / j->unit;
    ptrdiff_t macs_per_unit = j->m * j->k * j->unit;
    if (units >= 2 && macs_per_unit * units >= SK_PARALLEL_MIN_MACS) {
        ptrdiff_t grain = SK_PARALLEL_MIN_MACS / 2 / (macs_per_unit > 0 ? macs_per_unit : 1);
        wt_parallel_for(units, grain > 0 ? grain : 1, sk_part, j);
        if (units * j->unit < n) sk_run(j, units * j->unit, n);
    } else {
        sk_run(j, 0, n);
    }
}

void wt_sgemm_skinny(int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
                     ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc) {
    sk_job j = {.trans_b = trans_b != 0, .is_double = 0, .m = m, .k = k, .alpha = alpha, .beta = beta,
                .a = a, .b = b, .c = c, .lda = lda, .ldb = ldb, .ldc = ldc};
    sk_product(&j, n);
}

void wt_dgemm_skinny(int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, double alpha, const double *a,
                     ptrdiff_t lda, const double *b, ptrdiff_t ldb, double beta, double *c, ptrdiff_t ldc) {
    sk_job j = {.trans_b = trans_b != 0, .is_double = 1, .m = m, .k = k, .alpha = alpha, .beta = beta,
                .a = a, .b = b, .c = c, .lda = lda, .ldb = ldb, .ldc = ldc};
    sk_product(&j, n);
}
