import XCTest
import Autodiff

final class ParameterTreeTests: XCTestCase {
    let dense: ParameterTree = ["0.weight": .ones([4, 3]), "0.bias": .ones([4])]

    /// Setting, replacing and removing entries keeps the order and every lookup (the positions
    /// after a removed entry move up), and `partitioned` splits in one pass as two `filter`s would.
    func testSetReplaceRemoveKeepOrderAndLookups() {
        var t: ParameterTree = ["a": Tensor([1.0]), "b.x": Tensor([2.0]), "c": Tensor([3.0]), "d": Tensor([4.0])]
        t["b.x"] = Tensor([20.0])              // replace: same position
        t["e"] = Tensor([5.0])                 // new: appended
        XCTAssertEqual(t.keys, ["a", "b.x", "c", "d", "e"])
        t["c"] = nil                           // remove from the middle
        t["zz"] = nil                          // removing an absent key changes nothing
        XCTAssertEqual(t.keys, ["a", "b.x", "d", "e"])
        XCTAssertEqual(t.count, 4)
        XCTAssertNil(t["c"])
        XCTAssertFalse(t.contains("c"))
        for (k, v) in [("a", 1.0), ("b.x", 20), ("d", 4), ("e", 5)] { XCTAssertEqual(t[k]?.scalars, [v], k) }
        XCTAssertEqual(t.map(\.key), t.keys)
        XCTAssertEqual(t.map(\.value).map(\.scalars), [[1], [20], [4], [5]])
        t["d"] = Tensor([40.0])
        t["c"] = Tensor([30.0])
        XCTAssertEqual(t.keys, ["a", "b.x", "d", "e", "c"])
        XCTAssertEqual(t["d"]?.scalars, [40])
        XCTAssertEqual(t["c"]?.scalars, [30])
        XCTAssertEqual(t.scoped("b").keys, ["x"])
        XCTAssertEqual(t.scoped("b")["x"]?.scalars, [20])
        let (small, large) = t.partitioned { _, v in v.scalars[0] < 10 }
        XCTAssertEqual(small.keys, t.filter { _, v in v.scalars[0] < 10 }.keys)
        XCTAssertEqual(large.keys, t.filter { _, v in !(v.scalars[0] < 10) }.keys)
        XCTAssertEqual(small.keys, ["a", "e"])
        XCTAssertEqual(large["c"]?.scalars, [30])
        XCTAssertEqual(t.merging(ParameterTree()).keys, t.keys)
        XCTAssertEqual(t.mapValues { _ in Tensor([7.0]) }["e"]?.scalars, [7])
        XCTAssertEqual(t.parameterCount, 5)
    }

    func testScopingAndPrefixing() {
        let t: ParameterTree = ["classifier.0.weight": .ones([2]), "classifier.1.bias": .zeros([1]), "features.x": .ones([1])]
        XCTAssertEqual(t.scoped("classifier").keys, ["0.weight", "1.bias"])
        XCTAssertEqual(t.scoped("classifier.0").keys, ["weight"])
        XCTAssertEqual(t.scoped("classifier").prefixed("net").keys, ["net.0.weight", "net.1.bias"])
        XCTAssertEqual(t.filter { k, _ in k.hasSuffix("bias") }.keys, ["classifier.1.bias"])
    }

    /// Scoping cuts keys by bytes when it can; the keys are the ones a cut by characters gives,
    /// also with non-ASCII paths and a combining mark right after the dot.
    func testScopingNonASCIIKeysCutsAtCharacters() {
        let keys = ["é.w", "é.\u{301}w", "é.", "é", "éé.w", "a.é", "a.\u{301}", "a.b.c", "ab.c", "a.b"]
        let t = ParameterTree(keys.enumerated().map { ($1, Tensor.full([1], Double($0))) })
        for prefix in ["é", "e\u{301}", "a", "a.b", "éé", "b", ""] {
            let expected: [String] = prefix.isEmpty ? keys : keys.filter { $0.hasPrefix(prefix + ".") }.map { String($0.dropFirst(prefix.count + 1)) }
            let scoped = t.scoped(prefix)
            XCTAssertEqual(scoped.keys, expected, prefix)
            for (k, full) in zip(scoped.keys, keys.filter { prefix.isEmpty || $0.hasPrefix(prefix + ".") }) {
                XCTAssertEqual(scoped[k]?.scalars, t[full]?.scalars, "\(prefix): \(k)")
            }
        }
    }

    func testChildNamesAndSubtreesFollowTheDottedPaths() {
        let t: ParameterTree = ["classifier.0.weight": .ones([2]), "classifier.0.bias": .ones([1]),
                                "classifier.1.weight": .ones([2]), "features.x": .ones([1]), "scale": .ones([])]
        XCTAssertEqual(t.childNames(), ["classifier", "features", "scale"])
        XCTAssertEqual(t.childNames(at: "classifier"), ["0", "1"])
        XCTAssertEqual(t.childNames(at: "classifier.0"), ["weight", "bias"])
        XCTAssertEqual(t.childNames(at: "classifier.0.weight"), [])   // a leaf
        XCTAssertEqual(t.childNames(at: "class"), [])                 // a key prefix is not a path
        XCTAssertEqual(t.childNames(at: "missing"), [])
        // the subtree at a child, then its children: the same structure one level down
        XCTAssertEqual(t.scoped("classifier").childNames(), ["0", "1"])
        XCTAssertEqual(t.scoped("classifier").scoped("0").keys, t.scoped("classifier.0").keys)
    }

    func testNonStrictLoadReportsMissingAndUnexpected() throws {
        let bayes: ParameterTree = ["0.weight": .zeros([4, 3]), "0.bias": .zeros([4]), "0.log_sigma2": .full([4, 3], -10)]
        let (loaded, report) = try bayes.loading(dense, strict: false)
        XCTAssertEqual(report.missing, ["0.log_sigma2"]); XCTAssertEqual(report.unexpected, [])
        XCTAssertEqual(loaded["0.weight"]!.scalars, Array(repeating: 1, count: 12))
        XCTAssertEqual(loaded["0.log_sigma2"]!.scalars.first, -10)
        XCTAssertThrowsError(try bayes.loading(dense, strict: true))
        let (_, back) = try dense.loading(bayes, strict: false)
        XCTAssertEqual(back.unexpected, ["0.log_sigma2"]); XCTAssertEqual(back.missing, [])
    }

    /// A shape mismatch fails a non-strict load too (PyTorch's "size mismatch"); the explicit
    /// opt-in skips the entry, keeps the current value and reports it.
    func testShapeMismatchThrowsUnlessSkippedExplicitly() throws {
        let other: ParameterTree = ["0.weight": .zeros([3, 3]), "0.bias": .zeros([4])]
        XCTAssertThrowsError(try dense.loading(other, strict: false)) { error in
            XCTAssertEqual(error as? ParameterTreeError, .sizeMismatch([.init(key: "0.weight", expected: [4, 3], found: [3, 3])]))
            XCTAssertEqual("\(error)", "size mismatch for 0.weight: copying a param with shape [3, 3] from the source, "
                           + "the shape in the current model is [4, 3]")
        }
        let (loaded, report) = try dense.loading(other, strict: false, skipShapeMismatches: true)
        XCTAssertEqual(report.shapeMismatches, [.init(key: "0.weight", expected: [4, 3], found: [3, 3])])
        XCTAssertEqual(loaded["0.weight"]!.scalars.first, 1)
        XCTAssertEqual(loaded["0.bias"]!.scalars.first, 0)
        XCTAssertThrowsError(try dense.loading(other, strict: true)) { error in
            XCTAssertTrue("\(error)".contains("size mismatch for 0.weight"), "\(error)")
        }
        XCTAssertThrowsError(try dense.loading(other, strict: true, skipShapeMismatches: true), "strict wins over the opt-in")
    }

    /// A dtype difference is converted, not a mismatch (PyTorch's `copy_`).
    func testDtypeDifferenceConverts() throws {
        let f64: ParameterTree = ["0.weight": Tensor.full([4, 3], 0.5, dtype: .float64), "0.bias": Tensor.zeros([4], dtype: .float64)]
        let (loaded, report) = try dense.loading(f64, strict: true)
        XCTAssertTrue(report.isClean)
        XCTAssertEqual(loaded["0.weight"]!.dtype, dense["0.weight"]!.dtype)
        XCTAssertEqual(loaded["0.weight"]!.scalars.first, 0.5)
    }

    func testRealToComplexPromotion() throws {
        let cplx: ParameterTree = ["0.weight.real": .zeros([4, 3]), "0.weight.imag": .ones([4, 3]),
                                   "0.bias.real": .zeros([4]), "0.bias.imag": .ones([4])]
        let (loaded, report) = try cplx.loading(dense, strict: true)
        XCTAssertTrue(report.isClean); XCTAssertEqual(report.promoted, ["0.weight", "0.bias"])
        XCTAssertEqual(loaded["0.weight.real"]!.scalars.first, 1)
        XCTAssertEqual(loaded["0.weight.imag"]!.scalars.first, 0)
        // complex → real: nothing matches
        let (_, back) = try dense.loading(cplx, strict: false)
        XCTAssertEqual(back.missing, ["0.weight", "0.bias"])
        XCTAssertEqual(back.unexpected, ["0.weight.real", "0.weight.imag", "0.bias.real", "0.bias.imag"])
    }

    func testPromotionDoesNotDependOnPartOrder() throws {
        // cplxmodule lists `weight.imag` before `weight.real`
        let cplx: ParameterTree = ["0.weight.imag": .ones([4, 3]), "0.weight.real": .zeros([4, 3]),
                                   "0.bias.imag": .ones([4]), "0.bias.real": .zeros([4])]
        let (loaded, report) = try cplx.loading(dense, strict: true)
        XCTAssertEqual(report.missing, []); XCTAssertEqual(report.unexpected, [])
        XCTAssertEqual(report.promoted, ["0.weight", "0.bias"])
        XCTAssertEqual(loaded["0.weight.real"]!.scalars.first, 1)
        XCTAssertEqual(loaded["0.weight.imag"]!.scalars.first, 0)
        // a promoted entry of the wrong shape is one mismatch, loaded nowhere
        let wrong: ParameterTree = ["0.weight": .ones([2, 3]), "0.bias": .ones([4])]
        let (_, bad) = try cplx.loading(wrong, strict: false, skipShapeMismatches: true)
        XCTAssertEqual(bad.shapeMismatches, [.init(key: "0.weight", expected: [4, 3], found: [2, 3])])
        XCTAssertEqual(bad.missing, [])
    }

    func testLoadConvertsToTheReceivingDType() throws {
        let t: ParameterTree = ["w": .zeros([2], dtype: .float32)]
        let (loaded, _) = try t.loading(["w": Tensor([1, 2], dtype: .float64)], strict: true)
        XCTAssertEqual(loaded["w"]!.dtype, .float32)
    }
}
