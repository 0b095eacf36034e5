import XCTest
import Foundation
import Autodiff
import Ops
import NN
import Relevance
import TestSupport

/// The reference table of the inventory (§8.8: float64, |w| = 1 so log α = log σ², values
/// rounded to 6 decimals), the L0 gate table, Ei values, and the float32 stability of the
/// complex VD gradient.
final class ReferenceValueTests: XCTestCase {
    static let logAlphas: [Double] = [-10, -3, -1, 0, 1, 3, 10]
    /// Half a unit in the 6th decimal, the precision of the table.
    static let tableTolerance = 5e-7 + 1e-12

    /// The elementwise penalty of `layer` at weight modulus `modulus` (real part only) and
    /// `log σ² = log α + 2 log(modulus)`, over the table's log α values.
    func penalties<L: BayesianLayer>(_ layer: L, modulus: Double = 1, complex: Bool, exact: Bool = false) -> [Double] {
        let n = Self.logAlphas.count
        let w = Tensor(shape: [n, 1], scalars: [Double](repeating: modulus, count: n))
        var p: ParameterTree = ["log_sigma2": Tensor(shape: [n, 1], scalars: Self.logAlphas.map { $0 + 2 * Foundation.log(modulus) })]
        if complex {
            p.setComplex("weight", ComplexTensor(real: w, imag: Tensor.zeros([n, 1], dtype: .float64)))
        } else {
            p["weight"] = w
        }
        return (exact ? layer.exactPenalty(parameters: p) : layer.penalty(parameters: p)).scalars
    }

    func assertTable(_ got: [Double], _ expected: [Double], _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        assertClose(Tensor(got), Tensor(expected), rtol: 0, atol: Self.tableTolerance, name, file: file, line: line)
    }

    func testPenaltyTable() {
        assertTable(penalties(LinearVD(1, 7, bias: false), complex: false),
                    [5.635781, 2.11559, 0.913872, 0.431239, 0.17797, 0.02542, 2.3e-05], "real VD")
        assertTable(penalties(LinearARD(1, 7, bias: false), complex: false),
                    [5.000023, 1.524294, 0.656631, 0.346574, 0.156631, 0.024294, 2.3e-05], "real ARD")
        assertTable(penalties(CplxLinearVD(1, 7, bias: false), complex: true),
                    [10.577216, 3.577216, 1.595948, 0.7966, 0.336631, 0.049174, 4.5e-05], "complex VD")
        assertTable(penalties(CplxLinearARD(1, 7, bias: false), complex: true),
                    [10.000045, 3.048587, 1.313262, 0.693147, 0.313262, 0.048587, 4.5e-05], "complex ARD")
        assertTable(penalties(CplxLinearVDApprox(1, 7, bias: false), complex: true),
                    [10.578142, 3.588056, 1.588736, 0.802166, 0.345643, 0.050815, 4.6e-05], "complex VDApprox")
        assertTable(penalties(CplxLinearVDScaleFree(1, 7, bias: false), complex: true),
                    [10.0, 3.0, 1.009366, 0.109692, -0.620292, -1.764021, -5.288585], "complex ScaleFree |w| = 1")
        assertTable(penalties(CplxLinearVDScaleFree(1, 7, bias: false), modulus: 2, complex: true),
                    [9.306853, 2.306853, 0.316219, -0.583455, -1.313439, -2.457168, -5.981732], "complex ScaleFree |w| = 2")
        assertTable(penalties(CplxLinearVDBogus(1, 7, bias: false), complex: true),
                    [10.0, 3.0, 1.0, 0.0, -1.0, -3.0, -10.0], "complex VDBogus (bogus by design)")
    }

    /// VDBogus: the training value is −log α, the exact value is the complex VD KL, and the
    /// gradient of the training value is the exact KL's gradient.
    func testBogusExactValueAndGradient() {
        let bogus = CplxLinearVDBogus(1, 7, bias: false)
        assertTable(penalties(bogus, complex: true, exact: true),
                    [10.577216, 3.577216, 1.595948, 0.7966, 0.336631, 0.049174, 4.5e-05], "VDBogus exact value")
        let n = Self.logAlphas.count
        var p: ParameterTree = ["log_sigma2": Tensor(shape: [n, 1], scalars: Self.logAlphas)]
        p.setComplex("weight", ComplexTensor(real: .ones([n, 1], dtype: .float64), imag: .zeros([n, 1], dtype: .float64)))
        let gBogus = gradient(at: p) { sum(bogus.penalty(parameters: $0)) }
        let gExact = gradient(at: p) { sum(CplxLinearVD(1, 7, bias: false).penalty(parameters: $0)) }
        assertTable(gBogus["log_sigma2"]!.scalars, [-1.0, -1.0, -0.934012, -0.632121, -0.307799, -0.048568, -4.5e-05],
                    "d/d log σ² of the complex VD KL")
        for k in p.keys { assertClose(gBogus[k]!, gExact[k]!, rtol: 1e-14, atol: 1e-15, "Bogus gradient = VD gradient (\(k))") }
        // The traversal reports either value.
        let model = Sequential<ComplexTensor, ComplexTensor>(bogus)
        let tree = p.prefixed("0")
        let training = namedPenalties(model, parameters: tree)[0].penalty.item
        let exact = namedPenalties(model, parameters: tree, exact: true)[0].penalty.item
        XCTAssertEqual(training, -Self.logAlphas.reduce(0, +), accuracy: 1e-9)
        XCTAssertEqual(exact, [10.577216, 3.577216, 1.595948, 0.7966, 0.336631, 0.049174, 4.5e-05].reduce(0, +), accuracy: 4e-6)
    }

    func testL0Table() {
        let layer = LinearL0(3, 2)
        let la = Tensor(shape: [2, 3], scalars: [-5, 0, 2, 2.3, 2.4, 10], dtype: .float64)
        let p: ParameterTree = ["weight": .ones([2, 3], dtype: .float64), "bias": .zeros([2], dtype: .float64), "log_alpha": la]
        assertClose(layer.gate(parameters: p), Tensor(shape: [2, 3], scalars: [1.0, 0.5, 0.043044, 0.009348, 0, 0], dtype: .float64),
                    rtol: 0, atol: Self.tableTolerance, "eval gate")
        assertClose(layer.relevance(parameters: p, options: RelevanceOptions(threshold: 0, hard: true)),
                    Tensor(shape: [2, 3], scalars: [1, 1, 1, 1, 0, 0], dtype: .float64), rtol: 0, atol: 0, "hard relevance")
        assertClose(layer.penalty(parameters: p),
                    Tensor(shape: [2, 3], scalars: [0.998618, 0.829574, 0.397142, 0.327968, 0.306318, 0.000221], dtype: .float64),
                    rtol: 0, atol: Self.tableTolerance, "penalty")
        assertClose(layer.gate(parameters: p, logit: Tensor(scalar: 0, dtype: .float64)),
                    Tensor(shape: [2, 3], scalars: [1, 0.5, 0, 0, 0, 0], dtype: .float64), rtol: 0, atol: Self.tableTolerance, "gate(0)")
        // At initialisation every gate is 1.2·σ(2.197) − 0.1 = 0.97998 and the penalty σ(1.5826 + 2.197) = 0.97768.
        let fresh = layer.initialParameters(key: RandomKey(seed: 3), dtype: .float64)
        XCTAssertEqual(layer.gate(parameters: fresh).scalars[0], 0.97998, accuracy: 5e-6)
        XCTAssertEqual(layer.penalty(parameters: fresh).scalars[0], 0.97768, accuracy: 5e-6)
        XCTAssertEqual(-LinearL0.beta * Foundation.log(-LinearL0.gamma / LinearL0.zeta), 1.5826108800469247, accuracy: 1e-15)
    }

    func testExpiValues() {
        // The inventory prints 7 decimals, truncated (Ei(−0.1) = −1.82292395842 is listed as −1.8229239).
        assertClose(expi(Tensor([-5, -1, -0.1], dtype: .float64)), Tensor([-0.0011483, -0.2193839, -1.8229239], dtype: .float64), rtol: 0, atol: 1e-7, "Ei")
    }

    /// cplxmodule's float32 gradient of the complex VD KL is NaN where log α < −88.7
    /// (exp(−log α) overflows); ours is finite and equals the float64 value (−1) there.
    func testComplexVDGradientStaysFiniteInFloat32() throws {
        let file = try Fixture.load("relevance")
        let c = try RelevanceCase(file, "CplxLinearVD.logalpha_below_-88.7.f32")
        let layer = CplxLinearVD(c.ctor.cplxLinear)
        let torch32 = try c.tensor("grad_penalty/log_sigma2").scalars
        let torch64 = try Fixture.tensor(file, "CplxLinearVD.logalpha_below_-88.7/grad_penalty/log_sigma2").scalars
        let logAlpha = try c.tensor("log_alpha").scalars
        let g = gradient(at: c.params) { sum(layer.penalty(parameters: $0)) }
        let ours = g["log_sigma2"]!.scalars
        XCTAssertEqual(g["log_sigma2"]!.dtype, .float32)
        var nanCount = 0
        for i in 0..<ours.count {
            XCTAssertTrue(ours[i].isFinite, "entry \(i) (log α = \(logAlpha[i])) is not finite")
            XCTAssertEqual(ours[i], torch64[i], accuracy: 1e-5 * Swift.abs(torch64[i]) + 1e-7, "entry \(i)")
            if torch32[i].isNaN {
                nanCount += 1
                XCTAssertLessThan(logAlpha[i], -88.7)
                XCTAssertEqual(ours[i], -1)
            }
        }
        XCTAssertEqual(nanCount, 5, "cplxmodule's float32 gradient is NaN at the entries with log α < −88.7")
        for k in g.keys { XCTAssertTrue(g[k]!.scalars.allSatisfy { $0.isFinite }, "grad of \(k) is finite") }
        // The value is finite too, and the extremes behave: KL(−200) = γ + 200 − Ei(−e²⁰⁰) = γ + 200, KL(200) ≈ e^{−200}.
        let extreme = Tensor(shape: [2], scalars: [Float(-200), 200])
        let (v, d) = valueWithGradient(at: extreme) { sum(complexVDDivergence($0)) }
        XCTAssertEqual(complexVDDivergence(extreme).scalars[0], 200.5772156649, accuracy: 1e-4)
        XCTAssertTrue(v.item.isFinite)
        XCTAssertEqual(d.scalars, [-1, 0])
    }
}
