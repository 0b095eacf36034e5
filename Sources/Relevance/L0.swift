import Foundation

/// A dense layer with hard-concrete L0 gates (Louizos et al. 2018), cplxmodule's `LinearL0`.
///
/// Parameters: `weight [out, in]`, `bias [out]` (Linear's, PyTorch init), then `log_alpha`
/// (initialised to −2.197) of shape `[out, in]` (group ``Group/none``), `[1, in]`
/// (``Group/input``: one gate per input feature) or `[out, 1]` (``Group/output``).
/// `log_alpha` is the *negated* Louizos parameter: high values make a gate likely zero, as a
/// high log α does in variational dropout.
///
/// With β = 0.66, γ = −0.1, ζ = 1.1:
/// - gate: `g(ℓ) = clamp((ζ − γ)·σ((ℓ − log_alpha)/β) + γ, 0, 1)` for a logistic sample
///   `ℓ = log u − log(1 − u)`, u ~ U(0, 1); evaluation gate `clamp((ζ − γ)·σ(−log_alpha) + γ, 0, 1)`
///   (no temperature).
/// - training: group ``Group/none`` draws ONE gate sample of `log_alpha`'s shape for the whole
///   batch (as cplxmodule does), `y = x·(W ⊙ g)ᵀ + b`; group ``Group/input`` draws a gate per sample
///   and input feature, `y = (x ⊙ g)·Wᵀ + b`; group ``Group/output`` per sample and output,
///   `y = (x·Wᵀ) ⊙ g + b`. The samples come from the layer's key in the context.
/// - evaluation: the same maps with the evaluation gate.
/// - penalty: `P(gate ≠ 0) = σ(−β·log(−γ/ζ) − log_alpha) = σ(0.66·ln 11 − log_alpha)`, elementwise
///   over `log_alpha`.
/// - relevance: `gate_eval > 0` as 0/1 when ``RelevanceOptions/hard``, else the evaluation gate,
///   broadcast to the weight's shape. The threshold is ignored.
///
/// Shapes: input `[..., in]` → output `[..., out]`.
public struct LinearL0: SequentialLayer, BayesianLayer {
    public typealias Input = Tensor
    public typealias Output = Tensor

    /// Which weights share a gate.
    public enum Group: String, Sendable {
        /// One gate per weight element, one sample per batch in training.
        case none
        /// One gate per input feature (a column of the weight), sampled per example.
        case input
        /// One gate per output feature (a row of the weight), sampled per example.
        case output
    }

    /// Temperature β of the hard-concrete distribution.
    public static let beta = 0.66
    /// Lower end γ of the stretched interval.
    public static let gamma = -0.1
    /// Upper end ζ of the stretched interval.
    public static let zeta = 1.1

    /// The dense layer whose weight is gated.
    public let base: Linear
    /// The gate grouping.
    public let group: Group
    /// Initial value of every `log_alpha` entry (cplxmodule: −2.197, every gate ≈ 0.98 open).
    public var initialLogAlpha: Double = -2.197

    /// `LinearL0(in, out, bias:, group:)`.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, group: Group = .none) {
        base = Linear(inFeatures, outFeatures, bias: bias)
        self.group = group
    }

    /// Shape of `log_alpha`: `[out, in]`, `[1, in]` or `[out, 1]`.
    public var logAlphaShape: [Int] {
        switch group {
        case .none: return [base.outFeatures, base.inFeatures]
        case .input: return [1, base.inFeatures]
        case .output: return [base.outFeatures, 1]
        }
    }

    public var variationalKeys: [String] { ["log_alpha"] }
    /// L0 relevance reads only `hard` (the gate or its sign), no threshold.
    public var needsThreshold: Bool { false }
    public var weightKeys: [String] { ["weight"] }

    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree {
        var p = base.ownParameters(key: key, dtype: dtype)
        p["log_alpha"] = Tensor.full(logAlphaShape, initialLogAlpha, dtype: dtype)
        return p
    }

    /// The hard-concrete gate of `logAlpha` (differentiable in it).
    /// - Parameter logit: a logistic sample `log u − log(1 − u)` broadcastable with `logAlpha`;
    ///   `nil` gives the evaluation gate `clamp(1.2·σ(−log_alpha) − 0.1, 0, 1)`.
    public static func gate(logAlpha: Tensor, logit: Tensor? = nil) -> Tensor {
        let s = logit.map { sigmoid(($0 - logAlpha) / beta) } ?? sigmoid(-logAlpha)
        return clamp((zeta - gamma) * s + gamma, min: 0, max: 1)
    }

    /// The gate of this layer's `log_alpha` (see ``gate(logAlpha:logit:)``).
    public func gate(parameters p: ParameterTree, logit: Tensor? = nil) -> Tensor {
        Self.gate(logAlpha: p.required("log_alpha", by: TraversalPath.context), logit: logit)
    }

    public func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        let w = p.required("weight", by: context)
        let b = base.bias ? p.required("bias", by: context) : nil
        let logAlpha = p.required("log_alpha", by: context)
        let mask: Tensor
        if context.training {
            let shape: [Int]
            switch group {
            case .none: shape = logAlphaShape
            case .input, .output: shape = Array(x.shape.dropLast()) + logAlphaShape
            }
            let u = uniform(shape, key: context.randomKey, dtype: logAlpha.dtype)
            mask = Self.gate(logAlpha: logAlpha, logit: log(u) - log1p(-u))
        } else {
            mask = Self.gate(logAlpha: logAlpha)
        }
        switch group {
        case .none:
            return linear(x, w * mask, bias: b)
        case .input:
            return linear(x * squeeze(mask, axis: mask.rank - 2), w, bias: b)
        case .output:
            let y = linear(x, w) * squeeze(mask, axis: mask.rank - 1)
            return b.map { y + $0 } ?? y
        }
    }

    /// `σ(0.66·ln 11 − log_alpha)`, the probability that each gate is non-zero; shape of `log_alpha`.
    public func penalty(parameters p: ParameterTree) -> Tensor {
        let shift = -Self.beta * Foundation.log(-Self.gamma / Self.zeta)
        return sigmoid(shift - p.required("log_alpha", by: TraversalPath.context))
    }

    public func relevance(parameters p: ParameterTree, options: RelevanceOptions) -> Tensor {
        let g = gate(parameters: p.detached())
        let r = options.hard ? (g .> 0) : g
        return expand(r, to: [base.outFeatures, base.inFeatures])
    }
}
