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

VM_AVX2 __m256d ei4_eval(__m256d x, const double *tab, const int stride, const int ncoef, const int split0) {
    const __m256d zero = _mm256_setzero_pd();
    __m256d ax = vm4_abs(x);
    __m256d logm = _mm256_and_pd(_mm256_cmp_pd(x, vm4_c(-0.25), _CMP_GT_OQ), _mm256_cmp_pd(x, vm4_c(0.125), _CMP_LT_OQ));
    __m256i q = _mm256_srli_epi64(_mm256_castpd_si256(ax), 50);
    q = _mm256_min_epi32(_mm256_max_epi32(q, _mm256_set1_epi64x(EI_QLO)), _mm256_set1_epi64x(EI_QHI));
    __m256i idx = _mm256_sub_epi64(q, _mm256_set1_epi64x(EI_QLO - 1));
    idx = _mm256_add_epi64(idx, _mm256_and_si256(_mm256_castpd_si256(_mm256_cmp_pd(x, zero, _CMP_GT_OQ)),
                                                 _mm256_set1_epi64x(EI_NSIDE)));
    idx = _mm256_andnot_si256(_mm256_castpd_si256(logm), idx);
    __m256i off = _mm256_mul_epu32(idx, _mm256_set1_epi64x(stride));
    __m256d col[20];
    ei4_columns(tab, off, stride, col);
    __m256d t = _mm256_sub_pd(x, col[0]);
    __m256d p;
    if (split0) {
        p = col[ncoef + 1];
        for (int i = ncoef; i >= 3; i--) p = _mm256_fmadd_pd(p, t, col[i]);
        p = _mm256_add_pd(col[1], _mm256_fmadd_pd(p, t, col[2]));
    } else {
        p = col[ncoef];
        for (int i = ncoef - 1; i >= 1; i--) p = _mm256_fmadd_pd(p, t, col[i]);
    }
    __m256d y = p;
    // root: (x - x0) P
    __m256d rootm = _mm256_and_pd(_mm256_cmp_pd(x, vm4_c(0.25), _CMP_GE_OQ), _mm256_cmp_pd(x, vm4_c(0.5), _CMP_LT_OQ));
    {  // branch-free: mixed vectors are common (e.g. x = -1/alpha), mispredictions cost more
        __m256d d = _mm256_sub_pd(_mm256_sub_pd(x, vm4_c(ei_x0_hi)), vm4_c(ei_x0_lo));
        y = _mm256_blendv_pd(y, _mm256_mul_pd(p, d), rootm);
    }
    {
        __m256d l = _mm256_add_pd(vm4_log_pos(_mm256_blendv_pd(vm4_c(1.0), ax, logm)), p);
        l = _mm256_blendv_pd(l, vm4_c(-INFINITY), _mm256_cmp_pd(x, zero, _CMP_EQ_OQ));
        y = _mm256_blendv_pd(y, l, logm);
    }
    __m256d expm = _mm256_cmp_pd(ax, vm4_c(4.0), _CMP_GE_OQ);
    {
        vm4_i k;
        __m256d em1 = vm4_expm1_reduced(x, &k);
        __m256d v = _mm256_fmadd_pd(em1, p, p);  // e^r P
        y = _mm256_blendv_pd(y, vm4_scale(v, k), expm);
        __m256d big = _mm256_cmp_pd(ax, vm4_c(1024.0), _CMP_GE_OQ);
        {
            __m256d lim = _mm256_blendv_pd(vm4_c(-0.0), vm4_c(INFINITY), _mm256_cmp_pd(x, zero, _CMP_GT_OQ));
            y = _mm256_blendv_pd(y, lim, big);
        }
    }
    return _mm256_blendv_pd(y, _mm256_add_pd(x, x), (__m256d)vm4_isnan(x));
}

VM_AVX2 __m256d ei4_d(__m256d x) { return ei4_eval(x, &ei_table_d[0][0], EI_STRIDE_D, EI_NCOEF_D, 1); }
VM_AVX2 __m256d ei4_f(__m256d x) { return ei4_eval(x, &ei_table_f[0][0], EI_STRIDE_F, EI_NCOEF_F, 0); }
#define EI4_D ei4_d
#define EI4_F ei4_f
#endif

WT_ARRAY_KERNELS_AVX2(wt_expi_array, wt_expif_array, ei_scalar_d, ei_scalar_f, EI4_D, EI4_F)
