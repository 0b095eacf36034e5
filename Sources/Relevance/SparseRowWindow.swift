// The row-window layout of a CSR weight (`wt_sparse_window`, Sources/Kernels/sparse_window.c):
// the small-batch form of a compiled sparse linear layer, built once when the layer is compiled.

import Kernels

/// A ``CSRMatrix`` rearranged for the small-batch (< 4 rows) product: 16 rows per vector, each
/// stored vector holding at most one nonzero per row within 32 consecutive columns starting at a
/// multiple of 16, so that the AVX-512 kernel reads its inputs with one table lookup of two aligned
/// vectors instead of gathers (see `wt_sparse_window` in kernels_sparse.h and Docs/Inference.md,
/// "Batch 1: row windows").
/// Built from the CSR arrays at compile time; the saved (CSR) format is unchanged. Immutable.
final class CSRRowWindow: @unchecked Sendable {
    /// The C descriptor, pointing into memory this object owns.
    let descriptor: UnsafeMutablePointer<wt_sparse_window>
    /// Stored vectors (16 lanes each).
    let vectorCount: Int
    private let memory: UnsafeMutableRawPointer

    /// The layout of `matrix`, or nil when it has fewer than 32 columns (the kernels then use CSR).
    init?(_ matrix: CSRMatrix) {
        let vectors = matrix.withArrays { rp, ci, _ in wt_scsr_window_count(matrix.rows, matrix.columns, rp, ci) }
        guard vectors >= 0 else { return nil }
        let slices = (matrix.rows + 15) / 16
        // One 64-byte aligned block: values (16 floats per vector, 64-byte aligned), indices
        // (16 bytes per vector, 16-byte aligned: the kernel's aligned loads), bases, masks, slice starts.
        let valuesBytes = 64 * vectors, indexBytes = 16 * vectors, basesBytes = 4 * vectors, masksBytes = 2 * vectors
        let startsOffset = (valuesBytes + indexBytes + basesBytes + masksBytes + 3) & ~3
        let total = startsOffset + 4 * (slices + 1)
        memory = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(total, 64), alignment: 64)
        let values = memory.bindMemory(to: Float.self, capacity: 16 * vectors)
        let index = (memory + valuesBytes).bindMemory(to: UInt8.self, capacity: 16 * vectors)
        let bases = (memory + valuesBytes + indexBytes).bindMemory(to: UInt32.self, capacity: vectors)
        let masks = (memory + valuesBytes + indexBytes + basesBytes).bindMemory(to: UInt16.self, capacity: vectors)
        let starts = (memory + startsOffset).bindMemory(to: Int32.self, capacity: slices + 1)
        matrix.withArrays { rp, ci, vp in
            wt_scsr_window_fill(matrix.rows, matrix.columns, rp, ci, vp, starts, bases, masks, index, values)
        }
        descriptor = .allocate(capacity: 1)
        descriptor.initialize(to: wt_sparse_window(rows: matrix.rows, cols: matrix.columns, slices: slices, vectors: vectors,
                                                   slice_start: starts, base: bases, mask: masks, index: index, values: values))
        vectorCount = vectors
    }

    deinit {
        descriptor.deallocate()
        memory.deallocate()
    }
}
