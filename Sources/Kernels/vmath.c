// Vector math kernels (kernels_vmath.h): exp, log, log1p, sigmoid, softplus, log-sigmoid, tanh.
// The formulas live in vmath_core.h (shared with expi.c); this file instantiates the array
// kernels and the MXCSR controls.
#include "kernels_vmath.h"
#include "vmath_core.h"


WT_ARRAY_KERNELS(wt_exp_array, wt_expf_array, vm_exp, vm_expf_d, exp, expf_d)
WT_ARRAY_KERNELS(wt_log_array, wt_logf_array, vm_log, vm_log, log, log)
WT_ARRAY_KERNELS(wt_log1p_array, wt_log1pf_array, vm_log1p, vm_log1p, log1p, log1p)
WT_ARRAY_KERNELS(wt_sigmoid_array, wt_sigmoidf_array, vm_sigmoid, vm_sigmoid, sigmoid, sigmoid)
WT_ARRAY_KERNELS(wt_softplus_array, wt_softplusf_array, vm_softplus, vm_softplus, softplus, softplus)
WT_ARRAY_KERNELS(wt_log_sigmoid_array, wt_log_sigmoidf_array, vm_log_sigmoid, vm_log_sigmoid, log_sigmoid, log_sigmoid)
WT_ARRAY_KERNELS(wt_tanh_array, wt_tanhf_array, vm_tanh, vm_tanh, tanh, tanh)

#define WT_MXCSR_FTZ_DAZ 0x8040u  /* bit 15 flush-to-zero, bit 6 denormals-are-zero */

void wt_set_flush_denormals(int on) {
#if WT_X86
    unsigned int csr = _mm_getcsr();
    _mm_setcsr(on ? (csr | WT_MXCSR_FTZ_DAZ) : (csr & ~WT_MXCSR_FTZ_DAZ));
#else
    (void)on;
#endif
}

int wt_get_flush_denormals(void) {
#if WT_X86
    return (_mm_getcsr() & WT_MXCSR_FTZ_DAZ) == WT_MXCSR_FTZ_DAZ;
#else
    return 0;
#endif
}
