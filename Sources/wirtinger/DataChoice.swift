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
    let trainSize = try args.int("train-size", in: 1...Int.max)
    let testSize = try args.int("test-size", in: 1...Int.max)
    let data: (train: LabeledDataset, test: LabeledDataset)
    if let dir = args.string("mnist") {
        let m = try MNIST.load(directory: URL(fileURLWithPath: dir))
        var train = m.train, test = m.test
        // the data bound the sizes: asking for more than the files hold is an error, not a silent cap
        for (option, n, have) in [("train-size", trainSize, train.count), ("test-size", testSize, test.count)] {
            if let n, n > have { throw UsageError(message: "--\(option): \(n) examples asked, but \(dir) holds \(have)") }
        }
        if let n = trainSize { train = train.subset(0..<n) }
        if let n = testSize { test = test.subset(0..<n) }
        data = (train, test)
    } else {
        // built-in data are generated: bound them by memory (float32 inputs) before allocating
        let perExample = architecture.isComplex ? 4 * 2 * 64 : 4 * 28 * 28   // float32 I/Q of 64 symbols, or a 28×28 glyph
        let budget = builtInDataBudget()
        for (option, n) in [("train-size", trainSize), ("test-size", testSize)] {
            if let n, n > budget / perExample {
                throw UsageError(message: "--\(option): \(n) built-in examples would take \(Int(Double(n) * Double(perExample) / 1_048_576)) MiB; "
                                 + "at most \(budget / perExample) fit in half of this machine's memory")
            }
        }
        if architecture.isComplex {
            var train = SyntheticData.modulation(count: trainSize ?? 6000, seed: seed)
            var test = SyntheticData.modulation(count: testSize ?? 1200, seed: seed &+ 1)
            if architecture == .cplxConv {   // one channel: [N, 1, 2L]
                train.inputs = train.inputs.withShape([train.count, 1, train.inputs.shape[1]])
                test.inputs = test.inputs.withShape([test.count, 1, test.inputs.shape[1]])
            }
            data = (train, test)
        } else {
            data = (SyntheticData.glyphs(count: trainSize ?? 6000, seed: seed, sampleSeed: 1),
                    SyntheticData.glyphs(count: testSize ?? 1000, seed: seed, sampleSeed: 2))
        }
    }
    guard data.train.count > 0 else { throw TrainingError.noTrainingExamples(dataset: data.train.name) }
    return data
}

/// Bytes the built-in data may take: half the physical memory (1 GiB if it cannot be read).
func builtInDataBudget() -> Int {
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, size > 0 else { return 1 << 30 }
    return pages.multipliedReportingOverflow(by: size).overflow ? Int.max / 2 : pages * size / 2
}
