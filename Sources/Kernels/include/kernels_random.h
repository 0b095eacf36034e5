#ifndef WIRTINGER_KERNELS_RANDOM_H
#define WIRTINGER_KERNELS_RANDOM_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// Counter-based normal random numbers: Philox4x32-10 (Salmon et al., SC'11) and Box–Muller,
// exactly the stream of Ops' `normal(_:key:dtype:)`:
//   block j = Philox4x32-10(counter (j mod 2^32, j >> 32, 0, 0), key (k0, k1)) = words (w0, w1, w2, w3),
//   a = ((w0 << 32 | w1) >> 11) * 2^-53,  b = ((w2 << 32 | w3) >> 11) * 2^-53,
//   u1 = a + 2^-53 (in (0, 1]),  r = sqrt(-2 log u1),
//   y[2j] = r cos(2 pi b),  y[2j + 1] = r sin(2 pi b)   (the last element is dropped when n is odd).
// The Philox rounds run 4 blocks at a time with AVX2 (or in plain C; integer arithmetic, so both
// paths give the same words). log and sin/cos are our own polynomials (random.c; < 1 ulp), 4 lanes
// at a time with AVX2/FMA or in plain C with fma(), the same operations on both paths, so the values
// are identical on every machine and C library and to the Swift reference `normalReference`. The
// float version rounds each double once.

/// y[0..<n] = the first n standard normals of the stream of key (k0, k1), starting at block `first_block`
/// (element 2·first_block of the stream is y[0]).
void wt_normal_array(uint32_t k0, uint32_t k1, uint64_t first_block, double *y, ptrdiff_t n);
/// Float version of wt_normal_array: each double rounded once to float.
void wt_normalf_array(uint32_t k0, uint32_t k1, uint64_t first_block, float *y, ptrdiff_t n);
/// y[i] = wt_normal_array's y[i] · scale (one rounded double multiplication per element; the
/// complex normal's parts, scale √½, in one pass).
void wt_normal_array_scaled(uint32_t k0, uint32_t k1, uint64_t first_block, double scale, double *y, ptrdiff_t n);
/// y[i] = wt_normalf_array's y[i] · scale, the product rounded in float (what multiplying the float
/// normals by `scale` gives).
void wt_normalf_array_scaled(uint32_t k0, uint32_t k1, uint64_t first_block, float scale, float *y, ptrdiff_t n);
/// The 4 words of Philox4x32-10 blocks first_block ..< first_block + blocks (counter (j, j >> 32, 0, 0)),
/// 4 words per block, into words[0 ..< 4 * blocks]. Exposed for tests.
void wt_philox_blocks(uint32_t k0, uint32_t k1, uint64_t first_block, uint32_t *words, ptrdiff_t blocks);

#ifdef __cplusplus
}
#endif
#endif
