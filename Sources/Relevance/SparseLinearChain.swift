// A chain of compiled linear layers run by one C call per forward (`wt_scsr_chain`,
// Sources/Kernels/sparse.c): the inference form of an MLP whose per-layer Swift calls
// (containers, contexts, one output tensor per layer) cost more than its sparse products.

import Autodiff
import Kernels
import NN
import Ops

/// The layers of a compiled MLP — ``SparseLinear`` layers (CSR or dense storage, ReLU fused or
/// not), optionally after a flatten — run in one kernel call per forward:
/// `x [N, in]` (or `[N, …]` flattened) → `[N, out]`, float32.
///
/// Every layer gives the bits it gives alone (``SparseLinear/callAsFunction(_:)``), so the chain's
/// output equals the compiled `Sequential`'s exactly; the hidden activations live in per-thread
/// scratch memory of the kernels, and ``callAsFunction(_:into:)`` writes into a tensor the caller
/// keeps, so a warm call allocates nothing. When every layer is CSR at the call's batch (≥ 4 rows),
/// the layers run 64 examples at a time and the hidden activations stay in the transposed layout
/// the CSR product reads (Docs/Inference.md, "One call per forward").
///
/// The chain holds its weights itself (the CSR layers' kernel arrays, shared with the layers;
/// copies of the dense weights, packed once for the GEMM of the tier active when it was made), so
/// it needs no parameters and ignores those it is called with. Inference only: a traced input stops with a message.
public struct SparseLinearChain: SequentialLayer {
    /// A real float32 tensor `[N, inFeatures]`, or `[N, …]` when ``flattensInput``.
    public typealias Input = Tensor
    /// A real float32 tensor `[N, outFeatures]` (`[…, outFeatures]` without ``flattensInput``).
    public typealias Output = Tensor

    /// Input features of the first layer.
    public let inFeatures: Int
    /// Output features of the last layer.
    public let outFeatures: Int
    /// Whether an input `[N, d₁, …]` is read as `[N, d₁·…]` (a leading `Flatten(1, -1)`).
    public let flattensInput: Bool
    /// For each layer, whether its weight is held in CSR form (else dense).
    public let csrLayers: [Bool]
    private let plan: ChainPlan

    /// The chain of `layers` (at least one, each layer's inputs the previous one's outputs).
    /// - Precondition: as stated.
    public init(_ layers: [SparseLinear], flattensInput: Bool = false) {
        require(!layers.isEmpty, "SparseLinearChain: needs at least one layer")
        for (a, b) in zip(layers, layers.dropFirst()) {
            require(a.outFeatures == b.inFeatures,
                    "SparseLinearChain: a layer of \(a.outFeatures) outputs is followed by one of \(b.inFeatures) inputs")
        }
        inFeatures = layers[0].inFeatures
        outFeatures = layers[layers.count - 1].outFeatures
        self.flattensInput = flattensInput
        csrLayers = layers.map(\.isCSR)
        plan = ChainPlan(layers)
    }

    /// The chain of a compiled container's layers — an optional `Flatten(1, -1)` first, then
    /// ``SparseLinear`` layers with `Identity` layers between them (what
    /// ``compileSparse(_:parameters:maxDensity:path:)`` and ``compileDense(_:parameters:path:)``
    /// make of a `Flatten`/`Linear`/`ReLU` stack) — or nil when it holds anything else.
    public init?(layers: [any SequentialLayer]) {
        var linear: [SparseLinear] = []
        var flattens = false
        for (i, layer) in layers.enumerated() {
            if let l = layer as? SparseLinear {
                if let last = linear.last, last.outFeatures != l.inFeatures { return nil }
                linear.append(l)
            } else if layer is Identity<Tensor> {
                continue
            } else if let f = layer as? Flatten, i == 0, f.startAxis == 1, f.endAxis == -1 {
                flattens = true
            } else {
                return nil
            }
        }
        guard !linear.isEmpty else { return nil }
        self.init(linear, flattensInput: flattens)
    }

    /// Number of layers.
    public var layerCount: Int { csrLayers.count }

    /// Whether `s` is the output shape for input `x` (checked by ``outputShape(_:)``), without
    /// building that shape.
    private func isOutputShape(_ s: [Int], for x: Tensor) -> Bool {
        let xs = x.shape
        if flattensInput { return s.count == 2 && s[0] == xs[0] && s[1] == outFeatures }
        guard s.count == xs.count, s[s.count - 1] == outFeatures else { return false }
        for i in 0..<(s.count - 1) where s[i] != xs[i] { return false }
        return true
    }

    /// Checks input `x` (float32, untraced, features) as ``outputShape(_:)`` does.
    private func checkInput(_ x: Tensor) {
        require(!x.isTraced, "SparseLinearChain: inference only; it cannot be differentiated (compile after training)")
        require(x.dtype == .float32, "SparseLinearChain: sparse inference is float32, got a \(x.dtype) input")
        if flattensInput {
            require(x.rank >= 2 && x.shape.dropFirst().reduce(1, *) == inFeatures,
                    "SparseLinearChain: input \(x.shape) does not flatten to [N, \(inFeatures)]")
            return
        }
        require(x.rank >= 1 && x.shape[x.rank - 1] == inFeatures,
                "SparseLinearChain: input \(x.shape) does not end in \(inFeatures) features")
    }

    /// The output shape for input `x`, after checking it (float32, untraced, features).
    private func outputShape(_ x: Tensor) -> [Int] {
        checkInput(x)
        return flattensInput ? [x.shape[0], outFeatures] : Array(x.shape.dropLast()) + [outFeatures]
    }

    /// The chain's output for `x` (see the type's shapes), written into the output tensor the
    /// chain kept from its previous call when that has the shape (``SparseReusableOutput``: a
    /// caller that dropped the previous result gets no allocation; one that holds it, a fresh copy).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        checkInput(x)
        var y = plan.output.take { isOutputShape($0, for: x) } ?? Tensor(uninitializedShape: outputShape(x), dtype: .float32)
        run(x, into: &y)
        plan.output.keep(y)
        return y
    }

    /// Writes the chain's output for `x` into `y`, which must already have the output's shape and
    /// be float32; a `y` whose storage no other tensor shares is written in place, so calling this
    /// again and again with the same `y` allocates nothing.
    public func callAsFunction(_ x: Tensor, into y: inout Tensor) {
        let shape = outputShape(x)
        require(y.shape == shape && y.dtype == .float32,
                "SparseLinearChain: output tensor is \(y.dtype) \(y.shape), expected float32 \(shape)")
        run(x, into: &y)
    }

    private func run(_ x: Tensor, into y: inout Tensor) {
        let batch = x.count / Swift.max(inFeatures, 1)
        let rows = inFeatures == 0 ? y.count / Swift.max(outFeatures, 1) : batch
        let status: Int32 = x.withUnsafeBufferPointer { (xp: UnsafeBufferPointer<Float>) in
            y.withUnsafeMutableBufferPointer { (yp: UnsafeMutableBufferPointer<Float>) in
                plan.run(rows: rows, x: xp.baseAddress, y: yp.baseAddress, inFeatures: inFeatures, outFeatures: outFeatures)
            }
        }
        require(status == 0, "SparseLinearChain: out of memory for the scratch activations of \(rows) rows")
    }

    /// `y[rows × outFeatures] = chain(x[rows × inFeatures])` on raw row-major buffers (no checks
    /// beyond `rows ≥ 0`; `y` must not overlap `x`), allocation-free once the calling thread's
    /// scratch memory is warm. Returns 0, or -1 when scratch memory could not be allocated.
    public func run(rows: Int, x: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>?) -> Int32 {
        require(rows >= 0, "SparseLinearChain: negative row count \(rows)")
        return plan.run(rows: rows, x: x, y: y, inFeatures: inFeatures, outFeatures: outFeatures)
    }

    /// Applies the chain; `parameters` and `context` are not used (the weights are compiled in).
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> Tensor { self(x) }
}

/// The C descriptors of a chain and the memory they point to (owned copies, freed with the plan).
private final class ChainPlan: @unchecked Sendable {
    let layers: UnsafeMutablePointer<wt_sparse_chain_layer>
    let count: Int
    /// The output tensor kept between calls of ``SparseLinearChain/callAsFunction(_:)``.
    let output = SparseReusableOutput()
    private var owned: [UnsafeMutableRawPointer] = []
    private var retained: [CSRRowWindow] = []
    private var retainedPlans: [SparseLinearPlan] = []

    init(_ source: [SparseLinear]) {
        count = source.count
        layers = .allocate(capacity: source.count)
        let tier = wt_active_isa()
        for (i, l) in source.enumerated() {
            var d = wt_sparse_chain_layer()
            d.rows = l.outFeatures
            d.cols = l.inFeatures
            d.flags = l.fusedReLU ? WT_SPARSE_RELU : 0
            d.bias = l.bias.map { copy($0) }
            switch l.storage {
            case .csr(let c):
                if let plan = l.plan {            // the layer's own kernel arrays (shared, kept alive here)
                    retainedPlans.append(plan)
                    d.row_ptr = UnsafePointer(plan.rowPointers)
                    d.col_idx = UnsafePointer(plan.columnIndices)
                    d.values = UnsafePointer(plan.values)
                } else {
                    d.row_ptr = copy(c.rowPointers)
                    d.col_idx = copy(c.columnIndices)
                    d.values = copy(c.values)
                }
                if let w = l.smallBatchWeight {   // small batches read the dense copy (skinny kernel)
                    d.weight = copy(w)
                    d.dense_below = SparseLinear.smallBatch
                }
                if let window = l.window {        // or the row-window layout (shared, kept alive here)
                    retained.append(window)
                    d.window = UnsafePointer(window.descriptor)
                }
            case .dense(let w):
                let weight = copy(w)
                d.weight = weight
                let count = wt_sgemm_packed_count(tier, l.outFeatures, l.inFeatures)
                let packed = allocate(Float.self, Swift.max(count, 1))
                if l.outFeatures > 0 && l.inFeatures > 0 {
                    wt_sgemm_pack_b(tier, 1, l.outFeatures, l.inFeatures, weight, l.inFeatures, packed)
                }
                d.packed = UnsafePointer(packed)
                d.packed_tier = Int32(tier.rawValue)
            }
            layers[i] = d
        }
    }

    deinit {
        for p in owned { p.deallocate() }
        layers.deallocate()
    }

    private func allocate<T>(_: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1) * MemoryLayout<T>.stride, alignment: 64)
        owned.append(raw)
        return raw.bindMemory(to: T.self, capacity: Swift.max(count, 1))
    }

    private func copy<T>(_ a: [T]) -> UnsafePointer<T> {
        let p = allocate(T.self, a.count)
        a.withUnsafeBufferPointer { if let b = $0.baseAddress { p.initialize(from: b, count: a.count) } }
        return UnsafePointer(p)
    }

    private func copy(_ t: Tensor) -> UnsafePointer<Float> {
        let f = t.converted(to: .float32)
        let p = allocate(Float.self, f.count)
        f.withUnsafeBufferPointer { (b: UnsafeBufferPointer<Float>) in if let base = b.baseAddress { p.initialize(from: base, count: f.count) } }
        return UnsafePointer(p)
    }

    func run(rows: Int, x: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>?, inFeatures: Int, outFeatures: Int) -> Int32 {
        wt_scsr_chain(layers, Int32(count), rows, x, inFeatures, y, outFeatures)
    }
}
