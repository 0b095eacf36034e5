import XCTest
import Foundation
import Autodiff
import Kernels
import NN
import Ops
@testable import Relevance
import TestSupport

/// The fused tape entries of the Bayesian layers (Kernels relevance.c) and the fused optimizer
/// kernels (optim.c): gradients checked in float64, the fused value and gradient equal to the
/// op-by-op composition they replace, and the AVX2 path equal to the portable one.
final class FusedKernelTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        super.tearDown()
    }

    /// Runs `body` once on the portable path and once on the `fast` tier (default: the detected one),
    /// restoring the detected tier afterwards.
    func onBothPaths<R>(fast: wt_isa = wt_detected_isa(), _ body: () throws -> R) rethrows -> (portable: R, fast: R) {
        let detected = wt_detected_isa()
        defer { _ = wt_set_isa(detected) }
        _ = wt_set_isa(WT_ISA_PORTABLE)
        let p = try body()
        _ = wt_set_isa(fast)
        return (p, try body())
    }

    /// The vector tiers the host has (AVX2, AVX-512), each to be compared with the portable path.
    var vectorTiers: [wt_isa] { (0...wt_detected_isa().rawValue).dropFirst().map(wt_isa.init(rawValue:)) }

    /// log σ² in [−14, 4] and a weight with magnitudes from 1e-4 to 2 and both signs (no zeros:
    /// log|w| has a kink there, checked separately), `n` elements.
    func realOperands(_ n: Int, seed: UInt64, dtype: DType = .float64) -> (ls: Tensor, w: Tensor) {
        let ls = Sample.uniform([n], -14, 4, seed: seed, dtype: dtype)
        let mag = Sample.uniform([n], -4, 0.3, seed: seed + 1)
        let sign = Sample.uniform([n], -1, 1, seed: seed + 2)
        let w = zip(mag.scalars, sign.scalars).map { Foundation.pow(10, $0) * ($1 < 0 ? -1 : 1) }
        return (ls, Tensor(shape: [n], scalars: w, dtype: dtype))
    }

    func complexOperands(_ n: Int, seed: UInt64, dtype: DType = .float64) -> (ls: Tensor, w: ComplexTensor) {
        let (ls, re) = realOperands(n, seed: seed, dtype: dtype)
        let (_, im) = realOperands(n, seed: seed + 10, dtype: dtype)
        return (ls, ComplexTensor(real: re, imag: im))
    }

    /// Value and the gradient of Σ c·f for a fixed random cotangent c.
    func valueAndGradients(_ inputs: [Tensor], _ f: ([Tensor]) -> Tensor) -> [Tensor] {
        let (ys, pullback) = valueWithPullback(at: inputs) { [f($0)] }
        let c = Sample.normal(ys[0].shape, seed: 99, dtype: ys[0].dtype)
        return [ys[0]] + pullback([c])
    }

    // MARK: - gradcheck (float64)

    func testGradcheckRealPriors() throws {
        let (ls, w) = realOperands(40, seed: 1)
        try gradcheck({ [RealVD.penalty(logSigma2: $0[0], weight: $0[1])] }, at: [ls, w])
        try gradcheck({ [RealARD.penalty(logSigma2: $0[0], weight: $0[1])] }, at: [ls, w])
    }

    func testGradcheckComplexPriors() throws {
        let (ls, z) = complexOperands(40, seed: 2)
        func check<P: KLPrior>(_: P.Type) throws where P.Weight == ComplexTensor {
            try gradcheck({ [P.penalty(logSigma2: $0[0], weight: ComplexTensor(real: $0[1], imag: $0[2]))] },
                          at: [ls, z.real, z.imag])
        }
        try check(ComplexVD.self)
        try check(ComplexARD.self)
        // VDBogus (not gradcheckable by design): the gradient is ComplexVD's, the value −log α
        let inputs = [ls, z.real, z.imag]
        let bogus = valueAndGradients(inputs) { ComplexVDBogus.penalty(logSigma2: $0[0], weight: ComplexTensor(real: $0[1], imag: $0[2])) }
        let exact = valueAndGradients(inputs) { ComplexVD.penalty(logSigma2: $0[0], weight: ComplexTensor(real: $0[1], imag: $0[2])) }
        for k in 1..<4 { XCTAssertEqual(bogus[k].scalars, exact[k].scalars, "bogus gradient \(k)") }
        let a = ComplexVD.logAlpha(ls, z.logModulus)
        assertClose(bogus[0], -a, rtol: 1e-12, atol: 1e-12, "bogus value")
    }

    func testGradcheckComplexVDDivergenceOnBothBranches() throws {
        // e^{−a} < ½ (series) for a > ln 2, Ei otherwise; stay 1e-3 away from the switch
        var a = Sample.uniform([60], -6, 8, seed: 3).scalars
        a = a.map { Swift.abs($0 - Foundation.log(2)) < 1e-3 ? $0 + 0.01 : $0 }
        try gradcheck({ [complexVDDivergence($0[0])] }, at: [Tensor(a)])
        let exact = valueAndGradients([Tensor(a)]) { complexVDDivergence($0[0]) }
        let bogus = valueAndGradients([Tensor(a)]) { complexVDDivergence($0[0], bogusValue: true) }
        XCTAssertEqual(bogus[1].scalars, exact[1].scalars, "bogus gradient")
        XCTAssertEqual(bogus[0].scalars, a.map { -$0 }, "bogus value")
    }

    func testGradcheckReparameterization() throws {
        let mu = Sample.normal([7, 9], seed: 4)
        let s2 = Sample.uniform([7, 9], 1e-4, 3, seed: 5)
        let eps = Sample.normal([7, 9], seed: 6)
        try gradcheck({ [fusedReparameterization(mean: $0[0], variance: $0[1], eps: eps)] }, at: [mu, s2])
        let muIm = Sample.normal([7, 9], seed: 7), epsIm = Sample.normal([7, 9], seed: 8)
        try gradcheck({ xs in
            let y = fusedReparameterization(mean: ComplexTensor(real: xs[0], imag: xs[1]), variance: xs[2],
                                            eps: ComplexTensor(real: eps, imag: epsIm))
            return [y.real, y.imag]
        }, at: [mu, muIm, s2])
    }

    // MARK: - fused = composed

    func testFusedPriorsEqualTheComposedOps() {
        for dtype in [DType.float64, .float32] {
            let rtol = dtype == .float64 ? 1e-11 : 1e-5, atol = dtype == .float64 ? 1e-13 : 1e-7
            let (ls, w) = realOperands(1000, seed: 11, dtype: dtype)
            func compareReal<P: KLPrior>(_: P.Type) where P.Weight == Tensor {
                let fused = valueAndGradients([ls, w]) { P.penalty(logSigma2: $0[0], weight: $0[1]) }
                let composed = valueAndGradients([ls, w]) { P.penalty(logSigma2: $0[0], logModulus: $0[1].logModulus) }
                for k in 0..<3 { assertClose(fused[k], composed[k], rtol: rtol, atol: atol, "\(P.self) \(dtype) output \(k)") }
            }
            compareReal(RealVD.self)
            compareReal(RealARD.self)
            let (cls, z) = complexOperands(1000, seed: 12, dtype: dtype)
            func compareComplex<P: KLPrior>(_: P.Type) where P.Weight == ComplexTensor {
                let fused = valueAndGradients([cls, z.real, z.imag]) {
                    P.penalty(logSigma2: $0[0], weight: ComplexTensor(real: $0[1], imag: $0[2]))
                }
                let composed = valueAndGradients([cls, z.real, z.imag]) {
                    P.penalty(logSigma2: $0[0], logModulus: ComplexTensor(real: $0[1], imag: $0[2]).logModulus)
                }
                for k in 0..<4 {
                    // VDBogus' float value −log α = 2L − log σ² cancels: the composed ops round L
                    // and the difference to float (error ~2⁻²⁴·|log σ²|), the fused kernel does not
                    let a = P.self == ComplexVDBogus.self && dtype == .float32 && k == 0 ? 4e-6 : atol
                    assertClose(fused[k], composed[k], rtol: rtol, atol: a, "\(P.self) \(dtype) output \(k)")
                }
            }
            compareComplex(ComplexVD.self)
            compareComplex(ComplexARD.self)
            compareComplex(ComplexVDBogus.self)
        }
    }

    func testZeroWeightHasZeroWeightGradientAndFiniteLogSigmaGradient() {
        for dtype in [DType.float64, .float32] {
            let ls = Tensor(shape: [3], scalars: [-10, 0, 3], dtype: dtype)
            let w = Tensor.zeros([3], dtype: dtype)
            for f in [{ RealVD.penalty(logSigma2: $0, weight: $1) }, { RealARD.penalty(logSigma2: $0, weight: $1) }] as [(Tensor, Tensor) -> Tensor] {
                let g = valueAndGradients([ls, w]) { f($0[0], $0[1]) }
                XCTAssertTrue(g[0].scalars.allSatisfy(\.isFinite), "\(dtype) value \(g[0].scalars)")
                XCTAssertTrue(g[1].scalars.allSatisfy(\.isFinite), "\(dtype) d/d log σ² \(g[1].scalars)")
                XCTAssertEqual(g[2].scalars, [0, 0, 0], "\(dtype) d/dw at w = 0")
            }
            let z = ComplexTensor(real: w, imag: w)
            let g = valueAndGradients([ls, w, w]) { ComplexVD.penalty(logSigma2: $0[0], weight: ComplexTensor(real: $0[1], imag: $0[2])) }
            XCTAssertTrue(g[0].scalars.allSatisfy(\.isFinite) && g[1].scalars.allSatisfy(\.isFinite), "\(dtype) complex at 0")
            XCTAssertEqual(g[2].scalars, [0, 0, 0])
            XCTAssertEqual(g[3].scalars, [0, 0, 0])
            _ = z
        }
    }

    func testComplexVDDivergenceAgainstTheScalarReference() {
        // a from −100 to 100 with points on both sides of the branch switch at ln 2
        var a = stride(from: -100.0, through: 100.0, by: 0.37).map { $0 }
        a += [Foundation.log(2) - 1e-12, Foundation.log(2), Foundation.log(2) + 1e-12, 700, 800, -700, -800, 0]
        let x = Tensor(a)
        let (ys, pullback) = valueWithPullback(at: [x]) { [complexVDDivergence($0[0])] }
        let d = pullback([Tensor.ones([a.count], dtype: .float64)])[0]
        for (i, ai) in a.enumerated() {
            let v = ys[0].scalars[i], ref = exactComplexVD(ai)
            XCTAssertEqual(v, ref, accuracy: 1e-13 * Swift.max(1, Swift.abs(ref)), "KL(\(ai))")
            let dref = Foundation.expm1(-Foundation.exp(-ai))
            XCTAssertEqual(d.scalars[i], dref, accuracy: 1e-14 * Swift.max(1e-300, Swift.abs(dref)) + 1e-300, "KL'(\(ai))")
        }
    }

    func testReparameterizationEqualsTheComposedOpsBitForBit() {
        for dtype in [DType.float64, .float32] {
            // variances straddling the clamp bound 1e-8, the bound itself and a NaN-free range
            let s2 = Tensor(shape: [2, 5], scalars: [1e-12, 5e-9, 1e-8, 2e-8, 1e-4, 0.5, 2, 0, 1e-7, 3], dtype: dtype)
            let mu = Sample.normal([2, 5], seed: 21, dtype: dtype), eps = Sample.normal([2, 5], seed: 22, dtype: dtype)
            let fused = valueAndGradients([mu, s2]) { fusedReparameterization(mean: $0[0], variance: $0[1], eps: eps) }
            let composed = valueAndGradients([mu, s2]) { $0[0] + sqrt(clamp($0[1], min: 1e-8)) * eps }
            for k in 0..<3 { XCTAssertEqual(fused[k].scalars, composed[k].scalars, "\(dtype) output \(k)") }
            // below the bound the gradient is 0, at and above it passes (PyTorch's clamp)
            let gs = fused[2].scalars
            XCTAssertEqual(gs[0], 0)
            XCTAssertEqual(gs[1], 0)
            XCTAssertNotEqual(gs[2], 0)
            XCTAssertEqual(gs[7], 0)
            // complex: shared variance
            let muIm = Sample.normal([2, 5], seed: 23, dtype: dtype), epsIm = Sample.normal([2, 5], seed: 24, dtype: dtype)
            let cf = valueAndGradientsComplex(mu, muIm, s2) {
                fusedReparameterization(mean: $0, variance: $1, eps: ComplexTensor(real: eps, imag: epsIm))
            }
            let cc = valueAndGradientsComplex(mu, muIm, s2) { z, v in
                let std = sqrt(clamp(v, min: 1e-8))
                return ComplexTensor(real: z.real + std * eps, imag: z.imag + std * epsIm)
            }
            for k in 0..<5 {
                assertClose(cf[k], cc[k], rtol: dtype == .float64 ? 1e-15 : 1e-6, atol: 0, "complex \(dtype) output \(k)")
            }
            // each part of the complex pass has the bits of the real pass on that part
            XCTAssertEqual(cf[0].scalars.map(\.bitPattern), fusedReparameterization(mean: mu, variance: s2, eps: eps).scalars.map(\.bitPattern))
            XCTAssertEqual(cf[1].scalars.map(\.bitPattern), fusedReparameterization(mean: muIm, variance: s2, eps: epsIm).scalars.map(\.bitPattern))
        }
    }

    /// Real and imaginary value, then the gradients of Σ c₁·Re y + c₂·Im y to Re μ, Im μ and s².
    func valueAndGradientsComplex(_ re: Tensor, _ im: Tensor, _ s2: Tensor,
                                  _ f: (ComplexTensor, Tensor) -> ComplexTensor) -> [Tensor] {
        let (ys, pullback) = valueWithPullback(at: [re, im, s2]) { xs in
            let y = f(ComplexTensor(real: xs[0], imag: xs[1]), xs[2])
            return [y.real, y.imag]
        }
        let c1 = Sample.normal(ys[0].shape, seed: 31, dtype: ys[0].dtype), c2 = Sample.normal(ys[0].shape, seed: 32, dtype: ys[0].dtype)
        return ys + pullback([c1, c2])
    }

    // MARK: - every vector tier = portable

    /// Each vector tier the host has (AVX2, and AVX-512 where present), not only the highest, against
    /// the portable path: the double chains within 1e-13 relative (the vector paths fuse multiply-adds
    /// the portable one rounds twice), the float values within one float ulp of each other.
    func testFastAndPortablePriorKernelsAgree() {
        for (tier, dtype) in vectorTiers.flatMap({ t in [DType.float64, .float32].map { (t, $0) } }) {
            // float: both paths round the same double result once, but the double results may
            // differ in the last bits (FMA), which can move the float rounding by one ulp
            let rtol = dtype == .float64 ? 1e-13 : 2.4e-7
            let (ls, w) = realOperands(1037, seed: 41, dtype: dtype)
            let (cls, z) = complexOperands(1037, seed: 42, dtype: dtype)
            let a = Sample.uniform([1037], -90, 60, seed: 43, dtype: dtype)
            let runs = onBothPaths(fast: tier) { () -> [[Tensor]] in
                [valueAndGradients([ls, w]) { RealVD.penalty(logSigma2: $0[0], weight: $0[1]) },
                 valueAndGradients([ls, w]) { RealARD.penalty(logSigma2: $0[0], weight: $0[1]) },
                 valueAndGradients([cls, z.real, z.imag]) { ComplexVD.penalty(logSigma2: $0[0], weight: ComplexTensor(real: $0[1], imag: $0[2])) },
                 valueAndGradients([cls, z.real, z.imag]) { ComplexARD.penalty(logSigma2: $0[0], weight: ComplexTensor(real: $0[1], imag: $0[2])) },
                 valueAndGradients([a]) { complexVDDivergence($0[0]) }]
            }
            for (i, (p, f)) in zip(runs.portable, runs.fast).enumerated() {
                for (k, (tp, tf)) in zip(p, f).enumerated() {
                    assertClose(tf, tp, rtol: rtol, atol: 1e-300, "tier \(tier.rawValue) \(dtype) op \(i) output \(k)")
                }
            }
        }
    }

    /// The reparameterisation (value and both gradients) gives the portable bits on every vector tier.
    func testFastAndPortableReparameterizationAreIdentical() {
        for (tier, dtype) in vectorTiers.flatMap({ t in [DType.float64, .float32].map { (t, $0) } }) {
            let mu = Sample.normal([37], seed: 51, dtype: dtype), eps = Sample.normal([37], seed: 52, dtype: dtype)
            let s2 = Sample.uniform([37], -1e-7, 1, seed: 53, dtype: dtype)
            let runs = onBothPaths(fast: tier) { valueAndGradients([mu, s2]) { fusedReparameterization(mean: $0[0], variance: $0[1], eps: eps) } }
            for k in 0..<3 { XCTAssertEqual(runs.portable[k].scalars, runs.fast[k].scalars, "tier \(tier.rawValue) \(dtype) output \(k)") }
            // the complex pass (both parts, one square root per element) and its pullback
            let muIm = Sample.normal([37], seed: 54, dtype: dtype), epsIm = Sample.normal([37], seed: 55, dtype: dtype)
            let complexRuns = onBothPaths(fast: tier) {
                valueAndGradientsComplex(mu, muIm, s2) { fusedReparameterization(mean: $0, variance: $1, eps: ComplexTensor(real: eps, imag: epsIm)) }
            }
            for k in 0..<5 {
                XCTAssertEqual(complexRuns.portable[k].scalars.map(\.bitPattern), complexRuns.fast[k].scalars.map(\.bitPattern),
                               "tier \(tier.rawValue) \(dtype) complex output \(k)")
            }
        }
    }

    /// Adam, AdamW and SGD give the portable bits on every vector tier.
    func testFastAndPortableOptimizerKernelsAreIdentical() {
        // 37 elements: vector body and scalar tail; three steps so momentum/moments are used
        for (tier, dtype) in vectorTiers.flatMap({ t in [DType.float64, .float32].map { (t, $0) } }) {
            let params: ParameterTree = ["w": Sample.normal([37], seed: 61, dtype: dtype), "b": Sample.normal([5], seed: 62, dtype: dtype)]
            let grads: ParameterTree = ["w": Sample.normal([37], seed: 63, dtype: dtype), "b": Sample.normal([5], seed: 64, dtype: dtype)]
            let optimizers: [any Optimizer] = [
                Adam(learningRate: 0.1, weightDecay: 0.01), Adam(beta1: 0.7), AdamW(learningRate: 0.1, weightDecay: 0.1),
                SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01),
                SGD(learningRate: 0.1, momentum: 0.9, dampening: 0.3), SGD(learningRate: 0.1, weightDecay: 0.01),
            ]
            for opt in optimizers {
                let runs = onBothPaths(fast: tier) { () -> ParameterTree in
                    var state = opt.initialState(for: params)
                    var p = params
                    for _ in 0..<3 { p = opt.update(p, gradients: grads, state: &state) }
                    return p.merging(state.buffers)
                }
                XCTAssertEqual(runs.portable.keys, runs.fast.keys)
                for k in runs.portable.keys {
                    XCTAssertEqual(runs.portable[k]!.scalars, runs.fast[k]!.scalars, "tier \(tier.rawValue) \(type(of: opt)) \(dtype) \(k)")
                }
            }
        }
    }

    // MARK: - the float-native real prior kernel

    /// Operands for the float real-prior kernel: log σ² in [−30, 30], |w| from 1e-14 to 1e4 with
    /// both signs, plus exact zeros, log σ² down to −85, and the values around n = 0 and n = 20 where
    /// the branches switch.
    func floatKernelOperands() -> (ls: [Float], w: [Float]) {
        var ls: [Float] = [], w: [Float] = []
        var rng = SplitMix64(seed: 77)
        func uniform() -> Double { Double(rng.next() >> 11) / 9_007_199_254_740_992 }
        for i in 0..<20_003 {
            ls.append(Float(-30 + 60 * uniform()))
            let mag = Foundation.pow(10, -14 + 18 * uniform())
            w.append(Float(i % 97 == 0 ? 0 : (i % 2 == 0 ? mag : -mag)))
        }
        // Very small log σ², where 1/α = t²/σ² passes 2¹⁰⁰ in some lanes of a vector and not in others
        // (ARD then takes its general chain for those lanes).
        for i in 0..<801 {
            ls.append(Float(-85 + 30 * uniform()))
            let mag = Foundation.pow(10, -3 + 7 * uniform())
            w.append(Float(i % 2 == 0 ? mag : -mag))
        }
        for n in [-1e-3, 0, 1e-3, 19.999, 20, 20.001] as [Double] {   // n = 2 log|w| − log σ² with w = 1
            ls.append(Float(-n)); w.append(1)
        }
        return (ls, w)
    }

    /// Runs the C kernel directly: value, ∂/∂log σ², ∂/∂w.
    func runFloatKernel(_ prior: wt_kl_prior, _ ls: [Float], _ w: [Float]) -> [[Float]] {
        var v = [Float](repeating: 0, count: ls.count), dl = v, dw = v
        wt_kl_real_f32(prior, ls, w, &v, &dl, &dw, ls.count)
        return [v, dl, dw]
    }

    /// The float kernel against the double kernel on the same float inputs: the float chain rounds
    /// n = 2 log t − log σ² to float, so the bound is a few ulps plus the error that rounding of n
    /// (|Δn| ≤ 2⁻²³·(2|log t| + |log σ²|)) propagates through the slope of the output.
    func testFloatRealPriorKernelTracksTheDoubleKernel() {
        let (ls, w) = floatKernelOperands()
        for prior in [WT_KL_REAL_VD, WT_KL_REAL_ARD] {
            let f = runFloatKernel(prior, ls, w)
            let lsD = ls.map(Double.init), wD = w.map(Double.init)
            var v = [Double](repeating: 0, count: ls.count), dl = v, dw = v
            wt_kl_real_f64(prior, lsD, wD, &v, &dl, &dw, ls.count)
            var worst = 0.0
            for i in 0..<ls.count {
                let t = Double(Float(Swift.abs(w[i]) + 1e-12))
                let dn = 2.0 / 8_388_608 * (2 * Swift.abs(Foundation.log(t)) + Swift.abs(lsD[i]))
                // slopes: value' = −∂/∂log σ² (|·| ≤ 1.6); (∂/∂log σ²)' ≤ ¼·… ≤ 1; ∂/∂w scales with 1/t
                let checks: [(Double, Double, Double)] = [
                    (Double(f[0][i]), v[i], 1.6 * dn),
                    (Double(f[1][i]), dl[i], 1.0 * dn),
                    (Double(f[2][i]), dw[i], 2.0 * dn / t)]
                for (k, (got, want, slack)) in checks.enumerated() {
                    let tol = 4 * Double(Float(Swift.abs(want)).ulp) + slack
                    let err = Swift.abs(got - want)
                    if k == 0 { worst = Swift.max(worst, err / Double(Float(Swift.abs(want)).ulp)) }
                    XCTAssertLessThanOrEqual(err, tol, "prior \(prior.rawValue) output \(k) at log σ² = \(ls[i]), w = \(w[i])")
                    if err > tol { return }
                }
            }
            XCTAssertGreaterThan(worst, 0, "the float kernel is not the double one rounded")
        }
    }

    /// The vector loops (AVX2, AVX-512) and the portable code perform the same float operations:
    /// identical bits, including the tail after the last full vector.
    func testFloatRealPriorKernelIsIdenticalOnBothPaths() {
        let (ls, w) = floatKernelOperands()
        for tier in vectorTiers {
            for prior in [WT_KL_REAL_VD, WT_KL_REAL_ARD] {
                let runs = onBothPaths(fast: tier) { runFloatKernel(prior, ls, w) }
                for k in 0..<3 {
                    XCTAssertEqual(runs.portable[k].map(\.bitPattern), runs.fast[k].map(\.bitPattern),
                                   "tier \(tier.rawValue) prior \(prior.rawValue) output \(k)")
                }
            }
        }
    }

    /// Non-finite inputs: NaN propagates to every output, an infinite weight gives an infinite value
    /// and a zero weight gradient, an infinite log σ² a zero or infinite value but no NaN.
    func testFloatRealPriorKernelOnNonFiniteInputs() {
        let ls: [Float] = [.nan, 0, 0, .infinity, -.infinity, 0, 0, 0, 0]
        let w: [Float] = [0.5, .nan, .infinity, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
        for path in [true, false] {
            _ = wt_set_isa(path ? wt_detected_isa() : WT_ISA_PORTABLE)
            defer { _ = wt_set_isa(wt_detected_isa()) }
            for prior in [WT_KL_REAL_VD, WT_KL_REAL_ARD] {
                let out = runFloatKernel(prior, ls, w)
                for k in 0..<3 { XCTAssertTrue(out[k][0].isNaN && out[k][1].isNaN, "NaN in, output \(k)") }
                XCTAssertEqual(out[0][2], .infinity); XCTAssertEqual(out[2][2], 0)
                XCTAssertEqual(out[0][3], 0)                                               // log σ² = +∞: α = ∞
                XCTAssertEqual(out[0][4], .infinity)                                       // log σ² = −∞: α = 0
                for k in 0..<3 { XCTAssertFalse(out[k][3].isNaN || out[k][4].isNaN, "output \(k)") }
            }
        }
    }

    // MARK: - penalty sums

    func testGradcheckPenaltySums() throws {
        let (ls, w) = realOperands(30, seed: 61)
        let (cls, z) = complexOperands(30, seed: 62)
        for scale in [1.0, 0.37] {
            try gradcheck({ [RealVD.penaltySum(logSigma2: $0[0], weight: $0[1], scale: scale)] }, at: [ls, w])
            try gradcheck({ [RealARD.penaltySum(logSigma2: $0[0], weight: $0[1], scale: scale)] }, at: [ls, w])
            try gradcheck({ [ComplexVD.penaltySum(logSigma2: $0[0], weight: ComplexTensor(real: $0[1], imag: $0[2]), scale: scale)] },
                          at: [cls, z.real, z.imag])
            try gradcheck({ [ComplexARD.penaltySum(logSigma2: $0[0], weight: ComplexTensor(real: $0[1], imag: $0[2]), scale: scale)] },
                          at: [cls, z.real, z.imag])
        }
    }

    /// `penaltySum(scale: c)` = `c · sum(penalty)` in value and gradient, under a cotangent of 1
    /// (the derivatives handed out as they are) and of 2.5 (multiplied), float32 and float64.
    func testPenaltySumEqualsTheScaledSumOfThePenalty() {
        for dtype in [DType.float64, .float32] {
            let rtol = dtype == .float64 ? 1e-12 : 2e-6
            let (ls, w) = realOperands(1001, seed: 63, dtype: dtype)
            let (cls, z) = complexOperands(1001, seed: 64, dtype: dtype)
            for (scale, outer) in [(1.0, 1.0), (1.7e-4, 1.0), (0.3, 2.5)] {
                func compare(_ name: String, _ inputs: [Tensor], _ fused: ([Tensor]) -> Tensor, _ plain: ([Tensor]) -> Tensor) {
                    let a = valueWithGradient(at: inputs) { outer * fused($0) }
                    let b = valueWithGradient(at: inputs) { outer * (scale * sum(plain($0))) }
                    assertClose(a.value, b.value, rtol: rtol, atol: 0, "\(name) \(dtype) value, scale \(scale)")
                    for k in inputs.indices {
                        assertClose(a.gradient[k], b.gradient[k], rtol: rtol, atol: 1e-30, "\(name) \(dtype) gradient \(k), scale \(scale)")
                    }
                }
                compare("RealVD", [ls, w], { RealVD.penaltySum(logSigma2: $0[0], weight: $0[1], scale: scale) },
                        { RealVD.penalty(logSigma2: $0[0], weight: $0[1]) })
                compare("RealARD", [ls, w], { RealARD.penaltySum(logSigma2: $0[0], weight: $0[1], scale: scale) },
                        { RealARD.penalty(logSigma2: $0[0], weight: $0[1]) })
                let cz = { (t: [Tensor]) in ComplexTensor(real: t[1], imag: t[2]) }
                compare("ComplexVD", [cls, z.real, z.imag], { ComplexVD.penaltySum(logSigma2: $0[0], weight: cz($0), scale: scale) },
                        { ComplexVD.penalty(logSigma2: $0[0], weight: cz($0)) })
                compare("ComplexARD", [cls, z.real, z.imag], { ComplexARD.penaltySum(logSigma2: $0[0], weight: cz($0), scale: scale) },
                        { ComplexARD.penalty(logSigma2: $0[0], weight: cz($0)) })
            }
        }
    }

    /// The float real sum kernel adds the values in the same order on both paths: identical bits.
    func testFloatRealPriorSumIsIdenticalOnBothPaths() {
        let (ls, w) = floatKernelOperands()
        for (tier, prior) in vectorTiers.flatMap({ t in [WT_KL_REAL_VD, WT_KL_REAL_ARD].map { (t, $0) } }) {
            let runs = onBothPaths(fast: tier) { () -> (Double, [Float], [Float]) in
                var dl = [Float](repeating: 0, count: ls.count), dw = dl
                let total = wt_kl_real_sum_f32(prior, ls, w, 0.01, &dl, &dw, ls.count)
                return (total, dl, dw)
            }
            XCTAssertEqual(runs.portable.0.bitPattern, runs.fast.0.bitPattern, "tier \(tier.rawValue) prior \(prior.rawValue) sum")
            XCTAssertEqual(runs.portable.1.map(\.bitPattern), runs.fast.1.map(\.bitPattern))
            XCTAssertEqual(runs.portable.2.map(\.bitPattern), runs.fast.2.map(\.bitPattern))
        }
    }

    /// The training loss `CE + totalPenalty(scale: c)` and `CE + c · totalPenalty()` agree.
    func testTotalPenaltyScaleMatchesMultiplyingTheSum() throws {
        let model = Sequential<Tensor, Tensor>(LinearVD(6, 5), ReLU(), LinearARD(5, 3))
        let params = model.initialParameters(key: RandomKey(seed: 65))
        let c = 1.0 / 300
        let a = valueWithGradient(at: params) { totalPenalty(model, parameters: $0, scale: c) }
        let b = valueWithGradient(at: params) { c * totalPenalty(model, parameters: $0) }
        assertClose(a.value, b.value, rtol: 1e-6, atol: 0, "value")
        XCTAssertEqual(Set(a.gradient.keys), Set(b.gradient.keys))
        for (k, g) in a.gradient { assertClose(g, b.gradient[k]!, rtol: 2e-6, atol: 1e-30, k) }
    }

    // MARK: - the float-native complex prior kernel

    /// log σ² in [−30, 30], |re|, |im| from 1e-14 to 1e4 (zeros included), plus the points where
    /// 1/α crosses ½ and 2 (the kernel's branch switches) on either side, and moduli from 9e-41 to
    /// 2.9e38 around the switch between the float and the double modulus.
    func floatComplexOperands() -> (ls: [Float], re: [Float], im: [Float]) {
        var ls: [Float] = [], re: [Float] = [], im: [Float] = []
        var rng = SplitMix64(seed: 78)
        func uniform() -> Double { Double(rng.next() >> 11) / 9_007_199_254_740_992 }
        for i in 0..<20_003 {
            ls.append(Float(-30 + 60 * uniform()))
            let r = Foundation.pow(10, -14 + 18 * uniform()), q = Foundation.pow(10, -14 + 18 * uniform())
            re.append(Float(i % 89 == 0 ? 0 : (i % 2 == 0 ? r : -r)))
            im.append(Float(i % 97 == 0 ? 0 : (i % 3 == 0 ? q : -q)))
        }
        for x in [0.4999, 0.5, 0.5001, 1.9999, 2, 2.0001, 1e-30, 80, 90, 1e30] as [Double] {  // |w| = 1: 1/α = 1/σ²
            ls.append(Float(-Foundation.log(x))); re.append(0.6); im.append(0.8)
        }
        // Moduli around the kernel's switch from the float to the double evaluation of |w| (below
        // 2⁻⁵⁰, subnormal parts, and re² + im² past the float range), mixed with ordinary ones in
        // every vector block.
        let parts: [Float] = [0x1p-133, 3e-30, 1e-20, 6e-16, 6.3e-16, 7e-16, 1e-15, 0.3, 1e19, 1.3e19, 1e25, 2e38]
        for j in 0..<96 {
            ls.append(Float(-12 + Double(j % 7) * 4)); re.append(parts[j % parts.count] * (j % 2 == 0 ? 1 : -1))
            im.append(j % 3 == 0 ? 0 : parts[(j / 3) % parts.count] * (j % 5 == 0 ? -1 : 1))
        }
        return (ls, re, im)
    }

    func runComplexFloatKernel(_ prior: wt_kl_prior, _ o: (ls: [Float], re: [Float], im: [Float])) -> [[Float]] {
        var v = [Float](repeating: 0, count: o.ls.count), dl = v, dr = v, di = v
        wt_kl_cplx_f32(prior, o.ls, o.re, o.im, &v, &dl, &dr, &di, o.ls.count)
        return [v, dl, dr, di]
    }

    /// Against the double kernel on the same float inputs, with the slack of rounding
    /// log α = log σ² − 2 log t to float (|Δa| ≤ 2⁻²³·(2|log t| + |log σ²|)) times the slope
    /// (|∂KL/∂a| ≤ 1, |∂²KL/∂a²| ≤ 1/e).
    func testFloatComplexPriorKernelTracksTheDoubleKernel() {
        let o = floatComplexOperands()
        for prior in [WT_KL_CPLX_VD, WT_KL_CPLX_ARD, WT_KL_CPLX_VD_BOGUS] {
            let f = runComplexFloatKernel(prior, o)
            let n = o.ls.count
            var v = [Double](repeating: 0, count: n), dl = v, dr = v, di = v
            wt_kl_cplx_f64(prior, o.ls.map(Double.init), o.re.map(Double.init), o.im.map(Double.init), &v, &dl, &dr, &di, n)
            for i in 0..<n {
                let m = Double(Float((Double(o.re[i]) * Double(o.re[i]) + Double(o.im[i]) * Double(o.im[i])).squareRoot()))
                let t = Double(Float(m) + 1e-12)
                let da = 2.0 / 8_388_608 * (2 * Swift.abs(Foundation.log(t)) + Swift.abs(Double(o.ls[i])))
                let checks: [(Double, Double, Double)] = [
                    (Double(f[0][i]), v[i], da), (Double(f[1][i]), dl[i], da),
                    (Double(f[2][i]), dr[i], 2 * da / t), (Double(f[3][i]), di[i], 2 * da / t)]
                for (k, (got, want, slack)) in checks.enumerated() {
                    let tol = 6 * Double(Float(Swift.abs(want)).ulp) + slack
                    XCTAssertLessThanOrEqual(Swift.abs(got - want), tol,
                                             "prior \(prior.rawValue) output \(k) at log σ² = \(o.ls[i]), w = \(o.re[i]) + \(o.im[i])i")
                    if Swift.abs(got - want) > tol { return }
                }
            }
        }
    }

    /// Every vector tier (AVX2, AVX-512: one body) gives the portable chain's bits.
    func testFloatComplexPriorKernelIsIdenticalOnBothPaths() {
        let o = floatComplexOperands()
        for (tier, prior) in vectorTiers.flatMap({ t in [WT_KL_CPLX_VD, WT_KL_CPLX_ARD, WT_KL_CPLX_VD_BOGUS].map { (t, $0) } }) {
            let runs = onBothPaths(fast: tier) { runComplexFloatKernel(prior, o) }
            for k in 0..<4 {
                XCTAssertEqual(runs.portable[k].map(\.bitPattern), runs.fast[k].map(\.bitPattern),
                               "tier \(tier.rawValue) prior \(prior.rawValue) output \(k)")
            }
            let sums = onBothPaths(fast: tier) { () -> Double in
                var dl = [Float](repeating: 0, count: o.ls.count), dr = dl, di = dl
                return wt_kl_cplx_sum_f32(prior, o.ls, o.re, o.im, 0.5, &dl, &dr, &di, o.ls.count)
            }
            XCTAssertEqual(sums.portable.bitPattern, sums.fast.bitPattern, "tier \(tier.rawValue) prior \(prior.rawValue) sum")
        }
    }

    /// NaN in gives NaN out; an infinite weight gives α = 0 (value +∞ for VD and ARD) and no NaN in
    /// the derivatives to log σ²; a zero weight gives zero weight derivatives.
    func testFloatComplexPriorKernelOnNonFiniteInputs() {
        let o: (ls: [Float], re: [Float], im: [Float]) = ([.nan, 0, 0, 0, 3], [0.5, .nan, .infinity, 0, 0], [0.5, 0.5, 0, 0, 0])
        for path in [true, false] {
            _ = wt_set_isa(path ? wt_detected_isa() : WT_ISA_PORTABLE)
            defer { _ = wt_set_isa(wt_detected_isa()) }
            for prior in [WT_KL_CPLX_VD, WT_KL_CPLX_ARD] {
                let out = runComplexFloatKernel(prior, o)
                for k in 0..<4 { XCTAssertTrue(out[k][0].isNaN && out[k][1].isNaN, "NaN in, output \(k)") }
                XCTAssertEqual(out[0][2], .infinity, "prior \(prior.rawValue)")
                XCTAssertFalse(out[1][2].isNaN)
                for z in 3...4 {
                    XCTAssertTrue(out[0][z].isFinite && out[1][z].isFinite, "zero weight, prior \(prior.rawValue)")
                    XCTAssertEqual(out[2][z], 0); XCTAssertEqual(out[3][z], 0)
                }
            }
        }
    }
}
