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
/// glyphs (real models) or radio signals (complex models, `complex: true`). `--train-size` /
/// `--test-size` take the first N of a file's examples (more than it holds is an error, not a
/// silent cap); built-in data are generated at that size, bounded by memory before allocating.
func loadData(_ args: CommandSpec.Parsed, complex: Bool, seed: UInt64) throws -> (train: LabeledDataset, test: LabeledDataset, isComplex: Bool) {
    let trainSize = try args.int("train-size", in: 1...Int.max)
    let testSize = try args.int("test-size", in: 1...Int.max)
    func cut(_ train: LabeledDataset, _ test: LabeledDataset, source: String) throws -> (LabeledDataset, LabeledDataset) {
        var train = train, test = test
        for (option, n, have) in [("train-size", trainSize, train.count), ("test-size", testSize, test.count)] {
            if let n, n > have { throw UsageError(message: "--\(option): \(n) examples asked, but \(source) holds \(have)") }
        }
        if let n = trainSize { train = train.subset(0..<n) }
        if let n = testSize { test = test.subset(0..<n) }
        return (train, test)
    }
    if args.string("data") != nil && args.string("mnist") != nil {
        throw UsageError(message: "--data and --mnist: give one source of data")
    }
    let data: (train: LabeledDataset, test: LabeledDataset, isComplex: Bool)
    if let file = args.string("data") {
        let c = try DatasetFile.load(contentsOf: URL(fileURLWithPath: file))
        let (train, test) = try cut(c.train, c.test, source: file)
        data = (train, test, c.isComplex)
    } else if let dir = args.string("mnist") {
        let m = try MNIST.load(directory: URL(fileURLWithPath: dir))
        let (train, test) = try cut(m.train, m.test, source: dir)
        data = (train, test, false)
    } else {
        // built-in data are generated: bound them by memory (float32 inputs) before allocating
        let perExample = DataSource.builtInBytesPerExample(complex ? .radio : .glyphs)!   // float32 I/Q of 128 samples, or a 28×28 glyph
        let budget = halfPhysicalMemory()
        for (option, n) in [("train-size", trainSize), ("test-size", testSize)] {
            if let n, n > budget / perExample {
                throw UsageError(message: "--\(option): \(n) built-in examples would take \(Int(Double(n) * Double(perExample) / 1_048_576)) MiB; "
                                 + "at most \(budget / perExample) fit in half of this machine's memory")
            }
        }
        // radio signals: [N, 1, 2·128], one complex channel, each example with its SNR; or glyphs
        let (train, test) = complex
            ? DataSource.builtIn(.radio, seed: seed, trainSize: trainSize ?? defaultRadioTrainSize, testSize: testSize ?? defaultRadioTestSize)
            : DataSource.builtIn(.glyphs, seed: seed, trainSize: trainSize ?? 6000, testSize: testSize ?? 1000)
        data = (train, test, complex)
    }
    guard data.train.count > 0 else { throw TrainingError.noTrainingExamples(dataset: data.train.name) }
    guard data.test.count > 0 else {
        // every stage is measured on the test split: an empty one would report 0 / 0 as accuracy 0
        let source = args.string("data") ?? args.string("mnist") ?? "the built-in data"
        throw DataMismatchError(description: "\(source): the test split holds no examples; every stage is measured on it")
    }
    return data
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

/// The number of parameters of the dense `arch` classifier, counted from the shapes its layers
/// declare (``declaredParameterShapes(_:)``; nothing is allocated), or nil when the count
/// overflows `Int`.
func denseParameterCount(_ arch: Architecture, sampleShape: [Int], classes: Int, hidden: Int?) throws -> Int? {
    elementCount(declaredParameterShapes(try makeClassifier(arch, flavor: .dense, sampleShape: sampleShape, classes: classes, hidden: hidden)))
}

/// Refuses, before anything is allocated, a model that would not fit in memory while it trains.
///
/// The dense model's parameters are counted by ``denseParameterCount(_:sampleShape:classes:hidden:)``.
/// Training holds each float32 parameter's value, gradient and Adam's two moments, and a
/// Bayesian stage doubles that: 32 bytes per parameter, which must stay within
/// ``halfPhysicalMemory()``. The error names the size and the options
/// or data that set it.
func checkModelFitsInMemory(_ arch: Architecture, sampleShape: [Int], classes: Int, hidden: Int?) throws {
    let count = try denseParameterCount(arch, sampleShape: sampleShape, classes: classes, hidden: hidden)
    let bytes = count.flatMap { c -> Int? in
        let (b, o) = c.multipliedReportingOverflow(by: 32)
        return o ? nil : b
    }
    let budget = halfPhysicalMemory()
    guard bytes == nil || bytes! > budget else { return }
    let gib = { (b: Int) in String(format: "%.1f GiB", Double(b) / Double(1 << 30)) }
    throw UsageError(message: "the \(arch.rawValue) model for \(classes) classes, input \(sampleShape)"
        + (hidden.map { ", hidden \($0)" } ?? "")
        + (bytes.map { " has \(count!) parameters, about \(gib($0)) to train" } ?? " has too many parameters to count")
        + ", more than half this machine's memory (\(gib(budget))): lower --hidden or the number of classes")
}
