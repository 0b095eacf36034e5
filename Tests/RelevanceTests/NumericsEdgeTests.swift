import XCTest
import Foundation
import Autodiff
import Ops
import NN
import Relevance

/// Edge values of the numerically delicate functions: each must stay finite (or take its exact
/// limiting value) far into the tails, in float32 and float64, for values and gradients.
final class NumericsEdgeTests: XCTestCase {
    /// The value and gradient (of the sum) of `f` at `xs` in `dtype`.
    func valueAndGradient(_ xs: [Double], _ dtype: DType, _ f: (Tensor) -> Tensor) -> (value: [Double], gradient: [Double]) {
        let x = Tensor(shape: [xs.count], scalars: xs, dtype: dtype)
        var y: Tensor = x
        let g = gradient(at: x) { x in
            let out = f(x)
            y = out.detached()
            return sum(out)
        }
        return (y.scalars, g.scalars)
    }

    func assertAllFinite(_ v: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(v.allSatisfy(\.isFinite), "\(what): \(v)", file: file, line: line)
    }

    /// The largest finite magnitude of each dtype, and values a step below it.
    let huge: [DType: [Double]] = [.float32: [3.0e38, Double(Float.greatestFiniteMagnitude)], .float64: [1.0e308, .greatestFiniteMagnitude]]

    // MARK: softplus

    func testSoftplusTails() {
        for dtype in [DType.float32, .float64] {
            let xs = [1e4, -1e4, 88.0, -88.0, 710.0, -710.0] + huge[dtype]! + huge[dtype]!.map { -$0 }
            // the default threshold (20) returns x itself above it; threshold ∞ forces the log1p form
            for threshold in [20.0, .infinity] {
                let (v, g) = valueAndGradient(xs, dtype) { softplus($0, threshold: threshold) }
                assertAllFinite(v, "softplus \(dtype) threshold \(threshold)")
                assertAllFinite(g, "softplus' \(dtype) threshold \(threshold)")
                for (j, x) in xs.enumerated() {
                    let rounded = dtype == .float32 ? Double(Float(x)) : x
                    if x > 0 {
                        XCTAssertEqual(v[j], rounded, "softplus(\(x)) \(dtype)")   // log1p(e^{−x}) is below half an ulp of x
                        XCTAssertEqual(g[j], 1, "softplus'(\(x)) \(dtype)")
                    } else {
                        XCTAssertGreaterThanOrEqual(v[j], 0, "softplus(\(x)) \(dtype)")
                        XCTAssertLessThan(v[j], 1e-37, "softplus(\(x)) \(dtype)")   // e^{x} underflows
                        XCTAssertEqual(g[j], 0, accuracy: 1e-37, "softplus'(\(x)) \(dtype)")
                    }
                }
            }
            // β scaling: softplus(x, β) = ln(1 + e^{βx})/β stays finite with βx far out
            let (v, g) = valueAndGradient([1e4, -1e4], dtype) { softplus($0, beta: 10, threshold: .infinity) }
            XCTAssertEqual(v[0], 1e4, accuracy: 1e-3)
            XCTAssertEqual(v[1], 0, accuracy: 1e-30)
            XCTAssertEqual(g, [1, 0])
            // ln 2 at zero, σ(0) = ½
            let (v0, g0) = valueAndGradient([0], dtype) { softplus($0) }
            XCTAssertEqual(v0[0], Foundation.log(2.0), accuracy: dtype == .float32 ? 1e-7 : 1e-15)
            XCTAssertEqual(g0[0], 0.5)
        }
    }

    // MARK: log-sigmoid and sigmoid

    func testLogSigmoidTails() {
        for dtype in [DType.float32, .float64] {
            let xs = [1e4, -1e4, 100.0, -100.0, 745.0, -745.0] + huge[dtype]! + huge[dtype]!.map { -$0 }
            let (v, g) = valueAndGradient(xs, dtype) { logSigmoid($0) }
            assertAllFinite(v, "logSigmoid \(dtype)")
            assertAllFinite(g, "logSigmoid' \(dtype)")
            for (j, x) in xs.enumerated() {
                let rounded = dtype == .float32 ? Double(Float(x)) : x
                if x > 0 {
                    XCTAssertLessThanOrEqual(v[j], 0, "logSigmoid(\(x))")
                    XCTAssertGreaterThan(v[j], -4e-44, "logSigmoid(\(x))")   // −e^{−x}: zero or a subnormal
                    XCTAssertEqual(g[j], 0, accuracy: 4e-44, "logSigmoid'(\(x))")
                } else {
                    XCTAssertEqual(v[j], rounded, "logSigmoid(\(x)) = x − log1p(e^{x}) = x")
                    XCTAssertEqual(g[j], 1, "logSigmoid'(\(x))")
                }
            }
            // infinities take their limits instead of NaN
            let inf = Tensor(shape: [2], scalars: [Double.infinity, -.infinity], dtype: dtype)
            XCTAssertEqual(logSigmoid(inf).scalars, [0, -.infinity])
            XCTAssertEqual(sigmoid(inf).scalars, [1, 0])
            let (s, sg) = valueAndGradient([1e4, -1e4], dtype) { sigmoid($0) }
            XCTAssertEqual(s, [1, 0])
            XCTAssertEqual(sg, [0, 0])
        }
    }

    // MARK: log α at w = 0

    func testLogAlphaAtZeroWeightIsFiniteAndLarge() {
        for dtype in [DType.float32, .float64] {
            // real: LinearVD and LinearARD
            let layer = LinearVD(3, 2)
            var p = layer.initialParameters(key: RandomKey(seed: 1), dtype: dtype)
            p["weight"] = Tensor.zeros([2, 3], dtype: dtype)
            let la = layer.logAlpha(parameters: p).scalars
            assertAllFinite(la, "log α real \(dtype)")
            // −10 − 2·ln(1e-12) = −10 + 55.262…
            for v in la { XCTAssertEqual(v, -10 - 2 * Foundation.log(1e-12), accuracy: dtype == .float32 ? 1e-4 : 1e-12) }
            let g = gradient(at: p) { sum(layer.penalty(parameters: $0)) }
            for (k, t) in g { assertAllFinite(t.scalars, "∂penalty/∂\(k) real VD at w = 0, \(dtype)") }
            let ard = LinearARD(3, 2)
            let ga = gradient(at: p) { sum(ard.penalty(parameters: $0)) }
            for (k, t) in ga { assertAllFinite(t.scalars, "∂penalty/∂\(k) real ARD at w = 0, \(dtype)") }

            // complex: |0 + 0i| has no derivative; the pullback must give 0, not 0/0
            let cl = CplxLinearVD(3, 2)
            var cp = cl.initialParameters(key: RandomKey(seed: 2), dtype: dtype)
            cp["weight.real"] = Tensor.zeros([2, 3], dtype: dtype)
            cp["weight.imag"] = Tensor.zeros([2, 3], dtype: dtype)
            let cla = cl.logAlpha(parameters: cp).scalars
            assertAllFinite(cla, "log α complex \(dtype)")
            XCTAssertTrue(cla.allSatisfy { $0 > 45 }, "\(cla)")
            let cg = gradient(at: cp) { sum(cl.penalty(parameters: $0)) }
            for (k, t) in cg { assertAllFinite(t.scalars, "∂penalty/∂\(k) complex VD at w = 0, \(dtype)") }
            // relevance: a zero weight is irrelevant (log α far above the usual threshold 3)
            XCTAssertTrue(cl.relevance(parameters: cp, options: RelevanceOptions(threshold: 3)).scalars.allSatisfy { $0 == 0 })
        }
    }

    // MARK: Ei at both ends

    /// −E₁(x) for large x from the asymptotic series e^{−x}/x · Σ (−1)^k k!/x^k.
    func eiNegativeAsymptotic(_ x: Double) -> Double {
        var term = 1.0, sum = 0.0
        for k in 0..<8 { sum += term; term *= -Double(k + 1) / x }
        return -Foundation.exp(-x) / x * sum
    }

    func testExpiAtBothEnds() {
        let gamma = 0.57721566490153286061
        // float64
        let xs: [Double] = [-.infinity, -1e4, -745, -700, -50, -1, -1e-10, -1e-300, 0, 1e-300, 1e-10, 1, 50, 700, 710, 1e4, .infinity]
        let (v, _) = valueAndGradient(xs, .float64) { expi($0) }
        let at = { (x: Double) in v[xs.firstIndex(of: x)!] }
        XCTAssertEqual(at(-.infinity), 0)
        XCTAssertEqual(at(-.infinity).sign, .minus)
        XCTAssertEqual(at(-1e4), 0)                                   // −e^{−10⁴}/10⁴ underflows to −0
        XCTAssertLessThanOrEqual(at(-745), 0)
        XCTAssertEqual(at(-700), eiNegativeAsymptotic(700), accuracy: 1e-12 * Swift.abs(eiNegativeAsymptotic(700)))
        XCTAssertEqual(at(-50), eiNegativeAsymptotic(50), accuracy: 1e-9 * Swift.abs(eiNegativeAsymptotic(50)))
        XCTAssertEqual(at(-1), -0.21938393439552029, accuracy: 1e-15)
        XCTAssertEqual(at(1), 1.8951178163559368, accuracy: 1e-14)
        // near zero: γ + ln|x| + x
        for x in [-1e-10, 1e-10, -1e-300, 1e-300] {
            XCTAssertEqual(at(x), gamma + Foundation.log(Swift.abs(x)) + x, accuracy: 1e-13, "Ei(\(x))")
        }
        XCTAssertEqual(at(0), -.infinity)
        // large x: e^x/x · (1 + 1/x + 2/x² + …), finite up to ≈ 709.78 + ln x, then +∞
        let s700 = 1 + 1 / 700.0 + 2 / (700.0 * 700) + 6 / (700.0 * 700 * 700)
        XCTAssertEqual(at(700) / (Foundation.exp(700) / 700 * s700), 1, accuracy: 1e-9)
        XCTAssertTrue(at(710).isFinite && at(710) > 1e305, "Ei(710) = \(at(710))")
        XCTAssertEqual(at(1e4), .infinity)
        XCTAssertEqual(at(.infinity), .infinity)
        XCTAssertFalse(v.contains { $0.isNaN }, "\(v)")

        // float32: same ends, limits at ±∞, overflow only past the float32 range
        let fx: [Double] = [-.infinity, -1e4, -80, -1, -1e-30, 0, 1e-30, 1, 80, 1e4, .infinity]
        let (fv, fg) = valueAndGradient(fx, .float32) { expi($0) }
        XCTAssertFalse(fv.contains { $0.isNaN }, "\(fv)")
        let fat = { (x: Double) in fv[fx.firstIndex(of: x)!] }
        XCTAssertEqual(fat(-.infinity), 0)
        XCTAssertEqual(fat(-1e4), 0)
        XCTAssertEqual(fat(-80) / eiNegativeAsymptotic(80), 1, accuracy: 1e-5)
        let series80: Double = 1 + 1 / 80.0 + 2 / 6400.0 + 6 / 512_000.0 + 24 / 40_960_000.0
        let ei80: Double = Foundation.exp(80.0) / 80 * series80
        XCTAssertEqual(fat(80) / ei80, 1, accuracy: 1e-5)
        XCTAssertEqual(fat(-1e-30), gamma + Foundation.log(1e-30), accuracy: 1e-5)
        XCTAssertEqual(fat(0), -.infinity)
        XCTAssertEqual(fat(1e4), .infinity)
        // the pullback e^x/x: finite and tiny at the far negative end, no NaN from 0·∞ anywhere but x = 0
        for (j, x) in fx.enumerated() where x.isFinite && x < 0 && x != 0 {
            XCTAssertTrue(fg[j].isFinite, "Ei'(\(x)) = \(fg[j])")
        }
    }

    // MARK: complex VD at very negative log α

    func testComplexVDGradientAtVeryNegativeLogAlphaFloat32() {
        let logAlphas: [Double] = [-1e4, -100, -88.8, -50, -10, 0, 10, 40, 100]
        let (v, g) = valueAndGradient(logAlphas, .float32) { complexVDDivergence($0) }
        assertAllFinite(v, "complex VD KL float32")
        assertAllFinite(g, "complex VD dKL/dlogα float32")
        // dKL/da = expm1(−e^{−a}): −1 for a ≪ 0, −e^{−a} → 0⁻ for a ≫ 0
        for (j, a) in logAlphas.enumerated() {
            XCTAssertEqual(g[j], Foundation.expm1(-Foundation.exp(-a)), accuracy: 1e-6 * Swift.max(1, Swift.abs(g[j])), "a = \(a)")
            XCTAssertLessThanOrEqual(g[j], 0)
        }
        // value γ − a − Ei(−e^{−a}): γ − a when e^{−a} is huge (Ei(−∞) = 0)
        XCTAssertEqual(v[1], 0.57721566490153286061 + 100, accuracy: 1e-4)
        XCTAssertEqual(v[0], 0.57721566490153286061 + 1e4, accuracy: 1e-2)
        XCTAssertTrue(v[8] > 0 && v[8] < 1e-40, "KL(a = 100) = \(v[8])")   // ≈ e^{−100}
        XCTAssertTrue(v[7] > 0 && Swift.abs(v[7] / Foundation.exp(-40) - 1) < 1e-5, "KL(a = 40) = \(v[7])")

        // through a whole complex VD layer in float32 with log σ² = −100 (log α ≈ −100)
        let layer = CplxLinearVD(4, 3)
        var p = layer.initialParameters(key: RandomKey(seed: 3), dtype: .float32)
        p["log_sigma2"] = Tensor.full([3, 4], -100, dtype: .float32)
        let la = layer.logAlpha(parameters: p).scalars
        XCTAssertTrue(la.allSatisfy { $0 < -90 }, "log α = −100 − 2·log|w| with |w| < 1: \(la)")
        for prior in ["VD", "VDBogus", "ARD", "VDApprox"] {
            let grads: ParameterTree
            switch prior {
            case "VD": grads = gradient(at: p) { sum(layer.penalty(parameters: $0)) }
            case "VDBogus": grads = gradient(at: p) { sum(CplxLinearVDBogus(4, 3).penalty(parameters: $0)) }
            case "ARD": grads = gradient(at: p) { sum(Variational<CplxLinear, ComplexARD>(CplxLinear(4, 3)).penalty(parameters: $0)) }
            default: grads = gradient(at: p) { sum(CplxLinearVDApprox(4, 3).penalty(parameters: $0)) }
            }
            for (k, t) in grads { assertAllFinite(t.scalars, "complex \(prior) ∂/∂\(k) at log α = −100, float32") }
        }
        // and the layer's training forward pass with that variance stays finite
        let x = ComplexTensor(real: Tensor(shape: [2, 4], scalars: [Float](repeating: 0.5, count: 8)),
                              imag: Tensor(shape: [2, 4], scalars: [Float](repeating: -0.25, count: 8)))
        let y = layer(x, parameters: p, context: Context(training: true, key: RandomKey(seed: 4)))
        assertAllFinite(y.real.scalars + y.imag.scalars, "complex VD forward at log σ² = −100")
    }
}
