// The one lane-reduction order of the kernels that sum vector accumulators in plain C (gemm_skinny.c,
// sparse_spmm.c): lanes (0 + W/2, 1 + W/2, …) added, then halves again down to one lane. Their
// register versions add halves in the same order, so every tier gives the same bits.
#ifndef WIRTINGER_KERNELS_LANE_TREE_H
#define WIRTINGER_KERNELS_LANE_TREE_H
#include <string.h>

/// OUT = the sum of the W lanes (of type T) of the vector value VEC_VALUE, as the tree above.
#define WT_LANE_TREE(T, W, VEC_VALUE, OUT)                                                           \
    {                                                                                                \
        T lane_[W];                                                                                  \
        memcpy(lane_, &(VEC_VALUE), sizeof lane_);                                                   \
        for (int h_ = W / 2; h_ >= 1; h_ /= 2)                                                       \
            for (int l_ = 0; l_ < h_; l_++) lane_[l_] = lane_[l_] + lane_[l_ + h_];                  \
        OUT = lane_[0];                                                                              \
    }
#endif
