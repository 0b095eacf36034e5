#ifndef WIRTINGER_KERNELS_CPLX_PASSES_H
#define WIRTINGER_KERNELS_CPLX_PASSES_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

// Elementwise passes of the complex training step (cplx_passes.c): the operand sums and the final
// combine of the three-product (Gauss) complex product (alone, or fused with the gradient sums it
// is added to), the add that accumulates a gradient (alone, or of a product), the squared modulus
// and its pullback, and the split of interleaved (re, im) pairs. Each is one element formula, rounded
// exactly as written (no contraction), so every tier and every thread count gives the same bits.
// Large arrays are split over the kernel threads.

/// out[i] = a[i] + s·b[i]. out may alias a or b.
void wt_cplx_signed_sum_f32(const float *a, const float *b, float s, float *out, ptrdiff_t n);
/// Double version of wt_cplx_signed_sum_f32.
void wt_cplx_signed_sum_f64(const double *a, const double *b, double s, double *out, ptrdiff_t n);

/// The last step of the three-product form, in place: with t = s·ii[i],
/// im[i] ← (im[i] − re[i]) − t and re[i] ← re[i] − t (re, im, ii distinct arrays).
void wt_cplx_gauss_combine_f32(float *re, float *im, const float *ii, float s, ptrdiff_t n);
/// Double version of wt_cplx_gauss_combine_f32.
void wt_cplx_gauss_combine_f64(double *re, double *im, const double *ii, double s, ptrdiff_t n);

/// The three-product combine fused with the addition of the sums it goes into: with
/// t = s·ii[i], rr[i] ← sum_re[i] + (rr[i] − t) and p[i] ← sum_im[i] + ((p[i] − rr[i]) − t) (the
/// old rr[i]); the same bits as wt_cplx_gauss_combine_* followed by wt_accumulate_*. All five
/// arrays distinct.
void wt_cplx_gauss_add_f32(const float *sum_re, const float *sum_im, float *rr, float *p, const float *ii, float s,
                           ptrdiff_t n);
/// Double version of wt_cplx_gauss_add_f32.
void wt_cplx_gauss_add_f64(const double *sum_re, const double *sum_im, double *rr, double *p, const double *ii,
                           double s, ptrdiff_t n);

/// wt_cplx_gauss_combine_f32 (sum_re NULL) or wt_cplx_gauss_add_f32 on each row of a rows × cols
/// tile: row r of rr and p at r·ldc, of ii at r·ldi, of sum_re and sum_im at r·lds; then, given
/// bias_re and bias_im (cols values, both or neither), wt_accumulate_f32 of them into each row of
/// rr and p. On the calling thread (the combine of one tile of wt_sgemm_gauss); the same bits as
/// those passes.
void wt_cplx_gauss_tile_f32(ptrdiff_t rows, ptrdiff_t cols, const float *sum_re, const float *sum_im, ptrdiff_t lds,
                            float *rr, float *p, ptrdiff_t ldc, const float *ii, ptrdiff_t ldi, float s,
                            const float *bias_re, const float *bias_im);
/// Double version of wt_cplx_gauss_tile_f32.
void wt_cplx_gauss_tile_f64(ptrdiff_t rows, ptrdiff_t cols, const double *sum_re, const double *sum_im, ptrdiff_t lds,
                            double *rr, double *p, ptrdiff_t ldc, const double *ii, ptrdiff_t ldi, double s,
                            const double *bias_re, const double *bias_im);

/// out[i] = sum[i] + a[i]·b[i] (the product rounded, then the sum; out distinct from the inputs).
void wt_add_product_f32(const float *sum, const float *a, const float *b, float *out, ptrdiff_t n);
/// Double version of wt_add_product_f32.
void wt_add_product_f64(const double *sum, const double *a, const double *b, double *out, ptrdiff_t n);

/// y[i] ← y[i] + x[i] (x and y distinct arrays).
void wt_accumulate_f32(float *y, const float *x, ptrdiff_t n);
/// Double version of wt_accumulate_f32.
void wt_accumulate_f64(double *y, const double *x, ptrdiff_t n);

/// Column sums of a row-major rows × cols matrix x: out[c] = x[0][c] + x[1][c] + … + x[rows−1][c],
/// added in row order (each sum rounded after every addition), i.e. the bits of copying row 0 and
/// then wt_accumulate_f32 of rows 1 ..< rows in turn, at any thread count (threads take disjoint
/// column ranges). rows ≥ 1; out (cols values) distinct from x.
void wt_column_sums_f32(const float *x, ptrdiff_t rows, ptrdiff_t cols, float *out);
/// Double version of wt_column_sums_f32.
void wt_column_sums_f64(const double *x, ptrdiff_t rows, ptrdiff_t cols, double *out);

/// out[i] = re[i]·re[i] + im[i]·im[i] (each product rounded, then the sum; out distinct from the inputs).
void wt_cplx_squared_modulus_f32(const float *re, const float *im, float *out, ptrdiff_t n);
/// Double version of wt_cplx_squared_modulus_f32.
void wt_cplx_squared_modulus_f64(const double *re, const double *im, double *out, ptrdiff_t n);

/// The pullback of wt_cplx_squared_modulus_*: gre[i] = g[i]·re[i] + g[i]·re[i], likewise gim with im
/// (the sum of the two products' cotangents, as the tape adds them for re·re + im·im); no aliasing.
void wt_cplx_squared_modulus_grad_f32(const float *re, const float *im, const float *g, float *gre, float *gim,
                                      ptrdiff_t n);
/// Double version of wt_cplx_squared_modulus_grad_f32.
void wt_cplx_squared_modulus_grad_f64(const double *re, const double *im, const double *g, double *gre, double *gim,
                                      ptrdiff_t n);

/// re[i] = src[2i], im[i] = src[2i + 1] for i < n (n pairs; no aliasing).
void wt_cplx_deinterleave_f32(const float *src, float *re, float *im, ptrdiff_t n);
/// Double version of wt_cplx_deinterleave_f32.
void wt_cplx_deinterleave_f64(const double *src, double *re, double *im, ptrdiff_t n);

#ifdef __cplusplus
}
#endif
#endif
