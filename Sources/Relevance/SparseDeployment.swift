// Sparse deployment: compiling masked (or binarized) linear weights into a compressed form for
// fast inference. The arithmetic is the C kernel `wt_scsr_linear` (Sources/Kernels/sparse.c).

import Autodiff
import Kernels
import NN
import Ops

/// A real matrix in compressed sparse row (CSR) form, float32 values and 32-bit indices.
///
/// Row `r` holds the values `values[k]` at columns `columnIndices[k]` for
/// `k in rowPointers[r] ..< rowPointers[r + 1]`; columns ascend within a row.
public struct CSRMatrix: Sendable, Equatable {
    /// Number of rows (output features of a linear weight).
    public let rows: Int
    /// Number of columns (input features).
    public let columns: Int
    /// `rows + 1` offsets into `columnIndices` / `values`, starting at 0.
    public let rowPointers: [Int32]
    /// Column of each stored value.
    public let columnIndices: [Int32]
    /// The stored values.
    public let values: [Float]

    /// The nonzero elements of `dense ⊙ mask` (`mask` optional, same shape `[rows, columns]`).
    /// A masked-out element is dropped even if the weight is not zero; a kept element that is
    /// exactly zero is dropped too (it contributes nothing). float64 weights are rounded to float32.
    /// - Precondition: `dense` has rank 2, the mask (if any) has its shape, and the counts fit in Int32.
    public init(dense: Tensor, mask: Tensor? = nil) {
        let c = CSRMatrix.compressed([dense], shape: dense.shape, mask: mask, type: "CSRMatrix")
        self.rows = c.rows; self.columns = c.columns
        self.rowPointers = c.rowPointers; self.columnIndices = c.columnIndices; self.values = c.values[0]
    }

    /// The CSR arrays of the `[rows, columns]` weight `parts` (the weight, or its real and
    /// imaginary parts) times an optional `mask` of their `shape`, each rounded to float32: a
    /// position is kept when one of its masked parts is not zero, and `values[k]` holds part k's
    /// kept values. `type` names the caller in the stops.
    /// - Precondition: `shape` has rank 2, the mask (if any) has it, and the counts fit in Int32.
    static func compressed(_ parts: [Tensor], shape: [Int], mask: Tensor?, type: String)
        -> (rows: Int, columns: Int, rowPointers: [Int32], columnIndices: [Int32], values: [[Float]]) {
        require(shape.count == 2, "\(type): need a [rows, columns] weight, got \(shape)")
        if let m = mask {
            require(m.shape == shape, "\(type): mask \(m.shape) does not match weight \(shape)")
        }
        let rows = shape[0], columns = shape[1]
        require(rows * columns <= Int(Int32.max), "\(type): \(shape) has too many elements for 32-bit indices")
        let weights = parts.map { $0.converted(to: .float32).scalars(as: Float.self) }
        let keep: [Float]? = mask.map { $0.converted(to: .float32).scalars(as: Float.self) }
        var pointers = [Int32](repeating: 0, count: rows + 1)
        var indices: [Int32] = [], values = [[Float]](repeating: [], count: parts.count)
        var v = [Float](repeating: 0, count: parts.count)
        for r in 0..<rows {
            for c in 0..<columns {
                let i = r * columns + c
                for k in v.indices { v[k] = keep.map { weights[k][i] * $0[i] } ?? weights[k][i] }
                if v.contains(where: { $0 != 0 }) {
                    indices.append(Int32(c))
                    for k in v.indices { values[k].append(v[k]) }
                }
            }
            pointers[r + 1] = Int32(indices.count)
        }
        return (rows, columns, pointers, indices, values)
    }

    /// A matrix from its three arrays.
    /// - Precondition: `rowPointers` has `rows + 1` non-decreasing entries from 0 to
    ///   `values.count`, `columnIndices` has as many entries as `values`, each in `0 ..< columns`.
    public init(rows: Int, columns: Int, rowPointers: [Int32], columnIndices: [Int32], values: [Float]) {
        require(rows >= 0 && columns >= 0, "CSRMatrix: negative size \(rows)×\(columns)")
        require(rowPointers.count == rows + 1 && rowPointers.first == 0 && Int(rowPointers.last!) == values.count,
                     "CSRMatrix: rowPointers must have \(rows + 1) entries from 0 to \(values.count)")
        require(zip(rowPointers, rowPointers.dropFirst()).allSatisfy { $0 <= $1 }, "CSRMatrix: rowPointers decrease")
        require(columnIndices.count == values.count, "CSRMatrix: \(columnIndices.count) column indices for \(values.count) values")
        require(columnIndices.allSatisfy { $0 >= 0 && Int($0) < columns }, "CSRMatrix: a column index is outside 0..<\(columns)")
        self.rows = rows; self.columns = columns
        self.rowPointers = rowPointers; self.columnIndices = columnIndices; self.values = values
    }

    /// Number of stored values.
    public var nonzeroCount: Int { values.count }

    /// Stored values / (rows · columns); 0 for an empty shape.
    public var density: Double { rows * columns == 0 ? 0 : Double(values.count) / Double(rows * columns) }

    /// The matrix as a dense float32 `[rows, columns]` tensor.
    public func dense() -> Tensor {
        var out = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for k in Int(rowPointers[r])..<Int(rowPointers[r + 1]) { out[r * columns + Int(columnIndices[k])] = values[k] }
        }
        return Tensor(shape: [rows, columns], scalars: out)
    }

    /// Calls `body` with the base addresses of ``rowPointers``, ``columnIndices`` and ``values``, as
    /// the `wt_*csr_*` kernels take them (an empty array may have no base address; the kernels read
    /// none of it then).
    func withArrays<R>(_ body: (UnsafePointer<Int32>?, UnsafePointer<Int32>?, UnsafePointer<Float>?) -> R) -> R {
        rowPointers.withUnsafeBufferPointer { rp in
            columnIndices.withUnsafeBufferPointer { ci in
                values.withUnsafeBufferPointer { vp in body(rp.baseAddress, ci.baseAddress, vp.baseAddress) }
            }
        }
    }

    /// `x · selfᵀ + bias` for `x` of shape `[..., columns]` (float32): shape `[..., rows]`.
    /// `bias` (float32 `[rows]`) is optional; with `relu`, the result goes through ReLU in the same
    /// pass (elements > 0 or NaN kept, others +0, like `Ops.relu`). Computed by `wt_scsr_linear`.
    /// - Precondition: shapes as above, float32 tensors.
    public func linear(_ x: Tensor, bias: Tensor? = nil, relu: Bool = false) -> Tensor {
        linear(x, bias: bias, relu: relu, window: nil)
    }

    /// ``linear(_:bias:relu:)`` with this matrix's row-window layout for batches below 4 (computed by
    /// `wt_scsr_linear_windowed`; nil: `wt_scsr_linear`).
    func linear(_ x: Tensor, bias: Tensor?, relu: Bool, window: CSRRowWindow?) -> Tensor {
        require(x.rank >= 1 && x.shape.last == columns,
                     "CSRMatrix.linear: input \(x.shape) does not end in \(columns) features (weight \(rows)×\(columns))")
        require(x.dtype == .float32, "CSRMatrix.linear: sparse inference is float32, got a \(x.dtype) input")
        if let b = bias {
            require(b.shape == [rows] && b.dtype == .float32, "CSRMatrix.linear: bias must be float32 [\(rows)], got \(b.dtype) \(b.shape)")
        }
        let batch = x.count / Swift.max(columns, 1)
        let n = columns == 0 ? x.shape.dropLast().reduce(1, *) : batch
        var shape = x.shape
        shape[shape.count - 1] = rows
        var y = Tensor(uninitializedShape: shape, dtype: .float32)
        let status: Int32 = x.withUnsafeBufferPointer { (xp: UnsafeBufferPointer<Float>) in
            y.withUnsafeMutableBufferPointer { (yp: UnsafeMutableBufferPointer<Float>) in
                withOptionalElements(bias) { bp in
                    withArrays { rp, ci, vp in
                        wt_scsr_linear_windowed(rows, columns, rp, ci, vp, window?.descriptor, bp, n, xp.baseAddress, columns,
                                                yp.baseAddress, rows, relu ? WT_SPARSE_RELU : 0)
                    }
                }
            }
        }
        require(status == 0, "CSRMatrix.linear: out of memory for the \(n)×\(columns) scratch tile")
        return y
    }
}

/// `weight ⊙ mask` as an untraced float32 tensor (the mask optional, of the weight's shape): the
/// dense storage of every compiled layer.
func maskedFloat32(_ weight: Tensor, _ mask: Tensor?) -> Tensor {
    let w = weight.detached().converted(to: .float32)
    return mask.map { w * $0.detached().converted(to: .float32) } ?? w
}

/// The complex `weight ⊙ mask`: the real mask multiplies both parts.
func maskedFloat32(_ weight: ComplexTensor, _ mask: Tensor?) -> ComplexTensor {
    ComplexTensor(real: maskedFloat32(weight.real, mask), imag: maskedFloat32(weight.imag, mask))
}

/// How a compiled inference layer holds its weight: in a compressed sparse form (`Sparse`:
/// ``CSRMatrix``, ``ComplexCSRMatrix``, ``ConvolutionCSR``) or dense (`Dense`: the float32 weight
/// with the mask multiplied in, real or complex). One type for ``SparseLinear``,
/// ``SparseComplexLinear``, ``SparseConvolution`` and ``SparseComplexConvolution``.
public enum CompiledWeight<Sparse: Sendable, Dense: Sendable>: Sendable {
    /// The compressed sparse form.
    case csr(Sparse)
    /// The dense form.
    case dense(Dense)

    /// `.csr(sparse)` when `density ≤ maxDensity`, else `.dense(dense())` (the one rule of every
    /// compiled layer; `maxDensity: -.infinity` always keeps the weight dense).
    public init(_ sparse: Sparse, density: Double, maxDensity: Double, dense: () -> Dense) {
        self = density <= maxDensity ? .csr(sparse) : .dense(dense())
    }

    /// Whether the weight is in the compressed sparse form.
    public var isCSR: Bool { if case .csr = self { return true } else { return false } }
}

extension CompiledWeight: Equatable where Sparse == CSRMatrix, Dense == Tensor {
    /// Same form with equal contents (for `.dense`: same shape and elementwise `==` values).
    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.csr(let x), .csr(let y)): return x == y
        case (.dense(let x), .dense(let y)): return x.shape == y.shape && x.scalars == y.scalars
        default: return false
        }
    }
}

/// An inference-only linear layer whose weight was compiled from a masked, sparse or dense weight:
/// `y = x · (W ⊙ mask)ᵀ + b`, input `[..., in]` → output `[..., out]`, float32.
///
/// The weight is stored in CSR form when its density (kept nonzeros / elements) is at most
/// `maxDensity`, else as a dense float32 matrix (the dense GEMM wins above roughly 40–50% density on
/// an AVX2 machine, see Docs/Benchmarks.md), packed once for the GEMM (``PackedLinearWeight``: one
/// more copy of the weight in memory, and no packing per call for batches above 16 rows). Unlike the other layers it holds its tensors itself
/// and ignores the `parameters` it is called with, so a compiled model runs with the tree that
/// ``compileSparse(_:parameters:maxDensity:)`` returns. It records nothing on a tape: calling it on
/// a traced tensor (inside a gradient computation) stops with a message.
public struct SparseLinear: SequentialLayer {
    /// A real float32 tensor `[…, inFeatures]`.
    public typealias Input = Tensor
    /// A real float32 tensor `[…, outFeatures]`.
    public typealias Output = Tensor

    /// How the weight is stored: `.csr(CSRMatrix)` or `.dense(Tensor)` (a dense float32
    /// `[out, in]` matrix, mask already multiplied in).
    public typealias Storage = CompiledWeight<CSRMatrix, Tensor>

    /// The density at or below which ``init(weight:bias:mask:maxDensity:)`` chooses CSR.
    public static let defaultMaxDensity = 0.4

    /// Input features.
    public let inFeatures: Int
    /// Output features.
    public let outFeatures: Int
    /// The compiled weight.
    public let storage: Storage
    /// float32 `[out]`, or nil.
    public let bias: Tensor?
    /// Whether a following ReLU is applied in the same pass (see ``fusingReLU()``).
    public let fusedReLU: Bool
    /// The dense weight packed once for the GEMM: always for dense storage, and for CSR storage
    /// denser than `smallBatchMaxDensity` (used for batches below ``smallBatch``); else nil.
    private let packed: PackedLinearWeight?
    /// The CSR weight's row-window layout for batches below ``smallBatch`` (``CSRRowWindow``: the
    /// 16-lane layout on a CPU with the AVX-512 tier, the 8-lane one on a CPU whose best tier is
    /// AVX2; not read at the portable tier): for CSR storage with at least 32 (AVX-512) or 16 (AVX2)
    /// input features and no dense small-batch copy; else nil.
    let window: CSRRowWindow?
    /// The call path of CSR storage (its arrays as the kernel takes them and a kept output
    /// tensor, ``SparseLinearPlan``); nil for dense storage.
    let plan: SparseLinearPlan?

    /// Batches (rows of the input) below this take the CSR kernel's gathered dot products, where
    /// CSR stops paying off much earlier than for larger batches (see ``smallBatchMaxDensity``).
    public static let smallBatch = 4

    /// The density above which a CSR weight also keeps a packed dense copy for batches below
    /// ``smallBatch``: the measured CSR/dense crossover of a real 784 → 400 weight at batch 1
    /// (Docs/Inference.md, "Where CSR stops paying off"), where the dense product of one row
    /// streams the weight at memory speed — about 12 % with the gathered CSR product (0.12); with
    /// the row-window product of a CPU with the AVX-512 tier above 50 % at batch 1 and between 40
    /// and 50 % at batch 3 since session 8 (0.4 there, ``defaultMaxDensity``: a weight stored as
    /// CSR at the default cut-off keeps no dense copy).
    public static let defaultSmallBatchMaxDensity = wt_detected_isa() == WT_ISA_AVX512 ? 0.4 : 0.12

    /// Compiles `weight ⊙ mask` (`weight [out, in]`, optional `mask` of the same shape, optional
    /// `bias [out]`; float32 or float64, stored as float32). A weight at most `maxDensity` dense is
    /// stored as CSR; if it is also denser than `smallBatchMaxDensity`, a packed dense copy is kept
    /// for batches below ``smallBatch`` (one more copy of the weight in memory; pass `1` to run
    /// every batch through CSR).
    public init(weight: Tensor, bias: Tensor?, mask: Tensor? = nil, maxDensity: Double = SparseLinear.defaultMaxDensity,
                smallBatchMaxDensity: Double = SparseLinear.defaultSmallBatchMaxDensity) {
        (inFeatures, outFeatures) = sparseLinearFeatures(weight: weight.shape, bias: bias?.shape, type: "SparseLinear")
        let csr = CSRMatrix(dense: weight, mask: mask)
        storage = Storage(csr, density: csr.density, maxDensity: maxDensity) { maskedFloat32(weight, mask) }
        switch storage {
        case .dense(let w): packed = PackedLinearWeight(w); window = nil
        case .csr:
            packed = csr.density > smallBatchMaxDensity ? PackedLinearWeight(maskedFloat32(weight, mask)) : nil
            window = packed == nil && wt_detected_isa().rawValue >= WT_ISA_AVX2_FMA.rawValue ? CSRRowWindow(csr) : nil
        }
        self.bias = bias?.detached().converted(to: .float32)
        plan = storage.isCSR ? SparseLinearPlan(csr, bias: self.bias, window: window) : nil
        fusedReLU = false
    }

    private init(_ other: SparseLinear, fusedReLU: Bool) {
        inFeatures = other.inFeatures; outFeatures = other.outFeatures
        storage = other.storage; bias = other.bias; packed = other.packed; window = other.window; plan = other.plan
        self.fusedReLU = fusedReLU
    }

    /// This layer followed by ReLU, computed in one pass: `relu(x · Wᵀ + b)` (as `Ops.relu`:
    /// elements > 0 or NaN kept, others +0).
    public func fusingReLU() -> SparseLinear { SparseLinear(self, fusedReLU: true) }

    /// Compiles the masked linear layer `layer` with its parameters `p` (`weight`, `bias`, `mask`).
    /// - Precondition: `p` holds the layer's weight (and bias) and a `mask`.
    public init(_ layer: Masked<Linear>, parameters p: ParameterTree, maxDensity: Double = SparseLinear.defaultMaxDensity) {
        guard let w = p["weight"], let m = p["mask"] else {
            fatalError("SparseLinear: masked layer parameters need 'weight' and 'mask', got \(p.keys)")
        }
        self.init(weight: w, bias: layer.base.bias ? p["bias"] : nil, mask: m, maxDensity: maxDensity)
    }

    /// Number of stored weights (nonzeros for CSR, all elements for dense storage).
    public var storedWeightCount: Int {
        switch storage { case .csr(let c): return c.nonzeroCount; case .dense(let w): return w.count }
    }

    /// Whether the weight is stored in CSR form.
    public var isCSR: Bool { storage.isCSR }

    /// The dense copy a CSR weight keeps for batches below ``smallBatch`` (float32 `[out, in]`,
    /// mask multiplied in), or nil (dense storage, or a CSR weight at most
    /// `smallBatchMaxDensity` dense).
    var smallBatchWeight: Tensor? { storage.isCSR ? packed?.weight : nil }

    /// `x · Wᵀ + b` (then ReLU if ``fusedReLU``) for float32 `x [..., in]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        require(!x.isTraced, "SparseLinear: inference only; it cannot be differentiated (compile after training)")
        if let plan {  // CSR storage
            if let packed, x.rank >= 1, x.count / Swift.max(inFeatures, 1) < Self.smallBatch {
                require(x.dtype == .float32, "SparseLinear: sparse inference is float32, got a \(x.dtype) input")
                require(x.shape.last == inFeatures, "SparseLinear: input \(x.shape) does not end in \(inFeatures) features")
                return Ops.linear(x, packed, bias: bias, relu: fusedReLU)
            }
            return plan.linear(x, relu: fusedReLU)
        }
        switch storage {
        case .csr(let c):
            return c.linear(x, bias: bias, relu: fusedReLU, window: window)
        case .dense(let w):
            require(x.dtype == .float32, "SparseLinear: sparse inference is float32, got a \(x.dtype) input")
            if let packed { return Ops.linear(x, packed, bias: bias, relu: fusedReLU) }
            let y = Ops.linear(x, w, bias: bias)
            return fusedReLU ? relu(y) : y
        }
    }

    /// Applies the layer; `parameters` and `context` are not used (the weight is compiled in).
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> Tensor { self(x) }
}

/// A module that can replace itself by a form for sparse inference (see ``compileSparse(_:parameters:maxDensity:)``).
public protocol SparseCompilable: SequentialLayer {
    /// The inference form of this layer and the parameters it still needs (keys relative to the
    /// layer). `parameters` are the layer's own (scoped) entries; `path` names it in messages.
    func compiledForSparseInference(parameters: ParameterTree, path: String, maxDensity: Double)
        -> (layer: any SequentialLayer, parameters: ParameterTree)
}

/// A weighted layer whose weight (times an optional mask) compiles into a sparse inference layer:
/// `Linear`, `CplxLinear`, and regular one-group `Conv1d/2d/3d` and `CplxConv1d/2d/3d`.
public protocol SparseCompilableWeighted: WeightedLayer, SequentialLayer {
    /// The inference form of this layer for its parameters `p` (keys relative to the layer:
    /// `weight` or `weight.real`/`weight.imag`, and the bias) with `weight ⊙ mask`; nil when the
    /// layer has no sparse form (a grouped convolution), in which case it is kept as it is.
    /// `path` names the layer in messages.
    func sparseInferenceLayer(parameters p: ParameterTree, mask: Tensor?, path: String, maxDensity: Double) -> (any SequentialLayer)?
}

extension SparseCompilableWeighted where Self: SparseCompilable {
    /// The sparse form of the weight's own nonzeros (weights zeroed by ``binarizeMasks(_:masks:)``),
    /// no mask: ``SparseLinear``, ``SparseComplexLinear``, ``SparseConvolution`` or
    /// ``SparseComplexConvolution``, CSR only when the weight is sparse enough, else dense storage;
    /// no parameters remain. A layer without a sparse form (a grouped convolution) is kept as it is.
    public func compiledForSparseInference(parameters p: ParameterTree, path: String, maxDensity: Double)
        -> (layer: any SequentialLayer, parameters: ParameterTree) {
        guard let l = sparseInferenceLayer(parameters: p, mask: nil, path: path, maxDensity: maxDensity) else { return (self, p) }
        return (l, ParameterTree())
    }
}

/// The `(in, out)` features of a sparse linear layer's `weight [out, in]` and optional `bias [out]`
/// shapes, or a stop naming `type` and the shapes.
func sparseLinearFeatures(weight: [Int], bias: [Int]?, type: String) -> (inFeatures: Int, outFeatures: Int) {
    require(weight.count == 2, "\(type): need a [out, in] weight, got \(weight)")
    if let b = bias { require(b == [weight[0]], "\(type): bias \(b) does not match weight \(weight)") }
    return (weight[1], weight[0])
}

/// The entry `key` of a layer's parameters, or a stop naming the layer and the key.
func compiledParameter(_ p: ParameterTree, _ key: String, path: String) -> Tensor {
    guard let t = p[key] else { fatalError("\(path.isEmpty ? "<root>" : path): parameter '\(key)' is missing") }
    return t
}

/// The complex entry `key` (`key.real`, `key.imag`) of a layer's parameters.
func compiledComplexParameter(_ p: ParameterTree, _ key: String, path: String) -> ComplexTensor {
    ComplexTensor(real: compiledParameter(p, key + ".real", path: path), imag: compiledParameter(p, key + ".imag", path: path))
}

extension Masked: SparseCompilable where Base: SparseCompilableWeighted {
    /// The base layer's sparse form for `weight ⊙ mask` (``SparseLinear``, ``SparseComplexLinear``,
    /// ``SparseConvolution``, ``SparseComplexConvolution``); no parameters remain. A base without a
    /// sparse form (a grouped convolution) keeps the masked layer and its parameters.
    public func compiledForSparseInference(parameters p: ParameterTree, path: String, maxDensity: Double)
        -> (layer: any SequentialLayer, parameters: ParameterTree) {
        guard let mask = p["mask"] else {
            fatalError("\(path.isEmpty ? "<root>" : path): masked layer has no sparsity mask to compile")
        }
        guard let l = base.sparseInferenceLayer(parameters: p, mask: mask, path: path, maxDensity: maxDensity) else { return (self, p) }
        return (l, ParameterTree())
    }
}

extension Linear: SparseCompilable, SparseCompilableWeighted {
    /// A ``SparseLinear`` of `weight ⊙ mask`.
    public func sparseInferenceLayer(parameters p: ParameterTree, mask: Tensor?, path: String, maxDensity: Double) -> (any SequentialLayer)? {
        SparseLinear(weight: compiledParameter(p, "weight", path: path), bias: bias ? compiledParameter(p, "bias", path: path) : nil,
                     mask: mask, maxDensity: maxDensity)
    }
}

extension CplxLinear: SparseCompilable, SparseCompilableWeighted {
    /// A ``SparseComplexLinear`` of `weight ⊙ mask`.
    public func sparseInferenceLayer(parameters p: ParameterTree, mask: Tensor?, path: String, maxDensity: Double) -> (any SequentialLayer)? {
        SparseComplexLinear(weight: compiledComplexParameter(p, "weight", path: path),
                            bias: bias ? compiledComplexParameter(p, "bias", path: path) : nil, mask: mask, maxDensity: maxDensity)
    }
}

extension Convolution: SparseCompilable, SparseCompilableWeighted {
    /// A ``SparseConvolution`` of `weight ⊙ mask`, or nil for a grouped convolution.
    public func sparseInferenceLayer(parameters p: ParameterTree, mask: Tensor?, path: String, maxDensity: Double) -> (any SequentialLayer)? {
        guard options.groups == 1 else { return nil }
        return SparseConvolution<Rank>(options: options, weight: compiledParameter(p, "weight", path: path),
                                       bias: options.bias ? compiledParameter(p, "bias", path: path) : nil, mask: mask, maxDensity: maxDensity)
    }
}

extension ComplexConvolution: SparseCompilable, SparseCompilableWeighted {
    /// A ``SparseComplexConvolution`` of `weight ⊙ mask`, or nil for a grouped convolution.
    public func sparseInferenceLayer(parameters p: ParameterTree, mask: Tensor?, path: String, maxDensity: Double) -> (any SequentialLayer)? {
        guard options.groups == 1 else { return nil }
        return SparseComplexConvolution<Rank>(options: options, weight: compiledComplexParameter(p, "weight", path: path),
                                              bias: options.bias ? compiledComplexParameter(p, "bias", path: path) : nil,
                                              mask: mask, maxDensity: maxDensity)
    }
}

extension Sequential: SparseCompilable {
    /// The container with every compilable child compiled (recursively).
    public func compiledForSparseInference(parameters p: ParameterTree, path: String, maxDensity: Double)
        -> (layer: any SequentialLayer, parameters: ParameterTree) {
        let (s, rest) = compileSparse(self, parameters: p, maxDensity: maxDensity, path: path)
        return (s, rest)
    }
}

/// Compiles a model for sparse inference: every `LinearMasked` child becomes a ``SparseLinear`` of
/// `weight ⊙ mask`, every plain `Linear` one of its weight's nonzeros (as left by
/// ``binarizeMasks(_:masks:)``); likewise `CplxLinear` (masked or not) becomes a
/// ``SparseComplexLinear``, `Conv1d/2d/3d` a ``SparseConvolution`` and `CplxConv1d/2d/3d` a
/// ``SparseComplexConvolution`` (one group only; grouped convolutions are kept). Nested
/// `Sequential`s are compiled recursively, and other layers are kept. A `ReLU` right after a compiled layer is fused into it and replaced by `Identity`
/// (so the children keep their indices and parameter paths). Returns the new container and the parameters it still needs (the compiled layers'
/// entries removed). Outputs equal the dense masked path up to float32 summation order.
///
/// Weights at most `maxDensity` dense are stored as CSR, denser ones as dense matrices.
public func compileSparse<I, O>(_ model: Sequential<I, O>, parameters: ParameterTree,
                                maxDensity: Double = SparseLinear.defaultMaxDensity, path: String = "")
    -> (model: Sequential<I, O>, parameters: ParameterTree) {
    var layers: [any SequentialLayer] = []
    var rest = ParameterTree()
    for (i, layer) in model.layers.enumerated() {
        let name = String(i)
        let own = parameters.scoped(name)
        if layer is ReLU, let previous = layers.last as? SparseLinear, !previous.fusedReLU {
            layers[layers.count - 1] = previous.fusingReLU()
            layers.append(Identity<Tensor>())
        } else if let c = layer as? any SparseCompilable {
            let (l, p) = c.compiledForSparseInference(parameters: own, path: path.isEmpty ? name : path + "." + name, maxDensity: maxDensity)
            layers.append(l)
            rest.merge(p.prefixed(name))
        } else {
            layers.append(layer)
            rest.merge(own.prefixed(name))
        }
    }
    return (Sequential<I, O>(layers), rest)
}

/// Compiles a model for dense inference: as ``compileSparse(_:parameters:maxDensity:path:)`` with
/// every weight kept dense — masks multiplied in, float32; real linear weights packed once for the
/// GEMM (``PackedLinearWeight``) with a following ReLU fused; convolutions and complex linear
/// layers held as dense float32 weights and run through the same ops as the uncompiled layer. The
/// compiled model gives the same outputs as the original in eval mode, bit for bit for unmasked
/// float32 weights, and costs about one more copy of each real linear weight in memory.
public func compileDense<I, O>(_ model: Sequential<I, O>, parameters: ParameterTree, path: String = "")
    -> (model: Sequential<I, O>, parameters: ParameterTree) {
    compileSparse(model, parameters: parameters, maxDensity: -.infinity, path: path)
}

/// Calls `body` with the float32 elements of `t`, or with nil when `t` is nil (an optional bias
/// handed to a kernel without building a closure per call).
@inline(__always)
func withOptionalElements<R>(_ t: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let t else { return body(nil) }
    return t.withUnsafeBufferPointer { (p: UnsafeBufferPointer<Float>) in body(p.baseAddress) }
}
