// Constants shared by the C kernels and the Swift code, written once here. Swift reads the
// macros through `import Kernels` (plain numeric macros import as `Double` constants) and calls
// wt_modulus as a C function; C includes this header. Float kernels use (float)NAME, which
// gives the same bits as the float literal they replaced.
#ifndef WIRTINGER_KERNELS_CONSTANTS_H
#define WIRTINGER_KERNELS_CONSTANTS_H

#include <math.h>

/// k₁, k₂, k₃ of Molchanov et al. 2017 (eq. 14), the fit of the log-uniform KL divergence:
/// −KL ≈ k₁·σ(k₂ + k₃·log α) − ½·log1p(1/α) − k₁.
#define WT_KL_K1 0.63576
#define WT_KL_K2 1.87320
#define WT_KL_K3 1.48695

/// The Euler–Mascheroni constant γ (the complex VD divergence γ − log α − Ei(−1/α)).
#define WT_EULER_GAMMA 0.57721566490153286061

/// The ε of log α = log σ² − 2·log(|w| + ε): keeps log |w| finite at w = 0.
#define WT_LOG_MODULUS_EPS 1e-12

/// The floor of the variance in the local reparameterisation μ + ε·√max(s², floor).
#define WT_REPARAM_VARIANCE_MIN 1e-8

/// The range in which |re + i·im| = √(re² + im²) cannot overflow or underflow in double:
/// larger part in [WT_MODULUS_SAFE_LO, WT_MODULUS_SAFE_HI] (or 0).
#define WT_MODULUS_SAFE_HI 0x1p500
#define WT_MODULUS_SAFE_LO 0x1p-500

/// |re + i·im| in double: the direct √(re² + im²) inside the safe range, libm hypot outside it
/// (and for NaN parts). The one scalar modulus of the kernels (complex.c, relevance.c).
static inline double wt_modulus(double re, double im) {
    double ar = fabs(re), ai = fabs(im);
    double mx = ar > ai ? ar : ai;
    if (mx <= WT_MODULUS_SAFE_HI && (mx >= WT_MODULUS_SAFE_LO || mx == 0.0) && !isnan(re) && !isnan(im))
        return sqrt(re * re + im * im);
    return hypot(re, im);
}

#endif
