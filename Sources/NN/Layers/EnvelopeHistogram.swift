import Foundation
import Ops

/// A smooth histogram of a signal's envelope at the symbol instants: the amplitude-level
/// ("ring") statistics that tell QAM16 from QAM64, as a fixed, differentiable feature map.
///
/// For each example and channel of a non-negative envelope `e[n, c, t]` (`t < L`, the first
/// `K·P` samples used, `K = ⌊L/P⌋`, `P` = ``phases``):
/// 1. power normalisation: `u = e / √(mean_t e² + 10⁻¹²)`, so ring radii do not depend on the
///    signal's power;
/// 2. soft bin counts per timing phase `p < P`: `H[b, p] = mean_k exp(−((u[kP + p] − c_b) / w)²)`,
///    centres `c_b` evenly spaced over `[0, maxLevel]`, width `w`;
/// 3. a soft choice of the timing phase: the matched filter's output has the most energy at the
///    symbol instants, so `π = softmax_p(β · mean_k u[kP + p]²)` and `h[b] = s · Σ_p π_p H[b, p]`
///    (`β` = ``sharpness``, `s` = ``scale``).
///
/// With `P` samples per symbol the histogram is taken at (nearly) the symbol instants, where the
/// constellation's amplitude levels are sharp; between them the pulses overlap and blur them.
/// Invariant to the carrier phase (it sees the modulus only) and to the signal's scale.
///
/// Shapes: real `[N, C, L]` (`L ≥ P`) → `[N, C · bins]` (channel-major: `c · bins + b`).
/// No parameters.
public struct EnvelopeHistogram: SequentialLayer {
    /// Number of bins `B`.
    public let bins: Int
    /// The highest bin centre, in units of the RMS (the lowest is 0).
    public let maxLevel: Double
    /// Width `w` of each Gaussian bin, in units of the RMS.
    public let width: Double
    /// Timing phases `P` (samples per symbol of the signal).
    public let phases: Int
    /// Sharpness `β` of the soft choice of the timing phase.
    public let sharpness: Double
    /// Output scale `s` (bin averages are small: this brings them near unit size).
    public let scale: Double

    /// The layer; defaults: 24 bins over [0, 2.4] RMS, width 0.1, 4 phases, β = 20, scale 10.
    /// - Precondition: `bins ≥ 2`, `maxLevel`, `width`, `scale` > 0, `phases ≥ 1`, `sharpness ≥ 0`.
    public init(bins: Int = 24, maxLevel: Double = 2.4, width: Double = 0.1, phases: Int = 4, sharpness: Double = 20, scale: Double = 10) {
        require(bins >= 2 && maxLevel > 0 && width > 0 && phases >= 1 && sharpness >= 0 && scale > 0,
                "EnvelopeHistogram: bad configuration bins \(bins), maxLevel \(maxLevel), width \(width), phases \(phases), sharpness \(sharpness), scale \(scale)")
        (self.bins, self.maxLevel, self.width, self.phases, self.sharpness, self.scale) = (bins, maxLevel, width, phases, sharpness, scale)
    }

    /// The bin centres `c_b = b · maxLevel / (bins − 1)`.
    public var centers: [Double] { (0..<bins).map { Double($0) * maxLevel / Double(bins - 1) } }

    /// `[N, C, L]` → `[N, C · bins]` (see the type's description for the formula).
    public func callAsFunction(_ e: Tensor, parameters: ParameterTree, context: Context) -> Tensor {
        require(e.rank == 3 && e.shape[2] >= phases, "\(context.path): EnvelopeHistogram needs [N, C, L] with L ≥ \(phases), got \(e.shape)")
        let (n, c) = (e.shape[0], e.shape[1])
        let k = e.shape[2] / phases
        let x = k * phases == e.shape[2] ? e : slice(e, axis: 2, start: 0, end: k * phases)
        let u = x / sqrt(mean(x * x, axes: [2], keepDims: true) + 1e-12)                       // [N, C, KP]
        let centres = Tensor(shape: [1, 1, bins, 1], scalars: centers, dtype: e.dtype)
        let d = (unsqueeze(u, axis: 2) - centres) / width                                        // [N, C, B, KP]
        let perPhase = mean(reshape(exp(-(d * d)), [n, c, bins, k, phases]), axes: [3])       // [N, C, B, P]
        let energy = mean(reshape(u * u, [n, c, k, phases]), axes: [2])                        // [N, C, P]
        let choice = softmax(energy * sharpness, axis: 2)                                      // [N, C, P]
        let h = sum(perPhase * unsqueeze(choice, axis: 2), axes: [3])                          // [N, C, B]
        return reshape(h * scale, [n, c * bins])
    }
}
