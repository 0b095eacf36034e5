import XCTest
import Foundation
import Autodiff
import Ops
import NN
import Relevance
import TestSupport

/// The seed's pipeline end to end on a small synthetic task, for a real and a complex model:
/// dense training → Bayesian model by non-strict load (`log_sigma2` missing) → training with
/// `loss + coef·Σ penalties` → relevance masks → binarize → masked model by non-strict load
/// (`log_sigma2` unexpected) → fine-tuning. Only a few input features matter, so most weights
/// can go.
final class PipelineTests: XCTestCase {
    static let features = 16, classes = 3, hidden = 24

    /// Inputs N(0, 1) of 16 features; the label is the argmax of a fixed linear map that reads
    /// only features 0–3.
    static func dataset(_ n: Int, seed: UInt64) -> (x: Tensor, y: [Int]) {
        let x = Sample.normal([n, features], seed: seed, dtype: .float32)
        let a: [[Double]] = [[2, -1, 0.5, 0], [-1, 2, 0, 1], [0.5, 0.5, -2, -1.5]]
        let v = x.scalars
        let y = (0..<n).map { r in
            let scores = a.map { row in (0..<4).reduce(0.0) { $0 + row[$1] * v[r * features + $1] } }
            return scores.indices.max { scores[$0] < scores[$1] }!
        }
        return (x, y)
    }

    static func accuracy(_ logits: Tensor, _ y: [Int]) -> Double {
        let k = logits.shape[1], v = logits.scalars
        let hits = y.indices.filter { r in (0..<k).max { v[r * k + $0] < v[r * k + $1] }! == y[r] }.count
        return Double(hits) / Double(y.count)
    }

    /// Full-batch Adam on `loss`; `key` gives a fresh noise key per step (training mode).
    static func train<M: SequentialLayer>(_ model: M, _ params: ParameterTree, steps: Int, learningRate: Double,
                                          x: Tensor, y: [Int], coef: Double = 0, seed: UInt64) -> ParameterTree
    where M.Input == Tensor, M.Output == Tensor {
        let adam = Adam(learningRate: learningRate)
        var state = adam.initialState(for: params)
        var p = params
        for step in 0..<steps {
            let context = Context(training: true, key: RandomKey(seed: seed).fold(UInt64(step)))
            let g = gradient(at: p) { q in
                let data = crossEntropy(model(x, parameters: q, context: context), targets: y)
                return coef == 0 ? data : data + coef * totalPenalty(model, parameters: q)
            }
            p = adam.update(p, gradients: g, state: &state)
        }
        return p
    }

    func runPipeline<D: SequentialLayer, B: SequentialLayer, M: SequentialLayer>(dense: D, bayes: B, masked: M, name: String, coef: Double)
    throws where D.Input == Tensor, D.Output == Tensor, B.Input == Tensor, B.Output == Tensor,
                 M.Input == Tensor, M.Output == Tensor {
        let start = Date()
        let n = 384
        let train = Self.dataset(n, seed: 1), test = Self.dataset(1000, seed: 2)

        // 1. Dense model.
        var denseParams = dense.initialParameters(key: RandomKey(seed: 3))
        denseParams = Self.train(dense, denseParams, steps: 150, learningRate: 0.03, x: train.x, y: train.y, seed: 4)
        let denseAccuracy = Self.accuracy(dense(test.x, parameters: denseParams), test.y)

        // 2. Bayesian model from the dense weights: log_sigma2 is missing and stays at −10.
        let (bayesInit, bayesLoad) = try bayes.initialParameters(key: RandomKey(seed: 5)).loading(denseParams, strict: false)
        let variationalKeys = bayes.namedModules().filter { $0.module is any BayesianLayer }.map { $0.path + ".log_sigma2" }
        XCTAssertEqual(variationalKeys.count, 2)
        XCTAssertEqual(bayesLoad.missing, variationalKeys, "\(name): Bayesian load")
        XCTAssertEqual(bayesLoad.unexpected, [], "\(name): Bayesian load")
        assertClose(bayes(test.x, parameters: bayesInit), dense(test.x, parameters: denseParams), rtol: 1e-5, atol: 1e-6,
                    "\(name): the Bayesian model starts as the dense one (eval = mean)")

        // 3. Train with the KL penalty; `coef` sets the sparsity (1/N would be the ELBO per
        //    example; the seed suggests tuning it through an "effective dataset size").
        let bayesParams = Self.train(bayes, bayesInit, steps: 200, learningRate: 0.03, x: train.x, y: train.y,
                                     coef: coef, seed: 6)

        // 4. Masks at the threshold, binarize, load into the masked model.
        let threshold = 3.0
        let masks = computeARDMasks(bayes, parameters: bayesParams, threshold: threshold)
        var (stateDict, binary) = binarizeMasks(bayesParams, masks: masks)
        stateDict.merge(binary)
        let (maskedInit, maskedLoad) = try masked.initialParameters(key: RandomKey(seed: 7)).loading(stateDict, strict: false)
        XCTAssertEqual(maskedLoad.missing, [], "\(name): masked load")
        XCTAssertEqual(maskedLoad.unexpected, variationalKeys, "\(name): masked load")

        // 5. Fine-tune the masked model (masks are buffers: Adam leaves them alone).
        let maskedParams = Self.train(masked, maskedInit, steps: 60, learningRate: 0.01, x: train.x, y: train.y, seed: 8)
        for k in binary.keys { XCTAssertEqual(maskedParams[k]!.scalars, binary[k]!.scalars, "\(name): \(k) unchanged") }
        let maskedAccuracy = Self.accuracy(masked(test.x, parameters: maskedParams), test.y)

        let report = CompressionReport(masked, parameters: maskedParams, threshold: threshold)
        let bayesReport = CompressionReport(bayes, parameters: bayesParams, threshold: threshold)
        XCTAssertEqual(report.weightsKept, bayesReport.weightsKept, "\(name): masked and Bayesian counts agree")
        let seconds = Date().timeIntervalSince(start)
        print("\(name): dense accuracy \(denseAccuracy), masked accuracy \(maskedAccuracy), \(String(format: "%.1f", seconds)) s\n\(report)")
        XCTAssertGreaterThan(denseAccuracy, 0.9, "\(name): the dense model learns the task")
        XCTAssertGreaterThan(report.weightSparsity, 0.9, "\(name): more than 90% of the weights are dropped\n\(report)")
        XCTAssertGreaterThanOrEqual(maskedAccuracy, denseAccuracy - 0.02, "\(name): accuracy within 2 points of dense")
    }

    func testRealPipeline() throws {
        let f = Self.features, h = Self.hidden, c = Self.classes
        try runPipeline(dense: Sequential<Tensor, Tensor>(Linear(f, h), ReLU(), Linear(h, c)),
                        bayes: Sequential<Tensor, Tensor>(LinearVD(f, h), ReLU(), LinearVD(h, c)),
                        masked: Sequential<Tensor, Tensor>(LinearMasked(f, h), ReLU(), LinearMasked(h, c)), name: "real",
                        coef: 1.0 / 256)
    }

    func testComplexPipeline() throws {
        let f = Self.features / 2, h = 16, c = Self.classes
        func model(_ linear: (Int, Int) -> any SequentialLayer) -> Sequential<Tensor, Tensor> {
            Sequential<Tensor, Tensor>(RealToCplx(), linear(f, h), CplxModReLU(.fixed(0.1)), linear(h, c), CplxModulus())
        }
        try runPipeline(dense: model { CplxLinear($0, $1) }, bayes: model { CplxLinearVD($0, $1) },
                        masked: model { CplxLinearMasked($0, $1) }, name: "complex", coef: 1.0 / 128)
    }
}
