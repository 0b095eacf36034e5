// Instantiates the row-window products written once over W lanes (sparse_window_vec.h) for the
// x86 tiers: W = 8 with the AVX2 target (spw8_*) and W = 16 with the AVX-512 target (spw16_*).
// The including file defines SW_REAL (sparse_window.c) or SW_COMPLEX (sparse_cwindow.c) first.
// The portable tier has no instantiation: it keeps the CSR loops (sparse_window.c says why).
#if WT_X86
#define SW_W 8
#define SW(x) spw8_##x
#define SW_ATTR WT_TARGET_AVX2
#include "sparse_window_vec.h"
#undef SW_W
#undef SW
#undef SW_ATTR

#define SW_W 16
#define SW(x) spw16_##x
#define SW_ATTR WT_TARGET_AVX512
#include "sparse_window_vec.h"
#undef SW_W
#undef SW
#undef SW_ATTR
#endif
