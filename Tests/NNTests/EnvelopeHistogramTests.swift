import XCTest
import Foundation
import Autodiff
import Ops
import NN

/// The ring features of the signal network: ``EnvelopeHistogram`` against a direct evaluation of
/// its formula, its invariances and gradient, and ``ConcatenatedBranches``.
final class EnvelopeHistogramTests: XCTestCase {
    /// The formula written out with loops, in Double.
    func reference(_ e: [[Double]], _ layer: EnvelopeHistogram) -> [[Double]] {
        e.map { row in
            let k = row.count / layer.phases
            let x = Array(row[0..<(k * layer.phases)])
            let rms = (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + 1e-12).squareRoot()
            let u = x.map { $0 / rms }
            let energy = (0..<layer.phases).map { p in (0..<k).reduce(0.0) { $0 + u[$1 * layer.phases + p] * u[$1 * layer.phases + p] } / Double(k) }
            let top = energy.max()!
            let weights = energy.map { Foundation.exp(layer.sharpness * ($0 - top)) }
            let total = weights.reduce(0, +)
            return layer.centers.map { c in
                (0..<layer.phases).reduce(0.0) { acc, p in
                    let h = (0..<k).reduce(0.0) { s, j in
                        let d = (u[j * layer.phases + p] - c) / layer.width
                        return s + Foundation.exp(-d * d)
                    } / Double(k)
                    return acc + weights[p] / total * h
                } * layer.scale
            }
        }
    }

    func testValuesMatchTheFormula() {
        let layer = EnvelopeHistogram(bins: 5, maxLevel: 2, width: 0.3, phases: 3, sharpness: 4, scale: 2)
        XCTAssertEqual(layer.centers, [0, 0.5, 1, 1.5, 2])
        // 2 examples × 2 channels × 10 samples: 3 phases of 3 samples each, the last sample unused
        let x = abs(normal([2, 2, 10], key: RandomKey(seed: 1), dtype: .float64))
        let y = layer(x, parameters: ParameterTree())
        XCTAssertEqual(y.shape, [2, 10])
        let rows = (0..<4).map { r in (0..<10).map { x.scalars[r * 10 + $0] } }
        let expected = reference(rows, layer).flatMap { $0 }
        for (a, b) in zip(y.scalars, expected) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }

    func testScaleInvariantAndPeaksAtTheLevelsOfTheSymbolInstants() {
        // a 4-phase signal whose phase-2 samples alternate between two levels and whose other
        // samples are small: the soft choice takes phase 2, the histogram shows its two levels
        var s = [Double](repeating: 0.1, count: 64)
        for k in 0..<16 { s[4 * k + 2] = k % 2 == 0 ? 0.6 : 1.8 }
        let layer = EnvelopeHistogram(bins: 31, maxLevel: 3, width: 0.1, phases: 4, sharpness: 50, scale: 1)
        let x = Tensor(shape: [1, 1, 64], scalars: s, dtype: .float64)
        let y = layer(x, parameters: ParameterTree()).scalars
        let y3 = layer(x * 3, parameters: ParameterTree()).scalars
        for (a, b) in zip(y, y3) { XCTAssertEqual(a, b, accuracy: 1e-9) }
        // normalised levels: rms of the whole window
        let rms = (s.reduce(0) { $0 + $1 * $1 } / 64).squareRoot()
        let (low, high) = (0.6 / rms, 1.8 / rms)
        let best = y.enumerated().sorted { $0.element > $1.element }.prefix(2).map { layer.centers[$0.offset] }.sorted()
        XCTAssertEqual(best[0], low, accuracy: 0.06)
        XCTAssertEqual(best[1], high, accuracy: 0.06)
    }

    func testGradientFloat64() throws {
        let layer = EnvelopeHistogram(bins: 4, maxLevel: 2, width: 0.5, phases: 2, sharpness: 3, scale: 1)
        let x = abs(normal([2, 1, 8], key: RandomKey(seed: 2), dtype: .float64)) + 0.2
        try gradcheck({ xs in [layer(xs[0], parameters: ParameterTree())] }, at: [x])
    }

    func testConcatenatedBranchesJoinsFeaturesAndNamesParameters() {
        let layer = ConcatenatedBranches("a", Sequential<Tensor, Tensor>(Linear(3, 2)), "b", Sequential<Tensor, Tensor>(Linear(3, 4), ReLU()))
        let p = layer.initialParameters(key: RandomKey(seed: 3), dtype: .float64)
        XCTAssertEqual(Set(p.keys), ["a.0.weight", "a.0.bias", "b.0.weight", "b.0.bias"])
        let x = normal([5, 3], key: RandomKey(seed: 4), dtype: .float64)
        let y = layer(x, parameters: p)
        XCTAssertEqual(y.shape, [5, 6])
        let a = Linear(3, 2)(x, parameters: p.scoped("a.0")), b = relu(Linear(3, 4)(x, parameters: p.scoped("b.0")))
        XCTAssertEqual(y.scalars, concat([a, b], axis: 1).scalars)
    }
}
