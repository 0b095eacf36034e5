// swift-tools-version: 6.0
// libFuzzer targets for Wirtinger's file readers. A separate package, so that the main
// package's `swift build` / `swift test` never see the fuzz entry points (they only link with
// `-sanitize=fuzzer`, which provides `main`). Build and run (see Docs/Reliability.md):
//
//   cd Fuzz
//   swift build -c release --scratch-path .build-fuzz --product FuzzSafetensors \
//       -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library
//   .build-fuzz/release/FuzzSafetensors corpus/safetensors -max_total_time=600
import PackageDescription
import Foundation

// The main package is the parent directory; SwiftPM names a path dependency after its
// directory, so take the name from the checkout instead of assuming one.
let parent = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent()
let mainPackage = parent.lastPathComponent

let package = Package(
    name: "WirtingerFuzz",
    dependencies: [.package(path: parent.path)],
    targets: [
        .executableTarget(name: "FuzzSafetensors", dependencies: [.product(name: "Wirtinger", package: mainPackage)]),
        .executableTarget(name: "FuzzIDX", dependencies: [.product(name: "Wirtinger", package: mainPackage)]),
        .executableTarget(name: "FuzzCheckpoint", dependencies: [.product(name: "Wirtinger", package: mainPackage)]),
    ],
    swiftLanguageModes: [.v6]
)
