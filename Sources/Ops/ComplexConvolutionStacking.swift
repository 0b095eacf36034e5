// The stacked real form of a complex convolution: a complex convolution with C_in input and C_out
// output channels in G groups is ONE real convolution with 2·C_in and 2·C_out channels in the same
// G groups, when each group's channels are laid out as (real parts, imaginary parts):
//
//   stacked input channel  (g, p, c) = part p of input channel  g·C_in/G + c     (p = 0 re, 1 im)
//   stacked output channel (g, q, o) = part q of output channel g·C_out/G + o
//   stacked weight, block (q, p) of group g:   (re, re) = Wr   (re, im) = −Wi
//                                               (im, re) = Wi   (im, im) = Wr
//
// so that yr = Wr⋆xr − Wi⋆xi and yi = Wi⋆xr + Wr⋆xi. The real form's gradients are the complex
// ones in this project's convention (∂L/∂re + i·∂L/∂im): its input gradient, unstacked, is z̄, and
// W̄r = Ā(re, re) + Ā(im, im), W̄i = Ā(im, re) − Ā(re, im) from its weight gradient Ā.
//
// One real convolution costs four real products per complex one (Gauss's form, three), but it
// reads each part once per im2col (Gauss's form builds columns of xr, xi and xr + xi), needs no
// elementwise passes to form and recombine the three products, and its GEMMs have twice the rows
// and twice the depth, which the small channel counts of signal networks need to be efficient.
// Untraced helpers for ComplexConvolution.swift.

/// The layout changes between complex operands and the stacked real form (see the file header).
enum StackedComplex {
    /// `[N, C, *S]` parts → `[N, 2C, *S]` with the channels of each of `groups` groups as
    /// (real parts, imaginary parts). `re` and `im` have one shape and dtype; `C` divisible by `groups`.
    static func stack(_ re: Tensor, _ im: Tensor, groups: Int) -> Tensor {
        let (n, c) = (re.shape[0], re.shape[1])
        var out = [Tensor(uninitializedShape: [n, 2 * c] + re.shape.dropFirst(2), dtype: re.dtype)]
        func run<T: TensorScalar>(_: T.Type) {
            Tensor.withBaseAddresses(reading: [re, im], writing: &out, as: T.self) { i, o in
                let (pr, pi, po) = (i[0], i[1], o[0])
                forEachBlock(samples: n, channels: c, inner: re.count / Swift.max(1, n * c), groups: groups) { compact, stacked, count in
                    (po + stacked).update(from: pr + compact, count: count)
                    (po + stacked + count).update(from: pi + compact, count: count)
                }
            }
        }
        re.dtype.dispatch { run($0) }
        return out[0]
    }

    /// The inverse of ``stack(_:_:groups:)``: `[N, 2C, *S]` → the parts `[N, C, *S]`.
    static func unstack(_ x: Tensor, groups: Int) -> (re: Tensor, im: Tensor) {
        let (n, c) = (x.shape[0], x.shape[1] / 2)
        let shape = [n, c] + x.shape.dropFirst(2)
        var out = [Tensor(uninitializedShape: shape, dtype: x.dtype), Tensor(uninitializedShape: shape, dtype: x.dtype)]
        func run<T: TensorScalar>(_: T.Type) {
            Tensor.withBaseAddresses(reading: [x], writing: &out, as: T.self) { i, o in
                let (px, pr, pi) = (i[0], o[0], o[1])
                forEachBlock(samples: n, channels: c, inner: x.count / Swift.max(1, 2 * n * c), groups: groups) { compact, stacked, count in
                    (pr + compact).update(from: px + stacked, count: count)
                    (pi + compact).update(from: px + stacked + count, count: count)
                }
            }
        }
        x.dtype.dispatch { run($0) }
        return (out[0], out[1])
    }

    /// Calls `body(compact, stacked, count)` for each (sample, group) block of `count = C/G·inner`
    /// elements, split over the threads by sample: `compact` is the block's offset in a part
    /// `[N, C, *S]`, `stacked` the offset of its real half in `[N, 2C, *S]` (the imaginary half
    /// follows at `stacked + count`). `inner` is the element count of `*S`.
    private static func forEachBlock(samples n: Int, channels c: Int, inner: Int, groups: Int,
                                     _ body: (_ compact: Int, _ stacked: Int, _ count: Int) -> Void) {
        let block = c / groups * inner
        parallelFor(n, grain: Swift.max(1, 16_384 / Swift.max(1, 2 * c * inner))) { samples in
            for s in samples {
                for g in 0..<groups { body(s * c * inner + g * block, s * 2 * c * inner + 2 * g * block, block) }
            }
        }
    }

    /// The stacked real weight `[2·C_out, 2·C_in/G, *k]` of a complex weight `[C_out, C_in/G, *k]`
    /// (parts `wr`, `wi`): row (g, q, o), column block p, as in the file header.
    static func weight(_ wr: Tensor, _ wi: Tensor, groups: Int) -> Tensor {
        let cout = wr.shape[0], row = wr.count / Swift.max(1, cout), coutG = cout / groups
        var out = [Tensor(uninitializedShape: [2 * cout, 2 * wr.shape[1]] + wr.shape.dropFirst(2), dtype: wr.dtype)]
        func run<T: TensorScalar>(_: T.Type) {
            Tensor.withBaseAddresses(reading: [wr, wi], writing: &out, as: T.self) { i, o in
                let (pr, pi, pa) = (i[0], i[1], o[0])
                for g in 0..<groups {
                    for q in 0..<2 {
                        for oc in 0..<coutG {
                            let src = (g * coutG + oc) * row, dst = pa + ((2 * g + q) * coutG + oc) * 2 * row
                            for k in 0..<row {
                                let (r, m) = (pr[src + k], pi[src + k])
                                dst[k] = q == 0 ? r : m          // block (q, re): Wr, Wi
                                dst[row + k] = q == 0 ? -m : r   // block (q, im): −Wi, Wr
                            }
                        }
                    }
                }
            }
        }
        wr.dtype.dispatch { run($0) }
        return out[0]
    }

    /// The complex weight gradient `(W̄r, W̄i)`, each `[C_out, C_in/G, *k]`, from the gradient `a` of
    /// the stacked weight: `W̄r = Ā(re, re) + Ā(im, im)`, `W̄i = Ā(im, re) − Ā(re, im)`.
    static func weightGradient(_ a: Tensor, groups: Int) -> (re: Tensor, im: Tensor) {
        let cout = a.shape[0] / 2, coutG = cout / groups, row = a.count / Swift.max(1, 2 * a.shape[0])
        let shape = [cout, a.shape[1] / 2] + a.shape.dropFirst(2)
        var out = [Tensor(uninitializedShape: shape, dtype: a.dtype), Tensor(uninitializedShape: shape, dtype: a.dtype)]
        func run<T: TensorScalar>(_: T.Type) {
            Tensor.withBaseAddresses(reading: [a], writing: &out, as: T.self) { i, o in
                let (pa, gr, gi) = (i[0], o[0], o[1])
                for g in 0..<groups {
                    for oc in 0..<coutG {
                        let re = pa + ((2 * g) * coutG + oc) * 2 * row, im = pa + ((2 * g + 1) * coutG + oc) * 2 * row
                        let dst = (g * coutG + oc) * row
                        for k in 0..<row {
                            gr[dst + k] = re[k] + im[row + k]
                            gi[dst + k] = im[k] - re[row + k]
                        }
                    }
                }
            }
        }
        a.dtype.dispatch { run($0) }
        return (out[0], out[1])
    }
}
