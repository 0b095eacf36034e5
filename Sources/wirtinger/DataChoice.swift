import Foundation
import Recipes

/// Options shared by `sparsify` and `train` that choose the data.
let dataOptions = [
    OptionSpec(name: "mnist", valueName: "DIR", help: "train on the MNIST IDX files in DIR instead of the built-in data", defaultValue: nil),
    OptionSpec(name: "train-size", valueName: "N", help: "examples of the built-in training set (or first N of MNIST)", defaultValue: nil),
    OptionSpec(name: "test-size", valueName: "N", help: "examples of the built-in test set (or first N of MNIST's)", defaultValue: nil),
]

/// The training and test sets the options ask for: MNIST from `--mnist DIR`, otherwise the
/// built-in glyphs (real models) or noisy I/Q modulations (complex models).
func loadData(_ args: CommandSpec.Parsed, architecture: Architecture, seed: UInt64) throws -> (train: LabeledDataset, test: LabeledDataset) {
    let trainSize = try args.int("train-size", in: 1...10_000_000)
    let testSize = try args.int("test-size", in: 1...10_000_000)
    if let dir = args.string("mnist") {
        let m = try MNIST.load(directory: URL(fileURLWithPath: dir))
        var train = m.train, test = m.test
        if let n = trainSize, n < train.count { train = train.subset(0..<n) }
        if let n = testSize, n < test.count { test = test.subset(0..<n) }
        return (train, test)
    }
    if architecture.isComplex {
        var train = SyntheticData.modulation(count: trainSize ?? 6000, seed: seed)
        var test = SyntheticData.modulation(count: testSize ?? 1200, seed: seed &+ 1)
        if architecture == .cplxConv {   // one channel: [N, 1, 2L]
            train.inputs = train.inputs.withShape([train.count, 1, train.inputs.shape[1]])
            test.inputs = test.inputs.withShape([test.count, 1, test.inputs.shape[1]])
        }
        return (train, test)
    }
    return (SyntheticData.glyphs(count: trainSize ?? 6000, seed: seed, sampleSeed: 1),
            SyntheticData.glyphs(count: testSize ?? 1000, seed: seed, sampleSeed: 2))
}
