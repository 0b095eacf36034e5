import Kernels
import XCTest

/// The kernels that split long arrays over threads give the same bits at 1, 2 and 3 threads, on both
/// paths; the blocked KL sums also agree with a plain double sum of the per-element values.
final class ThreadCountInvarianceTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    /// Long enough for several KL blocks (16384) and array grains, with a ragged end.
    let n = 5 * 16384 + 1237

    func floats(_ seed: UInt64, _ lo: Float, _ hi: Float) -> [Float] {
        var state = seed
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return lo + (hi - lo) * Float(state >> 40) / Float(1 << 24)
        }
    }

    /// Runs `body` at 1, 2 and 3 threads on each path and checks the results are identical.
    func invariant<R: Equatable>(_ name: String, _ body: () -> R) {
        for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            _ = wt_set_num_threads(1)
            let reference = body()
            for threads: Int32 in [2, 3] {
                _ = wt_set_num_threads(threads)
                XCTAssertTrue(body() == reference, "\(name): \(threads) threads differ from 1 (\(isa))")
            }
        }
    }

    func testElementwiseKernels() {
        let x = floats(1, -30, 30), s2 = floats(2, 0, 2), eps = floats(3, -3, 3), g = floats(4, -1, 1)
        invariant("expf") { () -> [UInt32] in
            var y = [Float](repeating: 0, count: n); wt_expf_array(x, &y, n); return y.map(\.bitPattern)
        }
        invariant("exp") { () -> [UInt64] in
            let xd = x.map(Double.init)
            var y = [Double](repeating: 0, count: n); wt_exp_array(xd, &y, n); return y.map(\.bitPattern)
        }
        // The other array kernels split the same way (WT_ARRAY_KERNELS): Ei, and log1p and tanh as two
        // of the vector-math bodies, in both types.
        for (name, f64, f32) in [("Ei", wt_expi_array, wt_expif_array), ("log1p", wt_log1p_array, wt_log1pf_array),
                                 ("tanh", wt_tanh_array, wt_tanhf_array)] as [(String, VectorMathTests.Kernel64, VectorMathTests.Kernel32)] {
            let xs = name == "log1p" ? s2 : x
            invariant(name) { () -> [UInt64] in
                let xd = xs.map(Double.init)
                var y = [Double](repeating: 0, count: n), yf = [Float](repeating: 0, count: n)
                f64(xd, &y, n); f32(xs, &yf, n)
                return y.map(\.bitPattern) + yf.map { UInt64($0.bitPattern) }
            }
        }
        invariant("reparam") { () -> [UInt32] in
            var y = [Float](repeating: 0, count: n); wt_reparam_f32(x, s2, eps, &y, n); return y.map(\.bitPattern)
        }
        invariant("complex reparam") { () -> [UInt32] in
            var yr = [Float](repeating: 0, count: n), yi = [Float](repeating: 0, count: n)
            wt_reparam_cplx_f32(x, g, s2, eps, x, &yr, &yi, n)
            // each part the bits of the real pass
            var r = [Float](repeating: 0, count: n), i = [Float](repeating: 0, count: n)
            wt_reparam_f32(x, s2, eps, &r, n); wt_reparam_f32(g, s2, x, &i, n)
            XCTAssertEqual(yr.map(\.bitPattern) + yi.map(\.bitPattern), r.map(\.bitPattern) + i.map(\.bitPattern))
            return (yr + yi).map(\.bitPattern)
        }
        invariant("reparam grad") { () -> [UInt32] in
            var y = [Float](repeating: 0, count: n); wt_reparam_grad_f32(g, s2, eps, &y, n); return y.map(\.bitPattern)
        }
        invariant("adam") { () -> [UInt32] in
            var p = x, m = g, v = s2
            wt_adam_f32(&p, p, g, &m, &v, n, 0.9, 0, 0.1, 0.9, 0.999, 0.001, 0.03, 1e-8, -1e-3)
            return (p + m + v).map(\.bitPattern)
        }
        invariant("normals") { () -> [UInt32] in
            var y = [Float](repeating: 0, count: n); wt_normalf_array(7, 9, 123, &y, n); return y.map(\.bitPattern)
        }
    }

    func testBlockedKLSums() {
        let ls = floats(5, -12, 6), w = floats(6, -1, 1), im = floats(7, -1, 1)
        for prior in [WT_KL_REAL_VD, WT_KL_REAL_ARD] {
            invariant("real sum f32 \(prior)") { () -> [UInt64] in
                var dls = [Float](repeating: 0, count: n), dw = dls
                let total = wt_kl_real_sum_f32(prior, ls, w, 0.5, &dls, &dw, n)
                return [total.bitPattern] + (dls + dw).map { UInt64($0.bitPattern) }
            }
            invariant("real sum f64 \(prior)") { () -> [UInt64] in
                let lsd = ls.map(Double.init), wd = w.map(Double.init)
                var dls = [Double](repeating: 0, count: n), dw = dls
                return [wt_kl_real_sum_f64(prior, lsd, wd, 0.5, &dls, &dw, n).bitPattern] + (dls + dw).map(\.bitPattern)
            }
            // The blocked sum equals the sum of the values to double rounding.
            var values = [Float](repeating: 0, count: n)
            wt_kl_real_f32(prior, ls, w, &values, nil, nil, n)
            let plain = values.reduce(0.0) { $0 + Double($1) }
            let blocked = wt_kl_real_sum_f32(prior, ls, w, 1, nil, nil, n)
            XCTAssertEqual(blocked, plain, accuracy: 1e-12 * abs(plain), "\(prior)")
        }
        for prior in [WT_KL_CPLX_VD, WT_KL_CPLX_ARD] {
            invariant("complex sum f32 \(prior)") { () -> [UInt64] in
                var dls = [Float](repeating: 0, count: n), dre = dls, dim = dls
                let total = wt_kl_cplx_sum_f32(prior, ls, w, im, 0.5, &dls, &dre, &dim, n)
                return [total.bitPattern] + (dls + dre + dim).map { UInt64($0.bitPattern) }
            }
            invariant("complex sum f64 \(prior)") { () -> [UInt64] in
                let lsd = ls.map(Double.init), red = w.map(Double.init), imd = im.map(Double.init)
                var dls = [Double](repeating: 0, count: n), dre = dls, dim = dls
                return [wt_kl_cplx_sum_f64(prior, lsd, red, imd, 0.5, &dls, &dre, &dim, n).bitPattern]
                    + (dls + dre + dim).map(\.bitPattern)
            }
        }
    }

    /// Stride 1 along the row (the case the vector row copies handle): rows of 37 outputs with padding
    /// 2 give runs of 33–37 elements (two full AVX-512 vectors and a masked remainder, four AVX2
    /// vectors and a remainder); every tier gives the portable bits, in float and double, and the
    /// float result matches the definition.
    func testIm2colAndCol2imStrideOneSameBitsOnEveryTier() {
        checkIm2colAndCol2imOnEveryTier(h: 9, w: 37, kh: 3, kw: 5, ph: 1, pw: 2, seed: 9, backFill: 0.5, label: "")
    }

    /// Rows whose runs end in a whole half vector and more (AVX-512: 8 floats or 4 doubles moved
    /// unmasked, then a masked rest): LeNet-5's rows of 24 and 8 outputs, and rows of 26–28 and
    /// 12–15 with padding 2. im2col matches the definition on the portable tier, and every tier gives
    /// the portable bits for im2col and col2im, float and double.
    func testIm2colAndCol2imHalfVectorRowsSameBitsOnEveryTier() {
        // (input rows, input width, kernel, padding) with stride 1 and dilation 1.
        for (h, w, k, pad) in [(28, 28, 5, 0), (12, 12, 5, 0), (6, 28, 5, 2), (5, 15, 5, 2), (4, 7, 3, 1)] {
            checkIm2colAndCol2imOnEveryTier(h: h, w: w, kh: k, kw: k, ph: pad, pw: pad, seed: UInt64(11 + w),
                                            backFill: 0.25, label: " \(h)x\(w) k\(k) p\(pad)")
        }
    }

    /// im2col of 3 samples × 2 channels of `h × w` (stride 1, dilation 1, kernel `kh × kw`, padding
    /// `ph, pw`, so the output is `oh × ow`) matches the definition on the portable tier, and every
    /// tier up to the detected one gives the portable bits for im2col and for col2im (added onto
    /// `backFill`), in float and in double.
    private func checkIm2colAndCol2imOnEveryTier(h: Int, w: Int, kh: Int, kw: Int, ph: Int, pw: Int,
                                                 seed: UInt64, backFill: Float, label: String) {
        let oh = h + 2 * ph - kh + 1, ow = w + 2 * pw - kw + 1
        var shape = wt_conv_shape(channels: 2, in: (1, h, w), out: (1, oh, ow), k: (1, kh, kw), s: (1, 1, 1),
                                  p: (0, ph, pw), d: (1, 1, 1))
        let samples = 3, inCount = 2 * h * w, outCount = oh * ow, rows = 2 * kh * kw
        let x = Array(floats(seed, -1, 1).prefix(samples * inCount))
        let xd = x.map { Double($0) }
        func run() -> (f: [UInt32], d: [UInt64], col: [Float]) {
            var col = [Float](repeating: .nan, count: rows * samples * outCount)
            wt_im2col_f32(&shape, samples, x, inCount, &col, samples * outCount)
            var back = [Float](repeating: backFill, count: samples * inCount)
            wt_col2im_f32(&shape, samples, col, samples * outCount, &back, inCount)
            var cold = [Double](repeating: .nan, count: rows * samples * outCount)
            wt_im2col_f64(&shape, samples, xd, inCount, &cold, samples * outCount)
            var backd = [Double](repeating: Double(backFill), count: samples * inCount)
            wt_col2im_f64(&shape, samples, cold, samples * outCount, &backd, inCount)
            return ((col + back).map(\.bitPattern), (cold + backd).map(\.bitPattern), col)
        }
        var expected = [Float](repeating: 0, count: rows * samples * outCount)
        for j in 0..<samples { for c in 0..<2 { for k1 in 0..<kh { for k2 in 0..<kw { for o1 in 0..<oh { for o2 in 0..<ow {
            let i1 = o1 - ph + k1, i2 = o2 - pw + k2
            let inside = (0..<h).contains(i1) && (0..<w).contains(i2)
            expected[(c * kh * kw + k1 * kw + k2) * samples * outCount + j * outCount + o1 * ow + o2] =
                inside ? x[j * inCount + (c * h + i1) * w + i2] : 0
        } } } } } }
        let saved = wt_active_isa()
        defer { _ = wt_set_isa(saved) }
        _ = wt_set_isa(WT_ISA_PORTABLE)
        let reference = run()
        XCTAssertEqual(reference.col, expected, "im2col\(label), portable")
        for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
            XCTAssertEqual(wt_set_isa(isa), isa)
            let r = run()
            XCTAssertEqual(r.f, reference.f, "float im2col/col2im\(label), tier \(isa.rawValue)")
            XCTAssertEqual(r.d, reference.d, "double im2col/col2im\(label), tier \(isa.rawValue)")
        }
    }

    /// The elementwise steps of the variational convolution: x² in place and g·(2c), on lengths
    /// that end in every remainder of a vector; every tier gives the scalar definition's bits.
    func testSquareAndMulTwiceSameBitsOnEveryTier() {
        let saved = wt_active_isa()
        defer { _ = wt_set_isa(saved) }
        let a = floats(21, -3, 3), b = floats(22, -2, 2)
        for count in [0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 24, 31, 33, 1000] {
            let x = Array(a.prefix(count)), c = Array(b.prefix(count))
            let xd = x.map { Double($0) * 1.0000001 }, cd = c.map { Double($0) * 0.9999999 }
            for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
                XCTAssertEqual(wt_set_isa(isa), isa)
                var sq = x, sqd = xd, g = c, gd = cd
                wt_square_inplace_f32(&sq, count)
                wt_square_inplace_f64(&sqd, count)
                wt_mul_twice_f32(&g, x, count)
                wt_mul_twice_f64(&gd, xd, count)
                XCTAssertEqual(sq.map(\.bitPattern), x.map { ($0 * $0).bitPattern }, "float square, n \(count), tier \(isa.rawValue)")
                XCTAssertEqual(sqd.map(\.bitPattern), xd.map { ($0 * $0).bitPattern }, "double square, n \(count), tier \(isa.rawValue)")
                XCTAssertEqual(g.map(\.bitPattern), zip(c, x).map { ($0 * (2 * $1)).bitPattern },
                               "float g·2c, n \(count), tier \(isa.rawValue)")
                XCTAssertEqual(gd.map(\.bitPattern), zip(cd, xd).map { ($0 * (2 * $1)).bitPattern },
                               "double g·2c, n \(count), tier \(isa.rawValue)")
            }
        }
    }

    /// The per-channel bias and its gradient: the definition's bits (four running sums per row over
    /// i mod 4, the rest into the first, (s0 + s1) + (s2 + s3), samples in order) at 1, 2 and 3 threads.
    func testChannelBiasAddAndSumMatchTheDefinition() {
        for (batch, channels, inner) in [(5, 7, 37), (3, 20, 576), (2, 3, 1), (4, 50, 64)] {
            let gy = Array(floats(UInt64(inner), -1, 1).prefix(batch * channels * inner))
            let b = Array(floats(7, -1, 1).prefix(channels))
            var expectedSum = [Float](repeating: 0, count: channels)
            for c in 0..<channels { for n in 0..<batch {
                let row = Array(gy[((n * channels + c) * inner)...].prefix(inner))
                var s: [Float] = [0, 0, 0, 0]
                var i = 0
                while i + 4 <= inner { for l in 0..<4 { s[l] += row[i + l] }; i += 4 }
                while i < inner { s[0] += row[i]; i += 1 }
                expectedSum[c] += (s[0] + s[1]) + (s[2] + s[3])
            } }
            var expectedAdd = gy
            for n in 0..<batch { for c in 0..<channels { for i in 0..<inner { expectedAdd[(n * channels + c) * inner + i] += b[c] } } }
            for threads: Int32 in [1, 2, 3] {
                _ = wt_set_num_threads(threads)
                var sum = [Float](repeating: 0, count: channels)
                wt_channel_sum_f32(gy, batch, channels, inner, &sum)
                XCTAssertEqual(sum.map(\.bitPattern), expectedSum.map(\.bitPattern), "channel sum \(batch)x\(channels)x\(inner), \(threads) threads")
                var sumd = [Double](repeating: 0.5, count: channels)
                wt_channel_sum_f64(gy.map(Double.init), batch, channels, inner, &sumd)
                let exactish = zip(sumd, expectedSum).allSatisfy { abs($0 - 0.5 - Double($1)) < 1e-3 }
                XCTAssertTrue(exactish, "double channel sum \(batch)x\(channels)x\(inner), \(threads) threads")
                var y = gy
                wt_channel_bias_add_f32(&y, b, batch, channels, inner)
                XCTAssertEqual(y.map(\.bitPattern), expectedAdd.map(\.bitPattern), "bias add, \(threads) threads")
                var yd = gy.map(Double.init)
                wt_channel_bias_add_f64(&yd, b.map(Double.init), batch, channels, inner)
                XCTAssertEqual(yd, zip(gy, (0..<gy.count).map { b[($0 / inner) % channels] }).map { Double($0) + Double($1) },
                               "double bias add, \(threads) threads")
            }
        }
    }

    func testIm2colAndCol2im() {
        // LeNet-5's second layer on 6 samples with padding 1 and stride 2 along the row.
        var shape = wt_conv_shape(channels: 3, in: (1, 12, 13), out: (1, 12, 7), k: (1, 3, 3), s: (1, 1, 2), p: (0, 1, 1), d: (1, 1, 1))
        let samples = 6, inCount = 3 * 12 * 13, outCount = 12 * 7, rows = 3 * 9
        let x = Array(floats(8, -1, 1).prefix(samples * inCount))
        func run() -> [Float] {
            var col = [Float](repeating: .nan, count: rows * samples * outCount)
            wt_im2col_f32(&shape, samples, x, inCount, &col, samples * outCount)
            var back = [Float](repeating: 0, count: samples * inCount)
            wt_col2im_f32(&shape, samples, col, samples * outCount, &back, inCount)
            return col + back
        }
        invariant("im2col/col2im") { run().map(\.bitPattern) }

        // Both paths against the definition: col[(c·9 + k1·3 + k2), j·P + o1·7 + o2] = x_j[c, o1 − 1 + k1, 2·o2 − 1 + k2],
        // and col2im adds every entry back where it came from.
        var col = [Float](repeating: 0, count: rows * samples * outCount)
        var back = [Float](repeating: 0, count: samples * inCount)
        for j in 0..<samples { for c in 0..<3 { for k1 in 0..<3 { for k2 in 0..<3 { for o1 in 0..<12 { for o2 in 0..<7 {
            let i1 = o1 - 1 + k1, i2 = 2 * o2 - 1 + k2
            let inside = (0..<12).contains(i1) && (0..<13).contains(i2)
            let src = j * inCount + (c * 12 + i1) * 13 + i2
            col[(c * 9 + k1 * 3 + k2) * samples * outCount + j * outCount + o1 * 7 + o2] = inside ? x[src] : 0
            if inside { back[src] += x[src] }
        } } } } } }
        for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            let result = run()
            XCTAssertEqual(Array(result.prefix(col.count)), col, "im2col, \(isa)")
            // col2im adds up to 9 copies in another order than the loop above: equal to float rounding.
            for (a, e) in zip(result.suffix(back.count), back) { XCTAssertEqual(a, e, accuracy: 1e-5, "col2im, \(isa)") }
        }
    }
}
