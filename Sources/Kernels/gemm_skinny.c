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
#include "tiers.h"
#include "kernels_parallel.h"
#include "lane_tree.h"
#include <string.h>


/// Rows of A per register block, and rows of B (nt) or vectors of columns (nn) per block.
#define SK_MB 4
#define SK_NB 4

// The vector type NAME##_vec (W lanes of T) and the head of a real kernel over rows j_begin ..< j_end
// of B (columns of C) and all m rows of A.
#define SK_KERNEL_HEAD(NAME, ATTR, T, W)                                                             \
    typedef T NAME##_vec __attribute__((vector_size(sizeof(T) * W)));                                \
    ATTR static void NAME(ptrdiff_t m, ptrdiff_t j_begin, ptrdiff_t j_end, ptrdiff_t k, T alpha,     \
                          const T *a, ptrdiff_t lda, const T *b, ptrdiff_t ldb, T beta, T *c,        \
                          ptrdiff_t ldc)

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
                T sum;                                                                               \
                WT_LANE_TREE(T, W, acc[r][s], sum)                                                   \
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
    SK_KERNEL_HEAD(NAME, ATTR, T, W) {                                                               \
        ptrdiff_t j0 = j_begin;                                                                      \
        for (; j0 + SK_NB <= j_end; j0 += SK_NB) {                                                   \
            ptrdiff_t i0 = 0;                                                                        \
            for (; i0 + SK_MB <= m; i0 += SK_MB) SK_NT_BLOCK(T, NAME##_vec, W, SK_MB)                \
            for (; i0 + 2 <= m; i0 += 2) SK_NT_BLOCK(T, NAME##_vec, W, 2)                            \
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
                T sum;                                                                               \
                WT_LANE_TREE(T, W, acc, sum)                                                         \
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
    SK_KERNEL_HEAD(NAME, ATTR, T, W) {                                                               \
        ptrdiff_t j0 = j_begin;                                                                      \
        for (; j0 + SK_NB * W <= j_end; j0 += SK_NB * W) {                                           \
            ptrdiff_t i0 = 0;                                                                        \
            for (; i0 + SK_MB <= m; i0 += SK_MB) SK_NN_BLOCK(T, NAME##_vec, W, SK_MB, SK_NB)         \
            for (; i0 + 2 <= m; i0 += 2) SK_NN_BLOCK(T, NAME##_vec, W, 2, SK_NB)                     \
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

/// One complex skinny product (split real/imaginary storage), shared by the threads.
typedef struct {
    ptrdiff_t m, k, lda, ldb, ldc;
    int sa, sb, accumulate;
    const void *ar, *ai, *br, *bi;
    void *cr, *ci;
} sk_cjob;

// MARK: - Complex (split storage): C' = A'·op(B'), A' = ar + i·sa·ai, B' = br + i·sb·bi, sa, sb = ±1

// nt: four real dot products per element (rr = Σ ar·br, ii = Σ ai·bi, ri = Σ ar·bi, ir = Σ ai·br),
// each reduced like the real nt form, then re = rr − sa·sb·ii, im = sb·ri + sa·ir. Each part of
// the weight is read once per SK_CMB rows of A.
#define SK_CMB 2
#define SK_CNB 2

#define SK_CNT_BLOCK(T, VEC, W, MB_, NB_)                                                            \
    {                                                                                                \
        VEC rr[MB_][NB_], ii[MB_][NB_], ri[MB_][NB_], ir[MB_][NB_];                                  \
        for (int r = 0; r < MB_; r++)                                                                \
            for (int s = 0; s < NB_; s++) rr[r][s] = ii[r][s] = ri[r][s] = ir[r][s] = (VEC){0};      \
        ptrdiff_t p = 0;                                                                             \
        for (; p + W <= k; p += W) {                                                                 \
            VEC bre[NB_], bim[NB_];                                                                  \
            for (int s = 0; s < NB_; s++) {                                                          \
                memcpy(&bre[s], br + (j0 + s) * ldb + p, sizeof(VEC));                               \
                memcpy(&bim[s], bi + (j0 + s) * ldb + p, sizeof(VEC));                               \
            }                                                                                        \
            for (int r = 0; r < MB_; r++) {                                                          \
                VEC are, aim;                                                                        \
                memcpy(&are, ar + (i0 + r) * lda + p, sizeof(VEC));                                  \
                memcpy(&aim, ai + (i0 + r) * lda + p, sizeof(VEC));                                  \
                for (int s = 0; s < NB_; s++) {                                                      \
                    rr[r][s] = rr[r][s] + are * bre[s];                                              \
                    ii[r][s] = ii[r][s] + aim * bim[s];                                              \
                    ri[r][s] = ri[r][s] + are * bim[s];                                              \
                    ir[r][s] = ir[r][s] + aim * bre[s];                                              \
                }                                                                                    \
            }                                                                                        \
        }                                                                                            \
        for (int r = 0; r < MB_; r++)                                                                \
            for (int s = 0; s < NB_; s++) {                                                          \
                T srr, sii, sri, sir;                                                                \
                WT_LANE_TREE(T, W, rr[r][s], srr) WT_LANE_TREE(T, W, ii[r][s], sii)                            \
                WT_LANE_TREE(T, W, ri[r][s], sri) WT_LANE_TREE(T, W, ir[r][s], sir)                            \
                const T *xr = ar + (i0 + r) * lda, *xi = ai + (i0 + r) * lda;                        \
                const T *yr = br + (j0 + s) * ldb, *yi = bi + (j0 + s) * ldb;                        \
                for (ptrdiff_t q = p; q < k; q++) {                                                  \
                    srr = srr + xr[q] * yr[q];                                                       \
                    sii = sii + xi[q] * yi[q];                                                       \
                    sri = sri + xr[q] * yi[q];                                                       \
                    sir = sir + xi[q] * yr[q];                                                       \
                }                                                                                    \
                T re = srr - (T)(sa * sb) * sii, im = (T)sb * sri + (T)sa * sir;                     \
                ptrdiff_t o = (i0 + r) * ldc + (j0 + s);                                             \
                cr[o] = accumulate ? cr[o] + re : re;                                                \
                ci[o] = accumulate ? ci[o] + im : im;                                                \
            }                                                                                        \
    }

#define SK_DEFINE_CNT(NAME, ATTR, T, W)                                                              \
    typedef T NAME##_vec __attribute__((vector_size(sizeof(T) * W)));                                \
    ATTR static void NAME(const sk_cjob *job, ptrdiff_t j_begin, ptrdiff_t j_end) {                  \
        const T *ar = job->ar, *ai = job->ai, *br = job->br, *bi = job->bi;                          \
        T *cr = job->cr, *ci = job->ci;                                                              \
        ptrdiff_t m = job->m, k = job->k, lda = job->lda, ldb = job->ldb, ldc = job->ldc;            \
        int sa = job->sa, sb = job->sb, accumulate = job->accumulate;                                \
        ptrdiff_t j0 = j_begin;                                                                      \
        for (; j0 + SK_CNB <= j_end; j0 += SK_CNB) {                                                 \
            ptrdiff_t i0 = 0;                                                                        \
            for (; i0 + SK_CMB <= m; i0 += SK_CMB) SK_CNT_BLOCK(T, NAME##_vec, W, SK_CMB, SK_CNB)    \
            for (; i0 < m; i0++) SK_CNT_BLOCK(T, NAME##_vec, W, 1, SK_CNB)                           \
        }                                                                                            \
        for (; j0 < j_end; j0++)                                                                     \
            for (ptrdiff_t i0 = 0; i0 < m; i0++) SK_CNT_BLOCK(T, NAME##_vec, W, 1, 1)                \
    }

// nn: each element a sequential sum over p of (ar + i·sa·ai)(br + i·sb·bi), lanes = columns.
#define SK_CNN_STEP(ACC_RE, ACC_IM, XR, XI, YR, YI)                                                  \
    ACC_RE = ACC_RE + (XR) * (YR) - (XI) * (YI);                                                     \
    ACC_IM = ACC_IM + (XR) * (YI) + (XI) * (YR);

#define SK_DEFINE_CNN(NAME, ATTR, T, W)                                                              \
    typedef T NAME##_vec __attribute__((vector_size(sizeof(T) * W)));                                \
    ATTR static void NAME(const sk_cjob *job, ptrdiff_t j_begin, ptrdiff_t j_end) {                  \
        typedef NAME##_vec VEC;                                                                      \
        const T *ar = job->ar, *ai = job->ai, *br = job->br, *bi = job->bi;                          \
        T *cr = job->cr, *ci = job->ci;                                                              \
        ptrdiff_t m = job->m, k = job->k, lda = job->lda, ldb = job->ldb, ldc = job->ldc;            \
        T sa = (T)job->sa, sb = (T)job->sb;                                                          \
        int accumulate = job->accumulate;                                                            \
        ptrdiff_t j0 = j_begin;                                                                      \
        for (; j0 + W <= j_end; j0 += W) {                                                           \
            ptrdiff_t i0 = 0;                                                                        \
            for (; i0 + SK_MB <= m; i0 += SK_MB) {                                                   \
                VEC re[SK_MB], im[SK_MB];                                                            \
                for (int r = 0; r < SK_MB; r++) re[r] = im[r] = (VEC){0};                            \
                for (ptrdiff_t p = 0; p < k; p++) {                                                  \
                    VEC yr, yi;                                                                      \
                    memcpy(&yr, br + p * ldb + j0, sizeof yr);                                       \
                    memcpy(&yi, bi + p * ldb + j0, sizeof yi);                                       \
                    yi = yi * sb;                                                                    \
                    for (int r = 0; r < SK_MB; r++) {                                                \
                        VEC xr = (VEC){0} + ar[(i0 + r) * lda + p];                                  \
                        VEC xi = (VEC){0} + sa * ai[(i0 + r) * lda + p];                             \
                        SK_CNN_STEP(re[r], im[r], xr, xi, yr, yi)                                    \
                    }                                                                                \
                }                                                                                    \
                for (int r = 0; r < SK_MB; r++) {                                                    \
                    T lr[W], li[W];                                                                  \
                    memcpy(lr, &re[r], sizeof lr);                                                   \
                    memcpy(li, &im[r], sizeof li);                                                   \
                    for (int l = 0; l < W; l++) {                                                    \
                        ptrdiff_t o = (i0 + r) * ldc + j0 + l;                                       \
                        cr[o] = accumulate ? cr[o] + lr[l] : lr[l];                                  \
                        ci[o] = accumulate ? ci[o] + li[l] : li[l];                                  \
                    }                                                                                \
                }                                                                                    \
            }                                                                                        \
            for (; i0 < m; i0++) {                                                                   \
                VEC re = (VEC){0}, im = (VEC){0};                                                    \
                for (ptrdiff_t p = 0; p < k; p++) {                                                  \
                    VEC yr, yi;                                                                      \
                    memcpy(&yr, br + p * ldb + j0, sizeof yr);                                       \
                    memcpy(&yi, bi + p * ldb + j0, sizeof yi);                                       \
                    yi = yi * sb;                                                                    \
                    VEC xr = (VEC){0} + ar[i0 * lda + p], xi = (VEC){0} + sa * ai[i0 * lda + p];     \
                    SK_CNN_STEP(re, im, xr, xi, yr, yi)                                              \
                }                                                                                    \
                T lr[W], li[W];                                                                      \
                memcpy(lr, &re, sizeof lr);                                                          \
                memcpy(li, &im, sizeof li);                                                          \
                for (int l = 0; l < W; l++) {                                                        \
                    ptrdiff_t o = i0 * ldc + j0 + l;                                                 \
                    cr[o] = accumulate ? cr[o] + lr[l] : lr[l];                                      \
                    ci[o] = accumulate ? ci[o] + li[l] : li[l];                                      \
                }                                                                                    \
            }                                                                                        \
        }                                                                                            \
        for (; j0 < j_end; j0++)                                                                     \
            for (ptrdiff_t i0 = 0; i0 < m; i0++) {                                                   \
                T re = 0, im = 0;                                                                    \
                for (ptrdiff_t p = 0; p < k; p++) {                                                  \
                    T yr = br[p * ldb + j0], yi = sb * bi[p * ldb + j0];                             \
                    T xr = ar[i0 * lda + p], xi = sa * ai[i0 * lda + p];                             \
                    SK_CNN_STEP(re, im, xr, xi, yr, yi)                                              \
                }                                                                                    \
                ptrdiff_t o = i0 * ldc + j0;                                                         \
                cr[o] = accumulate ? cr[o] + re : re;                                                \
                ci[o] = accumulate ? ci[o] + im : im;                                                \
            }                                                                                        \
    }

// MARK: - Tiers

/// Tables below are indexed by wt_isa: portable, AVX2 + FMA, AVX-512.
enum { SK_BASE = WT_ISA_PORTABLE, SK_AVX2 = WT_ISA_AVX2_FMA, SK_AVX512 = WT_ISA_AVX512 };

/// Lanes of a float vector at each tier (half as many doubles).
static const int sk_float_lanes[3] = {4, 8, 16};

// MARK: - Instantiations: [form][tier]

/// One real skinny product, shared by the threads (each takes a range of columns j).
typedef struct {
    ptrdiff_t m, k, lda, ldb, ldc;
    double alpha, beta;
    const void *a, *b;
    void *c;
} sk_job;

SK_DEFINE_NT(sk_snt_base, , float, 4)
SK_DEFINE_NT(sk_dnt_base, , double, 2)
SK_DEFINE_NN(sk_snn_base, , float, 4)
SK_DEFINE_NN(sk_dnn_base, , double, 2)
SK_DEFINE_CNT(sk_cnt_base, , float, 4)
SK_DEFINE_CNT(sk_dcnt_base, , double, 2)
SK_DEFINE_CNN(sk_cnn_base, , float, 4)
SK_DEFINE_CNN(sk_dcnn_base, , double, 2)
#if WT_X86
SK_DEFINE_NT(sk_snt_avx2, WT_TARGET_AVX2, float, 8)
SK_DEFINE_NT(sk_dnt_avx2, WT_TARGET_AVX2, double, 4)
SK_DEFINE_NN(sk_snn_avx2, WT_TARGET_AVX2, float, 8)
SK_DEFINE_NN(sk_dnn_avx2, WT_TARGET_AVX2, double, 4)
SK_DEFINE_CNT(sk_cnt_avx2, WT_TARGET_AVX2, float, 8)
SK_DEFINE_CNT(sk_dcnt_avx2, WT_TARGET_AVX2, double, 4)
SK_DEFINE_CNN(sk_cnn_avx2, WT_TARGET_AVX2, float, 8)
SK_DEFINE_CNN(sk_dcnn_avx2, WT_TARGET_AVX2, double, 4)
SK_DEFINE_NT(sk_snt_avx512, WT_TARGET_AVX512, float, 16)
SK_DEFINE_NT(sk_dnt_avx512, WT_TARGET_AVX512, double, 8)
SK_DEFINE_NN(sk_snn_avx512, WT_TARGET_AVX512, float, 16)
SK_DEFINE_NN(sk_dnn_avx512, WT_TARGET_AVX512, double, 8)
SK_DEFINE_CNT(sk_cnt_avx512, WT_TARGET_AVX512, float, 16)
SK_DEFINE_CNT(sk_dcnt_avx512, WT_TARGET_AVX512, double, 8)
SK_DEFINE_CNN(sk_cnn_avx512, WT_TARGET_AVX512, float, 16)
SK_DEFINE_CNN(sk_dcnn_avx512, WT_TARGET_AVX512, double, 8)
#define SK_TIERS(X) {X##_base, X##_avx2, X##_avx512}
#else
#define SK_TIERS(X) {X##_base, X##_base, X##_base}
#endif

// Adapters from the shared job to each typed kernel.
#define SK_REAL_ADAPTER(NAME, T)                                                                     \
    static void NAME##_job(const sk_job *j, ptrdiff_t lo, ptrdiff_t hi) {                            \
        NAME(j->m, lo, hi, j->k, (T)j->alpha, (const T *)j->a, j->lda, (const T *)j->b, j->ldb,      \
             (T)j->beta, (T *)j->c, j->ldc);                                                         \
    }
#define SK_REAL_ADAPTERS(X, T) SK_REAL_ADAPTER(X##_base, T) SK_REAL_ADAPTER(X##_avx2, T) SK_REAL_ADAPTER(X##_avx512, T)
#if WT_X86
SK_REAL_ADAPTERS(sk_snt, float)
SK_REAL_ADAPTERS(sk_dnt, double)
SK_REAL_ADAPTERS(sk_snn, float)
SK_REAL_ADAPTERS(sk_dnn, double)
#define SK_JOB_TIERS(X) {X##_base_job, X##_avx2_job, X##_avx512_job}
#else
SK_REAL_ADAPTER(sk_snt_base, float)
SK_REAL_ADAPTER(sk_dnt_base, double)
SK_REAL_ADAPTER(sk_snn_base, float)
SK_REAL_ADAPTER(sk_dnn_base, double)
#define SK_JOB_TIERS(X) {X##_base_job, X##_base_job, X##_base_job}
#endif

typedef void (*sk_real_fn)(const sk_job *, ptrdiff_t, ptrdiff_t);
typedef void (*sk_cplx_fn)(const sk_cjob *, ptrdiff_t, ptrdiff_t);

/// [double][trans_b][tier]
static const sk_real_fn sk_real[2][2][3] = {
    {SK_JOB_TIERS(sk_snn), SK_JOB_TIERS(sk_snt)},
    {SK_JOB_TIERS(sk_dnn), SK_JOB_TIERS(sk_dnt)},
};
static const sk_cplx_fn sk_cplx[2][2][3] = {
    {SK_TIERS(sk_cnn), SK_TIERS(sk_cnt)},
    {SK_TIERS(sk_dcnn), SK_TIERS(sk_dcnt)},
};

// MARK: - Threads

/// Multiply-adds below which a skinny product stays on the calling thread (waking a worker costs
/// tens of microseconds, more than a batch-1 product of a 784×400 weight takes).
#define SK_PARALLEL_MIN_MACS ((ptrdiff_t)1 << 21)

/// A product split over columns: `unit` columns per item (a register block), `run` the kernel.
typedef struct {
    void (*run)(const void *job, ptrdiff_t lo, ptrdiff_t hi);
    const void *job;
    ptrdiff_t unit;
} sk_split;

static void sk_part(void *context, ptrdiff_t begin, ptrdiff_t end) {
    const sk_split *s = context;
    s->run(s->job, begin * s->unit, end * s->unit);
}

/// Runs columns 0 ..< n in whole register blocks of `unit`, on the worker pool when there are
/// at least SK_PARALLEL_MIN_MACS multiply-adds, then the last partial block on this thread.
static void sk_columns(sk_split *s, ptrdiff_t n, ptrdiff_t macs_per_column) {
    ptrdiff_t units = n / s->unit, per_unit = macs_per_column * s->unit;
    if (units >= 2 && per_unit * units >= SK_PARALLEL_MIN_MACS) {
        ptrdiff_t grain = SK_PARALLEL_MIN_MACS / 2 / (per_unit > 0 ? per_unit : 1);
        wt_parallel_for(units, grain > 0 ? grain : 1, sk_part, s);
        if (units * s->unit < n) s->run(s->job, units * s->unit, n);
    } else {
        s->run(s->job, 0, n);
    }
}

static void sk_real_product(int is_double, int trans_b, ptrdiff_t n, const sk_job *job) {
    if (job->m <= 0 || n <= 0) return;
    int tier = (int)wt_active_isa();
    ptrdiff_t lanes = sk_float_lanes[tier] / (is_double ? 2 : 1);
    sk_split s = {.run = (void (*)(const void *, ptrdiff_t, ptrdiff_t))sk_real[is_double][trans_b != 0][tier],
                  .job = job, .unit = trans_b ? SK_NB : SK_NB * lanes};
    sk_columns(&s, n, job->m * job->k);
}

static void sk_cplx_product(int is_double, int trans_b, ptrdiff_t n, const sk_cjob *job) {
    if (job->m <= 0 || n <= 0) return;
    int tier = (int)wt_active_isa();
    ptrdiff_t lanes = sk_float_lanes[tier] / (is_double ? 2 : 1);
    sk_split s = {.run = (void (*)(const void *, ptrdiff_t, ptrdiff_t))sk_cplx[is_double][trans_b != 0][tier],
                  .job = job, .unit = trans_b ? SK_CNB : lanes};
    sk_columns(&s, n, 4 * job->m * job->k);
}

/// The complex product of the entry points (operands of the element type `is_double` says).
static void sk_cplx_run(int is_double, int trans_b, int conj_a, int conj_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                        const void *ar, const void *ai, ptrdiff_t lda, const void *br, const void *bi, ptrdiff_t ldb,
                        int accumulate, void *cr, void *ci, ptrdiff_t ldc) {
    sk_cjob j = {.m = m, .k = k, .lda = lda, .ldb = ldb, .ldc = ldc, .sa = conj_a ? -1 : 1, .sb = conj_b ? -1 : 1,
                 .accumulate = accumulate != 0, .ar = ar, .ai = ai, .br = br, .bi = bi, .cr = cr, .ci = ci};
    sk_cplx_product(is_double, trans_b, n, &j);
}

// MARK: - Entry points

void wt_sgemm_skinny(int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
                     ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc) {
    sk_job j = {.m = m, .k = k, .lda = lda, .ldb = ldb, .ldc = ldc, .alpha = alpha, .beta = beta, .a = a, .b = b, .c = c};
    sk_real_product(0, trans_b, n, &j);
}

void wt_dgemm_skinny(int trans_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, double alpha, const double *a,
                     ptrdiff_t lda, const double *b, ptrdiff_t ldb, double beta, double *c, ptrdiff_t ldc) {
    sk_job j = {.m = m, .k = k, .lda = lda, .ldb = ldb, .ldc = ldc, .alpha = alpha, .beta = beta, .a = a, .b = b, .c = c};
    sk_real_product(1, trans_b, n, &j);
}

void wt_cgemm_skinny(int trans_b, int conj_a, int conj_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                     const float *ar, const float *ai, ptrdiff_t lda, const float *br, const float *bi,
                     ptrdiff_t ldb, int accumulate, float *cr, float *ci, ptrdiff_t ldc) {
    sk_cplx_run(0, trans_b, conj_a, conj_b, m, n, k, ar, ai, lda, br, bi, ldb, accumulate, cr, ci, ldc);
}

void wt_zgemm_skinny(int trans_b, int conj_a, int conj_b, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                     const double *ar, const double *ai, ptrdiff_t lda, const double *br, const double *bi,
                     ptrdiff_t ldb, int accumulate, double *cr, double *ci, ptrdiff_t ldc) {
    sk_cplx_run(1, trans_b, conj_a, conj_b, m, n, k, ar, ai, lda, br, bi, ldb, accumulate, cr, ci, ldc);
}
