import XCTest
import Foundation
import Autodiff
import Ops
import NN

final class RadioSignalsTests: XCTestCase {
    func testShapesLabelsAndSNRGrid() {
        let gen = RadioSignals()
        let d = gen.dataset(count: 11 * 16 * 2, seed: 3)
        XCTAssertEqual(d.inputs.shape, [352, 1, 256])
        XCTAssertEqual(d.classNames, ["BPSK", "QPSK", "8PSK", "PAM4", "QAM16", "QAM64", "CPFSK", "GFSK", "AM-DSB", "AM-SSB", "WBFM"])
        XCTAssertEqual(d.labels, (0..<352).map { $0 % 11 })
        XCTAssertEqual(d.snr?.count, 352)
        // every (class, SNR) pair exactly twice
        var pairs: [String: Int] = [:]
        for i in 0..<352 { pairs["\(d.labels[i]) \(d.snr![i])", default: 0] += 1 }
        XCTAssertEqual(pairs.count, 11 * 16)
        XCTAssertTrue(pairs.values.allSatisfy { $0 == 2 })
        XCTAssertEqual(Set(d.snr!), Set(stride(from: -10.0, through: 20.0, by: 2.0)))
        XCTAssertEqual(RadioSignals.Modulation.allCases.filter(\.isDigital).count, 8)
    }

    func testDeterministicAndIndependentOfCount() {
        let gen = RadioSignals()
        let a = gen.dataset(count: 40, seed: 7), b = gen.dataset(count: 40, seed: 7), c = gen.dataset(count: 25, seed: 7)
        XCTAssertEqual(a.inputs.scalars, b.inputs.scalars)
        XCTAssertEqual(Array(a.inputs.scalars.prefix(25 * 256)), c.inputs.scalars)
        let other = gen.dataset(count: 40, seed: 8)
        XCTAssertNotEqual(a.inputs.scalars, other.inputs.scalars)
        XCTAssertTrue(a.inputs.scalars.allSatisfy(\.isFinite))
    }

    func testUnitPowerBeforeNoiseAndMeasuredSNR() {
        let gen = RadioSignals()
        let key = RandomKey(seed: 11)
        var noiseBySNR: [Double: [Double]] = [:]
        for i in 0..<(11 * 16 * 6) {
            let e = gen.example(i, key: key)
            let p = zip(e.clean.re, e.clean.im).reduce(0) { $0 + $1.0 * $1.0 + $1.1 * $1.1 } / 128
            XCTAssertEqual(p, 1, accuracy: 1e-9, "example \(i) (\(gen.classes[e.label]))")
            var noise = 0.0
            for n in 0..<128 {
                let (dr, di) = (e.samples.re[n] - e.clean.re[n], e.samples.im[n] - e.clean.im[n])
                noise += dr * dr + di * di
            }
            noiseBySNR[e.snr, default: []].append(noise / 128)
        }
        for (snr, powers) in noiseBySNR {
            let measured = -10 * Foundation.log10(powers.reduce(0, +) / Double(powers.count))
            // 66 windows × 128 samples: the estimate's standard deviation is about 0.05 dB
            XCTAssertEqual(measured, snr, accuracy: 0.3, "nominal \(snr) dB")
        }
    }

    /// Properties of the clean signals without frequency offset, where each class's structure is exact.
    func testClassSignatures() {
        var gen = RadioSignals()
        gen.maxFrequencyOffset = 0
        let key = RandomKey(seed: 5)
        func clean(_ m: RadioSignals.Modulation, _ k: Int) -> [(Double, Double)] {
            let e = gen.example(gen.classes.firstIndex(of: m)! + 11 * k, key: key)
            return Array(zip(e.clean.re, e.clean.im))
        }
        // |Σ z²| / Σ |z|²: 1 for a signal on one line through the origin (BPSK, PAM4 after any
        // carrier phase), small for QPSK (its symbols cancel in z²)
        func lineness(_ z: [(Double, Double)]) -> Double {
            var sr = 0.0, si = 0.0, p = 0.0
            for (a, b) in z { sr += a * a - b * b; si += 2 * a * b; p += a * a + b * b }
            return (sr * sr + si * si).squareRoot() / p
        }
        for k in 0..<5 {
            XCTAssertEqual(lineness(clean(.bpsk, k)), 1, accuracy: 1e-9)
            XCTAssertEqual(lineness(clean(.pam4, k)), 1, accuracy: 1e-9)
            XCTAssertLessThan(lineness(clean(.qpsk, k)), 0.6)
            // constant envelope: CPFSK, GFSK, WBFM
            for m in [RadioSignals.Modulation.cpfsk, .gfsk, .wbfm] {
                let mags = clean(m, k).map { ($0.0 * $0.0 + $0.1 * $0.1).squareRoot() }
                XCTAssertEqual(mags.min()!, mags.max()!, accuracy: 1e-9, "\(m)")
            }
            // AM-DSB with carrier: one phase throughout (1 + μ m > 0)
            let angles = clean(.amDSB, k).map { Foundation.atan2($0.1, $0.0) }
            XCTAssertEqual(angles.min()!, angles.max()!, accuracy: 1e-9)
            // AM-SSB (upper sideband): the phase turns forwards on average
            let ssb = clean(.amSSB, k)
            var turn = 0.0
            for n in 1..<ssb.count {   // arg(z[n] · conj(z[n−1]))
                let (a, b) = ssb[n], (c, d) = ssb[n - 1]
                turn += Foundation.atan2(b * c - a * d, a * c + b * d)
            }
            XCTAssertGreaterThan(turn, 0)
            // QAM64 has more distinct amplitude levels than PSK: the envelope varies (RRC ISI too)
            let qam = clean(.qam64, k).map { ($0.0 * $0.0 + $0.1 * $0.1).squareRoot() }
            XCTAssertGreaterThan(qam.max()! - qam.min()!, 0.5)
        }
    }

    func testRootRaisedCosineIsHalfANyquistPulse() {
        let gen = RadioSignals()
        XCTAssertEqual(gen.rootRaisedCosine(0), 1 - 0.35 + 4 * 0.35 / Double.pi, accuracy: 1e-12)
        XCTAssertEqual(gen.rootRaisedCosine(0.7), gen.rootRaisedCosine(-0.7), accuracy: 1e-12)
        XCTAssertEqual(gen.rootRaisedCosine(4.01), 0)
        // the special point t = 1/(4β) is continuous with its neighbourhood
        let t0 = 1 / (4 * 0.35)
        XCTAssertEqual(gen.rootRaisedCosine(t0), gen.rootRaisedCosine(t0 + 1e-6), accuracy: 1e-5)
        // RRC ⋆ RRC is a raised cosine: zero at nonzero whole symbols (up to the truncation)
        func rc(_ m: Double) -> Double {
            let dt = 1.0 / 256
            return stride(from: -4.0, through: 4.0, by: dt).reduce(0) { $0 + gen.rootRaisedCosine($1) * gen.rootRaisedCosine(m - $1) * dt }
        }
        let peak = rc(0)
        XCTAssertEqual(peak, 1, accuracy: 0.02)
        for m in [1.0, 2.0, 3.0] { XCTAssertLessThan(Swift.abs(rc(m) / peak), 0.02, "lag \(m)") }
        XCTAssertGreaterThan(rc(0.5) / peak, 0.3)
    }

    func testMatchedFilterIsTheSampledPulseAtUnitEnergy() {
        var gen = RadioSignals()
        let h = gen.matchedFilter(taps: 17)
        XCTAssertEqual(h.count, 17)
        XCTAssertEqual(h.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-12)
        // h[j] ∝ g((j − 8) / 4): the ratio to the pulse is one constant, peak in the middle
        let scale = h[8] / gen.rootRaisedCosine(0)
        for j in 0..<17 { XCTAssertEqual(h[j], scale * gen.rootRaisedCosine(Double(j - 8) / 4), accuracy: 1e-12, "tap \(j)") }
        XCTAssertEqual(h.firstIndex(of: h.max()!), 8)
        for j in 0..<8 { XCTAssertEqual(h[j], h[16 - j], accuracy: 1e-12) }
        // an even length is centred between two samples; the samples per symbol set the spacing
        gen.samplesPerSymbol = 2
        let e = gen.matchedFilter(taps: 4)
        let g = [-1.5, -0.5, 0.5, 1.5].map { gen.rootRaisedCosine($0 / 2) }
        let n = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for (a, b) in zip(e, g) { XCTAssertEqual(a, b / n, accuracy: 1e-12) }
    }
}
