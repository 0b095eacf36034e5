import XCTest
import Foundation
import Wirtinger

// The README's model, as in its Swift example (which Examples/Consumer runs in full from a
// separate package); here its steps run on 4 random images and are checked.
struct MNISTFullyConnected: SequentialLayer {
    let features = Child("features", Sequential<Tensor, Tensor>(Flatten(-3, -1)))
    let classifier: Child<Sequential<Tensor, Tensor>>
    init(hidden: Int = 400, linear: (Int, Int) -> any SequentialLayer = { Linear($0, $1) }) {
        classifier = Child("classifier", Sequential(linear(28 * 28, hidden), ReLU(), linear(hidden, 10)))
    }
    func callAsFunction(_ x: Tensor, parameters p: ParameterTree, context: Context) -> Tensor {
        classifier(features(x, parameters: p, context: context), parameters: p, context: context)
    }
}

final class ReadmeExampleTests: XCTestCase {
    /// The README's Swift code block is the Consumer package's program, character for character,
    /// so the program `.ci/run` builds and runs through `import Wirtinger` is the one users read.
    func testReadmeCodeBlockIsTheConsumerProgram() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let program = try String(contentsOf: root.appendingPathComponent("Examples/Consumer/Sources/ReadmeExample/main.swift"), encoding: .utf8)
        let section = try XCTUnwrap(readme.range(of: "## In Swift"), "README has no \"In Swift\" section")
        let open = try XCTUnwrap(readme.range(of: "```swift\n", range: section.upperBound..<readme.endIndex))
        let close = try XCTUnwrap(readme.range(of: "\n```\n", range: open.upperBound..<readme.endIndex))
        XCTAssertEqual(String(readme[open.upperBound..<close.lowerBound]) + "\n", program)
        XCTAssertTrue(program.hasPrefix("import Wirtinger\n"))
    }

    func testReadmeExampleRuns() throws {
        let x = uniform([4, 1, 28, 28], key: RandomKey(seed: 9)), y = [0, 3, 5, 9]
        let dense = MNISTFullyConnected(), bayes = MNISTFullyConnected(linear: { LinearARD($0, $1) })
        let denseParams = dense.initialParameters(key: RandomKey(seed: 0))
        let (params, report) = try bayes.initialParameters(key: RandomKey(seed: 1)).loading(denseParams, strict: false)
        XCTAssertEqual(report.missing, ["classifier.0.log_sigma2", "classifier.2.log_sigma2"])
        XCTAssertEqual(report.unexpected, [])
        let (loss, grads) = valueWithGradient(at: params) { p in
            crossEntropy(bayes(x, parameters: p, context: Context(training: true, key: RandomKey(seed: 2))), targets: y)
                + 1e-2 / 60_000 * totalPenalty(bayes, parameters: p)
        }
        XCTAssertTrue(loss.item.isFinite)
        XCTAssertEqual(grads.keys, params.keys)
        XCTAssertGreaterThan(grads["classifier.0.log_sigma2"]!.scalars.map(abs).max()!, 0, "the KL term reaches log σ²")
        let masks = computeARDMasks(bayes, parameters: params, threshold: -0.5)
        XCTAssertEqual(masks.keys, ["classifier.0.mask", "classifier.2.mask"])
        let (stateDict, binary) = binarizeMasks(params, masks: masks)
        // log σ² = −10 everywhere, so log α = −10 − 2·log|W| ≤ −0.5 exactly where |W| ≥ e^{−4.75}
        let w = params["classifier.0.weight"]!.scalars
        let keep = w.map { abs($0) >= exp(-4.75) ? 1.0 : 0.0 }
        XCTAssertEqual(binary["classifier.0.mask"]!.scalars, keep)
        XCTAssertGreaterThan(keep.filter { $0 == 1 }.count, 400 * 784 / 2, "the bulk of the copied weights is relevant")
        XCTAssertEqual(stateDict["classifier.0.weight"]!.scalars, zip(w, keep).map { $1 == 1 ? $0 : 0 })
    }
}
