// Runtime selection of the kernel instruction set.
#include "kernels_dispatch.h"
#include <stdatomic.h>

static _Atomic int active_isa = -1;

wt_isa wt_detected_isa(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return WT_ISA_AVX2_FMA;
#endif
    return WT_ISA_PORTABLE;
}

wt_isa wt_active_isa(void) {
    int isa = atomic_load_explicit(&active_isa, memory_order_relaxed);
    if (isa < 0) {
        isa = (int)wt_detected_isa();
        atomic_store_explicit(&active_isa, isa, memory_order_relaxed);
    }
    return (wt_isa)isa;
}

wt_isa wt_set_isa(wt_isa isa) {
    if (isa == WT_ISA_AVX2_FMA && wt_detected_isa() != WT_ISA_AVX2_FMA) isa = WT_ISA_PORTABLE;
    atomic_store_explicit(&active_isa, (int)isa, memory_order_relaxed);
    return isa;
}
