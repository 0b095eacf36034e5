#ifndef WIRTINGER_KERNELS_DISPATCH_H
#define WIRTINGER_KERNELS_DISPATCH_H

#ifdef __cplusplus
extern "C" {
#endif

/// Which implementation the dispatching kernels use.
typedef enum {
    WT_ISA_PORTABLE = 0,  ///< plain C, any CPU
    WT_ISA_AVX2_FMA = 1,  ///< x86-64 with AVX2 and FMA
} wt_isa;

/// The instruction set the CPU supports best (detected once).
wt_isa wt_detected_isa(void);
/// The instruction set the dispatching kernels currently use.
wt_isa wt_active_isa(void);
/// Forces the portable path (for tests) or returns to the detected one. Returns the ISA now active.
wt_isa wt_set_isa(wt_isa isa);

#ifdef __cplusplus
}
#endif
#endif
