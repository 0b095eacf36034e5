import Foundation
import Recipes

/// Options shared by `sparsify` and `train` that choose the data.
let dataOptions = [
    OptionSpec(name: "data", valueName: "FILE", help: "train on your own data: a .safetensors file with train.inputs, train.labels, test.inputs, test.labels (see Docs/GettingStarted.md)", defaultValue: nil),
    OptionSpec(name: "mnist", valueName: "DIR", help: "train on the MNIST IDX files in DIR instead of the built-in data", defaultValue: nil),
    OptionSpec(name: "train-size", valueName: "N", help: "examples of the built-in training set (or the first N of the given data)", defaultValue: nil),
    OptionSpec(name: "test-size", valueName: "N", help: "examples of the built-in test set (or the first N of the given data)", defaultValue: nil),
]

/// Examples of the built-in radio training set: 11 classes × 16 SNRs × 100.
let defaultRadioTrainSize = 17_600
/// Examples of the built-in radio test set: 11 classes × 16 SNRs × 25.
let defaultRadioTestSize = 4_400

/// The training and test sets the options ask for, and whether their inputs are complex
/// (interleaved): a data file from `--data FILE`, MNIST from `--mnist DIR`, otherwise the built-in
/// glyphs (real models) or radio signals (complex models, `complex: true`).
func loadData(_ args: CommandSpec.Parsed, complex: Bool, seed: UInt64) throws -> (train: LabeledDataset, test: LabeledDataset, isComplex: Bool) {
    let trainSize = try args.int("train-size", in: 1...10_000_000)
    let testSize = try args.int("test-size", in: 1...10_000_000)
    func cut(_ train: LabeledDataset, _ test: LabeledDataset) -> (LabeledDataset, LabeledDataset) {
        var train = train, test = test
        if let n = trainSize, n < train.count { train = train.subset(0..<n) }
        if let n = testSize, n < test.count { test = test.subset(0..<n) }
        return (train, test)
    }
    if args.string("data") != nil && args.string("mnist") != nil {
        throw UsageError(message: "--data and --mnist: give one source of data")
    }
    if let file = args.string("data") {
        let c = try DatasetFile.load(contentsOf: URL(fileURLWithPath: file))
        let (train, test) = cut(c.train, c.test)
        return (train, test, c.isComplex)
    }
    if let dir = args.string("mnist") {
        let m = try MNIST.load(directory: URL(fileURLWithPath: dir))
        let (train, test) = cut(m.train, m.test)
        return (train, test, false)
    }
    if complex {
        // radio signals: [N, 1, 2·128], one complex channel, each example with its SNR
        let radio = RadioSignals()
        return (radio.dataset(count: trainSize ?? defaultRadioTrainSize, seed: seed &* 2 &+ 1, name: "radio"),
                radio.dataset(count: testSize ?? defaultRadioTestSize, seed: seed &* 2 &+ 2, name: "radio"), true)
    }
    return (SyntheticData.glyphs(count: trainSize ?? 6000, seed: seed, sampleSeed: 1),
            SyntheticData.glyphs(count: testSize ?? 1000, seed: seed, sampleSeed: 2), false)
}

/// The architecture of `--model` and `--complex`: `--model` as given (its complex counterpart with
/// `--complex`); without `--model`, `cplx-conv` for `--complex` or complex data, else `mlp`.
func chooseArchitecture(_ args: CommandSpec.Parsed, complexData: Bool) throws -> Architecture {
    let wantsComplex = args.flags.contains("complex")
    guard let given = try args.choice("model", Architecture.self) else { return wantsComplex || complexData ? .cplxConv : .mlp }
    guard wantsComplex else { return given }
    switch given {
    case .mlp, .lenet300: return .cplxMLP
    case .lenet5: return .cplxConv
    case .cplxMLP, .cplxConv: return given
    }
}
