#ifndef WIRTINGER_KERNELS_DISPATCH_H
#define WIRTINGER_KERNELS_DISPATCH_H

#ifdef __cplusplus
extern "C" {
#endif

/// The vector tiers of the dispatching kernels, ordered: a tier's CPU also runs every lower tier.
typedef enum {
    WT_ISA_PORTABLE = 0,  ///< plain C, any CPU
    WT_ISA_AVX2_FMA = 1,  ///< x86-64 with AVX2 and FMA (and the OS saving YMM state)
    WT_ISA_AVX512 = 2,    ///< x86-64 with AVX-512 F, VL, DQ and BW (and the OS saving ZMM and opmask state)
} wt_isa;

/// The best tier this CPU and OS support (CPUID + XGETBV, detected once), capped by the environment
/// variable WIRTINGER_ISA = portable | avx2 | avx512 when it is set. This is the highest tier
/// wt_set_isa accepts.
wt_isa wt_detected_isa(void);
/// The best tier of the hardware, ignoring WIRTINGER_ISA.
wt_isa wt_hardware_isa(void);
/// The tier the dispatching kernels currently use (initially wt_detected_isa()).
wt_isa wt_active_isa(void);
/// Makes the kernels use `isa`, lowered to wt_detected_isa() if the CPU (or WIRTINGER_ISA) does not
/// allow it; for tests and comparisons. Returns the tier now active.
wt_isa wt_set_isa(wt_isa isa);
/// "portable", "avx2" or "avx512" (the spellings WIRTINGER_ISA accepts).
const char *wt_isa_name(wt_isa isa);
/// The CPU's model string (the CPUID brand string on x86, else the "model name" of /proc/cpuinfo,
/// else "unknown"), without leading or trailing blanks.
const char *wt_cpu_model(void);

/// Number of kernel families listed by wt_kernel_family_name / wt_kernel_family_isa.
int wt_kernel_family_count(void);
/// Name of kernel family `i` (0 ≤ i < wt_kernel_family_count()), e.g. "gemm", "vmath".
const char *wt_kernel_family_name(int i);
/// The tier family `i` runs at now: the active tier, or lower when the family has no code for it.
wt_isa wt_kernel_family_isa(int i);

#ifdef __cplusplus
}
#endif
#endif
