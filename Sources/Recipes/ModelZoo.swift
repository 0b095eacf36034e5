/// Which version of each weighted layer a model is built with — cplxmodule's "type
/// substitution": the same architecture dense, Bayesian or masked, with identical paths so
/// parameter trees move between the versions by non-strict loading.
public enum LayerFlavor: String, Sendable, CaseIterable {
    /// Plain layers (`Linear`, `Conv2d`, `CplxLinear`, …).
    case dense
    /// Sparse variational dropout (`LinearVD`, `CplxLinearVD`, …).
    case vd
    /// Automatic relevance determination (`LinearARD`, `CplxLinearARD`, …).
    case ard
    /// L0 hard-concrete gates (`LinearL0`; real dense layers only, convolutions stay VD).
    case l0
    /// Fixed sparsity masks (`LinearMasked`, `CplxConv2dMasked`, …).
    case masked

    /// Whether layers of this flavour carry a penalty.
    public var isBayesian: Bool { self == .vd || self == .ard || self == .l0 }
}

/// The architectures of the command line and the papers.
public enum Architecture: String, Sendable, CaseIterable {
    /// The seed's `MNISTFullyConnected`: Flatten → Linear(in, 400) → ReLU → Linear(400, classes).
    case mlp
    /// LeNet-300-100 (Molchanov et al. 2017): in → 300 → 100 → classes with ReLU.
    case lenet300 = "lenet300"
    /// LeNet-5-Caffe: Conv(1→20, 5) → MaxPool 2 → Conv(20→50, 5) → MaxPool 2 → Linear(800, 500) → ReLU → Linear(500, classes).
    case lenet5 = "lenet5"
    /// Complex MLP: complex input flattened → CplxLinear(in, hidden) → CplxModReLU →
    /// CplxLinear(hidden, classes) → CplxModulus (real logits). Real input is read as interleaved
    /// (re, im) pairs of the flattened example (cplxmodule's `RealToCplx`).
    case cplxMLP = "cplx-mlp"
    /// Complex CNN. On signals (`[C, L]` complex, 1-D) it is invariant to the carrier phase and
    /// pools over time, in two branches whose features are concatenated (``ConcatenatedBranches``):
    /// - `phase`: CplxConv1d(C→`w`, 9) → CplxPhasePowers(0, 1, 2, 4, 8) →
    ///   CplxConv1d(5`w`→10`w`, 5, stride 2, 5 groups) → modReLU → CplxConv1d(10`w`→10`w`, 5,
    ///   stride 2, 5 groups) → modReLU → |z| → mean over time (10`w` features);
    /// - `ring`: CplxConv1d(C→1, 17) → |z| → ``EnvelopeHistogram`` (24 features: a soft histogram
    ///   of the power-normalised envelope at the timing phase of most energy, 4 phases), an
    ///   ``InitializedSequential`` whose filter starts at ``RadioSignals/matchedFilter(taps:)`` (the
    ///   default pulse's RRC matched filter, unit energy, on every input channel) in every flavour;
    ///
    /// then Linear(10`w` + 24, 64) → ReLU → Linear(64, classes), with `w = hidden ?? 8`, bias-free
    /// convolutions (a complex bias would break the invariance to the carrier phase) and a
    /// learnable modReLU threshold per channel. The first convolution spans 9 samples (2¼ symbols
    /// of the built-in signals): a bank of matched filters. Order 0 of the phase powers is the
    /// envelope |y| of each filter output, orders 1–8 its phase multiplied; the groups keep the
    /// orders apart, so every feature turns by a multiple of the carrier phase and its modulus
    /// does not. The ring branch's 17-tap filter (4¼ symbols) is a matched filter, trained from
    /// the pulse's, whose output, sampled at the symbol instants, shows the constellation's
    /// amplitude levels (the rings that tell QAM16 from QAM64); drawn at random instead, whether
    /// training found it depended on the seed. On images (`[C, H, W]` complex, 2-D):
    /// CplxConv(C→16, 5) → modReLU → CplxMaxPool 2 → CplxConv(16→32, 5) → modReLU → CplxMaxPool 2 →
    /// flatten → CplxLinear(·, 64) → modReLU → CplxLinear(64, classes) → CplxModulus. Real input is
    /// read as interleaved (re, im) pairs along the last axis.
    case cplxConv = "cplx-conv"

    /// Whether the network is complex-valued inside.
    public var isComplex: Bool { self == .cplxMLP || self == .cplxConv }
}

/// A classifier in the seed's two parts, `features` then `classifier`, so parameter paths read
/// `features.0.weight`, `classifier.2.log_sigma2`, … as in PyTorch.
public struct FeatureClassifier<Hidden: ActivationValue>: SequentialLayer {
    /// The first part (child `features`): real input `[N, …]` → hidden activations.
    @Child public var features: Sequential<Tensor, Hidden>
    /// The second part (child `classifier`): hidden activations → real logits `[N, classes]`.
    @Child public var classifier: Sequential<Hidden, Tensor>

    /// A classifier of the two parts.
    public init(features: Sequential<Tensor, Hidden>, classifier: Sequential<Hidden, Tensor>) {
        _features = Child("features", features); _classifier = Child("classifier", classifier)
    }

    /// `features` and `classifier`: the two ``Child`` declarations, listed without reflection (a
    /// training step walks the model for its penalties, and `Mirror` cost about 1 % of a step).
    public var children: [(name: String, module: any Module)] {
        [(_features.name, features), (_classifier.name, classifier)]
    }

    /// `classifier(features(x))`, each with its parameters scoped to its name: real `[N, …]` → `[N, classes]`.
    public func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        $classifier($features(x, parameters: p, context: context), parameters: p, context: context)
    }
}

/// A classifier that takes complex input directly as well as interleaved real input.
public protocol ComplexInputModel: Layer<Tensor, Tensor> {
    /// Real logits `[N, classes]` of complex input `[N, …]` (the real-input call reads its
    /// interleaved pairs into such a tensor).
    func callAsFunction(complex z: ComplexTensor, parameters: ParameterTree, context: Context) -> Tensor
}

/// A classifier of complex inputs in two parts, `features` then `classifier` (parameter paths
/// `features.0.weight.real`, `classifier.2.log_sigma2.imag`, …).
///
/// It takes complex input directly through ``callAsFunction(complex:parameters:context:)``, and real
/// input — what a ``LabeledDataset`` holds — as interleaved `(re, im)` pairs along the last axis
/// (`[N, …, 2L]` → complex `[N, …, L]`, cplxmodule's `RealToCplx`), flattened to `[N, 2D]` first
/// when ``flattensInput`` is set. Both routes give the same logits for the same numbers.
public struct ComplexInputClassifier<Hidden: ActivationValue>: SequentialLayer, ComplexInputModel {
    /// The first part (child `features`): complex input → hidden activations.
    @Child public var features: Sequential<ComplexTensor, Hidden>
    /// The second part (child `classifier`): hidden activations → real logits `[N, classes]`.
    @Child public var classifier: Sequential<Hidden, Tensor>
    /// Whether real input is flattened to `[N, D]` before its pairs are read (MLPs).
    public let flattensInput: Bool

    /// A classifier of the two parts.
    public init(features: Sequential<ComplexTensor, Hidden>, classifier: Sequential<Hidden, Tensor>, flattensInput: Bool = false) {
        _features = Child("features", features); _classifier = Child("classifier", classifier)
        self.flattensInput = flattensInput
    }

    /// `features` and `classifier`: the two ``Child`` declarations, listed without reflection (a
    /// training step walks the model for its penalties, and `Mirror` cost about 1 % of a step).
    public var children: [(name: String, module: any Module)] {
        [(_features.name, features), (_classifier.name, classifier)]
    }

    /// Real logits `[N, classes]` of complex input `[N, …]`.
    public func callAsFunction(complex z: ComplexTensor, parameters p: ParameterTree, context: Context) -> Tensor {
        $classifier($features(z, parameters: p, context: context), parameters: p, context: context)
    }

    /// Real logits `[N, classes]` of real input `[N, …, 2L]` read as interleaved complex pairs.
    public func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        let flat = flattensInput ? flatten(x, startAxis: 1, endAxis: -1) : x
        return self(complex: fromInterleaved(flat, axis: -1), parameters: p, context: context)
    }
}

/// Builds the layers of a given flavour.
struct LayerFactory {
    let flavor: LayerFlavor

    func linear(_ i: Int, _ o: Int) -> any SequentialLayer {
        switch flavor {
        case .dense: return Linear(i, o)
        case .vd: return LinearVD(i, o)
        case .ard: return LinearARD(i, o)
        case .l0: return LinearL0(i, o)
        case .masked: return LinearMasked(i, o)
        }
    }

    func conv2d(_ i: Int, _ o: Int, _ k: Int) -> any SequentialLayer {
        let base = Conv2d(i, o, k)
        switch flavor {
        case .dense: return base
        case .vd, .l0: return Variational<Conv2d, RealVD>(base)
        case .ard: return Variational<Conv2d, RealARD>(base)
        case .masked: return Masked(base)
        }
    }

    func cplxLinear(_ i: Int, _ o: Int) -> any SequentialLayer {
        let base = CplxLinear(i, o)
        switch flavor {
        case .dense: return base
        case .vd, .l0: return Variational<CplxLinear, ComplexVD>(base)
        case .ard: return Variational<CplxLinear, ComplexARD>(base)
        case .masked: return Masked(base)
        }
    }

    func cplxConv(_ rank: Int, _ i: Int, _ o: Int, _ k: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1,
                  bias: Bool = true) -> any SequentialLayer {
        if rank == 1 {
            let base = CplxConv1d(i, o, k, stride: stride, padding: padding, groups: groups, bias: bias)
            switch flavor {
            case .dense: return base
            case .vd, .l0: return Variational<CplxConv1d, ComplexVD>(base)
            case .ard: return Variational<CplxConv1d, ComplexARD>(base)
            case .masked: return Masked(base)
            }
        }
        let base = CplxConv2d(i, o, k, padding: padding)
        switch flavor {
        case .dense: return base
        case .vd, .l0: return Variational<CplxConv2d, ComplexVD>(base)
        case .ard: return Variational<CplxConv2d, ComplexARD>(base)
        case .masked: return Masked(base)
        }
    }
}

/// Errors in choosing a model for some data.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// The architecture cannot take inputs of this shape.
    case unsupportedInput(architecture: String, sampleShape: [Int], reason: String)
    /// The flavour does not exist for this architecture.
    case unsupportedFlavor(architecture: String, flavor: String)

    /// A one-line message naming the architecture and what it cannot take.
    public var description: String {
        switch self {
        case .unsupportedInput(let a, let s, let r): return "model \(a) cannot take inputs of shape \(s): \(r)"
        case .unsupportedFlavor(let a, let f): return "model \(a) has no \(f) version (L0 gates exist for real linear layers only)"
        }
    }
}

/// A classifier of `architecture` in `flavor` for inputs of `sampleShape` (one example,
/// without the batch axis) and `classes` outputs.
///
/// - `mlp`, `lenet300`, `cplx-mlp` take any shape (flattened; `cplx-mlp` needs an even size).
/// - `lenet5` takes `[1, 28, 28]`.
/// - `cplx-conv` takes `[C, 2L]` (1-D, interleaved I/Q) or `[C, H, 2W]` (2-D).
/// - `hidden` overrides the hidden width of `mlp` (400) and `cplx-mlp` (100).
public func makeClassifier(_ architecture: Architecture, flavor: LayerFlavor, sampleShape: [Int], classes: Int,
                           hidden: Int? = nil) throws -> any Layer<Tensor, Tensor> {
    let f = LayerFactory(flavor: flavor)
    let size = sampleShape.reduce(1, *)
    if flavor == .l0 && architecture.isComplex {
        throw ModelError.unsupportedFlavor(architecture: architecture.rawValue, flavor: flavor.rawValue)
    }
    switch architecture {
    case .mlp:
        let h = hidden ?? 400
        return FeatureClassifier(features: Sequential<Tensor, Tensor>(Flatten(1, -1)),
                                 classifier: Sequential<Tensor, Tensor>(f.linear(size, h), ReLU(), f.linear(h, classes)))
    case .lenet300:
        return FeatureClassifier(features: Sequential<Tensor, Tensor>(Flatten(1, -1)),
                                 classifier: Sequential<Tensor, Tensor>(f.linear(size, 300), ReLU(), f.linear(300, 100), ReLU(),
                                                                        f.linear(100, classes)))
    case .lenet5:
        guard sampleShape == [1, 28, 28] else {
            throw ModelError.unsupportedInput(architecture: architecture.rawValue, sampleShape: sampleShape, reason: "LeNet-5 needs [1, 28, 28]")
        }
        return FeatureClassifier(features: Sequential<Tensor, Tensor>(f.conv2d(1, 20, 5), MaxPool2d(2), f.conv2d(20, 50, 5), MaxPool2d(2),
                                                                      Flatten(1, -1)),
                                 classifier: Sequential<Tensor, Tensor>(f.linear(800, 500), ReLU(), f.linear(500, classes)))
    case .cplxMLP:
        guard size % 2 == 0 else {
            throw ModelError.unsupportedInput(architecture: architecture.rawValue, sampleShape: sampleShape,
                                              reason: "interleaved real-to-complex needs an even number of values")
        }
        return try makeComplexClassifier(architecture, flavor: flavor, complexSampleShape: [size / 2], classes: classes,
                                         hidden: hidden, flattensInput: true)
    case .cplxConv:
        guard let last = sampleShape.last, last % 2 == 0 else {
            throw ModelError.unsupportedInput(architecture: architecture.rawValue, sampleShape: sampleShape,
                                              reason: "need [C, 2L] or [C, H, 2W] with an even last axis")
        }
        var complexShape = sampleShape
        complexShape[complexShape.count - 1] /= 2
        return try makeComplexClassifier(architecture, flavor: flavor, complexSampleShape: complexShape, classes: classes, hidden: hidden)
    }
}

/// A complex classifier of `architecture` (`cplx-mlp` or `cplx-conv`) in `flavor` for complex
/// inputs of `complexSampleShape` (one example, without the batch axis). It is a
/// ``ComplexInputModel``: cast it (`as! any ComplexInputModel`) to call it with complex input
/// through ``ComplexInputModel/callAsFunction(complex:parameters:context:)``.
///
/// - `cplx-mlp` takes any shape (flattened); `hidden` overrides its width (100).
/// - `cplx-conv` takes `[C, L]` (signals, pooled over time; `L ≥ 4`) or `[C, H, W]` (images);
///   `hidden` overrides the first width `w` of the signal network (8).
/// - `flattensInput`: whether the real-input route flattens before pairing (the MLP's default).
public func makeComplexClassifier(_ architecture: Architecture, flavor: LayerFlavor, complexSampleShape shape: [Int], classes: Int,
                                  hidden: Int? = nil, flattensInput: Bool? = nil) throws -> any Layer<Tensor, Tensor> {
    let f = LayerFactory(flavor: flavor)
    if flavor == .l0 && architecture.isComplex {
        throw ModelError.unsupportedFlavor(architecture: architecture.rawValue, flavor: flavor.rawValue)
    }
    switch architecture {
    case .cplxMLP:
        let h = hidden ?? 100
        return ComplexInputClassifier(features: Sequential<ComplexTensor, ComplexTensor>(CplxFlatten(1, -1)),
                                      classifier: Sequential<ComplexTensor, Tensor>(f.cplxLinear(shape.reduce(1, *), h), CplxModReLU(),
                                                                                    f.cplxLinear(h, classes), CplxModulus()),
                                      flattensInput: flattensInput ?? true)
    case .cplxConv where shape.count == 2:
        guard shape[1] >= 4 else {
            throw ModelError.unsupportedInput(architecture: architecture.rawValue, sampleShape: shape, reason: "a signal needs at least 4 samples (two stride-2 convolutions)")
        }
        // every convolution bias-free and every nonlinearity phase-equivariant, so that the
        // moduli at the end do not depend on the carrier phase
        let w = hidden ?? 8, orders = [0, 1, 2, 4, 8], g = orders.count
        let ring = EnvelopeHistogram()
        let phase = Sequential<ComplexTensor, Tensor>(
            f.cplxConv(1, shape[0], w, 9, padding: 4, bias: false), CplxPhasePowers(orders: orders),
            f.cplxConv(1, g * w, g * 2 * w, 5, stride: 2, padding: 2, groups: g, bias: false), CplxAdaptiveModReLU(g * 2 * w, 1),
            f.cplxConv(1, g * 2 * w, g * 2 * w, 5, stride: 2, padding: 2, groups: g, bias: false), CplxAdaptiveModReLU(g * 2 * w, 1),
            CplxModulus(), GlobalAvgPool())
        // the ring filter starts at the matched filter of the built-in signals' pulse (on every
        // input channel, imaginary part 0) and is trained from there: drawn at random, whether
        // training finds it depended on the seed (Docs/Results.md, session 7)
        let taps = 17, matched = RadioSignals().matchedFilter(taps: taps)
        let levels = InitializedSequential(
            Sequential<ComplexTensor, Tensor>(f.cplxConv(1, shape[0], 1, taps, padding: taps / 2, bias: false), CplxModulus(), ring),
            presets: [.init(key: "0.weight.real", shape: [1, shape[0], taps], values: Array((0..<shape[0]).map { _ in matched }.joined())),
                      .init(key: "0.weight.imag", shape: [1, shape[0], taps], values: [Double](repeating: 0, count: shape[0] * taps))])
        return ComplexInputClassifier(
            features: Sequential<ComplexTensor, Tensor>(ConcatenatedBranches("phase", phase, "ring", levels)),
            classifier: Sequential<Tensor, Tensor>(f.linear(g * 2 * w + ring.bins, 64), ReLU(), f.linear(64, classes)),
            flattensInput: flattensInput ?? false)
    case .cplxConv where shape.count == 3:
        var spatial = Array(shape.dropFirst())
        for _ in 0..<2 { spatial = spatial.map { ($0 - 4) / 2 } }   // two (conv 5, pool 2) stages
        guard spatial.allSatisfy({ $0 >= 1 }) else {
            throw ModelError.unsupportedInput(architecture: architecture.rawValue, sampleShape: shape, reason: "input too small for two 5-wide convolutions")
        }
        return ComplexInputClassifier(
            features: Sequential<ComplexTensor, ComplexTensor>(f.cplxConv(2, shape[0], 16, 5), CplxModReLU(), CplxMaxPool2d(2),
                                                               f.cplxConv(2, 16, 32, 5), CplxModReLU(), CplxMaxPool2d(2), CplxFlatten(1, -1)),
            classifier: Sequential<ComplexTensor, Tensor>(f.cplxLinear(32 * spatial.reduce(1, *), 64), CplxModReLU(),
                                                          f.cplxLinear(64, classes), CplxModulus()),
            flattensInput: flattensInput ?? false)
    default:
        throw ModelError.unsupportedInput(architecture: architecture.rawValue, sampleShape: shape,
                                          reason: architecture.isComplex ? "need complex [C, L] or [C, H, W]" : "not a complex architecture")
    }
}
