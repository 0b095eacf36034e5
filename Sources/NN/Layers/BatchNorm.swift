import Foundation

/// The input ranks a batch-norm layer over `spatial` axes accepts: `[N, C]` or `[N, C, L]` for
/// the 1-d layers, `[N, C, *S]` with `spatial` axes otherwise.
func checkBatchNormInput(_ shape: [Int], spatial: Int, features: Int, layer: String) {
    let ok = spatial == 1 ? (shape.count == 2 || shape.count == 3) : shape.count == spatial + 2
    let expected = spatial == 1 ? "2D or 3D" : "\(spatial + 2)D"
    require(ok, "\(layer): expected \(expected) input, got \(shape.count)D input of shape \(shape)")
    require(shape[1] == features, "\(layer): expected \(features) features (axis 1), got input of shape \(shape)")
}

/// The axes a batch norm reduces over (all but the feature axis 1) and the shape that
/// broadcasts a per-feature vector against the input (`[1, C, 1, …]`).
func batchNormAxes(_ shape: [Int]) -> (axes: [Int], featureShape: [Int]) {
    var fs = [Int](repeating: 1, count: shape.count)
    fs[1] = shape[1]
    return ([0] + Array(2..<shape.count), fs)
}

/// The momentum factor of a running-statistics update: `momentum`, or 1/(batches seen) for
/// a cumulative average when `momentum` is nil.
func batchNormFactor(momentum: Double?, batchesTracked: Double) -> Double {
    momentum ?? 1 / batchesTracked
}

/// The hyper-parameters of a batch-norm layer, real or complex (PyTorch's and cplxmodule's arguments).
public struct BatchNormOptions: Sendable, Equatable {
    /// Number of features C (size of axis 1).
    public var numFeatures: Int
    /// Added to the variance (the diagonal of the covariance for complex layers).
    public var eps: Double
    /// Weight of the newest batch in the running statistics; nil for a cumulative average.
    public var momentum: Double?
    /// Whether the layer has a learnable per-feature scale and shift.
    public var affine: Bool
    /// Whether the layer keeps running statistics (and uses them in evaluation).
    public var trackRunningStats: Bool
}

/// What the real (``BatchNorm``) and complex (``ComplexBatchNorm``) batch norms share: the
/// hyper-parameters and constructor, the entries' layout and the running-statistics bookkeeping.
public protocol BatchNormLayer: SequentialLayer where Output == Input {
    /// The number of spatial axes.
    associatedtype Rank: SpatialRank
    /// The hyper-parameters.
    var options: BatchNormOptions { get }
    /// The layer with `options` (`numFeatures` > 0).
    init(options: BatchNormOptions)
}

extension BatchNormLayer {
    /// PyTorch's `BatchNormNd(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)`
    /// (cplxmodule's `CplxBatchNormNd` for complex input).
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true) {
        require(numFeatures > 0, "\(Self.layerName): numFeatures must be positive, got \(numFeatures)")
        self.init(options: BatchNormOptions(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
                                            trackRunningStats: trackRunningStats))
    }

    /// Number of features C (size of axis 1).
    public var numFeatures: Int { options.numFeatures }
    /// Added to the variance (the diagonal of the covariance for complex layers).
    public var eps: Double { options.eps }
    /// Weight of the newest batch in the running statistics; nil for a cumulative average.
    public var momentum: Double? { options.momentum }
    /// Whether the layer has a learnable scale and shift.
    public var affine: Bool { options.affine }
    /// Whether the layer keeps running statistics (and uses them in evaluation).
    public var trackRunningStats: Bool { options.trackRunningStats }

    /// `BatchNorm2d`, `CplxBatchNorm1d`, …: the layer's name in messages.
    static var layerName: String { (Input.kind == .complex ? "CplxBatchNorm" : "BatchNorm") + "\(Rank.count)d" }

    /// The entries in PyTorch's order: `weight`, `bias` if `affine`; `running_mean`, `running_var`
    /// and `num_batches_tracked []` (float64, 0) if `trackRunningStats`.
    func entries(weight: @autoclosure () -> Tensor, bias: @autoclosure () -> Tensor,
                 runningMean: @autoclosure () -> Tensor, runningVar: @autoclosure () -> Tensor) -> ParameterTree {
        var p = ParameterTree()
        if affine { p["weight"] = weight(); p["bias"] = bias() }
        if trackRunningStats {
            p["running_mean"] = runningMean()
            p["running_var"] = runningVar()
            p["num_batches_tracked"] = Tensor(scalar: 0, dtype: .float64)
        }
        return p
    }

    /// Records the running statistics of a training step through the context: `update` gets the
    /// stored `running_mean`, `running_var` (detached) and the factor m of this step and returns
    /// their new values; `num_batches_tracked` counts up.
    func updateRunningStatistics(_ p: ParameterTree, context: Context,
                                 _ update: (_ mean: Tensor, _ variance: Tensor, _ m: Double) -> (Tensor, Tensor)) {
        let rm = p.required("running_mean", by: context), rv = p.required("running_var", by: context)
        let nbt = p.required("num_batches_tracked", by: context)
        let seen = nbt.item + 1
        let (mean, variance) = update(rm.detached(), rv.detached(), batchNormFactor(momentum: momentum, batchesTracked: seen))
        context.update("running_mean", mean)
        context.update("running_var", variance)
        context.update("num_batches_tracked", Tensor(scalar: seen, dtype: nbt.dtype))
    }
}

/// Batch normalisation over the feature axis 1 (PyTorch's `nn.BatchNorm1d/2d/3d`; use
/// ``BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d``).
///
/// `y = (x − μ)/√(σ² + eps)·weight + bias` per feature. In training (or without running
/// statistics) μ and σ² are the batch mean and the biased batch variance over every axis but 1,
/// and the running statistics move towards them:
/// `running_mean ← (1 − m)·running_mean + m·μ`, `running_var ← (1 − m)·running_var + m·σ²·n/(n − 1)`
/// (the unbiased variance, n values per feature), `num_batches_tracked ← +1`; m = `momentum`
/// (0.1), or 1/num_batches_tracked (cumulative average) when `momentum` is nil. The new
/// buffers are reported through ``Context/update(_:_:)``. In evaluation the running
/// statistics are used.
///
/// Shapes: `[N, C]` or `[N, C, L]` (1-d), `[N, C, H, W]` (2-d), `[N, C, D, H, W]` (3-d) → same.
/// Entries, in PyTorch's order: `weight [C]` (ones), `bias [C]` (zeros) when `affine`;
/// `running_mean [C]` (zeros), `running_var [C]` (ones), `num_batches_tracked []` when
/// `trackRunningStats`. `num_batches_tracked` is a **float64 scalar** (PyTorch: int64; every
/// tensor of the library is floating point, and float64 holds counts exactly up to 2⁵³); it
/// loads from and saves to PyTorch files as a number like any other entry.
public struct BatchNorm<Rank: SpatialRank>: BatchNormLayer {
    /// A real tensor `[N, C, *S]`; the output has its shape.
    public typealias Input = Tensor
    /// The hyper-parameters (also read as `numFeatures`, `eps`, `momentum`, `affine`, `trackRunningStats`).
    public let options: BatchNormOptions

    /// The layer with `options` (``BatchNormLayer`` has the constructor with PyTorch's arguments).
    public init(options: BatchNormOptions) { self.options = options }

    /// `weight [C]` = 1 and `bias [C]` = 0 if `affine`; `running_mean [C]` = 0, `running_var [C]` = 1
    /// and `num_batches_tracked []` = 0 (float64) if `trackRunningStats`.
    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree {
        let c = numFeatures
        return entries(weight: .ones([c], dtype: dtype), bias: .zeros([c], dtype: dtype),
                       runningMean: .zeros([c], dtype: dtype), runningVar: .ones([c], dtype: dtype))
    }

    /// `(x − μ)/√(σ² + eps)·weight + bias` per feature (batch or running statistics, see the type):
    /// `[N, C, *S]` → the same shape. In training records the new running statistics via the context.
    public func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        let layer = "BatchNorm\(Rank.count)d"
        checkBatchNormInput(x.shape, spatial: Rank.count, features: numFeatures, layer: layer)
        let (axes, fs) = batchNormAxes(x.shape)
        let xhat: Tensor
        if context.training || !trackRunningStats {
            require(!context.training || x.count / numFeatures > 1,
                         "\(context.path.isEmpty ? layer : context.path): expected more than 1 value per channel when training, got input of shape \(x.shape)")
            let mu = mean(x, axes: axes, keepDims: true)
            let xc = x - mu
            let variance = mean(xc * xc, axes: axes, keepDims: true)
            xhat = xc / sqrt(variance + eps)
            if context.training && trackRunningStats {
                let n = Double(x.count / numFeatures)
                updateRunningStatistics(p, context: context) { rm, rv, m in
                    let muC = reshape(mu.detached(), [numFeatures]).converted(to: rm.dtype)
                    let varC = reshape(variance.detached(), [numFeatures]).converted(to: rv.dtype)
                    return (rm * (1 - m) + muC * m, rv * (1 - m) + varC * (m * n / Swift.max(n - 1, 1)))
                }
            }
        } else {
            let rm = reshape(p.required("running_mean", by: context), fs)
            let rv = reshape(p.required("running_var", by: context), fs)
            xhat = (x - rm) / sqrt(rv + eps)
        }
        guard affine else { return xhat }
        return xhat * reshape(p.required("weight", by: context), fs) + reshape(p.required("bias", by: context), fs)
    }
}

/// Complex batch normalisation by 2×2 whitening (cplxmodule's `CplxBatchNorm1d/2d/3d`, Trabelsi
/// et al. 2018; use ``CplxBatchNorm1d``, ``CplxBatchNorm2d``, ``CplxBatchNorm3d``).
///
/// Per feature f, with z = u + iv centred by μ = (E u, E v):
/// the covariance `V = [[Vrr, Vri], [Vri, Vii]]`, `Vrr = E ũ² + eps`, `Vii = E ṽ² + eps`,
/// `Vri = E ũṽ` (biased, 1/n; eps only on the diagonal) is inverted-square-rooted in closed
/// form: `s = √(Vrr·Vii − Vri·Vir)`, `t = √(Vrr + Vii + 2s)`,
/// `x̂r = ((Vii + s)·ũ − Vir·ṽ)/(s·t)`, `x̂i = (−Vri·ũ + (Vrr + s)·ṽ)/(s·t)` (Vir = Vri in
/// training; in evaluation Vri = running_var[0, 1], Vir = running_var[1, 0]);
/// then the real 2×2 affine map `out_re = W00·x̂r + W01·x̂i + b0`, `out_im = W10·x̂r + W11·x̂i + b1`.
///
/// Training (or no running statistics): batch μ and V, gradients flow through both; the running
/// statistics move by `running_mean += m·(μ − running_mean)`, `running_var += m·(V − running_var)`
/// — **V including eps on the diagonal**, as cplxmodule stores it — and `num_batches_tracked`
/// counts up (m = `momentum`, or 1/num_batches_tracked when nil). Evaluation: μ = running_mean
/// and V = running_var as stored (eps is not added again).
///
/// Shapes: complex `[N, F]` or `[N, F, L]` (1-d), `[N, F, H, W]` (2-d), `[N, F, D, H, W]` (3-d) → same.
/// Entries (cplxmodule's keys and layout, all real): `weight [2, 2, F]` (identity per feature),
/// `bias [2, F]` (zeros) when `affine`; `running_mean [2, F]` (zeros), `running_var [2, 2, F]`
/// (identity), `num_batches_tracked []` (float64, see ``BatchNorm``) when `trackRunningStats`.
/// Row index of `weight`/`bias`: output re/im; column index of `weight`: whitened re/im.
public struct ComplexBatchNorm<Rank: SpatialRank>: BatchNormLayer {
    /// A complex tensor `[N, F, *S]`; the output has its shape.
    public typealias Input = ComplexTensor
    /// The hyper-parameters (also read as `numFeatures`, `eps`, `momentum`, `affine`, `trackRunningStats`).
    public let options: BatchNormOptions

    /// The layer with `options` (``BatchNormLayer`` has the constructor with cplxmodule's arguments).
    public init(options: BatchNormOptions) { self.options = options }

    /// `[[1, 0], [0, 1]]` for each of the F features, shape `[2, 2, F]`.
    private func identity(_ dtype: DType) -> Tensor {
        let f = numFeatures
        return Tensor(shape: [2, 2, f], scalars: (0..<(4 * f)).map { i in (i / f == 0 || i / f == 3) ? 1.0 : 0.0 }, dtype: dtype)
    }

    /// `weight [2, 2, F]` = identity and `bias [2, F]` = 0 if `affine`; `running_mean [2, F]` = 0,
    /// `running_var [2, 2, F]` = identity and `num_batches_tracked []` = 0 (float64) if `trackRunningStats`.
    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree {
        entries(weight: identity(dtype), bias: .zeros([2, numFeatures], dtype: dtype),
                runningMean: .zeros([2, numFeatures], dtype: dtype), runningVar: identity(dtype))
    }

    /// 2×2 whitening of `(Re z, Im z)` per feature followed by the 2×2 affine map (see the type):
    /// complex `[N, F, *S]` → the same shape. In training records the new running statistics via the context.
    public func callAsFunction(_ z: ComplexTensor, parameters p: ParameterTree, context: Context) -> ComplexTensor {
        let layer = "CplxBatchNorm\(Rank.count)d"
        checkBatchNormInput(z.shape, spatial: Rank.count, features: numFeatures, layer: layer)
        let (axes, fs) = batchNormAxes(z.shape)
        let f = numFeatures
        /// Entry `i` (and `j`) of a `[2, F]` or `[2, 2, F]` tensor as `[1, F, 1, …]`.
        func entry(_ t: Tensor, _ i: Int, _ j: Int? = nil) -> Tensor {
            var r = slice(t, axis: 0, start: i, end: i + 1, step: 1)
            if let j { r = slice(r, axis: 1, start: j, end: j + 1, step: 1) }
            return reshape(r, fs)
        }
        let ur: Tensor, ui: Tensor, vrr: Tensor, vii: Tensor, vri: Tensor, vir: Tensor
        if context.training || !trackRunningStats {
            let mr = mean(z.real, axes: axes, keepDims: true), mi = mean(z.imag, axes: axes, keepDims: true)
            ur = z.real - mr
            ui = z.imag - mi
            vrr = mean(ur * ur, axes: axes, keepDims: true) + eps
            vii = mean(ui * ui, axes: axes, keepDims: true) + eps
            vri = mean(ur * ui, axes: axes, keepDims: true)
            vir = vri
            if context.training && trackRunningStats {
                updateRunningStatistics(p, context: context) { rm, rc, m in
                    func flat(_ t: Tensor) -> Tensor { reshape(t.detached(), [f]).converted(to: rm.dtype) }
                    let mu = stack([flat(mr), flat(mi)], axis: 0)
                    let cov = stack([stack([flat(vrr), flat(vri)], axis: 0), stack([flat(vri), flat(vii)], axis: 0)], axis: 0)
                    return (rm + (mu - rm) * m, rc + (cov - rc) * m)
                }
            }
        } else {
            let rm = p.required("running_mean", by: context), rc = p.required("running_var", by: context)
            ur = z.real - entry(rm, 0)
            ui = z.imag - entry(rm, 1)
            vrr = entry(rc, 0, 0)
            vri = entry(rc, 0, 1)
            vir = entry(rc, 1, 0)
            vii = entry(rc, 1, 1)
        }
        let s = sqrt(vrr * vii - vri * vir)
        let t = sqrt(vrr + vii + 2 * s)
        let denom = s * t
        let xr = ((vii + s) * ur - vir * ui) / denom
        let xi = ((vrr + s) * ui - vri * ur) / denom
        guard affine else { return ComplexTensor(real: xr, imag: xi) }
        let w = p.required("weight", by: context), b = p.required("bias", by: context)
        return ComplexTensor(real: entry(w, 0, 0) * xr + entry(w, 0, 1) * xi + entry(b, 0),
                             imag: entry(w, 1, 0) * xr + entry(w, 1, 1) * xi + entry(b, 1))
    }
}

