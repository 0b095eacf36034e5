#ifndef WIRTINGER_KERNELS_OPTIM_H
#define WIRTINGER_KERNELS_OPTIM_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

// Fused optimizer updates: one pass over the parameter, its gradient and the state buffers.
// Every element is computed with the same operations, in the same order, as the unfused update
// it replaces (no contraction into FMAs), so the AVX2 and the portable path give identical bits.
// p_out is a separate buffer (it must not overlap p); m, v and buf are updated in place.
// No other overlap is allowed.

/// Adam / AdamW step for n elements (torch.optim's update, see Sources/NN/Optimizers/Adam.swift):
///
///     p ← p · decay                                   (AdamW: decay = 1 − lr·wd; Adam: decay = 1)
///     g ← g + weight_decay · p                        (Adam's coupled L2 term, skipped when 0)
///     m ← w < ½ ? m + w·(g − m) : g − (g − m)·one_minus_w      (torch's lerp, w = 1 − β₁)
///     v ← v·beta2 + (c2·g)·g                          (c2 = 1 − β₂)
///     p_out ← p + neg_step · (m / (√v / bc2_sqrt + eps))
///
/// with neg_step = −lr / (1 − β₁ᵗ) and bc2_sqrt = √(1 − β₂ᵗ).
void wt_adam_f64(double *p_out, const double *p, const double *g, double *m, double *v, ptrdiff_t n,
                 double decay, double weight_decay, double w, double one_minus_w, double beta2, double c2,
                 double bc2_sqrt, double eps, double neg_step);
/// Float version of wt_adam_f64 (every operation in float, the constants given as floats).
void wt_adam_f32(float *p_out, const float *p, const float *g, float *m, float *v, ptrdiff_t n,
                 float decay, float weight_decay, float w, float one_minus_w, float beta2, float c2,
                 float bc2_sqrt, float eps, float neg_step);

/// wt_adam_f64 that also returns whether every p[i] and g[i] it read and every p_out[i] it wrote is
/// finite (1) or some is NaN or infinite (0), found in the same pass; the same values as wt_adam_f64.
int wt_adam_f64_checked(double *p_out, const double *p, const double *g, double *m, double *v, ptrdiff_t n,
                        double decay, double weight_decay, double w, double one_minus_w, double beta2, double c2,
                        double bc2_sqrt, double eps, double neg_step);
/// Float version of wt_adam_f64_checked.
int wt_adam_f32_checked(float *p_out, const float *p, const float *g, float *m, float *v, ptrdiff_t n,
                        float decay, float weight_decay, float w, float one_minus_w, float beta2, float c2,
                        float bc2_sqrt, float eps, float neg_step);

/// One tensor of a multi-tensor Adam step (wt_adam_multi_f64_checked): its n elements at p_out,
/// p, g, m, v (each n long; the overlap rules of wt_adam_f64) and its constants, as the arguments
/// of wt_adam_f64 of the same names.
typedef struct {
    double *p_out;
    const double *p, *g;
    double *m, *v;
    ptrdiff_t n;
    double decay, weight_decay, w, one_minus_w, beta2, c2, bc2_sqrt, eps, neg_step;
} wt_adam_tensor_f64;
/// Float version of wt_adam_tensor_f64.
typedef struct {
    float *p_out;
    const float *p, *g;
    float *m, *v;
    ptrdiff_t n;
    float decay, weight_decay, w, one_minus_w, beta2, c2, bc2_sqrt, eps, neg_step;
} wt_adam_tensor_f32;

/// The Adam steps of `count` tensors in one parallel loop (PyTorch's multi-tensor "foreach"
/// update): for every k, the same values as wt_adam_f64_checked on tensors[k] (every element
/// gets the same operations, whatever the thread count), but the elements of all tensors are
/// split into one set of ranges, so that small tensors do not run one serial call each and the
/// threads are dispatched once. Returns 1 when every p, g read and p_out written is finite, else
/// 0. No tensor's buffers may overlap another's (p_out, m and v are written).
int wt_adam_multi_f64_checked(const wt_adam_tensor_f64 *tensors, ptrdiff_t count);
/// Float version of wt_adam_multi_f64_checked.
int wt_adam_multi_f32_checked(const wt_adam_tensor_f32 *tensors, ptrdiff_t count);

/// SGD step for n elements (torch.optim.SGD):
///
///     g ← g + weight_decay · p                        (skipped when weight_decay = 0)
///     if buf ≠ NULL:   buf ← first ? g : momentum·buf + one_minus_dampening·g
///                      g ← nesterov ? g + momentum·buf : buf
///     p_out ← p − lr·g
void wt_sgd_f64(double *p_out, const double *p, const double *g, double *buf, ptrdiff_t n, double lr,
                double weight_decay, double momentum, double one_minus_dampening, int first, int nesterov);
/// Float version of wt_sgd_f64.
void wt_sgd_f32(float *p_out, const float *p, const float *g, float *buf, ptrdiff_t n, float lr,
                float weight_decay, float momentum, float one_minus_dampening, int first, int nesterov);

#ifdef __cplusplus
}
#endif
#endif
