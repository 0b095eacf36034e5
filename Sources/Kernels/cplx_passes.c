// Elementwise passes of the complex training step (kernels_cplx_passes.h). Each element formula is
// written once as a loop body over its element type T and instantiated per tier as whole functions
// (portable, AVX2+FMA, AVX-512) that the compiler vectorises; contraction is off, so every
// instantiation rounds each operation separately, exactly as the Swift loops these replace did,
// and all tiers give the same bits. Every element depends on its own inputs alone, so the split
// over the kernel threads does not change the result.
#include "kernels_cplx_passes.h"
#include "kernels_dispatch.h"
#include "kernels_parallel.h"

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#include "tiers.h"

// out = a + s·b
#define CP_SIGNED_SUM(NAME, T, SQRT, ATTR)                                                          \
    static ATTR void NAME(const T *a, const T *b, T s, T *out, ptrdiff_t n) {                       \
        for (ptrdiff_t i = 0; i < n; i++) out[i] = a[i] + s * b[i];                                 \
    }
// t = s·ii; im = (im − re) − t; re = re − t
#define CP_GAUSS(NAME, T, SQRT, ATTR)                                                               \
    static ATTR void NAME(T *restrict re, T *restrict im, const T *restrict ii, T s, ptrdiff_t n) { \
        for (ptrdiff_t i = 0; i < n; i++) {                                                         \
            T t = s * ii[i], r = re[i];                                                             \
            im[i] = (im[i] - r) - t;                                                                \
            re[i] = r - t;                                                                          \
        }                                                                                           \
    }
// y = y + x
#define CP_ACCUMULATE(NAME, T, SQRT, ATTR)                                                          \
    static ATTR void NAME(T *restrict y, const T *restrict x, ptrdiff_t n) {                        \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = y[i] + x[i];                                       \
    }
// t = s·ii; rr ← sum_re + (rr − t); p ← sum_im + ((p − rr) − t)
#define CP_GAUSS_ADD(NAME, T, SQRT, ATTR)                                                           \
    static ATTR void NAME(const T *restrict sum_re, const T *restrict sum_im, T *restrict rr,       \
                          T *restrict p, const T *restrict ii, T s, ptrdiff_t n) {                  \
        for (ptrdiff_t i = 0; i < n; i++) {                                                         \
            T t = s * ii[i], r = rr[i], q = p[i];                                                   \
            rr[i] = sum_re[i] + (r - t);                                                            \
            p[i] = sum_im[i] + ((q - r) - t);                                                       \
        }                                                                                           \
    }
// out = sum + a·b
#define CP_ADD_PRODUCT(NAME, T, SQRT, ATTR)                                                         \
    static ATTR void NAME(const T *restrict sum, const T *restrict a, const T *restrict b,          \
                          T *restrict out, ptrdiff_t n) {                                           \
        for (ptrdiff_t i = 0; i < n; i++) out[i] = sum[i] + a[i] * b[i];                            \
    }
// out = re·re + im·im
#define CP_SQUARED_MODULUS(NAME, T, SQRT, ATTR)                                                     \
    static ATTR void NAME(const T *restrict re, const T *restrict im, T *restrict out, ptrdiff_t n) { \
        for (ptrdiff_t i = 0; i < n; i++) out[i] = re[i] * re[i] + im[i] * im[i];                   \
    }
// gre = g·re + g·re, gim = g·im + g·im
#define CP_SQUARED_MODULUS_GRAD(NAME, T, SQRT, ATTR)                                                \
    static ATTR void NAME(const T *restrict re, const T *restrict im, const T *restrict g,          \
                          T *restrict gre, T *restrict gim, ptrdiff_t n) {                          \
        for (ptrdiff_t i = 0; i < n; i++) {                                                         \
            T a = g[i] * re[i], b = g[i] * im[i];                                                   \
            gre[i] = a + a;                                                                         \
            gim[i] = b + b;                                                                         \
        }                                                                                           \
    }
// re = src[2i], im = src[2i + 1]
#define CP_DEINTERLEAVE(NAME, T, SQRT, ATTR)                                                        \
    static ATTR void NAME(const T *restrict src, T *restrict re, T *restrict im, ptrdiff_t n) {     \
        for (ptrdiff_t i = 0; i < n; i++) {                                                         \
            re[i] = src[2 * i];                                                                     \
            im[i] = src[2 * i + 1];                                                                 \
        }                                                                                           \
    }

WT_DEFINE_TIERS_DF(CP_SIGNED_SUM, cp_signed_sum_d, cp_signed_sum_f, , )
WT_DEFINE_TIERS_DF(CP_GAUSS, cp_gauss_d, cp_gauss_f, , )
WT_DEFINE_TIERS_DF(CP_ACCUMULATE, cp_accumulate_d, cp_accumulate_f, , )
WT_DEFINE_TIERS_DF(CP_DEINTERLEAVE, cp_deinterleave_d, cp_deinterleave_f, , )
WT_DEFINE_TIERS_DF(CP_GAUSS_ADD, cp_gauss_add_d, cp_gauss_add_f, , )
WT_DEFINE_TIERS_DF(CP_ADD_PRODUCT, cp_add_product_d, cp_add_product_f, , )
WT_DEFINE_TIERS_DF(CP_SQUARED_MODULUS, cp_sqmod_d, cp_sqmod_f, , )
WT_DEFINE_TIERS_DF(CP_SQUARED_MODULUS_GRAD, cp_sqmod_grad_d, cp_sqmod_grad_f, , )

#if WT_X86
#define CP_PICK(PRE) WT_PICK(PRE##_portable, PRE##_avx2, PRE##_avx512)
#else
#define CP_PICK(PRE) WT_PICK(PRE##_portable, PRE##_portable, PRE##_portable)
#endif

/// Elements per thread at least (below this the pass runs on the calling thread).
#define CP_GRAIN 16384

typedef struct {
    const void *a, *b, *c;
    void *x, *y;
    double s;
    ptrdiff_t rows, cols;  // (wt_column_sums_*)
} cp_job;

// One part function per pass and type: elements begin ..< end.
#define CP_PARTS(T, SUF)                                                                            \
    static void signed_sum_part_##SUF(void *context, ptrdiff_t b, ptrdiff_t e) {                    \
        const cp_job *j = context;                                                                  \
        CP_PICK(cp_signed_sum_##SUF)((const T *)j->a + b, (const T *)j->b + b, (T)j->s, (T *)j->x + b, e - b); \
    }                                                                                               \
    static void gauss_part_##SUF(void *context, ptrdiff_t b, ptrdiff_t e) {                         \
        const cp_job *j = context;                                                                  \
        CP_PICK(cp_gauss_##SUF)((T *)j->x + b, (T *)j->y + b, (const T *)j->a + b, (T)j->s, e - b); \
    }                                                                                               \
    static void accumulate_part_##SUF(void *context, ptrdiff_t b, ptrdiff_t e) {                    \
        const cp_job *j = context;                                                                  \
        CP_PICK(cp_accumulate_##SUF)((T *)j->x + b, (const T *)j->a + b, e - b);                    \
    }                                                                                               \
    static void gauss_add_part_##SUF(void *context, ptrdiff_t b, ptrdiff_t e) {                     \
        const cp_job *j = context;                                                                  \
        CP_PICK(cp_gauss_add_##SUF)((const T *)j->a + b, (const T *)j->b + b, (T *)j->x + b, (T *)j->y + b, \
                                    (const T *)j->c + b, (T)j->s, e - b);                           \
    }                                                                                               \
    static void add_product_part_##SUF(void *context, ptrdiff_t b, ptrdiff_t e) {                   \
        const cp_job *j = context;                                                                  \
        CP_PICK(cp_add_product_##SUF)((const T *)j->a + b, (const T *)j->b + b, (const T *)j->c + b, \
                                      (T *)j->x + b, e - b);                                        \
    }                                                                                               \
    static void sqmod_part_##SUF(void *context, ptrdiff_t b, ptrdiff_t e) {                         \
        const cp_job *j = context;                                                                  \
        CP_PICK(cp_sqmod_##SUF)((const T *)j->a + b, (const T *)j->b + b, (T *)j->x + b, e - b);    \
    }                                                                                               \
    static void sqmod_grad_part_##SUF(void *context, ptrdiff_t b, ptrdiff_t e) {                    \
        const cp_job *j = context;                                                                  \
        CP_PICK(cp_sqmod_grad_##SUF)((const T *)j->a + b, (const T *)j->b + b, (const T *)j->c + b, \
                                     (T *)j->x + b, (T *)j->y + b, e - b);                          \
    }                                                                                               \
    static void deinterleave_part_##SUF(void *context, ptrdiff_t b, ptrdiff_t e) {                  \
        const cp_job *j = context;                                                                  \
        CP_PICK(cp_deinterleave_##SUF)((const T *)j->a + 2 * b, (T *)j->x + b, (T *)j->y + b, e - b); \
    }                                                                                               \
    /* columns b ..< e of the rows × cols matrix a into x */                                        \
    static void column_sums_part_##SUF(void *context, ptrdiff_t b, ptrdiff_t e) {                   \
        const cp_job *j = context;                                                                  \
        ptrdiff_t rows = j->rows, cols = j->cols;                                                   \
        const T *x = (const T *)j->a;                                                               \
        T *out = (T *)j->x;                                                                         \
        for (ptrdiff_t c = b; c < e; c++) out[c] = x[c];                                            \
        for (ptrdiff_t r = 1; r < rows; r++) CP_PICK(cp_accumulate_##SUF)(out + b, x + r * cols + b, e - b); \
    }
CP_PARTS(float, f)
CP_PARTS(double, d)

#define CP_ENTRIES(T, SUF, PUB)                                                                     \
    void wt_cplx_signed_sum_##PUB(const T *a, const T *b, T s, T *out, ptrdiff_t n) {               \
        cp_job j = {.a = a, .b = b, .x = out, .s = (double)s};                                      \
        wt_parallel_for(n, CP_GRAIN, signed_sum_part_##SUF, &j);                                    \
    }                                                                                               \
    void wt_cplx_gauss_combine_##PUB(T *re, T *im, const T *ii, T s, ptrdiff_t n) {                 \
        cp_job j = {.a = ii, .x = re, .y = im, .s = (double)s};                                     \
        wt_parallel_for(n, CP_GRAIN, gauss_part_##SUF, &j);                                         \
    }                                                                                               \
    void wt_accumulate_##PUB(T *y, const T *x, ptrdiff_t n) {                                       \
        cp_job j = {.a = x, .x = y};                                                                \
        wt_parallel_for(n, CP_GRAIN, accumulate_part_##SUF, &j);                                    \
    }                                                                                               \
    void wt_cplx_gauss_add_##PUB(const T *sum_re, const T *sum_im, T *rr, T *p, const T *ii, T s,  \
                                 ptrdiff_t n) {                                                     \
        cp_job j = {.a = sum_re, .b = sum_im, .c = ii, .x = rr, .y = p, .s = (double)s};            \
        wt_parallel_for(n, CP_GRAIN, gauss_add_part_##SUF, &j);                                     \
    }                                                                                               \
    void wt_add_product_##PUB(const T *sum, const T *a, const T *b, T *out, ptrdiff_t n) {          \
        cp_job j = {.a = sum, .b = a, .c = b, .x = out};                                            \
        wt_parallel_for(n, CP_GRAIN, add_product_part_##SUF, &j);                                   \
    }                                                                                               \
    void wt_cplx_squared_modulus_##PUB(const T *re, const T *im, T *out, ptrdiff_t n) {             \
        cp_job j = {.a = re, .b = im, .x = out};                                                    \
        wt_parallel_for(n, CP_GRAIN, sqmod_part_##SUF, &j);                                         \
    }                                                                                               \
    void wt_cplx_squared_modulus_grad_##PUB(const T *re, const T *im, const T *g, T *gre, T *gim,   \
                                            ptrdiff_t n) {                                          \
        cp_job j = {.a = re, .b = im, .c = g, .x = gre, .y = gim};                                  \
        wt_parallel_for(n, CP_GRAIN, sqmod_grad_part_##SUF, &j);                                    \
    }                                                                                               \
    void wt_cplx_deinterleave_##PUB(const T *src, T *re, T *im, ptrdiff_t n) {                      \
        cp_job j = {.a = src, .x = re, .y = im};                                                    \
        wt_parallel_for(n, CP_GRAIN, deinterleave_part_##SUF, &j);                                  \
    }                                                                                               \
    void wt_column_sums_##PUB(const T *x, ptrdiff_t rows, ptrdiff_t cols, T *out) {                 \
        if (rows < 1 || cols < 1) return;                                                           \
        cp_job j = {.a = x, .x = out, .rows = rows, .cols = cols};                                  \
        ptrdiff_t grain = CP_GRAIN / rows;                                                          \
        wt_parallel_for(cols, grain > 0 ? grain : 1, column_sums_part_##SUF, &j);                  \
    }
CP_ENTRIES(float, f, f32)
CP_ENTRIES(double, d, f64)

// The combine of a tile of the three-product form (wt_?gemm_gauss, gemm.c): row by row, the kernels
// of the active tier picked once, on the calling thread.
#define CP_TILE(T, SUF, PUB)                                                                        \
    void wt_cplx_gauss_tile_##PUB(ptrdiff_t rows, ptrdiff_t cols, const T *sum_re, const T *sum_im, \
                                  ptrdiff_t lds, T *rr, T *p, ptrdiff_t ldc, const T *ii, ptrdiff_t ldi, T s, \
                                  const T *bias_re, const T *bias_im) {                             \
        if (sum_re) {                                                                               \
            __typeof__(&cp_gauss_add_##SUF##_portable) f = CP_PICK(cp_gauss_add_##SUF);             \
            for (ptrdiff_t r = 0; r < rows; r++)                                                    \
                f(sum_re + r * lds, sum_im + r * lds, rr + r * ldc, p + r * ldc, ii + r * ldi, s, cols); \
        } else {                                                                                    \
            __typeof__(&cp_gauss_##SUF##_portable) f = CP_PICK(cp_gauss_##SUF);                     \
            for (ptrdiff_t r = 0; r < rows; r++) f(rr + r * ldc, p + r * ldc, ii + r * ldi, s, cols); \
        }                                                                                           \
        if (bias_re) {                                                                              \
            __typeof__(&cp_accumulate_##SUF##_portable) add = CP_PICK(cp_accumulate_##SUF);         \
            for (ptrdiff_t r = 0; r < rows; r++) {                                                  \
                add(rr + r * ldc, bias_re, cols);                                                   \
                add(p + r * ldc, bias_im, cols);                                                    \
            }                                                                                       \
        }                                                                                           \
    }
CP_TILE(float, f, f32)
CP_TILE(double, d, f64)
