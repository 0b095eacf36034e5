// Exponential integral Ei(x) for real x (kernels_special.h).
//
// Piecewise polynomials from Sources/Kernels/tools/gen_expi_tables.py (expi_table.h). The line
// is cut into quarter-octaves of |x| (index taken straight from the bits of |x|), and on each
// piece one of four forms is used (t = x - c, c the centre of the piece):
//   log   -0.25 < x < 0.125   Ei = ln|x| + P(x)            (P ~ gamma + sum x^k / (k k!))
//   root  0.25 <= x < 0.5     Ei = (x - x0) P(t)           (x0 = 0.37250741078136663446..., the
//                                                           zero of Ei, as a double pair)
//   poly  other |x| < 4       Ei = P(t)
//   exp   |x| >= 4            Ei = e^x P(t)                (P ~ e^-x Ei(x), smooth, ~ 1/x + 1/x^2)
//   |x| >= 1024               Ei = +inf (x > 0) or -0 (x < 0); Ei(0) = -inf; NaN -> NaN.
// The exponential is applied as 2^k1 2^k2 after everything else, so Ei overflows to +inf only
// past x ~ 716.3 and underflows gradually (single rounding) down to -0 near x ~ -738.
// Double uses 15 coefficients with a_0 stored as a double pair; float evaluates a 9-coefficient
// table in double and rounds once.
#include "kernels_special.h"
#include "expi_table.h"
#include "vmath_core.h"

#define EI_STRIDE_D ((int)(sizeof ei_table_d[0] / sizeof(double)))  /* c, a0hi, a0lo, a1..aD, 0-pad to 4k */
#define EI_STRIDE_F ((int)(sizeof ei_table_f[0] / sizeof(double)))  /* c, a0..aD, 0-pad to 4k */
_Static_assert(sizeof ei_table_d[0] / sizeof(double) <= 20, "ei4_eval holds at most 20 columns");
#define EI_QLO ((1023 + EI_EMIN) * 4)
#define EI_QHI ((1023 + EI_EMAX) * 4 + 3)

static inline double ei_eval(double x, const double *tab, int stride, int ncoef, int split0) {
    if (x != x) return x + x;
    double ax = fabs(x);
    if (ax >= 1024.0) return x > 0 ? INFINITY : -0.0;
    if (x == 0) return -INFINITY;
    int logm = x > -0.25 && x < 0.125;
    int idx = 0;
    if (!logm) {
        int q = (int)(vm_to_bits(ax) >> 50);  // biased exponent * 4 + top two mantissa bits
        q = q < EI_QLO ? EI_QLO : (q > EI_QHI ? EI_QHI : q);
        idx = 1 + (q - EI_QLO) + (x > 0 ? EI_NSIDE : 0);
    }
    const double *row = tab + (ptrdiff_t)idx * stride;
    double t = x - row[0], p;
    if (split0) p = row[1] + (vm_horner(row + 3, ncoef - 1, t) * t + row[2]);
    else p = vm_horner(row + 1, ncoef, t);
    if (logm) return vm_log_pos(ax) + p;
    if (x >= 0.25 && x < 0.5) return p * ((x - ei_x0_hi) - ei_x0_lo);
    if (ax < 4.0) return p;
    int k;
    double em1 = vm_expm1_reduced(x, &k);
    return vm_scale(p + em1 * p, k);  // e^r P 2^k
}

double wt_expi(double x) { return ei_eval(x, &ei_table_d[0][0], EI_STRIDE_D, EI_NCOEF_D, 1); }
float wt_expif(float x) { return (float)ei_eval((double)x, &ei_table_f[0][0], EI_STRIDE_F, EI_NCOEF_F, 0); }

static inline double ei_scalar_d(double x) { return ei_eval(x, &ei_table_d[0][0], EI_STRIDE_D, EI_NCOEF_D, 1); }
static inline double ei_scalar_f(double x) { return ei_eval(x, &ei_table_f[0][0], EI_STRIDE_F, EI_NCOEF_F, 0); }

#if WT_X86
// Loads the table rows of the four lanes and transposes them, 4 columns at a time, into
// cols[j] = (row0[j], row1[j], row2[j], row3[j]). (Cheaper than one gather per coefficient.)
VM_AVX2 void ei4_columns(const double *tab, __m256i off, const int width, __m256d *cols) {
    long long o[4];
    _mm256_storeu_si256((__m256i *)o, off);
    const double *r0 = tab + o[0], *r1 = tab + o[1], *r2 = tab + o[2], *r3 = tab + o[3];
    for (int k = 0; k < width; k += 4) {
        __m256d a = _mm256_loadu_pd(r0 + k), b = _mm256_loadu_pd(r1 + k);
        __m256d c = _mm256_loadu_pd(r2 + k), d = _mm256_loadu_pd(r3 + k);
        __m256d t0 = _mm256_unpacklo_pd(a, b), t1 = _mm256_unpackhi_pd(a, b);
        __m256d t2 = _mm256_unpacklo_pd(c, d), t3 = _mm256_unpackhi_pd(c, d);
        cols[k] = _mm256_permute2f128_pd(t0, t2, 0x20);
        cols[k + 1] = _mm256_permute2f128_pd(t1, t3, 0x20);
        cols[k + 2] = _mm256_permute2f128_pd(t0, t2, 0x31);
        cols[k + 3] = _mm256_permute2f128_pd(t1, t3, 0x31);
    }
}

/// The 8-lane columns: the rows of lanes 0–3 and 4–7 gathered as in ei4_columns, then joined.
static inline __attribute__((always_inline)) WT_TARGET_AVX512 void ei8_columns(const double *tab, vm8_i off,
                                                                               const int width, vm8_d *cols) {
    long long o[8];
    memcpy(o, &off, sizeof o);
    __m256d lo[20], hi[20];
    ei4_columns(tab, _mm256_loadu_si256((const __m256i *)o), width, lo);
    ei4_columns(tab, _mm256_loadu_si256((const __m256i *)(o + 4)), width, hi);
    for (int k = 0; k < width; k++) cols[k] = (vm8_d)_mm512_insertf64x4(_mm512_castpd256_pd512(lo[k]), hi[k], 1);
}

#define VV(x) vm4_##x
#define EV(x) ei4_##x
#define VV_ATTR VM_AVX2
#include "expi_vec.h"
#undef VV
#undef EV
#undef VV_ATTR

#define VV(x) vm8_##x
#define EV(x) ei8_##x
#define VV_ATTR static inline __attribute__((always_inline)) WT_TARGET_AVX512
#include "expi_vec.h"
#undef VV
#undef EV
#undef VV_ATTR
#endif

WT_ARRAY_KERNELS_NAMED(wt_expi_array, wt_expif_array, ei_scalar_d, ei_scalar_f, ei4_d, ei4_f, ei8_d, ei8_f)
