import XCTest
import Foundation
import Autodiff
import Ops
import NN
import TestSupport

// Parity of the complex layers (cplxmodule.nn) with layers.safetensors: eval forward and the
// VJP with respect to inputs and parameters, float64 and float32; complex batch norm in
// training mode (2×2 whitening through batch statistics) with its running statistics.

final class ComplexLayerFixtureTests: XCTestCase {
    func testComplexLayersFloat64AndFloat32() throws {
        let file = try Fixture.load("layers")
        for lc in LayerCases.complex {
            try checkLayerCase(lc, caseID: lc.id, file: file)
            try checkLayerCase(lc, caseID: lc.id + ".f32", file: file)
        }
    }

    func testComplexBatchNormTrainingStepAndEval() throws {
        let file = try Fixture.load("layers")
        for (id, lc) in LayerCases.batchNorm where id.hasPrefix("Cplx") {
            for suffix in ["", ".f32"] {
                try checkBatchNormPair(lc, id: id, suffix: suffix, file: file)
            }
        }
    }

    /// Every case of the fixture file is covered by one of the layer tests (so a new fixture
    /// case cannot go untested silently).
    func testEveryLayerFixtureCaseIsCovered() throws {
        let file = try Fixture.load("layers")
        var covered = Set<String>()
        for lc in LayerCases.real + LayerCases.complex { covered.insert(lc.id) }
        for (id, _) in LayerCases.batchNorm { covered.insert(id + ".train"); covered.insert(id + ".eval") }
        for c in Fixture.cases(file) {
            let base = c.hasSuffix(".f32") ? String(c.dropLast(4)) : c
            XCTAssertTrue(covered.contains(base), "fixture case \(c) has no test")
        }
    }

    func testComplexDropoutSharesOneMaskAcrossParts() {
        let z = Sample.complex([100, 40], seed: 11)
        let layer = CplxDropout(0.25)
        let eval = layer(z, parameters: [:])
        XCTAssertTrue(eval.real.isIdentical(to: z.real) && eval.imag.isIdentical(to: z.imag))
        let y = layer(z, parameters: [:], context: Context(training: true, key: RandomKey(seed: 5)))
        let zr = z.real.scalars, zi = z.imag.scalars, yr = y.real.scalars, yi = y.imag.scalars
        var dropped = 0
        for i in 0..<zr.count {
            if yr[i] == 0 {
                XCTAssertEqual(yi[i], 0, "element \(i): real part dropped but not the imaginary part")
                dropped += 1
            } else {
                XCTAssertEqual(yr[i], zr[i] / 0.75, accuracy: 1e-12)
                XCTAssertEqual(yi[i], zi[i] / 0.75, accuracy: 1e-12)
            }
        }
        XCTAssertEqual(Double(dropped) / Double(zr.count), 0.25, accuracy: 0.02)
        // gradient of Σ(re + im) is the scaled mask on both parts
        let g = gradient(at: z) { w in
            let o = layer(w, parameters: [:], context: Context(training: true, key: RandomKey(seed: 5)))
            return sum(o.real) + sum(o.imag)
        }
        for i in 0..<zr.count {
            let m = yr[i] == 0 ? 0 : 1 / 0.75
            XCTAssertEqual(g.real.scalars[i], m, accuracy: 1e-12)
            XCTAssertEqual(g.imag.scalars[i], m, accuracy: 1e-12)
        }
    }

    /// Complex batch norm whitens: after a training-mode call without affine map, the output's
    /// per-feature 2×2 covariance is the identity (up to the nugget) and its mean zero.
    func testComplexBatchNormWhitensCorrelatedInput() {
        let n = 400
        let a = Sample.normal([n, 2], seed: 21), b = Sample.normal([n, 2], seed: 22)
        // strongly correlated, unequal-variance parts, shifted
        let re = a * 3.0 + 1.0, im = a * 2.0 + b * 0.5 - 2.0
        let layer = CplxBatchNorm1d(2, affine: false)
        let p = layer.initialParameters(key: RandomKey(seed: 0), dtype: .float64)
        let y = layer(ComplexTensor(real: re, imag: im), parameters: p, context: Context(training: true))
        let yr = y.real.scalars, yi = y.imag.scalars
        for f in 0..<2 {
            var mr = 0.0, mi = 0.0, vrr = 0.0, vii = 0.0, vri = 0.0
            for i in 0..<n { mr += yr[i * 2 + f]; mi += yi[i * 2 + f] }
            mr /= Double(n); mi /= Double(n)
            for i in 0..<n {
                let u = yr[i * 2 + f] - mr, v = yi[i * 2 + f] - mi
                vrr += u * u; vii += v * v; vri += u * v
            }
            XCTAssertEqual(mr, 0, accuracy: 1e-12); XCTAssertEqual(mi, 0, accuracy: 1e-12)
            XCTAssertEqual(vrr / Double(n), 1, accuracy: 1e-4)
            XCTAssertEqual(vii / Double(n), 1, accuracy: 1e-4)
            XCTAssertEqual(vri / Double(n), 0, accuracy: 1e-4)
        }
    }

    /// momentum nil: the running mean is the cumulative average of the batch means.
    func testBatchNormCumulativeMomentum() {
        let layer = BatchNorm1d(2, momentum: nil)
        var p = layer.initialParameters(key: RandomKey(seed: 0), dtype: .float64)
        let x1 = Sample.normal([8, 2], seed: 1), x2 = Sample.normal([8, 2], seed: 2) + 3.0
        for x in [x1, x2] {
            let u = StateUpdates()
            _ = layer(x, parameters: p, context: Context(training: true, state: u))
            p.merge(u.tree)
        }
        let m1 = mean(x1, axes: [0]), m2 = mean(x2, axes: [0])
        assertClose(p["running_mean"]!, (m1 + m2) / 2.0, rtol: 1e-12, atol: 1e-14, "cumulative running mean")
        XCTAssertEqual(p["num_batches_tracked"]!.item, 2)
    }
}
