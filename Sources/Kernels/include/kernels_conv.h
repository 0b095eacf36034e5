#ifndef WIRTINGER_KERNELS_CONV_H
#define WIRTINGER_KERNELS_CONV_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/// The geometry of a convolution lifted to three spatial axes (a 2-d convolution has in[0] = out[0]
/// = k[0] = s[0] = d[0] = 1 and p[0] = 0): input size, output size, kernel size, stride, zero padding
/// and dilation per axis, and the input channels of one sample.
typedef struct {
    ptrdiff_t channels;
    ptrdiff_t in[3], out[3], k[3], s[3], p[3], d[3];
} wt_conv_shape;

/// im2col of `samples` samples side by side. Sample j is x + j·x_stride (channels × in[0]·in[1]·in[2],
/// row-major); with P = out[0]·out[1]·out[2], its columns are j·P ..< (j + 1)·P of the column matrix
/// `col` (channels·k[0]·k[1]·k[2] rows, `ld` ≥ samples·P elements apart):
///   col[(c·Πk + kk)·ld + j·P + o] = x_j[c, o·s − p + kk·d]   (0 where that falls in the padding).
/// Samples are split over the kernel threads (disjoint columns).
void wt_im2col_f32(const wt_conv_shape *shape, ptrdiff_t samples, const float *x, ptrdiff_t x_stride,
                   float *col, ptrdiff_t ld);
/// Double-precision version of wt_im2col_f32.
void wt_im2col_f64(const wt_conv_shape *shape, ptrdiff_t samples, const double *x, ptrdiff_t x_stride,
                   double *col, ptrdiff_t ld);
/// col2im, the adjoint of wt_im2col_f32: adds every column entry back into the input position it was
/// read from, x_j[c, o·s − p + kk·d] += col[(c·Πk + kk)·ld + j·P + o]. The adds into one input
/// element run in the order (c, kk, o), whatever the thread count; samples are split over the threads.
void wt_col2im_f32(const wt_conv_shape *shape, ptrdiff_t samples, const float *col, ptrdiff_t ld,
                   float *x, ptrdiff_t x_stride);
/// Double-precision version of wt_col2im_f32.
void wt_col2im_f64(const wt_conv_shape *shape, ptrdiff_t samples, const double *col, ptrdiff_t ld,
                   double *x, ptrdiff_t x_stride);

/// x[i] = x[i]·x[i] in place over n elements, on the calling thread (the column matrix of x² from
/// that of x). Every tier gives the same bits.
void wt_square_inplace_f32(float *x, ptrdiff_t n);
/// Double-precision version of wt_square_inplace_f32.
void wt_square_inplace_f64(double *x, ptrdiff_t n);
/// g[i] = g[i]·(2·c[i]) in place over n elements, on the calling thread (c is not g). Every tier
/// gives the same bits.
void wt_mul_twice_f32(float *g, const float *c, ptrdiff_t n);
/// Double-precision version of wt_mul_twice_f32.
void wt_mul_twice_f64(double *g, const double *c, ptrdiff_t n);

/// y[n, c, i] += b[c] for y [batch, channels, inner] (row-major), samples split over the threads.
void wt_channel_bias_add_f32(float *y, const float *b, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t inner);
/// Double-precision version of wt_channel_bias_add_f32.
void wt_channel_bias_add_f64(double *y, const double *b, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t inner);
/// gb[c] += Σ_n Σ_i gy[n, c, i] for gy [batch, channels, inner]: per channel and sample, four
/// running sums over i mod 4 (the rest into the first), added as (s0 + s1) + (s2 + s3), samples in
/// order; channels split over the threads, so the bits do not depend on the thread count.
void wt_channel_sum_f32(const float *gy, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t inner, float *gb);
/// Double-precision version of wt_channel_sum_f32.
void wt_channel_sum_f64(const double *gy, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t inner, double *gb);

#ifdef __cplusplus
}
#endif
#endif
