// The umbrella module: `import Wirtinger` gives the whole public library — tensors and the
// gradient API (Autodiff), every op (Ops), layers, optimizers, data and safetensors I/O (NN),
// the Bayesian layers and relevance traversals (Relevance), and the ready models, training loop
// and sparsification pipeline (Recipes).
@_exported import Autodiff
@_exported import Ops
@_exported import NN
@_exported import Relevance
@_exported import Recipes

/// The version of the library, `major.minor.patch`, read as `Wirtinger.version`.
///
/// The one place the version is written: `wirtinger --version` prints it and the newest heading
/// of CHANGELOG.md names it (a test checks both). What each kind of increment promises is in
/// Docs/Versioning.md (semantic versioning from 1.0.0; before it, a minor increment may break).
public let version = "0.1.0"
