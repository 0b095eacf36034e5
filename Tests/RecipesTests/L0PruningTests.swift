import XCTest
import Foundation
import Autodiff
import NN
import Relevance
import Recipes

/// L0 gates start open (`log_alpha = −2.197`) and close only past `log_alpha ≈ 2.4`; at Adam's
/// 1e-3 a short run moves them too little to close any. The pipeline's default gate learning-rate
/// factor lets them close within the default schedule.
final class L0PruningTests: XCTestCase {
    func run(gateScale: Double?, dense: ParameterTree? = nil) throws -> SparsifyResult {
        let train = SyntheticData.glyphs(count: 600, seed: 0, sampleSeed: 1), test = SyntheticData.glyphs(count: 200, seed: 0, sampleSeed: 2)
        var config = SparsifyConfig()
        config.method = .l0
        config.hidden = 16
        config.pretrainedDense = dense
        config.sweep = []
        config.dense.epochs = 3; config.bayes.epochs = 8; config.finetune.epochs = 1
        config.dense.learningRate = 3e-3
        for stage in [\SparsifyConfig.dense, \SparsifyConfig.bayes, \SparsifyConfig.finetune] {
            config[keyPath: stage].batchSize = 32
            config[keyPath: stage].klWeight = 1
        }
        if let s = gateScale { config.bayes.gateLearningRateScale = s }
        return try sparsify(config: config, train: train, test: test)
    }

    func testDefaultGateLearningRatePrunesAndOneLearningRateDoesNot() throws {
        XCTAssertEqual(SparsifyConfig().bayes.gateLearningRateScale, SparsifyConfig.defaultGateLearningRateScale)
        let r = try run(gateScale: nil)
        let dense = r.stages[0].testAccuracy, masked = r.stages[2].testAccuracy
        XCTAssertGreaterThan(r.compressionRatio, 2, "at least half of the weights pruned")
        XCTAssertGreaterThan(dense, 0.9)
        XCTAssertGreaterThan(masked, dense - 0.02, "dense \(dense), masked \(masked)")
        // the same dense model, the gates at the weights' learning rate: nothing is pruned
        let same = try run(gateScale: 1, dense: r.dense)
        XCTAssertLessThan(same.compressionRatio, 1.05)
    }
}
