import Ops
import TestSupport

extension OpTable {
    /// softmax, logSoftmax and the losses, for every reduction; class targets are captured
    /// constants (they are not differentiable inputs).
    static var losses: [OpInfo] {
        let cube = Sample.normal([2, 3, 4], seed: 31).mapElements({ 2 * $0 }, { 2 * $0 })
        let logits = Sample.normal([5, 7], seed: 32).mapElements({ 2 * $0 }, { 2 * $0 })
        let targets = [3, 0, 6, 3, 1]
        let spatial = Sample.normal([2, 4, 3], seed: 33)
        let spatialTargets = [0, 3, 2, 1, 1, 3]  // row-major over [N = 2, L = 3]
        let single = Sample.normal([6], seed: 34)
        let a = Sample.normal([3, 4], seed: 35), b = Sample.normal([3, 4], seed: 36), row = Sample.normal([4], seed: 37)
        let bceLogits = Sample.normal([3, 4], seed: 38).mapElements({ 3 * $0 }, { 3 * $0 })
        let probs = Sample.uniform([3, 4], 0, 1, seed: 39), probsRow = Sample.uniform([4], 0, 1, seed: 40)
        let emptyRows = Tensor.zeros([0, 5], dtype: .float64)
        var table: [OpInfo] = [
            OpInfo("softmax", samples: [[cube], [Sample.normal([4, 5], seed: 41)]]) { softmax($0[0], axis: 1) },
            OpInfo("softmax last axis", samples: [[cube], [single], [emptyRows]]) { softmax($0[0], axis: -1) },
            OpInfo("softmax axis 0", samples: [[cube]]) { softmax($0[0], axis: 0) },
            OpInfo("logSoftmax", samples: [[cube], [Sample.normal([4, 5], seed: 42)]]) { logSoftmax($0[0], axis: 1) },
            OpInfo("logSoftmax last axis", samples: [[cube], [single], [emptyRows]]) { logSoftmax($0[0], axis: -1) },
            OpInfo("logSoftmax axis 0", samples: [[cube]]) { logSoftmax($0[0], axis: 0) },
            OpInfo("crossEntropy spatial", samples: [[spatial]]) { crossEntropy($0[0], targets: spatialTargets) },
            OpInfo("crossEntropy single sample", samples: [[single]]) { crossEntropy($0[0], targets: [4], reduction: .sum) },
        ]
        for r in [Reduction.mean, .sum, .none] {
            table += [
                OpInfo("crossEntropy \(r)", samples: [[logits]]) { crossEntropy($0[0], targets: targets, reduction: r) },
                OpInfo("nllLoss \(r)", samples: [[logits], [spatial.withShape([2, 4, 3])]]) {
                    nllLoss($0[0], targets: $0[0].rank == 2 ? targets : spatialTargets, reduction: r)
                },
                OpInfo("mseLoss \(r)", samples: [[a, b], [a, row]]) { mseLoss($0[0], $0[1], reduction: r) },
                OpInfo("binaryCrossEntropyWithLogits \(r)", samples: [[bceLogits, probs], [bceLogits, probsRow]]) {
                    binaryCrossEntropyWithLogits($0[0], $0[1], reduction: r)
                },
            ]
        }
        return table
    }
}
