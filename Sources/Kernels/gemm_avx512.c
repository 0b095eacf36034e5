// AVX-512 GEMM building blocks: the packing of gemm_pack.h and the macro-kernel of gemm_tile.h
// instantiated for 512-bit vectors (32 zmm registers). Reached only through wt_sgemm_impl_avx512 /
// wt_dgemm_impl_avx512, which gemm.c selects when wt_active_isa() is WT_ISA_AVX512.
#include "gemm_internal.h"
#include "tiers.h"

#if WT_X86

// Micro-tiles: MR rows × 2 zmm columns, MR·2 accumulators + 2 B vectors + 1 broadcast ≤ 32.
#ifndef WT_AVX512_SMR
#define WT_AVX512_SMR 12
#endif
#ifndef WT_AVX512_SMC
#define WT_AVX512_SMC 144
#endif
#ifndef WT_AVX512_SKC
#define WT_AVX512_SKC 384
#endif
#ifndef WT_AVX512_SNC
#define WT_AVX512_SNC 4096
#endif
#ifndef WT_AVX512_DMR
#define WT_AVX512_DMR 12
#endif
#ifndef WT_AVX512_DMC
#define WT_AVX512_DMC 96
#endif
#ifndef WT_AVX512_DKC
#define WT_AVX512_DKC 320
#endif
#ifndef WT_AVX512_DNC
#define WT_AVX512_DNC 4096
#endif

#define GP_T float
#define GP_MR WT_AVX512_SMR
#define GP_NR 32
#define GP_NAME(x) s##x##_avx512
#define GP_ATTR WT_TARGET_AVX512
#include "gemm_pack.h"

#define GP_T double
#define GP_MR WT_AVX512_DMR
#define GP_NR 16
#define GP_NAME(x) d##x##_avx512
#include "gemm_pack.h"
#undef GP_ATTR

#define GT_ATTR WT_TARGET_AVX512
#define GT_T float
#define GT_W 16
#define GT_MR WT_AVX512_SMR
#define GT_NV 2
#define GT_NAME(x) s##x##_avx512
#include "gemm_tile.h"

#define GT_T double
#define GT_W 8
#define GT_MR WT_AVX512_DMR
#define GT_NV 2
#define GT_NAME(x) d##x##_avx512
#include "gemm_tile.h"

const wt_sgemm_impl wt_sgemm_impl_avx512 = {
    .mr = WT_AVX512_SMR, .nr = 32, .col_step = 16, .row_step = WT_AVX512_SMR >= 3 ? WT_AVX512_SMR / 3 : WT_AVX512_SMR, .mc = WT_AVX512_SMC, .kc = WT_AVX512_SKC, .nc = WT_AVX512_SNC,
    .pack_a = spack_a_avx512, .pack_b = spack_b_avx512, .macro = smacro_avx512,
};
const wt_dgemm_impl wt_dgemm_impl_avx512 = {
    .mr = WT_AVX512_DMR, .nr = 16, .col_step = 8, .row_step = WT_AVX512_DMR >= 3 ? WT_AVX512_DMR / 3 : WT_AVX512_DMR, .mc = WT_AVX512_DMC, .kc = WT_AVX512_DKC, .nc = WT_AVX512_DNC,
    .pack_a = dpack_a_avx512, .pack_b = dpack_b_avx512, .macro = dmacro_avx512,
};
#endif
