// The umbrella module: `import Wirtinger` gives the whole public library — tensors and the
// gradient API (Autodiff), every op (Ops), layers, optimizers, data and safetensors I/O (NN),
// the Bayesian layers and relevance traversals (Relevance), and the ready models, training loop
// and sparsification pipeline (Recipes).
@_exported import Autodiff
@_exported import Ops
@_exported import NN
@_exported import Relevance
@_exported import Recipes

/// The version of the library, `major.minor.patch` (semantic versioning), read as
/// `Wirtinger.version`. This is the one place the version is written.
public let version = "0.1.0"
