import Foundation
import Kernels
import Recipes

// The workloads of `wirtinger bench`. Names are shared with Benchmarks/pytorch_reference.py so
// Benchmarks/compare.py can pair them; keep both lists in step.

/// Deterministic float32 values in [lo, hi) (SplitMix64), for inputs whose values do not matter.
func benchUniform(_ count: Int, seed: UInt64, _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in lo + (hi - lo) * Float(rng.next() >> 40) / Float(1 << 24) }
}

func benchTensor(_ shape: [Int], seed: UInt64, _ lo: Float = -1, _ hi: Float = 1) -> Tensor {
    Tensor(shape: shape, scalars: benchUniform(shape.reduce(1, *), seed: seed, lo, hi))
}

// MARK: - GEMM

/// One GEMM shape: C[m×n] = op(A)·op(B) with the transposes of the MLP's products.
struct GemmShape {
    let label: String
    let m: Int, n: Int, k: Int
    let transA: Bool, transB: Bool
}

/// 512³, 1024³ and the 784-400-10 MLP's first-layer products at batch 128:
/// forward x·Wᵀ (128×400×784, B transposed), weight gradient gᵀ·x (400×784×128, A transposed),
/// input gradient g·W (128×784×400).
let benchGemmShapes: [GemmShape] = [
    GemmShape(label: "512x512x512", m: 512, n: 512, k: 512, transA: false, transB: false),
    GemmShape(label: "1024x1024x1024", m: 1024, n: 1024, k: 1024, transA: false, transB: false),
    GemmShape(label: "mlp_fwd_128x400x784_nt", m: 128, n: 400, k: 784, transA: false, transB: true),
    GemmShape(label: "mlp_dw_400x784x128_tn", m: 400, n: 784, k: 128, transA: true, transB: false),
    GemmShape(label: "mlp_dx_128x784x400_nn", m: 128, n: 784, k: 400, transA: false, transB: false),
]

func gemmWorkloads() -> [BenchWorkload] {
    var out: [BenchWorkload] = []
    for threads in [1, 2] {
        for s in benchGemmShapes {
            for dtype in ["s", "d"] {
                out.append(BenchWorkload(
                    name: "\(dtype)gemm.\(s.label).t\(threads)", group: "gemm", work: 2.0 * Double(s.m * s.n * s.k), unit: "GFLOP/s",
                    note: "wt_\(dtype)gemm, \(threads) thread(s)",
                    make: {
                        // A is stored m×k (or k×m when transposed), B k×n (or n×k).
                        let a = benchUniform(s.m * s.k, seed: 1), b = benchUniform(s.k * s.n, seed: 2)
                        let lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n
                        let ta: Int32 = s.transA ? 1 : 0, tb: Int32 = s.transB ? 1 : 0
                        let box = GemmBuffers(a: a, b: b, c: s.m * s.n)
                        return {
                            _ = wt_set_num_threads(Int32(threads))
                            if dtype == "s" {
                                wt_sgemm(ta, tb, s.m, s.n, s.k, 1, box.a, lda, box.b, ldb, 0, box.c, s.n)
                            } else {
                                wt_dgemm(ta, tb, s.m, s.n, s.k, 1, box.ad, lda, box.bd, ldb, 0, box.cd, s.n)
                            }
                        }
                    }))
            }
        }
    }
    return out
}

/// Owned raw buffers for the GEMM workloads (float and double copies of the same values).
final class GemmBuffers {
    let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>
    let ad: UnsafeMutablePointer<Double>, bd: UnsafeMutablePointer<Double>, cd: UnsafeMutablePointer<Double>
    init(a av: [Float], b bv: [Float], c count: Int) {
        a = .allocate(capacity: av.count); a.initialize(from: av, count: av.count)
        b = .allocate(capacity: bv.count); b.initialize(from: bv, count: bv.count)
        c = .allocate(capacity: count); c.initialize(repeating: 0, count: count)
        ad = .allocate(capacity: av.count); for i in 0..<av.count { ad[i] = Double(av[i]) }
        bd = .allocate(capacity: bv.count); for i in 0..<bv.count { bd[i] = Double(bv[i]) }
        cd = .allocate(capacity: count); cd.initialize(repeating: 0, count: count)
    }
    deinit { a.deallocate(); b.deallocate(); c.deallocate(); ad.deallocate(); bd.deallocate(); cd.deallocate() }
}

// MARK: - Convolutions

/// LeNet-5's two convolutions at batch 128: forward, and forward + backward (gradients of the
/// weight and bias; of the input too for the second, as inside the network).
func convWorkloads() -> [BenchWorkload] {
    struct Conv { let label: String; let x: [Int]; let w: [Int]; let inputGrad: Bool }
    let convs = [Conv(label: "lenet5_c1_128x1x28x28_k20x5x5", x: [128, 1, 28, 28], w: [20, 1, 5, 5], inputGrad: false),
                 Conv(label: "lenet5_c2_128x20x12x12_k50x5x5", x: [128, 20, 12, 12], w: [50, 20, 5, 5], inputGrad: true)]
    var out: [BenchWorkload] = []
    for c in convs {
        let ho = c.x[2] - c.w[2] + 1, wo = c.x[3] - c.w[3] + 1
        let flops = 2.0 * Double(c.x[0] * c.w[0] * ho * wo * c.w[1] * c.w[2] * c.w[3])
        out.append(BenchWorkload(name: "conv.\(c.label).fwd", group: "conv", work: flops, unit: "GFLOP/s", note: "conv2d forward", make: {
            let x = benchTensor(c.x, seed: 3), w = benchTensor(c.w, seed: 4, -0.2, 0.2), b = benchTensor([c.w[0]], seed: 5)
            return { benchKeep(conv2d(x, w, bias: b)) }
        }))
        out.append(BenchWorkload(name: "conv.\(c.label).fwdbwd", group: "conv", work: 3 * flops, unit: "GFLOP/s",
                                 note: "conv2d forward + backward of sum (dW, db\(c.inputGrad ? ", dx" : ""))", make: {
            let x = benchTensor(c.x, seed: 3), w = benchTensor(c.w, seed: 4, -0.2, 0.2), b = benchTensor([c.w[0]], seed: 5)
            if c.inputGrad {
                return { benchKeep(valueWithGradient(at: [x, w, b]) { t in sum(conv2d(t[0], t[1], bias: t[2])) }) }
            }
            return { benchKeep(valueWithGradient(at: [w, b]) { t in sum(conv2d(x, t[0], bias: t[1])) }) }
        }))
    }
    // LeNet-5's first 2×2 max pooling (after conv 1), forward and forward + backward.
    let poolShape = [128, 20, 24, 24], poolWork = Double(poolShape.reduce(1, *))
    out.append(BenchWorkload(name: "conv.maxpool2_128x20x24x24.fwd", group: "conv", work: poolWork, unit: "Melem/s",
                             note: "maxPool2d(2) forward, elements read per second", make: {
        let x = benchTensor(poolShape, seed: 6)
        return { benchKeep(maxPool2d(x, kernelSize: 2)) }
    }))
    out.append(BenchWorkload(name: "conv.maxpool2_128x20x24x24.fwdbwd", group: "conv", work: poolWork, unit: "Melem/s",
                             note: "maxPool2d(2) forward + backward of sum", make: {
        let x = benchTensor(poolShape, seed: 6)
        return { benchKeep(valueWithGradient(at: [x]) { t in sum(maxPool2d(t[0], kernelSize: 2)) }) }
    }))
    return out
}

// MARK: - Training steps

/// One step of `Recipes.train` (forward, cross entropy + penalties, backward, Adam, the per-step
/// finiteness check) on a fixed batch of 128 MNIST-shaped float32 examples.
func trainWorkloads() -> [BenchWorkload] {
    let cases: [(String, Architecture, LayerFlavor, Int?)] = [
        ("train.mlp.dense", .mlp, .dense, nil), ("train.mlp.vd", .mlp, .vd, nil), ("train.mlp.ard", .mlp, .ard, nil),
        ("train.cplxmlp.vd", .cplxMLP, .vd, 400), ("train.cplxmlp.ard", .cplxMLP, .ard, 400),
        ("train.lenet5.vd", .lenet5, .vd, nil),
    ]
    return cases.map { name, arch, flavor, hidden in
        BenchWorkload(name: name, group: "train",
                      note: "\(arch.rawValue) \(flavor.rawValue)\(hidden.map { " hidden \($0)" } ?? ""), batch 128, Adam, float32", make: {
            let model = try makeClassifier(arch, flavor: flavor, sampleShape: [1, 28, 28], classes: 10, hidden: hidden)
            return trainingStep(model, data: benchMNISTBatch())
        })
    }
}

/// Parameters and optimizer state carried from one timed step to the next.
/// One Adam training step of `model` per call over `data` (128 examples: one epoch of batch 128),
/// from the parameters of seed 0; the parameters and optimizer state carry over between calls,
/// the state handed over without a second reference so that Adam updates its buffers in place.
func trainingStep(_ model: any Layer<Tensor, Tensor>, data: LabeledDataset) -> () -> Void {
    let box = TrainState(params: model.initialParameters(key: RandomKey(seed: 0)))
    var options = TrainingOptions()
    options.epochs = 1
    options.batchSize = 128
    return {
        let r = try! train(model, parameters: box.params, data: data, options: options, optimizerState: box.state.take())
        box.params = r.parameters; box.state = r.optimizerState
    }
}

final class TrainState {
    var params: ParameterTree
    var state: OptimizerState?
    init(params: ParameterTree) { self.params = params }
}

/// 128 random MNIST-shaped examples in [0, 1) with labels 0...9.
func benchMNISTBatch() -> LabeledDataset {
    var rng = SplitMix64(seed: 9)
    let labels = (0..<128).map { _ in Int(rng.next() % 10) }
    return LabeledDataset(name: "bench", inputs: benchTensor([128, 1, 28, 28], seed: 8, 0, 1), labels: labels,
                          classNames: (0..<10).map(String.init))
}

// MARK: - Ei

/// Ei over 2²⁰ elements: magnitudes log-uniform in [1e-3, 1e3] with negative sign (the −1/α
/// inputs of the VD penalty), and uniform in [−50, 50]; float64 and float32.
func expiInputs(_ kind: String, count: Int) -> [Double] {
    // x_i from the golden-ratio sequence frac(i·0.6180339887498949), identical in Python.
    (0..<count).map { i in
        let u = (Double(i) * 0.6180339887498949).truncatingRemainder(dividingBy: 1)
        return kind == "neglog" ? -Foundation.pow(10, -3 + 6 * u) : -50 + 100 * u
    }
}

func expiWorkloads() -> [BenchWorkload] {
    let n = 1 << 20
    var out: [BenchWorkload] = []
    for kind in ["neglog", "uniform50"] {
        for dtype in ["f64", "f32"] {
            out.append(BenchWorkload(name: "ei.\(kind).\(dtype)", group: "ei", work: Double(n), unit: "Melem/s",
                                     note: "Ei of 2^20 elements (\(kind == "neglog" ? "-10^U(-3,3)" : "U(-50,50)")), one thread", make: {
                let xs = expiInputs(kind, count: n)
                let x = Tensor(shape: [n], scalars: xs, dtype: dtype == "f64" ? .float64 : .float32)
                return { benchKeep(expi(x)) }
            }))
        }
    }
    return out
}

// MARK: - Sparse inference

/// A 784-400-10 masked MLP whose two masks keep a random (1 − sparsity) of the weights, at
/// batch 1 and 128, six ways: the masked model as trained (`masked`: W ⊙ mask on every call),
/// a dense model with the mask multiplied in once (`dense`), that model compiled by `compileDense`
/// (`prepared`: weights packed once) and run as one `SparseLinearChain` (`densechain`: the same
/// dense products in one kernel call), the masked model compiled by `compileSparse` (`csr`; weights
/// denser than `SparseLinear.defaultMaxDensity` stay dense) and that compiled model as one
/// `SparseLinearChain` (`chain`). At 100 % sparsity no weight is kept: the `csr` and `chain` rows
/// are what a call costs besides its products.
func sparseWorkloads() -> [BenchWorkload] {
    var out: [BenchWorkload] = []
    for sparsity in [0, 90, 95, 99, 100] {
        for batch in [1, 128] {
            for form in ["masked", "dense", "prepared", "densechain", "csr", "chain"] {
                out.append(BenchWorkload(name: "sparse.mlp.s\(sparsity).b\(batch).\(form)", group: "sparse",
                                         note: "784-400-10 inference, \(sparsity)% of weights masked, batch \(batch), \(form)", make: {
                    let (model, params) = try benchMaskedMLP(sparsity: Double(sparsity) / 100)
                    let x = benchTensor([batch, 1, 28, 28], seed: 12, 0, 1)
                    switch form {
                    case "masked":
                        return { benchKeep(model(x, parameters: params)) }
                    case "dense", "prepared", "densechain":
                        let dense = try makeClassifier(.mlp, flavor: .dense, sampleShape: [1, 28, 28], classes: 10)
                        var baked = ParameterTree()
                        for k in ["classifier.0", "classifier.2"] {
                            baked[k + ".weight"] = params[k + ".weight"]! * params[k + ".mask"]!
                            baked[k + ".bias"] = params[k + ".bias"]!
                        }
                        if form == "dense" { return { benchKeep(dense(x, parameters: baked)) } }
                        let (compiled, rest) = compileSparseClassifier(dense, parameters: baked, maxDensity: -.infinity,
                                                                       chained: form == "densechain")
                        return { benchKeep(compiled(x, parameters: rest)) }
                    default:
                        let (compiled, rest) = compileSparseClassifier(model, parameters: params, chained: form == "chain")
                        return { benchKeep(compiled(x, parameters: rest)) }
                    }
                }))
            }
        }
    }
    return out
}

/// A real linear layer 784 → 400 whose mask keeps a random (1 − sparsity) of the weights, at
/// batch 1 and 128, like the complex rows below: the dense product with the mask multiplied in once
/// (`dense`, `Ops.linear`), that weight compiled dense (`prepared`: `SparseLinear` with dense
/// storage, packed once) and `SparseLinear` in CSR form (`csr`, `wt_scsr_linear`). At 100 %
/// sparsity the CSR weight has no nonzeros: its row is the call's fixed cost (input checks, output
/// allocation, and at batch 128 the transposes of the tile path).
func sparseRealLinearWorkloads() -> [BenchWorkload] {
    var out: [BenchWorkload] = []
    for sparsity in [90, 95, 99, 100] {
        for batch in [1, 128] {
            for form in ["dense", "prepared", "csr"] {
                out.append(BenchWorkload(name: "sparse.linear784x400.s\(sparsity).b\(batch).\(form)", group: "sparse",
                                         note: "Linear(784, 400) inference, \(sparsity)% of weights masked, batch \(batch), \(form)", make: {
                    var rng = SplitMix64(seed: 78)
                    let mask = Tensor(shape: [400, 784], scalars: (0..<(400 * 784)).map { _ -> Float in
                        Double(rng.next() >> 11) / Double(1 << 53) < Double(sparsity) / 100 ? 0 : 1
                    })
                    let w = benchTensor([400, 784], seed: 21, -0.05, 0.05) * mask
                    let b = benchTensor([400], seed: 23)
                    let x = benchTensor([batch, 784], seed: 25)
                    switch form {
                    case "dense": return { benchKeep(linear(x, w, bias: b)) }
                    case "prepared":
                        let layer = SparseLinear(weight: w, bias: b, maxDensity: -.infinity)
                        return { benchKeep(layer(x)) }
                    default:
                        let layer = SparseLinear(weight: w, bias: b)
                        return { benchKeep(layer(x)) }
                    }
                }))
            }
        }
    }
    return out
}

/// A complex linear layer with 784 complex inputs and 400 outputs (CplxLinear(784, 400)) whose
/// mask keeps a random (1 − sparsity) of the weights, at batch 1 and 128: the dense complex
/// product with the mask multiplied in once (`dense`, `Ops.linear`) and `SparseComplexLinear`
/// (`csr`, `wt_ccsr_linear`).
func sparseComplexLinearWorkloads() -> [BenchWorkload] {
    var out: [BenchWorkload] = []
    for sparsity in [90, 95, 99] {
        for batch in [1, 128] {
            for form in ["dense", "csr"] {
                out.append(BenchWorkload(name: "sparse.cplxlinear784x400.s\(sparsity).b\(batch).\(form)", group: "sparse",
                                         note: "CplxLinear(784, 400) inference, \(sparsity)% of weights masked, batch \(batch), \(form)", make: {
                    var rng = SplitMix64(seed: 78)
                    let mask = Tensor(shape: [400, 784], scalars: (0..<(400 * 784)).map { _ -> Float in
                        Double(rng.next() >> 11) / Double(1 << 53) < Double(sparsity) / 100 ? 0 : 1
                    })
                    let w = ComplexTensor(real: benchTensor([400, 784], seed: 21, -0.05, 0.05) * mask,
                                          imag: benchTensor([400, 784], seed: 22, -0.05, 0.05) * mask)
                    let b = ComplexTensor(real: benchTensor([400], seed: 23), imag: benchTensor([400], seed: 24))
                    let z = ComplexTensor(real: benchTensor([batch, 784], seed: 25), imag: benchTensor([batch, 784], seed: 26))
                    if form == "dense" { return { benchKeep(linear(z, w, bias: b)) } }
                    let layer = SparseComplexLinear(weight: w, bias: b)
                    return { benchKeep(layer(z)) }
                }))
            }
        }
    }
    return out
}

/// The fraction of weights each masked layer of LeNet-5 keeps in the Docs/Results.md model
/// (session 3, 100 VD epochs, threshold 1.5: 34.4% – 1.82% – 0.28% – 6.66%).
let benchLeNet5Keep: [(key: String, keep: Double)] = [
    ("features.0.mask", 0.344), ("features.2.mask", 0.0182), ("classifier.0.mask", 0.0028), ("classifier.2.mask", 0.0666),
]

/// LeNet-5 at the Docs/Results.md sparsity (random masks with its per-layer fractions), batch 1
/// and 128: the dense model with the masks multiplied in (`dense`), the same compiled by
/// `compileDense` (`prepared`, weights packed once), and the masked model compiled by
/// `compileSparse` (`csr`: sparse convolutions and linear layers).
func sparseLeNet5Workloads() -> [BenchWorkload] {
    var out: [BenchWorkload] = []
    for batch in [1, 128] {
        for form in ["dense", "prepared", "csr"] {
            out.append(BenchWorkload(name: "sparse.lenet5.results.b\(batch).\(form)", group: "sparse",
                                     note: "LeNet-5 inference at 34.4%/1.82%/0.28%/6.66% kept, batch \(batch), \(form)", make: {
                let model = try makeClassifier(.lenet5, flavor: .masked, sampleShape: [1, 28, 28], classes: 10)
                var params = model.initialParameters(key: RandomKey(seed: 1))
                var rng = SplitMix64(seed: 79)
                for (key, keep) in benchLeNet5Keep {
                    guard let shape = params[key]?.shape else { throw BenchSetupError(message: "LeNet-5 has no parameter \(key)") }
                    params[key] = Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ -> Float in
                        Double(rng.next() >> 11) / Double(1 << 53) < keep ? 1 : 0
                    })
                }
                let x = benchTensor([batch, 1, 28, 28], seed: 14, 0, 1)
                if form == "csr" {
                    let (compiled, rest) = compileSparseClassifier(model, parameters: params)
                    return { benchKeep(compiled(x, parameters: rest)) }
                }
                let dense = try makeClassifier(.lenet5, flavor: .dense, sampleShape: [1, 28, 28], classes: 10)
                var baked = ParameterTree()
                for (key, _) in benchLeNet5Keep {
                    let layer = String(key.dropLast(".mask".count))
                    baked[layer + ".weight"] = params[layer + ".weight"]! * params[key]!
                    baked[layer + ".bias"] = params[layer + ".bias"]!
                }
                if form == "dense" { return { benchKeep(dense(x, parameters: baked)) } }
                let (compiled, rest) = compileSparseClassifier(dense, parameters: baked, maxDensity: -.infinity)
                return { benchKeep(compiled(x, parameters: rest)) }
            }))
        }
    }
    return out
}

/// A workload that could not be set up (a model without an expected parameter).
struct BenchSetupError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// The masked 784-400-10 MLP with random masks of the given sparsity (seeded).
func benchMaskedMLP(sparsity: Double) throws -> (any Layer<Tensor, Tensor>, ParameterTree) {
    let model = try makeClassifier(.mlp, flavor: .masked, sampleShape: [1, 28, 28], classes: 10)
    var params = model.initialParameters(key: RandomKey(seed: 1))
    var rng = SplitMix64(seed: 77)
    for k in ["classifier.0.mask", "classifier.2.mask"] {
        let shape = params[k]!.shape
        let m = (0..<shape.reduce(1, *)).map { _ -> Float in Double(rng.next() >> 11) / Double(1 << 53) < sparsity ? 0 : 1 }
        params[k] = Tensor(shape: shape, scalars: m)
    }
    return (model, params)
}

// MARK: - Dense inference

/// The eval-mode forward pass of three dense float32 models at batch 1, 16 and 128 on MNIST-shaped
/// inputs: the 784-400-10 MLP, the complex MLP (784 reals as 392 complex inputs, 400 hidden,
/// modReLU, |z| logits) and LeNet-5 (conv 20·5×5, pool, conv 50·5×5, pool, 800-500-10).
func inferenceWorkloads() -> [BenchWorkload] {
    let models: [(String, Architecture, Int?)] = [("mlp", .mlp, nil), ("cplxmlp", .cplxMLP, 400), ("lenet5", .lenet5, nil)]
    var out: [BenchWorkload] = []
    for (name, arch, hidden) in models {
        for batch in [1, 16, 128] {
            out.append(BenchWorkload(name: "infer.\(name).b\(batch)", group: "infer",
                                     note: "\(arch.rawValue) dense forward, eval mode, batch \(batch), float32", make: {
                let model = try makeClassifier(arch, flavor: .dense, sampleShape: [1, 28, 28], classes: 10, hidden: hidden)
                let params = model.initialParameters(key: RandomKey(seed: 3))
                let x = benchTensor([batch, 1, 28, 28], seed: 13, 0, 1)
                return { benchKeep(model(x, parameters: params)) }
            }))
            out.append(BenchWorkload(name: "infer.\(name).b\(batch).prepared", group: "infer",
                                     note: "\(arch.rawValue) compiled by compileDense (weights packed once), batch \(batch)", make: {
                let model = try makeClassifier(arch, flavor: .dense, sampleShape: [1, 28, 28], classes: 10, hidden: hidden)
                let (compiled, rest) = compileSparseClassifier(model, parameters: model.initialParameters(key: RandomKey(seed: 3)),
                                                               maxDensity: -.infinity)
                let x = benchTensor([batch, 1, 28, 28], seed: 13, 0, 1)
                return { benchKeep(compiled(x, parameters: rest)) }
            }))
        }
    }
    return out
}

/// Every workload in suite order.
func allBenchWorkloads() -> [BenchWorkload] {
    let workloads: [BenchWorkload] = gemmWorkloads() + convWorkloads() + trainWorkloads() + expiWorkloads() + sparseWorkloads() + sparseRealLinearWorkloads()
        + sparseComplexLinearWorkloads()
        + sparseLeNet5Workloads() + sparseCrossoverWorkloads() + inferenceWorkloads()
    return workloads + signalWorkloads()
}
