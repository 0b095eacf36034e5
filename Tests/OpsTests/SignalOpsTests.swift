import Autodiff
import Kernels
import Ops
import TestSupport
import XCTest

/// The ops of the complex signal network in their fast forms: the fused phase powers equal the
/// chain of complex products they replace, the stacked complex convolution equals its four real
/// convolutions, and these ops and the parallel complex elementwise loops give the same bits at
/// 1, 2 and 3 threads on every kernel tier.
final class SignalOpsTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    /// `|z|·u^k`, `u = z/(|z| + ε)`, by abs, a division and products: the definition.
    func phasePowersByProducts(_ z: ComplexTensor, orders: [Int]) -> ComplexTensor {
        let r = abs(z)
        let u = z / (r + 1e-6)
        let parts = orders.map { k -> ComplexTensor in
            if k == 0 { return ComplexTensor(real: r) }
            var p = u
            for _ in 1..<k { p = p * u }
            return p * r
        }
        return concat(parts, axis: 1)
    }

    func testPhasePowersEqualTheProductChain() {
        // moduli from 0 (one exact zero) through ε-sized to about 3, in float64
        var re = Sample.normal([2, 3, 7], seed: 31, dtype: .float64).scalars
        var im = Sample.normal([2, 3, 7], seed: 32, dtype: .float64).scalars
        (re[0], im[0]) = (0, 0)
        (re[5], im[5]) = (3e-6, -2e-6)
        (re[9], im[9]) = (-4e-7, 0)
        let z = ComplexTensor(real: Tensor(shape: [2, 3, 7], scalars: re, dtype: .float64),
                              imag: Tensor(shape: [2, 3, 7], scalars: im, dtype: .float64))
        let orders = [2, 1, 0, 4, 8, 2]
        let w = ComplexTensor(real: Sample.normal([2, 18, 7], seed: 33, dtype: .float64),
                              imag: Sample.normal([2, 18, 7], seed: 34, dtype: .float64))
        func loss(_ y: ComplexTensor) -> Tensor { sum(y.real * w.real) + sum(y.imag * w.imag) }
        let fused = valueWithGradient(at: z) { loss(phasePowers($0, orders: orders)) }
        let chain = valueWithGradient(at: z) { loss(phasePowersByProducts($0, orders: orders)) }
        let (a, b) = (phasePowers(z, orders: orders), phasePowersByProducts(z, orders: orders))
        XCTAssertEqual(a.shape, [2, 18, 7])
        for (x, y) in zip(a.real.scalars + a.imag.scalars, b.real.scalars + b.imag.scalars) {
            XCTAssertEqual(x, y, accuracy: 1e-13 * Swift.max(1, Swift.abs(y)))
        }
        XCTAssertEqual(fused.value.item, chain.value.item, accuracy: 1e-12)
        for (x, y) in zip(fused.gradient.real.scalars + fused.gradient.imag.scalars,
                          chain.gradient.real.scalars + chain.gradient.imag.scalars) {
            XCTAssertEqual(x, y, accuracy: 1e-9 * Swift.max(1, Swift.abs(y)))
        }
        // the exact zero has gradient 0, as |z| has there
        XCTAssertEqual(fused.gradient.real.scalars[0], 0)
        XCTAssertEqual(fused.gradient.imag.scalars[0], 0)
    }

    /// A complex convolution is `(Wr⋆xr − Wi⋆xi) + i(Wi⋆xr + Wr⋆xi) + b`: compare values and every
    /// gradient with that composition of real convolutions (float64, groups, stride, padding, bias).
    func testStackedComplexConvolutionEqualsFourRealConvolutions() {
        let xs = [Sample.normal([3, 6, 11], seed: 41, dtype: .float64), Sample.normal([3, 6, 11], seed: 42, dtype: .float64),
                  Sample.normal([6, 2, 3], seed: 43, dtype: .float64), Sample.normal([6, 2, 3], seed: 44, dtype: .float64),
                  Sample.normal([6], seed: 45, dtype: .float64), Sample.normal([6], seed: 46, dtype: .float64)]
        let gy = Sample.normal([3, 6, 6], seed: 47, dtype: .float64), gyi = Sample.normal([3, 6, 6], seed: 48, dtype: .float64)
        func loss(_ y: ComplexTensor) -> Tensor { sum(y.real * gy) + sum(y.imag * gyi) }
        let complex = valueWithGradient(at: xs) { t in
            loss(conv1d(ComplexTensor(real: t[0], imag: t[1]), ComplexTensor(real: t[2], imag: t[3]),
                        bias: ComplexTensor(real: t[4], imag: t[5]), stride: 2, padding: 1, groups: 3))
        }
        let real = valueWithGradient(at: xs) { t in
            func c(_ x: Tensor, _ w: Tensor) -> Tensor { conv1d(x, w, stride: 2, padding: 1, groups: 3) }
            let yr = c(t[0], t[2]) - c(t[1], t[3]) + reshape(t[4], [1, 6, 1])
            let yi = c(t[0], t[3]) + c(t[1], t[2]) + reshape(t[5], [1, 6, 1])
            return loss(ComplexTensor(real: yr, imag: yi))
        }
        XCTAssertEqual(complex.value.item, real.value.item, accuracy: 1e-10)
        for (k, (a, b)) in zip(complex.gradient, real.gradient).enumerated() {
            XCTAssertEqual(a.shape, b.shape)
            for (x, y) in zip(a.scalars, b.scalars) { XCTAssertEqual(x, y, accuracy: 1e-10, "gradient \(k)") }
        }
    }

    /// modReLU with a per-channel threshold (the `signal` kernels, `wt_modrelu_rows_*`): value and
    /// both gradients equal the element formula evaluated here in Double bit for bit — the
    /// threshold's gradient summed in the order of the tape's un-broadcast — on every tier and at
    /// 1, 2 and 3 threads, in float32 and float64.
    func testModReLURowsEqualTheFormulaOnEveryTierAndThreadCount() {
        for dtype in [DType.float32, .float64] {
            // moduli around the thresholds, some below the 1e-5 clamp, and some exact zeros
            var re = Sample.normal([5, 7, 300], seed: 61, dtype: dtype).scalars.map { $0 * 0.3 }
            var im = Sample.normal([5, 7, 300], seed: 62, dtype: dtype).scalars.map { $0 * 0.3 }
            for k in stride(from: 0, to: re.count, by: 97) { (re[k], im[k]) = (0, 0) }
            for k in stride(from: 5, to: re.count, by: 89) { (re[k], im[k]) = (3e-6, -4e-6) }
            let z = ComplexTensor(real: Tensor(shape: [5, 7, 300], scalars: re, dtype: dtype),
                                  imag: Tensor(shape: [5, 7, 300], scalars: im, dtype: dtype))
            let tau = Tensor(shape: [7, 1], scalars: [0.1, -0.2, 0.25, 0, 0.05, 0.4, -0.05], dtype: dtype)
            let g = ComplexTensor(real: Sample.normal([5, 7, 300], seed: 63, dtype: dtype), imag: Sample.normal([5, 7, 300], seed: 64, dtype: dtype))
            // the formula, element by element, rounded once to the dtype
            func round(_ v: Double) -> Double { dtype == .float32 ? Double(Float(v)) : v }
            let (xr, xi, gr, gi, t) = (z.real.scalars, z.imag.scalars, g.real.scalars, g.imag.scalars, tau.scalars)
            var (yr, yi, ar, ai) = ([Double](), [Double](), [Double](), [Double]())
            var gt = [Double](repeating: 0, count: 7), gtFloat = [Float](repeating: 0, count: 7)
            for i in 0..<xr.count {
                let (x, y, p, q, tc) = (xr[i], xi[i], gr[i], gi[i], t[(i / 300) % 7])
                let r = (x * x + y * y).squareRoot(), m = Swift.max(r, 1e-5), s = 1 - tc / m
                guard s > 0 else { yr.append(0); yi.append(0); ar.append(0); ai.append(0); continue }
                yr.append(round(x * s)); yi.append(round(y * s))
                let c = x * p + y * q, k = r >= 1e-5 ? tc * c / (r * r * r) : 0
                ar.append(round(s * p + k * x)); ai.append(round(s * q + k * y))
                gt[(i / 300) % 7] += -c / m                      // float64: summed in Double
                gtFloat[(i / 300) % 7] += Float(-c / m)          // float32: rounded, then summed in Float
            }
            if dtype == .float32 { gt = gtFloat.map(Double.init) }
            let expected = [yr, yi, ar, ai, gt].map { $0.map(\.bitPattern) }
            for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
                _ = wt_set_isa(isa)
                for threads: Int32 in [1, 2, 3] {
                    _ = wt_set_num_threads(threads)
                    var y = ComplexTensor(real: z.real, imag: z.imag)
                    let grads = valueWithGradient(at: [z.real, z.imag, tau]) { v in
                        y = modReLU(ComplexTensor(real: v[0], imag: v[1]), threshold: v[2])
                        return sum(y.real * g.real) + sum(y.imag * g.imag)
                    }.gradient
                    let got = [y.real.scalars, y.imag.scalars, grads[0].scalars, grads[1].scalars, grads[2].scalars].map { $0.map(\.bitPattern) }
                    XCTAssertTrue(got == expected, "\(dtype), \(isa), \(threads) threads: modReLU rows differ from the formula")
                    // the threshold a constant: the kernels' pullback without its cotangent (and division)
                    let zOnly = valueWithGradient(at: [z.real, z.imag]) { v in
                        let w = modReLU(ComplexTensor(real: v[0], imag: v[1]), threshold: tau)
                        return sum(w.real * g.real) + sum(w.imag * g.imag)
                    }.gradient
                    XCTAssertTrue(zOnly.map { $0.scalars.map(\.bitPattern) } == Array(expected[2...3]),
                                  "\(dtype), \(isa), \(threads) threads: modReLU rows with a constant threshold differ from the formula")
                }
            }
        }
    }

    /// modReLU with one constant threshold (CplxModReLU's, the complex MLP's): the row kernels'
    /// value and input gradient equal the element formula bit for bit on every tier and at 1, 2 and
    /// 3 threads.
    func testModReLUScalarConstantThresholdEqualsTheFormula() {
        for dtype in [DType.float32, .float64] {
            var re = Sample.normal([6, 203], seed: 71, dtype: dtype).scalars.map { $0 * 0.3 }
            var im = Sample.normal([6, 203], seed: 72, dtype: dtype).scalars.map { $0 * 0.3 }
            for k in stride(from: 0, to: re.count, by: 97) { (re[k], im[k]) = (0, 0) }
            for k in stride(from: 5, to: re.count, by: 89) { (re[k], im[k]) = (3e-6, -4e-6) }
            let z = ComplexTensor(real: Tensor(shape: [6, 203], scalars: re, dtype: dtype), imag: Tensor(shape: [6, 203], scalars: im, dtype: dtype))
            let g = ComplexTensor(real: Sample.normal([6, 203], seed: 73, dtype: dtype), imag: Sample.normal([6, 203], seed: 74, dtype: dtype))
            for value in [0.1, -0.05] {
                let tau = Tensor(scalar: value, dtype: dtype), tc = tau.item   // the threshold as stored
                func round(_ v: Double) -> Double { dtype == .float32 ? Double(Float(v)) : v }
                var (yr, yi, ar, ai) = ([Double](), [Double](), [Double](), [Double]())
                for (i, (x, y)) in zip(z.real.scalars, z.imag.scalars).enumerated() {
                    let (p, q) = (g.real.scalars[i], g.imag.scalars[i])
                    let r = (x * x + y * y).squareRoot(), m = Swift.max(r, 1e-5), s = 1 - tc / m
                    guard s > 0 else { yr.append(0); yi.append(0); ar.append(0); ai.append(0); continue }
                    yr.append(round(x * s)); yi.append(round(y * s))
                    let c = x * p + y * q, k = r >= 1e-5 ? tc * c / (r * r * r) : 0
                    ar.append(round(s * p + k * x)); ai.append(round(s * q + k * y))
                }
                let expected = [yr, yi, ar, ai].map { $0.map(\.bitPattern) }
                for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
                    _ = wt_set_isa(isa)
                    for threads: Int32 in [1, 2, 3] {
                        _ = wt_set_num_threads(threads)
                        var y = z
                        let grads = valueWithGradient(at: [z.real, z.imag]) { v in
                            y = modReLU(ComplexTensor(real: v[0], imag: v[1]), threshold: tau)
                            return sum(y.real * g.real) + sum(y.imag * g.imag)
                        }.gradient
                        let got = [y.real.scalars, y.imag.scalars, grads[0].scalars, grads[1].scalars].map { $0.map(\.bitPattern) }
                        XCTAssertTrue(got == expected, "\(dtype), τ \(tc), \(isa), \(threads) threads: modReLU differs from the formula")
                    }
                }
            }
        }
    }

    /// Runs `body` at 1, 2 and 3 threads on every kernel tier and checks the bits agree.
    func invariant(_ name: String, _ body: () -> [Tensor]) {
        for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            _ = wt_set_num_threads(1)
            let reference = body().map { $0.scalars.map(\.bitPattern) }
            for threads: Int32 in [2, 3] {
                _ = wt_set_num_threads(threads)
                XCTAssertTrue(body().map { $0.scalars.map(\.bitPattern) } == reference, "\(name): \(threads) threads differ from 1 (\(isa))")
            }
        }
    }

    /// Sizes of the signal network (float32), large enough that every loop splits over threads.
    func testSignalOpsSameBitsAtAnyThreadCount() {
        let z = ComplexTensor(real: Sample.normal([16, 40, 128], seed: 51, dtype: .float32), imag: Sample.normal([16, 40, 128], seed: 52, dtype: .float32))
        let w = ComplexTensor(real: Sample.normal([80, 8, 5], seed: 53, dtype: .float32) * 0.2, imag: Sample.normal([80, 8, 5], seed: 54, dtype: .float32) * 0.2)
        let tau = Sample.normal([80, 1], seed: 55, dtype: .float32) * 0.1
        invariant("complex conv1d, modReLU, abs") {
            let r = valueWithGradient(at: [z.real, z.imag, w.real, w.imag, tau]) { t in
                let y = conv1d(ComplexTensor(real: t[0], imag: t[1]), ComplexTensor(real: t[2], imag: t[3]), stride: 2, padding: 2, groups: 5)
                return sum(abs(modReLU(y, threshold: t[4])))
            }
            return [r.value] + r.gradient
        }
        let v = ComplexTensor(real: Sample.normal([16, 8, 128], seed: 56, dtype: .float32), imag: Sample.normal([16, 8, 128], seed: 57, dtype: .float32))
        let g = Sample.normal([16, 40, 128], seed: 58, dtype: .float32)
        invariant("phasePowers, complex mul and division") {
            let r = valueWithGradient(at: [v.real, v.imag]) { t in
                let x = ComplexTensor(real: t[0], imag: t[1])
                let p = phasePowers(x, orders: [0, 1, 2, 4, 8])
                let q = concat([x * x, x / (abs(x) + 1), x, x * abs(x), x], axis: 1)
                return sum((p * q).real * g) + sum((p * q).imag)
            }
            return [r.value] + r.gradient
        }
    }
}
