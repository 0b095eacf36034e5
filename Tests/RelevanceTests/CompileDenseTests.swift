import XCTest
import Autodiff
import NN
import Ops
import Relevance
import TestSupport

/// `compileDense`: every linear layer becomes a dense `SparseLinear` with its weight packed once,
/// and the compiled model's eval-mode outputs equal the original's bit for bit.
final class CompileDenseTests: XCTestCase {
    private func assertSameOutputs(_ model: Sequential<Tensor, Tensor>, input shape: [Int], linearCount: Int,
                                   file: StaticString = #filePath, line: UInt = #line) {
        let params = model.initialParameters(key: RandomKey(seed: 5))
        let (compiled, rest) = compileDense(model, parameters: params)
        let compiledLinears = compiled.layers.compactMap { $0 as? SparseLinear }
        XCTAssertEqual(compiledLinears.count, linearCount, file: file, line: line)
        XCTAssertTrue(compiledLinears.allSatisfy { !$0.isCSR }, "every weight stays dense", file: file, line: line)
        for batch in [1, 16, 17, 40] {
            let x = Sample.uniform([batch] + shape, 0, 1, seed: UInt64(batch), dtype: .float32)
            XCTAssertEqual(compiled(x, parameters: rest).scalars, model(x, parameters: params).scalars,
                           "batch \(batch)", file: file, line: line)
        }
    }

    func testMLPOutputsUnchanged() {
        let mlp = Sequential<Tensor, Tensor>(Flatten(1, -1), Linear(64, 40), ReLU(), Linear(40, 30), ReLU(), Linear(30, 10))
        assertSameOutputs(mlp, input: [1, 8, 8], linearCount: 3)
    }

    func testConvolutionalModelOutputsUnchanged() {
        let lenet = Sequential<Tensor, Tensor>(Conv2d(1, 4, 3), MaxPool2d(2), Flatten(1, -1), Linear(4 * 3 * 3, 20), ReLU(), Linear(20, 10))
        assertSameOutputs(lenet, input: [1, 8, 8], linearCount: 2)
    }

    /// Complex convolutions and linear layers compile to dense-storage sparse layers that run the
    /// same ops: outputs unchanged bit for bit.
    func testComplexModelOutputsUnchanged() {
        let model = Sequential<ComplexTensor, ComplexTensor>(CplxConv2d(2, 3, 3), CplxModReLU(), CplxFlatten(1, -1), CplxLinear(48, 5))
        let params = model.initialParameters(key: RandomKey(seed: 3))
        let (compiled, rest) = compileDense(model, parameters: params)
        XCTAssertFalse((compiled.layers[0] as? SparseComplexConvolution<Spatial2D>)?.isCSR ?? true)
        XCTAssertFalse((compiled.layers[3] as? SparseComplexLinear)?.isCSR ?? true)
        for batch in [1, 5, 17] {
            let z = Sample.complex([batch, 2, 6, 6], seed: UInt64(batch), dtype: .float32)
            let a = compiled(z, parameters: rest), b = model(z, parameters: params)
            XCTAssertEqual(a.real.scalars, b.real.scalars, "batch \(batch)")
            XCTAssertEqual(a.imag.scalars, b.imag.scalars, "batch \(batch)")
        }
    }

    /// The compiled model keeps the parameters of the layers it did not compile (a grouped
    /// convolution); a one-group convolution is compiled to a dense `SparseConvolution`.
    func testUncompiledLayersKeepTheirParameters() {
        let model = Sequential<Tensor, Tensor>(Conv2d(2, 4, 3, groups: 2), Conv2d(4, 4, 1), Flatten(1, -1), Linear(4 * 6 * 6, 10))
        let params = model.initialParameters(key: RandomKey(seed: 1))
        let (compiled, rest) = compileDense(model, parameters: params)
        XCTAssertEqual(Set(rest.keys), ["0.weight", "0.bias"])
        XCTAssertFalse((compiled.layers[1] as? SparseConvolution<Spatial2D>)?.isCSR ?? true)
        let x = Sample.uniform([3, 2, 8, 8], 0, 1, seed: 2, dtype: .float32)
        XCTAssertEqual(compiled(x, parameters: rest).scalars, model(x, parameters: params).scalars)
    }
}
