import Foundation
import Ops

/// A seeded generator of modulation-recognition examples shaped like RadioML 2016.10a: complex
/// baseband (I/Q) windows of eleven modulations — eight digital, three analog — under random
/// carrier phase, carrier frequency offset, timing offset and additive white Gaussian noise at a
/// grid of SNRs. Every parameter is a stored property; Docs/RadioSignals.md explains each one.
///
/// One example, in order:
/// 1. the class is `index % 11` and the SNR `snrGrid[(index / 11) % snrGrid.count]`, so any
///    `11 · snrGrid.count` consecutive examples hold every (class, SNR) pair once;
/// 2. a clean complex signal `s[n]`, `n = 0 ..< sampleCount`, of the class (see ``Modulation``);
/// 3. the carrier: `s[n] · exp(i (φ + 2π f₀ n))`, `φ` uniform in [0, 2π), `f₀` uniform in
///    `±maxFrequencyOffset` cycles per sample;
/// 4. scaling to unit mean power over the window, `(1/L) Σ |s[n]|² = 1`;
/// 5. noise: `+ w[n]`, `w` complex Gaussian with `E|w|² = 10^(−SNR/10)` (variance half that per
///    part), so the SNR is signal power over noise power per complex sample.
///
/// Randomness: example `i` draws from a ``SplitMix64`` seeded with
/// `RandomKey(seed: seed).fold(UInt64(i)).rawValue`, so an example depends only on
/// `(seed, i)` and the generator's parameters — not on `count`, the order, or the thread count.
public struct RadioSignals: Sendable {
    /// The eleven classes, in label order: digital first, then analog.
    public enum Modulation: String, Sendable, CaseIterable {
        case bpsk = "BPSK", qpsk = "QPSK", psk8 = "8PSK", pam4 = "PAM4", qam16 = "QAM16", qam64 = "QAM64"
        case cpfsk = "CPFSK", gfsk = "GFSK"
        case amDSB = "AM-DSB", amSSB = "AM-SSB", wbfm = "WBFM"

        /// Whether the source is random bits (the first eight classes).
        public var isDigital: Bool { self != .amDSB && self != .amSSB && self != .wbfm }
    }

    /// Complex samples per example (`L`; RadioML 2016: 128).
    public var sampleCount = 128
    /// Samples per symbol of the digital classes (RadioML 2016: about 8; here 4, so that a window
    /// holds 32 symbols).
    public var samplesPerSymbol = 4
    /// Roll-off β of the root-raised-cosine pulse of the linear modulations (BPSK … QAM64).
    public var rollOff = 0.35
    /// Length of the root-raised-cosine pulse in symbols (truncated to `±span/2` symbols).
    public var pulseSpan = 8
    /// Largest carrier frequency offset, cycles per sample (uniform in `±` this): the residual
    /// offset a receiver leaves after coarse frequency correction (0.0005: at most 23° of rotation
    /// over 128 samples).
    public var maxFrequencyOffset = 0.0005
    /// Modulation index h of CPFSK (rectangular frequency pulse; peak deviation `h / (2 sps)` cycles per sample).
    public var cpfskIndex = 0.5
    /// Modulation index h of GFSK (Bluetooth-like).
    public var gfskIndex = 0.32
    /// Bandwidth–symbol-time product BT of the Gaussian frequency filter of GFSK.
    public var gfskBT = 0.5
    /// Range of the AM-DSB modulation depth μ in `1 + μ m(t)` (the carrier is transmitted).
    public var amDepth: ClosedRange<Double> = 0.3...0.9
    /// Range of the WBFM peak frequency deviation, cycles per sample.
    public var fmDeviation: ClosedRange<Double> = 0.05...0.15
    /// Range of the tone frequencies of the analog message, cycles per sample.
    public var messageBand: ClosedRange<Double> = 0.002...0.03
    /// Tones in the analog message `m(t)`.
    public var messageTones = 3
    /// The SNRs in dB, cycled through by example index.
    public var snrGrid: [Double] = stride(from: -10.0, through: 20.0, by: 2.0).map { $0 }
    /// The classes, in label order.
    public var classes: [Modulation] = Modulation.allCases

    /// The defaults documented on each property: 128 samples, 4 samples per symbol, β = 0.35 over
    /// 8 symbols, |f₀| ≤ 0.0005, SNR −10 … 20 dB in 2 dB steps, all eleven classes.
    public init() {}

    /// `count` examples from `seed`: inputs `[count, 1, 2·L]` (`float32`, interleaved
    /// I₀, Q₀, I₁, Q₁, … — one complex channel), labels in `0 ..< classes.count`, and each example's
    /// SNR in ``LabeledDataset/snr``.
    public func dataset(count: Int, seed: UInt64, name: String = "radio") -> LabeledDataset {
        let L = sampleCount
        var data = [Float](repeating: 0, count: count * 2 * L)
        let key = RandomKey(seed: seed)
        data.withUnsafeMutableBufferPointer { buf in
            let out = UncheckedSendableBox(buf.baseAddress!)
            parallelFor(count, grain: 64) { range in
                for i in range {
                    let (re, im) = example(i, key: key).samples
                    for n in 0..<L {
                        out.value[i * 2 * L + 2 * n] = Float(re[n])
                        out.value[i * 2 * L + 2 * n + 1] = Float(im[n])
                    }
                }
            }
        }
        let labels = (0..<count).map { $0 % classes.count }
        let snrs = (0..<count).map { snr(ofExample: $0) }
        return LabeledDataset(name: name, inputs: Tensor(shape: [count, 1, 2 * L], scalars: data), labels: labels,
                              classNames: classes.map(\.rawValue), snr: snrs)
    }

    /// The nominal SNR (dB) of example `index`.
    public func snr(ofExample index: Int) -> Double { snrGrid[(index / classes.count) % snrGrid.count] }

    /// Example `index` of the data set of `key`: its samples after every step, the clean
    /// unit-power signal (after carrier, before noise), and the draws that made it.
    public func example(_ index: Int, key: RandomKey) -> (samples: (re: [Double], im: [Double]), clean: (re: [Double], im: [Double]),
                                                           label: Int, snr: Double) {
        var rng = SplitMix64(seed: key.fold(UInt64(index)).rawValue)
        let label = index % classes.count
        let snr = snr(ofExample: index)
        var (re, im) = baseband(classes[label], rng: &rng)
        // carrier phase and frequency offset
        let phi = 2 * Double.pi * rng.nextUniform()
        let f0 = (2 * rng.nextUniform() - 1) * maxFrequencyOffset
        for n in 0..<sampleCount {
            let a = phi + 2 * Double.pi * f0 * Double(n)
            let (c, s) = (Foundation.cos(a), Foundation.sin(a))
            (re[n], im[n]) = (re[n] * c - im[n] * s, re[n] * s + im[n] * c)
        }
        // unit mean power
        let power = zip(re, im).reduce(0) { $0 + $1.0 * $1.0 + $1.1 * $1.1 } / Double(sampleCount)
        let g = power > 0 ? 1 / power.squareRoot() : 0
        for n in 0..<sampleCount { re[n] *= g; im[n] *= g }
        let clean = (re, im)
        let sigma = (Foundation.pow(10, -snr / 10) / 2).squareRoot()   // per part
        for n in 0..<sampleCount {
            re[n] += sigma * rng.nextNormal()
            im[n] += sigma * rng.nextNormal()
        }
        return ((re, im), clean, label, snr)
    }

    /// The constellation of a linear modulation, scaled to unit mean power (nil for the others).
    public static func constellation(_ m: Modulation) -> [(re: Double, im: Double)]? {
        var pts: [(re: Double, im: Double)]
        switch m {
        case .bpsk: pts = [(1, 0), (-1, 0)]
        case .qpsk: pts = (0..<4).map { (Foundation.cos(Double.pi / 4 + Double($0) * Double.pi / 2), Foundation.sin(Double.pi / 4 + Double($0) * Double.pi / 2)) }
        case .psk8: pts = (0..<8).map { (Foundation.cos(Double($0) * Double.pi / 4), Foundation.sin(Double($0) * Double.pi / 4)) }
        case .pam4: pts = [-3.0, -1, 1, 3].map { ($0, 0) }
        case .qam16: pts = [-3.0, -1, 1, 3].flatMap { i in [-3.0, -1, 1, 3].map { q in (i, q) } }
        case .qam64: pts = [-7.0, -5, -3, -1, 1, 3, 5, 7].flatMap { i in [-7.0, -5, -3, -1, 1, 3, 5, 7].map { q in (i, q) } }
        default: return nil
        }
        let p = pts.reduce(0) { $0 + $1.re * $1.re + $1.im * $1.im } / Double(pts.count)
        return pts.map { ($0.re / p.squareRoot(), $0.im / p.squareRoot()) }
    }

    /// The root-raised-cosine impulse response at `t` symbol periods (peak `1 − β + 4β/π` at 0),
    /// zero beyond `±pulseSpan/2`.
    public func rootRaisedCosine(_ t: Double) -> Double {
        let b = rollOff
        if Swift.abs(t) > Double(pulseSpan) / 2 { return 0 }
        if Swift.abs(t) < 1e-9 { return 1 - b + 4 * b / Double.pi }
        if b > 0 && Swift.abs(Swift.abs(t) - 1 / (4 * b)) < 1e-9 {
            let x = Double.pi / (4 * b)
            return b / 2.0.squareRoot() * ((1 + 2 / Double.pi) * Foundation.sin(x) + (1 - 2 / Double.pi) * Foundation.cos(x))
        }
        let num = Foundation.sin(Double.pi * t * (1 - b)) + 4 * b * t * Foundation.cos(Double.pi * t * (1 + b))
        return num / (Double.pi * t * (1 - (4 * b * t) * (4 * b * t)))
    }

    /// The matched filter of the linear modulations' pulse: the root-raised-cosine response
    /// sampled at `samplesPerSymbol` samples per symbol over `taps` samples centred on its peak,
    /// `h[j] = g((j − (taps − 1)/2) / sps) / ‖g‖` (unit energy; symmetric, so the same as a
    /// correlation or a convolution filter).
    /// - Precondition: `taps ≥ 1`.
    public func matchedFilter(taps: Int) -> [Double] {
        require(taps >= 1, "RadioSignals.matchedFilter: taps must be ≥ 1, got \(taps)")
        let centre = Double(taps - 1) / 2
        let g = (0..<taps).map { rootRaisedCosine((Double($0) - centre) / Double(samplesPerSymbol)) }
        let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return g.map { $0 / norm }
    }

    /// The clean baseband signal of one class before the carrier (any power).
    func baseband(_ m: Modulation, rng: inout SplitMix64) -> ([Double], [Double]) {
        let L = sampleCount, sps = Double(samplesPerSymbol)
        var re = [Double](repeating: 0, count: L), im = [Double](repeating: 0, count: L)
        // timing: sample n sits at symbol time (n + τ) / sps, τ uniform in [0, sps)
        let tau = sps * rng.nextUniform()
        let half = pulseSpan / 2
        let lastSymbol = Int(((Double(L) + tau) / sps).rounded(.up)) + half + 1
        func symbolTime(_ n: Int) -> Double { (Double(n) + tau) / sps }
        switch m {
        case .bpsk, .qpsk, .psk8, .pam4, .qam16, .qam64:
            let table = Self.constellation(m)!
            // symbols k = −half … lastSymbol, index k + half
            let symbols = (0...(lastSymbol + half)).map { _ in table[Int(rng.next() % UInt64(table.count))] }
            for n in 0..<L {
                let t = symbolTime(n)
                let k0 = Int(t.rounded(.down))
                for k in (k0 - half)...(k0 + half + 1) {
                    let h = rootRaisedCosine(t - Double(k))
                    let a = symbols[k + half]
                    re[n] += h * a.re; im[n] += h * a.im
                }
            }
        case .cpfsk, .gfsk:
            let h = m == .cpfsk ? cpfskIndex : gfskIndex
            let bits = (0...(lastSymbol + half)).map { _ in rng.next() & 1 == 0 ? -1.0 : 1.0 }
            // frequency pulse: rectangle of one symbol (CPFSK) or the rectangle through a Gaussian
            // filter of bandwidth BT (GFSK): q(t) = ½[erfc(c(t − ½)) − erfc(c(t + ½))], c = 2πBT/√(2 ln 2)
            let c = 2 * Double.pi * gfskBT / (2 * Foundation.log(2.0)).squareRoot()
            func pulse(_ t: Double) -> Double {
                if m == .cpfsk { return (t >= -0.5 && t < 0.5) ? 1 : 0 }
                return 0.5 * (Foundation.erfc(c * (t - 0.5)) - Foundation.erfc(c * (t + 0.5)))
            }
            var phase = 0.0
            for n in 0..<L {
                let t = symbolTime(n) - 0.5   // symbol k occupies [k, k + 1)
                let k0 = Int(t.rounded())
                var freq = 0.0   // cycles per sample
                for k in Swift.max(-half, k0 - 3)...(k0 + 3) { freq += bits[k + half] * pulse(t - Double(k)) }
                freq *= h / (2 * sps)
                re[n] = Foundation.cos(phase); im[n] = Foundation.sin(phase)
                phase += 2 * Double.pi * freq
            }
        case .amDSB, .amSSB, .wbfm:
            // message: a sum of tones, m(n) = Σ a_j cos(2π f_j n + θ_j) / Σ a_j, so |m| ≤ 1
            let tones = (0..<messageTones).map { _ in
                (a: 0.2 + 0.8 * rng.nextUniform(),
                 f: messageBand.lowerBound + (messageBand.upperBound - messageBand.lowerBound) * rng.nextUniform(),
                 theta: 2 * Double.pi * rng.nextUniform())
            }
            let norm = tones.reduce(0) { $0 + $1.a }
            func message(_ n: Double) -> Double { tones.reduce(0) { $0 + $1.a * Foundation.cos(2 * Double.pi * $1.f * n + $1.theta) } / norm }
            switch m {
            case .amDSB:
                let mu = amDepth.lowerBound + (amDepth.upperBound - amDepth.lowerBound) * rng.nextUniform()
                for n in 0..<L { re[n] = 1 + mu * message(Double(n)) }
            case .amSSB:
                // upper sideband: m + i·Hilbert(m); the Hilbert transform of cos is sin
                for n in 0..<L {
                    for tone in tones {
                        let a = 2 * Double.pi * tone.f * Double(n) + tone.theta
                        re[n] += tone.a * Foundation.cos(a) / norm; im[n] += tone.a * Foundation.sin(a) / norm
                    }
                }
            default:
                // phase = 2π Δf Σ m: the instantaneous frequency is Δf · m(n) cycles per sample
                let dev = fmDeviation.lowerBound + (fmDeviation.upperBound - fmDeviation.lowerBound) * rng.nextUniform()
                var phase = 0.0
                for n in 0..<L {
                    re[n] = Foundation.cos(phase); im[n] = Foundation.sin(phase)
                    phase += 2 * Double.pi * dev * message(Double(n))
                }
            }
        }
        return (re, im)
    }
}

/// A pointer passed to the per-range bodies of ``parallelFor``, which write disjoint rows.
private struct UncheckedSendableBox: @unchecked Sendable {
    let value: UnsafeMutablePointer<Float>
    init(_ value: UnsafeMutablePointer<Float>) { self.value = value }
}
