// AVX2/FMA GEMM building blocks: the packing of gemm_pack.h and the macro-kernel of gemm_tile.h
// instantiated for 256-bit vectors (16 ymm registers). Micro-tiles: 6×16 floats and 6×8 doubles
// (12 accumulators, 2 B vectors, 1 broadcast). Reached only through wt_sgemm_impl_avx2 /
// wt_dgemm_impl_avx2, which gemm.c selects when wt_active_isa() is WT_ISA_AVX2_FMA.
#include "gemm_internal.h"
#include "tiers.h"

#if WT_X86

// Cache blocks (elements): an MC×KC block of A in L2, a KC×NR micro-panel of B in L1 (25 KiB
// float, 16 KiB double). Measured on Zen 4: float KC 400 beats 256 by ~10% at k = 784; double
// MC 64 / KC 256 beat 72 / 320 by 10–25% at 1 thread (1024³: 42 against 48–57 ms) and split the
// 128 rows of the MLP shapes evenly at 2 threads (MC 96 left a 32-row block: 1.08 against 0.82 ms
// for 128×400×784; `wirtinger bench --filter dgemm`).
#ifndef WT_AVX2_SMC
#define WT_AVX2_SMC 144
#endif
#ifndef WT_AVX2_SKC
#define WT_AVX2_SKC 400
#endif
#ifndef WT_AVX2_SNC
#define WT_AVX2_SNC 4080
#endif
#ifndef WT_AVX2_DMC
#define WT_AVX2_DMC 64
#endif
#ifndef WT_AVX2_DKC
#define WT_AVX2_DKC 256
#endif
#ifndef WT_AVX2_DNC
#define WT_AVX2_DNC 4080
#endif

#define GP_ATTR WT_TARGET_AVX2
#define GP_T float
#define GP_MR 6
#define GP_NR 16
#define GP_NAME(x) s##x##_avx2
#include "gemm_pack.h"

#define GP_T double
#define GP_MR 6
#define GP_NR 8
#define GP_NAME(x) d##x##_avx2
#include "gemm_pack.h"

#define GT_ATTR WT_TARGET_AVX2
#define GT_T float
#define GT_W 8
#define GT_MR 6
#define GT_NV 2
#define GT_NAME(x) s##x##_avx2
#include "gemm_tile.h"

#define GT_T double
#define GT_W 4
#define GT_MR 6
#define GT_NV 2
#define GT_NAME(x) d##x##_avx2
#include "gemm_tile.h"

const wt_sgemm_impl wt_sgemm_impl_avx2 = {
    .mr = 6, .nr = 16, .row_step = 2, .col_step = 8, .mc = WT_AVX2_SMC, .kc = WT_AVX2_SKC, .nc = WT_AVX2_SNC,
    .pack_a = spack_a_avx2, .pack_b = spack_b_avx2, .macro = smacro_avx2,
};
const wt_dgemm_impl wt_dgemm_impl_avx2 = {
    .mr = 6, .nr = 8, .row_step = 2, .col_step = 4, .mc = WT_AVX2_DMC, .kc = WT_AVX2_DKC, .nc = WT_AVX2_DNC,
    .pack_a = dpack_a_avx2, .pack_b = dpack_b_avx2, .macro = dmacro_avx2,
};
#endif
