// Kernels: the C hot loops of Wirtinger. Umbrella header.
//
// Every function works on raw buffers with explicit sizes and strides; no function
// allocates memory that outlives the call, knows about shapes, or sees Swift types.
// x86 fast paths are whole functions compiled per vector tier with function target attributes
// (AVX2+FMA, AVX-512 F/VL/DQ/BW), most of them instantiated from one body per kernel, and
// selected at run time from the tier detected once (kernels_dispatch.h; WIRTINGER_ISA caps it).
// Each has a portable fallback that is tested too.
#ifndef WIRTINGER_KERNELS_H
#define WIRTINGER_KERNELS_H

#include "kernels_complex.h"
#include "kernels_constants.h"
#include "kernels_conv.h"
#include "kernels_cplx_passes.h"
#include "kernels_dispatch.h"
#include "kernels_gemm.h"
#include "kernels_optim.h"
#include "kernels_parallel.h"
#include "kernels_pool.h"
#include "kernels_random.h"
#include "kernels_relevance.h"
#include "kernels_scan.h"
#include "kernels_signal.h"
#include "kernels_skinny.h"
#include "kernels_sparse.h"
#include "kernels_sparse_spmm.h"
#include "kernels_special.h"
#include "kernels_vmath.h"

#endif
