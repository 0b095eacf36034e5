// Sparse deployment of complex linear layers: a complex weight in CSR form (one index structure,
// split real and imaginary values) and the inference layer built on it. The arithmetic is the C
// kernel `wt_ccsr_linear` (Sources/Kernels/sparse_spmm.c), and for the layer's batches below 4 on a
// CPU with the AVX2 or AVX-512 tier its row-window form `wt_ccsr_linear_windowed` (sparse_cwindow.c).

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
        let c = CSRMatrix.compressed([dense.real, dense.imag], shape: dense.shape, mask: mask, type: "ComplexCSRMatrix")
        pattern = CSRMatrix(rows: c.rows, columns: c.columns, rowPointers: c.rowPointers, columnIndices: c.columnIndices,
                            values: c.values[0])
        imaginaryValues = c.values[1]
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
        let (y, status) = complexCSRProduct(pattern, imaginaryValues, z, bias: bias, outputs: rows, outShape: outShape) { b in
            wt_ccsr_linear(rows, columns, b.rowPointers, b.columnIndices, b.realValues, b.imagValues, b.biasReal, b.biasImag, n,
                           b.inputReal, b.inputImag, columns, b.outputReal, b.outputImag, rows)
        }
        require(status == 0, "ComplexCSRMatrix.linear: out of memory for the scratch tiles of a \(n)×\(columns) input")
        return y
    }
}

/// An inference-only complex linear layer compiled from a masked, binarized or dense `CplxLinear`
/// weight: `y = z·Wᵀ + b` for complex float32 `z [..., inFeatures]` → `[..., outFeatures]`.
///
/// The weight is stored as a ``ComplexCSRMatrix`` when its density (stored complex values /
/// elements) is at most `maxDensity`, else as a dense complex float32 matrix used through
/// `Ops.linear`. A CSR weight also gets its row-window layout (``ComplexCSRRowWindow``) on a CPU
/// with the AVX2 or AVX-512 tier, which batches below 4 read instead of gathering their inputs. Like
/// ``SparseLinear`` it holds its tensors itself, ignores the `parameters` it is called with, and
/// stops when called on a traced tensor (it records nothing on a tape).
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
    /// The call path of CSR storage (its arrays as the kernel takes them, the row-window layout
    /// and kept output parts, ``SparseComplexLinearPlan``); nil for dense storage.
    let plan: SparseComplexLinearPlan?
    /// The CSR weight's row-window layout for batches below 4 (``ComplexCSRRowWindow``: 16 lanes
    /// on a CPU with the AVX-512 tier, at least 32 input features; 8 lanes on one with the AVX2
    /// tier, at least 16), for CSR storage; else nil.
    var window: ComplexCSRRowWindow? { plan?.window }

    /// Compiles `weight ⊙ mask` (complex `weight [out, in]`, optional real `mask` of that shape,
    /// optional complex `bias [out]`; float32 or float64, stored as float32).
    public init(weight: ComplexTensor, bias: ComplexTensor?, mask: Tensor? = nil,
                maxDensity: Double = SparseLinear.defaultMaxDensity) {
        (inFeatures, outFeatures) = sparseLinearFeatures(weight: weight.shape, bias: bias?.shape, type: "SparseComplexLinear")
        let csr = ComplexCSRMatrix(dense: weight, mask: mask)
        storage = Storage(csr, density: csr.density, maxDensity: maxDensity) { maskedFloat32(weight, mask) }
        self.bias = bias?.detached().converted(to: .float32)
        if storage.isCSR {
            let window = wt_detected_isa().rawValue >= WT_ISA_AVX2_FMA.rawValue ? ComplexCSRRowWindow(csr) : nil
            plan = SparseComplexLinearPlan(csr, bias: self.bias, window: window)
        } else {
            plan = nil
        }
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
        case .csr(let c): return plan?.linear(z) ?? c.linear(z, bias: bias)
        case .dense(let w): return Ops.linear(z, w, bias: bias)
        }
    }

    /// Applies the layer; `parameters` and `context` are not used (the weight is compiled in).
    public func callAsFunction(_ z: ComplexTensor, parameters: ParameterTree, context: Context) -> ComplexTensor { self(z) }
}

/// The base addresses of a complex CSR product's float32 buffers, as the `wt_ccsr_*` kernels take them.
struct ComplexCSRBuffers {
    /// The pattern's row pointers and column indices.
    let rowPointers: UnsafePointer<Int32>?, columnIndices: UnsafePointer<Int32>?
    /// The stored values' real and imaginary parts.
    let realValues: UnsafePointer<Float>?, imagValues: UnsafePointer<Float>?
    /// The bias parts (zeros when there is no bias).
    let biasReal: UnsafePointer<Float>?, biasImag: UnsafePointer<Float>?
    /// The input's parts.
    let inputReal: UnsafePointer<Float>?, inputImag: UnsafePointer<Float>?
    /// The output's parts, to be written.
    let outputReal: UnsafeMutablePointer<Float>?, outputImag: UnsafeMutablePointer<Float>?
}

/// Runs `kernel`, a `wt_ccsr_*` product of the complex CSR weight (`pattern` with real values,
/// `imaginaryValues`) with the complex float32 input `z` and `bias` (complex float32 `[outputs]`,
/// zeros when nil), on the buffers' base addresses; returns the complex float32 output of shape
/// `outShape` it wrote and the kernel's status.
func complexCSRProduct(_ pattern: CSRMatrix, _ imaginaryValues: [Float], _ z: ComplexTensor, bias: ComplexTensor?, outputs: Int,
                       outShape: [Int], _ kernel: (ComplexCSRBuffers) -> Int32) -> (output: ComplexTensor, status: Int32) {
    var yr = Tensor(uninitializedShape: outShape, dtype: .float32), yi = Tensor(uninitializedShape: outShape, dtype: .float32)
    let zero = Tensor.zeros([outputs], dtype: .float32)
    let br = bias?.real ?? zero, bi = bias?.imag ?? zero
    let status: Int32 = z.real.withUnsafeBufferPointer { (xr: UnsafeBufferPointer<Float>) in
        z.imag.withUnsafeBufferPointer { (xi: UnsafeBufferPointer<Float>) in
            yr.withUnsafeMutableBufferPointer { (pr: UnsafeMutableBufferPointer<Float>) in
                yi.withUnsafeMutableBufferPointer { (pi: UnsafeMutableBufferPointer<Float>) in
                    br.withUnsafeBufferPointer { (bp: UnsafeBufferPointer<Float>) in
                        bi.withUnsafeBufferPointer { (bq: UnsafeBufferPointer<Float>) in
                            pattern.withArrays { rp, ci, vr in
                                imaginaryValues.withUnsafeBufferPointer { vi in
                                    kernel(ComplexCSRBuffers(rowPointers: rp, columnIndices: ci, realValues: vr,
                                                             imagValues: vi.baseAddress, biasReal: bp.baseAddress,
                                                             biasImag: bq.baseAddress, inputReal: xr.baseAddress,
                                                             inputImag: xi.baseAddress, outputReal: pr.baseAddress,
                                                             outputImag: pi.baseAddress))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return (ComplexTensor(real: yr, imag: yi), status)
}
