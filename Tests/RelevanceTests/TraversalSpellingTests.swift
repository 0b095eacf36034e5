import XCTest
import Autodiff
import Ops
import NN
import Relevance

// One spelling across the relevance traversals (issue 16): cplxmodule's keywords `threshold:` /
// `hard:`, or `hard:` alone for L0-only models. The deprecated `options: RelevanceOptions`
// spelling must still work and agree with the new one.

/// The deprecated spelling of each traversal, reached through a protocol whose witnesses are
/// deprecated, so this file compiles without deprecation warnings.
private protocol OptionsSpelling {
    func namedRelevance(_ model: any Module, _ p: ParameterTree, _ o: RelevanceOptions) -> [(path: String, relevance: Tensor)]
    func computeARDMasks(_ model: any Module, _ p: ParameterTree, _ o: RelevanceOptions) -> ParameterTree
    func namedSparsity(_ model: any Module, _ p: ParameterTree, _ o: RelevanceOptions) -> [SparsityEntry]
    func sparsity(_ model: any Module, _ p: ParameterTree, _ o: RelevanceOptions) -> Double
    func report(_ model: any Module, _ p: ParameterTree, _ o: RelevanceOptions) -> CompressionReport
}

private struct Deprecated: OptionsSpelling {
    @available(*, deprecated, message: "exercises the deprecated spelling")
    func namedRelevance(_ model: any Module, _ p: ParameterTree, _ o: RelevanceOptions) -> [(path: String, relevance: Tensor)] {
        Relevance.namedRelevance(model, parameters: p, options: o)
    }
    @available(*, deprecated, message: "exercises the deprecated spelling")
    func computeARDMasks(_ model: any Module, _ p: ParameterTree, _ o: RelevanceOptions) -> ParameterTree {
        Relevance.computeARDMasks(model, parameters: p, options: o)
    }
    @available(*, deprecated, message: "exercises the deprecated spelling")
    func namedSparsity(_ model: any Module, _ p: ParameterTree, _ o: RelevanceOptions) -> [SparsityEntry] {
        Relevance.namedSparsity(model, parameters: p, options: o)
    }
    @available(*, deprecated, message: "exercises the deprecated spelling")
    func sparsity(_ model: any Module, _ p: ParameterTree, _ o: RelevanceOptions) -> Double {
        Relevance.sparsity(model, parameters: p, options: o)
    }
    @available(*, deprecated, message: "exercises the deprecated spelling")
    func report(_ model: any Module, _ p: ParameterTree, _ o: RelevanceOptions) -> CompressionReport {
        CompressionReport(model, parameters: p, options: o)
    }
}

/// ARD, L0, LASSO and masked layers side by side: every field of the options is read.
private struct Mixed: Module {
    @Child("ard") var ard = LinearARD(5, 4)
    @Child("l0") var l0 = LinearL0(4, 3)
    @Child("lasso") var lasso = LinearLASSO(3, 2, bias: false)
    @Child("masked") var masked = LinearMasked(2, 2)
}

final class TraversalSpellingTests: XCTestCase {
    fileprivate let old: any OptionsSpelling = Deprecated()

    func mixedParameters() -> ParameterTree {
        var p = Mixed().initialParameters(key: RandomKey(seed: 160), dtype: .float64)
        p["ard.log_sigma2"] = normal([4, 5], key: RandomKey(seed: 161), dtype: .float64) * 4
        p["l0.log_alpha"] = Tensor(shape: [3, 4], scalars: (0..<12).map { Double($0) - 5.5 }, dtype: .float64)
        p["lasso.weight"] = Tensor(shape: [2, 3], scalars: [1e-3, -0.5, 0.2, 2, -1e-4, 0.05], dtype: .float64)
        p["masked.mask"] = Tensor(shape: [2, 2], scalars: [1, 0, 0.5, 1], dtype: .float64)
        return p
    }

    func assertSame(_ a: [(path: String, relevance: Tensor)], _ b: [(path: String, relevance: Tensor)],
                    file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.map(\.path), b.map(\.path), file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x.relevance.scalars, y.relevance.scalars, x.path, file: file, line: line) }
    }

    func assertSame(_ a: ParameterTree, _ b: ParameterTree, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.keys, b.keys, file: file, line: line)
        for k in a.keys { XCTAssertEqual(a[k]!.scalars, b[k]!.scalars, k, file: file, line: line) }
    }

    func testKeywordsAgreeWithDeprecatedOptions() {
        let model = Mixed(), p = mixedParameters()
        for hard in [true, false] {
            let t = -1.0, o = RelevanceOptions(threshold: t, hard: hard)
            let relevance = namedRelevance(model, parameters: p, threshold: t, hard: hard)
            XCTAssertEqual(relevance.map(\.path), ["ard", "l0", "lasso"])
            assertSame(relevance, old.namedRelevance(model, p, o))
            let masks = computeARDMasks(model, parameters: p, threshold: t, hard: hard)
            XCTAssertEqual(masks.keys, ["ard.mask", "l0.mask", "lasso.mask"])
            assertSame(masks, old.computeARDMasks(model, p, o))
            let entries = namedSparsity(model, parameters: p, threshold: t, hard: hard)
            XCTAssertEqual(entries, old.namedSparsity(model, p, o))
            XCTAssertGreaterThan(entries.reduce(0) { $0 + $1.dropped }, 0)
            XCTAssertEqual(sparsity(model, parameters: p, threshold: t, hard: hard), old.sparsity(model, p, o))
            XCTAssertEqual(CompressionReport(model, parameters: p, threshold: t, hard: hard).layers, old.report(model, p, o).layers)
        }
        // The default is hard, as in cplxmodule.
        assertSame(computeARDMasks(model, parameters: p, threshold: -1), computeARDMasks(model, parameters: p, threshold: -1, hard: true))
        XCTAssertNotEqual(namedSparsity(model, parameters: p, threshold: -1, hard: false),
                          namedSparsity(model, parameters: p, threshold: -1, hard: true))
    }

    func testHardAloneAgreesWithDeprecatedOptionsForL0Models() throws {
        let model = Sequential<Tensor, Tensor>(LinearL0(4, 3), ReLU(), LinearL0(3, 2), LinearMasked(2, 2))
        var p = model.initialParameters(key: RandomKey(seed: 162), dtype: .float64)
        p["0.log_alpha"] = Tensor(shape: [3, 4], scalars: (0..<12).map { Double($0) - 5.5 }, dtype: .float64)
        p["3.mask"] = Tensor(shape: [2, 2], scalars: [1, 0, 0.25, 1], dtype: .float64)
        for hard in [true, false] {
            let o = RelevanceOptions(hard: hard)
            assertSame(try namedRelevance(model, parameters: p, hard: hard), old.namedRelevance(model, p, o))
            assertSame(try computeARDMasks(model, parameters: p, hard: hard), old.computeARDMasks(model, p, o))
            XCTAssertEqual(try namedSparsity(model, parameters: p, hard: hard), old.namedSparsity(model, p, o))
            XCTAssertEqual(try sparsity(model, parameters: p, hard: hard), old.sparsity(model, p, o))
            XCTAssertEqual(try CompressionReport(model, parameters: p, hard: hard).layers, old.report(model, p, o).layers)
            // An L0 model reads no threshold: any threshold gives what hard alone gives.
            assertSame(try computeARDMasks(model, parameters: p, hard: hard), computeARDMasks(model, parameters: p, threshold: 123, hard: hard))
        }
        // Closed gates: clamp(1.2·σ(−log α) − 0.1, 0, 1) = 0 for log α ≥ log 11 ≈ 2.40, so 2.5 … 5.5.
        XCTAssertEqual(try computeARDMasks(model, parameters: p, hard: true)["0.mask"]!.scalars.filter { $0 == 0 }.count, 4)
    }

    /// The `hard:`-only forms serve L0-only models; on a model with a VD, ARD or LASSO layer each
    /// throws `thresholdRequired` naming that layer's path, instead of stopping the program.
    func testHardAloneOnAModelThatNeedsAThresholdThrows() {
        let model = Sequential<Tensor, Tensor>(LinearL0(4, 3), ReLU(), LinearARD(3, 2))
        let p = model.initialParameters(key: RandomKey(seed: 163), dtype: .float64)
        let want = RelevanceError.thresholdRequired(path: "2")
        func check<T>(_ what: String, _ body: () throws -> T) {
            XCTAssertThrowsError(try body(), what) { error in
                XCTAssertEqual(error as? RelevanceError, want, what)
                XCTAssertTrue("\(error)".hasPrefix("2: a VD, ARD or LASSO layer needs a threshold"), "\(what): \(error)")
            }
        }
        check("namedRelevance") { try namedRelevance(model, parameters: p, hard: true) }
        check("computeARDMasks") { try computeARDMasks(model, parameters: p, hard: true) }
        check("namedSparsity") { try namedSparsity(model, parameters: p, hard: false) }
        check("sparsity") { try sparsity(model, parameters: p, hard: true) }
        check("CompressionReport") { try CompressionReport(model, parameters: p, hard: true) }
        // with a threshold the same model is fine
        XCTAssertEqual(computeARDMasks(model, parameters: p, threshold: 3).keys, ["0.mask", "2.mask"])
    }

    func testLayerRelevanceKeywords() {
        let layer = LinearARD(5, 4)
        var p = layer.initialParameters(key: RandomKey(seed: 163), dtype: .float64)
        p["log_sigma2"] = normal([4, 5], key: RandomKey(seed: 164), dtype: .float64) * 4
        XCTAssertEqual(layer.relevance(parameters: p, threshold: 0).scalars,
                       layer.relevance(parameters: p, options: RelevanceOptions(threshold: 0)).scalars)
    }
}
