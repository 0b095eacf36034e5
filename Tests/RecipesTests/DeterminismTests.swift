import XCTest
import Foundation
import Dispatch
import Kernels
import Autodiff
import Ops
import NN
import Relevance
import Recipes

/// One training-step gradient (cross entropy + penalties, training mode with noise).
private func stepGradient(_ model: any Layer<Tensor, Tensor>, _ params: ParameterTree, _ data: LabeledDataset, key: RandomKey) -> ParameterTree {
    let (x, y) = data.batch(Array(0..<data.count))
    let ctx = Context(training: true, key: key)
    return gradient(at: params) { p in
        crossEntropy(model(x, parameters: p, context: ctx), targets: y) + 1e-3 * totalPenalty(model, parameters: p)
    }
}

/// Thread safety and determinism: gradient calls on independent parameter trees may run on
/// several threads at once and give exactly the serial results, and the GEMM thread count
/// does not change any bit of a training run.
final class DeterminismTests: XCTestCase {
    /// A labelled batch of `n` random inputs of `features` values and labels in 0..<classes.
    func randomData(_ n: Int, features: Int, classes: Int, seed: UInt64) -> LabeledDataset {
        let x = normal([n, features], key: RandomKey(seed: seed))
        var rng = SplitMix64(seed: seed)
        return LabeledDataset(name: "random", inputs: x, labels: (0..<n).map { _ in Int(rng.next() % UInt64(classes)) },
                              classNames: (0..<classes).map(String.init))
    }

    func bits(_ t: Tensor) -> [UInt8] { t.withUnsafeRawBytes { Array($0) } }

    func assertBitIdentical(_ a: ParameterTree, _ b: ParameterTree, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.keys, b.keys, what, file: file, line: line)
        for (k, t) in a {
            guard let u = b[k] else { continue }
            XCTAssertTrue(t.shape == u.shape && t.dtype == u.dtype && bits(t) == bits(u), "\(what): \(k) differs", file: file, line: line)
        }
    }

    /// Several threads computing gradients of independent trees get exactly the serial results.
    func checkConcurrentGradients(_ arch: Architecture, flavor: LayerFlavor, features: Int, hidden: Int, batch: Int) throws {
        let data = randomData(batch, features: features, classes: 6, seed: 11)
        let model = try makeClassifier(arch, flavor: flavor, sampleShape: [features], classes: 6, hidden: hidden)
        let jobs = 4
        let trees = (0..<jobs).map { model.initialParameters(key: RandomKey(seed: UInt64(100 + $0))) }
        let serial = (0..<jobs).map { stepGradient(model, trees[$0], data, key: RandomKey(seed: UInt64($0))) }

        final class Results: @unchecked Sendable {   // each slot written by exactly one iteration
            var trees: [ParameterTree?]
            init(_ n: Int) { trees = Array(repeating: nil, count: n) }
        }
        for round in 0..<2 {
            let results = Results(jobs)
            results.trees.withUnsafeMutableBufferPointer { slots in
                nonisolated(unsafe) let slots = slots
                DispatchQueue.concurrentPerform(iterations: jobs) { j in
                    slots[j] = stepGradient(model, trees[j], data, key: RandomKey(seed: UInt64(j)))
                }
            }
            for j in 0..<jobs {
                assertBitIdentical(results.trees[j]!, serial[j], "\(arch.rawValue)/\(flavor.rawValue) round \(round) job \(j)")
            }
        }
    }

    func testConcurrentGradientsOfRealModelMatchSerial() throws {
        // batch 64 × 256 inputs × hidden 160 ≈ 2.6 M multiply-adds: large enough for the GEMM pool
        try checkConcurrentGradients(.mlp, flavor: .vd, features: 256, hidden: 160, batch: 64)
    }

    func testConcurrentGradientsOfComplexModelMatchSerial() throws {
        try checkConcurrentGradients(.cplxMLP, flavor: .vd, features: 128, hidden: 48, batch: 32)
    }

    /// Training with the GEMM on one thread and on two gives the same bits.
    func testTrainingIsBitIdenticalAtOneAndTwoGEMMThreads() throws {
        let saved = wt_get_num_threads()
        defer { wt_set_num_threads(saved) }
        // 784 → 64 → 10 with batches of 128: the first layer's products (≈ 6.4 M multiply-adds) are split over the pool
        let data = randomData(384, features: 784, classes: 10, seed: 5)
        var results: [Int32: (ParameterTree, OptimizerState)] = [:]
        for threads in [1, 2] as [Int32] {
            XCTAssertEqual(wt_set_num_threads(threads), threads)
            for flavor in [LayerFlavor.dense, .vd] {
                let model = try makeClassifier(.mlp, flavor: flavor, sampleShape: [784], classes: 10, hidden: 64)
                var options = TrainingOptions()
                options.epochs = 1
                options.batchSize = 128
                options.seed = 3
                let r = try train(model, parameters: model.initialParameters(key: RandomKey(seed: 3)), data: data, options: options)
                XCTAssertEqual(r.optimizerState.step, 3)
                if flavor == .vd { results[threads] = (r.parameters, r.optimizerState) }
                else { results[threads + 10] = (r.parameters, r.optimizerState) }
            }
        }
        for offset in [0, 10] as [Int32] {
            let (p1, s1) = results[1 + offset]!, (p2, s2) = results[2 + offset]!
            assertBitIdentical(p1, p2, "parameters, 1 vs 2 GEMM threads (\(offset == 0 ? "vd" : "dense"))")
            assertBitIdentical(s1.buffers, s2.buffers, "optimizer state, 1 vs 2 GEMM threads")
        }
    }

    /// LeNet-5 with Conv2dVD: im2col/col2im, pooling, the noise, the KL sums and Adam are split over
    /// threads too (per sample, per plane, or in fixed blocks); two steps at 1, 2 and 3 threads agree bit for bit.
    func testLeNet5VDTrainingIsBitIdenticalAtOneTwoAndThreeThreads() throws {
        let saved = wt_get_num_threads()
        defer { wt_set_num_threads(saved) }
        let flat = randomData(96, features: 784, classes: 10, seed: 9)
        let data = LabeledDataset(name: "images", inputs: reshape(flat.inputs, [96, 1, 28, 28]), labels: flat.labels,
                                  classNames: flat.classNames)
        var results: [(ParameterTree, OptimizerState)] = []
        for threads in [1, 2, 3] as [Int32] {
            XCTAssertEqual(wt_set_num_threads(threads), threads)
            let model = try makeClassifier(.lenet5, flavor: .vd, sampleShape: [1, 28, 28], classes: 10)
            var options = TrainingOptions()
            options.epochs = 1
            options.batchSize = 48
            options.seed = 4
            let r = try train(model, parameters: model.initialParameters(key: RandomKey(seed: 4)), data: data, options: options)
            XCTAssertEqual(r.optimizerState.step, 2)
            results.append((r.parameters, r.optimizerState))
        }
        for k in 1..<results.count {
            assertBitIdentical(results[0].0, results[k].0, "LeNet-5 VD parameters, 1 vs \(k + 1) threads")
            assertBitIdentical(results[0].1.buffers, results[k].1.buffers, "LeNet-5 VD optimizer state, 1 vs \(k + 1) threads")
        }
    }

    /// The GEMM itself: every element is reduced in the same order whatever the thread count
    /// (the product is split along m or n, never along k), including ragged edges and transposes.
    func testGEMMBitIdenticalAcrossThreadCounts() {
        let saved = wt_get_num_threads()
        defer { wt_set_num_threads(saved) }
        // each above the threads threshold (2¹⁹ multiply-adds, counted on the padded shape), split along n, m, n and m, with ragged edges
        for (m, n, k) in [(67, 301, 129), (300, 37, 200), (1, 4099, 520), (2049, 3, 350)] {
            for (ta, tb) in [(0, 0), (1, 0), (0, 1), (1, 1)] as [(Int32, Int32)] {
                let a = normal([m * k], key: RandomKey(seed: UInt64(m))).scalars(as: Float.self)
                let b = normal([k * n], key: RandomKey(seed: UInt64(n))).scalars(as: Float.self)
                var outs: [[Float]] = []
                for threads in [1, 2, 3] as [Int32] {
                    wt_set_num_threads(threads)
                    var c = [Float](repeating: .nan, count: m * n)
                    wt_sgemm(ta, tb, m, n, k, 1, a, ta == 1 ? m : k, b, tb == 1 ? k : n, 0, &c, n)
                    outs.append(c)
                }
                XCTAssertTrue(outs[0] == outs[1] && outs[0] == outs[2], "sgemm \(m)×\(n)×\(k) trans \(ta)\(tb)")
                let ad = a.map(Double.init), bd = b.map(Double.init)
                var douts: [[Double]] = []
                for threads in [1, 2] as [Int32] {
                    wt_set_num_threads(threads)
                    var c = [Double](repeating: .nan, count: m * n)
                    wt_dgemm(ta, tb, m, n, k, 1, ad, ta == 1 ? m : k, bd, tb == 1 ? k : n, 0, &c, n)
                    douts.append(c)
                }
                XCTAssertTrue(douts[0] == douts[1], "dgemm \(m)×\(n)×\(k) trans \(ta)\(tb)")
            }
        }
    }
}
