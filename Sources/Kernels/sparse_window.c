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
// windows at multiples of 8, two vpermps and a blend per vector): Linear(784, 400) at batch 1 with
// WIRTINGER_ISA=avx2 on the Zen 4 host 3.23 µs at 95 % and 1.57 µs at 99 %, against 6.6 and
// 2.14 µs for the gathers (Docs/Inference.md, "Session 10: the AVX2 tier's 8-lane row windows").
//
// Since session 11 the products are one source: sparse_window_vec.h writes the input copy, the
// slice order and the two position orders once over a vector of W lanes (both layouts are W rows
// per vector in windows of 2W columns), with the window lookup, the masked multiply-add and the
// partial loads and stores as per-tier primitives; sparse_window_tiers.h instantiates it at the
// end of this file as spw8_* (AVX2 target) and spw16_* (AVX-512 target), which sparse.c's tier
// table picks by wt_active_isa(). This file keeps the layout builders.
#include "kernels_sparse.h"
#include "sparse_window.h"
#include "tiers.h"
#include <stdlib.h>
#include <string.h>

/// Walks the windows of a CSR matrix for a layout of L rows per vector (L = 16, or 8 for the
/// 8-lane layout WT_WINDOW_LANES8), slice by slice (L rows), in each slice in ascending window
/// order: the window starts at the multiple of L at or below the smallest column a row of the
/// slice still has to store (clamped to round_up(cols, L) − 2L), and every row whose next nonzero
/// lies in its 2L columns stores that one. Calls emit(ctx, slice, base, mask, index, nz) for each
/// vector when emit is set (index: L entries, 0 in absent lanes; nz: the lane's nonzero k, the
/// position in col_idx, or -1 in absent lanes); returns the number of vectors. One walk for both
/// widths and for the real and the complex layer, as the products are one body over W lanes.
typedef void (*sp_window_emit)(void *ctx, ptrdiff_t slice, ptrdiff_t base, uint16_t mask, const uint8_t *index,
                               const int32_t *nz);

static ptrdiff_t sp_window_walk(ptrdiff_t rows, ptrdiff_t cols, int L, const int32_t *row_ptr, const int32_t *col_idx,
                                sp_window_emit emit, void *ctx) {
    const ptrdiff_t slices = (rows + L - 1) / L, last = ((cols + L - 1) & ~(ptrdiff_t)(L - 1)) - 2 * L;
    ptrdiff_t v = 0;
    for (ptrdiff_t s = 0; s < slices; s++) {
        int32_t next[16], end[16];
        const int lanes = rows - L * s < L ? (int)(rows - L * s) : L;
        for (int i = 0; i < L; i++) {
            next[i] = i < lanes ? row_ptr[L * s + i] : 0;
            end[i] = i < lanes ? row_ptr[L * s + i + 1] : 0;
        }
        for (;;) {
            int64_t b = INT64_MAX;
            for (int i = 0; i < L; i++)
                if (next[i] < end[i] && col_idx[next[i]] < b) b = col_idx[next[i]];
            if (b == INT64_MAX) break;
            b &= ~(int64_t)(L - 1);
            if (b > last) b = last;
            uint16_t m = 0;
            uint8_t index[16];
            int32_t nz[16];
            for (int i = 0; i < L; i++) {
                const int take = next[i] < end[i] && col_idx[next[i]] < b + 2 * L;
                index[i] = take ? (uint8_t)(col_idx[next[i]] - b) : 0;
                nz[i] = take ? next[i] : -1;
                if (take) { m |= (uint16_t)(1u << i); next[i]++; }
            }
            if (emit) emit(ctx, s, (ptrdiff_t)b, m, index, nz);
            v++;
        }
    }
    return v;
}

ptrdiff_t wt_scsr_window_count(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx) {
    if (rows < 0 || cols < 32) return -1;
    return sp_window_vectors(rows, cols, 16, row_ptr, col_idx);
}

typedef struct {
    int lanes;          // L: rows per vector
    ptrdiff_t positions;
    ptrdiff_t group;    // slices per group (position order)
    uint8_t *count;     // first pass: vectors per (group, position, slice of the group)
    int32_t *cursor;    // second pass: where the next vector of each cell goes (position order)
    int32_t *slice_start;  // slice order: the slices' first vectors, filled as they come
    uint32_t *base;
    ptrdiff_t next;     // slice order: the next vector
    uint16_t *mask;
    uint8_t *index;
    const float *vr, *vi;  // the nonzeros' values (and imaginary parts), or NULL: zeros
    float *wvr, *wvi;   // the layout's values (L per vector; wvi NULL: none)
} sp_window_fill_ctx;

/// The cell of slice s at position p: (group, position, slice within the group), group-major.
static ptrdiff_t sp_window_cell(const sp_window_fill_ctx *c, ptrdiff_t s, ptrdiff_t p) {
    return ((s / c->group) * c->positions + p) * c->group + s % c->group;
}

static void sp_window_count_cell(void *ctx, ptrdiff_t s, ptrdiff_t b, uint16_t m, const uint8_t *ix,
                                 const int32_t *nz) {
    (void)m; (void)ix; (void)nz;
    sp_window_fill_ctx *c = (sp_window_fill_ctx *)ctx;
    c->count[sp_window_cell(c, s, b / c->lanes)]++;
}

static void sp_window_place(void *ctx, ptrdiff_t s, ptrdiff_t b, uint16_t m, const uint8_t *ix, const int32_t *nz) {
    sp_window_fill_ctx *c = (sp_window_fill_ctx *)ctx;
    const int L = c->lanes;
    ptrdiff_t v;
    if (c->cursor) {
        v = c->cursor[sp_window_cell(c, s, b / L)]++;
    } else {  // slice order: vectors as they come; slices without vectors are filled in afterwards
        v = c->next++;
        c->base[v] = (uint32_t)b;
        if (c->slice_start[s] < 0) c->slice_start[s] = (int32_t)v;
    }
    c->mask[v] = m;
    memcpy(c->index + L * v, ix, (size_t)L);
    for (int i = 0; i < L; i++) {
        c->wvr[L * v + i] = nz[i] >= 0 && c->vr ? c->vr[nz[i]] : 0.0f;
        if (c->wvi) c->wvi[L * v + i] = nz[i] >= 0 && c->vi ? c->vi[nz[i]] : 0.0f;
    }
}

ptrdiff_t sp_window_vectors(ptrdiff_t rows, ptrdiff_t cols, int L, const int32_t *row_ptr, const int32_t *col_idx) {
    return sp_window_walk(rows, cols, L, row_ptr, col_idx, NULL, NULL);
}

ptrdiff_t sp_window_fill_slices(ptrdiff_t rows, ptrdiff_t cols, int L, const int32_t *row_ptr,
                                       const int32_t *col_idx, const float *vr, const float *vi,
                                       int32_t *slice_start, uint32_t *base, uint16_t *mask, uint8_t *index,
                                       float *wvr, float *wvi) {
    const ptrdiff_t slices = (rows + L - 1) / L;
    sp_window_fill_ctx c = {L, 0, 1, NULL, NULL, slice_start, base, 0, mask, index, vr, vi, wvr, wvi};
    for (ptrdiff_t s = 0; s <= slices; s++) slice_start[s] = -1;
    const ptrdiff_t v = sp_window_walk(rows, cols, L, row_ptr, col_idx, sp_window_place, &c);
    slice_start[slices] = (int32_t)v;
    for (ptrdiff_t s = slices - 1; s >= 0; s--)
        if (slice_start[s] < 0) slice_start[s] = slice_start[s + 1];
    return v;
}

/// The round-robin position order (by_position = 2) from the position order: at each position of
/// each group, the k-th vector of every slice that has one, for k = 0, 1, … (see kernels_sparse.h).
static int sp_window_fill_round_robin(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                                      const float *values, int32_t *group_start, uint16_t *position_count,
                                      uint8_t *slice_of, uint16_t *mask, uint8_t *index, float *wvalues) {
    const ptrdiff_t slices = (rows + 15) / 16, groups = (slices + WT_WINDOW_GROUP - 1) / WT_WINDOW_GROUP;
    const ptrdiff_t positions = wt_window_positions(cols), cells = groups * positions * WT_WINDOW_GROUP;
    const ptrdiff_t vectors = sp_window_walk(rows, cols, 16, row_ptr, col_idx, NULL, NULL);
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
        (void)sp_window_fill_slices(rows, cols, 16, row_ptr, col_idx, values, NULL, slice_start, base, mask, index,
                                    wvalues, NULL);
        return 0;
    }
    return sp_window_fill_grouped(rows, cols, row_ptr, col_idx, values, NULL, WT_WINDOW_GROUP, count, group_start,
                                  mask, index, wvalues, NULL);
}

int sp_window_fill_grouped(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                           const float *vr, const float *vi, ptrdiff_t group, uint8_t *count, int32_t *group_start,
                           uint16_t *mask, uint8_t *index, float *wvr, float *wvi) {
    if (rows < 0 || cols < 32 || group < 1) return -1;
    const ptrdiff_t slices = (rows + 15) / 16, groups = (slices + group - 1) / group;
    sp_window_fill_ctx c = {16, wt_window_positions(cols), group, count, NULL, NULL, NULL, 0, mask, index, vr, vi,
                            wvr, wvi};
    const ptrdiff_t cells = groups * c.positions * group;
    memset(count, 0, (size_t)cells);
    (void)sp_window_walk(rows, cols, 16, row_ptr, col_idx, sp_window_count_cell, &c);
    c.cursor = (int32_t *)malloc((size_t)(cells > 0 ? cells : 1) * sizeof(int32_t));
    if (!c.cursor) return -1;
    int32_t v = 0;
    for (ptrdiff_t k = 0; k < cells; k++) {
        if (k % (c.positions * group) == 0) group_start[k / (c.positions * group)] = v;
        c.cursor[k] = v;
        v += count[k];
    }
    group_start[groups] = v;
    (void)sp_window_walk(rows, cols, 16, row_ptr, col_idx, sp_window_place, &c);
    free(c.cursor);
    return 0;
}

// MARK: - The 8-lane layout of the AVX2 tier (WT_WINDOW_LANES8), real and complex

ptrdiff_t wt_scsr_window8_count(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx) {
    if (rows < 0 || cols < 16) return -1;
    return sp_window_vectors(rows, cols, 8, row_ptr, col_idx);
}

int wt_scsr_window8_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                         const float *values, int32_t *slice_start, uint32_t *base, uint16_t *mask, uint8_t *index,
                         float *wvalues) {
    if (rows < 0 || cols < 16) return -1;
    (void)sp_window_fill_slices(rows, cols, 8, row_ptr, col_idx, values, NULL, slice_start, base, mask, index, wvalues,
                                NULL);
    return 0;
}

// The products: one body over W lanes (sparse_window_vec.h) for both x86 tiers.
#define SW_REAL
#include "sparse_window_tiers.h"
#undef SW_REAL

// ---------------------------------------------------------------------------------------------
// The row order's sorted slices (WT_WINDOW_ROWS, kernels_sparse.h; since session 13): one builder for
// the real layout (8 lanes) and the complex one (4 lanes, sparse_cwindow.c).

// The rows of a CSR matrix sorted by nonzero count, longest first, ties in ascending row order (a
// counting sort: stable), into order[0 ..< rows]. Returns 0, or -1 without memory.
static int sp_rows_sorted_order(ptrdiff_t rows, const int32_t *row_ptr, int32_t *order) {
    int32_t longest = 0;
    for (ptrdiff_t r = 0; r < rows; r++) {
        const int32_t n = row_ptr[r + 1] - row_ptr[r];
        if (n > longest) longest = n;
    }
    ptrdiff_t *first = (ptrdiff_t *)calloc((size_t)longest + 2, sizeof(ptrdiff_t));
    if (!first) return -1;
    // first[longest − n + 1] counts the rows of length n; prefix sums give each length's start.
    for (ptrdiff_t r = 0; r < rows; r++) first[longest - (row_ptr[r + 1] - row_ptr[r]) + 1]++;
    for (int32_t i = 1; i <= longest + 1; i++) first[i] += first[i - 1];
    for (ptrdiff_t r = 0; r < rows; r++) order[first[longest - (row_ptr[r + 1] - row_ptr[r])]++] = (int32_t)r;
    free(first);
    return 0;
}

ptrdiff_t sp_sorted_slices(ptrdiff_t rows, const int32_t *row_ptr, int lanes, int32_t *slice_start, uint32_t *row_of) {
    int32_t *order = (int32_t *)malloc(((size_t)rows + 1) * sizeof(int32_t));
    if (!order) return -1;
    if (sp_rows_sorted_order(rows, row_ptr, order) != 0) {
        free(order);
        return -1;
    }
    const ptrdiff_t slices = (rows + lanes - 1) / lanes;
    ptrdiff_t steps = 0;
    for (ptrdiff_t s = 0; s < slices; s++) {
        if (slice_start) slice_start[s] = (int32_t)steps;
        if (row_of)
            for (ptrdiff_t lane = lanes * s; lane < lanes * (s + 1); lane++)
                row_of[lane] = lane < rows ? (uint32_t)order[lane] : (uint32_t)rows;
        steps += row_ptr[order[lanes * s] + 1] - row_ptr[order[lanes * s]];  // the slice's longest row
    }
    if (slice_start) slice_start[slices] = (int32_t)steps;
    free(order);
    return steps;
}

ptrdiff_t wt_scsr_rows8_count(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr) {
    if (rows < 0 || cols < 1 || cols > 65536) return -1;
    return sp_sorted_slices(rows, row_ptr, 8, NULL, NULL);
}

int wt_scsr_rows8_fill(ptrdiff_t rows, ptrdiff_t cols, const int32_t *row_ptr, const int32_t *col_idx,
                       const float *values, int32_t *slice_start, uint32_t *row_of, uint16_t *index16,
                       float *wvalues) {
    if (rows < 0 || cols < 1 || cols > 65536) return -1;
    if (sp_sorted_slices(rows, row_ptr, 8, slice_start, row_of) < 0) return -1;
    for (ptrdiff_t s = 0; s < (rows + 7) / 8; s++) {
        const ptrdiff_t v = slice_start[s], length = slice_start[s + 1] - v;
        for (int i = 0; i < 8; i++) {
            const uint32_t r = row_of[8 * s + i];  // rows: a padding lane, no nonzeros
            const ptrdiff_t k0 = r < rows ? row_ptr[r] : 0, n = r < rows ? row_ptr[r + 1] - row_ptr[r] : 0;
            for (ptrdiff_t o = 0; o < length; o++) {
                index16[8 * (v + o) + i] = o < n ? (uint16_t)col_idx[k0 + o] : 0;
                wvalues[8 * (v + o) + i] = o < n ? values[k0 + o] : 0.0f;
            }
        }
    }
    return 0;
}
