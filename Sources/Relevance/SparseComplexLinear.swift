// Sparse deployment of complex linear layers: a complex weight in CSR form (one index structure,
// split real and imaginary values) and the inference layer built on it. The arithmetic is the C
// kernel `wt_ccsr_linear` (Sources/Kernels/sparse_spmm.c).

import Autodiff
import Kernels
import NN
import Ops

/// A complex matrix in compressed sparse row form: float32 real and imaginary values sharing one
/// set of 32-bit row pointers and column indices.
///
/// Row `r` holds `realValues[k] + i·imaginaryValues[k]` at column `columnIndices[k]` for
/// `k in rowPointers[r] ..< rowPointers[r + 1]`; columns ascend within a row.
public struct ComplexCSRMatrix: Sendable, Equatable {
    /// The sparsity pattern (its `values` are the real parts).
    public let pattern: CSRMatrix
    /// The imaginary part of each stored value, aligned with `pattern.values`.
    public let imaginaryValues: [Float]

    /// Number of rows (output features).
    public var rows: Int { pattern.rows }
    /// Number of columns (input features).
    public var columns: Int { pattern.columns }
    /// Number of stored complex values.
    public var nonzeroCount: Int { pattern.nonzeroCount }
    /// Stored values / (rows · columns).
    public var density: Double { pattern.density }

    /// The elements of `dense ⊙ mask` that are not `0 + 0i` (`dense` complex `[rows, columns]`,
    /// `mask` optional, real, same shape, multiplying both parts as in ``Masked``). float64
    /// weights are rounded to float32.
    /// - Precondition: `dense` has rank 2, the mask (if any) has its shape, and the counts fit in Int32.
    public init(dense: ComplexTensor, mask: Tensor? = nil) {
        require(dense.rank == 2, "ComplexCSRMatrix: need a [rows, columns] weight, got \(dense.shape)")
        if let m = mask {
            require(m.shape == dense.shape, "ComplexCSRMatrix: mask \(m.shape) does not match weight \(dense.shape)")
        }
        let rows = dense.shape[0], columns = dense.shape[1]
        require(rows * columns <= Int(Int32.max), "ComplexCSRMatrix: \(dense.shape) has too many elements for 32-bit indices")
        let re = dense.real.converted(to: .float32).scalars(as: Float.self)
        let im = dense.imag.converted(to: .float32).scalars(as: Float.self)
        let keep: [Float]? = mask.map { $0.converted(to: .float32).scalars(as: Float.self) }
        var pointers = [Int32](repeating: 0, count: rows + 1)
        var indices: [Int32] = [], vr: [Float] = [], vi: [Float] = []
        for r in 0..<rows {
            for c in 0..<columns {
                let i = r * columns + c
                let a = keep.map { re[i] * $0[i] } ?? re[i], b = keep.map { im[i] * $0[i] } ?? im[i]
                if a != 0 || b != 0 { indices.append(Int32(c)); vr.append(a); vi.append(b) }
            }
            pointers[r + 1] = Int32(indices.count)
        }
        pattern = CSRMatrix(rows: rows, columns: columns, rowPointers: pointers, columnIndices: indices, values: vr)
        imaginaryValues = vi
    }

    /// A matrix from its pattern (real parts in `pattern.values`) and the imaginary parts.
    /// - Precondition: `imaginaryValues.count == pattern.nonzeroCount`.
    public init(pattern: CSRMatrix, imaginaryValues: [Float]) {
        require(imaginaryValues.count == pattern.nonzeroCount,
                "ComplexCSRMatrix: \(imaginaryValues.count) imaginary parts for \(pattern.nonzeroCount) stored values")
        self.pattern = pattern
        self.imaginaryValues = imaginaryValues
    }

    /// The matrix as a dense complex float32 `[rows, columns]` tensor.
    public func dense() -> ComplexTensor {
        ComplexTensor(real: pattern.dense(),
                      imag: CSRMatrix(rows: rows, columns: columns, rowPointers: pattern.rowPointers,
                                      columnIndices: pattern.columnIndices, values: imaginaryValues).dense())
    }

    /// `z · selfᵀ + bias` for complex float32 `z [..., columns]`: `[..., rows]`, with
    /// `Re y = Σ (wr·xr − wi·xi) + br`, `Im y = Σ (wr·xi + wi·xr) + bi`. `bias` (complex float32
    /// `[rows]`) is optional. Computed by `wt_ccsr_linear`.
    /// - Precondition: shapes as above, float32 parts.
    public func linear(_ z: ComplexTensor, bias: ComplexTensor? = nil) -> ComplexTensor {
        require(z.rank >= 1 && z.shape.last == columns,
                "ComplexCSRMatrix.linear: input \(z.shape) does not end in \(columns) features (weight \(rows)×\(columns))")
        require(z.dtype == .float32, "ComplexCSRMatrix.linear: sparse inference is float32, got a \(z.dtype) input")
        if let b = bias {
            require(b.shape == [rows] && b.dtype == .float32,
                    "ComplexCSRMatrix.linear: bias must be complex float32 [\(rows)], got \(b.dtype) \(b.shape)")
        }
        let n = z.shape.dropLast().reduce(1, *)
        let outShape = Array(z.shape.dropLast()) + [rows]
        var yr = Tensor(uninitializedShape: outShape, dtype: .float32), yi = Tensor(uninitializedShape: outShape, dtype: .float32)
        let zero = Tensor.zeros([rows], dtype: .float32)
        let br = bias?.real ?? zero, bi = bias?.imag ?? zero
        let status: Int32 = z.real.withUnsafeBufferPointer { (xr: UnsafeBufferPointer<Float>) in
            z.imag.withUnsafeBufferPointer { (xi: UnsafeBufferPointer<Float>) in
                yr.withUnsafeMutableBufferPointer { (pr: UnsafeMutableBufferPointer<Float>) in
                    yi.withUnsafeMutableBufferPointer { (pi: UnsafeMutableBufferPointer<Float>) in
                        br.withUnsafeBufferPointer { (bp: UnsafeBufferPointer<Float>) in
                            bi.withUnsafeBufferPointer { (bq: UnsafeBufferPointer<Float>) in
                                pattern.rowPointers.withUnsafeBufferPointer { rp in
                                    pattern.columnIndices.withUnsafeBufferPointer { ci in
                                        pattern.values.withUnsafeBufferPointer { vr in
                                            imaginaryValues.withUnsafeBufferPointer { vi in
                                                wt_ccsr_linear(rows, columns, rp.baseAddress, ci.baseAddress, vr.baseAddress,
                                                               vi.baseAddress, bp.baseAddress, bq.baseAddress, n,
                                                               xr.baseAddress, xi.baseAddress, columns,
                                                               pr.baseAddress, pi.baseAddress, rows)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        require(status == 0, "ComplexCSRMatrix.linear: out of memory for the scratch tiles of a \(n)×\(columns) input")
        return ComplexTensor(real: yr, imag: yi)
    }
}

/// An inference-only complex linear layer compiled from a masked, binarized or dense `CplxLinear`
/// weight: `y = z·Wᵀ + b` for complex float32 `z [..., inFeatures]` → `[..., outFeatures]`.
///
/// The weight is stored as a ``ComplexCSRMatrix`` when its density (stored complex values /
/// elements) is at most `maxDensity`, else as a dense complex float32 matrix used through
/// `Ops.linear`. Like ``SparseLinear`` it holds its tensors itself, ignores the `parameters` it is
/// called with, and stops when called on a traced tensor (it records nothing on a tape).
public struct SparseComplexLinear: SequentialLayer {
    /// A complex float32 tensor `[…, inFeatures]`.
    public typealias Input = ComplexTensor
    /// A complex float32 tensor `[…, outFeatures]`.
    public typealias Output = ComplexTensor

    /// How the weight is stored: `.csr(ComplexCSRMatrix)` (split real and imaginary values) or
    /// `.dense(ComplexTensor)` (a dense complex float32 `[out, in]` matrix, mask multiplied in).
    public typealias Storage = CompiledWeight<ComplexCSRMatrix, ComplexTensor>

    /// Input features.
    public let inFeatures: Int
    /// Output features.
    public let outFeatures: Int
    /// The compiled weight.
    public let storage: Storage
    /// Complex float32 `[out]`, or nil.
    public let bias: ComplexTensor?

    /// Compiles `weight ⊙ mask` (complex `weight [out, in]`, optional real `mask` of that shape,
    /// optional complex `bias [out]`; float32 or float64, stored as float32).
    public init(weight: ComplexTensor, bias: ComplexTensor?, mask: Tensor? = nil,
                maxDensity: Double = SparseLinear.defaultMaxDensity) {
        require(weight.rank == 2, "SparseComplexLinear: need a [out, in] weight, got \(weight.shape)")
        if let b = bias { require(b.shape == [weight.shape[0]], "SparseComplexLinear: bias \(b.shape) does not match weight \(weight.shape)") }
        let csr = ComplexCSRMatrix(dense: weight, mask: mask)
        inFeatures = weight.shape[1]; outFeatures = weight.shape[0]
        storage = Storage(csr, density: csr.density, maxDensity: maxDensity) { maskedFloat32(weight, mask) }
        self.bias = bias?.detached().converted(to: .float32)
    }

    /// Number of stored complex weights (nonzeros for CSR, all elements for dense storage).
    public var storedWeightCount: Int {
        switch storage { case .csr(let c): return c.nonzeroCount; case .dense(let w): return w.count }
    }

    /// Whether the weight is stored in CSR form.
    public var isCSR: Bool { storage.isCSR }

    /// `z · Wᵀ + b` for complex float32 `z [..., in]`.
    public func callAsFunction(_ z: ComplexTensor) -> ComplexTensor {
        require(!z.real.isTraced && !z.imag.isTraced,
                "SparseComplexLinear: inference only; it cannot be differentiated (compile after training)")
        require(z.dtype == .float32, "SparseComplexLinear: sparse inference is float32, got a \(z.dtype) input")
        switch storage {
        case .csr(let c): return c.linear(z, bias: bias)
        case .dense(let w): return Ops.linear(z, w, bias: bias)
        }
    }

    /// Applies the layer; `parameters` and `context` are not used (the weight is compiled in).
    public func callAsFunction(_ z: ComplexTensor, parameters: ParameterTree, context: Context) -> ComplexTensor { self(z) }
}
