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
#include <stdatomic.h>
#include <string.h>
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

#define VV(x) vm4_##x
#define EV(x) ei4_##x
#define VV_ATTR VM_AVX2
#include "expi_vec.h"
#undef VV
#undef EV
#undef VV_ATTR

#endif

#if WT_X86
// ---------------------------------------------------------------- AVX2: lanes sorted by form
//
// ei4_eval (above) is the branch-free form: every vector pays for the row gather, the polynomial,
// a log and an exp, and its one long body leaves the out-of-order core no room to overlap
// vectors, so it runs at the latency of its chains (Zen 3: ~9.4 ns per element on −1/α). The
// AVX2 tier now sorts instead, like the AVX-512 tier (below), with what AVX2 has (no compress, no
// two-source permutes, gathers slower than loads on Zen 3):
//
// 1. Each block of EI2_BLOCK elements is classified 8 at a time into three streams: the log piece;
//    the polynomial pieces of both signs (the zero's piece included); the exp pieces of both
//    signs with |x| >= 1024, ±inf and NaN. Only the elements' block indices move, and the offsets
//    of their table rows (computed for all 8 in 32-bit lanes from the high word of each element):
//    one vpermd per stream with an index looked up by the 8-bit lane mask (the placement of
//    vpcompressd), stored to the stream's lists.
// 2. Each stream is a short loop that evaluates only its form, 8 lanes a step (two vectors whose
//    chains interleave: helpers of vmath_vec.h instantiated for 8 doubles, ei2v_*): x loaded by
//    index, the rows' coefficients two columns at a time by two pairs of 16-byte loads and two
//    unpacks per 4 lanes, fetched in Horner order, from a copy of the table without its centre
//    column (the centre comes from the bits of x, as in the AVX-512 tier); the log stream's
//    coefficients are constants; the log and the exp go first in each step (their chains are as
//    long as the polynomial's and independent of it).
// 3. Each result is stored by index: into y (float64 not overlapping x), or into a block buffer
//    copied out at the end (float32: rounded once there; in place). A stream's last step is
//    padded with its last element, computed twice.
//
// Every element goes through the operations of ei4_eval for its form, in the same order, so the
// bits are those of the branch-free form and of the AVX-512 tier; an element's value does not
// depend on the other elements of its block, so neither on the thread split. Arrays shorter than
// EI2_MIN_SORT keep the branch-free form.

#pragma STDC FP_CONTRACT OFF  // every operation as written, as in ei4_eval
// The 8-double helpers (ei2v_*) take and return 64-byte vectors, which under AVX2 would pass in
// memory; they are always inlined, so no call ever has that ABI.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wpsabi"
#define EI2 static inline __attribute__((always_inline)) WT_TARGET_AVX2
#define EI2_BLOCK 512
/// Row stride of the AVX2 tier's copies of the tables (ei2_rows_d: a0hi, a0lo, a1 … a14, 128
/// bytes; ei2_rows_f: a0 … a8 and a zero).
#define EI2_STRIDE_D 16
#define EI2_STRIDE_F 10
enum { EI2_LOG, EI2_POLY, EI2_EXP, EI2_NS };
/// Per 8-bit lane mask m: the vpermd index that moves the 32-bit lanes set in m, in order, to the
/// front (the placement of vpcompressd).
static int ei2_pack[256][8] __attribute__((aligned(32)));
/// The tables without their centre column (a centre is a function of the bits of x, see ei2_eval),
/// rows 16-byte aligned so that every pair of coefficients is one aligned 16-byte load.
static double ei2_rows_d[EI_NENTRY][EI2_STRIDE_D] __attribute__((aligned(64)));
static double ei2_rows_f[EI_NENTRY][EI2_STRIDE_F] __attribute__((aligned(64)));
_Static_assert(EI_NCOEF_D + 1 == EI2_STRIDE_D && EI_NCOEF_F + 1 == EI2_STRIDE_F, "the rows hold the coefficients");

__attribute__((constructor)) static void ei2_fill_tables(void) {
    for (int m = 0; m < 256; m++)
        for (int j = 0, k = 0; j < 8; j++)
            if (m >> j & 1) ei2_pack[m][k++] = j;
    for (int i = 0; i < EI_NENTRY; i++) {
        for (int j = 0; j < EI2_STRIDE_D; j++) ei2_rows_d[i][j] = ei_table_d[i][j + 1];
        for (int j = 0; j < EI2_STRIDE_F; j++) ei2_rows_f[i][j] = j < EI_NCOEF_F ? ei_table_f[i][j + 1] : 0.0;
    }
}

/// Vectors of 4 lanes per step of a stream: the helpers of vmath_vec.h instantiated for
/// 4·EI2_U doubles (ei2v_*; each operation compiles to EI2_U instructions, one per vector), so
/// that EI2_U independent dependency chains are interleaved in the instruction stream.
#define EI2_U 2
#define EI2_W (4 * EI2_U)
#define VV_W EI2_W
#define VV(x) ei2v_##x
#define VV_ATTR EI2
#include "vmath_vec.h"
#undef VV_W
#undef VV
#undef VV_ATTR
#pragma STDC FP_CONTRACT OFF
typedef union {
    ei2v_d v;
    __m256d h[EI2_U];
} ei2_split;

/// Whether any lane of the mask m is set.
EI2 int ei2_any(ei2v_i m) {
    union {
        ei2v_i v;
        __m256i h[EI2_U];
    } u = {m};
    __m256i o = u.h[0];
    for (int g = 1; g < EI2_U; g++) o = _mm256_or_si256(o, u.h[g]);
    return !_mm256_testz_si256(o, o);
}

/// ei2v_log_pos for normal x > 0: the same operations without its subnormal scaling (which
/// leaves normal lanes as they are).
EI2 ei2v_d ei2_log_normal(ei2v_d x) {
    typedef ei2v_d D;
    typedef ei2v_i I;
    I ix = ei2v_bits(x) + ei2v_ci((long long)(0x3ff0000000000000ULL - VM_SQRTH_BITS));
    I k = (I)((unsigned long long __attribute__((vector_size(8 * EI2_W))))ix >> 52) + ei2v_ci(-1023);
    D kd = ei2v_from_bits(k + ei2v_bits(ei2v_c(VM_SHIFT))) - ei2v_c(VM_SHIFT);
    I mb = (ix & ei2v_ci(0x000fffffffffffffLL)) + ei2v_ci((long long)VM_SQRTH_BITS);
    D f = ei2v_from_bits(mb) - ei2v_c(1.0);
    D s = f / (ei2v_c(2.0) + f);
    D z = s * s;
    D hfsq = ei2v_c(0.5) * (f * f);
    D r = z * ei2v_horner(vm_log_c, 8, z);
    D inner = ei2v_fma(s, hfsq + r, kd * ei2v_c(VM_LN2LO));
    return ei2v_fma(kd, ei2v_c(VM_LN2HI), f - (hfsq - inner));
}

/// ei2v_scale(v, k) without a subnormal intermediate or result where 2^k is tiny (k < −1000):
/// multiplies that produce subnormals take a microcode assist (Zen 3: ~50 cycles per step of the
/// exp stream where one lane of −745 < x < −708 has one, measured; Ei(−1/α) has ~2 % such
/// elements below −708, so ~40 % of the exp stream's steps). Such a lane's v·2^k rounded to the
/// subnormal grid is N·2^−1074 with N = |v|·2^(k+1074) rounded to an integer (nearest-even, as the
/// multiply rounds: formed by adding 2^52, exact below 2^52), and a subnormal's bits are N
/// (N = 2^52: the least normal, also right); those lanes then scale by 2^0. Only with
/// flush-to-zero off (the multiplies flush otherwise, and so must this tier).
EI2 ei2v_d ei2_scale_tiny(ei2v_d v, ei2v_i k) {
    typedef ei2v_i I;
    I low = (I)(k < ei2v_ci(-1000));
    ei2v_d s = ei2v_abs(v) * ei2v_pow2i(low & (k + ei2v_ci(1074)));
    I sub = low & (I)(s <= ei2v_c(0x1p52));
    I n = (ei2v_bits(s + ei2v_c(0x1p52)) - ei2v_bits(ei2v_c(0x1p52))) | (ei2v_bits(v) & ei2v_bits(ei2v_c(-0.0)));
    return ei2v_blend(ei2v_scale(v, ~sub & k), ei2v_from_bits(n), sub);
}

/// Coefficient columns 2k and 2k + 1 of the EI2_W lanes' rows (r[l]: lane l's row): per 4 lanes,
/// two pairs of 16-byte loads (each pair into the halves of one register) and two unpacks.
EI2 void ei2_pair(const double *const *r, const int k, ei2v_d *c0, ei2v_d *c1) {
    ei2_split lo, hi;
    for (int g = 0; g < EI2_U; g++) {
        const double *const *q = r + 4 * g;
        __m256d a = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_load_pd(q[0] + 2 * k)), _mm_load_pd(q[2] + 2 * k), 1);
        __m256d b = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_load_pd(q[1] + 2 * k)), _mm_load_pd(q[3] + 2 * k), 1);
        lo.h[g] = _mm256_unpacklo_pd(a, b);
        hi.h[g] = _mm256_unpackhi_pd(a, b);
    }
    *c0 = lo.v;
    *c1 = hi.v;
}

/// Ei of EI2_W lanes that all have the form `form` (EI2_LOG, EI2_POLY or EI2_EXP): the operations
/// of ei4_eval for that form, in its order.
EI2 ei2v_d ei2_eval(ei2v_d x, const int *os, const int form, const double *rows, const int ncoef, const int split0,
                    const int ftz) {
    typedef ei2v_d D;
    typedef ei2v_i I;
    const int ncols = split0 ? ncoef + 1 : ncoef;
    D t;
    const double *r[EI2_W];
    if (form == EI2_LOG) {
        // the log piece: centre +0 (x − (+0) = x), constant coefficients
        t = x;
    } else {
        // the lanes' rows (offsets from the sort, ei2_block)
        for (int l = 0; l < EI2_W; l++) r[l] = rows + os[l];
        // the centre of x's piece, ±2^e (1 + j/4 + 1/8): x with the mantissa bits below the top
        // two replaced by 1/8 (the table's column 0)
        t = x - ei2v_from_bits((ei2v_bits(x) & ei2v_ci((long long)0xfffc000000000000ULL)) | ei2v_ci(1LL << 49));
    }
    // the log and the exponential first: their chains are independent of the polynomial's and
    // as long, and the out-of-order window reaches only so far ahead
    D lg, em1;
    I k;
    int tiny = 0;
    if (form == EI2_LOG) {
        // lanes with |x| < 2^−1022 (subnormal, ±0: rare, hence a branch) take the subnormal scaling
        // and the −inf of 0; ei2_log_normal gives the others the bits of ei2v_log_pos
        D ax = ei2v_abs(x);
        tiny = ei2_any((I)(ei2v_bits(ax) < ei2v_ci(0x0010000000000000LL)));
        lg = tiny ? ei2v_log_pos(ax) : ei2_log_normal(ax);
    }
    // (x is not clamped to ±1400 as in ei4_eval: that changes only lanes replaced at the end)
    if (form == EI2_EXP) em1 = ei2v_expm1_reduced_inrange(x, &k);
    // Horner from the top coefficient (column ncols − 1), each pair of columns fetched just before
    // its use; split0: the last step adds the pair a0hi + a0lo as in ei4_eval
    D c0, c1, p;
#define EI2_PAIR(k)                                             \
    do {                                                        \
        if (form == EI2_LOG) {                                  \
            c0 = ei2v_c(rows[2 * (k)]);                         \
            c1 = ei2v_c(2 * (k) + 1 < ncols ? rows[2 * (k) + 1] : 0.0); \
        } else {                                                \
            ei2_pair(r, (k), &c0, &c1);                         \
        }                                                       \
    } while (0)
    const int top = ncols - 1;
    EI2_PAIR(top >> 1);
    if (top & 1) p = ei2v_fma(c1, t, c0);
    else p = c0;
    const int low = split0 ? 1 : 0;
#pragma clang loop unroll(full)
    for (int k = (top >> 1) - 1; k >= low; k--) {
        EI2_PAIR(k);
        p = ei2v_fma(ei2v_fma(p, t, c1), t, c0);
    }
    if (split0) {
        EI2_PAIR(0);
        p = c0 + ei2v_fma(p, t, c1);
    }
#undef EI2_PAIR
    if (form == EI2_LOG) {
        D l = lg + p;
        return tiny ? ei2v_blend(l, ei2v_c(-INFINITY), (I)(x == ei2v_c(0.0))) : l;
    }
    if (form == EI2_POLY) {
        I rootm = (I)(x >= ei2v_c(0.25)) & (I)(x < ei2v_c(0.5));
        D d = (x - ei2v_c(ei_x0_hi)) - ei2v_c(ei_x0_lo);
        return ei2v_blend(p, p * d, rootm);
    }
    D v = ei2v_fma(em1, p, p);
    D y = !ftz && ei2_any((I)(k < ei2v_ci(-1000))) ? ei2_scale_tiny(v, k) : ei2v_scale(v, k);
    // |x| >= 1024, ±inf and NaN (rare: a branch)
    if (!ei2_any(~(I)(ei2v_abs(x) < ei2v_c(1024.0)))) return y;
    I big = (I)(ei2v_abs(x) >= ei2v_c(1024.0));
    D lim = ei2v_blend(ei2v_c(-0.0), ei2v_c(INFINITY), (I)(x > ei2v_c(0.0)));
    y = ei2v_blend(y, lim, big);
    return ei2v_blend(y, x + x, ei2v_isnan(x));
}

/// Evaluates the n elements of one stream (their block indices in is and their table rows'
/// offsets in os, padded to a whole step): x read at x[is[j]] (doubles, or floats when
/// `single`), Ei stored at out[is[j]].
EI2 void ei2_stream(const void *x, const int single, const int *is, const int *os, int n, double *out, const int form,
                    const double *rows, const int ncoef, const int split0) {
    const int ftz = form == EI2_EXP && (_mm_getcsr() & 0x8000) != 0;  // flush-to-zero (wt_set_flush_denormals)
    for (int j = 0; j < n; j += EI2_W) {
        ei2_split v, r;
        for (int g = 0; g < EI2_U; g++) {
            const int *k = is + j + 4 * g;
            if (single) {
                const float *xf = x;
                v.h[g] = _mm256_cvtps_pd(_mm_setr_ps(xf[k[0]], xf[k[1]], xf[k[2]], xf[k[3]]));
            } else {
                const double *xd = x;
                __m128d a = _mm_loadh_pd(_mm_load_sd(xd + k[0]), xd + k[1]);
                __m128d b = _mm_loadh_pd(_mm_load_sd(xd + k[2]), xd + k[3]);
                v.h[g] = _mm256_insertf128_pd(_mm256_castpd128_pd256(a), b, 1);
            }
        }
        r.v = ei2_eval(v.v, os + j, form, rows, ncoef, split0, ftz);
        for (int g = 0; g < EI2_U; g++) {
            const int *k = is + j + 4 * g;
            __m128d lo = _mm256_castpd256_pd128(r.h[g]), hi = _mm256_extractf128_pd(r.h[g], 1);
            _mm_storel_pd(out + k[0], lo);
            _mm_storeh_pd(out + k[1], lo);
            _mm_storel_pd(out + k[2], hi);
            _mm_storeh_pd(out + k[3], hi);
        }
    }
}

/// Ei of n <= EI2_BLOCK elements from x to y (doubles, or floats when `single`). The block's
/// element indices are sorted into the three streams, 8 at a time (one vpermd per stream), the
/// streams evaluated, and the results stored by index: straight into y when `direct` (float64, y
/// not overlapping x), else into a buffer copied to y at the end (rounded once for float; in place
/// the streams still read x).
EI2 void ei2_block(const void *x, void *y, int n, const int single, const int direct, const double *rows,
                   const int rstride, const int ncoef, const int split0) {
    int is[EI2_NS][EI2_BLOCK + EI2_W] __attribute__((aligned(32)));
    int os[EI2_NS][EI2_BLOCK + EI2_W] __attribute__((aligned(32)));  // (not for the log stream)
    double buf[direct ? 1 : EI2_BLOCK] __attribute__((aligned(32)));
    double *out = direct ? (double *)y : buf;
    int cnt[EI2_NS] = {0, 0, 0};
    for (int i = 0; i < n; i += 8) {
        int live = 0xff, ml, me;
        const void *xi = single ? (const void *)((const float *)x + i) : (const void *)((const double *)x + i);
        union {
            double d[8];
            float f[8];
        } tail;
        if (__builtin_expect(n - i < 8, 0)) {
            // the last step of a ragged block: its elements and copies of its first
            for (int k = 0; k < 8; k++) {
                int e = k < n - i ? i + k : i;
                if (single) tail.f[k] = ((const float *)x)[e];
                else tail.d[k] = ((const double *)x)[e];
            }
            xi = &tail;
            live = (1 << (n - i)) - 1;
        }
        // log: −0.25 < x < 0.125 (not NaN); exp: |x| >= 4, ±inf and NaN (from the bits); else poly.
        // hi: the high 32 bits of each element as a double (sign, exponent, 20 mantissa bits).
        __m256i hi;
        if (single) {
            __m256 v = _mm256_loadu_ps(xi);
            ml = _mm256_movemask_ps(_mm256_and_ps(_mm256_cmp_ps(v, _mm256_set1_ps(-0.25f), _CMP_GT_OQ),
                                                  _mm256_cmp_ps(v, _mm256_set1_ps(0.125f), _CMP_LT_OQ)));
            __m256i ab = _mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32(0x7fffffff));
            me = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(ab, _mm256_set1_epi32(0x40800000 - 1))));
            // a float's exponent rebased to double's (its q below; ±inf and NaN land past EI_QHI as in double)
            hi = _mm256_or_si256(_mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32((int)0x80000000u)),
                                 _mm256_add_epi32(_mm256_srli_epi32(ab, 3), _mm256_set1_epi32((1023 - 127) << 20)));
        } else {
            __m256d v0 = _mm256_loadu_pd((const double *)xi), v1 = _mm256_loadu_pd((const double *)xi + 4);
            ml = me = 0;
            for (int h = 0; h < 2; h++) {
                __m256d v = h ? v1 : v0;
                int l = _mm256_movemask_pd(_mm256_and_pd(_mm256_cmp_pd(v, _mm256_set1_pd(-0.25), _CMP_GT_OQ),
                                                         _mm256_cmp_pd(v, _mm256_set1_pd(0.125), _CMP_LT_OQ)));
                __m256i ab = _mm256_castpd_si256(_mm256_andnot_pd(_mm256_set1_pd(-0.0), v));
                int e = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(ab, _mm256_set1_epi64x(0x4010000000000000LL - 1))));
                ml |= l << (4 * h);
                me |= e << (4 * h);
            }
            hi = _mm256_permute4x64_epi64(_mm256_castps_si256(_mm256_shuffle_ps(_mm256_castpd_ps(v0), _mm256_castpd_ps(v1), 0xdd)), 0xd8);
        }
        // the table row of each element of the polynomial and exp streams (as in ei4_eval; the
        // rows of the log stream's elements are not used): q = biased exponent · 4 + two mantissa
        // bits of |x|, clamped to the last piece (|x| >= 1024, ±inf, NaN: their value is replaced),
        // the positive side for a clear sign bit (NaN: either row, its value is replaced too)
        __m256i q = _mm256_min_epi32(_mm256_srli_epi32(_mm256_and_si256(hi, _mm256_set1_epi32(0x7fffffff)), 18),
                                     _mm256_set1_epi32(EI_QHI));
        __m256i idx = _mm256_add_epi32(_mm256_sub_epi32(q, _mm256_set1_epi32(EI_QLO - 1)),
                                       _mm256_andnot_si256(_mm256_srai_epi32(hi, 31), _mm256_set1_epi32(EI_NSIDE)));
        __m256i off = _mm256_mullo_epi32(idx, _mm256_set1_epi32(rstride));
        int m[EI2_NS] = {ml & live, ~(ml | me) & live, me & live};
        __m256i iv = _mm256_add_epi32(_mm256_set1_epi32(i), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        for (int s = 0; s < EI2_NS; s++) {
            __m256i perm = _mm256_load_si256((const __m256i *)ei2_pack[m[s]]);
            _mm256_storeu_si256((__m256i *)(is[s] + cnt[s]), _mm256_permutevar8x32_epi32(iv, perm));
            if (s != EI2_LOG) _mm256_storeu_si256((__m256i *)(os[s] + cnt[s]), _mm256_permutevar8x32_epi32(off, perm));
            cnt[s] += __builtin_popcount((unsigned)m[s]);
        }
    }
    // pad each stream to a whole step with its last element (evaluated again, the same bits stored
    // again; x is not written before the streams are done unless the results go to the buffer)
    for (int s = 0; s < EI2_NS; s++)
        if (cnt[s] > 0)
            for (int k = 0; k < EI2_W; k++) {
                is[s][cnt[s] + k] = is[s][cnt[s] - 1];
                os[s][cnt[s] + k] = os[s][cnt[s] - 1];
            }
    ei2_stream(x, single, is[EI2_LOG], os[EI2_LOG], cnt[EI2_LOG], out, EI2_LOG, rows, ncoef, split0);
    ei2_stream(x, single, is[EI2_POLY], os[EI2_POLY], cnt[EI2_POLY], out, EI2_POLY, rows, ncoef, split0);
    ei2_stream(x, single, is[EI2_EXP], os[EI2_EXP], cnt[EI2_EXP], out, EI2_EXP, rows, ncoef, split0);
    if (direct) return;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d r = _mm256_load_pd(out + i);
        if (single) _mm_storeu_ps((float *)y + i, _mm256_cvtpd_ps(r));
        else _mm256_storeu_pd((double *)y + i, r);
    }
    for (; i < n; i++) {
        if (single) ((float *)y)[i] = (float)out[i];
        else ((double *)y)[i] = out[i];
    }
}

/// Arrays shorter than this take the branch-free form (wt_expi_array_avx2bf): a block sort costs
/// more than it saves on a few vectors.
#define EI2_MIN_SORT 16

static WT_TARGET_AVX2 void wt_expi_array_avx2bf(const double *x, double *y, ptrdiff_t n);
static WT_TARGET_AVX2 void wt_expif_array_avx2bf(const float *x, float *y, ptrdiff_t n);

static WT_TARGET_AVX2 void wt_expi_array_avx2(const double *x, double *y, ptrdiff_t n) {
    if (n < EI2_MIN_SORT) {
        wt_expi_array_avx2bf(x, y, n);
        return;
    }
    // results stored straight into y unless it overlaps x (in place)
    const uintptr_t xa = (uintptr_t)x, ya = (uintptr_t)y, bytes = (uintptr_t)n * sizeof(double);
    const int direct = ya + bytes <= xa || xa + bytes <= ya;
    for (ptrdiff_t i = 0; i < n; i += EI2_BLOCK) {
        int m = n - i < EI2_BLOCK ? (int)(n - i) : EI2_BLOCK;
        if (direct) ei2_block(x + i, y + i, m, 0, 1, &ei2_rows_d[0][0], EI2_STRIDE_D, EI_NCOEF_D, 1);
        else ei2_block(x + i, y + i, m, 0, 0, &ei2_rows_d[0][0], EI2_STRIDE_D, EI_NCOEF_D, 1);
    }
}

static WT_TARGET_AVX2 void wt_expif_array_avx2(const float *x, float *y, ptrdiff_t n) {
    if (n < EI2_MIN_SORT) {
        wt_expif_array_avx2bf(x, y, n);
        return;
    }
    for (ptrdiff_t i = 0; i < n; i += EI2_BLOCK) {
        int m = n - i < EI2_BLOCK ? (int)(n - i) : EI2_BLOCK;
        ei2_block(x + i, y + i, m, 1, 0, &ei2_rows_f[0][0], EI2_STRIDE_F, EI_NCOEF_F, 0);
    }
}
#pragma clang diagnostic pop
#pragma STDC FP_CONTRACT DEFAULT
#endif

#if WT_X86
// ---------------------------------------------------------------- AVX-512: lanes sorted by form
//
// The branch-free vector form above (ei4_eval: the AVX2 tier's form until session 16, now its
// form for short arrays) evaluates, for every lane, the gathered polynomial, a log and an exp,
// then selects. On x = −1/α nearly every vector mixes the log, polynomial and exp forms,
// so most of that work is thrown away, and the row gather (4 row loads + a transpose per 4 lanes)
// is most of the rest. With AVX-512 the lanes can be sorted instead: each block of EI_BLOCK
// elements is split into dense streams, one per form and sign (seven; four when no element is
// > 0), by lane permutes with the placement of vcompresspd; each stream is evaluated with only its
// own form, its coefficients taken from a column of the table by an in-register permute
// (vpermt2pd over a window of 16 or 32 pieces), and the inverse permutes (vexpandpd's placement)
// put the results back in place. Every element goes through the same operations in the same
// order as in ei4_eval (same table, same Horner order, same log/exp/scale), so the result is
// bit-identical to the AVX2 tier's; it does not depend on which other elements share a block, so
// neither on the thread split.

#pragma STDC FP_CONTRACT OFF  // every operation as written, like the AVX2 tier's (expi_vec.h)
#define EI_BLOCK 1024
#define EI_NT_BYTES (4 << 20)  // outputs this large are written with streaming stores (ei512_streaming)
#define EI_U 1  // vectors per step of a stream (2 and 4, interleaving the Horner chains, measured no faster)
/// The streams: the log piece (row 0); the negative polynomial pieces (x in (−4, −0.25], one
/// 16-piece window); the positive polynomial pieces (x in [0.125, 4), the zero's piece included, a
/// 32-piece window); the exp pieces (|x| >= 4, and |x| >= 1024 and NaN, which clamp to the last
/// piece) of each sign, split at |x| = 64 into two 16-piece windows.
enum { EI_LOG, EI_NP, EI_PP, EI_NE1, EI_NE2, EI_PE1, EI_PE2, EI_NSTREAM };
enum { EI_FORM_LOG, EI_FORM_POLY, EI_FORM_EXP };
#define EI_Q4 ((1023 + 2) * 4)   // q of 4.0: the exp forms start here
#define EI_Q64 ((1023 + 6) * 4)  // q of 64.0: where EI_NE2 and EI_PE2 start
#define EI_NCOL_PAD 112          // pieces per column (105, padded)
/// Per stream: its form, sign (1: x > 0), first piece, and whether its window spans 32 pieces.
static const struct { int form, positive, base, wide; } ei_streams[EI_NSTREAM] = {
    [EI_LOG] = {EI_FORM_LOG, 0, 0, 0},
    [EI_NP] = {EI_FORM_POLY, 0, 1 + ((1023 - 2) * 4 - EI_QLO), 0},
    [EI_PP] = {EI_FORM_POLY, 1, 1 + EI_NSIDE, 1},
    [EI_NE1] = {EI_FORM_EXP, 0, 1 + (EI_Q4 - EI_QLO), 0},
    [EI_NE2] = {EI_FORM_EXP, 0, 1 + (EI_Q64 - EI_QLO), 0},
    [EI_PE1] = {EI_FORM_EXP, 1, 1 + EI_NSIDE + (EI_Q4 - EI_QLO), 0},
    [EI_PE2] = {EI_FORM_EXP, 1, 1 + EI_NSIDE + (EI_Q64 - EI_QLO), 0},
};
_Static_assert(EI_Q4 - ((1023 - 2) * 4) == 16 && EI_Q64 - EI_Q4 == 16 && EI_QHI + 1 - EI_Q64 == 16,
               "the narrow streams fill one 16-piece window each");
_Static_assert(EI_Q4 - EI_QLO <= 32, "the positive polynomial pieces fit a 32-piece window");
_Static_assert(1 + EI_NSIDE + 32 <= EI_NCOL_PAD && 1 + EI_NSIDE + (EI_Q64 - EI_QLO) + 16 <= EI_NCOL_PAD,
               "every window stays inside a column");

/// The tables by column: ei_cols_d[j][i] = ei_table_d[i][j] (filled once at load time).
static double ei_cols_d[sizeof ei_table_d[0] / sizeof(double)][EI_NCOL_PAD];
static double ei_cols_f[sizeof ei_table_f[0] / sizeof(double)][EI_NCOL_PAD];
/// Lane permutations by mask, the 8 lane indices of each as the 8 bytes of one word (filled once
/// at load time): ei_pack[m] moves the lanes set in m, in order, to the front (the placement of
/// vcompresspd), ei_unpack[m] moves the front lanes back to the lanes set in m (that of
/// vexpandpd), ei_unpack_hi[m] is ei_unpack[m] + 8 in those lanes (the second source of a
/// two-source permute). A permute with such an index is one shuffle uop; vcompresspd and
/// vexpandpd are two each, on the same port as the coefficient permutes (5 % of the whole kernel
/// on −1/α). As bytes the three tables take 6 KiB; as 64-byte index vectors they took 48 KiB,
/// the whole L1 data cache, and ran 2–4 % slower on −1/α float64.
static unsigned long long ei_pack[256], ei_unpack[256], ei_unpack_hi[256];
/// The index vector of a byte-packed permutation: the word broadcast (a load), lane j shifted
/// right by 8 j (the permutes read only the low 3 or 4 bits of each lane).
#define EI_INDEX(word) \
    _mm512_srlv_epi64(_mm512_set1_epi64((long long)(word)), _mm512_set_epi64(56, 48, 40, 32, 24, 16, 8, 0))
__attribute__((constructor)) static void ei_fill_columns(void) {
    for (int m = 0; m < 256; m++) {
        unsigned long long pack = 0, unpack = 0, unpack_hi = 0;
        for (int j = 0, k = 0; j < 8; j++)
            if (m >> j & 1) {
                pack |= (unsigned long long)j << (8 * k);
                unpack |= (unsigned long long)k << (8 * j);
                unpack_hi |= (unsigned long long)(k + 8) << (8 * j);
                k++;
            }
        ei_pack[m] = pack;
        ei_unpack[m] = unpack;
        ei_unpack_hi[m] = unpack_hi;
    }
    for (int i = 0; i < EI_NENTRY; i++) {
        for (int j = 0; j < EI_STRIDE_D; j++) ei_cols_d[j][i] = ei_table_d[i][j];
        for (int j = 0; j < EI_STRIDE_F; j++) ei_cols_f[j][i] = ei_table_f[i][j];
    }
}

#define EI512 static inline __attribute__((always_inline)) WT_TARGET_AVX512

/// q = biased exponent · 4 + two mantissa bits of |x| (as in ei4_eval, without its clamp to the
/// table: the lanes outside it, |x| >= 1024 and NaN, get their value from a blend at the end, and
/// x < −750 is raised to −750 before q is taken).
EI512 __m512i ei512_q(__m512d x) { return _mm512_srli_epi64(_mm512_castpd_si512(_mm512_abs_pd(x)), 50); }

/// vm8_expm1_reduced_inrange with k returned as a double (the same operations): e^x = 2^kd (1 + q),
/// so that the scaling by 2^kd is one vscalefpd.
EI512 vm8_d ei512_expm1_kd(vm8_d x, vm8_d *kd) {
    *kd = __builtin_elementwise_roundeven(x * vm8_c(VM_LOG2E));
    vm8_d r = vm8_fma(-*kd, vm8_c(VM_LN2HI), x);
    r = vm8_fma(-*kd, vm8_c(VM_LN2LO), r);
    return vm8_fma(r * r, vm8_horner(vm_exp_c, 11, r), r);
}

/// v · 2^kd with one rounding, like vm8_scale(v, k) (whose first multiply is exact): vscalefpd.
EI512 vm8_d ei512_scale(vm8_d v, vm8_d kd) { return (vm8_d)_mm512_scalef_pd((__m512d)v, (__m512d)kd); }

/// ln|x| for the lanes of the log stream (x in (−0.25, 0.125), not NaN): vm8_log_pos(|x|), its
/// subnormal pre-scaling taken only when a lane needs it (|x| < 2^−1022, ±0 included, −inf at 0),
/// k converted with vcvtqq2pd (exact, as the shift trick of vm8_log_pos).
EI512 vm8_d ei512_log_abs(vm8_d x) {
    vm8_d ax = vm8_abs(x);
    vm8_i ix = vm8_bits(ax);
    __mmask8 tiny = _mm512_cmp_epi64_mask((__m512i)ix, _mm512_set1_epi64(0x0010000000000000LL), _MM_CMPINT_LT);
    if (__builtin_expect(tiny != 0, 0)) {
        vm8_d l = vm8_log_pos(ax);
        __mmask8 zero = _mm512_cmp_pd_mask((__m512d)x, _mm512_setzero_pd(), _CMP_EQ_OQ);
        return (vm8_d)_mm512_mask_blend_pd(zero, (__m512d)l, _mm512_set1_pd(-INFINITY));
    }
    ix = ix + vm8_ci((long long)(0x3ff0000000000000ULL - VM_SQRTH_BITS));
    vm8_i k = (vm8_i)((unsigned long long __attribute__((vector_size(64))))ix >> 52) + vm8_ci(-1023);
    vm8_d kd = (vm8_d)_mm512_cvtepi64_pd((__m512i)k);
    vm8_i mb = (ix & vm8_ci(0x000fffffffffffffLL)) + vm8_ci((long long)VM_SQRTH_BITS);
    vm8_d f = vm8_from_bits(mb) - vm8_c(1.0);
    vm8_d s = f / (vm8_c(2.0) + f);
    vm8_d z = s * s;
    vm8_d hfsq = vm8_c(0.5) * (f * f);
    vm8_d r = z * vm8_horner(vm_log_c, 8, z);
    vm8_d inner = vm8_fma(s, hfsq + r, kd * vm8_c(VM_LN2LO));
    return vm8_fma(kd, vm8_c(VM_LN2HI), f - (hfsq - inner));
}

/// Column j of the table at the lanes' pieces: one permute over a 16-piece window, or two and a
/// blend over a 32-piece one (`hi` = lanes in the upper 16).
EI512 __m512d ei512_fetch(const double *col, __m512i local, __mmask8 hi, int wide) {
    __m512d lo = _mm512_permutex2var_pd(_mm512_loadu_pd(col), local, _mm512_loadu_pd(col + 8));
    if (!wide) return lo;
    __m512d up = _mm512_permutex2var_pd(_mm512_loadu_pd(col + 16), local, _mm512_loadu_pd(col + 24));
    return _mm512_mask_blend_pd(hi, lo, up);
}

/// Ei of the n elements of one stream, in place (the vector tail past n is computed on stale lanes
/// and not used). Same operations as ei4_eval restricted to the stream's form.
EI512 void ei512_stream(double *buf, int n, int stream, const double *cols, const int ncoef, const int split0) {
    // EI_U vectors at a time, each step of the Horner chains interleaved: one chain alone is
    // latency-bound (15 dependent FMAs).
    enum { U = EI_U };
    const int form = ei_streams[stream].form, positive = ei_streams[stream].positive;
    const int base = ei_streams[stream].base, wide = ei_streams[stream].wide;
    const double *c = cols + base;
    const __m512i shift = _mm512_set1_epi64(EI_QLO - 1 + base - positive * EI_NSIDE);
    const int ftz = (_mm_getcsr() & 0x8000) != 0;  // flush-to-zero on (wt_set_flush_denormals)
    for (int i = 0; i < n; i += U * 8) {
        vm8_d x[U], x_in[U], t[U], p[U];
        __m512i local[U];
        __mmask8 hi[U];
        for (int u = 0; u < U; u++) {
            x[u] = x_in[u] = (vm8_d)_mm512_loadu_pd(buf + i + 8 * u);
            // Below −750 Ei rounds to −0, as it does at −750: x is raised to −750 (also −inf, and
            // −1024 or less, which would leave the table; NaN too, restored at the end), and the
            // subnormal step below gives −0 without an assist.
            if (stream == EI_NE2) x[u] = (vm8_d)_mm512_max_pd((__m512d)x[u], _mm512_set1_pd(-750.0));
            local[u] = form == EI_FORM_LOG ? _mm512_setzero_si512() : _mm512_sub_epi64(ei512_q((__m512d)x[u]), shift);
            hi[u] = _mm512_test_epi64_mask(local[u], _mm512_set1_epi64(16));
        }
// column J at the lanes of vector u: a constant for the log piece, else a permute of the window
#define EI_COL(J, u) (form == EI_FORM_LOG ? vm8_c(cols[(J) * EI_NCOL_PAD]) \
                                       : (vm8_d)ei512_fetch(c + (J) * EI_NCOL_PAD, local[u], hi[u], wide))
        // The centre of x's piece is x with its mantissa bits below the top two replaced by
        // 1/8 (c = ±2^e (1 + j/4 + 1/8), column 0 of the table; one vpternlogq instead of a
        // permute); the log piece's centre is +0, and x − (+0) = x.
        for (int u = 0; u < U; u++)
            t[u] = form == EI_FORM_LOG ? x[u]
                                       : x[u] - vm8_from_bits((vm8_bits(x[u]) & vm8_ci((long long)0xfffc000000000000ULL)) |
                                                              vm8_ci(1LL << 49));
        if (split0) {
            for (int u = 0; u < U; u++) p[u] = EI_COL(ncoef + 1, u);
            for (int j = ncoef; j >= 3; j--)
                for (int u = 0; u < U; u++) p[u] = vm8_fma(p[u], t[u], EI_COL(j, u));
            for (int u = 0; u < U; u++) p[u] = EI_COL(1, u) + vm8_fma(p[u], t[u], EI_COL(2, u));
        } else {
            for (int u = 0; u < U; u++) p[u] = EI_COL(ncoef, u);
            for (int j = ncoef - 1; j >= 1; j--)
                for (int u = 0; u < U; u++) p[u] = vm8_fma(p[u], t[u], EI_COL(j, u));
        }
#undef EI_COL
        for (int u = 0; u < U; u++) {
            vm8_d y;
            if (form == EI_FORM_LOG) {
                // log: ln|x| + P, −inf at 0
                y = ei512_log_abs(x[u]) + p[u];
            } else if (form == EI_FORM_POLY && !positive) {
                y = p[u];
            } else if (form == EI_FORM_POLY) {
                // root: (x − x0) P on [0.25, 0.5)
                __mmask8 rootm = _mm512_cmp_pd_mask((__m512d)x[u], _mm512_set1_pd(0.25), _CMP_GE_OQ) &
                                 _mm512_cmp_pd_mask((__m512d)x[u], _mm512_set1_pd(0.5), _CMP_LT_OQ);
                vm8_d d = (x[u] - vm8_c(ei_x0_hi)) - vm8_c(ei_x0_lo);
                y = (vm8_d)_mm512_mask_blend_pd(rootm, (__m512d)p[u], (__m512d)(p[u] * d));
            } else {
                // exp: e^x P, applied as e^r P 2^k; |x| >= 1024 and NaN as in ei4_eval
                vm8_d kd;
                // (|x| <= 1024 here but in the lanes replaced below, so ei4_eval's clamp of x to
                // ±1400 is the identity and skipped)
                vm8_d em1 = ei512_expm1_kd(x[u], &kd);
                vm8_d v = vm8_fma(em1, p[u], p[u]);
                if (stream == EI_NE2 && !ftz) {
                    // −750 <= x < −708: Ei is subnormal or rounds to −0, and the scaling would
                    // take a microcode assist (~150 cycles, vscalefpd as well as a multiply; in
                    // most vectors of this stream on −1/α). The same value without it: v·2^k
                    // rounded to the subnormal grid is N·2^−1074 with N = v·2^(k+1074) rounded
                    // to an integer (nearest-even, as the scaling rounds), and a subnormal's
                    // bits are N (N = 2^52 gives the least normal, also right). Those lanes then
                    // scale by 2^0.
                    __mmask8 low = _mm512_cmp_pd_mask((__m512d)kd, _mm512_set1_pd(-1000.0), _CMP_LT_OQ);
                    __m512d ks = _mm512_maskz_add_pd(low, (__m512d)kd, _mm512_set1_pd(1074.0));
                    __m512d s = _mm512_abs_pd((__m512d)ei512_scale(v, (vm8_d)ks));
                    __mmask8 sub = _mm512_mask_cmp_pd_mask(low, s, _mm512_set1_pd(0x1p52), _CMP_LE_OQ);
                    __m512i bits = _mm512_or_si512(_mm512_cvtpd_epi64(s),
                                                   _mm512_and_si512((__m512i)v, _mm512_set1_epi64((long long)0x8000000000000000ULL)));
                    y = ei512_scale(v, (vm8_d)_mm512_maskz_mov_pd(_knot_mask8(sub), (__m512d)kd));
                    y = (vm8_d)_mm512_mask_blend_pd(sub, (__m512d)y, _mm512_castsi512_pd(bits));
                } else if (stream == EI_NE2) {
                    // flush-to-zero on: the two multiplies, as the other tiers round and flush
                    y = vm8_scale(v, vm8_to_int(kd));
                } else {
                    y = ei512_scale(v, kd);
                }
                if (stream == EI_PE2) {  // x >= 1024 and +inf
                    __mmask8 big = _mm512_cmp_pd_mask((__m512d)x[u], _mm512_set1_pd(1024.0), _CMP_GE_OQ);
                    y = (vm8_d)_mm512_mask_blend_pd(big, (__m512d)y, _mm512_set1_pd(INFINITY));
                }
                if (stream == EI_NE2) {  // NaN, which is never > 0 and clamps high (rare: a branch)
                    __mmask8 nan = _mm512_cmp_pd_mask((__m512d)x_in[u], (__m512d)x_in[u], _CMP_UNORD_Q);
                    if (__builtin_expect(nan != 0, 0))
                        y = (vm8_d)_mm512_mask_blend_pd(nan, (__m512d)y, (__m512d)(x_in[u] + x_in[u]));
                }
            }
            _mm512_storeu_pd(buf + i + 8 * u, (__m512d)y);
        }
    }
}

/// The `live` lanes of the 8 elements at x + i as doubles (`single`: x holds floats).
EI512 __m512d ei512_load(const void *x, int i, __mmask8 live, const int single) {
    return single ? _mm512_cvtps_pd(_mm256_maskz_loadu_ps(live, (const float *)x + i))
                  : _mm512_maskz_loadu_pd(live, (const double *)x + i);
}

/// The sort's stream buffers and lane masks for the half blocks of negative float64 elements
/// (ei512_neg_half_fixed): one set in static storage, used by one float64 array call at a time
/// (the others, e.g. the second thread of a split call, use their own stack frame, as every other
/// sort does). With the buffers only on the stack, the time per element depended on where the
/// stack landed in the address space, which changes from process to process: 2^20 float64 −1/α
/// elements took 2.57–2.89 ms (5 of 12 processes ≥ 2.70 ms), but 2.59–2.66 ms in every process
/// with address-space randomisation off (`setarch -R`); input and output at fixed addresses did
/// not remove the slow processes, static buffers did: 2.54–2.60 ms in 12 of 12 (Kernels-Special.md,
/// session 9). Static storage is addressed like the stack frame (a constant offset), which a
/// buffer pointer passed down is not (2–4 % slower on U(−50, 50)), hence a second copy of the
/// half-block sort with `fixed` a constant. The other sorts keep the stack: with static buffers
/// U(−50, 50) and float32 measured 1–2 % slower and showed no such spread.
enum { EI_NS = 7 };
static double ei512_fixed_buf[EI_NS][EI_BLOCK + 8 * EI_U] __attribute__((aligned(4096)));
static __mmask8 ei512_fixed_masks[EI_NS][EI_BLOCK / 8] __attribute__((aligned(64)));
static _Atomic int ei512_fixed_taken;

/// 1 when this call now owns the fixed buffers, 0 when another call holds them.
static int ei512_claim_fixed(void) {
    return !atomic_load_explicit(&ei512_fixed_taken, memory_order_relaxed) &&
           !atomic_exchange_explicit(&ei512_fixed_taken, 1, memory_order_acquire);
}

static void ei512_release_fixed(int fixed) {
    if (fixed) atomic_store_explicit(&ei512_fixed_taken, 0, memory_order_release);
}

/// Ei of n <= EI_BLOCK elements from x to y (may alias; doubles, or floats when `single`): each lane compressed into the buffer of
/// its stream, the streams evaluated, the results expanded back into place. `negative_only`: every
/// element of the block has its sign bit set (the −1/α case): four streams instead of seven.
/// `nt`: full vectors of the output are written with streaming stores (see ei512_streaming).
EI512 void ei512_sorted(const void *x, void *y, int n, const int single, const double *cols, const int ncoef,
                        const int split0, const int negative_only, int nt, const int fixed) {
    enum { NS = EI_NS };
    const int ns = negative_only ? 4 : 7;
    double stack_buf[NS][EI_BLOCK + 8 * EI_U];
    __mmask8 stack_masks[NS][EI_BLOCK / 8];
    double (*buf)[EI_BLOCK + 8 * EI_U] = fixed ? ei512_fixed_buf : stack_buf;
    __mmask8 (*masks)[EI_BLOCK / 8] = fixed ? ei512_fixed_masks : stack_masks;
    int count[NS];
    double *end[NS];  // where the next lanes of each stream go (a pointer: fewer instructions than an index)
    for (int s = 0; s < NS; s++) end[s] = buf[s];
    const __m512i q4 = _mm512_set1_epi64(EI_Q4), q64 = _mm512_set1_epi64(EI_Q64);
    for (int i = 0, v = 0; i < n; i += 8, v++) {
        __mmask8 live = n - i >= 8 ? 0xff : (__mmask8)((1u << (n - i)) - 1);
        __m512d xv = ei512_load(x, i, live, single);
        __m512i q = ei512_q(xv);
        // the log piece, −0.25 < x < 0.125; without positive elements that is |x| < 0.25, one
        // integer comparison of q (±0 included, NaN not)
        __mmask8 logm = negative_only ? _mm512_mask_cmp_epi64_mask(live, q, _mm512_set1_epi64((1023 - 2) * 4), _MM_CMPINT_LT)
                                      : _mm512_mask_cmp_pd_mask(_mm512_mask_cmp_pd_mask(live, xv, _mm512_set1_pd(-0.25), _CMP_GT_OQ),
                                                                xv, _mm512_set1_pd(0.125), _CMP_LT_OQ);
        __mmask8 rest = _kandn_mask8(logm, live);
        __mmask8 expm = _mm512_mask_cmp_epi64_mask(rest, q, q4, _MM_CMPINT_NLT);
        __mmask8 polym = _kandn_mask8(expm, rest);
        __mmask8 m[NS];
        m[0] = logm;
        if (negative_only) {
            __mmask8 far = _mm512_mask_cmp_epi64_mask(expm, q, q64, _MM_CMPINT_NLT);
            m[1] = polym;
            m[2] = _kandn_mask8(far, expm);
            m[3] = far;
        } else {
            __mmask8 pos = _mm512_mask_cmp_pd_mask(rest, xv, _mm512_setzero_pd(), _CMP_GT_OQ);
            m[1] = _kandn_mask8(pos, polym);
            m[2] = _kand_mask8(pos, polym);
            __mmask8 far = _mm512_mask_cmp_epi64_mask(expm, q, q64, _MM_CMPINT_NLT);
            __mmask8 near = _kandn_mask8(far, expm);
            m[3] = _kandn_mask8(pos, near);
            m[4] = _kandn_mask8(pos, far);
            m[5] = _kand_mask8(pos, near);
            m[6] = _kand_mask8(pos, far);
        }
        for (int s = 0; s < ns; s++) {
            masks[s][v] = m[s];
            // the lanes of stream s to the front (lanes past them: other lanes of xv, overwritten
            // by the next store or by the padding after the loop)
            _mm512_storeu_pd(end[s], _mm512_permutexvar_pd(EI_INDEX(ei_pack[m[s]]), xv));
            end[s] += __builtin_popcount(m[s]);
        }
    }
    for (int s = 0; s < ns; s++) count[s] = (int)(end[s] - buf[s]);
    // A stream's last step reads up to EI_U vectors past its end: a value inside the stream's
    // range there, not stale bits (nor 0, which would take the log stream's subnormal branch and
    // make the centre of the other streams subnormal: microcode assists in every FMA).
    static const double pad_neg[4] = {-0.1, -1.0, -8.0, -100.0};
    static const double pad_all[7] = {-0.1, -1.0, 1.0, -8.0, -100.0, 8.0, 100.0};
    for (int s = 0; s < ns; s++)
        for (int u = 0; u < EI_U; u++)
            _mm512_storeu_pd(buf[s] + count[s] + 8 * u, _mm512_set1_pd(negative_only ? pad_neg[s] : pad_all[s]));
    // one call per stream, so that each is compiled for its constant form
    ei512_stream(buf[0], count[0], EI_LOG, cols, ncoef, split0);
    ei512_stream(buf[1], count[1], EI_NP, cols, ncoef, split0);
    if (negative_only) {
        ei512_stream(buf[2], count[2], EI_NE1, cols, ncoef, split0);
        ei512_stream(buf[3], count[3], EI_NE2, cols, ncoef, split0);
    } else {
        ei512_stream(buf[2], count[2], EI_PP, cols, ncoef, split0);
        ei512_stream(buf[3], count[3], EI_NE1, cols, ncoef, split0);
        ei512_stream(buf[4], count[4], EI_NE2, cols, ncoef, split0);
        ei512_stream(buf[5], count[5], EI_PE1, cols, ncoef, split0);
        ei512_stream(buf[6], count[6], EI_PE2, cols, ncoef, split0);
    }
    // The put-back takes the streams two at a time: one two-source permute with the index
    // ei_unpack[ma] | ei_unpack_hi[mb] puts back the lanes of both (a stream left alone takes a
    // one-source one), and a blend by ma | mb joins each pair's lanes to the ones before.
    const double *at[NS];
    for (int s = 0; s < NS; s++) at[s] = buf[s];
    for (int i = 0, v = 0; i < n; i += 8, v++) {
        // the input of the next n elements into L1, 8 elements per step (a prefetch past the end
        // of the array is harmless)
        _mm_prefetch((const char *)x + (ptrdiff_t)(n + i) * (single ? 4 : 8), _MM_HINT_T0);
        __m512d yv = _mm512_setzero_pd();
        for (int s = 0; s < ns; s += 2) {
            unsigned ma = masks[s][v];
            __m512d r;
            __mmask8 mab;
            if (s + 1 < ns) {
                unsigned mb = masks[s + 1][v];
                __m512i idx = EI_INDEX(ei_unpack[ma] | ei_unpack_hi[mb]);
                r = _mm512_permutex2var_pd(_mm512_loadu_pd(at[s]), idx, _mm512_loadu_pd(at[s + 1]));
                at[s + 1] += __builtin_popcount(mb);
                mab = (__mmask8)(ma | mb);
            } else {
                r = _mm512_permutexvar_pd(EI_INDEX(ei_unpack[ma]), _mm512_loadu_pd(at[s]));
                mab = (__mmask8)ma;
            }
            at[s] += __builtin_popcount(ma);
            yv = s == 0 ? r : _mm512_mask_blend_pd(mab, yv, r);
        }
        __mmask8 live = n - i >= 8 ? 0xff : (__mmask8)((1u << (n - i)) - 1);
        if (nt && live == 0xff) {
            if (single) _mm256_stream_ps((float *)y + i, _mm512_cvtpd_ps(yv));
            else _mm512_stream_pd((double *)y + i, yv);
        } else if (single) _mm256_mask_storeu_ps((float *)y + i, live, _mm512_cvtpd_ps(yv));
        else _mm512_mask_storeu_pd((double *)y + i, live, yv);
    }
}

/// Half a block of negative float64 elements (four streams): the streams' buffers, the input and
/// the output then stay in the L1 cache with the table's columns (6 % less time per element on
/// −1/α in the C loop). Seven streams keep whole blocks (their part-filled last vectors cost more
/// per half block), and so does float32 (no gain measured). One out-of-line copy, compiled with
/// the half's length a constant (so that its lane masks fold away).
static __attribute__((noinline)) WT_TARGET_AVX512 void ei512_neg_half(const void *x, void *y, int nt) {
    ei512_sorted(x, y, EI_BLOCK / 2, 0, &ei_cols_d[0][0], EI_NCOEF_D, 1, 1, nt, 0);
}

/// ei512_neg_half with the fixed buffers (ei512_claim_fixed).
static __attribute__((noinline)) WT_TARGET_AVX512 void ei512_neg_half_fixed(const void *x, void *y, int nt) {
    ei512_sorted(x, y, EI_BLOCK / 2, 0, &ei_cols_d[0][0], EI_NCOEF_D, 1, 1, nt, 1);
}

EI512 void ei512_block_n(const void *x, void *y, int n, const int single, const double *cols, const int ncoef,
                         const int split0, int nt, int fixed) {
    // Four streams when no element is > 0: tested as "every sign bit set" (an AND of the block's
    // bits, one vpternlogq per two vectors of 8 or 16 elements) — +0 and NaNs with a
    // clear sign then take the seven streams, which give them the same bits.
    const int per = single ? 16 : 8, bytes = single ? 4 : 8;
    __m512i all = _mm512_set1_epi64(-1);
    int i = 0;
    for (; i + 2 * per <= n; i += 2 * per)
        all = _mm512_ternarylogic_epi64(all, _mm512_loadu_si512((const char *)x + (ptrdiff_t)i * bytes),
                                        _mm512_loadu_si512((const char *)x + (ptrdiff_t)(i + per) * bytes), 0x80);
    for (; i < n; i += per) {
        int left = n - i < per ? n - i : per;
        __m512i v = single ? _mm512_mask_loadu_epi32(_mm512_set1_epi64(-1), (__mmask16)((1u << left) - 1),
                                                     (const char *)x + (ptrdiff_t)i * bytes)
                           : _mm512_mask_loadu_epi64(_mm512_set1_epi64(-1), (__mmask8)((1u << left) - 1),
                                                     (const char *)x + (ptrdiff_t)i * bytes);
        all = _mm512_and_si512(all, v);
    }
    int negative_only = single ? _mm512_movepi32_mask(all) == 0xffff : _mm512_movepi64_mask(all) == 0xff;
    if (negative_only && n == EI_BLOCK && !single) {
        // a whole negative float64 block is sorted as two halves (see ei512_neg_half)
        if (fixed) {
            ei512_neg_half_fixed(x, y, nt);
            ei512_neg_half_fixed((const double *)x + EI_BLOCK / 2, (double *)y + EI_BLOCK / 2, nt);
        } else {
            ei512_neg_half(x, y, nt);
            ei512_neg_half((const double *)x + EI_BLOCK / 2, (double *)y + EI_BLOCK / 2, nt);
        }
    } else if (negative_only) {
        ei512_sorted(x, y, n, single, cols, ncoef, split0, 1, nt, 0);
    } else {
        ei512_sorted(x, y, n, single, cols, ncoef, split0, 0, nt, 0);
    }
}

/// A whole block is compiled with n a constant, so that the lane masks of its vectors fold away
/// (plain loads and stores, no mask arithmetic per vector: 4 % of the time per element in float64,
/// 10 % in float32, where the masked load also converts); a short last block keeps them.
EI512 void ei512_block(const void *x, void *y, int n, const int single, const double *cols, const int ncoef,
                       const int split0, int nt, int fixed) {
    if (n == EI_BLOCK) ei512_block_n(x, y, EI_BLOCK, single, cols, ncoef, split0, nt, fixed);
    else ei512_block_n(x, y, n, single, cols, ncoef, split0, nt, fixed);
}

/// Streaming (non-temporal) stores for outputs of EI_NT_BYTES or more (twice the L2 cache of a
/// core here), not in place and 64-byte aligned: a regular store to a line not in the cache first
/// reads it, and on 2^20 float64 elements with the input and the output at the same offset in
/// their pages (as two 64-byte aligned allocations of that size are), regular stores took 3.35 ns
/// per element and streaming ones 2.83. Smaller outputs, which the caller reads next, stay in the
/// cache. Same bits either way.
static int ei512_streaming(const void *x, void *y, ptrdiff_t bytes) {
    return bytes >= EI_NT_BYTES && x != (const void *)y && ((uintptr_t)y & 63) == 0;
}

static WT_TARGET_AVX512 void wt_expi_array_avx512(const double *x, double *y, ptrdiff_t n) {
    int nt = ei512_streaming(x, y, n * 8), fixed = ei512_claim_fixed();
    for (ptrdiff_t i = 0; i < n; i += EI_BLOCK) {
        int m = n - i < EI_BLOCK ? (int)(n - i) : EI_BLOCK;
        ei512_block(x + i, y + i, m, 0, &ei_cols_d[0][0], EI_NCOEF_D, 1, nt, fixed);
    }
    if (nt) _mm_sfence();
    ei512_release_fixed(fixed);
}

/// Float: widened to double lane by lane as the block is sorted, rounded once as it is put back.
static WT_TARGET_AVX512 void wt_expif_array_avx512(const float *x, float *y, ptrdiff_t n) {
    int nt = ei512_streaming(x, y, n * 4);
    for (ptrdiff_t i = 0; i < n; i += EI_BLOCK) {
        int m = n - i < EI_BLOCK ? (int)(n - i) : EI_BLOCK;
        ei512_block(x + i, y + i, m, 1, &ei_cols_f[0][0], EI_NCOEF_F, 0, nt, 0);
    }
    if (nt) _mm_sfence();
}

#pragma STDC FP_CONTRACT DEFAULT

WT_PORTABLE_KERNELS(wt_expi_array, wt_expif_array, ei_scalar_d, ei_scalar_f)
WT_VEC_KERNELS(wt_expi_array, wt_expif_array, ei4_d, ei4_f, avx2bf, vm4, 4, WT_TARGET_AVX2)
WT_DISPATCH(wt_expi_array, double, wt_expi_array_avx2, wt_expi_array_avx512)
WT_DISPATCH(wt_expif_array, float, wt_expif_array_avx2, wt_expif_array_avx512)
#else
WT_ARRAY_KERNELS(wt_expi_array, wt_expif_array, ei_scalar_d, ei_scalar_f, ei4_d, ei4_f)
#endif

