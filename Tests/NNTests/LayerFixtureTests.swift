import XCTest
import Foundation
import Autodiff
import Ops
import NN
import TestSupport

// Parity of every layer with PyTorch / cplxmodule (Tests/Fixtures/layers.safetensors):
// eval forward, and the VJP with the stored cotangent with respect to the inputs and every
// parameter; batch norm also in training mode with the running statistics after one step.

/// A layer under test, type-erased to "parts in, parts out": a complex value is two real
/// tensors (real, imaginary), so the gradient of every part is compared separately.
struct LayerCase {
    /// The fixture case id (float64; the float32 twin adds `.f32`).
    let id: String
    /// The module, for its keys and initial parameters.
    let module: any Module
    /// Input roles in call order and whether each is complex.
    let inputs: [(role: String, complex: Bool)]
    /// Whether the output is complex.
    let complexOutput: Bool
    /// Applies the layer to input parts.
    let run: ([Tensor], ParameterTree, Context) -> [Tensor]

    /// A single-input layer; the input and output kinds come from its types.
    init<L: SequentialLayer>(_ id: String, _ layer: L) {
        self.id = id
        self.module = layer
        self.inputs = [("input", L.Input.kind == .complex)]
        self.complexOutput = L.Output.kind == .complex
        self.run = { parts, p, ctx in
            let a: Activation = L.Input.kind == .complex ? .complex(ComplexTensor(real: parts[0], imag: parts[1])) : .real(parts[0])
            return LayerCase.parts(layer(L.Input(a)!, parameters: p, context: ctx).activation)
        }
    }

    /// A layer of two inputs (`input1`, `input2`).
    init(_ id: String, module: any Module, complex: Bool, run: @escaping ([Tensor], ParameterTree, Context) -> [Tensor]) {
        self.id = id
        self.module = module
        self.inputs = [("input1", complex), ("input2", complex)]
        self.complexOutput = complex
        self.run = run
    }

    static func parts(_ a: Activation) -> [Tensor] {
        switch a {
        case .real(let t): return [t]
        case .complex(let z): return [z.real, z.imag]
        }
    }
}

/// Every layer case of layers.safetensors that is not batch norm, with the layer built from
/// the case's constructor arguments.
enum LayerCases {
    static var real: [LayerCase] { [
        LayerCase("Linear.bias", Linear(5, 4)),
        LayerCase("Linear.nobias", Linear(5, 4, bias: false)),
        LayerCase("Bilinear.bias", module: Bilinear(4, 5, 3), complex: false) { x, p, c in
            [Bilinear(4, 5, 3)((x[0], x[1]), parameters: p, context: c)]
        },
        LayerCase("Conv1d.stride2_pad1_groups2", Conv1d(4, 6, 3, stride: 2, padding: 1, dilation: 1, groups: 2, bias: true)),
        LayerCase("Conv1d.dil2_nobias", Conv1d(2, 3, 2, stride: 1, padding: 0, dilation: 2, groups: 1, bias: false)),
        LayerCase("Conv2d.stride2_1_pad1_dil1_2", Conv2d(2, 4, [3, 2], stride: [2, 1], padding: 1, dilation: [1, 2])),
        LayerCase("Conv2d.groups2", Conv2d(4, 4, 3, stride: 1, padding: 1, groups: 2)),
        LayerCase("Conv3d.pad1", Conv3d(2, 2, 2, padding: 1)),
        LayerCase("ConvTranspose1d.stride2_pad1_outpad1_groups2", ConvTranspose1d(4, 2, 3, stride: 2, padding: 1, outputPadding: 1, groups: 2)),
        LayerCase("ConvTranspose2d.stride2_pad1_outpad1", ConvTranspose2d(2, 3, 3, stride: 2, padding: 1, outputPadding: 1)),
        LayerCase("ConvTranspose2d.dil2_nobias", ConvTranspose2d(2, 2, 2, bias: false, dilation: 2)),
        LayerCase("ConvTranspose3d.stride2", ConvTranspose3d(2, 2, 2, stride: 2)),
    ] }

    static var complex: [LayerCase] { [
        LayerCase("CplxLinear.bias", CplxLinear(5, 4)),
        LayerCase("CplxLinear.nobias", CplxLinear(5, 4, bias: false)),
        LayerCase("CplxBilinear.conj", module: CplxBilinear(4, 5, 3, conjugate: true), complex: true) { x, p, c in
            let z = CplxBilinear(4, 5, 3, conjugate: true)((ComplexTensor(real: x[0], imag: x[1]), ComplexTensor(real: x[2], imag: x[3])),
                                                          parameters: p, context: c)
            return [z.real, z.imag]
        },
        LayerCase("CplxBilinear.noconj", module: CplxBilinear(4, 5, 3, conjugate: false), complex: true) { x, p, c in
            let z = CplxBilinear(4, 5, 3, conjugate: false)((ComplexTensor(real: x[0], imag: x[1]), ComplexTensor(real: x[2], imag: x[3])),
                                                           parameters: p, context: c)
            return [z.real, z.imag]
        },
        LayerCase("CplxConv1d.stride2_pad1_groups2", CplxConv1d(4, 6, 3, stride: 2, padding: 1, groups: 2)),
        LayerCase("CplxConv1d.dil2_nobias", CplxConv1d(2, 3, 2, dilation: 2, bias: false)),
        LayerCase("CplxConv2d.stride2_1_pad1_dil1_2", CplxConv2d(2, 4, [3, 2], stride: [2, 1], padding: 1, dilation: [1, 2])),
        LayerCase("CplxConv2d.groups2", CplxConv2d(4, 4, 3, padding: 1, groups: 2)),
        LayerCase("CplxConv3d.pad1", CplxConv3d(2, 2, 2, padding: 1)),
        LayerCase("CplxConvTranspose1d.stride2_pad1_outpad1_groups2",
                  CplxConvTranspose1d(4, 2, 3, stride: 2, padding: 1, outputPadding: 1, groups: 2)),
        // cplxmodule's default is no bias; ours follows PyTorch, so the fixture's default needs bias: false
        LayerCase("CplxConvTranspose1d.default_nobias", CplxConvTranspose1d(2, 3, 3, bias: false)),
        LayerCase("CplxConvTranspose2d.stride2_pad1_outpad1_dil2",
                  CplxConvTranspose2d(2, 3, 3, stride: 2, padding: 1, outputPadding: 1, dilation: 2)),
        LayerCase("CplxConvTranspose3d.stride2_groups2", CplxConvTranspose3d(2, 4, 2, stride: 2, groups: 2)),
        LayerCase("CplxModReLU.fixed0.5", CplxModReLU(.fixed(0.5))),
        LayerCase("CplxModReLU.learnable", CplxModReLU(.learnable)),
        LayerCase("CplxAdaptiveModReLU.dim5", CplxAdaptiveModReLU(5)),
        LayerCase("CplxAdaptiveModReLU.default", CplxAdaptiveModReLU()),
        LayerCase("CplxModulus.basic", CplxModulus()),
        LayerCase("CplxAngle.basic", CplxAngle()),
        LayerCase("CplxMaxPool1d.k2", CplxMaxPool1d(2)),
        LayerCase("CplxMaxPool2d.k3_s2_p1", CplxMaxPool2d(3, stride: 2, padding: 1)),
        LayerCase("CplxPhaseShift.per_channel", CplxPhaseShift(3, 1)),
        LayerCase("RealToCplx.interleaved", RealToCplx()),
        LayerCase("ConcatenatedRealToCplx.basic", ConcatenatedRealToCplx()),
        LayerCase("CplxToReal.interleaved", CplxToReal()),
        LayerCase("CplxToConcatenatedReal.basic", CplxToConcatenatedReal()),
        LayerCase("AsTypeCplx.basic", AsTypeCplx()),
        LayerCase("TensorToCplx.basic", TensorToCplx()),
        LayerCase("CplxToTensor.basic", CplxToTensor()),
        LayerCase("CplxReal.basic", CplxReal()),
        LayerCase("CplxImag.basic", CplxImag()),
    ] }

    /// The batch-norm pairs: (case prefix, layer). `.train` and `.eval` cases exist for each.
    static var batchNorm: [(id: String, layer: LayerCase)] { [
        ("BatchNorm1d.input2d", LayerCase("BatchNorm1d.input2d", BatchNorm1d(3))),
        ("BatchNorm1d.input3d", LayerCase("BatchNorm1d.input3d", BatchNorm1d(3))),
        ("BatchNorm2d.basic", LayerCase("BatchNorm2d.basic", BatchNorm2d(3))),
        ("CplxBatchNorm1d.input2d", LayerCase("CplxBatchNorm1d.input2d", CplxBatchNorm1d(3))),
        ("CplxBatchNorm1d.input3d", LayerCase("CplxBatchNorm1d.input3d", CplxBatchNorm1d(3))),
        ("CplxBatchNorm2d.basic", LayerCase("CplxBatchNorm2d.basic", CplxBatchNorm2d(3))),
    ] }
}

/// Tolerances of the parity tests: float64 rtol 1e-10, float32 rtol 1e-5 (atol for values that
/// cancel to ~0: 1e-12 and 1e-6 of the typical magnitude 1).
func tolerances(_ dtype: DType) -> (rtol: Double, atol: Double) {
    dtype == .float64 ? (1e-10, 1e-12) : (1e-5, 1e-6)
}

/// Runs one fixture case: forward (in `training` mode if asked) and the VJP with the stored
/// cotangent with respect to every input part and every parameter listed in the metadata.
/// Returns the state updates recorded during the forward.
@discardableResult
func checkLayerCase(_ lc: LayerCase, caseID cid: String, file: SafetensorsFile, training: Bool = false,
                    line: UInt = #line) throws -> ParameterTree {
    let meta = try Fixture.metadata(file, case: cid)
    let params = Fixture.params(file, case: cid)
    var inputParts: [Tensor] = []
    for (role, complex) in lc.inputs {
        if complex {
            let z = try Fixture.complex(file, "\(cid)/\(role)")
            inputParts += [z.real, z.imag]
        } else {
            inputParts.append(try Fixture.tensor(file, "\(cid)/\(role)"))
        }
    }
    let expected: [Tensor], cot: [Tensor]
    if lc.complexOutput {
        let o = try Fixture.complex(file, "\(cid)/output"), c = try Fixture.complex(file, "\(cid)/cot")
        expected = [o.real, o.imag]; cot = [c.real, c.imag]
    } else {
        expected = [try Fixture.tensor(file, "\(cid)/output")]; cot = [try Fixture.tensor(file, "\(cid)/cot")]
    }
    let dtype = expected[0].dtype
    let (rtol, atol) = tolerances(dtype)
    let key = RandomKey(seed: 7)

    // forward (values)
    let updates = StateUpdates()
    let out = lc.run(inputParts, params, Context(training: training, key: key, state: updates))
    XCTAssertEqual(out.count, expected.count, "\(cid): output parts", line: line)
    for (i, (o, e)) in zip(out, expected).enumerated() {
        XCTAssertEqual(o.dtype, dtype, "\(cid): output dtype", line: line)
        assertClose(o, e, rtol: rtol, atol: atol, "\(cid) output part \(i)", line: line)
    }

    // VJP: L = Σ cot·out over the parts
    let paramKeys = (meta["parameters"] as? [String]) ?? []
    let nIn = inputParts.count
    let (_, grads) = valueWithGradient(at: inputParts + paramKeys.map { params[$0]! }) { xs in
        var p = params
        for (k, v) in zip(paramKeys, xs[nIn...]) { p[k] = v }
        let ys = lc.run(Array(xs[..<nIn]), p, Context(training: training, key: key))
        var loss = sum(ys[0] * cot[0])
        for i in 1..<ys.count { loss = loss + sum(ys[i] * cot[i]) }
        return loss
    }
    var gi = 0
    for (role, complex) in lc.inputs {
        if complex {
            let g = try Fixture.complex(file, "\(cid)/grad/\(role)")
            assertClose(grads[gi], g.real, rtol: rtol, atol: atol, "\(cid) grad \(role).real", line: line)
            assertClose(grads[gi + 1], g.imag, rtol: rtol, atol: atol, "\(cid) grad \(role).imag", line: line)
            gi += 2
        } else {
            assertClose(grads[gi], try Fixture.tensor(file, "\(cid)/grad/\(role)"), rtol: rtol, atol: atol,
                        "\(cid) grad \(role)", line: line)
            gi += 1
        }
    }
    for (i, k) in paramKeys.enumerated() {
        assertClose(grads[nIn + i], try Fixture.tensor(file, "\(cid)/grad/\(k)"), rtol: rtol, atol: atol,
                    "\(cid) grad \(k)", line: line)
    }
    return updates.tree
}

final class LayerFixtureTests: XCTestCase {
    func testRealLayersFloat64AndFloat32() throws {
        let file = try Fixture.load("layers")
        for lc in LayerCases.real {
            try checkLayerCase(lc, caseID: lc.id, file: file)
            try checkLayerCase(lc, caseID: lc.id + ".f32", file: file)
        }
    }

    func testRealBatchNormTrainingStepAndEval() throws {
        let file = try Fixture.load("layers")
        for (id, lc) in LayerCases.batchNorm where !id.hasPrefix("Cplx") {
            for suffix in ["", ".f32"] {
                try checkBatchNormPair(lc, id: id, suffix: suffix, file: file)
            }
        }
    }

    /// Pooling layers against the functional fixtures of ops_real (the layer must pass its
    /// options — stride defaulting to the kernel — exactly as PyTorch's module does).
    func testPoolingLayers() throws {
        let file = try Fixture.load("ops_real")
        let cases: [LayerCase] = [
            LayerCase("max_pool1d.k2", MaxPool1d(2)),
            LayerCase("max_pool1d.k3_s2_p1", MaxPool1d(3, stride: 2, padding: 1)),
            LayerCase("max_pool1d.k3_s1", MaxPool1d(3, stride: 1)),
            LayerCase("max_pool2d.k2", MaxPool2d(2)),
            LayerCase("max_pool2d.k3_2_s2_1_p1_0", MaxPool2d([3, 2], stride: [2, 1], padding: [1, 0])),
            LayerCase("max_pool2d.k3_s2_p1", MaxPool2d(3, stride: 2, padding: 1)),
            LayerCase("max_pool3d.k2", MaxPool3d(2)),
            LayerCase("max_pool3d.k3_s2_p1", MaxPool3d(3, stride: 2, padding: 1)),
            LayerCase("avg_pool1d.k2", AvgPool1d(2)),
            LayerCase("avg_pool1d.k3_s2_p1", AvgPool1d(3, stride: 2, padding: 1)),
            LayerCase("avg_pool1d.k3_s1", AvgPool1d(3, stride: 1)),
            LayerCase("avg_pool2d.k2", AvgPool2d(2)),
            LayerCase("avg_pool2d.k3_2_s2_1_p1_0", AvgPool2d([3, 2], stride: [2, 1], padding: [1, 0])),
            LayerCase("avg_pool2d.k3_s2_p1", AvgPool2d(3, stride: 2, padding: 1)),
            LayerCase("avg_pool3d.k2", AvgPool3d(2)),
            LayerCase("avg_pool3d.k3_s2_p1", AvgPool3d(3, stride: 2, padding: 1)),
        ]
        for lc in cases { try checkLayerCase(lc, caseID: lc.id, file: file) }
    }

    func testDropout() {
        let x = Sample.normal([200, 50], seed: 3)
        let layer = Dropout(0.3)
        // eval: identity, and no key needed
        XCTAssertTrue(layer(x, parameters: [:]).isIdentical(to: x))
        let y = layer(x, parameters: [:], context: Context(training: true, key: RandomKey(seed: 1)))
        let xs = x.scalars, ys = y.scalars
        var dropped = 0
        for i in 0..<xs.count {
            if ys[i] == 0 { dropped += 1 } else { XCTAssertEqual(ys[i], xs[i] / 0.7, accuracy: 1e-12) }
        }
        let rate = Double(dropped) / Double(xs.count)
        XCTAssertEqual(rate, 0.3, accuracy: 0.02, "drop rate")
        // the same key and path give the same mask; another key another one
        let y2 = layer(x, parameters: [:], context: Context(training: true, key: RandomKey(seed: 1)))
        XCTAssertTrue(y2.isIdentical(to: y))
        let y3 = layer(x, parameters: [:], context: Context(training: true, key: RandomKey(seed: 2)))
        XCTAssertFalse(y3.isIdentical(to: y))
        // gradient: the mask scaled by 1/(1 − p)
        let g = gradient(at: x) { sum(layer($0, parameters: [:], context: Context(training: true, key: RandomKey(seed: 1)))) }
        for i in 0..<xs.count { XCTAssertEqual(g.scalars[i], ys[i] == 0 ? 0 : 1 / 0.7, accuracy: 1e-12) }
    }
}

/// A batch-norm `.train` case (output, gradients through the batch statistics, buffers after
/// the step) and its `.eval` twin (running statistics).
func checkBatchNormPair(_ lc: LayerCase, id: String, suffix: String, file: SafetensorsFile,
                        line: UInt = #line) throws {
    let train = id + ".train" + suffix
    let updates = try checkLayerCase(lc, caseID: train, file: file, training: true, line: line)
    let after = Fixture.entries(file, case: train, role: "state_after")
    XCTAssertEqual(Set(updates.keys), Set(after.keys), "\(train): updated buffers", line: line)
    let (rtol, atol) = tolerances(suffix.isEmpty ? .float64 : .float32)
    for (k, v) in after {
        guard let u = updates[k] else { continue }
        assertClose(u, v, rtol: rtol, atol: atol, "\(train) state_after/\(k)", line: line)
    }
    XCTAssertEqual(updates["num_batches_tracked"]?.dtype, .float64, "num_batches_tracked is float64", line: line)
    // the .eval case's parameters are the state after the training call
    let evalParams = Fixture.params(file, case: id + ".eval" + suffix)
    for (k, v) in after { assertClose(evalParams[k]!, v, rtol: 0, atol: 0, "\(id).eval param \(k)", line: line) }
    try checkLayerCase(lc, caseID: id + ".eval" + suffix, file: file, line: line)
}
