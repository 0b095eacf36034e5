import XCTest
import Foundation
import NN
import Ops
import TestSupport

/// Convolutions with PyTorch's `padding_mode='circular'` against `nn.ConvNd(padding_mode='circular')`
/// (`Tests/Fixtures/padding.safetensors`): real forwards and VJPs through the op and the layer,
/// complex forwards against torch's complex convolution.
final class CircularPaddingFixtureTests: XCTestCase {
    static let float64 = (rtol: 1e-10, atol: 1e-12)
    static let float32 = (rtol: 1e-5, atol: 1e-5)

    /// The per-axis options of a case.
    private func options(_ meta: [String: Any]) -> (stride: [Int], padding: [Int], dilation: [Int], groups: Int) {
        (spatialMeta(meta["stride"])!, spatialMeta(meta["padding"])!, spatialMeta(meta["dilation"])!, meta["groups"] as! Int)
    }

    private func realCases() throws -> [(id: String, meta: [String: Any])] {
        let file = try Fixture.load("padding")
        return try Fixture.cases(file).filter { $0.hasPrefix("circular.conv") }.map { ($0, try Fixture.metadata(file, case: $0)) }
    }

    func testRealCircularConvolutionsMatchPyTorch() throws {
        let file = try Fixture.load("padding")
        let cases = try realCases()
        XCTAssertEqual(cases.count, 5)
        for (id, meta) in cases {
            XCTAssertEqual(meta["padding_mode"] as? String, "circular")
            let o = options(meta)
            for (dtype, tol) in [(DType.float64, Self.float64), (.float32, Self.float32)] {
                try checkOpsRealCase(file, id, roles: ["input", "weight", "bias"], dtype: dtype, rtol: tol.rtol, atol: tol.atol) { a in
                    convolution(a["input"]!, a["weight"]!, bias: a["bias"], stride: o.stride, padding: o.padding,
                                dilation: o.dilation, groups: o.groups, paddingMode: .circular)
                }
            }
        }
    }

    /// The layers read `paddingMode` and reach the same op: `Conv1d/2d/3d(…, paddingMode: .circular)`
    /// with the fixture's weight and bias give PyTorch's output.
    func testCircularConvolutionLayersMatchPyTorch() throws {
        let file = try Fixture.load("padding")
        for (id, meta) in try realCases() {
            let o = options(meta)
            let x = try Fixture.tensor(file, "\(id)/input"), w = try Fixture.tensor(file, "\(id)/weight")
            let bias = meta["bias"] as! Bool
            var p: ParameterTree = ["weight": w]
            if bias { p["bias"] = try Fixture.tensor(file, "\(id)/bias") }
            let (cin, cout, k) = (w.shape[1] * o.groups, w.shape[0], Array(w.shape.dropFirst(2)))
            let y: Tensor
            switch k.count {
            case 1: y = Conv1d(cin, cout, k, stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups,
                               bias: bias, paddingMode: .circular)(x, parameters: p, context: Context(training: false))
            case 2: y = Conv2d(cin, cout, k, stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups,
                               bias: bias, paddingMode: .circular)(x, parameters: p, context: Context(training: false))
            default: y = Conv3d(cin, cout, k, stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups,
                                bias: bias, paddingMode: .circular)(x, parameters: p, context: Context(training: false))
            }
            assertClose(y, try Fixture.tensor(file, "\(id)/output"), rtol: Self.float64.rtol, atol: Self.float64.atol, "\(id) layer")
        }
    }

    func testComplexCircularConvolutionsMatchPyTorch() throws {
        let file = try Fixture.load("padding")
        let cases = Fixture.cases(file).filter { $0.hasPrefix("circular.complex_conv") }
        XCTAssertEqual(cases.count, 2)
        for id in cases {
            let o = options(try Fixture.metadata(file, case: id))
            let z = try Fixture.complex(file, "\(id)/input"), w = try Fixture.complex(file, "\(id)/weight")
            let b = try Fixture.complex(file, "\(id)/bias"), expected = try Fixture.complex(file, "\(id)/output")
            let y = convolution(z, w, bias: b, stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups,
                                paddingMode: .circular)
            assertClose(y, expected, rtol: Self.float64.rtol, atol: Self.float64.atol, "\(id)")
            // the layer, through the tree's weight.real/imag and bias.real/imag
            let p: ParameterTree = ["weight.real": w.real, "weight.imag": w.imag, "bias.real": b.real, "bias.imag": b.imag]
            let (cin, cout, k) = (w.shape[1] * o.groups, w.shape[0], Array(w.shape.dropFirst(2)))
            let ctx = Context(training: false)
            let yl = k.count == 1
                ? CplxConv1d(cin, cout, k, stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups,
                             paddingMode: .circular)(z, parameters: p, context: ctx)
                : CplxConv2d(cin, cout, k, stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups,
                             paddingMode: .circular)(z, parameters: p, context: ctx)
            assertClose(yl, expected, rtol: Self.float64.rtol, atol: Self.float64.atol, "\(id) layer")
        }
    }

    /// Circular padding wraps: the left border is the end of the axis and the right border its start.
    func testCircularPadWrapsAround() {
        let x = Tensor(shape: [1, 4], scalars: [1.0, 2, 3, 4])
        XCTAssertEqual(circularPad(x, [2]).scalars, [3, 4, 1, 2, 3, 4, 1, 2])
        XCTAssertEqual(circularPad(x, [0]).scalars, x.scalars)
    }
}
