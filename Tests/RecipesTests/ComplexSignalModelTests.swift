import XCTest
import Foundation
import Autodiff
import Ops
import NN
import Relevance
import Recipes

/// The complex models on signals: complex input taken directly, the phase-power layer, the
/// per-SNR results of the pipeline, and L0 gates' learning rate.
final class ComplexSignalModelTests: XCTestCase {
    func testComplexInputGivesTheSameLogitsAsInterleavedReals() throws {
        for arch in [Architecture.cplxConv, .cplxMLP] {
            let model = try makeClassifier(arch, flavor: .dense, sampleShape: [1, 64], classes: 5)
            let params = model.initialParameters(key: RandomKey(seed: 1))
            let x = normal([3, 1, 64], key: RandomKey(seed: 2))
            let z = fromInterleaved(x, axis: -1)
            XCTAssertEqual(z.shape, [3, 1, 32])
            let viaReal = model(x, parameters: params)
            let complexModel = try XCTUnwrap(model as? any ComplexInputModel, "\(arch)")
            let viaComplex = complexModel(complex: z, parameters: params, context: Context(training: false))
            XCTAssertEqual(viaReal.shape, [3, 5])
            XCTAssertEqual(viaReal.scalars, viaComplex.scalars, "\(arch)")
        }
    }

    func testSignalNetworkIsPhaseInvariantAndTakesOtherLengths() throws {
        // a common carrier phase on the input leaves the logits unchanged (phase-equivariant
        // convolutions and phase powers, then moduli)
        let model = try makeComplexClassifier(.cplxConv, flavor: .dense, complexSampleShape: [1, 48], classes: 4)
        let params = model.initialParameters(key: RandomKey(seed: 3), dtype: .float64)
        let z = ComplexTensor(real: normal([2, 1, 48], key: RandomKey(seed: 4), dtype: .float64),
                              imag: normal([2, 1, 48], key: RandomKey(seed: 5), dtype: .float64))
        let c = try XCTUnwrap(model as? any ComplexInputModel)
        let a = c(complex: z, parameters: params, context: Context(training: false))
        let (cp, sp) = (Foundation.cos(1.234), Foundation.sin(1.234))
        let rotated = ComplexTensor(real: z.real * cp - z.imag * sp, imag: z.real * sp + z.imag * cp)
        let b = c(complex: rotated, parameters: params, context: Context(training: false))
        for (u, v) in zip(a.scalars, b.scalars) { XCTAssertEqual(u, v, accuracy: 1e-6) }
        // pooling over time: any length works with the same parameters
        let longer = ComplexTensor(real: normal([2, 1, 100], key: RandomKey(seed: 6), dtype: .float64),
                                   imag: normal([2, 1, 100], key: RandomKey(seed: 7), dtype: .float64))
        XCTAssertEqual(c(complex: longer, parameters: params, context: Context(training: false)).shape, [2, 4])
    }

    /// The ring filter starts at the RRC matched filter (real, unit energy) in every flavour, the
    /// wrapper adds no level to the keys, and every other entry is drawn as without the preset.
    func testRingFilterStartsAtTheMatchedFilter() throws {
        let matched = RadioSignals().matchedFilter(taps: 17)
        for flavor in [LayerFlavor.dense, .vd, .masked] {
            let model = try makeComplexClassifier(.cplxConv, flavor: flavor, complexSampleShape: [1, 128], classes: 11)
            let params = model.initialParameters(key: RandomKey(seed: 9))
            let real = try XCTUnwrap(params["features.0.ring.0.weight.real"], "\(flavor)")
            XCTAssertEqual(real.shape, [1, 1, 17])
            for (a, b) in zip(real.scalars, matched) { XCTAssertEqual(a, b, accuracy: 1e-7, "\(flavor)") }
            XCTAssertEqual(params["features.0.ring.0.weight.imag"]?.scalars, [Double](repeating: 0, count: 17), "\(flavor)")
            XCTAssertFalse(params.keys.contains { $0.hasPrefix("features.0.ring.0.0.") }, "\(flavor): the wrapper added a key level")
        }
        // a two-channel input gets the pulse on each channel
        let two = try makeComplexClassifier(.cplxConv, flavor: .dense, complexSampleShape: [2, 64], classes: 3)
        let w = try XCTUnwrap(two.initialParameters(key: RandomKey(seed: 1))["features.0.ring.0.weight.real"])
        XCTAssertEqual(w.shape, [1, 2, 17])
        XCTAssertEqual(Array(w.scalars[0..<17]), Array(w.scalars[17..<34]))
    }

    func testPhasePowersValuesAndGradient() throws {
        let z = ComplexTensor(real: Tensor(shape: [1, 2, 2], scalars: [0.3, -1.2, 0.8, 2.0], dtype: .float64),
                              imag: Tensor(shape: [1, 2, 2], scalars: [0.4, 0.5, -0.9, 0.1], dtype: .float64))
        // order 0 is the modulus (zero imaginary part), the others turn the phase k times
        let layer = CplxPhasePowers(orders: [2, 1, 0, 4])
        let y = layer(z, parameters: ParameterTree())
        XCTAssertEqual(y.shape, [1, 8, 2])
        for c in 0..<2 {
            for t in 0..<2 {
                let (a, b) = (z.real[0, c, t], z.imag[0, c, t])
                let r = (a * a + b * b).squareRoot(), phi = Foundation.atan2(b, a)
                for (block, k) in [2, 1, 0, 4].enumerated() {
                    let ch = block * 2 + c
                    XCTAssertEqual(y.real[0, ch, t], r * Foundation.cos(Double(k) * phi), accuracy: 1e-5)
                    XCTAssertEqual(y.imag[0, ch, t], r * Foundation.sin(Double(k) * phi), accuracy: 1e-5)
                }
            }
        }
        try gradcheck({ zs in [layer(zs[0], parameters: ParameterTree())] }, at: [z])
    }

    func testGlobalAvgPoolAveragesEverySpatialAxis() {
        let x = Tensor(shape: [2, 2, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        XCTAssertEqual(GlobalAvgPool()(x, parameters: ParameterTree()).scalars, [2, 5, 8, 11])
        XCTAssertEqual(GlobalAvgPool()(Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 6]), parameters: ParameterTree()).scalars, [3])
    }

    func testAccuracyBySNRAndConfusion() {
        let rows = accuracyBySNR(predictions: [0, 1, 1, 2, 0, 0], labels: [0, 1, 0, 2, 1, 0], snr: [10, -2, 10, 4, -2, 10])
        XCTAssertEqual(rows, [SNRAccuracy(snr: -2, accuracy: 0.5, count: 2), SNRAccuracy(snr: 4, accuracy: 1, count: 1),
                              SNRAccuracy(snr: 10, accuracy: 2.0 / 3, count: 3)])
        let m = confusionMatrix(predictions: [0, 1, 1, 2], labels: [0, 1, 0, 2], classes: 3, include: { $0 != 3 })
        XCTAssertEqual(m, [[1, 1, 0], [0, 1, 0], [0, 0, 0]])
        // an example without a prediction (-1) is in no cell, and counts as wrong per SNR
        XCTAssertEqual(confusionMatrix(predictions: [-1, 1], labels: [0, 1], classes: 2), [[0, 0], [0, 1]])
        XCTAssertEqual(accuracyBySNR(predictions: [-1, 0], labels: [0, 0], snr: [0, 0]), [SNRAccuracy(snr: 0, accuracy: 0.5, count: 2)])
        // an SNR of NaN is in no row (the lookup trapped on it before)
        XCTAssertEqual(accuracyBySNR(predictions: [0, 1, 1], labels: [0, 1, 0], snr: [.nan, 5, 5]), [SNRAccuracy(snr: 5, accuracy: 0.5, count: 2)])
    }

    /// A row's largest element (first on ties, +inf above finite values); a row holding a NaN has none (-1).
    func testArgmaxRowsGivesNoClassForNaNRows() {
        let nan = Double.nan, inf = Double.infinity
        let t = Tensor(shape: [5, 3], scalars: [1, 3, 3, nan, 5, 1, 2, nan, 9, -inf, inf, 0, -inf, -inf, -inf])
        XCTAssertEqual(argmaxRows(t), [1, -1, -1, 1, 0])
        XCTAssertEqual(argmaxRows(Tensor.zeros([2, 0])), [-1, -1])
    }

    /// A tiny run of the pipeline on radio signals: each stage reports accuracy per SNR, the rows
    /// add up to the test set and agree with the overall accuracy.
    func testPipelineReportsAccuracyPerSNR() throws {
        var gen = RadioSignals()
        gen.sampleCount = 32   // short windows keep the test fast
        let train = gen.dataset(count: 11 * 16, seed: 1), test = gen.dataset(count: 11 * 16, seed: 2)
        var config = SparsifyConfig()
        config.architecture = .cplxConv
        config.hidden = 2
        config.sweep = [0]
        for stage in [\SparsifyConfig.dense, \SparsifyConfig.bayes, \SparsifyConfig.finetune] {
            config[keyPath: stage].epochs = 1
            config[keyPath: stage].batchSize = 64
        }
        let r = try sparsify(config: config, train: train, test: test)
        XCTAssertEqual(r.stages.map(\.name), ["dense", "vd", "masked"])
        for s in r.stages {
            let rows = try XCTUnwrap(s.testAccuracyBySNR)
            XCTAssertEqual(rows.map(\.snr), stride(from: -10.0, through: 20.0, by: 2.0).map { $0 })
            XCTAssertEqual(rows.reduce(0) { $0 + $1.count }, test.count)
            let correct = rows.reduce(0.0) { $0 + $1.accuracy * Double($1.count) }
            XCTAssertEqual(correct / Double(test.count), s.testAccuracy, accuracy: 1e-9)
            let confusion = try XCTUnwrap(s.testConfusionHighSNR)
            XCTAssertEqual(confusion.flatMap { $0 }.reduce(0, +), 6 * 11)   // SNR 10 … 20: 6 of 16 values
        }
        let json = try JSONEncoder().encode(r.stages[0])
        XCTAssertTrue(String(decoding: json, as: UTF8.self).contains("\"testAccuracyBySNR\":[{"))
    }

    /// Adam's per-key learning-rate factor moves only the keys it names faster.
    func testGateLearningRateScaleMovesLogAlphaFaster() {
        var adam = Adam(learningRate: 0.01)
        adam.learningRateScale = { $0.hasSuffix("log_alpha") ? 10 : 1 }
        let params: ParameterTree = ["l.weight": Tensor([0.0, 0.0]), "l.log_alpha": Tensor([0.0, 0.0])]
        let grads: ParameterTree = ["l.weight": Tensor([1.0, -1.0]), "l.log_alpha": Tensor([1.0, -1.0])]
        var state = adam.initialState(for: params)
        let next = adam.update(params, gradients: grads, state: &state)
        // first Adam step moves each entry by lr · sign(g)
        XCTAssertEqual(next["l.weight"]!.scalars[0], -0.01, accuracy: 1e-6)
        XCTAssertEqual(next["l.log_alpha"]!.scalars[0], -0.1, accuracy: 1e-6)
        XCTAssertEqual(next["l.log_alpha"]!.scalars[1], 0.1, accuracy: 1e-6)
    }
}
