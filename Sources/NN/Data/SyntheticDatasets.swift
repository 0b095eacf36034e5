import Foundation

/// Built-in datasets generated in code from a seed, so examples and tests need no downloads.
public enum SyntheticData {
    /// Ten classes of 28×28 single-channel "glyphs", shaped like MNIST (`[N, 1, 28, 28]`, values in [0, 1]).
    ///
    /// Each class has a template of three strokes (line segments drawn with a Gaussian pen of
    /// width 1.2 px) whose end points come from `seed`. An example is its class template
    /// shifted by up to ±2 pixels in each direction, scaled by an intensity in [0.7, 1.1],
    /// plus N(0, 0.15²) pixel noise, clipped to [0, 1]. Classes are balanced (round robin).
    ///
    /// - Parameters:
    ///   - seed: fixes the ten class templates (the task).
    ///   - sampleSeed: fixes the examples drawn from them; give the training and test sets the
    ///     same `seed` and different `sampleSeed`s.
    public static func glyphs(count: Int, seed: UInt64 = 0, sampleSeed: UInt64) -> LabeledDataset {
        var rng = SplitMix64(seed: seed)
        let side = 28
        var templates: [[Float]] = []
        for _ in 0..<10 {
            var img = [Float](repeating: 0, count: side * side)
            for _ in 0..<3 {
                let x0 = 6 + 16 * rng.nextUniform(), y0 = 6 + 16 * rng.nextUniform()
                let x1 = 6 + 16 * rng.nextUniform(), y1 = 6 + 16 * rng.nextUniform()
                for y in 0..<side {
                    for x in 0..<side {
                        // distance from pixel centre to the segment
                        let (px, py) = (Double(x), Double(y))
                        let (dx, dy) = (x1 - x0, y1 - y0)
                        let t = Swift.max(0, Swift.min(1, ((px - x0) * dx + (py - y0) * dy) / Swift.max(dx * dx + dy * dy, 1e-9)))
                        let (qx, qy) = (x0 + t * dx - px, y0 + t * dy - py)
                        let v = Float(Foundation.exp(-(qx * qx + qy * qy) / (2 * 1.2 * 1.2)))
                        img[y * side + x] = Swift.max(img[y * side + x], v)
                    }
                }
            }
            templates.append(img)
        }
        rng = SplitMix64(seed: sampleSeed &* 0x2545_F491_4F6C_DD1D &+ 0x1234_5678)
        var data = [Float](repeating: 0, count: count * side * side)
        var labels: [Int] = []
        for n in 0..<count {
            let c = n % 10
            labels.append(c)
            let sx = Int(rng.next() % 5) - 2, sy = Int(rng.next() % 5) - 2
            let scale = Float(0.7 + 0.4 * rng.nextUniform())
            for y in 0..<side {
                for x in 0..<side {
                    let (tx, ty) = (x - sx, y - sy)
                    let base = (tx >= 0 && tx < side && ty >= 0 && ty < side) ? templates[c][ty * side + tx] : 0
                    let v = scale * base + Float(0.15 * rng.nextNormal())
                    data[n * side * side + y * side + x] = Swift.min(1, Swift.max(0, v))
                }
            }
        }
        return LabeledDataset(name: "glyphs", inputs: Tensor(shape: [count, 1, side, side], scalars: data), labels: labels,
                              classNames: (0..<10).map { "glyph\($0)" })
    }

    /// The digital modulations of ``modulation(count:symbols:snrDB:seed:)``.
    public static let modulationNames = ["BPSK", "QPSK", "8PSK", "4PAM", "16QAM", "64QAM"]

    /// Modulation classification of noisy complex baseband (I/Q) signals: six classes
    /// (BPSK, QPSK, 8PSK, 4-PAM, 16-QAM, 64-QAM), `symbols` symbols per example at one sample per
    /// symbol, constellations normalised to unit mean power, a residual carrier phase offset
    /// uniform in ±π/16, and complex white Gaussian noise at an SNR drawn uniformly from `snrDB`.
    ///
    /// Inputs are interleaved real `[N, 2·symbols]` (I₀, Q₀, I₁, Q₁, …), which ``RealToCplx``
    /// turns into complex `[N, symbols]` — the form a complex network consumes.
    public static func modulation(count: Int, symbols: Int = 64, snrDB: ClosedRange<Double> = 8...20,
                                  seed: UInt64) -> LabeledDataset {
        var rng = SplitMix64(seed: seed)
        func constellation(_ name: String) -> [(Double, Double)] {
            var pts: [(Double, Double)]
            switch name {
            case "BPSK": pts = [(1, 0), (-1, 0)]
            case "QPSK": pts = (0..<4).map { (Foundation.cos(Double.pi / 4 + Double($0) * Double.pi / 2), Foundation.sin(Double.pi / 4 + Double($0) * Double.pi / 2)) }
            case "8PSK": pts = (0..<8).map { (Foundation.cos(Double($0) * Double.pi / 4), Foundation.sin(Double($0) * Double.pi / 4)) }
            case "4PAM": pts = [-3, -1, 1, 3].map { (Double($0), 0) }
            case "16QAM": pts = [-3, -1, 1, 3].flatMap { i in [-3, -1, 1, 3].map { q in (Double(i), Double(q)) } }
            default: pts = [-7, -5, -3, -1, 1, 3, 5, 7].flatMap { i in [-7, -5, -3, -1, 1, 3, 5, 7].map { q in (Double(i), Double(q)) } }
            }
            let power = pts.reduce(0) { $0 + $1.0 * $1.0 + $1.1 * $1.1 } / Double(pts.count)
            let s = 1 / power.squareRoot()
            return pts.map { ($0.0 * s, $0.1 * s) }
        }
        let tables = modulationNames.map(constellation)
        var data = [Float](repeating: 0, count: count * 2 * symbols)
        var labels: [Int] = []
        for n in 0..<count {
            let c = n % tables.count
            labels.append(c)
            let phase = (rng.nextUniform() * 2 - 1) * Double.pi / 16
            let (cp, sp) = (Foundation.cos(phase), Foundation.sin(phase))
            let snr = snrDB.lowerBound + (snrDB.upperBound - snrDB.lowerBound) * rng.nextUniform()
            let noiseStd = (Foundation.pow(10, -snr / 10) / 2).squareRoot()   // per part
            for k in 0..<symbols {
                let (i, q) = tables[c][Int(rng.next() % UInt64(tables[c].count))]
                let re = i * cp - q * sp + noiseStd * rng.nextNormal()
                let im = i * sp + q * cp + noiseStd * rng.nextNormal()
                data[n * 2 * symbols + 2 * k] = Float(re)
                data[n * 2 * symbols + 2 * k + 1] = Float(im)
            }
        }
        return LabeledDataset(name: "modulation", inputs: Tensor(shape: [count, 2 * symbols], scalars: data), labels: labels,
                              classNames: modulationNames)
    }
}
