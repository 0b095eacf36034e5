// The row-window layout of a CSR weight (`wt_sparse_window`, Sources/Kernels/sparse_window.c):
// the small-batch form of a compiled sparse linear layer, built once when the layer is compiled.

import Kernels

/// A ``CSRMatrix`` rearranged for the small-batch (< 4 rows) product: 16 rows per vector, each
/// stored vector holding at most one nonzero per row within 32 consecutive columns starting at a
/// multiple of 16, so that the AVX-512 kernel reads its inputs with one table lookup of two aligned
/// vectors instead of gathers. On a CPU whose best tier is AVX2, the 8-lane layout instead
/// (`WT_WINDOW_LANES8`: 8 rows per vector, windows of 16 columns at multiples of 8, slice order;
/// the AVX2 kernel reads each vector's inputs with two `vpermps` and a blend; the same layout as
/// the complex layer's, built by the same walk). When the layout has at least one vector per (position, slice) on
/// average (0.6 with at least 400 rows), the vectors of each 400 rows are ordered by window
/// position, so that the kernel loads each position's inputs once and keeps the 400 sums in
/// registers; with fewer vectors and at least 400 rows, by position in round-robin over the slices
/// (the sums in memory, no per-cell count); otherwise slice by slice (see
/// `wt_sparse_window` in kernels_sparse.h and Docs/Inference.md, "Batch 1: row windows").
/// On an AVX2 CPU a weight too sparse to fill the 8-lane vectors (fewer than 4.5 nonzeros per
/// vector since session 16, 3 before; `wt_window8_prefers_rows`) gets the row order instead (`WT_WINDOW_ROWS`: the per-row
/// CSR sums, since session 13 read through sorted slices — the rows sorted by nonzero count, 8 per
/// vector, 16-bit column indices — with the per-row loop's bits; Docs/Inference.md, "Session 12"
/// and "Session 13").
/// Built from the CSR arrays at compile time; the saved (CSR) format is unchanged. Immutable.
final class CSRRowWindow: @unchecked Sendable {
    /// The C descriptor, pointing into memory this object owns.
    let descriptor: UnsafeMutablePointer<wt_sparse_window>
    /// Stored vectors (16 lanes each, 8 in the 8-lane layout; the stored nonzeros in the row order).
    let vectorCount: Int
    private let memory: UnsafeMutableRawPointer

    /// The layout of `matrix` in `order` (`WT_WINDOW_LANES8`: the 8-lane layout; `WT_WINDOW_ROWS`:
    /// the row order; nil: on a CPU whose best tier is AVX2 the one of these two
    /// ``avx2Order(_:complex:)`` picks, else the 16-lane order `wt_window_by_position` picks; any
    /// other value: that one), or nil when it has fewer than 32 columns (16 for the 8-lane layout
    /// and the AVX2 pick; the kernels then use CSR) or its working memory could not be allocated.
    init?(_ matrix: CSRMatrix, order: Int32? = nil) {
        let pick = order ?? (wt_detected_isa() == WT_ISA_AVX2_FMA ? CSRRowWindow.avx2Order(matrix, complex: false) : nil)
        if pick == WT_WINDOW_ROWS {
            (memory, descriptor, vectorCount) = rowOrderDescriptor(matrix, values: nil)
            return
        }
        if pick == WT_WINDOW_LANES8 {
            guard let layout = window8Layout(matrix, imaginaryValues: nil) else { return nil }
            (memory, descriptor, vectorCount) = (layout.memory, layout.descriptor, layout.vectors)
            return
        }
        let vectors = matrix.withArrays { rp, ci, _ in wt_scsr_window_count(matrix.rows, matrix.columns, rp, ci) }
        guard vectors >= 0 else { return nil }
        let slices = (matrix.rows + 15) / 16
        let groups = (slices + Int(WT_WINDOW_GROUP) - 1) / Int(WT_WINDOW_GROUP)
        let positions = wt_window_positions(matrix.columns)
        let cells = groups * positions * Int(WT_WINDOW_GROUP)
        let order = pick ?? wt_window_by_position(matrix.rows, matrix.columns, vectors)
        // One 64-byte aligned block: values (16 floats per vector, 64-byte aligned), indices
        // (16 bytes per vector, 16-byte aligned: the kernel's aligned loads), masks, then the
        // arrays of the order: slice starts and bases (0), group starts and counts per cell (1),
        // or group starts, counts per position and the vectors' slices (2).
        let valuesBytes = 64 * vectors, indexBytes = 16 * vectors, masksBytes = 2 * vectors
        let startsOffset = (valuesBytes + indexBytes + masksBytes + 3) & ~3
        let startsCount = order != 0 ? groups + 1 : slices + 1
        let tailOffset = startsOffset + 4 * startsCount
        let tailBytes = order == 1 ? cells : order == 2 ? 2 * groups * positions + vectors : 4 * vectors
        memory = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(tailOffset + tailBytes, 64), alignment: 64)
        let values = memory.bindMemory(to: Float.self, capacity: 16 * vectors)
        let index = (memory + valuesBytes).bindMemory(to: UInt8.self, capacity: 16 * vectors)
        let masks = (memory + valuesBytes + indexBytes).bindMemory(to: UInt16.self, capacity: vectors)
        let starts = (memory + startsOffset).bindMemory(to: Int32.self, capacity: startsCount)
        let counts: UnsafeMutablePointer<UInt8>? = order == 1 ? (memory + tailOffset).bindMemory(to: UInt8.self, capacity: Swift.max(cells, 1)) : nil
        let bases: UnsafeMutablePointer<UInt32>? = order == 0 ? (memory + tailOffset).bindMemory(to: UInt32.self, capacity: Swift.max(vectors, 1)) : nil
        let positionCounts: UnsafeMutablePointer<UInt16>? = order == 2
            ? (memory + tailOffset).bindMemory(to: UInt16.self, capacity: Swift.max(groups * positions, 1)) : nil
        let sliceOf: UnsafeMutablePointer<UInt8>? = order == 2
            ? (memory + tailOffset + 2 * groups * positions).bindMemory(to: UInt8.self, capacity: Swift.max(vectors, 1)) : nil
        let status = matrix.withArrays { rp, ci, vp in
            wt_scsr_window_fill(matrix.rows, matrix.columns, rp, ci, vp, order, order == 0 ? starts : nil, bases,
                                counts, order != 0 ? starts : nil, positionCounts, sliceOf, masks, index, values)
        }
        guard status == 0 else {
            memory.deallocate()
            return nil
        }
        descriptor = .allocate(capacity: 1)
        descriptor.initialize(to: wt_sparse_window(rows: matrix.rows, cols: matrix.columns, slices: slices, vectors: vectors,
                                                   groups: groups, positions: positions, by_position: order,
                                                   slice_start: order == 0 ? starts : nil, base: bases,
                                                   count: counts, group_start: order != 0 ? starts : nil,
                                                   position_count: positionCounts, slice_of: sliceOf,
                                                   mask: masks, index: index, values: values, index16: nil))
        vectorCount = vectors
    }

    /// The layout a CPU whose best tier is AVX2 builds for `matrix` (a complex weight's pattern with
    /// `complex`): the row order (`WT_WINDOW_ROWS`) when `wt_window8_prefers_rows` says the per-row
    /// CSR product is faster than the 8-lane layout's vectors, else the 8-lane layout
    /// (`WT_WINDOW_LANES8`; also when it has fewer than 16 columns, which get no layout).
    static func avx2Order(_ matrix: CSRMatrix, complex: Bool) -> Int32 {
        let vectors = matrix.withArrays { rp, ci, _ in wt_scsr_window8_count(matrix.rows, matrix.columns, rp, ci) }
        guard vectors >= 0 else { return WT_WINDOW_LANES8 }
        return wt_window8_prefers_rows(matrix.values.count, vectors, complex ? 1 : 0) != 0 ? WT_WINDOW_ROWS : WT_WINDOW_LANES8
    }

    deinit {
        descriptor.deallocate()
        memory.deallocate()
    }
}

/// A ``ComplexCSRMatrix`` rearranged for the small-batch (< 4 rows) complex product
/// (`wt_ccsr_linear_windowed`, Sources/Kernels/sparse_cwindow.c): the row-window layout of its
/// pattern (`wt_sparse_window`, the real parts as its values) and the imaginary parts in the same
/// lanes. 16 rows per vector; the AVX-512 kernel reads each vector's real and imaginary inputs
/// with two table lookups of 32 aligned inputs instead of gathers. On a CPU whose best tier is
/// AVX2, the 8-lane layout instead (`WT_CWINDOW_LANES8`: 8 rows per vector, windows of 16 columns,
/// slice order; two `vpermps` and a blend per part). With at least 0.5 vectors per
/// (position, slice) cell the vectors of each 144 rows (9 slices) are ordered by window position,
/// so that the kernel loads each position's inputs once and keeps the 2 × 144 sums in registers;
/// otherwise slice by slice (`wt_ccsr_window_order`; Docs/Inference.md, "Batch 1: complex row
/// windows"). On an AVX2 CPU a weight too sparse to fill the 8-lane vectors (fewer than 4.75
/// nonzeros per vector since session 13's second round, `wt_window8_prefers_rows`) gets the row order instead (`WT_WINDOW_ROWS`:
/// since session 13 its sorted slices of 4 rows, `wt_ccsr_rows4_fill`, with the per-row
/// product's bits; weights wider than 65,535 columns the pair values of `wt_ccsr_rows_fill`, read
/// with the plan's CSR arrays by the per-row product; Docs/Inference.md, "Session 12" and
/// "Session 13"). Built from the CSR arrays when the layer is compiled
/// or loaded; the saved (CSR) format is unchanged. Immutable.
final class ComplexCSRRowWindow: @unchecked Sendable {
    /// The C descriptor of the pattern's layout (values: the real parts), pointing into memory
    /// this object owns.
    let descriptor: UnsafeMutablePointer<wt_sparse_window>
    /// The imaginary parts, 16 per stored vector in the descriptor's lanes (64-byte aligned; 8 in the
    /// 8-lane layout; in the row order the pair values of its slices or its nonzeros, as the
    /// descriptor's values).
    let imaginaryValues: UnsafePointer<Float>
    /// Stored vectors (16 lanes each, 8 in the 8-lane layout; the stored nonzeros in the row order).
    let vectorCount: Int
    private let memory: UnsafeMutableRawPointer

    /// The layout of `matrix` in `order` (0: slice order, 1: position order, `WT_CWINDOW_LANES8`:
    /// the 8-lane layout, `WT_WINDOW_ROWS`: the row order; nil: on a CPU whose best tier is AVX2
    /// the one of the last two ``CSRRowWindow/avx2Order(_:complex:)`` picks, else the order
    /// `wt_ccsr_window_order` picks), or nil when it has fewer than 32 columns (16 for the 8-lane
    /// layout and the AVX2 pick; the kernel then uses the gathered CSR products) or its memory
    /// could not be allocated.
    init?(_ matrix: ComplexCSRMatrix, order: Int32? = nil) {
        let p = matrix.pattern
        let pick = order ?? (wt_detected_isa() == WT_ISA_AVX2_FMA ? CSRRowWindow.avx2Order(p, complex: true) : nil)
        if pick == WT_WINDOW_ROWS {
            let values = matrix.imaginaryValues
            (memory, descriptor, vectorCount) = rowOrderDescriptor(p, values: values)
            imaginaryValues = UnsafePointer(descriptor.pointee.values)
            return
        }
        if pick == WT_CWINDOW_LANES8 {
            guard let layout = window8Layout(matrix.pattern, imaginaryValues: matrix.imaginaryValues),
                  let imag = layout.imaginary else { return nil }
            (memory, descriptor, imaginaryValues, vectorCount) = (layout.memory, layout.descriptor, imag, layout.vectors)
            return
        }
        let vectors = p.withArrays { rp, ci, _ in wt_scsr_window_count(p.rows, p.columns, rp, ci) }
        guard vectors >= 0 else { return nil }
        let order = pick ?? wt_ccsr_window_order(p.rows, p.columns, vectors)
        let slices = (p.rows + 15) / 16
        let group = Int(WT_CWINDOW_GROUP)
        let groups = (slices + group - 1) / group
        let positions = wt_window_positions(p.columns)
        // One 64-byte aligned block: real and imaginary values (16 floats per vector each, 64-byte
        // aligned), indices (16 bytes per vector, 16-byte aligned), masks, then the order's arrays:
        // slice starts and bases (0), or group starts and counts per (group, position, slice) (1).
        let valuesBytes = 64 * vectors, indexBytes = 16 * vectors, masksBytes = 2 * vectors
        let startsOffset = (2 * valuesBytes + indexBytes + masksBytes + 3) & ~3
        let startsCount = order == 1 ? groups + 1 : slices + 1
        let tailOffset = startsOffset + 4 * startsCount
        let tailBytes = order == 1 ? groups * positions * group : 4 * vectors
        memory = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(tailOffset + tailBytes, 64), alignment: 64)
        let real = memory.bindMemory(to: Float.self, capacity: 32 * vectors)
        let imag = real + 16 * vectors
        let index = (memory + 2 * valuesBytes).bindMemory(to: UInt8.self, capacity: 16 * vectors)
        let masks = (memory + 2 * valuesBytes + indexBytes).bindMemory(to: UInt16.self, capacity: vectors)
        let starts = (memory + startsOffset).bindMemory(to: Int32.self, capacity: startsCount)
        let counts: UnsafeMutablePointer<UInt8>? = order == 1
            ? (memory + tailOffset).bindMemory(to: UInt8.self, capacity: Swift.max(tailBytes, 1)) : nil
        let bases: UnsafeMutablePointer<UInt32>? = order == 1
            ? nil : (memory + tailOffset).bindMemory(to: UInt32.self, capacity: Swift.max(vectors, 1))
        let status = p.withArrays { rp, ci, vp in
            matrix.imaginaryValues.withUnsafeBufferPointer { vi in
                wt_ccsr_window_fill(p.rows, p.columns, rp, ci, vp, vi.baseAddress, order, order == 1 ? nil : starts, bases,
                                    counts, order == 1 ? starts : nil, masks, index, real, imag)
            }
        }
        guard status == 0 else {
            memory.deallocate()
            return nil
        }
        imaginaryValues = UnsafePointer(imag)
        descriptor = .allocate(capacity: 1)
        descriptor.initialize(to: wt_sparse_window(rows: p.rows, cols: p.columns, slices: slices, vectors: vectors,
                                                   groups: groups, positions: positions, by_position: order,
                                                   slice_start: order == 1 ? nil : starts, base: bases, count: counts,
                                                   group_start: order == 1 ? starts : nil, position_count: nil,
                                                   slice_of: nil, mask: masks, index: index, values: real, index16: nil))
        vectorCount = vectors
    }

    deinit {
        descriptor.deallocate()
        memory.deallocate()
    }
}

/// The row order (`WT_WINDOW_ROWS`, kernels_sparse.h) of `pattern`: a descriptor with its shape and
/// the number of stored nonzeros; for a real weight (`imaginaryValues` nil) with at most 65,536
/// columns also its sorted slices (`wt_scsr_rows8_fill`: the rows sorted by nonzero count in slices
/// of 8, per vector 8 values, 32-byte aligned, and 8 column indices of 16 bits; the slices' first
/// vectors and the row of each lane); for a complex weight (`imaginaryValues` given, one per
/// nonzero) with at most 65,535 columns its sorted slices of 4 rows (`wt_ccsr_rows4_fill`: per
/// step 4 pair values (vr, vr, vi, vi) and 4 indices of 16 bits), else the pair values of
/// `wt_ccsr_rows_fill` in CSR order; in a 64-byte aligned block for the caller to deallocate with
/// the descriptor.
private func rowOrderDescriptor(_ pattern: CSRMatrix, values imaginaryValues: [Float]?)
    -> (memory: UnsafeMutableRawPointer, descriptor: UnsafeMutablePointer<wt_sparse_window>, vectors: Int) {
    let nonzeros = pattern.values.count
    let descriptor = UnsafeMutablePointer<wt_sparse_window>.allocate(capacity: 1)
    func sorted(_ layout: (memory: UnsafeMutableRawPointer, window: wt_sparse_window)?)
        -> (memory: UnsafeMutableRawPointer, descriptor: UnsafeMutablePointer<wt_sparse_window>, vectors: Int)? {
        guard let layout else { return nil }
        descriptor.initialize(to: layout.window)
        return (layout.memory, descriptor, nonzeros)
    }
    if imaginaryValues == nil,
       let done = sorted(sortedSlices(pattern, lanes: 8, valueBytes: 32,
                                      steps: pattern.withArrays { rp, _, _ in wt_scsr_rows8_count(pattern.rows, pattern.columns, rp) },
                                      fill: { starts, rowOf, index, values in
                                          pattern.withArrays { rp, ci, vp in
                                              wt_scsr_rows8_fill(pattern.rows, pattern.columns, rp, ci, vp, starts, rowOf, index, values)
                                          }
                                      })) {
        return done
    }
    if let imaginaryValues,
       let done = sorted(sortedSlices(pattern, lanes: 4, valueBytes: 64,
                                      steps: pattern.withArrays { rp, _, _ in wt_ccsr_rows4_count(pattern.rows, pattern.columns, rp) },
                                      fill: { starts, rowOf, index, values in
                                          pattern.withArrays { rp, ci, vp in
                                              imaginaryValues.withUnsafeBufferPointer { vi in
                                                  wt_ccsr_rows4_fill(pattern.rows, pattern.columns, rp, ci, vp, vi.baseAddress,
                                                                     starts, rowOf, index, values)
                                              }
                                          }
                                      })) {
        return done
    }
    let memory = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(imaginaryValues == nil ? 0 : 16 * nonzeros, 64), alignment: 64)
    var pairs: UnsafeMutablePointer<Float>? = nil
    if let imaginaryValues {
        let w4 = memory.bindMemory(to: Float.self, capacity: Swift.max(4 * nonzeros, 16))
        pattern.values.withUnsafeBufferPointer { vr in
            imaginaryValues.withUnsafeBufferPointer { vi in wt_ccsr_rows_fill(nonzeros, vr.baseAddress, vi.baseAddress, w4) }
        }
        pairs = w4
    }
    descriptor.initialize(to: wt_sparse_window(rows: pattern.rows, cols: pattern.columns, slices: 0, vectors: nonzeros,
                                               groups: 0, positions: 0, by_position: WT_WINDOW_ROWS,
                                               slice_start: nil, base: nil, count: nil, group_start: nil,
                                               position_count: nil, slice_of: nil, mask: nil, index: nil,
                                               values: pairs.map { UnsafePointer($0) }, index16: nil))
    return (memory, descriptor, nonzeros)
}

/// The sorted-slice layout of `pattern` (its rows sorted by nonzero count in slices of `lanes`
/// rows) in one 64-byte aligned block: per step `valueBytes` of values, then per step `lanes`
/// column indices of 16 bits, the slice starts (one more than the slices) and the row of each
/// lane, written by `fill(starts, rowOf, index, values)`. `steps` is the count function's result;
/// nil when it is negative (too many columns) or `fill` fails (no working memory for the sort),
/// and the caller falls back to the per-row form.
private func sortedSlices(_ pattern: CSRMatrix, lanes: Int, valueBytes: Int, steps: Int,
                          fill: (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<UInt32>, UnsafeMutablePointer<UInt16>,
                                 UnsafeMutablePointer<Float>) -> Int32)
    -> (memory: UnsafeMutableRawPointer, window: wt_sparse_window)? {
    guard steps >= 0 else { return nil }
    let slices = (pattern.rows + lanes - 1) / lanes
    let indexOffset = valueBytes * steps, startsOffset = indexOffset + 2 * lanes * steps
    let rowsOffset = startsOffset + 4 * (slices + 1)
    let memory = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(rowsOffset + 4 * lanes * slices, 64), alignment: 64)
    let values = memory.bindMemory(to: Float.self, capacity: valueBytes / 4 * steps)
    let index = (memory + indexOffset).bindMemory(to: UInt16.self, capacity: lanes * steps)
    let starts = (memory + startsOffset).bindMemory(to: Int32.self, capacity: slices + 1)
    let rowOf = (memory + rowsOffset).bindMemory(to: UInt32.self, capacity: Swift.max(lanes * slices, 1))
    guard fill(starts, rowOf, index, values) == 0 else {
        memory.deallocate()
        return nil
    }
    return (memory, wt_sparse_window(rows: pattern.rows, cols: pattern.columns, slices: slices,
                                      vectors: pattern.values.count, groups: 0, positions: 0, by_position: WT_WINDOW_ROWS,
                                      slice_start: starts, base: rowOf, count: nil, group_start: nil,
                                      position_count: nil, slice_of: nil, mask: nil, index: nil,
                                      values: values, index16: index))
}

/// The 8-lane layout (`WT_WINDOW_LANES8`, kernels_sparse.h) of the CSR pattern `pattern` with its
/// values and, for a complex weight, `imaginaryValues` (one per nonzero) in the same lanes: one
/// 64-byte aligned block holding the values (8 floats per vector, 32-byte aligned), the imaginary
/// parts (the same, when given), indices (8 bytes per vector), masks, slice starts and window
/// bases, and a descriptor pointing into it (both for the caller to deallocate). Shared by
/// ``CSRRowWindow`` and ``ComplexCSRRowWindow``; nil with fewer than 16 columns.
private func window8Layout(_ pattern: CSRMatrix, imaginaryValues: [Float]?)
    -> (memory: UnsafeMutableRawPointer, descriptor: UnsafeMutablePointer<wt_sparse_window>,
        imaginary: UnsafePointer<Float>?, vectors: Int)? {
    let p = pattern
    let vectors = p.withArrays { rp, ci, _ in wt_scsr_window8_count(p.rows, p.columns, rp, ci) }
    guard vectors >= 0 else { return nil }
    let slices = (p.rows + 7) / 8
    let parts = imaginaryValues == nil ? 1 : 2
    let valuesBytes = 32 * vectors, indexBytes = 8 * vectors, masksBytes = 2 * vectors
    let startsOffset = (parts * valuesBytes + indexBytes + masksBytes + 3) & ~3
    let basesOffset = startsOffset + 4 * (slices + 1)
    let memory = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(basesOffset + 4 * vectors, 64), alignment: 64)
    let real = memory.bindMemory(to: Float.self, capacity: 8 * parts * vectors)
    let imag: UnsafeMutablePointer<Float>? = parts == 2 ? real + 8 * vectors : nil
    let index = (memory + parts * valuesBytes).bindMemory(to: UInt8.self, capacity: 8 * vectors)
    let masks = (memory + parts * valuesBytes + indexBytes).bindMemory(to: UInt16.self, capacity: vectors)
    let starts = (memory + startsOffset).bindMemory(to: Int32.self, capacity: slices + 1)
    let bases = (memory + basesOffset).bindMemory(to: UInt32.self, capacity: Swift.max(vectors, 1))
    let status = p.withArrays { rp, ci, vp in
        if let imaginaryValues {
            return imaginaryValues.withUnsafeBufferPointer { vi in
                wt_ccsr_window8_fill(p.rows, p.columns, rp, ci, vp, vi.baseAddress, starts, bases, masks, index, real, imag)
            }
        }
        return wt_scsr_window8_fill(p.rows, p.columns, rp, ci, vp, starts, bases, masks, index, real)
    }
    guard status == 0 else {
        memory.deallocate()
        return nil
    }
    let descriptor = UnsafeMutablePointer<wt_sparse_window>.allocate(capacity: 1)
    descriptor.initialize(to: wt_sparse_window(rows: p.rows, cols: p.columns, slices: slices, vectors: vectors,
                                               groups: 0, positions: 0, by_position: WT_WINDOW_LANES8,
                                               slice_start: starts, base: bases, count: nil, group_start: nil,
                                               position_count: nil, slice_of: nil, mask: masks, index: index,
                                               values: real, index16: nil))
    return (memory, descriptor, imag.map { UnsafePointer($0) }, vectors)
}
