import XCTest
import Foundation
import Autodiff
import Ops
import NN
import Relevance
import TestSupport

/// Training-mode noise (Monte-Carlo moments), L0 gates in training, masks, binarization,
/// weight transfer between dense/Bayesian/masked trees, sparsity statistics.
final class BehaviourTests: XCTestCase {
    /// Column means and (unbiased) variances of an `[N, K]` tensor.
    func moments(_ y: Tensor) -> (mean: [Double], variance: [Double]) {
        let n = y.shape[0], k = y.shape[1], v = y.scalars
        var mean = [Double](repeating: 0, count: k), variance = [Double](repeating: 0, count: k)
        for r in 0..<n { for j in 0..<k { mean[j] += v[r * k + j] } }
        for j in 0..<k { mean[j] /= Double(n) }
        for r in 0..<n { for j in 0..<k { let d = v[r * k + j] - mean[j]; variance[j] += d * d } }
        for j in 0..<k { variance[j] /= Double(n - 1) }
        return (mean, variance)
    }

    /// Checks sample moments against analytic ones within 4 standard errors:
    /// SE(mean) = √(σ²/N), SE(variance) = σ²·√(2/(N − 1)) for Gaussian samples.
    func assertMoments(_ y: Tensor, mean mu: [Double], variance s2: [Double], _ what: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        let n = Double(y.shape[0])
        let (m, v) = moments(y)
        for j in 0..<mu.count {
            XCTAssertLessThan(Swift.abs(m[j] - mu[j]), 4 * (s2[j] / n).squareRoot(), "\(what): mean of output \(j)", file: file, line: line)
            XCTAssertLessThan(Swift.abs(v[j] - s2[j]), 4 * s2[j] * (2 / (n - 1)).squareRoot(), "\(what): variance of output \(j)",
                              file: file, line: line)
        }
    }

    func testRealVDTrainingMoments() {
        let layer = LinearVD(4, 3)
        let n = 4000
        let w = Sample.normal([3, 4], seed: 1)
        let p: ParameterTree = ["weight": w, "bias": Sample.normal([3], seed: 2),
                                "log_sigma2": Sample.uniform([3, 4], -2, 0.5, seed: 3)]
        let x = Sample.normal([1, 4], seed: 4)
        let batch = expand(x, to: [n, 4])
        let y = layer(batch, parameters: p, context: Context(training: true, key: RandomKey(seed: 11)))
        let mu = layer(x, parameters: p).scalars                                   // eval = mean
        let s2 = linear(x * x, exp(p["log_sigma2"]!)).scalars                       // Σ x²σ²
        assertMoments(y, mean: mu, variance: s2, "LinearVD")
        // Deterministic for a key, different for another key.
        let again = layer(batch, parameters: p, context: Context(training: true, key: RandomKey(seed: 11)))
        XCTAssertEqual(again.scalars, y.scalars)
        let other = layer(batch, parameters: p, context: Context(training: true, key: RandomKey(seed: 12)))
        XCTAssertNotEqual(other.scalars, y.scalars)
    }

    func testRealConvVDTrainingMoments() {
        // Every output location has its own noise: replicate one input over the batch and check each location.
        let layer = Conv1dVD(2, 2, 3, padding: 1)
        let n = 4000
        let p: ParameterTree = ["weight": Sample.normal([2, 2, 3], seed: 5), "bias": Sample.normal([2], seed: 6),
                                "log_sigma2": Sample.uniform([2, 2, 3], -2, 0, seed: 7)]
        let x = Sample.normal([1, 2, 5], seed: 8)
        let y = layer(expand(x, to: [n, 2, 5]), parameters: p, context: Context(training: true, key: RandomKey(seed: 13)))
        let mu = layer(x, parameters: p).scalars
        let s2 = conv1d(x * x, exp(p["log_sigma2"]!), padding: 1).scalars
        assertMoments(reshape(y, [n, 10]), mean: mu, variance: s2, "Conv1dVD")
    }

    func testComplexVDTrainingMoments() {
        let layer = CplxLinearVD(4, 3)
        let n = 4000
        var p: ParameterTree = ["log_sigma2": Sample.uniform([3, 4], -2, 0.5, seed: 21)]
        p.setComplex("weight", Sample.complex([3, 4], seed: 22))
        p.setComplex("bias", Sample.complex([3], seed: 23))
        let z = Sample.complex([1, 4], seed: 24)
        let batch = ComplexTensor(real: expand(z.real, to: [n, 4]), imag: expand(z.imag, to: [n, 4]))
        let y = layer(batch, parameters: p, context: Context(training: true, key: RandomKey(seed: 25)))
        let mu = layer(z, parameters: p)
        let modulus2 = z.real * z.real + z.imag * z.imag
        let half = linear(modulus2, exp(p["log_sigma2"]!)).scalars.map { $0 / 2 }   // each part: s²/2
        assertMoments(y.real, mean: mu.real.scalars, variance: half, "CplxLinearVD real part")
        assertMoments(y.imag, mean: mu.imag.scalars, variance: half, "CplxLinearVD imaginary part")
        // Real and imaginary noise are uncorrelated: |corr| < 4/√N.
        let (mr, _) = moments(y.real), (mi, _) = moments(y.imag)
        let yr = y.real.scalars, yi = y.imag.scalars
        for j in 0..<3 {
            var cov = 0.0
            for r in 0..<n { cov += (yr[r * 3 + j] - mr[j]) * (yi[r * 3 + j] - mi[j]) }
            cov /= Double(n - 1)
            XCTAssertLessThan(Swift.abs(cov / half[j]), 4 / Double(n).squareRoot(), "real/imag correlation of output \(j)")
        }
    }

    func testVarianceIsClampedBeforeTheSquareRoot() {
        // s² = 0 (zero input): the noise std is √1e-8 = 1e-4, as in cplxmodule.
        let layer = LinearVD(2, 1, bias: false)
        let p: ParameterTree = ["weight": .ones([1, 2], dtype: .float64), "log_sigma2": .zeros([1, 2], dtype: .float64)]
        let y = layer(Tensor.zeros([4000, 2], dtype: .float64), parameters: p, context: Context(training: true, key: RandomKey(seed: 1)))
        assertMoments(y, mean: [0], variance: [1e-8], "clamped variance")
    }

    func testL0TrainingGates() {
        let x = Sample.normal([6, 5], seed: 31)
        let w = Sample.normal([4, 5], seed: 32), b = Sample.normal([4], seed: 33)
        func tree(_ layer: LinearL0, logAlpha: Double) -> ParameterTree {
            ["weight": w, "bias": b, "log_alpha": .full(layer.logAlphaShape, logAlpha, dtype: .float64)]
        }
        let dense = linear(x, w, bias: b)
        for group in [LinearL0.Group.none, .input, .output] {
            let layer = LinearL0(5, 4, group: group)
            let train = Context(training: true, key: RandomKey(seed: 34))
            // Wide open gates (log α = −30) give the dense layer, closed gates (+30) only the bias.
            assertClose(layer(x, parameters: tree(layer, logAlpha: -30), context: train), dense, rtol: 1e-12, atol: 1e-12,
                        "\(group): open gates")
            assertClose(layer(x, parameters: tree(layer, logAlpha: 30), context: train), expand(reshape(b, [1, 4]), to: [6, 4]),
                        rtol: 0, atol: 0, "\(group): closed gates")
            // At log α = 0 the gates are random: rows with equal inputs share the gate sample
            // only in group none (one sample per batch, as cplxmodule does).
            let same = expand(slice(x, axis: 0, start: 0, end: 1), to: [6, 5])
            let y = layer(same, parameters: tree(layer, logAlpha: 0), context: train).scalars
            let rowsEqual = (1..<6).allSatisfy { r in (0..<4).allSatisfy { y[r * 4 + $0] == y[$0] } }
            XCTAssertEqual(rowsEqual, group == .none, "\(group): gate sample shared across the batch")
        }
    }

    func testMaskedLayersAndTraversals() throws {
        let model = Sequential<Tensor, Tensor>(LinearMasked(3, 2), ReLU(), LinearMasked(2, 2, bias: false))
        var p = model.initialParameters(key: RandomKey(seed: 41), dtype: .float64)
        XCTAssertEqual(p.keys, ["0.weight", "0.bias", "0.mask", "2.weight", "2.mask"])
        XCTAssertEqual(p["0.mask"]!.scalars, [Double](repeating: 1, count: 6), "masks start dense")
        XCTAssertEqual(namedMasks(model, parameters: p).map(\.path), ["0", "2"])
        XCTAssertTrue(isSparse(model, at: "0", parameters: p))
        // deployMasks: present masks are set, absent ones kept, or removed with reset.
        let m0 = Tensor(shape: [2, 3], scalars: [1, 0, 1, 0, 1, 0], dtype: .float64)
        p = try deployMasks(model, parameters: p, masks: ["0.mask": m0, "9.mask": m0])
        XCTAssertEqual(p["0.mask"]!.scalars, m0.scalars)
        // A float32 mask of a broadcastable shape is stored expanded, in the weight's dtype.
        let column = try deployMasks(model, parameters: p, masks: ["2.mask": Tensor(shape: [1, 2], scalars: [Float(0), 1])])
        XCTAssertEqual(column["2.mask"]!.shape, [2, 2])
        XCTAssertEqual(column["2.mask"]!.dtype, .float64)
        XCTAssertEqual(column["2.mask"]!.scalars, [0, 1, 0, 1])
        XCTAssertNil(p["9.mask"], "masks of paths that are not masked layers are ignored")
        let reset = try deployMasks(model, parameters: p, masks: ["0.mask": m0], reset: true)
        XCTAssertNil(reset["2.mask"])
        XCTAssertFalse(isSparse(model, at: "2", parameters: reset))
        XCTAssertEqual(namedMasks(model, parameters: reset).map { $0.mask == nil }, [false, true])
        // Masked-out weights get exactly zero gradient.
        let x = Sample.normal([4, 3], seed: 42)
        let g = gradient(at: p) { sum(model(x, parameters: $0)) }
        for (i, m) in m0.scalars.enumerated() where m == 0 { XCTAssertEqual(g["0.weight"]!.scalars[i], 0) }
        XCTAssertTrue(penalties(model, parameters: p).isEmpty)
        XCTAssertEqual(totalPenalty(model, parameters: p).item, 0)
    }

    func testComplexBilinearMaskedHonoursConjugate() {
        for conjugate in [true, false] {
            let base = CplxBilinear(3, 2, 2, conjugate: conjugate)
            let masked = CplxBilinearMasked(base)
            let p = masked.initialParameters(key: RandomKey(seed: 51), dtype: .float64)
            let z = (Sample.complex([4, 3], seed: 52), Sample.complex([4, 2], seed: 53))
            let expected = base(z, parameters: p.filter { k, _ in k != "mask" })
            assertClose(masked(z, parameters: p), expected, rtol: 1e-14, atol: 1e-14, "conjugate \(conjugate)")
        }
        let p = CplxBilinearMasked(3, 2, 2).initialParameters(key: RandomKey(seed: 54), dtype: .float64)
        let z = (Sample.complex([4, 3], seed: 55), Sample.complex([4, 2], seed: 56))
        XCTAssertNotEqual(CplxBilinearMasked(3, 2, 2, conjugate: true)(z, parameters: p).real.scalars,
                          CplxBilinearMasked(3, 2, 2, conjugate: false)(z, parameters: p).real.scalars)
    }

    /// §7.4's example, and exact key matching (cplxmodule matches the substring "weight").
    func testBinarizeMasks() {
        let sd: ParameterTree = ["layer.weight": Tensor(shape: [2, 3], scalars: [1, -2, 3, 4, 5, -6], dtype: .float64),
                                 "layer.bias": Tensor([1, 2], dtype: .float64), "weightnet.bias": Tensor([3, 4], dtype: .float64),
                                 "c.weight.real": Tensor([-1, 2], dtype: .float64), "c.weight.imag": Tensor([3, -4], dtype: .float64)]
        let masks: ParameterTree = ["layer.mask": Tensor(shape: [2, 3], scalars: [0.5, 0, 2, 1, -0.0, 3], dtype: .float64),
                                    "mask": Tensor([7, 7], dtype: .float64), "c.mask": Tensor([0, -1], dtype: .float64)]
        let (out, binary) = binarizeMasks(sd, masks: masks)
        XCTAssertEqual(out["layer.weight"]!.scalars, [0.5, 0, 6, 4, 0, -18])
        XCTAssertTrue(out["layer.weight"]!.scalars.allSatisfy { $0 != 0 || $0.sign == .plus }, "−0 becomes +0")
        XCTAssertEqual(binary["layer.mask"]!.scalars, [1, 0, 1, 1, 0, 1])
        XCTAssertEqual(out["weightnet.bias"]!.scalars, [3, 4], "no substring matching")
        XCTAssertEqual(out["c.weight.real"]!.scalars, [0, -2])
        XCTAssertEqual(out["c.weight.imag"]!.scalars, [0, 4])
        XCTAssertTrue(out["c.weight.real"]!.scalars[0].sign == .plus)
        XCTAssertEqual(binary["c.mask"]!.scalars, [0, 1], "negative masks keep")
        XCTAssertEqual(out.keys, sd.keys)
    }

    /// The load matrix of §10 between dense, Bayesian and masked trees.
    func testWeightTransferReports() throws {
        let key = RandomKey(seed: 61)
        let dense = Linear(3, 4).initialParameters(key: key, dtype: .float64)
        let vd = LinearVD(3, 4).initialParameters(key: key, dtype: .float64)
        let ard = LinearARD(3, 4).initialParameters(key: key, dtype: .float64)
        let masked = LinearMasked(3, 4).initialParameters(key: key, dtype: .float64)
        let l0 = LinearL0(3, 4).initialParameters(key: key, dtype: .float64)
        var r = try vd.loading(dense, strict: false)
        XCTAssertEqual(r.report.missing, ["log_sigma2"]); XCTAssertEqual(r.report.unexpected, [])
        XCTAssertEqual(r.tree["log_sigma2"]!.scalars, [Double](repeating: -10, count: 12), "log σ² stays at −10")
        XCTAssertThrowsError(try vd.loading(dense, strict: true))
        r = try dense.loading(vd, strict: false)
        XCTAssertEqual(r.report.unexpected, ["log_sigma2"])
        XCTAssertTrue(try ard.loading(vd, strict: true).report.isClean, "VD ↔ ARD are interchangeable")
        r = try masked.loading(dense, strict: false)
        XCTAssertEqual(r.report.missing, ["mask"])
        r = try masked.loading(vd, strict: false)
        XCTAssertEqual(r.report.missing, ["mask"]); XCTAssertEqual(r.report.unexpected, ["log_sigma2"])
        XCTAssertEqual(try l0.loading(dense, strict: false).report.missing, ["log_alpha"])
        let cdense = CplxLinear(3, 4).initialParameters(key: key, dtype: .float64)
        let cvd = CplxLinearVD(3, 4).initialParameters(key: key, dtype: .float64)
        XCTAssertEqual(cvd.keys, ["log_sigma2", "weight.imag", "weight.real", "bias.imag", "bias.real"])
        XCTAssertEqual(try cvd.loading(cdense, strict: false).report.missing, ["log_sigma2"])
        XCTAssertEqual(try CplxLinearMasked(3, 4).initialParameters(key: key, dtype: .float64).loading(cvd, strict: false).report.unexpected,
                       ["log_sigma2"])
    }

    /// §6's example (`LinearVD(3, 2)` at threshold 3 drops 2 of 6), masked and complex counts,
    /// and the compression report.
    func testSparsityAndCompressionReport() {
        struct Net: Module {
            @Child("vd") var vd = LinearVD(3, 2)
            @Child("masked") var masked = CplxLinearMasked(2, 2)
            @Child("plain") var plain = Linear(2, 1)
        }
        let model = Net()
        var p = model.initialParameters(key: RandomKey(seed: 71), dtype: .float64)
        p["vd.weight"] = .ones([2, 3], dtype: .float64)
        p["vd.log_sigma2"] = Tensor(shape: [2, 3], scalars: [-1, 4, 0, 3.5, 2, 3], dtype: .float64)   // log α = log σ²: 2 above 3
        p["masked.mask"] = Tensor(shape: [2, 2], scalars: [1, 0, -1, 0], dtype: .float64)
        let entries = namedSparsity(model, parameters: p, threshold: 3)
        XCTAssertEqual(entries.map(\.key), ["vd.weight", "vd.bias", "masked.weight.imag", "masked.weight.real",
                                            "masked.bias.imag", "masked.bias.real", "plain.weight", "plain.bias"])
        XCTAssertEqual(entries.map(\.dropped), [2, 0, 2, 2, 0, 0, 0, 0])
        XCTAssertEqual(entries.map(\.total), [6, 2, 4, 4, 2, 2, 2, 1])
        // Soft masks count Σ mask.
        let soft = namedSparsity(model, parameters: p, threshold: 3, hard: false)
        XCTAssertEqual(soft.first { $0.key == "masked.weight.real" }!.dropped, 4)
        XCTAssertEqual(sparsity(model, parameters: p, threshold: 3), 6.0 / 23, accuracy: 1e-15)

        let report = CompressionReport(model, parameters: p, threshold: 3)
        XCTAssertEqual(report.layers.map(\.path), ["vd", "masked", "plain"])
        XCTAssertEqual(report.layers.map(\.weightsKept), [4, 4, 0])
        XCTAssertEqual(report.layers.map(\.weightsTotal), [6, 8, 0])
        XCTAssertEqual(report.layers.map(\.kept), [6, 8, 3])
        XCTAssertEqual(report.layers.map(\.total), [8, 12, 3])
        XCTAssertEqual(report.total, 23)
        XCTAssertEqual(report.compressionRatio, 23.0 / 17, accuracy: 1e-15)
        XCTAssertEqual(report.weightSparsity, 6.0 / 14, accuracy: 1e-15)
        let text = report.description
        XCTAssertTrue(text.contains("vd") && text.contains("4/6") && text.contains("17/23") && text.contains("1.35×"), text)
        // L0 and LASSO layers in one model, one option set.
        struct Mixed: Module {
            @Child("l0") var l0 = LinearL0(2, 2)
            @Child("lasso") var lasso = LinearLASSO(2, 1, bias: false)
        }
        var q = Mixed().initialParameters(key: RandomKey(seed: 72), dtype: .float64)
        q["l0.log_alpha"] = Tensor(shape: [2, 2], scalars: [-5, 0, 10, 2.4], dtype: .float64)   // gates 1, 0.5, 0, 0
        q["lasso.weight"] = Tensor(shape: [1, 2], scalars: [1e-3, -0.5], dtype: .float64)     // log|w| = −6.9, −0.69
        let mixed = namedSparsity(Mixed(), parameters: q, threshold: -2)
        XCTAssertEqual(mixed.map(\.key), ["l0.weight", "l0.bias", "lasso.weight"])
        XCTAssertEqual(mixed.map(\.dropped), [2, 0, 1])
        let mixedSoft = namedSparsity(Mixed(), parameters: q, threshold: -2, hard: false)
        XCTAssertEqual(mixedSoft[0].dropped, 4 - 1.5, accuracy: 1e-12)
        XCTAssertEqual(computeARDMasks(Mixed(), parameters: q, threshold: -2).keys, ["l0.mask", "lasso.mask"])
    }
}
