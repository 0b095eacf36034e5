// swift-tools-version: 6.0
// A package outside Wirtinger that depends on it by path, as a user's package would by URL: it
// checks that `import Wirtinger` alone is enough. `.ci/run` builds and runs both programs.
import PackageDescription

let package = Package(
    name: "Consumer",
    dependencies: [.package(name: "Wirtinger", path: "../..")],
    targets: [
        // The README's "In Swift" program, verbatim (a test compares the two).
        .executableTarget(name: "ReadmeExample", dependencies: [.product(name: "Wirtinger", package: "Wirtinger")]),
        // A custom complex training loop with a custom loss, saved and reloaded through safetensors.
        .executableTarget(name: "ComplexLoop", dependencies: [.product(name: "Wirtinger", package: "Wirtinger")]),
    ],
    swiftLanguageModes: [.v6]
)
