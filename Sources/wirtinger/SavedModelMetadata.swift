import Foundation
import Recipes

/// The data source the options chose, as ``loadData(_:complex:seed:)`` read it: the built-in
/// glyphs or radio signals with `seed` and the sizes generated, or the MNIST directory / data
/// file (as an absolute path) with the sizes used.
func dataSource(_ args: CommandSpec.Parsed, complexData: Bool, seed: UInt64, train: LabeledDataset, test: LabeledDataset) -> DataSource {
    func absolute(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.path }
    if let f = args.string("data") { return DataSource(kind: .file, path: absolute(f), trainSize: train.count, testSize: test.count) }
    if let d = args.string("mnist") { return DataSource(kind: .mnist, path: absolute(d), trainSize: train.count, testSize: test.count) }
    return DataSource(kind: complexData ? .radio : .glyphs, seed: seed, trainSize: train.count, testSize: test.count)
}

/// The model-description metadata of a file `sparsify` writes for `stage` (`dense`, `bayes` or
/// `masked`): the flavour of that stage, and for `bayes` / `masked` the threshold of the masks.
func sparsifyFileMetadata(stage: String, config: SparsifyConfig, data: DataSource, train: LabeledDataset) -> [String: String] {
    let flavor: LayerFlavor = stage == "dense" ? .dense : stage == "masked" ? .masked : config.method
    return ModelDescription(architecture: config.architecture, flavor: flavor, hidden: config.hidden, classes: train.classCount,
                            sampleShape: train.sampleShape, seed: config.seed, data: data,
                            threshold: flavor == .dense ? nil : config.threshold).metadata
}
