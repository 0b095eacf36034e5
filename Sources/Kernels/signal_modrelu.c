// modReLU over rows with a threshold per row (kernels_signal.h): the activation of the complex
// signal network's convolutions (CplxAdaptiveModReLU, one threshold per channel). A portable
// scalar path and one vector body (signal_modrelu_vec.h) instantiated for AVX2 (4 doubles) and
// AVX-512 (8 doubles); the same double operations per element on every tier, so the same bits,
// and the same bits as the Swift loop of Ops/ComplexElementwise.swift it replaces.
#include "kernels_signal.h"
#include "kernels_dispatch.h"
#include "kernels_parallel.h"
#include <math.h>
#include <string.h>
#include "tiers.h"

#pragma STDC FP_CONTRACT OFF

/// The clamp of |z| in the division (Ops' modReLUMinModulus).
#define SG_MIN_MODULUS 1e-5

/// One element of the forward: max(|z|, MIN) as Swift.max(r, MIN) (= MIN >= r ? MIN : r).
static inline void sg_modrelu_one(double x, double y, double t, double *ox, double *oy) {
    double r = sqrt(x * x + y * y);
    double m = SG_MIN_MODULUS >= r ? SG_MIN_MODULUS : r;
    double s = 1.0 - t / m;
    if (s > 0) { *ox = x * s; *oy = y * s; } else { *ox = 0; *oy = 0; }
}

/// One element of the pullback.
static inline void sg_modrelu_grad_one(double x, double y, double p, double q, double t, double *ax, double *ay, double *at) {
    double r = sqrt(x * x + y * y);
    double m = SG_MIN_MODULUS >= r ? SG_MIN_MODULUS : r;
    double s = 1.0 - t / m;
    if (!(s > 0)) { *ax = 0; *ay = 0; *at = 0; return; }
    double c = x * p + y * q;
    double k = r >= SG_MIN_MODULUS ? t * c / (r * r * r) : 0;
    *ax = s * p + k * x;
    *ay = s * q + k * y;
    *at = (-c) / m;
}

#define SG_PORTABLE_ROWS(T, SUF)                                                                    \
    static void row_##SUF##_portable(const T *xr, const T *xi, double t, ptrdiff_t n, T *yr, T *yi) { \
        for (ptrdiff_t i = 0; i < n; i++) {                                                         \
            double a, b;                                                                            \
            sg_modrelu_one(xr[i], xi[i], t, &a, &b);                                                \
            yr[i] = (T)a; yi[i] = (T)b;                                                             \
        }                                                                                           \
    }                                                                                               \
    static void row_grad_##SUF##_portable(const T *xr, const T *xi, const T *gr, const T *gi, double t, \
                                          ptrdiff_t n, T *ar, T *ai, T *acc) {                      \
        for (ptrdiff_t i = 0; i < n; i++) {                                                         \
            double a, b, c;                                                                         \
            sg_modrelu_grad_one(xr[i], xi[i], gr[i], gi[i], t, &a, &b, &c);                         \
            ar[i] = (T)a; ai[i] = (T)b;                                                             \
            if (acc) *acc += (T)c;                                                                  \
        }                                                                                           \
    }
SG_PORTABLE_ROWS(float, f32)
SG_PORTABLE_ROWS(double, f64)

#if WT_X86
#define SG_W 4
#define SG(x) sg4_##x
#define SG_ATTR WT_TARGET_AVX2
#include "signal_modrelu_vec.h"
#undef SG_W
#undef SG
#undef SG_ATTR
#define SG_W 8
#define SG(x) sg8_##x
#define SG_ATTR WT_TARGET_AVX512
#include "signal_modrelu_vec.h"
#undef SG_W
#undef SG
#undef SG_ATTR
#else
#define sg4_row_f32 row_f32_portable
#define sg4_row_f64 row_f64_portable
#define sg4_row_grad_f32 row_grad_f32_portable
#define sg4_row_grad_f64 row_grad_f64_portable
#define sg8_row_f32 row_f32_portable
#define sg8_row_f64 row_f64_portable
#define sg8_row_grad_f32 row_grad_f32_portable
#define sg8_row_grad_f64 row_grad_f64_portable
#endif

// ---------------------------------------------------------------------------------------------
// Rows (or thresholds) over the kernel threads.

typedef struct {
    const void *xr, *xi, *gr, *gi, *tau;
    void *ar, *ai, *gtau;
    ptrdiff_t period, rows, inner;
    int is_float;
} sg_job;

#define SG_PARTS(T, SUF)                                                                            \
    static void fwd_part_##SUF(void *context, ptrdiff_t begin, ptrdiff_t end) {                     \
        const sg_job *j = context;                                                                  \
        __typeof__(&row_##SUF##_portable) row = WT_PICK(row_##SUF##_portable, sg4_row_##SUF, sg8_row_##SUF); \
        const T *tau = j->tau;                                                                      \
        for (ptrdiff_t r = begin; r < end; r++) {                                                   \
            ptrdiff_t o = r * j->inner;                                                             \
            row((const T *)j->xr + o, (const T *)j->xi + o, (double)tau[r % j->period], j->inner,   \
                (T *)j->ar + o, (T *)j->ai + o);                                                    \
        }                                                                                           \
    }                                                                                               \
    /* rows begin ..< end, no threshold sums */                                                     \
    static void bwd_rows_##SUF(void *context, ptrdiff_t begin, ptrdiff_t end) {                     \
        const sg_job *j = context;                                                                  \
        __typeof__(&row_grad_##SUF##_portable) row =                                                \
            WT_PICK(row_grad_##SUF##_portable, sg4_row_grad_##SUF, sg8_row_grad_##SUF);             \
        const T *tau = j->tau;                                                                      \
        for (ptrdiff_t r = begin; r < end; r++) {                                                   \
            ptrdiff_t o = r * j->inner;                                                             \
            row((const T *)j->xr + o, (const T *)j->xi + o, (const T *)j->gr + o, (const T *)j->gi + o, \
                (double)tau[r % j->period], j->inner, (T *)j->ar + o, (T *)j->ai + o, NULL);          \
        }                                                                                           \
    }                                                                                               \
    /* thresholds begin ..< end: their rows in order, each threshold's sum from 0 */                \
    static void bwd_thresholds_##SUF(void *context, ptrdiff_t begin, ptrdiff_t end) {               \
        const sg_job *j = context;                                                                  \
        __typeof__(&row_grad_##SUF##_portable) row =                                                \
            WT_PICK(row_grad_##SUF##_portable, sg4_row_grad_##SUF, sg8_row_grad_##SUF);             \
        const T *tau = j->tau;                                                                      \
        for (ptrdiff_t c = begin; c < end; c++) {                                                   \
            T acc = 0;                                                                              \
            for (ptrdiff_t r = c; r < j->rows; r += j->period) {                                    \
                ptrdiff_t o = r * j->inner;                                                         \
                row((const T *)j->xr + o, (const T *)j->xi + o, (const T *)j->gr + o, (const T *)j->gi + o, \
                    (double)tau[c], j->inner, (T *)j->ar + o, (T *)j->ai + o, &acc);                \
            }                                                                                       \
            ((T *)j->gtau)[c] = acc;                                                                \
        }                                                                                           \
    }
SG_PARTS(float, f32)
SG_PARTS(double, f64)

/// Rows of at least this many elements per thread.
#define SG_GRAIN_ELEMENTS 8192

static ptrdiff_t sg_grain(ptrdiff_t per_item) { return per_item >= SG_GRAIN_ELEMENTS ? 1 : SG_GRAIN_ELEMENTS / (per_item > 0 ? per_item : 1); }

#define SG_ENTRY(T, SUF)                                                                            \
    void wt_modrelu_rows_##SUF(const T *xr, const T *xi, const T *tau, ptrdiff_t period, ptrdiff_t rows, \
                               ptrdiff_t inner, T *yr, T *yi) {                                     \
        sg_job j = {xr, xi, NULL, NULL, tau, yr, yi, NULL, period, rows, inner, 0};                 \
        wt_parallel_for(rows, sg_grain(inner), fwd_part_##SUF, &j);                                 \
    }                                                                                               \
    void wt_modrelu_rows_grad_##SUF(const T *xr, const T *xi, const T *gr, const T *gi, const T *tau, \
                                    ptrdiff_t period, ptrdiff_t rows, ptrdiff_t inner, T *ar, T *ai, T *gtau) { \
        sg_job j = {xr, xi, gr, gi, tau, ar, ai, gtau, period, rows, inner, 0};                     \
        if (gtau) wt_parallel_for(period, sg_grain(inner * (rows / (period > 0 ? period : 1))), bwd_thresholds_##SUF, &j); \
        else wt_parallel_for(rows, sg_grain(inner), bwd_rows_##SUF, &j);                            \
    }
SG_ENTRY(float, f32)
SG_ENTRY(double, f64)
