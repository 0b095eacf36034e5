// The row-window layout of a CSR weight and its small-batch product (see kernels_sparse.h,
// wt_sparse_window).
//
// Why: at batch 1 the CSR product is a gathered dot product per row (8-lane hardware gathers), and
// the gathers set its speed (Linear(784, 400) at 95 % sparsity: 5.0 µs for 15.6 k nonzeros, about
// 0.3 ns each, on the Xeon family 6 model 207 of Docs/Inference.md). The window layout puts 16 rows
// in the 16 lanes of one AVX-512 vector: each stored vector holds at most one nonzero per row,
// all in the 32 columns base ..< base + 32, so the inputs it needs are one two-register table
// lookup (vpermt2ps) of x[base ..< base + 32] — no gather, no horizontal sum.
//
// The builder walks the 16 rows of a slice together: the window starts at the multiple of 16 at or
// below the smallest column any row still has to store (clamped to round_up(cols, 16) − 32), and
// every row whose next nonzero falls inside it stores that one. Windows on multiples of 16 make
// both 64-byte loads of x aligned (a window at any column split a cache line on 15 of 16 vectors);
// they fill fewer lanes (random 5 % masks of a 400 × 784 weight: 49 % against 55 %, i.e. 13 % more
// vectors) and still cost 7 % less (Docs/Inference.md, "Session 8").
//
// The input is first copied into 64-byte aligned scratch, zero-padded to round_up(cols, 16), and
// checked for NaN and ±inf in the same pass; an input that is already 64-byte aligned with cols a
// multiple of 16 is only checked and read in place (since session 9). A finite input runs the product without lane masks:
// absent lanes hold the value 0 and index 0, and fma(0, finite, a) = a exactly (a is never −0:
// every accumulator starts at +0 and a round-to-nearest sum is −0 only when both terms are), so
// the result has the masked product's bits. An input with a NaN or an infinity runs the masked
// product, so that it reaches only the rows that store a nonzero in its column. Dropping the masks
// costs one fewer load and one fewer mask move per vector: 13 % of the kernel's time at 95 %.
//
// Sums: in slice order vector v of a slice adds into accumulator (v mod 4), the row's result is
// bias + ((a0 + a1) + (a2 + a3)); in the two position orders each slice has one running sum
// (registers, or an L1 array in the round-robin order), the row's result is bias + a; then ReLU.
// The slices are independent, so any split over threads gives the same bits.
//
// The portable tier has no piece: in plain C the layout's padded lanes cost more than the CSR
// loop saves (400 × 784 at 95 %: 97 µs against 8.6 µs for the portable CSR dot products, gcc -O2).
// AVX2 has no two-register table lookup of 16 lanes, so since session 10 its tier reads its own
// 8-lane layout (WT_WINDOW_LANES8, shared with the complex layer: 8 rows per vector, 16-column
// windows at multiples of 8, two vpermps and a blend per vector; sp_window8_avx2 below):
// Linear(784, 400) at batch 1 with WIRTINGER_ISA=avx2 on the Zen 4 host 3.23 µs at 95 % and
// 1.57 µs at 99 %, against 6.6 and 2.14 µs for the gathers (Docs/Inference.md, "Session 10: the
// AVX2 tier's 8-lane row windows").
#include "kernels_sparse.h"
#include "sparse_window.h"
#include "tiers.h"
#include <stdlib.h>
#include <string.h>

/// Walks the windows of a CSR matrix slice by slice (16 rows), in each slice in ascending window
/// order. Calls emit(ctx, slice, position, mask, index, values) for each vector when emit is set
/// (index and values: 16 entries each, 0 in absent lanes); returns the number of vectors.
typedef void (*sp_window_emit)(void *ctx, ptrdiff_t slice, ptrdiff_t position, uint16_t mask, const uint8_t *index,
                               const float *values);

static ptrdiff_t sp_window_walk(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                                const float *values, sp_window_emit emit, void *ctx) {
    const ptrdiff_t slices = (rows + 15) / 16, last = sp_window_padded(cols) - 32;
    ptrdiff_t v = 0;
    for (ptrdiff_t s = 0; s < slices; s++) {
        int32_t next[16], end[16];
        const int lanes = rows - 16 * s < 16 ? (int)(rows - 16 * s) : 16;
        for (int i = 0; i < 16; i++) {
            next[i] = i < lanes ? row_ptr[16 * s + i] : 0;
            end[i] = i < lanes ? row_ptr[16 * s + i + 1] : 0;
        }
        for (;;) {
            int64_t b = INT64_MAX;
            for (int i = 0; i < 16; i++)
                if (next[i] < end[i] && col_idx[next[i]] < b) b = col_idx[next[i]];
            if (b == INT64_MAX) break;
            b &= ~(int64_t)15;
            if (b > last) b = last;
            uint16_t m = 0;
            uint8_t index[16];
            float vals[16];
            for (int i = 0; i < 16; i++) {
                const int take = next[i] < end[i] && col_idx[next[i]] < b + 32;
                index[i] = take ? (uint8_t)(col_idx[next[i]] - b) : 0;
                vals[i] = take && values ? values[next[i]] : 0.0f;
                if (take) { m |= (uint16_t)(1u << i); next[i]++; }
            }
            if (emit) emit(ctx, s, (ptrdiff_t)(b / 16), m, index, vals);
            v++;
        }
    }
    return v;
}

ptrdiff_t wt_scsr_window_count(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx) {
    if (rows < 0 || cols < 32) return -1;
    return sp_window_walk(rows, cols, row_ptr, col_idx, NULL, NULL, NULL);
}

typedef struct {
    ptrdiff_t positions;
    ptrdiff_t group;    // slices per group (position order)
    uint8_t *count;     // first pass: vectors per (group, position, slice of the group)
    int32_t *cursor;    // second pass: where the next vector of each cell goes (position order)
    int32_t *slice_start;  // slice order: the slices' first vectors, filled as they come
    uint32_t *base;
    ptrdiff_t next;     // slice order: the next vector
    uint16_t *mask;
    uint8_t *index;
    float *values;
} sp_window_fill_ctx;

/// The cell of slice s at position p: (group, position, slice within the group), group-major.
static ptrdiff_t sp_window_cell(const sp_window_fill_ctx *c, ptrdiff_t s, ptrdiff_t p) {
    return ((s / c->group) * c->positions + p) * c->group + s % c->group;
}

static void sp_window_count_cell(void *ctx, ptrdiff_t s, ptrdiff_t p, uint16_t m, const uint8_t *ix, const float *vs) {
    (void)m; (void)ix; (void)vs;
    sp_window_fill_ctx *c = (sp_window_fill_ctx *)ctx;
    c->count[sp_window_cell(c, s, p)]++;
}

static void sp_window_place(void *ctx, ptrdiff_t s, ptrdiff_t p, uint16_t m, const uint8_t *ix, const float *vs) {
    sp_window_fill_ctx *c = (sp_window_fill_ctx *)ctx;
    ptrdiff_t v;
    if (c->cursor) {
        v = c->cursor[sp_window_cell(c, s, p)]++;
    } else {  // slice order: vectors as they come; slices without vectors are filled in afterwards
        v = c->next++;
        c->base[v] = (uint32_t)(16 * p);
        if (c->slice_start[s] < 0) c->slice_start[s] = (int32_t)v;
    }
    c->mask[v] = m;
    memcpy(c->index + 16 * v, ix, 16);
    memcpy(c->values + 16 * v, vs, 16 * sizeof(float));
}

/// The round-robin position order (by_position = 2) from the position order: at each position of
/// each group, the k-th vector of every slice that has one, for k = 0, 1, … (see kernels_sparse.h).
static int sp_window_fill_round_robin(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                                      const float *values, int32_t *group_start, uint16_t *position_count,
                                      uint8_t *slice_of, uint16_t *mask, uint8_t *index, float *wvalues) {
    const ptrdiff_t slices = (rows + 15) / 16, groups = (slices + WT_WINDOW_GROUP - 1) / WT_WINDOW_GROUP;
    const ptrdiff_t positions = wt_window_positions(cols), cells = groups * positions * WT_WINDOW_GROUP;
    const ptrdiff_t vectors = sp_window_walk(rows, cols, row_ptr, col_idx, NULL, NULL, NULL);
    const ptrdiff_t n = vectors > 0 ? vectors : 1;
    uint8_t *tc = (uint8_t *)malloc((size_t)(cells > 0 ? cells : 1));
    int32_t *tg = (int32_t *)malloc((size_t)(groups + 1) * sizeof(int32_t));
    uint16_t *tm = (uint16_t *)malloc((size_t)n * sizeof(uint16_t));
    uint8_t *ti = (uint8_t *)malloc((size_t)n * 16);
    float *tv = (float *)malloc((size_t)n * 16 * sizeof(float));
    int status = -1;
    if (tc && tg && tm && ti && tv &&
        wt_scsr_window_fill(rows, cols, row_ptr, col_idx, values, 1, NULL, NULL, tc, tg, NULL, NULL, tm, ti, tv) == 0) {
        ptrdiff_t o = 0, from = 0;  // next output vector; first vector of the current position (position order)
        for (ptrdiff_t g = 0; g < groups; g++) {
            group_start[g] = (int32_t)o;
            for (ptrdiff_t p = 0; p < positions; p++) {
                const uint8_t *cn = tc + (g * positions + p) * WT_WINDOW_GROUP;
                ptrdiff_t first[WT_WINDOW_GROUP], most = 0, here = 0;
                for (int j = 0; j < WT_WINDOW_GROUP; j++) {
                    first[j] = from + here;
                    here += cn[j];
                    if (cn[j] > most) most = cn[j];
                }
                for (ptrdiff_t k = 0; k < most; k++)
                    for (int j = 0; j < WT_WINDOW_GROUP; j++) {
                        if (cn[j] <= k) continue;
                        const ptrdiff_t v = first[j] + k;
                        mask[o] = tm[v];
                        memcpy(index + 16 * o, ti + 16 * v, 16);
                        memcpy(wvalues + 16 * o, tv + 16 * v, 16 * sizeof(float));
                        slice_of[o] = (uint8_t)j;
                        o++;
                    }
                position_count[g * positions + p] = (uint16_t)here;
                from += here;
            }
        }
        group_start[groups] = (int32_t)o;
        status = 0;
    }
    free(tc); free(tg); free(tm); free(ti); free(tv);
    return status;
}

int wt_scsr_window_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                        const float *values, int by_position, int32_t *slice_start, uint32_t *base, uint8_t *count,
                        int32_t *group_start, uint16_t *position_count, uint8_t *slice_of, uint16_t *mask,
                        uint8_t *index, float *wvalues) {
    if (rows < 0 || cols < 32) return -1;
    if (by_position == 2)
        return sp_window_fill_round_robin(rows, cols, row_ptr, col_idx, values, group_start, position_count, slice_of,
                                          mask, index, wvalues);
    if (!by_position) {
        const ptrdiff_t slices = (rows + 15) / 16;
        sp_window_fill_ctx c = {wt_window_positions(cols), WT_WINDOW_GROUP, count, NULL, slice_start, base, 0, mask, index, wvalues};
        for (ptrdiff_t s = 0; s <= slices; s++) slice_start[s] = -1;
        const ptrdiff_t v = sp_window_walk(rows, cols, row_ptr, col_idx, values, sp_window_place, &c);
        slice_start[slices] = (int32_t)v;
        for (ptrdiff_t s = slices - 1; s >= 0; s--)  // an empty slice starts where the next one does
            if (slice_start[s] < 0) slice_start[s] = slice_start[s + 1];
        return 0;
    }
    return sp_window_fill_grouped(rows, cols, row_ptr, col_idx, values, WT_WINDOW_GROUP, count, group_start, mask,
                                  index, wvalues);
}

int sp_window_fill_grouped(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                           const float *values, ptrdiff_t group, uint8_t *count, int32_t *group_start, uint16_t *mask,
                           uint8_t *index, float *wvalues) {
    if (rows < 0 || cols < 32 || group < 1) return -1;
    const ptrdiff_t slices = (rows + 15) / 16, groups = (slices + group - 1) / group;
    sp_window_fill_ctx c = {wt_window_positions(cols), group, count, NULL, NULL, NULL, 0, mask, index, wvalues};
    const ptrdiff_t cells = groups * c.positions * group;
    memset(count, 0, (size_t)cells);
    (void)sp_window_walk(rows, cols, row_ptr, col_idx, values, sp_window_count_cell, &c);
    c.cursor = (int32_t *)malloc((size_t)(cells > 0 ? cells : 1) * sizeof(int32_t));
    if (!c.cursor) return -1;
    int32_t v = 0;
    for (ptrdiff_t k = 0; k < cells; k++) {
        if (k % (c.positions * group) == 0) group_start[k / (c.positions * group)] = v;
        c.cursor[k] = v;
        v += count[k];
    }
    group_start[groups] = v;
    (void)sp_window_walk(rows, cols, row_ptr, col_idx, values, sp_window_place, &c);
    free(c.cursor);
    return 0;
}

// MARK: - The 8-lane layout of the AVX2 tier (WT_WINDOW_LANES8), real and complex

ptrdiff_t sp_window8_walk(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                          const float *vr, const float *vi, int32_t *slice_start, uint32_t *base, uint16_t *mask,
                          uint8_t *index, float *wvr, float *wvi) {
    const ptrdiff_t slices = (rows + 7) / 8, last = ((cols + 7) & ~(ptrdiff_t)7) - 16;
    ptrdiff_t v = 0;
    for (ptrdiff_t s = 0; s < slices; s++) {
        int32_t next[8], end[8];
        const int lanes = rows - 8 * s < 8 ? (int)(rows - 8 * s) : 8;
        for (int i = 0; i < 8; i++) {
            next[i] = i < lanes ? row_ptr[8 * s + i] : 0;
            end[i] = i < lanes ? row_ptr[8 * s + i + 1] : 0;
        }
        if (slice_start) slice_start[s] = (int32_t)v;
        for (;;) {
            int64_t b = INT64_MAX;
            for (int i = 0; i < 8; i++)
                if (next[i] < end[i] && col_idx[next[i]] < b) b = col_idx[next[i]];
            if (b == INT64_MAX) break;
            b &= ~(int64_t)7;
            if (b > last) b = last;
            uint16_t m = 0;
            for (int i = 0; i < 8; i++) {
                const int take = next[i] < end[i] && col_idx[next[i]] < b + 16;
                if (mask) {
                    index[8 * v + i] = take ? (uint8_t)(col_idx[next[i]] - b) : 0;
                    wvr[8 * v + i] = take && vr ? vr[next[i]] : 0.0f;
                    if (wvi) wvi[8 * v + i] = take && vi ? vi[next[i]] : 0.0f;
                }
                if (take) { m |= (uint16_t)(1u << i); next[i]++; }
            }
            if (mask) { mask[v] = m; base[v] = (uint32_t)b; }
            v++;
        }
    }
    if (slice_start) slice_start[slices] = (int32_t)v;
    return v;
}

ptrdiff_t wt_scsr_window8_count(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx) {
    if (rows < 0 || cols < 16) return -1;
    return sp_window8_walk(rows, cols, row_ptr, col_idx, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
}

int wt_scsr_window8_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                         const float *values, int32_t *slice_start, uint32_t *base, uint16_t *mask, uint8_t *index,
                         float *wvalues) {
    if (rows < 0 || cols < 16) return -1;
    (void)sp_window8_walk(rows, cols, row_ptr, col_idx, values, NULL, slice_start, base, mask, index, wvalues, NULL);
    return 0;
}

#if WT_X86
/// Copies one example's part x[0 ..< cols] into xa (32-byte aligned, round_up(cols, 8) floats,
/// zeros after cols); returns 1 when every input is finite (x − x = 0), 0 when one is NaN or ±inf.
WT_TARGET_AVX2
int sp_window8_input_avx2(const float *x, ptrdiff_t cols, float *xa) {
    __m256 bad = _mm256_setzero_ps();
    ptrdiff_t c = 0;
    for (; c + 8 <= cols; c += 8) {
        const __m256 v = _mm256_loadu_ps(x + c);
        const __m256 d = _mm256_sub_ps(v, v);
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(d, d, _CMP_UNORD_Q));
        _mm256_store_ps(xa + c, v);
    }
    if (c < cols) {
        const __m256i k = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(cols - c)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        const __m256 v = _mm256_maskload_ps(x + c, k);
        const __m256 d = _mm256_sub_ps(v, v);
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(d, d, _CMP_UNORD_Q));
        _mm256_store_ps(xa + c, v);
    }
    return _mm256_movemask_ps(bad) == 0;
}


WT_TARGET_AVX2
int sp_window8_finite_avx2(const float *x, ptrdiff_t cols) {
    __m256 bad = _mm256_setzero_ps();
    for (ptrdiff_t c = 0; c + 8 <= cols; c += 8) {
        const __m256 v = _mm256_load_ps(x + c);
        const __m256 d = _mm256_sub_ps(v, v);
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(d, d, _CMP_UNORD_Q));
    }
    return _mm256_movemask_ps(bad) == 0;
}

/// Vector O of the slice: a ← a + values · x[base + index] in every lane (MASKED = 0: a finite
/// input, absent lanes add 0 · x[base]) or in the mask's lanes only (MASKED = 1: the sum blended
/// back in the others). The inputs: two vpermps of the 16 aligned inputs from base (each picks
/// by the index's low 3 bits) and a blend on its bit 3, moved to the sign by a shift.
#define SP8_STEP(A, O, MASKED)                                                                            \
    {                                                                                                     \
        const __m256i ix_ = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(ip + 8 * (O))));       \
        const float *p_ = x + bp[O];                                                                      \
        const __m256 u_ = _mm256_blendv_ps(_mm256_permutevar8x32_ps(_mm256_load_ps(p_), ix_),             \
                                           _mm256_permutevar8x32_ps(_mm256_load_ps(p_ + 8), ix_),         \
                                           _mm256_castsi256_ps(_mm256_slli_epi32(ix_, 28)));              \
        const __m256 f_ = _mm256_fmadd_ps(_mm256_load_ps(vp + 8 * (O)), u_, A);                           \
        if (MASKED) {                                                                                     \
            const __m256i m_ = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(mp[O]), bits), bits); \
            A = _mm256_blendv_ps(A, f_, _mm256_castsi256_ps(m_));                                         \
        } else {                                                                                          \
            A = f_;                                                                                       \
        }                                                                                                 \
    }

#define SP8_SLICES(MASKED)                                                                                \
    for (ptrdiff_t s = s0; s < s1; s++) {                                                                 \
        __m256 a0 = z, a1 = z, a2 = z, a3 = z;                                                            \
        ptrdiff_t v = w->slice_start[s];                                                                  \
        const ptrdiff_t e = w->slice_start[s + 1];                                                        \
        const uint32_t *bp = w->base + v;                                                                 \
        const uint16_t *mp = w->mask + v;                                                                 \
        const uint8_t *ip = w->index + 8 * v;                                                             \
        const float *vp = w->values + 8 * v;                                                              \
        (void)mp;                                                                                         \
        for (; v + 4 <= e; v += 4, bp += 4, mp += 4, ip += 32, vp += 32) {                                \
            SP8_STEP(a0, 0, MASKED)                                                                       \
            SP8_STEP(a1, 1, MASKED)                                                                       \
            SP8_STEP(a2, 2, MASKED)                                                                       \
            SP8_STEP(a3, 3, MASKED)                                                                       \
        }                                                                                                 \
        if (v < e) SP8_STEP(a0, 0, MASKED)                                                                \
        if (v + 1 < e) SP8_STEP(a1, 1, MASKED)                                                            \
        if (v + 2 < e) SP8_STEP(a2, 2, MASKED)                                                            \
        const int lanes = w->rows - 8 * s < 8 ? (int)(w->rows - 8 * s) : 8;                               \
        const __m256i k = _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); \
        __m256 out = _mm256_add_ps(bias ? _mm256_maskload_ps(bias + 8 * s, k) : z,                        \
                                   _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));          \
        if (relu) /* > 0 or NaN kept, others +0 */                                                        \
            out = _mm256_and_ps(out, _mm256_or_ps(_mm256_cmp_ps(out, z, _CMP_GT_OQ), _mm256_cmp_ps(out, out, _CMP_UNORD_Q))); \
        _mm256_maskstore_ps(y + 8 * s, k, out);                                                           \
    }

WT_TARGET_AVX2
__attribute__((noinline, aligned(64))) void sp_window8_avx2(const wt_sparse_window *w, const float *bias, const float *x,
                                                            float *y, int relu, int masked, ptrdiff_t s0, ptrdiff_t s1) {
    const __m256 z = _mm256_setzero_ps();
    const __m256i bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    (void)bits;
    if (masked) {
        SP8_SLICES(1)
    } else {
        SP8_SLICES(0)
    }
}
#undef SP8_SLICES
#undef SP8_STEP

WT_TARGET_AVX512
int sp_window_input_avx512(const float *x, ptrdiff_t cols, float *xa) {
    const ptrdiff_t c16 = cols & ~(ptrdiff_t)15;
    __mmask16 bad = 0;
    for (ptrdiff_t c = 0; c < c16; c += 16) {
        __m512 v = _mm512_loadu_ps(x + c);
        bad |= _mm512_fpclass_ps_mask(v, 0x99);  // QNaN, +inf, −inf, SNaN
        _mm512_store_ps(xa + c, v);
    }
    if (c16 < cols) {
        const __mmask16 k = (__mmask16)((1u << (cols - c16)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(k, x + c16);
        bad |= _mm512_fpclass_ps_mask(v, 0x99);
        _mm512_store_ps(xa + c16, v);
    }
    return bad == 0;
}

WT_TARGET_AVX512
int sp_window_finite_avx512(const float *x, ptrdiff_t cols) {
    __mmask16 bad = 0;
    for (ptrdiff_t c = 0; c + 16 <= cols; c += 16) bad |= _mm512_fpclass_ps_mask(_mm512_load_ps(x + c), 0x99);
    return bad == 0;
}

/// The inputs of vector o of the group at bp/ip: x[base + index] in each lane, one two-register
/// table lookup of the 32 aligned inputs from base.
#define WT_SPW_LOOKUP(O)                                                                                   \
    _mm512_permutex2var_ps(_mm512_load_ps(x + bp[O]),                                                     \
                           _mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)(ip + 16 * (O)))),         \
                           _mm512_load_ps(x + bp[O] + 16))

/// Vector o of the group: a ← a + values · x[base + index] in every lane (absent lanes add
/// 0 · x[base]; the input is finite).
#define WT_SPW_STEP(A, O) (A = _mm512_fmadd_ps(_mm512_load_ps(vp + 16 * (O)), WT_SPW_LOOKUP(O), A))

/// The same in the mask's lanes only (an input with a NaN or an infinity).
#define WT_SPW_STEP_MASKED(A, O) \
    (A = _mm512_mask3_fmadd_ps(_mm512_load_ps(vp + 16 * (O)), WT_SPW_LOOKUP(O), A, (__mmask16)mp[O]))

/// The slices s0 ..< s1 with four accumulators; STEP is WT_SPW_STEP or WT_SPW_STEP_MASKED.
#define WT_SPW_SLICES(STEP)                                                                               \
    for (ptrdiff_t s = s0; s < s1; s++) {                                                                 \
        __m512 a0 = z, a1 = z, a2 = z, a3 = z;                                                            \
        ptrdiff_t v = w->slice_start[s];                                                                  \
        const ptrdiff_t e = w->slice_start[s + 1];                                                        \
        const uint32_t *bp = w->base + v;                                                                 \
        const uint16_t *mp = w->mask + v;                                                                 \
        const uint8_t *ip = w->index + 16 * v;                                                            \
        const float *vp = w->values + 16 * v;                                                             \
        (void)mp;                                                                                         \
        for (; v + 4 <= e; v += 4, bp += 4, mp += 4, ip += 64, vp += 64) {                                \
            STEP(a0, 0);                                                                                  \
            STEP(a1, 1);                                                                                  \
            STEP(a2, 2);                                                                                  \
            STEP(a3, 3);                                                                                  \
        }                                                                                                 \
        if (v < e) STEP(a0, 0);                                                                           \
        if (v + 1 < e) STEP(a1, 1);                                                                       \
        if (v + 2 < e) STEP(a2, 2);                                                                       \
        const int lanes = w->rows - 16 * s < 16 ? (int)(w->rows - 16 * s) : 16;                           \
        const __mmask16 k = (__mmask16)((1u << lanes) - 1);                                               \
        __m512 out = _mm512_add_ps(bias ? _mm512_maskz_loadu_ps(k, bias + 16 * s) : z,                    \
                                   _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));          \
        if (relu)                                                                                         \
            out = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(out, z, _CMP_GT_OQ) | _mm512_cmp_ps_mask(out, out, _CMP_UNORD_Q), out); \
        _mm512_mask_storeu_ps(y + 16 * s, k, out);                                                        \
    }

WT_TARGET_AVX512
__attribute__((noinline, aligned(64))) static void sp_window_slices_avx512(const wt_sparse_window *w, const float *bias, const float *x, float *y, int relu,
                             int masked, ptrdiff_t s0, ptrdiff_t s1) {
    const __m512 z = _mm512_setzero_ps();
    if (masked) {
        WT_SPW_SLICES(WT_SPW_STEP_MASKED)
    } else {
        WT_SPW_SLICES(WT_SPW_STEP)
    }
}
#undef WT_SPW_SLICES
#undef WT_SPW_STEP
#undef WT_SPW_STEP_MASKED
#undef WT_SPW_LOOKUP

/// The vectors of slice S of the group at the current position: a[S] ← a[S] + values · x[16p + index]
/// (x[16p ..< 16p + 32] in X0, X1), in every lane (finite input: absent lanes add 0 · x) or, with
/// MASKED, in the mask's lanes only. Not unrolled: the counts are mostly 0–3, and clang's
/// two-way unrolling added branches that mispredict (2.86 against 2.50 µs at 95 %).
/// The empty asm after the loop states that a[S] is in a register there: without it clang kept
/// every accumulator in a stack slot between cells as well (a 64-byte load before and a store after
/// each of the 1,200 cells of a 400 × 784 layout) and the product at 95 % took 1.91 µs; with it
/// 1.53 µs, same instructions otherwise, same bits (Docs/Inference.md, "Session 9").
#define WT_SPW_CELL(S, MASKED)                                                                             \
    _Pragma("clang loop unroll(disable)")                                                                 \
    for (int k = cn[S]; k; k--, ip += 16, vp += 16, mp++) {                                               \
        const __m512 xv = _mm512_permutex2var_ps(X0, _mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)ip)), X1); \
        if (MASKED) a[S] = _mm512_mask3_fmadd_ps(_mm512_load_ps(vp), xv, a[S], (__mmask16)*mp);           \
        else a[S] = _mm512_fmadd_ps(_mm512_load_ps(vp), xv, a[S]);                                        \
    }                                                                                                     \
    __asm__("" : "+v"(a[S]));

/// One group's product: positions outermost, the group's 25 slices inside with their
/// accumulators in registers (the code is unrolled over the slices; a group of fewer slices has
/// zero counts in the others).
#define WT_SPW_GROUP(MASKED)                                                                              \
    for (ptrdiff_t p = 0; p < w->positions; p++, cn += WT_WINDOW_GROUP) {                                 \
        const __m512 X0 = _mm512_load_ps(x + 16 * p), X1 = _mm512_load_ps(x + 16 * p + 16);              \
        WT_SPW_CELL(0, MASKED) WT_SPW_CELL(1, MASKED) WT_SPW_CELL(2, MASKED) WT_SPW_CELL(3, MASKED)       \
        WT_SPW_CELL(4, MASKED) WT_SPW_CELL(5, MASKED) WT_SPW_CELL(6, MASKED) WT_SPW_CELL(7, MASKED)       \
        WT_SPW_CELL(8, MASKED) WT_SPW_CELL(9, MASKED) WT_SPW_CELL(10, MASKED) WT_SPW_CELL(11, MASKED)     \
        WT_SPW_CELL(12, MASKED) WT_SPW_CELL(13, MASKED) WT_SPW_CELL(14, MASKED) WT_SPW_CELL(15, MASKED)   \
        WT_SPW_CELL(16, MASKED) WT_SPW_CELL(17, MASKED) WT_SPW_CELL(18, MASKED) WT_SPW_CELL(19, MASKED)   \
        WT_SPW_CELL(20, MASKED) WT_SPW_CELL(21, MASKED) WT_SPW_CELL(22, MASKED) WT_SPW_CELL(23, MASKED)   \
        WT_SPW_CELL(24, MASKED)                                                                           \
    }

#if WT_WINDOW_GROUP != 25
#error "WT_SPW_GROUP is unrolled for groups of 25 slices"
#endif

WT_TARGET_AVX512
__attribute__((noinline, aligned(64))) static void sp_window_groups_avx512(const wt_sparse_window *w, const float *bias, const float *x, float *y, int relu,
                             int masked, ptrdiff_t g0, ptrdiff_t g1) {
    const __m512 z = _mm512_setzero_ps();
    for (ptrdiff_t g = g0; g < g1; g++) {
        __m512 a[WT_WINDOW_GROUP];
        for (int s = 0; s < WT_WINDOW_GROUP; s++) a[s] = z;  // unrolled: 25 registers
        const uint8_t *cn = w->count + g * w->positions * WT_WINDOW_GROUP;
        const ptrdiff_t v = w->group_start[g];
        const uint8_t *ip = w->index + 16 * v;
        const float *vp = w->values + 16 * v;
        const uint16_t *mp = w->mask + v;
        if (masked) {
            WT_SPW_GROUP(1)
        } else {
            WT_SPW_GROUP(0)
        }
        const ptrdiff_t s0 = g * WT_WINDOW_GROUP;
        const ptrdiff_t s1 = w->slices - s0 < WT_WINDOW_GROUP ? w->slices : s0 + WT_WINDOW_GROUP;
        // Constant indices only, so that the accumulators stay in registers.
#define WT_SPW_OUT(S)                                                                                     \
        if (s0 + (S) < s1) {                                                                              \
            const ptrdiff_t s = s0 + (S);                                                                 \
            const int lanes = w->rows - 16 * s < 16 ? (int)(w->rows - 16 * s) : 16;                       \
            const __mmask16 k = (__mmask16)((1u << lanes) - 1);                                           \
            __m512 out = _mm512_add_ps(bias ? _mm512_maskz_loadu_ps(k, bias + 16 * s) : z, a[S]);         \
            if (relu)                                                                                     \
                out = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(out, z, _CMP_GT_OQ) | _mm512_cmp_ps_mask(out, out, _CMP_UNORD_Q), out); \
            _mm512_mask_storeu_ps(y + 16 * s, k, out);                                                    \
        }
        WT_SPW_OUT(0) WT_SPW_OUT(1) WT_SPW_OUT(2) WT_SPW_OUT(3) WT_SPW_OUT(4) WT_SPW_OUT(5) WT_SPW_OUT(6)
        WT_SPW_OUT(7) WT_SPW_OUT(8) WT_SPW_OUT(9) WT_SPW_OUT(10) WT_SPW_OUT(11) WT_SPW_OUT(12) WT_SPW_OUT(13)
        WT_SPW_OUT(14) WT_SPW_OUT(15) WT_SPW_OUT(16) WT_SPW_OUT(17) WT_SPW_OUT(18) WT_SPW_OUT(19) WT_SPW_OUT(20)
        WT_SPW_OUT(21) WT_SPW_OUT(22) WT_SPW_OUT(23) WT_SPW_OUT(24)
#undef WT_SPW_OUT
    }
}
#undef WT_SPW_GROUP
#undef WT_SPW_CELL

/// Groups g0 ..< g1 in the round-robin position order: the vectors of a position in one run, each
/// adding into its slice's sum held in an L1 array (a load and a store per vector; no count and
/// branch per (position, slice) cell). A slice's vectors come in the position order's sequence,
/// so the sums are the position order's, bit for bit. Round-robin keeps a slice's consecutive
/// vectors apart (up to one per other non-empty slice in between), so a sum's store has usually
/// left before it is loaded again.
WT_TARGET_AVX512
__attribute__((noinline, aligned(64))) static void sp_window_round_robin_avx512(const wt_sparse_window *w, const float *bias,
                                                                             const float *x, float *y, int relu, int masked,
                                                                             ptrdiff_t g0, ptrdiff_t g1) {
    const __m512 z = _mm512_setzero_ps();
    float acc[16 * WT_WINDOW_GROUP] __attribute__((aligned(64)));
    for (ptrdiff_t g = g0; g < g1; g++) {
        for (int s = 0; s < WT_WINDOW_GROUP; s++) _mm512_store_ps(acc + 16 * s, z);
        const uint16_t *pc = w->position_count + g * w->positions;
        const ptrdiff_t v = w->group_start[g];
        const uint8_t *ip = w->index + 16 * v, *sp = w->slice_of + v;
        const float *vp = w->values + 16 * v;
        const uint16_t *mp = w->mask + v;
        for (ptrdiff_t p = 0; p < w->positions; p++) {
            const __m512 X0 = _mm512_load_ps(x + 16 * p), X1 = _mm512_load_ps(x + 16 * p + 16);
            if (masked) {
                for (int k = pc[p]; k; k--, ip += 16, vp += 16, mp++, sp++) {
                    float *a = acc + 16 * *sp;
                    const __m512 xv = _mm512_permutex2var_ps(X0, _mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)ip)), X1);
                    _mm512_store_ps(a, _mm512_mask3_fmadd_ps(_mm512_load_ps(vp), xv, _mm512_load_ps(a), (__mmask16)*mp));
                }
            } else {
                for (int k = pc[p]; k; k--, ip += 16, vp += 16, sp++) {
                    float *a = acc + 16 * *sp;
                    const __m512 xv = _mm512_permutex2var_ps(X0, _mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)ip)), X1);
                    _mm512_store_ps(a, _mm512_fmadd_ps(_mm512_load_ps(vp), xv, _mm512_load_ps(a)));
                }
            }
        }
        const ptrdiff_t s0 = g * WT_WINDOW_GROUP;
        const ptrdiff_t s1 = w->slices - s0 < WT_WINDOW_GROUP ? w->slices : s0 + WT_WINDOW_GROUP;
        for (ptrdiff_t s = s0; s < s1; s++) {
            const int lanes = w->rows - 16 * s < 16 ? (int)(w->rows - 16 * s) : 16;
            const __mmask16 k = (__mmask16)((1u << lanes) - 1);
            __m512 out = _mm512_add_ps(bias ? _mm512_maskz_loadu_ps(k, bias + 16 * s) : z, _mm512_load_ps(acc + 16 * (s - s0)));
            if (relu)
                out = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(out, z, _CMP_GT_OQ) | _mm512_cmp_ps_mask(out, out, _CMP_UNORD_Q), out);
            _mm512_mask_storeu_ps(y + 16 * s, k, out);
        }
    }
}

WT_TARGET_AVX512
void sp_window_avx512(const wt_sparse_window *w, const float *bias, const float *x, float *y, int relu, int masked,
                      ptrdiff_t u0, ptrdiff_t u1) {
    if (w->by_position == WT_WINDOW_LANES8) sp_window8_avx2(w, bias, x, y, relu, masked, u0, u1);
    else if (w->by_position == 2) sp_window_round_robin_avx512(w, bias, x, y, relu, masked, u0, u1);
    else if (w->by_position) sp_window_groups_avx512(w, bias, x, y, relu, masked, u0, u1);
    else sp_window_slices_avx512(w, bias, x, y, relu, masked, u0, u1);
}
#endif
