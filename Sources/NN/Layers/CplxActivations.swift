/// The threshold of a ``CplxModReLU``: a constant, or a learnable parameter.
///
/// cplxmodule chooses by the argument's Python type (a `float` is a constant; `None`, an `int`
/// such as `1`, or a tensor silently make a learnable parameter — inventory §14.23). Here the
/// choice is explicit.
public enum ModReLUThreshold: Sendable, Equatable {
    /// A constant threshold; the layer has no parameters.
    case fixed(Double)
    /// A learnable threshold: entry `threshold` of shape `[1]`, initialised U(0, 0.25).
    case learnable
}

/// The modulus ReLU `modReLU(z) = max(0, |z| − τ)·z/|z|` (cplxmodule's `CplxModReLU`; its
/// sign convention, which subtracts τ — Arjovsky et al. 2016 add a bias instead — with |z|
/// clamped at 1e-5 in the division).
///
/// Shapes: any complex → same. Entries: `threshold [1]` for `.learnable`, none for `.fixed`.
public struct CplxModReLU: SequentialLayer {
    /// The threshold τ.
    public let threshold: ModReLUThreshold

    /// A modReLU with the given threshold (cplxmodule's default is `.fixed(0.5)`).
    public init(_ threshold: ModReLUThreshold = .fixed(0.5)) { self.threshold = threshold }

    /// `threshold [1]` drawn from U(0, 0.25) for `.learnable`; nothing for `.fixed`.
    public func ownParameters(key: RandomKey, dtype: DType) -> ParameterTree {
        guard case .learnable = threshold else { return ParameterTree() }
        return ["threshold": uniform([1], key: key, dtype: dtype, low: 0, high: 0.25)]
    }

    /// `max(0, |z| − τ)·z/|z|` with the fixed or the stored τ: complex any shape → the same shape.
    public func callAsFunction(_ z: ComplexTensor, parameters p: ParameterTree, context: Context) -> ComplexTensor {
        switch threshold {
        case .fixed(let t): return modReLU(z, threshold: t)
        case .learnable: return modReLU(z, threshold: p.required("threshold", by: context))
        }
    }
}

/// modReLU with a learnable threshold per position of the trailing dimensions
/// (cplxmodule's `CplxAdaptiveModReLU(*dim)`): τ of shape `dim` broadcast against the input.
///
/// Shapes: complex `[..., *dim]` → same. Entries: `threshold` of shape `dim` (`[1]` when
/// empty), initialised N(0, 1)·0.02.
/// Made as cplxmodule's `CplxAdaptiveModReLU(*dim)` (see ``BroadcastParameterLayer``).
public struct CplxAdaptiveModReLU: BroadcastParameterLayer {
    /// `threshold`.
    public static let parameterKey = "threshold"
    /// The shape of the threshold.
    public let dim: [Int]
    /// An adaptive modReLU whose threshold has shape `parameterShape`.
    public init(parameterShape: [Int]) { dim = parameterShape }

    /// `max(0, |z| − τ)·z/|z|` with τ `[*dim]` broadcast against `z`: complex `[…, *dim]` → the same shape.
    public static func apply(_ z: ComplexTensor, _ threshold: Tensor) -> ComplexTensor { modReLU(z, threshold: threshold) }
}

/// The modulus |z| = √(re² + im²) (cplxmodule's `CplxModulus`). Shapes: any complex → same, real.
public struct CplxModulus: SequentialLayer {
    /// cplxmodule's `CplxModulus()`.
    public init() {}
    /// `|z| = √(re² + im²)`: complex any shape → real of the same shape.
    public func callAsFunction(_ z: ComplexTensor, parameters: ParameterTree, context: Context) -> Tensor { abs(z) }
}

/// The argument atan2(im, re) ∈ (−π, π] (cplxmodule's `CplxAngle`). Shapes: any complex → same, real.
public struct CplxAngle: SequentialLayer {
    /// cplxmodule's `CplxAngle()`.
    public init() {}
    /// `atan2(im, re)`: complex any shape → real of the same shape.
    public func callAsFunction(_ z: ComplexTensor, parameters: ParameterTree, context: Context) -> Tensor { angle(z) }
}

/// Phase powers: for each order k of `orders`, `|z|·(z/|z|)^k` — the modulus kept, the phase
/// multiplied by k — stacked along the channel axis (axis 1) in the order given.
///
/// Raising the phase to the power k turns an M-PSK constellation with a random carrier phase φ
/// into one point of phase kφ when M divides k, so a following (grouped) convolution can average
/// it over several symbols, and the modulus of the result separates BPSK (order 2) from QPSK
/// (order 4) from 8PSK: the higher-order moments `E z^k` used by classic modulation
/// classifiers, computed locally. With `groups = orders.count`, a next convolution keeps the
/// orders apart, so each output still turns by a fixed multiple of a common phase and its modulus
/// is independent of the carrier phase.
///
/// Computed as `|z| · u^k` with `u = z / (|z| + 10⁻⁶)`, in one tape entry (``phasePowers(_:orders:epsilon:)``).
/// Shapes: complex `[N, C, *S]` → `[N, C·orders.count, *S]`.
/// No parameters.
public struct CplxPhasePowers: SequentialLayer {
    /// The orders k, each ≥ 0 (0 gives the modulus |z| as a complex tensor with zero imaginary part,
    /// 1 passes z through).
    public let orders: [Int]

    /// Phase powers of the given orders. - Precondition: `orders` non-empty, each ≥ 0.
    public init(orders: [Int] = [1, 2, 4]) {
        require(!orders.isEmpty && orders.allSatisfy { $0 >= 0 }, "CplxPhasePowers: orders must be ≥ 0, got \(orders)")
        self.orders = orders
    }

    /// `concat_k(|z|·(z/|z|)^k, axis 1)`: complex `[N, C, *S]` → `[N, C·orders.count, *S]`.
    public func callAsFunction(_ z: ComplexTensor, parameters: ParameterTree, context: Context) -> ComplexTensor {
        require(z.rank >= 2, "\(context.path): CplxPhasePowers needs [N, C, *S], got \(z.shape)")
        return phasePowers(z, orders: orders, epsilon: 1e-6)
    }
}
