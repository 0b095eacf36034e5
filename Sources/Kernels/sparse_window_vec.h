// The row-window products of the small-batch sparse layers (real: sparse_window.c, complex:
// sparse_cwindow.c), written once over a vector of W float lanes and instantiated per tier by
// sparse_window_tiers.h:
//
//   #define SW_W     lanes: 8 (the AVX2 tier; the 8-lane layout WT_WINDOW_LANES8) or 16 (the
//                    AVX-512 tier; the 16-lane layouts of kernels_sparse.h)
//   #define SW(x)    the instantiation's name of x (spw8_x, spw16_x)
//   #define SW_ATTR  the tier's target attribute (tiers.h)
//   SW_REAL or SW_COMPLEX (defined by the including file): the products it instantiates
//   #include "sparse_window_vec.h"
//
// Both layouts have the same shape at their width: a stored vector holds W rows (a slice), at most
// one nonzero per row, all in the 2W columns base ..< base + 2W of its window (base a multiple of
// W), with one byte index (< 2W) and one value per lane (0 at index 0 in absent lanes). So the
// walk over the vectors, the accumulators, the bias, the ReLU and the masking of non-finite inputs
// are written once below. What differs per tier is the primitives of the first section: how a
// lane's input is looked up in the window (W = 16: one two-register table lookup, vpermt2ps, of
// the window's two aligned halves; W = 8: AVX2 has no such lookup across 16 lanes, so two vpermps,
// one per half, and a blend on the index's bit 3), and how a multiply-add is kept to a vector's
// present lanes (W = 16: opmask forms; W = 8: a blend of the multiply-add's result) and a partial
// slice loaded and stored. The position orders (the 16-lane layouts' by_position = 1 and 2) exist
// at W = 16 only: at 8 lanes they were slower (Docs/Inference.md, "Session 10").

#define SW_INL static inline __attribute__((always_inline)) SW_ATTR

typedef int SW(i) __attribute__((vector_size(SW_W * 4), aligned(SW_W * 4)));
typedef float SW(uf) __attribute__((vector_size(SW_W * 4), aligned(4)));

// MARK: - The per-tier primitives

#if SW_W == 16
typedef __m512 SW(f);
typedef __m512i SW(ix);
typedef __mmask16 SW(k);
/// The W byte indices at ip (16-byte aligned), widened to 32-bit lanes.
SW_INL SW(ix) SW(index)(const uint8_t *ip) { return _mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)ip)); }
/// x[base + ix] in each lane, for the window's halves lo = x[base ..< base + W], hi = the next W.
SW_INL SW(f) SW(pick)(SW(f) lo, SW(f) hi, SW(ix) ix) { return _mm512_permutex2var_ps(lo, ix, hi); }
/// The lanes present in a stored vector whose mask is m.
SW_INL SW(k) SW(lanes)(uint16_t m) { return (__mmask16)m; }
SW_INL SW(f) SW(fma)(SW(f) a, SW(f) b, SW(f) c) { return _mm512_fmadd_ps(a, b, c); }
/// c − a·b (one rounding).
SW_INL SW(f) SW(fnma)(SW(f) a, SW(f) b, SW(f) c) { return _mm512_fnmadd_ps(a, b, c); }
/// fma(a, b, c) in the lanes of k, c in the others.
SW_INL SW(f) SW(fma_in)(SW(k) k, SW(f) a, SW(f) b, SW(f) c) { return _mm512_mask3_fmadd_ps(a, b, c, k); }
SW_INL SW(f) SW(fnma_in)(SW(k) k, SW(f) a, SW(f) b, SW(f) c) { return _mm512_mask3_fnmadd_ps(a, b, c, k); }
/// The first n lanes (0 < n ≤ W), for SW(load_part) and SW(store_part).
typedef __mmask16 SW(part);
SW_INL SW(part) SW(first)(int n) { return (__mmask16)((1u << n) - 1); }
/// p[0 ..< n] for the first n lanes k, zeros in the other lanes; p need not be aligned.
SW_INL SW(f) SW(load_part)(const float *p, SW(part) k) { return _mm512_maskz_loadu_ps(k, p); }
/// p[0 ..< n] = the first n lanes k of v.
SW_INL void SW(store_part)(float *p, SW(part) k, SW(f) v) { _mm512_mask_storeu_ps(p, k, v); }
#elif SW_W == 8
typedef __m256 SW(f);
typedef __m256i SW(ix);
typedef __m256 SW(k);
SW_INL SW(ix) SW(index)(const uint8_t *ip) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)ip)); }
/// Each half picked by the index's low 3 bits, the half by its bit 3 (moved to the sign by a shift).
SW_INL SW(f) SW(pick)(SW(f) lo, SW(f) hi, SW(ix) ix) {
    return _mm256_blendv_ps(_mm256_permutevar8x32_ps(lo, ix), _mm256_permutevar8x32_ps(hi, ix),
                            _mm256_castsi256_ps(_mm256_slli_epi32(ix, 28)));
}
/// All-ones in the present lanes.
SW_INL SW(k) SW(lanes)(uint16_t m) {
    const __m256i bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(m), bits), bits));
}
SW_INL SW(f) SW(fma)(SW(f) a, SW(f) b, SW(f) c) { return _mm256_fmadd_ps(a, b, c); }
SW_INL SW(f) SW(fnma)(SW(f) a, SW(f) b, SW(f) c) { return _mm256_fnmadd_ps(a, b, c); }
SW_INL SW(f) SW(fma_in)(SW(k) k, SW(f) a, SW(f) b, SW(f) c) { return _mm256_blendv_ps(c, _mm256_fmadd_ps(a, b, c), k); }
SW_INL SW(f) SW(fnma_in)(SW(k) k, SW(f) a, SW(f) b, SW(f) c) { return _mm256_blendv_ps(c, _mm256_fnmadd_ps(a, b, c), k); }
typedef __m256i SW(part);
SW_INL SW(part) SW(first)(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
SW_INL SW(f) SW(load_part)(const float *p, SW(part) k) { return _mm256_maskload_ps(p, k); }
SW_INL void SW(store_part)(float *p, SW(part) k, SW(f) v) { _mm256_maskstore_ps(p, k, v); }
#else
#error "sparse_window_vec.h: SW_W is 8 or 16"
#endif

// MARK: - Written once

SW_INL SW(f) SW(zero)(void) { return (SW(f)){0}; }
/// W floats at p, aligned to the vector.
SW_INL SW(f) SW(load)(const float *p) { return *(const SW(f) *)p; }

/// y[Ws ..< Ws + n] = bias + sum (bias NULL: +0 + sum), n the rows of slice s (W but in the last
/// slice), then with relu the value where it is > 0 or NaN, else +0 (Ops.relu's rule). At W = 8 a
/// full slice is loaded and stored whole: AVX2's masked store (vmaskmovps) is slow on AMD Zen 4,
/// and a 784 → 400 layer has 50 slices of 8 (the call with no nonzero took 0.38 against 0.24 µs;
/// Docs/Inference.md, "Session 12"). AVX-512's opmask stores are cheap: W = 16 keeps one path.
SW_INL void SW(out)(float *y, const float *bias, ptrdiff_t s, ptrdiff_t rows, SW(f) sum, int relu) {
    if (SW_W == 8 && rows - SW_W * s >= SW_W) {
        SW(f) out = (bias ? (SW(f))*(const SW(uf) *)(bias + SW_W * s) : SW(zero)()) + sum;
        if (relu) out = (SW(f))((SW(i))out & ((out > 0.0f) | (out != out)));
        *(SW(uf) *)(y + SW_W * s) = (SW(uf))out;
        return;
    }
    const SW(part) k = SW(first)(rows - SW_W * s < SW_W ? (int)(rows - SW_W * s) : SW_W);
    SW(f) out = (bias ? SW(load_part)(bias + SW_W * s, k) : SW(zero)()) + sum;
    if (relu) out = (SW(f))((SW(i))out & ((out > 0.0f) | (out != out)));
    SW(store_part)(y + SW_W * s, k, out);
}

/// The end of group g of G slices (slices gG ..< the end; the last group may be partial).
SW_INL ptrdiff_t SW(group_end)(const wt_sparse_window *w, ptrdiff_t g, ptrdiff_t G) {
    return w->slices - g * G < G ? w->slices : g * G + G;
}

/// Where group g's vectors start in a position order of G slices per group: its cell counts, and
/// the first vector's indices, values (and imaginary parts in wi, when set) and mask.
typedef struct {
    const uint8_t *cn, *ip;
    const float *vp, *qp;
    const uint16_t *mp;
} SW(at);
SW_INL SW(at) SW(group_at)(const wt_sparse_window *w, const float *wi, ptrdiff_t g, ptrdiff_t G) {
    const ptrdiff_t v = w->group_start[g];
    return (SW(at)){w->count + g * w->positions * G, w->index + SW_W * v, w->values + SW_W * v,
                    wi ? wi + SW_W * v : NULL, w->mask + v};
}

/// Lanes whose bits are nonzero where v is NaN or ±inf (v − v: +0 for a finite v, NaN otherwise).
SW_INL SW(i) SW(nonfinite)(SW(f) v) { return (SW(i))(v - v); }

#ifdef SW_REAL
/// Copies one example's input x[0 ..< cols] into xa (aligned to the vector, round_up(cols, W)
/// floats, zeros after cols); returns 1 when every input is finite, 0 when one is NaN or ±inf.
SW_ATTR int SW(input)(const float *x, ptrdiff_t cols, float *xa) {
    SW(i) bad = {0};
    ptrdiff_t c = 0;
    for (; c + SW_W <= cols; c += SW_W) {
        const SW(f) v = *(const SW(uf) *)(x + c);
        bad |= SW(nonfinite)(v);
        *(SW(f) *)(xa + c) = v;
    }
    if (c < cols) {
        const SW(f) v = SW(load_part)(x + c, SW(first)((int)(cols - c)));
        bad |= SW(nonfinite)(v);
        *(SW(f) *)(xa + c) = v;
    }
    return __builtin_reduce_or(bad) == 0;
}

/// 1 when every input x[0 ..< cols] is finite, for an input read in place (x aligned to the
/// vector, cols a multiple of W).
SW_ATTR int SW(finite)(const float *x, ptrdiff_t cols) {
    SW(i) bad = {0};
    for (ptrdiff_t c = 0; c + SW_W <= cols; c += SW_W) bad |= SW(nonfinite)(SW(load)(x + c));
    return __builtin_reduce_or(bad) == 0;
}

/// Vector v of a slice (base b, indices at ip, values at vp, mask m): a + values · x[b + index] in
/// every lane (MASKED = 0: a finite input, absent lanes add 0 · x[b], which leaves a's bits) or in
/// the present lanes only (MASKED = 1).
SW_INL SW(f) SW(step)(SW(f) a, const float *x, uint32_t b, const uint8_t *ip, const float *vp, uint16_t m,
                      const int masked) {
    const SW(f) u = SW(pick)(SW(load)(x + b), SW(load)(x + b + SW_W), SW(index)(ip));
    return masked ? SW(fma_in)(SW(lanes)(m), SW(load)(vp), u, a) : SW(fma)(SW(load)(vp), u, a);
}

/// Slices s0 ..< s1 in slice order: vector v of a slice adds into accumulator (v mod 4), row r's
/// result is bias + ((a0 + a1) + (a2 + a3)), then ReLU.
SW_INL void SW(slices_body)(const wt_sparse_window *w, const float *bias, const float *x, float *y, int relu,
                            ptrdiff_t s0, ptrdiff_t s1, const int masked) {
    const SW(f) z = SW(zero)();
    for (ptrdiff_t s = s0; s < s1; s++) {
        SW(f) a0 = z, a1 = z, a2 = z, a3 = z;
        ptrdiff_t v = w->slice_start[s];
        const ptrdiff_t e = w->slice_start[s + 1];
        const uint32_t *bp = w->base + v;
        const uint16_t *mp = w->mask + v;
        const uint8_t *ip = w->index + SW_W * v;
        const float *vp = w->values + SW_W * v;
        for (; v + 4 <= e; v += 4, bp += 4, mp += 4, ip += 4 * SW_W, vp += 4 * SW_W) {
            a0 = SW(step)(a0, x, bp[0], ip, vp, mp[0], masked);
            a1 = SW(step)(a1, x, bp[1], ip + SW_W, vp + SW_W, mp[1], masked);
            a2 = SW(step)(a2, x, bp[2], ip + 2 * SW_W, vp + 2 * SW_W, mp[2], masked);
            a3 = SW(step)(a3, x, bp[3], ip + 3 * SW_W, vp + 3 * SW_W, mp[3], masked);
        }
        if (v < e) a0 = SW(step)(a0, x, bp[0], ip, vp, mp[0], masked);
        if (v + 1 < e) a1 = SW(step)(a1, x, bp[1], ip + SW_W, vp + SW_W, mp[1], masked);
        if (v + 2 < e) a2 = SW(step)(a2, x, bp[2], ip + 2 * SW_W, vp + 2 * SW_W, mp[2], masked);
        SW(out)(y, bias, s, w->rows, (a0 + a1) + (a2 + a3), relu);
    }
}

SW_ATTR __attribute__((noinline, aligned(64))) static void SW(slices)(const wt_sparse_window *w, const float *bias,
                                                                       const float *x, float *y, int relu, int masked,
                                                                       ptrdiff_t s0, ptrdiff_t s1) {
    if (masked) SW(slices_body)(w, bias, x, y, relu, s0, s1, 1);
    else SW(slices_body)(w, bias, x, y, relu, s0, s1, 0);
}

#if SW_W == 16
/// The vectors of slice S of the group at the current position: a[S] ← a[S] + values · x[Wp + index]
/// (x[Wp ..< Wp + 2W] in X0, X1), in every lane or, with MASKED, in the present lanes only. Not
/// unrolled: the counts are mostly 0–3, and clang's two-way unrolling added branches that
/// mispredict (2.86 against 2.50 µs at 95 %). The empty asm after the loop states that a[S] is in a
/// register there: without it clang kept every accumulator in a stack slot between cells as well
/// (a 64-byte load before and a store after each of the 1,200 cells of a 400 × 784 layout) and the
/// product at 95 % took 1.91 µs; with it 1.53 µs, same instructions otherwise, same bits
/// (Docs/Inference.md, "Session 9").
#define SW_CELL(S, MASKED)                                                                                \
    _Pragma("clang loop unroll(disable)")                                                                 \
    for (int k = cn[S]; k; k--, ip += SW_W, vp += SW_W, mp++) {                                           \
        const SW(f) xv = SW(pick)(X0, X1, SW(index)(ip));                                                 \
        a[S] = (MASKED) ? SW(fma_in)(SW(lanes)(*mp), SW(load)(vp), xv, a[S]) : SW(fma)(SW(load)(vp), xv, a[S]); \
    }                                                                                                     \
    __asm__("" : "+v"(a[S]));

/// One group's product: positions outermost, the group's 25 slices inside with their accumulators
/// in registers (the code is unrolled over the slices; a group of fewer slices has zero counts in
/// the others).
#define SW_GROUP(MASKED)                                                                                  \
    for (ptrdiff_t p = 0; p < w->positions; p++, cn += WT_WINDOW_GROUP) {                                 \
        const SW(f) X0 = SW(load)(x + SW_W * p), X1 = SW(load)(x + SW_W * p + SW_W);                      \
        SW_CELL(0, MASKED) SW_CELL(1, MASKED) SW_CELL(2, MASKED) SW_CELL(3, MASKED) SW_CELL(4, MASKED)    \
        SW_CELL(5, MASKED) SW_CELL(6, MASKED) SW_CELL(7, MASKED) SW_CELL(8, MASKED) SW_CELL(9, MASKED)    \
        SW_CELL(10, MASKED) SW_CELL(11, MASKED) SW_CELL(12, MASKED) SW_CELL(13, MASKED)                   \
        SW_CELL(14, MASKED) SW_CELL(15, MASKED) SW_CELL(16, MASKED) SW_CELL(17, MASKED)                   \
        SW_CELL(18, MASKED) SW_CELL(19, MASKED) SW_CELL(20, MASKED) SW_CELL(21, MASKED)                   \
        SW_CELL(22, MASKED) SW_CELL(23, MASKED) SW_CELL(24, MASKED)                                       \
    }

#if WT_WINDOW_GROUP != 25
#error "SW_GROUP is unrolled for groups of 25 slices"
#endif

/// Groups g0 ..< g1 in the position order (by_position = 1): row r's result is bias + a, a the
/// running sum of its slice's vectors in stored order, then ReLU.
SW_ATTR __attribute__((noinline, aligned(64))) static void SW(groups)(const wt_sparse_window *w, const float *bias,
                                                                       const float *x, float *y, int relu, int masked,
                                                                       ptrdiff_t g0, ptrdiff_t g1) {
    const SW(f) z = SW(zero)();
    for (ptrdiff_t g = g0; g < g1; g++) {
        SW(f) a[WT_WINDOW_GROUP];
        for (int s = 0; s < WT_WINDOW_GROUP; s++) a[s] = z;  // unrolled: 25 registers
        const SW(at) at = SW(group_at)(w, NULL, g, WT_WINDOW_GROUP);
        const uint8_t *cn = at.cn, *ip = at.ip;
        const float *vp = at.vp;
        const uint16_t *mp = at.mp;
        if (masked) SW_GROUP(1) else SW_GROUP(0)
        const ptrdiff_t s0 = g * WT_WINDOW_GROUP, s1 = SW(group_end)(w, g, WT_WINDOW_GROUP);
        // Constant indices only, so that the accumulators stay in registers.
#define SW_OUT(S) if (s0 + (S) < s1) SW(out)(y, bias, s0 + (S), w->rows, a[S], relu);
        SW_OUT(0) SW_OUT(1) SW_OUT(2) SW_OUT(3) SW_OUT(4) SW_OUT(5) SW_OUT(6) SW_OUT(7) SW_OUT(8) SW_OUT(9)
        SW_OUT(10) SW_OUT(11) SW_OUT(12) SW_OUT(13) SW_OUT(14) SW_OUT(15) SW_OUT(16) SW_OUT(17) SW_OUT(18)
        SW_OUT(19) SW_OUT(20) SW_OUT(21) SW_OUT(22) SW_OUT(23) SW_OUT(24)
#undef SW_OUT
    }
}
#undef SW_GROUP
#undef SW_CELL

/// Groups g0 ..< g1 in the round-robin position order (by_position = 2): the vectors of a position
/// in one run, each adding into its slice's sum held in an L1 array (a load and a store per
/// vector; no count and branch per (position, slice) cell). A slice's vectors come in the position
/// order's sequence, so the sums are the position order's, bit for bit. Round-robin keeps a
/// slice's consecutive vectors apart (up to one per other non-empty slice in between), so a sum's
/// store has usually left before it is loaded again.
SW_INL void SW(round_robin_body)(const wt_sparse_window *w, const float *bias, const float *x, float *y, int relu,
                                 ptrdiff_t g0, ptrdiff_t g1, const int masked) {
    float acc[SW_W * WT_WINDOW_GROUP] __attribute__((aligned(64)));
    for (ptrdiff_t g = g0; g < g1; g++) {
        for (int s = 0; s < WT_WINDOW_GROUP; s++) *(SW(f) *)(acc + SW_W * s) = SW(zero)();
        const uint16_t *pc = w->position_count + g * w->positions;
        const ptrdiff_t v = w->group_start[g];
        const uint8_t *ip = w->index + SW_W * v, *sp = w->slice_of + v;
        const float *vp = w->values + SW_W * v;
        const uint16_t *mp = w->mask + v;
        for (ptrdiff_t p = 0; p < w->positions; p++) {
            const SW(f) X0 = SW(load)(x + SW_W * p), X1 = SW(load)(x + SW_W * p + SW_W);
            for (int k = pc[p]; k; k--, ip += SW_W, vp += SW_W, mp++, sp++) {
                SW(f) *a = (SW(f) *)(acc + SW_W * *sp);
                const SW(f) xv = SW(pick)(X0, X1, SW(index)(ip));
                *a = masked ? SW(fma_in)(SW(lanes)(*mp), SW(load)(vp), xv, *a) : SW(fma)(SW(load)(vp), xv, *a);
            }
        }
        const ptrdiff_t s0 = g * WT_WINDOW_GROUP, s1 = SW(group_end)(w, g, WT_WINDOW_GROUP);
        for (ptrdiff_t s = s0; s < s1; s++) SW(out)(y, bias, s, w->rows, SW(load)(acc + SW_W * (s - s0)), relu);
    }
}

SW_ATTR __attribute__((noinline, aligned(64))) static void SW(round_robin)(const wt_sparse_window *w,
                                                                            const float *bias, const float *x,
                                                                            float *y, int relu, int masked,
                                                                            ptrdiff_t g0, ptrdiff_t g1) {
    if (masked) SW(round_robin_body)(w, bias, x, y, relu, g0, g1, 1);
    else SW(round_robin_body)(w, bias, x, y, relu, g0, g1, 0);
}

/// The product of units u0 ..< u1 (sparse_window.h) in the layout's order; the 8-lane layout by
/// the W = 8 instantiation.
SW_ATTR void SW(window)(const wt_sparse_window *w, const float *bias, const float *x, float *y, int relu, int masked,
                        ptrdiff_t u0, ptrdiff_t u1) {
    if (w->by_position == WT_WINDOW_LANES8) spw8_window(w, bias, x, y, relu, masked, u0, u1);
    else if (w->by_position == 2) SW(round_robin)(w, bias, x, y, relu, masked, u0, u1);
    else if (w->by_position) SW(groups)(w, bias, x, y, relu, masked, u0, u1);
    else SW(slices)(w, bias, x, y, relu, masked, u0, u1);
}
#else
/// The product of slices u0 ..< u1 of the 8-lane layout (sparse_window.h).
SW_ATTR void SW(window)(const wt_sparse_window *w, const float *bias, const float *x, float *y, int relu, int masked,
                        ptrdiff_t u0, ptrdiff_t u1) {
    SW(slices)(w, bias, x, y, relu, masked, u0, u1);
}
#endif
#endif  // SW_REAL

#ifdef SW_COMPLEX
/// One stored vector's four multiply-adds with the lanes' looked-up real and imaginary inputs u, v
/// and the weight's parts at rp, qp: ar ← ar + wr·u, ar ← ar − wi·v, ai ← ai + wr·v,
/// ai ← ai + wi·u (wt_ccsr_linear's statements, each one fused multiply-add), in every lane or,
/// with MASKED, in the present lanes of mask m only.
SW_INL void SW(cstep)(SW(f) *ar, SW(f) *ai, SW(f) u, SW(f) v, const float *rp, const float *qp, uint16_t m,
                      const int masked) {
    const SW(f) wr = SW(load)(rp), wi = SW(load)(qp);
    if (masked) {
        const SW(k) k = SW(lanes)(m);
        *ar = SW(fnma_in)(k, wi, v, SW(fma_in)(k, wr, u, *ar));
        *ai = SW(fma_in)(k, wi, u, SW(fma_in)(k, wr, v, *ai));
    } else {
        *ar = SW(fnma)(wi, v, SW(fma)(wr, u, *ar));
        *ai = SW(fma)(wi, u, SW(fma)(wr, v, *ai));
    }
}

/// Vector o of a slice in slice order: its window's inputs of both parts looked up with one index
/// vector, then SW(cstep).
SW_INL void SW(cslice_step)(SW(f) *ar, SW(f) *ai, const float *xr, const float *xi, uint32_t b, const uint8_t *ip,
                            const float *rp, const float *qp, uint16_t m, const int masked) {
    const SW(ix) ix = SW(index)(ip);
    const SW(f) u = SW(pick)(SW(load)(xr + b), SW(load)(xr + b + SW_W), ix);
    const SW(f) v = SW(pick)(SW(load)(xi + b), SW(load)(xi + b + SW_W), ix);
    SW(cstep)(ar, ai, u, v, rp, qp, m, masked);
}

/// Slices s0 ..< s1 of one example in slice order, four accumulator pairs (vector v into pair
/// v mod 4); each part of row r is b[r] + ((a0 + a1) + (a2 + a3)).
SW_INL void SW(cslices_body)(const wt_sparse_window *w, const float *wi, const float *br, const float *bi,
                             const float *xr, const float *xi, float *yr, float *yi, ptrdiff_t s0, ptrdiff_t s1,
                             const int masked) {
    const SW(f) z = SW(zero)();
    for (ptrdiff_t s = s0; s < s1; s++) {
        SW(f) r0 = z, r1 = z, r2 = z, r3 = z, i0 = z, i1 = z, i2 = z, i3 = z;
        ptrdiff_t v = w->slice_start[s];
        const ptrdiff_t e = w->slice_start[s + 1];
        const uint32_t *bp = w->base + v;
        const uint16_t *mp = w->mask + v;
        const uint8_t *ip = w->index + SW_W * v;
        const float *rp = w->values + SW_W * v, *qp = wi + SW_W * v;
#define SW_CSTEP(R, I, O) \
    SW(cslice_step)(&R, &I, xr, xi, bp[O], ip + (O) * SW_W, rp + (O) * SW_W, qp + (O) * SW_W, mp[O], masked)
        for (; v + 4 <= e; v += 4, bp += 4, mp += 4, ip += 4 * SW_W, rp += 4 * SW_W, qp += 4 * SW_W) {
            SW_CSTEP(r0, i0, 0);
            SW_CSTEP(r1, i1, 1);
            SW_CSTEP(r2, i2, 2);
            SW_CSTEP(r3, i3, 3);
        }
        if (v < e) SW_CSTEP(r0, i0, 0);
        if (v + 1 < e) SW_CSTEP(r1, i1, 1);
        if (v + 2 < e) SW_CSTEP(r2, i2, 2);
#undef SW_CSTEP
        SW(out)(yr, br, s, w->rows, (r0 + r1) + (r2 + r3), 0);
        SW(out)(yi, bi, s, w->rows, (i0 + i1) + (i2 + i3), 0);
    }
}

SW_ATTR __attribute__((noinline, aligned(64))) static void SW(cslices)(const wt_sparse_window *w, const float *wi,
                                                                        const float *br, const float *bi,
                                                                        const float *xr, const float *xi, float *yr,
                                                                        float *yi, int masked, ptrdiff_t s0,
                                                                        ptrdiff_t s1) {
    if (masked) SW(cslices_body)(w, wi, br, bi, xr, xi, yr, yi, s0, s1, 1);
    else SW(cslices_body)(w, wi, br, bi, xr, xi, yr, yi, s0, s1, 0);
}

#if SW_W == 16
/// The vectors of slice S of the group at the current position: SW(cstep) into (ar[S], ai[S]) with
/// the inputs looked up in (XR0, XR1) and (XI0, XI1), x[Wp ..< Wp + 2W] of each part. Not unrolled
/// (the counts are mostly 0–3); the empty asm states that the accumulators are in registers after
/// the loop (the real product's SW_CELL says why).
#define SW_CCELL(S, MASKED)                                                                               \
    _Pragma("clang loop unroll(disable)")                                                                 \
    for (int k = cn[S]; k; k--, ip += SW_W, rp += SW_W, qp += SW_W, mp++) {                               \
        const SW(ix) ix_ = SW(index)(ip);                                                                 \
        SW(cstep)(&ar[S], &ai[S], SW(pick)(XR0, XR1, ix_), SW(pick)(XI0, XI1, ix_), rp, qp, *mp, MASKED); \
    }                                                                                                     \
    __asm__("" : "+v"(ar[S]), "+v"(ai[S]));

#if WT_CWINDOW_GROUP != 9
#error "SW_CGROUP is unrolled for groups of 9 slices"
#endif

/// One group's product: positions outermost, the group's 9 slices inside with both parts'
/// accumulators in registers (a group of fewer slices has zero counts in the others).
#define SW_CGROUP(MASKED)                                                                                 \
    for (ptrdiff_t p = 0; p < w->positions; p++, cn += WT_CWINDOW_GROUP) {                                \
        const SW(f) XR0 = SW(load)(xr + SW_W * p), XR1 = SW(load)(xr + SW_W * p + SW_W);                  \
        const SW(f) XI0 = SW(load)(xi + SW_W * p), XI1 = SW(load)(xi + SW_W * p + SW_W);                  \
        SW_CCELL(0, MASKED) SW_CCELL(1, MASKED) SW_CCELL(2, MASKED) SW_CCELL(3, MASKED)                   \
        SW_CCELL(4, MASKED) SW_CCELL(5, MASKED) SW_CCELL(6, MASKED) SW_CCELL(7, MASKED)                   \
        SW_CCELL(8, MASKED)                                                                               \
    }

/// Groups g0 ..< g1 of one example in the position order (groups of WT_CWINDOW_GROUP slices): each
/// part of row r is b[r] + a.
SW_ATTR __attribute__((noinline, aligned(64))) static void SW(cgroups)(const wt_sparse_window *w, const float *wi,
                                                                        const float *br, const float *bi,
                                                                        const float *xr, const float *xi, float *yr,
                                                                        float *yi, int masked, ptrdiff_t g0,
                                                                        ptrdiff_t g1) {
    const SW(f) z = SW(zero)();
    for (ptrdiff_t g = g0; g < g1; g++) {
        SW(f) ar[WT_CWINDOW_GROUP], ai[WT_CWINDOW_GROUP];
        for (int s = 0; s < WT_CWINDOW_GROUP; s++) ar[s] = ai[s] = z;  // unrolled: 18 registers
        const SW(at) at = SW(group_at)(w, wi, g, WT_CWINDOW_GROUP);
        const uint8_t *cn = at.cn, *ip = at.ip;
        const float *rp = at.vp, *qp = at.qp;
        const uint16_t *mp = at.mp;
        if (masked) SW_CGROUP(1) else SW_CGROUP(0)
        const ptrdiff_t s0 = g * WT_CWINDOW_GROUP, s1 = SW(group_end)(w, g, WT_CWINDOW_GROUP);
        // Constant indices only, so that the accumulators stay in registers.
#define SW_COUT(S)                                                                                        \
        if (s0 + (S) < s1) {                                                                              \
            SW(out)(yr, br, s0 + (S), w->rows, ar[S], 0);                                                 \
            SW(out)(yi, bi, s0 + (S), w->rows, ai[S], 0);                                                 \
        }
        SW_COUT(0) SW_COUT(1) SW_COUT(2) SW_COUT(3) SW_COUT(4) SW_COUT(5) SW_COUT(6) SW_COUT(7) SW_COUT(8)
#undef SW_COUT
    }
}
#undef SW_CGROUP
#undef SW_CCELL

/// The complex product of units u0 ..< u1 of one example in the layout's order (groups in the
/// position order, else slices); the 8-lane layout by the W = 8 instantiation.
SW_ATTR static void SW(cwindow)(const wt_sparse_window *w, const float *wi, const float *br, const float *bi,
                                const float *xr, const float *xi, float *yr, float *yi, int masked, ptrdiff_t u0,
                                ptrdiff_t u1) {
    if (w->by_position == WT_CWINDOW_LANES8) spw8_cwindow(w, wi, br, bi, xr, xi, yr, yi, masked, u0, u1);
    else if (w->by_position) SW(cgroups)(w, wi, br, bi, xr, xi, yr, yi, masked, u0, u1);
    else SW(cslices)(w, wi, br, bi, xr, xi, yr, yi, masked, u0, u1);
}
#else
/// The complex product of slices u0 ..< u1 of the 8-lane layout, one example.
SW_ATTR static void SW(cwindow)(const wt_sparse_window *w, const float *wi, const float *br, const float *bi,
                                const float *xr, const float *xi, float *yr, float *yi, int masked, ptrdiff_t u0,
                                ptrdiff_t u1) {
    SW(cslices)(w, wi, br, bi, xr, xi, yr, yi, masked, u0, u1);
}
#endif
#endif  // SW_COMPLEX

#undef SW_INL
