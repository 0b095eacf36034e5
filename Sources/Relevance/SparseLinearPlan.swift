// The call path of a compiled CSR `SparseLinear`: the weight's arrays and bias as the C kernel
// takes them, in memory this object owns, and a kept output tensor, so that a call checks its
// input, makes one kernel call and (when the caller dropped the last result) allocates nothing.

import Autodiff
import Kernels

/// A CSR weight ready for `wt_scsr_linear_windowed`: copies of the row pointers, column indices,
/// values and bias (8 bytes per stored weight plus 4 per row, next to the `CSRMatrix` the layer
/// keeps for its public API), the row-window layout if there is one, and the output tensor kept
/// between calls (``SparseReusableOutput``). Immutable apart from that slot. A
/// ``SparseLinearChain`` made of the layer points its kernel at the same arrays (and keeps the plan
/// alive) instead of copying them again.
///
/// Why: a call through ``CSRMatrix/linear(_:bias:relu:)`` retained and released the matrix's three
/// arrays, the bias and the window, built the output shape as a new array and allocated the
/// output; at batch 1 that was most of the 0.52 µs a call of `Linear(784, 400)` costs with no
/// nonzero at all (Docs/Inference.md, "Session 9").
final class SparseLinearPlan: @unchecked Sendable {
    let rows: Int
    let columns: Int
    let rowPointers: UnsafeMutablePointer<Int32>
    let columnIndices: UnsafeMutablePointer<Int32>
    let values: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>?
    /// The row-window layout read for batches below 4 (nil: the kernel's gathered products).
    let window: CSRRowWindow?
    private let output = SparseReusableOutput()

    /// The arrays of `matrix` and of the float32 `[rows]` `bias`, with `window` (built from `matrix`).
    init(_ matrix: CSRMatrix, bias: Tensor?, window: CSRRowWindow?) {
        rows = matrix.rows
        columns = matrix.columns
        rowPointers = SparseLinearPlan.copy(matrix.rowPointers)
        columnIndices = SparseLinearPlan.copy(matrix.columnIndices)
        values = SparseLinearPlan.copy(matrix.values)
        self.bias = bias.map { SparseLinearPlan.copy($0.converted(to: .float32).scalars(as: Float.self)) }
        self.window = window
    }

    deinit {
        rowPointers.deallocate()
        columnIndices.deallocate()
        values.deallocate()
        bias?.deallocate()
    }

    private static func copy<T>(_ a: [T]) -> UnsafeMutablePointer<T> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(a.count, 1) * MemoryLayout<T>.stride, alignment: 64)
        let p = raw.bindMemory(to: T.self, capacity: Swift.max(a.count, 1))
        a.withUnsafeBufferPointer { if let b = $0.baseAddress { p.initialize(from: b, count: a.count) } }
        return p
    }

    /// `x · Wᵀ + bias` for float32 `x [..., columns]`, then ReLU with `relu` (elements > 0 or NaN
    /// kept, others +0): shape `[..., rows]`, the values of ``CSRMatrix/linear(_:bias:relu:)``
    /// (the same kernel call).
    /// - Precondition: `x` is float32 and ends in `columns` features.
    func linear(_ x: Tensor, relu: Bool) -> Tensor {
        require(x.rank >= 1 && x.shape[x.rank - 1] == columns,
                "CSRMatrix.linear: input \(x.shape) does not end in \(columns) features (weight \(rows)×\(columns))")
        require(x.dtype == .float32, "CSRMatrix.linear: sparse inference is float32, got a \(x.dtype) input")
        let rows = self.rows, xs = x.shape
        var y = output.take { s in
            guard s.count == xs.count, s[s.count - 1] == rows else { return false }
            for i in 0..<(s.count - 1) where s[i] != xs[i] { return false }
            return true
        } ?? {
            var shape = xs
            shape[shape.count - 1] = rows
            return Tensor(uninitializedShape: shape, dtype: .float32)
        }()
        let n = columns == 0 ? y.count / Swift.max(rows, 1) : x.count / columns
        let status: Int32 = x.withUnsafeBufferPointer { (xp: UnsafeBufferPointer<Float>) in
            y.withUnsafeMutableBufferPointer { (yp: UnsafeMutableBufferPointer<Float>) in
                wt_scsr_linear_windowed(rows, columns, rowPointers, columnIndices, values, window?.descriptor, bias, n,
                                        xp.baseAddress, columns, yp.baseAddress, rows, relu ? WT_SPARSE_RELU : 0)
            }
        }
        require(status == 0, "CSRMatrix.linear: out of memory for the \(n)×\(columns) scratch tile")
        output.keep(y)
        return y
    }
}
