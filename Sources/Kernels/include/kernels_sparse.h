#ifndef WIRTINGER_KERNELS_SPARSE_H
#define WIRTINGER_KERNELS_SPARSE_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Flag of wt_scsr_linear: apply ReLU to the output: y where y > 0 or y is NaN, else +0.
#define WT_SPARSE_RELU 1

/// Sparse-weight linear map for inference: y = x · Wᵀ + bias with W (rows × cols) in CSR form.
///
/// W row r (an output feature) holds the nonzeros values[k] at columns col_idx[k] for
/// k in row_ptr[r] ..< row_ptr[r + 1]; row_ptr has rows + 1 entries, row_ptr[0] = 0, and every
/// col_idx is in 0 ..< cols (not checked here). x is batch × cols with row stride ldx, y is
/// batch × rows with row stride ldy (y must not overlap x):
///   y[b·ldy + r] = bias[r] + Σ_k values[k] · x[b·ldx + col_idx[k]]   (bias may be NULL: 0).
/// An empty row gives bias[r] (or 0). batch = 0 or rows = 0 does nothing. flags: 0, or
/// WT_SPARSE_RELU to store max(y, 0) instead (the ReLU that follows a hidden layer, fused).
///
/// Small batches take one gathered dot product per (example, row). Larger batches are cut into
/// tiles of examples; each tile of x is transposed once into a scratch buffer so that every
/// nonzero becomes a broadcast-multiply-add over contiguous examples. Large problems are split by
/// rows over the GEMM worker pool (wt_get_num_threads()). Uses the AVX2/FMA code when
/// wt_active_isa() says so, else portable C. Returns 0, or -1 if the scratch buffer could not be
/// allocated (y is then untouched).
int wt_scsr_linear(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                   const float *values, const float *bias, ptrdiff_t batch, const float *x, ptrdiff_t ldx,
                   float *y, ptrdiff_t ldy, int flags);

/// The portable version of wt_scsr_linear (same contract, single-threaded, plain C); the test oracle
/// for the AVX2 path.
int wt_scsr_linear_portable(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                            const float *values, const float *bias, ptrdiff_t batch, const float *x,
                            ptrdiff_t ldx, float *y, ptrdiff_t ldy, int flags);

#ifdef __cplusplus
}
#endif
#endif
