// swift-tools-version: 6.0
// Wirtinger: real- and complex-valued neural networks with Bayesian sparsification.
// No dependencies and no unsafeFlags, so the package can be depended on by version.
import PackageDescription

let package = Package(
    name: "Wirtinger",
    products: [
        // `import Wirtinger` re-exports Autodiff, Ops, NN, Relevance and Recipes.
        .library(name: "Wirtinger", targets: ["Wirtinger"]),
        .executable(name: "wirtinger", targets: ["wirtinger"]),
    ],
    targets: [
        // Hot loops in C: GEMM, vector math, Ei, im2col. AVX2/FMA paths are whole functions
        // with function-level target attributes, chosen once at run time.
        .target(name: "Kernels", cSettings: [.define("_GNU_SOURCE")], linkerSettings: [.linkedLibrary("m"), .linkedLibrary("pthread")]),
        .target(name: "Autodiff", dependencies: ["Kernels"]),
        .target(name: "Ops", dependencies: ["Autodiff", "Kernels"]),
        .target(name: "NN", dependencies: ["Ops", "Autodiff", "Kernels"]),
        .target(name: "Relevance", dependencies: ["NN", "Ops", "Autodiff", "Kernels"]),
        // Ready-made models (the seed's MLP, LeNets, complex nets) with a layer flavour, the
        // training loop and the dense → Bayesian → masked pipeline, used by the CLI and by users.
        .target(name: "Recipes", dependencies: ["Relevance", "NN", "Ops", "Autodiff", "Kernels"]),
        // The umbrella module of the library product: re-exports everything above, and holds the version.
        .target(name: "Wirtinger", dependencies: ["Recipes", "Relevance", "NN", "Ops", "Autodiff"]),
        .executableTarget(name: "wirtinger", dependencies: ["Wirtinger", "Recipes", "Relevance", "NN", "Ops", "Autodiff", "Kernels"]),

        // Shared test helpers: fixture loading, deterministic samples, closeness assertions.
        .target(name: "TestSupport", dependencies: ["NN", "Ops", "Autodiff"], path: "Tests/Support"),

        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "AutodiffTests", dependencies: ["TestSupport", "Autodiff", "Ops"]),
        .testTarget(name: "OpsTests", dependencies: ["TestSupport", "Ops", "Autodiff", "NN"]),
        .testTarget(name: "NNTests", dependencies: ["TestSupport", "NN", "Ops", "Autodiff"]),
        .testTarget(name: "RecipesTests", dependencies: ["TestSupport", "Wirtinger", "Recipes", "Relevance", "NN", "wirtinger"]),
        .testTarget(name: "RelevanceTests", dependencies: ["TestSupport", "Relevance", "NN", "Ops", "Autodiff"]),
    ],
    swiftLanguageModes: [.v6]
)
