// The architecture header of the Kernels target (private): what the vector tiers are compiled
// with, and the one dispatch idiom.
//
// A kernel is written once (a function body, a macro body or a header included per tier) and
// instantiated per tier as whole functions carrying the tier's target attribute, so that no vector
// instruction ever runs on a CPU without it. Its entry point picks the instantiation with
// WT_PICK(portable, avx2, avx512) (or a static table in the same order), indexed by
// wt_active_isa(): detected once at start-up, capped by WIRTINGER_ISA, changeable by tests
// (kernels_dispatch.h). A kernel without code for a tier names a lower tier's function in that slot.
// Adding a tier means adding a slot, a target attribute and the instantiations.
#ifndef WIRTINGER_KERNELS_TIERS_H
#define WIRTINGER_KERNELS_TIERS_H

#include "kernels_dispatch.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define WT_X86 1
#include <immintrin.h>
/// AVX2 + FMA (x86-64-v3 without the rest).
#define WT_TARGET_AVX2 __attribute__((target("avx2,fma")))
/// AVX-512 F/VL/DQ/BW (the tier's instantiations may also use AVX2 and FMA instructions).
#define WT_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
/// The function of the active tier among the three (same type).
#define WT_PICK(PORTABLE, AVX2, AVX512) \
    (((__typeof__(&(PORTABLE))[3]){&(PORTABLE), &(AVX2), &(AVX512)})[wt_active_isa()])
/// Instantiates a kernel written once over its element type T (with that type's square root
/// SQRT) for both types on every tier: DEFINE(NAME, T, SQRT, ATTR) as D##_portable, D##_avx2,
/// D##_avx512 (double, SQRT_D) and F##_portable, … (float, SQRT_F).
#define WT_DEFINE_TIERS_DF(DEFINE, D, F, SQRT_D, SQRT_F)                                             \
    DEFINE(D##_portable, double, SQRT_D, )                                                           \
    DEFINE(F##_portable, float, SQRT_F, )                                                            \
    DEFINE(D##_avx2, double, SQRT_D, WT_TARGET_AVX2)                                                 \
    DEFINE(F##_avx2, float, SQRT_F, WT_TARGET_AVX2)                                                  \
    DEFINE(D##_avx512, double, SQRT_D, WT_TARGET_AVX512)                                             \
    DEFINE(F##_avx512, float, SQRT_F, WT_TARGET_AVX512)
#else
#define WT_X86 0
#define WT_PICK(PORTABLE, AVX2, AVX512) (&(PORTABLE))
#define WT_DEFINE_TIERS_DF(DEFINE, D, F, SQRT_D, SQRT_F)                                             \
    DEFINE(D##_portable, double, SQRT_D, )                                                           \
    DEFINE(F##_portable, float, SQRT_F, )
#endif

#endif
