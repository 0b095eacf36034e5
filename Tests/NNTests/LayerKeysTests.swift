import XCTest
import Foundation
import Autodiff
import Ops
import NN
import TestSupport

// State-dict keys, their order and shapes equal PyTorch's / cplxmodule's (inventory §9, and the
// `keys`/`shapes` metadata of every layers.safetensors case); initialisation distributions.

/// Keys and shapes of a module's freshly initialised parameters.
func keysAndShapes(_ m: any Module, dtype: DType = .float32) -> [(String, [Int])] {
    m.initialParameters(key: RandomKey(seed: 1), dtype: dtype).map { ($0.key, $0.value.shape) }
}

final class LayerKeysTests: XCTestCase {
    func testKeysOrderAndShapesMatchEveryFixtureCase() throws {
        let file = try Fixture.load("layers")
        var all = LayerCases.real + LayerCases.complex
        for (id, lc) in LayerCases.batchNorm {
            all.append(LayerCase(id + ".train", module: lc.module, complex: false, run: lc.run))
        }
        for lc in all {
            let meta = try Fixture.metadata(file, case: lc.id)
            let keys = meta["keys"] as? [String] ?? []
            let shapes = meta["shapes"] as? [String: [Int]] ?? [:]
            let ours = keysAndShapes(lc.module)
            XCTAssertEqual(ours.map(\.0), keys, "\(lc.id): state_dict keys and order")
            for (k, s) in ours { XCTAssertEqual(s, shapes[k], "\(lc.id): shape of \(k)") }
            // and a fixture state dict loads strictly into a fresh tree
            let fresh = lc.module.initialParameters(key: RandomKey(seed: 2), dtype: .float64)
            XCTAssertNoThrow(try fresh.loading(Fixture.params(file, case: lc.id), strict: true), lc.id)
        }
    }

    /// The rows of inventory §9 that have no fixture case.
    func testInventoryKeyTable() {
        func check(_ m: any Module, _ expected: [(String, [Int])], _ name: String, line: UInt = #line) {
            let got = keysAndShapes(m)
            XCTAssertEqual(got.map(\.0), expected.map(\.0), name, line: line)
            XCTAssertEqual(got.map(\.1), expected.map(\.1), name, line: line)
        }
        check(CplxLinear(3, 4), [("weight.imag", [4, 3]), ("weight.real", [4, 3]), ("bias.imag", [4]), ("bias.real", [4])], "CplxLinear(3,4)")
        check(CplxLinear(3, 4, bias: false), [("weight.imag", [4, 3]), ("weight.real", [4, 3])], "CplxLinear(3,4,bias=False)")
        check(CplxBilinear(3, 5, 4), [("weight.imag", [4, 3, 5]), ("weight.real", [4, 3, 5]), ("bias.imag", [4]), ("bias.real", [4])], "CplxBilinear(3,5,4)")
        check(CplxConv1d(2, 6, 3), [("weight.imag", [6, 2, 3]), ("weight.real", [6, 2, 3]), ("bias.imag", [6]), ("bias.real", [6])], "CplxConv1d(2,6,3)")
        check(CplxConv2d(2, 6, [3, 4], groups: 2), [("weight.imag", [6, 1, 3, 4]), ("weight.real", [6, 1, 3, 4]), ("bias.imag", [6]), ("bias.real", [6])], "CplxConv2d(2,6,(3,4),groups=2)")
        check(CplxConv3d(2, 6, 3), [("weight.imag", [6, 2, 3, 3, 3]), ("weight.real", [6, 2, 3, 3, 3]), ("bias.imag", [6]), ("bias.real", [6])], "CplxConv3d(2,6,3)")
        // cplxmodule's CplxConvTranspose1d(2,6,3) has no bias by default; ours (PyTorch's default) does
        check(CplxConvTranspose1d(2, 6, 3, bias: false), [("weight.imag", [2, 6, 3]), ("weight.real", [2, 6, 3])], "CplxConvTranspose1d(2,6,3)")
        check(CplxConvTranspose1d(2, 6, 3), [("weight.imag", [2, 6, 3]), ("weight.real", [2, 6, 3]), ("bias.imag", [6]), ("bias.real", [6])], "CplxConvTranspose1d(2,6,3,bias=True)")
        check(CplxConvTranspose2d(2, 6, 3, groups: 2, bias: true), [("weight.imag", [2, 3, 3, 3]), ("weight.real", [2, 3, 3, 3]), ("bias.imag", [6]), ("bias.real", [6])], "CplxConvTranspose2d(2,6,3,bias=True,groups=2)")
        check(CplxBatchNorm1d(5), [("weight", [2, 2, 5]), ("bias", [2, 5]), ("running_mean", [2, 5]), ("running_var", [2, 2, 5]), ("num_batches_tracked", [])], "CplxBatchNorm1d(5)")
        check(CplxBatchNorm2d(5, affine: false, trackRunningStats: false), [], "CplxBatchNorm2d(5, affine=False, track_running_stats=False)")
        check(BatchNorm2d(5, affine: false), [("running_mean", [5]), ("running_var", [5]), ("num_batches_tracked", [])], "BatchNorm2d(5, affine=False)")
        check(CplxModReLU(), [], "CplxModReLU()")
        check(CplxModReLU(.fixed(0.3)), [], "CplxModReLU(0.3)")
        check(CplxModReLU(.learnable), [("threshold", [1])], "CplxModReLU(None)")
        check(CplxAdaptiveModReLU(), [("threshold", [1])], "CplxAdaptiveModReLU()")
        check(CplxAdaptiveModReLU(3, 4), [("threshold", [3, 4])], "CplxAdaptiveModReLU(3,4)")
        check(CplxPhaseShift(3, 1), [("phi", [3, 1])], "CplxPhaseShift(3,1)")
        for m in [CplxDropout() as any Module, CplxMaxPool2d(2), CplxMaxPool1d(3), CplxMaxPool3d(2), RealToCplx(), ConcatenatedRealToCplx(),
                  CplxToReal(), CplxToConcatenatedReal(), AsTypeCplx(), TensorToCplx(), CplxToTensor(), CplxReal(), CplxImag(),
                  CplxModulus(), CplxAngle(), CplxIdentity(), Dropout(), MaxPool2d(2), AvgPool1d(2)] {
            check(m, [], "\(type(of: m))")
        }
        check(Conv2d(2, 6, 3), [("weight", [6, 2, 3, 3]), ("bias", [6])], "Conv2d(2,6,3)")
        check(ConvTranspose3d(4, 6, 2, groups: 2), [("weight", [4, 3, 2, 2, 2]), ("bias", [6])], "ConvTranspose3d(4,6,2,groups=2)")
        check(Bilinear(3, 5, 4), [("weight", [4, 3, 5]), ("bias", [4])], "Bilinear(3,5,4)")
    }

    func testBatchNormInitialValues() {
        let p = BatchNorm1d(3).initialParameters(key: RandomKey(seed: 0), dtype: .float32)
        XCTAssertEqual(p["weight"]!.scalars, [1, 1, 1]); XCTAssertEqual(p["bias"]!.scalars, [0, 0, 0])
        XCTAssertEqual(p["running_mean"]!.scalars, [0, 0, 0]); XCTAssertEqual(p["running_var"]!.scalars, [1, 1, 1])
        XCTAssertEqual(p["num_batches_tracked"]!.dtype, .float64)
        XCTAssertEqual(p["num_batches_tracked"]!.shape, [])
        let c = CplxBatchNorm1d(2).initialParameters(key: RandomKey(seed: 0), dtype: .float64)
        XCTAssertEqual(c["weight"]!.scalars, [1, 1, 0, 0, 0, 0, 1, 1])   // eye(2) per feature, [2, 2, F]
        XCTAssertEqual(c["running_var"]!.scalars, [1, 1, 0, 0, 0, 0, 1, 1])
        XCTAssertEqual(c["running_mean"]!.scalars, [0, 0, 0, 0]); XCTAssertEqual(c["bias"]!.scalars, [0, 0, 0, 0])
    }

    /// Default complex layer init: weight parts U(±1/√(2·in)); bias parts U(±1/√in), or
    /// U(±1/√out) with cplxmodule's swapped fans (verified there: bias max 0.0354 for CplxLinear(50, 800)).
    func testComplexLayerDefaultInitBounds() {
        func maxAbs(_ t: Tensor) -> Double { t.scalars.map(Swift.abs).max()! }
        let std = CplxLinear(50, 800).initialParameters(key: RandomKey(seed: 3), dtype: .float64)
        let wb = 1 / (2.0 * 50).squareRoot()
        for k in ["weight.real", "weight.imag"] {
            XCTAssertLessThanOrEqual(maxAbs(std[k]!), wb); XCTAssertGreaterThan(maxAbs(std[k]!), 0.99 * wb)
        }
        let bStd = 1 / 50.0.squareRoot(), bCm = 1 / 800.0.squareRoot()
        for k in ["bias.real", "bias.imag"] {
            XCTAssertLessThanOrEqual(maxAbs(std[k]!), bStd); XCTAssertGreaterThan(maxAbs(std[k]!), 0.98 * bStd)
        }
        let cm = CplxLinear(50, 800, initConvention: .cplxmodule).initialParameters(key: RandomKey(seed: 3), dtype: .float64)
        for k in ["bias.real", "bias.imag"] {
            XCTAssertLessThanOrEqual(maxAbs(cm[k]!), bCm); XCTAssertGreaterThan(maxAbs(cm[k]!), 0.98 * bCm)
        }
        // ≥ 3-D weights: both conventions agree (fan_in = C_in/groups·∏k = 2·9)
        let conv = CplxConv2d(2, 300, 3).initialParameters(key: RandomKey(seed: 4), dtype: .float64)
        // (so convolutions take no convention: the layer's own key draws what .cplxmodule would draw)
        let convCm = ComplexInit.layerDefault(weightShape: [300, 2, 3, 3], biasCount: 300, convention: .cplxmodule,
                                              key: RandomKey(seed: 4).fold(""), dtype: .float64)
        XCTAssertTrue(conv["bias.real"]!.isIdentical(to: convCm["bias.real"]!))
        XCTAssertLessThanOrEqual(maxAbs(conv["weight.real"]!), 1 / 36.0.squareRoot())
        XCTAssertLessThanOrEqual(maxAbs(conv["bias.real"]!), 1 / 18.0.squareRoot())
        XCTAssertGreaterThan(maxAbs(conv["bias.real"]!), 0.95 / 18.0.squareRoot())
        // the transposed weight's fan_in is C_out/groups·∏k = 4·2 (PyTorch's definition)
        let tconv = CplxConvTranspose1d(500, 4, 2).initialParameters(key: RandomKey(seed: 5), dtype: .float64)
        XCTAssertLessThanOrEqual(maxAbs(tconv["weight.real"]!), 1 / 16.0.squareRoot())
        XCTAssertGreaterThan(maxAbs(tconv["weight.real"]!), 0.99 / 16.0.squareRoot())
    }

    func testRealLayerDefaultInitBounds() {
        func maxAbs(_ t: Tensor) -> Double { t.scalars.map(Swift.abs).max()! }
        let conv = Conv1d(4, 400, 3, groups: 2).initialParameters(key: RandomKey(seed: 1), dtype: .float64)
        XCTAssertLessThanOrEqual(maxAbs(conv["weight"]!), 1 / 6.0.squareRoot())
        XCTAssertGreaterThan(maxAbs(conv["weight"]!), 0.99 / 6.0.squareRoot())
        XCTAssertLessThanOrEqual(maxAbs(conv["bias"]!), 1 / 6.0.squareRoot())
        let tconv = ConvTranspose2d(300, 2, 2).initialParameters(key: RandomKey(seed: 1), dtype: .float64)
        XCTAssertLessThanOrEqual(maxAbs(tconv["weight"]!), 1 / 8.0.squareRoot())
        XCTAssertGreaterThan(maxAbs(tconv["weight"]!), 0.99 / 8.0.squareRoot())
        XCTAssertEqual(tconv["bias"]!.shape, [2])
        let bil = Bilinear(25, 3, 400).initialParameters(key: RandomKey(seed: 1), dtype: .float64)
        XCTAssertLessThanOrEqual(maxAbs(bil["weight"]!), 0.2); XCTAssertGreaterThan(maxAbs(bil["weight"]!), 0.199)
        XCTAssertLessThanOrEqual(maxAbs(bil["bias"]!), 0.2)
        let learn = CplxModReLU(.learnable).initialParameters(key: RandomKey(seed: 9), dtype: .float64)["threshold"]!.item
        XCTAssertTrue(learn >= 0 && learn < 0.25)
    }
}

/// The complex initialisers of `ComplexInit` (cplxmodule's `nn.init`).
final class ComplexInitTests: XCTestCase {
    /// E|w|² of a complex sample.
    func power(_ z: ComplexTensor) -> Double {
        let r = z.real.scalars, i = z.imag.scalars
        return zip(r, i).reduce(0) { $0 + $1.0 * $1.0 + $1.1 * $1.1 } / Double(r.count)
    }

    func testKaimingAndXavierVariances() {
        let shape = [400, 1000]
        // kaiming normal, a = 0: E|w|² = 2/fan_in (cplxmodule verified 2.0e-3 for fan_in 1000)
        XCTAssertEqual(power(ComplexInit.kaimingNormal(shape, key: RandomKey(seed: 1), dtype: .float64)), 2e-3, accuracy: 2e-5)
        // kaiming uniform, a = √5: parts U(±1/√(2·fan_in)), E|w|² = 1/(3·fan_in)
        let ku = ComplexInit.kaimingUniform(shape, a: 5.0.squareRoot(), key: RandomKey(seed: 2), dtype: .float64)
        XCTAssertEqual(power(ku), 1 / 3000.0, accuracy: 5e-6)
        XCTAssertLessThanOrEqual(ku.real.scalars.map(Swift.abs).max()!, 1 / 2000.0.squareRoot())
        // fan_out mode
        XCTAssertEqual(power(ComplexInit.kaimingNormal(shape, mode: .fanOut, key: RandomKey(seed: 3), dtype: .float64)), 2 / 400.0, accuracy: 1e-4)
        // xavier: E|w|² = 2/(fan_in + fan_out) (cplxmodule verified 1.43e-3 for 400×1000)
        XCTAssertEqual(power(ComplexInit.xavierNormal(shape, key: RandomKey(seed: 4), dtype: .float64)), 2 / 1400.0, accuracy: 2e-5)
        XCTAssertEqual(power(ComplexInit.xavierUniform(shape, key: RandomKey(seed: 5), dtype: .float64)), 2 / 1400.0, accuracy: 2e-5)
    }

    func testTrabelsiStandard() {
        let shape = [400, 1000]
        let z = ComplexInit.trabelsiStandard(shape, kind: .glorot, key: RandomKey(seed: 6), dtype: .float64)
        XCTAssertEqual(power(z), 2 / 1400.0, accuracy: 2e-5)    // 2σ², σ² = 1/(fan_in + fan_out)
        let k = ComplexInit.trabelsiStandard(shape, kind: .kaiming, key: RandomKey(seed: 6), dtype: .float64)
        XCTAssertEqual(power(k), 2 / 1000.0, accuracy: 2e-5)    // σ² = 1/fan_in (= in = 1000)
        let kc = ComplexInit.trabelsiStandard(shape, kind: .kaiming, convention: .cplxmodule, key: RandomKey(seed: 6), dtype: .float64)
        XCTAssertEqual(power(kc), 2 / 400.0, accuracy: 5e-5)    // cplxmodule's swapped 2-D fans: σ² = 1/out
    }

    func testTrabelsiIndependentIsSemiUnitaryWithHalfTheVariance() {
        for shape in [[20, 50], [50, 20], [6, 4, 3, 3]] {
            let z = ComplexInit.trabelsiIndependent(shape, key: RandomKey(seed: 7), dtype: .float64)
            XCTAssertEqual(z.shape, shape)
            let rows = shape.count == 2 ? shape[0] : shape[0] * shape[1]
            let cols = shape.count == 2 ? shape[1] : shape.dropFirst(2).reduce(1, *)
            let re = z.real.scalars, im = z.imag.scalars
            // the fewer of rows/columns are mutually orthogonal with equal norms
            let byRows = rows <= cols
            let count = byRows ? rows : cols, len = byRows ? cols : rows
            func at(_ v: Int, _ j: Int) -> (Double, Double) {
                let idx = byRows ? v * cols + j : j * cols + v
                return (re[idx], im[idx])
            }
            var norm0 = 0.0
            for j in 0..<len { let a = at(0, j); norm0 += a.0 * a.0 + a.1 * a.1 }
            for u in 0..<count {
                for v in u..<count {
                    var sr = 0.0, si = 0.0   // ⟨row_u, row_v⟩ = Σ conj(a)·b
                    for j in 0..<len {
                        let a = at(u, j), b = at(v, j)
                        sr += a.0 * b.0 + a.1 * b.1
                        si += a.0 * b.1 - a.1 * b.0
                    }
                    if u == v { XCTAssertEqual(sr, norm0, accuracy: 1e-9 * norm0, "\(shape): equal norms") }
                    else { XCTAssertEqual(Swift.abs(sr) + Swift.abs(si), 0, accuracy: 1e-9 * norm0, "\(shape): orthogonal \(u), \(v)") }
                }
            }
            // standard deviation σ: E|w − mean|² = σ² = 1/(fan_in + fan_out)
            let (fi, fo) = ComplexInit.fans(shape)
            let n = Double(re.count), mr = re.reduce(0, +) / n, mi = im.reduce(0, +) / n
            let v = zip(re, im).reduce(0) { $0 + ($1.0 - mr) * ($1.0 - mr) + ($1.1 - mi) * ($1.1 - mi) } / n
            XCTAssertEqual(v, 1 / Double(fi + fo), accuracy: 1e-12 / Double(fi + fo) * 1e3)
        }
    }

    func testFansConventions() {
        XCTAssertTrue(ComplexInit.fans([4, 3]) == (3, 4))
        XCTAssertTrue(ComplexInit.fans([4, 3], convention: .cplxmodule) == (4, 3))
        XCTAssertTrue(ComplexInit.fans([6, 2, 3, 3], convention: .cplxmodule) == (18, 54))
        let u = ComplexInit.uniformIndependent([1000], low: -1, high: 2, key: RandomKey(seed: 1), dtype: .float32)
        XCTAssertTrue(u.real.scalars.allSatisfy { $0 >= -1 && $0 < 2 } && u.imag.scalars.allSatisfy { $0 >= -1 && $0 < 2 })
        XCTAssertFalse(u.real.isIdentical(to: u.imag))
    }
}
