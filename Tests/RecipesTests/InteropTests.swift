import XCTest
import Recipes
import TestSupport

/// State dicts saved by PyTorch + cplxmodule users (`safetensors.torch.save_file`) load into the
/// Swift models and give cplxmodule's eval outputs; what Swift writes back is the same file content.
final class InteropTests: XCTestCase {
    /// cplxmodule's `CplxMNISTFullyConnected` with `CplxLinearVD` layers (fixture `cplx_mlp.vd`).
    static let complexMLP = FeatureClassifier(
        features: Sequential<Tensor, ComplexTensor>(Flatten(-3, -1), RealToCplx()),
        classifier: Sequential<ComplexTensor, Tensor>(CplxLinearVD(392, 8), CplxModReLU(.fixed(0.1)), CplxLinearVD(8, 10), CplxModulus()))

    /// `SmallConvNet`: torch Conv2d(1, 2, 5, stride 3) → ReLU → Flatten → LinearARD(128, 10).
    static let convNet = FeatureClassifier(
        features: Sequential<Tensor, Tensor>(Conv2d(1, 2, 5, stride: 3), ReLU(), Flatten(-3, -1)),
        classifier: Sequential<Tensor, Tensor>(LinearARD(128, 10)))

    func check(_ model: some Layer<Tensor, Tensor>, _ name: String) throws {
        let saved = try Fixture.load("interop/\(name)")
        let io = try Fixture.load("interop/\(name).io")
        let input = try Fixture.tensor(io, "input"), expected = try Fixture.tensor(io, "output")

        // strict load into a freshly initialised float64 model: every key matches
        let (params, report) = try model.initialParameters(key: RandomKey(seed: 0), dtype: .float64).loading(saved.tensors, strict: true)
        XCTAssertTrue(report.isClean, "\(name): \(report)")
        assertClose(model(input, parameters: params), expected, rtol: 1e-10, atol: 1e-12, "\(name) float64")

        // the same weights in float32
        let p32 = params.converted(to: .float32)
        assertClose(model(input.converted(to: .float32), parameters: p32), expected, rtol: 1e-5, atol: 1e-5, "\(name) float32")

        // written by Swift and read back: same keys, bit-identical values, loadable strictly again
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write(params, to: url)
        let back = try Safetensors.read(contentsOf: url)
        XCTAssertEqual(Set(back.tensors.keys), Set(saved.tensors.keys))
        for (k, t) in saved.tensors { XCTAssertTrue(back.tensors[k]!.isIdentical(to: t), "\(name): \(k)") }
        XCTAssertNoThrow(try model.initialParameters(key: RandomKey(seed: 1), dtype: .float64).loading(back.tensors, strict: true))
    }

    func testComplexVDModelSavedByCplxmodule() throws { try check(Self.complexMLP, "cplx_mlp_vd") }

    func testConvARDModelSavedByCplxmodule() throws { try check(Self.convNet, "conv2d_linear_ard") }

    func testOurKeyOrderIsCplxmodules() {
        // cplxmodule's state_dict order (own log_sigma2 first, then weight.imag before weight.real)
        XCTAssertEqual(Self.complexMLP.initialParameters(key: RandomKey(seed: 0)).keys,
                       ["classifier.0.log_sigma2", "classifier.0.weight.imag", "classifier.0.weight.real", "classifier.0.bias.imag",
                        "classifier.0.bias.real", "classifier.2.log_sigma2", "classifier.2.weight.imag", "classifier.2.weight.real",
                        "classifier.2.bias.imag", "classifier.2.bias.real"])
        XCTAssertEqual(Self.convNet.initialParameters(key: RandomKey(seed: 0)).keys,
                       ["features.0.weight", "features.0.bias", "classifier.0.weight", "classifier.0.bias", "classifier.0.log_sigma2"])
    }
}
