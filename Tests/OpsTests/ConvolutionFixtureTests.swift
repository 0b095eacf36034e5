import XCTest
import Foundation
import NN
import Ops
import TestSupport

/// One `ops_real` case: reads the inputs named in the metadata `shapes` (in `roles` order,
/// absent roles skipped), runs `f` in `dtype`, and compares the output and the VJP of the
/// stored cotangent with PyTorch's values.
func checkOpsRealCase(_ file: SafetensorsFile, _ id: String, roles: [String], dtype: DType, rtol: Double, atol: Double,
                      _ f: @escaping ([String: Tensor]) -> Tensor,
                      sourceFile: StaticString = #filePath, line: UInt = #line) throws {
    let present = roles.filter { file.tensors["\(id)/\($0)"] != nil }
    let inputs = try present.map { try Fixture.tensor(file, "\(id)/\($0)").converted(to: dtype) }
    let expected = try Fixture.tensor(file, "\(id)/output")
    let cot = try Fixture.tensor(file, "\(id)/cot").converted(to: dtype)
    let (ys, pullback) = valueWithPullback(at: inputs) { xs in [f(Dictionary(uniqueKeysWithValues: zip(present, xs)))] }
    XCTAssertEqual(ys[0].dtype, dtype, "\(id): output dtype", file: sourceFile, line: line)
    assertClose(ys[0], expected, rtol: rtol, atol: atol, "\(id) [\(dtype)] output", file: sourceFile, line: line)
    let grads = pullback([cot])
    for (role, g) in zip(present, grads) {
        assertClose(g, try Fixture.tensor(file, "\(id)/grad/\(role)"), rtol: rtol, atol: atol,
                    "\(id) [\(dtype)] grad/\(role)", file: sourceFile, line: line)
    }
}

/// A per-axis option from case metadata: an integer, a list, or null (→ `nil`).
func spatialMeta(_ value: Any?) -> [Int]? {
    if let v = value as? Int { return [v] }
    if let v = value as? [Int] { return v }
    return nil
}

/// The case ids of `ops_real` whose `op` satisfies `accept`.
func opsRealCases(_ file: SafetensorsFile, where accept: (String) -> Bool) throws -> [(id: String, meta: [String: Any])] {
    try Fixture.cases(file).compactMap { id in
        let meta = try Fixture.metadata(file, case: id)
        guard let op = meta["op"] as? String, accept(op) else { return nil }
        return (id, meta)
    }
}

/// Forward values and gradients of conv1d/2d/3d, convTranspose1d/2d/3d and max/avg pooling
/// against PyTorch 2.13 (`Tests/Fixtures/ops_real.safetensors`), in float64 and float32.
final class ConvolutionFixtureTests: XCTestCase {
    static let float64 = (rtol: 1e-10, atol: 1e-12)
    static let float32 = (rtol: 1e-5, atol: 1e-5)

    /// The Swift op for a convolution case's metadata.
    func convolution(_ meta: [String: Any]) -> ([String: Tensor]) -> Tensor {
        let op = meta["op"] as! String
        let stride = spatialMeta(meta["stride"])!, padding = spatialMeta(meta["padding"])!
        let dilation = spatialMeta(meta["dilation"])!, groups = meta["groups"] as! Int
        let outputPadding = spatialMeta(meta["output_padding"]) ?? [0]
        return { a in
            let (x, w, b) = (a["input"]!, a["weight"]!, a["bias"])
            switch op {
            case "conv1d": return conv1d(x, w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups)
            case "conv2d": return conv2d(x, w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups)
            case "conv3d": return conv3d(x, w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups)
            case "conv_transpose1d":
                return convTranspose1d(x, w, bias: b, stride: stride, padding: padding, outputPadding: outputPadding,
                                       dilation: dilation, groups: groups)
            case "conv_transpose2d":
                return convTranspose2d(x, w, bias: b, stride: stride, padding: padding, outputPadding: outputPadding,
                                       dilation: dilation, groups: groups)
            case "conv_transpose3d":
                return convTranspose3d(x, w, bias: b, stride: stride, padding: padding, outputPadding: outputPadding,
                                       dilation: dilation, groups: groups)
            default: preconditionFailure("unexpected op \(op)")
            }
        }
    }

    /// The Swift op for a pooling case's metadata.
    func pooling(_ meta: [String: Any]) -> ([String: Tensor]) -> Tensor {
        let op = meta["op"] as! String
        let kernel = spatialMeta(meta["kernel_size"])!, stride = spatialMeta(meta["stride"])
        let padding = spatialMeta(meta["padding"])!, dilation = spatialMeta(meta["dilation"]) ?? [1]
        let ceil = meta["ceil_mode"] as! Bool, include = meta["count_include_pad"] as? Bool ?? true
        return { a in
            let x = a["input"]!
            switch op {
            case "max_pool1d": return maxPool1d(x, kernelSize: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceil)
            case "max_pool2d": return maxPool2d(x, kernelSize: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceil)
            case "max_pool3d": return maxPool3d(x, kernelSize: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceil)
            case "avg_pool1d": return avgPool1d(x, kernelSize: kernel, stride: stride, padding: padding, ceilMode: ceil, countIncludePad: include)
            case "avg_pool2d": return avgPool2d(x, kernelSize: kernel, stride: stride, padding: padding, ceilMode: ceil, countIncludePad: include)
            case "avg_pool3d": return avgPool3d(x, kernelSize: kernel, stride: stride, padding: padding, ceilMode: ceil, countIncludePad: include)
            default: preconditionFailure("unexpected op \(op)")
            }
        }
    }

    func runConvolutions(dtype: DType, tolerance: (rtol: Double, atol: Double)) throws {
        let file = try Fixture.load("ops_real")
        let cases = try opsRealCases(file) { $0.hasPrefix("conv") }
        XCTAssertEqual(cases.count, 26, "conv1d/2d/3d (14) and conv_transpose1d/2d/3d (12) cases")
        for (id, meta) in cases {
            try checkOpsRealCase(file, id, roles: ["input", "weight", "bias"], dtype: dtype,
                                 rtol: tolerance.rtol, atol: tolerance.atol, convolution(meta))
        }
    }

    func runPooling(dtype: DType, tolerance: (rtol: Double, atol: Double)) throws {
        let file = try Fixture.load("ops_real")
        let cases = try opsRealCases(file) { $0.hasPrefix("max_pool") || $0.hasPrefix("avg_pool") }
        XCTAssertEqual(cases.count, 16, "max_pool and avg_pool 1/2/3-d cases")
        for (id, meta) in cases {
            try checkOpsRealCase(file, id, roles: ["input"], dtype: dtype, rtol: tolerance.rtol, atol: tolerance.atol, pooling(meta))
        }
    }

    func testConvolutionsMatchPyTorchFloat64() throws { try runConvolutions(dtype: .float64, tolerance: Self.float64) }
    func testConvolutionsMatchPyTorchFloat32() throws { try runConvolutions(dtype: .float32, tolerance: Self.float32) }
    func testPoolingMatchesPyTorchFloat64() throws { try runPooling(dtype: .float64, tolerance: Self.float64) }
    func testPoolingMatchesPyTorchFloat32() throws { try runPooling(dtype: .float32, tolerance: Self.float32) }

    // MARK: Pooling options the fixture file does not cover (values worked out by hand)

    func row(_ v: [Double]) -> Tensor { Tensor(shape: [1, 1, v.count], scalars: v) }

    func testMaxPoolTiesGoToTheFirstMaximum() {
        let x = row([1, 3, 3, 2, 0])
        let (y, g) = valueWithGradient(at: x) { sum(maxPool1d($0, kernelSize: 2, stride: 1)) }
        XCTAssertEqual(maxPool1d(x, kernelSize: 2, stride: 1).scalars, [3, 3, 3, 2])
        XCTAssertEqual(y.item, 11)
        XCTAssertEqual(g.scalars, [0, 2, 1, 1, 0])
    }

    func testMaxPoolDilation() {
        let x = row([0, 5, 1, 4, 2])
        XCTAssertEqual(maxPool1d(x, kernelSize: 2, stride: 1, dilation: 2).scalars, [1, 5, 2])
        let g = gradient(at: x) { sum(maxPool1d($0, kernelSize: 2, stride: 1, dilation: 2)) }
        XCTAssertEqual(g.scalars, [0, 1, 1, 0, 1])
    }

    func testMaxPoolPaddingIsMinusInfinity() {
        let x = row([-3, -1, -2])
        XCTAssertEqual(maxPool1d(x, kernelSize: 2, padding: 1).scalars, [-3, -1])
    }

    func testAvgPoolCeilModeClipsTheLastWindow() {
        // windows [0,1], [2,3], [4]: the last window only covers the input (no padding to count).
        XCTAssertEqual(avgPool1d(row([0, 1, 2, 3, 4]), kernelSize: 2, ceilMode: true).scalars, [0.5, 2.5, 4])
        // padding 1, ceil: windows start at -1, 1, 3, 5; the last spans [5, 7) (one padded slot counted).
        let y = avgPool1d(row([0, 1, 2, 3, 4, 5]), kernelSize: 3, stride: 2, padding: 1, ceilMode: true)
        assertClose(y, row([1.0 / 3, 2, 4, 2.5]))
    }

    func testAvgPoolCountIncludePad() {
        let x = row([0, 1, 2, 3, 4])
        assertClose(avgPool1d(x, kernelSize: 3, stride: 2, padding: 1), row([1.0 / 3, 2, 7.0 / 3]))
        assertClose(avgPool1d(x, kernelSize: 3, stride: 2, padding: 1, countIncludePad: false), row([0.5, 2, 3.5]))
        let g = gradient(at: x) { sum(avgPool1d($0, kernelSize: 3, stride: 2, padding: 1, countIncludePad: false)) }
        assertClose(g, row([0.5, 0.5 + 1.0 / 3, 1.0 / 3, 1.0 / 3 + 0.5, 0.5]))
    }

    /// A batch large enough to be processed in several multi-sample chunks (the kernels put
    /// up to 2¹⁷ column elements side by side; here 5 samples per chunk, chunks 5 + 2) gives
    /// the same values and gradients as one sample at a time.
    func testChunkedBatchesMatchSingleSamples() {
        let x = Sample.normal([7, 4, 36, 36], seed: 41), w = Sample.normal([6, 2, 3, 3], seed: 42)
        let b = Sample.normal([6], seed: 43), cot = Sample.normal([7, 6, 17, 36], seed: 44)
        func f(_ a: [Tensor]) -> [Tensor] { [conv2d(a[0], a[1], bias: a[2], stride: [2, 1], padding: [0, 1], groups: 2)] }
        let (y, pb) = valueWithPullback(at: [x, w, b], of: f)
        let g = pb([cot])
        var gw = Tensor.zeros(w.shape, dtype: .float64), gb = Tensor.zeros(b.shape, dtype: .float64)
        for n in 0..<7 {
            let xn = slice(x, axis: 0, start: n, end: n + 1), cn = slice(cot, axis: 0, start: n, end: n + 1)
            let (yn, pbn) = valueWithPullback(at: [xn, w, b], of: f)
            let gn = pbn([cn])
            assertClose(slice(y[0], axis: 0, start: n, end: n + 1), yn[0], rtol: 1e-12, "output of sample \(n)")
            assertClose(slice(g[0], axis: 0, start: n, end: n + 1), gn[0], rtol: 1e-12, "input gradient of sample \(n)")
            gw = gw + gn[1]; gb = gb + gn[2]
        }
        assertClose(g[1], gw, rtol: 1e-10, atol: 1e-10, "weight gradient")
        assertClose(g[2], gb, rtol: 1e-10, atol: 1e-10, "bias gradient")
    }

    func testConvolutionOutputShapes() {
        let x = Tensor.zeros([2, 4, 9, 8], dtype: .float64)
        XCTAssertEqual(conv2d(x, .zeros([6, 2, 3, 3], dtype: .float64), stride: [2, 1], padding: 1, dilation: [1, 2], groups: 2).shape,
                       [2, 6, 5, 6])
        XCTAssertEqual(convTranspose2d(x, .zeros([4, 3, 3, 2], dtype: .float64), stride: 2, padding: 1, outputPadding: [1, 0],
                                       groups: 2).shape, [2, 6, 18, 14])
        XCTAssertEqual(maxPool2d(x, kernelSize: 3, stride: 2, ceilMode: true).shape, [2, 4, 4, 4])
    }
}
