// Instantiates a float relevance kernel written once over the vector width (relevance_f32_vec.h,
// relevance_cplx_f32_vec.h) for the AVX2/FMA tier (8 lanes) and the AVX-512 tier (16 lanes):
//
//   #define KV_HEADER "the_kernel_vec.h"   the header to include per tier
//   #define KV_BASE   kernel_name          defines KV_BASE##_avx2 and KV_BASE##_avx512 (x86 only)
//   #include "relevance_vec_tiers.h"
//
// Each inclusion of KV_HEADER sees KV_W, RV(x) (the rf8_ / rf16_ helpers), KV_ATTR and KV_NAME.
#if WT_X86
#define KV_CAT_(a, b) a##b
#define KV_CAT(a, b) KV_CAT_(a, b)

#define KV_W 8
#define RV(x) rf8_##x
#define KV_ATTR WT_TARGET_AVX2
#define KV_NAME KV_CAT(KV_BASE, _avx2)
#include KV_HEADER
#undef KV_W
#undef RV
#undef KV_ATTR
#undef KV_NAME

#define KV_W 16
#define RV(x) rf16_##x
#define KV_ATTR WT_TARGET_AVX512
#define KV_NAME KV_CAT(KV_BASE, _avx512)
#include KV_HEADER
#undef KV_W
#undef RV
#undef KV_ATTR
#undef KV_NAME

#undef KV_CAT
#undef KV_CAT_
#endif
#undef KV_HEADER
#undef KV_BASE
