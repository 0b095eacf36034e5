import XCTest
import Autodiff
import Kernels
import NN
import Ops
import Relevance
import TestSupport

/// The sparse inference kernels of Sources/Kernels/sparse_spmm.c through their Swift types
/// (`ComplexCSRMatrix`, `ConvolutionCSR`, `SparseComplexLinear`, `SparseConvolution`,
/// `SparseComplexConvolution`) against float64 dense references at every kernel tier, and
/// `compileSparse` on models with masked and binarized convolutions and complex layers.
final class SparseComplexAndConvolutionTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    /// Every tier this machine (and WIRTINGER_ISA) allows, highest first.
    var tiers: [wt_isa] { (0...wt_detected_isa().rawValue).reversed().map(wt_isa.init(rawValue:)) }

    /// A float32 0/1 mask keeping about `keep` of `shape`, with the first-axis slices in `empty` all zero.
    func mask(_ shape: [Int], keep: Double, empty: Set<Int> = [], seed: UInt64) -> Tensor {
        let u = Sample.uniform(shape, 0, 1, seed: seed).scalars
        let inner = shape.dropFirst().reduce(1, *)
        let m = (0..<u.count).map { i -> Float in !empty.contains(i / inner) && u[i] < keep ? 1 : 0 }
        return Tensor(shape: shape, scalars: m)
    }

    func complex32(_ shape: [Int], seed: UInt64) -> ComplexTensor {
        Sample.complex(shape, seed: seed, dtype: .float32)
    }

    /// `|got − want| ≤ bound` elementwise (all float64 arrays of one length).
    func assertWithin(_ got: [Double], _ want: [Double], _ bound: [Double], _ what: String,
                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, what, file: file, line: line)
        var worst = -Double.infinity, at = -1
        for i in 0..<min(got.count, want.count) where abs(got[i] - want[i]) - bound[i] > worst {
            worst = abs(got[i] - want[i]) - bound[i]; at = i
        }
        XCTAssertLessThanOrEqual(worst, 0, "\(what): element \(at) is outside the float32 summation bound by \(worst)", file: file, line: line)
    }

    // MARK: - Complex linear

    func testComplexCSRLinearMatchesFloat64ReferenceAtEveryTierAndBatch() {
        let w = complex32([37, 53], seed: 1), b = complex32([37], seed: 2)
        let m = mask([37, 53], keep: 0.3, empty: [0, 5, 36], seed: 3)
        let csr = ComplexCSRMatrix(dense: w, mask: m)
        XCTAssertEqual(csr.dense().real.scalars, (w.real * m).scalars)
        XCTAssertEqual(csr.dense().imag.scalars, (w.imag * m).scalars)
        for isa in tiers {
            _ = wt_set_isa(isa)
            // 1–3: gathered dot products; 4 and up: transposed tiles of 128, with vector and scalar tails.
            for n in [1, 2, 3, 4, 7, 64, 130, 257] {
                let z = complex32([n, 53], seed: UInt64(10 + n))
                for bias in [b, nil] {
                    let y = csr.linear(z, bias: bias)
                    XCTAssertEqual(y.shape, [n, 37])
                    let ref = maskedComplexLinearReference(z, w, m, bias)
                    let what = "isa \(isa.rawValue), batch \(n), bias \(bias != nil)"
                    assertWithin(y.real.scalars, ref.re, ref.bound, what + ", real part")
                    assertWithin(y.imag.scalars, ref.im, ref.bound, what + ", imaginary part")
                    if bias == nil {  // a row without nonzeros gives exactly 0 (or the bias)
                        for i in 0..<n { XCTAssertEqual(y.real.scalars[i * 37 + 5], 0); XCTAssertEqual(y.imag.scalars[i * 37 + 5], 0) }
                    }
                }
            }
        }
    }

    func testComplexLinearLayerKeepsLeadingAxesAndIsThreadCountInvariant() {
        let w = complex32([300, 120], seed: 4), b = complex32([300], seed: 5)
        let m = mask([300, 120], keep: 0.2, seed: 6)
        let layer = SparseComplexLinear(weight: w, bias: b, mask: m)
        XCTAssertTrue(layer.isCSR)
        let z = complex32([2, 65, 120], seed: 7)
        for isa in tiers {
            _ = wt_set_isa(isa)
            _ = wt_set_num_threads(1)
            let one = layer(z)
            _ = wt_set_num_threads(2)
            let two = layer(z)
            XCTAssertEqual(one.shape, [2, 65, 300])
            XCTAssertEqual(one.real.scalars, two.real.scalars, "isa \(isa.rawValue): threads change the real part")
            XCTAssertEqual(one.imag.scalars, two.imag.scalars, "isa \(isa.rawValue): threads change the imaginary part")
            let flat = layer(reshape(z, [130, 120]))
            XCTAssertEqual(flat.real.scalars, one.real.scalars, "leading axes are one batch axis")
        }
        // Denser than maxDensity: dense storage, same values as the dense masked product.
        let dense = SparseComplexLinear(weight: w, bias: b, mask: m, maxDensity: 0.1)
        XCTAssertFalse(dense.isCSR)
        let ref = linear(z, ComplexTensor(real: w.real * m, imag: w.imag * m), bias: b)
        XCTAssertEqual(dense(z).real.scalars, ref.real.scalars)
        XCTAssertEqual(dense(z).imag.scalars, ref.imag.scalars)
    }

    // MARK: - Convolutions

    /// The dense float64 convolution of rank `o.kernelSize.count`.
    func denseConv(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ o: ConvolutionOptions) -> Tensor {
        switch o.kernelSize.count {
        case 1: return conv1d(x, w, bias: b, stride: o.stride, padding: o.padding, dilation: o.dilation)
        case 2: return conv2d(x, w, bias: b, stride: o.stride, padding: o.padding, dilation: o.dilation)
        default: return conv3d(x, w, bias: b, stride: o.stride, padding: o.padding, dilation: o.dilation)
        }
    }

    /// Convolutions of every rank with strides, padding and dilation.
    var convCases: [(name: String, options: ConvolutionOptions, input: [Int])] {
        [("1d k5 s3 p2", Convolution<Spatial1D>(3, 4, 5, stride: 3, padding: 2).options, [3, 19]),
         ("2d k3 s2 p1", Convolution<Spatial2D>(3, 5, 3, stride: 2, padding: 1).options, [3, 9, 8]),
         ("2d k3x2 p(2,0) d(1,2)", Convolution<Spatial2D>(2, 4, [3, 2], padding: [2, 0], dilation: [1, 2]).options, [2, 6, 7]),
         ("2d LeNet-like 20x5x5", Convolution<Spatial2D>(4, 20, 5).options, [4, 12, 12]),
         ("3d k2 p1", Convolution<Spatial3D>(2, 3, 2, padding: 1).options, [2, 3, 4, 3]),
         // No padding and output lines of 8k positions: computed straight from the input.
         ("direct 1d k5", Convolution<Spatial1D>(3, 4, 5).options, [3, 20]),
         ("direct 2d k3 s(2,1)", Convolution<Spatial2D>(2, 5, 3, stride: [2, 1]).options, [2, 9, 26]),
         ("direct 2d k(2,3) d(2,1)", Convolution<Spatial2D>(2, 3, [2, 3], dilation: [2, 1]).options, [2, 7, 18]),
         ("direct 3d k2", Convolution<Spatial3D>(2, 3, 2).options, [2, 3, 4, 9])]
    }

    func testSparseConvolutionMatchesFloat64ReferenceAtEveryTier() {
        for (ci, c) in convCases.enumerated() {
            let o = c.options, seed = UInt64(100 * ci)
            let w = Sample.normal(o.weightShape, seed: seed + 1, dtype: .float32)
            let b = Sample.normal([o.outChannels], seed: seed + 2, dtype: .float32)
            let m = mask(o.weightShape, keep: 0.35, empty: [1], seed: seed + 3)
            let csr = ConvolutionCSR(weight: w, mask: m, options: o)
            XCTAssertLessThanOrEqual(csr.taps.count, o.weightShape.dropFirst().reduce(1, *))
            let k = o.weightShape.dropFirst().reduce(1, *)
            for n in [1, 3] {
                let x = Sample.normal([n] + c.input, seed: seed + 4 + UInt64(n), dtype: .float32)
                let wm = (w * m).converted(to: .float64), x64 = x.converted(to: .float64)
                let ref = denseConv(x64, wm, b.converted(to: .float64), o).scalars
                let mag = denseConv(abs(x64), abs(wm), abs(b.converted(to: .float64)), o).scalars
                let bound = mag.map { Double(k + 2) * Double(Float.ulpOfOne) * $0 }
                for isa in tiers {
                    _ = wt_set_isa(isa)
                    let y = csr.convolve(x, bias: b)
                    XCTAssertEqual(y.shape, denseConv(x, w, b, o).shape, c.name)
                    assertWithin(y.scalars, ref, bound, "\(c.name), isa \(isa.rawValue), batch \(n)")
                    let noBias = csr.convolve(x, bias: nil).scalars
                    // Output channel 1 is fully masked: exactly the bias, or 0 without one.
                    let plane = y.count / (n * o.outChannels)
                    for s in 0..<n {
                        for p in 0..<plane {
                            XCTAssertEqual(y.scalars[(s * o.outChannels + 1) * plane + p], b.scalars[1])
                            XCTAssertEqual(noBias[(s * o.outChannels + 1) * plane + p], 0)
                        }
                    }
                }
            }
        }
    }

    func testSparseComplexConvolutionMatchesFloat64ReferenceAtEveryTier() {
        let cases: [(String, ConvolutionOptions, [Int])] = [
            ("cplx 1d k5 s2 p1", ComplexConvolution<Spatial1D>(2, 3, 5, stride: 2, padding: 1).options, [2, 17]),
            ("cplx 2d k3 d2", ComplexConvolution<Spatial2D>(3, 4, 3, dilation: 2).options, [3, 8, 9]),
            ("cplx direct 2d k3", ComplexConvolution<Spatial2D>(2, 3, 3).options, [2, 7, 10]),
            ("cplx direct 2d k3 O2=24", ComplexConvolution<Spatial2D>(2, 3, 3).options, [2, 4, 26]),
        ]
        for (ci, (name, o, input)) in cases.enumerated() {
            let seed = UInt64(500 + 10 * ci)
            let w = complex32(o.weightShape, seed: seed), b = complex32([o.outChannels], seed: seed + 1)
            let m = mask(o.weightShape, keep: 0.3, empty: [2], seed: seed + 2)
            let csr = ConvolutionCSR(weight: w, mask: m, options: o)
            let k = o.weightShape.dropFirst().reduce(1, *)
            for n in [1, 2] {
                let z = complex32([n] + input, seed: seed + 3 + UInt64(n))
                let u = z.real.converted(to: .float64), v = z.imag.converted(to: .float64)
                let wr = (w.real * m).converted(to: .float64), wi = (w.imag * m).converted(to: .float64)
                let br = b.real.converted(to: .float64), bi = b.imag.converted(to: .float64)
                let re = (denseConv(u, wr, br, o) - denseConv(v, wi, nil, o)).scalars
                let im = (denseConv(v, wr, bi, o) + denseConv(u, wi, nil, o)).scalars
                let mag = denseConv(abs(u) + abs(v), abs(wr) + abs(wi), abs(br) + abs(bi), o).scalars
                let bound = mag.map { Double(2 * k + 2) * Double(Float.ulpOfOne) * $0 }
                for isa in tiers {
                    _ = wt_set_isa(isa)
                    let y = csr.convolve(z, bias: b)
                    assertWithin(y.real.scalars, re, bound, "\(name), isa \(isa.rawValue), batch \(n), real part")
                    assertWithin(y.imag.scalars, im, bound, "\(name), isa \(isa.rawValue), batch \(n), imaginary part")
                }
            }
        }
    }

    /// Circular padding (PyTorch's `padding_mode='circular'`): the CSR kernel reads the
    /// circularly padded input, so it equals the dense convolution with wrap-around padding, real
    /// and complex, for both the CSR and the dense storage of the compiled layers.
    func testCircularPaddingMatchesTheDenseConvolution() {
        let o = Convolution<Spatial2D>(3, 4, 3, padding: [1, 2], paddingMode: .circular).options
        let w = Sample.normal(o.weightShape, seed: 71, dtype: .float32)
        let m = mask(o.weightShape, keep: 0.3, empty: [1], seed: 72)
        let x = Sample.normal([2, 3, 6, 7], seed: 73, dtype: .float32)
        let k = o.weightShape.dropFirst().reduce(1, *)
        let x64 = x.converted(to: .float64), wm = (w * m).converted(to: .float64)
        let ref = convolution(x64, wm, padding: o.padding, paddingMode: .circular).scalars
        let mag = convolution(abs(x64), abs(wm), padding: o.padding, paddingMode: .circular).scalars
        let bound = mag.map { Double(k + 2) * Double(Float.ulpOfOne) * $0 }
        let y = ConvolutionCSR(weight: w, mask: m, options: o).convolve(x, bias: nil)
        XCTAssertEqual(y.shape, [2, 4, 6, 9])
        assertWithin(y.scalars, ref, bound, "circular 2d CSR")
        let zeroPadded = conv2d(x64, wm, padding: o.padding).scalars
        XCTAssertNotEqual(y.scalars.map { Double($0) }, zeroPadded, "circular padding must differ from zero padding here")
        for maxDensity in [1.0, 0.0] {  // CSR storage, then dense storage
            let layer = SparseConvolution<Spatial2D>(options: o, weight: w, bias: nil, mask: m, maxDensity: maxDensity)
            assertWithin(layer(x).scalars, ref, bound, "circular SparseConvolution, max density \(maxDensity)")
        }

        let co = ComplexConvolution<Spatial1D>(2, 3, 5, padding: 2, paddingMode: .circular).options
        let cw = complex32(co.weightShape, seed: 74), cm = mask(co.weightShape, keep: 0.4, seed: 75)
        let z = complex32([2, 2, 9], seed: 76)
        let cwm = ComplexTensor(real: cw.real * cm, imag: cw.imag * cm)
        let want = convolution(z, cwm, padding: co.padding, paddingMode: .circular)
        for maxDensity in [1.0, 0.0] {
            let layer = SparseComplexConvolution<Spatial1D>(options: co, weight: cw, bias: nil, mask: cm, maxDensity: maxDensity)
            let got = layer(z)
            XCTAssertEqual(got.shape, want.shape)
            let err = zip(got.real.scalars + got.imag.scalars, want.real.scalars + want.imag.scalars).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(err, 1e-4, "circular SparseComplexConvolution, max density \(maxDensity)")
        }
    }

    func testSparseConvolutionIsThreadCountInvariant() {
        // Padding 1: im2col rows; no padding (28 → 24 positions a line): straight from the input.
        for o in [Convolution<Spatial2D>(8, 16, 3, padding: 1).options, Convolution<Spatial2D>(8, 16, 5).options] {
            threadCountInvariance(o)
        }
    }

    func threadCountInvariance(_ o: ConvolutionOptions) {
        let w = Sample.normal(o.weightShape, seed: 41, dtype: .float32)
        let m = mask(o.weightShape, keep: 0.5, seed: 42)
        let real = SparseConvolution<Spatial2D>(options: o, weight: w, bias: nil, mask: m, maxDensity: 1)
        let cplx = SparseComplexConvolution<Spatial2D>(options: o, weight: complex32(o.weightShape, seed: 43), bias: nil,
                                                       mask: m, maxDensity: 1)
        let x = Sample.normal([6, 8, 28, 28], seed: 44, dtype: .float32), z = complex32([6, 8, 28, 28], seed: 45)
        for isa in tiers {
            _ = wt_set_isa(isa)
            _ = wt_set_num_threads(1)
            let (r1, c1) = (real(x), cplx(z))
            _ = wt_set_num_threads(2)
            let (r2, c2) = (real(x), cplx(z))
            XCTAssertEqual(r1.scalars, r2.scalars, "isa \(isa.rawValue), padding \(o.padding): real convolution depends on the thread count")
            XCTAssertEqual(c1.real.scalars, c2.real.scalars, "isa \(isa.rawValue): complex convolution depends on the thread count")
            XCTAssertEqual(c1.imag.scalars, c2.imag.scalars, "isa \(isa.rawValue): complex convolution depends on the thread count")
            // Sample 4 alone gives the same values as inside the batch.
            let plane = r1.count / 6, inPlane = x.count / 6
            let alone = real(Tensor(shape: [1, 8, 28, 28], scalars: Array(x.scalars(as: Float.self)[4 * inPlane..<5 * inPlane]))).scalars
            XCTAssertEqual(alone, Array(r1.scalars[4 * plane..<5 * plane]), "isa \(isa.rawValue): a sample's result depends on the batch")
        }
    }

    // MARK: - compileSparse

    /// The largest |a − b| over two equally long arrays, relative to max(1, max |b|).
    func relativeGap(_ a: [Double], _ b: [Double]) -> Double {
        let scale = max(1, b.map(abs).max() ?? 1)
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    func testCompileSparseReplacesRealConvolutions() {
        let model = Sequential<Tensor, Tensor>(Masked(Conv2d(1, 6, 3)), MaxPool2d(2), Conv2d(6, 8, 3), Conv2d(8, 8, 1, groups: 2),
                                               Flatten(1, -1), LinearMasked(128, 7))
        var params = model.initialParameters(key: RandomKey(seed: 8))
        params["0.mask"] = mask([6, 1, 3, 3], keep: 0.34, seed: 81)
        params["2.weight"] = params["2.weight"]! * mask([8, 6, 3, 3], keep: 0.05, seed: 82)  // binarized
        params["5.mask"] = mask([7, 128], keep: 0.1, seed: 83)
        let (compiled, rest) = compileSparse(model, parameters: params, maxDensity: 0.5)
        XCTAssertTrue((compiled.layers[0] as? SparseConvolution<Spatial2D>)?.isCSR ?? false)
        XCTAssertTrue((compiled.layers[2] as? SparseConvolution<Spatial2D>)?.isCSR ?? false)
        XCTAssertTrue(compiled.layers[3] is Conv2d, "a grouped convolution is kept")
        XCTAssertTrue(compiled.layers[5] is SparseLinear)
        XCTAssertEqual(Set(rest.keys), ["3.weight", "3.bias"], "only the kept layer's parameters remain")
        for n in [1, 5] {
            let x = Sample.normal([n, 1, 14, 14], seed: UInt64(84 + n), dtype: .float32)
            let dense = model(x, parameters: params), sparse = compiled(x, parameters: rest)
            XCTAssertEqual(sparse.shape, [n, 7])
            XCTAssertLessThanOrEqual(relativeGap(sparse.scalars, dense.scalars), 1e-5, "batch \(n)")
        }
    }

    func testCompileSparseReplacesComplexLinearAndConvolutionLayers() {
        let model = Sequential<ComplexTensor, ComplexTensor>(Masked(CplxConv2d(2, 3, 3)), CplxModReLU(), CplxFlatten(1, -1),
                                                             Masked(CplxLinear(48, 5)), CplxLinear(5, 4))
        var params = model.initialParameters(key: RandomKey(seed: 9))
        params["0.mask"] = mask([3, 2, 3, 3], keep: 0.3, seed: 91)
        params["3.mask"] = mask([5, 48], keep: 0.05, seed: 92)
        let m4 = mask([4, 5], keep: 0.3, seed: 93)
        params["4.weight.real"] = params["4.weight.real"]! * m4  // binarized
        params["4.weight.imag"] = params["4.weight.imag"]! * m4
        let (compiled, rest) = compileSparse(model, parameters: params)
        XCTAssertTrue((compiled.layers[0] as? SparseComplexConvolution<Spatial2D>)?.isCSR ?? false)
        XCTAssertTrue((compiled.layers[3] as? SparseComplexLinear)?.isCSR ?? false)
        XCTAssertTrue((compiled.layers[4] as? SparseComplexLinear)?.isCSR ?? false)
        XCTAssertEqual(Set(rest.keys), Set(params.keys.filter { $0.hasPrefix("1.") }), "compiled layers keep no parameters")
        for n in [1, 6] {
            let z = complex32([n, 2, 6, 6], seed: UInt64(94 + n))
            let dense = model(z, parameters: params), sparse = compiled(z, parameters: rest)
            XCTAssertEqual(sparse.shape, [n, 4])
            XCTAssertLessThanOrEqual(relativeGap(sparse.real.scalars, dense.real.scalars), 1e-5, "batch \(n), real part")
            XCTAssertLessThanOrEqual(relativeGap(sparse.imag.scalars, dense.imag.scalars), 1e-5, "batch \(n), imaginary part")
        }
    }
}
