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

    fileprivate static func copy<T>(_ a: [T]) -> UnsafeMutablePointer<T> {
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

/// A complex CSR weight ready for `wt_ccsr_linear_windowed`: copies of the row pointers, column
/// indices, real and imaginary values and bias parts, the row-window layout if there is one, and
/// the two output parts kept between calls (``SparseReusableOutput``), so that a call checks its
/// input, makes one kernel call and (when the caller dropped the last result) allocates nothing.
/// Immutable apart from those slots.
///
/// Why: ``ComplexCSRMatrix/linear(_:bias:)`` allocated both output parts and a zero bias per
/// call and retained the matrix's four arrays; at batch 1 with the row-window product that was
/// about a third of a CplxLinear(784, 400) call at 99 % sparsity (Docs/Inference.md, "Batch 1:
/// complex row windows").
final class SparseComplexLinearPlan: @unchecked Sendable {
    let rows: Int
    let columns: Int
    let rowPointers: UnsafeMutablePointer<Int32>
    let columnIndices: UnsafeMutablePointer<Int32>
    let realValues: UnsafeMutablePointer<Float>
    let imagValues: UnsafeMutablePointer<Float>
    let biasReal: UnsafeMutablePointer<Float>?
    let biasImag: UnsafeMutablePointer<Float>?
    /// The row-window layout read for batches below 4 (nil: the kernel's gathered products).
    let window: ComplexCSRRowWindow?
    private let outputReal = SparseReusableOutput(), outputImag = SparseReusableOutput()

    /// The arrays of `matrix` and of the complex float32 `[rows]` `bias`, with `window` (built from `matrix`).
    init(_ matrix: ComplexCSRMatrix, bias: ComplexTensor?, window: ComplexCSRRowWindow?) {
        rows = matrix.rows
        columns = matrix.columns
        rowPointers = SparseLinearPlan.copy(matrix.pattern.rowPointers)
        columnIndices = SparseLinearPlan.copy(matrix.pattern.columnIndices)
        realValues = SparseLinearPlan.copy(matrix.pattern.values)
        imagValues = SparseLinearPlan.copy(matrix.imaginaryValues)
        biasReal = bias.map { SparseLinearPlan.copy($0.real.converted(to: .float32).scalars(as: Float.self)) }
        biasImag = bias.map { SparseLinearPlan.copy($0.imag.converted(to: .float32).scalars(as: Float.self)) }
        self.window = window
    }

    deinit {
        rowPointers.deallocate()
        columnIndices.deallocate()
        realValues.deallocate()
        imagValues.deallocate()
        biasReal?.deallocate()
        biasImag?.deallocate()
    }

    /// One output part: the kept tensor of `slot` when its shape is `zs` with the last axis `rows`, else a new one.
    private func output(_ slot: SparseReusableOutput, _ zs: [Int]) -> Tensor {
        let rows = self.rows
        return slot.take { s in
            guard s.count == zs.count, s[s.count - 1] == rows else { return false }
            for i in 0..<(s.count - 1) where s[i] != zs[i] { return false }
            return true
        } ?? {
            var shape = zs
            shape[shape.count - 1] = rows
            return Tensor(uninitializedShape: shape, dtype: .float32)
        }()
    }

    /// `z · Wᵀ + bias` for complex float32 `z [..., columns]`: shape `[..., rows]`, the values of
    /// ``ComplexCSRMatrix/linear(_:bias:)`` for batches of 4 and more and the row-window product's
    /// (within the same float32 bound) below.
    /// - Precondition: `z` is float32 and ends in `columns` features.
    func linear(_ z: ComplexTensor) -> ComplexTensor {
        let zs = z.real.shape
        require(zs.count >= 1 && zs[zs.count - 1] == columns,
                "ComplexCSRMatrix.linear: input \(zs) does not end in \(columns) features (weight \(rows)×\(columns))")
        require(z.dtype == .float32, "ComplexCSRMatrix.linear: sparse inference is float32, got a \(z.dtype) input")
        var yr = output(outputReal, zs), yi = output(outputImag, zs)
        let n = columns == 0 ? yr.count / Swift.max(rows, 1) : z.real.count / columns
        let status: Int32 = z.real.withUnsafeBufferPointer { (xr: UnsafeBufferPointer<Float>) in
            z.imag.withUnsafeBufferPointer { (xi: UnsafeBufferPointer<Float>) in
                yr.withUnsafeMutableBufferPointer { (pr: UnsafeMutableBufferPointer<Float>) in
                    yi.withUnsafeMutableBufferPointer { (pi: UnsafeMutableBufferPointer<Float>) in
                        wt_ccsr_linear_windowed(rows, columns, rowPointers, columnIndices, realValues, imagValues,
                                                window?.descriptor, window?.imaginaryValues, biasReal, biasImag, n,
                                                xr.baseAddress, xi.baseAddress, columns, pr.baseAddress, pi.baseAddress, rows)
                    }
                }
            }
        }
        require(status == 0, "ComplexCSRMatrix.linear: out of memory for the scratch tiles of a \(n)×\(columns) input")
        outputReal.keep(yr)
        outputImag.keep(yi)
        return ComplexTensor(real: yr, imag: yi)
    }
}
