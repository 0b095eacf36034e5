import XCTest
import Autodiff
import Ops
import NN
import Relevance

/// log α of every layer that has one, the masked weight, relevance options without a threshold
/// for L0, both spellings of the traversals, gradients of trainable entries only, and batch-norm
/// statistics through `Context.training`.
final class AccessorTests: XCTestCase {
    let key = RandomKey(seed: 12)

    func testLogAlphaOfVDARDAndL0Layers() {
        let model = Sequential<Tensor, Tensor>(LinearVD(4, 3), ReLU(), LinearL0(3, 2, group: .input),
                                               ReLU(), LASSO(Linear(2, 2)))
        let p = model.initialParameters(key: key, dtype: .float64)
        let named = namedLogAlphas(model, parameters: p)
        XCTAssertEqual(named.map(\.path), ["0", "2"], "LASSO has no log α")
        // VD: log σ² − 2·log(|W| + 1e-12)
        let w = p["0.weight"]!.scalars, s2 = p["0.log_sigma2"]!.scalars
        for (k, v) in named[0].logAlpha.scalars.enumerated() { XCTAssertEqual(v, s2[k] - 2 * log(abs(w[k]) + 1e-12), accuracy: 1e-12) }
        XCTAssertEqual(named[1].logAlpha.shape, [1, 3])
        XCTAssertEqual(named[1].logAlpha.scalars, p["2.log_alpha"]!.scalars)
        let cplx = CplxLinearARD(3, 2), cp = cplx.initialParameters(key: key, dtype: .float64)
        XCTAssertEqual(cplx.logAlpha(parameters: cp).shape, [2, 3])
    }

    func testMaskedWeight() throws {
        let layer = LinearMasked(3, 2)
        var p = layer.initialParameters(key: key, dtype: .float64)
        p["mask"] = Tensor(shape: [2, 3], scalars: [1, 0, 1, 0, 0, 1], dtype: .float64)
        let w = p["weight"]!.scalars
        XCTAssertEqual(layer.maskedWeight(parameters: p).scalars, [w[0], 0, w[2], 0, 0, w[5]])
        let cplx = CplxLinearMasked(3, 2)
        var cp = cplx.initialParameters(key: key, dtype: .float64)
        cp["mask"] = Tensor(shape: [1, 3], scalars: [0, 1, 1], dtype: .float64)
        let cw = cplx.maskedWeight(parameters: cp)
        XCTAssertEqual(cw[1, 0], Complex(0, 0))
        XCTAssertEqual(cw[1, 2], Complex(cp["weight.real"]![1, 2], cp["weight.imag"]![1, 2]))
        cp["mask"] = nil
        XCTAssertEqual(cplx.maskedWeight(parameters: cp).real.scalars, cp["weight.real"]!.scalars, "no mask: the weight")
    }

    func testRelevanceWithoutThresholdForL0() throws {
        let model = Sequential<Tensor, Tensor>(LinearL0(4, 3), ReLU(), LinearL0(3, 2))
        var p = model.initialParameters(key: key, dtype: .float64)
        p["2.log_alpha"] = .full([2, 3], 10, dtype: .float64)   // gates closed
        XCTAssertFalse(RelevanceOptions(hard: true).hasThreshold)
        let masks = try computeARDMasks(model, parameters: p, hard: true)
        XCTAssertEqual(masks.keys, ["0.mask", "2.mask"])
        XCTAssertEqual(masks["0.mask"]!.scalars, [Double](repeating: 1, count: 12))
        XCTAssertEqual(masks["2.mask"]!.scalars, [Double](repeating: 0, count: 6))
        XCTAssertEqual(try sparsity(model, parameters: p, hard: true), 6.0 / Double(12 + 3 + 6 + 2))
    }

    func testGradientOfTrainableEntriesOnly() {
        let model = Sequential<Tensor, Tensor>(LinearMasked(4, 3), ReLU(), Linear(3, 2))
        let p = model.initialParameters(key: key, dtype: .float64)
        let x = Sample.normal([5, 4])
        func loss(_ q: ParameterTree) -> Tensor { crossEntropy(model(x, parameters: q), targets: [0, 1, 0, 1, 1]) }
        let (value, grads) = valueWithGradient(at: p, trainable: Optimizers.isTrainableByDefault, of: loss)
        XCTAssertEqual(grads.keys, ["0.weight", "0.bias", "2.weight", "2.bias"], "the mask is a constant")
        let (fullValue, full) = valueWithGradient(at: p, of: loss)
        XCTAssertEqual(value.item, fullValue.item)
        for k in grads.keys { XCTAssertEqual(grads[k]!.scalars, full[k]!.scalars, k) }
    }

    func testBatchNormStatisticsThroughATrainingContext() {
        let model = Sequential<Tensor, Tensor>(Linear(3, 4), BatchNorm1d(4))
        let p = model.initialParameters(key: key, dtype: .float64)
        let context = Context.training(key: key)
        let y = model(Sample.normal([8, 3]), parameters: p, context: context)
        XCTAssertEqual(y.shape, [8, 4])
        let updated = p.mergingUpdates(of: context)
        XCTAssertNotEqual(updated["1.running_mean"]!.scalars, p["1.running_mean"]!.scalars, "running mean moved")
        XCTAssertEqual(updated.keys, p.keys)
        XCTAssertEqual(p.mergingUpdates(of: Context(training: true)).keys, p.keys, "no sink: unchanged")
    }
}

private enum Sample {
    static func normal(_ shape: [Int]) -> Tensor { Ops.normal(shape, key: RandomKey(seed: 77), dtype: .float64) }
}
