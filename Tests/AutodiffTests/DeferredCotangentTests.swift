import XCTest
import Autodiff
import Ops

/// `valueWithGradient(at:deferring:)`: a deferred cotangent reaches its leaf first (as the pullback
/// of a term recorded after the function's value would), bit for bit, and is asked for only when
/// the backward pass first pulls back into that leaf.
final class DeferredCotangentTests: XCTestCase {
    /// The term `⟨c, x⟩` of a loss `y + term`, recorded on the tape after y: its pullback hands out c.
    func term(_ x: Tensor, _ c: Tensor) -> Tensor {
        Tape.record("term", Tensor(scalar: 0, dtype: .float32), inputs: [x]) { _ in [c] }
    }

    func testDeferredCotangentComesFirstBitForBit() {
        // float32: (c + g₁) + g₂ differs from c + (g₁ + g₂) and from (g₁ + g₂) + c for these values
        let tree: ParameterTree = ["a": Tensor(shape: [3], scalars: [1, -2, 0.5], dtype: .float32),
                                   "b": Tensor(shape: [3], scalars: [3, 1e-4, -7], dtype: .float32)]
        let c = Tensor(shape: [3], scalars: [1e8, 3e7, -5e7], dtype: .float32)
        func y(_ p: ParameterTree) -> Tensor { sum(p["a"]! * p["b"]! * p["a"]! + p["a"]! * 0.37) }
        let taped = valueWithGradient(at: tree) { p in y(p) + term(p["a"]!, c) }
        let deferred = valueWithGradient(at: tree, deferring: { p in (y(p), [(p["a"]!, { c })]) })
        XCTAssertEqual(deferred.value.scalars, taped.value.scalars)
        for k in ["a", "b"] {
            XCTAssertEqual(deferred.gradient[k]!.scalars.map { Float($0).bitPattern }, taped.gradient[k]!.scalars.map { Float($0).bitPattern }, k)
        }
        // added last instead, the sum would differ (the test's values can tell)
        let plainA = valueWithGradient(at: tree) { p in y(p) }.gradient["a"]!
        XCTAssertNotEqual((plainA + c).scalars, taped.gradient["a"]!.scalars, "values must tell the orders apart")
    }

    func testDeferredCotangentIsAskedForLate() {
        let tree: ParameterTree = ["a": Tensor(shape: [2], scalars: [1, 2], dtype: .float32),
                                   "b": Tensor(shape: [2], scalars: [3, 4], dtype: .float32)]
        final class Log { var events: [String] = [] }
        let log = Log()
        func logged(_ name: String, _ x: Tensor) -> Tensor {
            Tape.record(name, x.detached(), inputs: [x]) { g in log.events.append(name); return [g] }
        }
        let r = valueWithGradient(at: tree, deferring: { p in
            let a = logged("a-op", p["a"]!)            // pulled back last
            let b = logged("b-op", p["b"]!)            // pulled back first
            return (sum(a * 2) + sum(b * 3), [(p["a"]!, { log.events.append("deferred a"); return Tensor(shape: [2], scalars: [10, 20], dtype: .float32) }),
                                                (p["b"]!, { log.events.append("deferred b"); return Tensor(shape: [2], scalars: [5, 6], dtype: .float32) })])
        })
        XCTAssertEqual(r.gradient["a"]!.scalars, [12, 22])
        XCTAssertEqual(r.gradient["b"]!.scalars, [8, 9])
        // each deferred cotangent is asked for just before its leaf's first pullback runs, not before
        XCTAssertEqual(log.events, ["deferred b", "b-op", "deferred a", "a-op"])
    }

    func testUnreachedLeafGetsItsDeferredCotangent() {
        let tree: ParameterTree = ["a": Tensor(shape: [2], scalars: [1, 2], dtype: .float32),
                                   "b": Tensor(shape: [2], scalars: [3, 4], dtype: .float32)]
        let r = valueWithGradient(at: tree, deferring: { p in (sum(p["a"]!), [(p["b"]!, { Tensor(shape: [2], scalars: [7, 8], dtype: .float32) })]) })
        XCTAssertEqual(r.gradient["b"]!.scalars, [7, 8])
        XCTAssertEqual(r.gradient["a"]!.scalars, [1, 1])
    }
}

/// Several deferred terms of one leaf (a parameter shared by layers) add up as the taped terms do:
/// the last term's pullback first.
final class DeferredCotangentSharedLeafTests: XCTestCase {
    func testSeveralTermsOfOneLeafAddAsTaped() {
        let tree: ParameterTree = ["a": Tensor(shape: [2], scalars: [1, -2], dtype: .float32)]
        // float32 values whose sum depends on the order: (c3 + c2) + c1 ≠ c3 + (c2 + c1)
        let c1 = Tensor(shape: [2], scalars: [1e8, 3], dtype: .float32)
        let c2 = Tensor(shape: [2], scalars: [-1e8, 1e8], dtype: .float32)
        let c3 = Tensor(shape: [2], scalars: [3, -1e8], dtype: .float32)
        func term(_ x: Tensor, _ c: Tensor) -> Tensor { Tape.record("term", Tensor(scalar: 0, dtype: .float32), inputs: [x]) { _ in [c] } }
        let taped = valueWithGradient(at: tree) { p in ((sum(p["a"]! * 0.5) + term(p["a"]!, c1)) + term(p["a"]!, c2)) + term(p["a"]!, c3) }
        let deferred = valueWithGradient(at: tree, deferring: { p in (sum(p["a"]! * 0.5), [(p["a"]!, { c1 }), (p["a"]!, { c2 }), (p["a"]!, { c3 })]) })
        XCTAssertEqual(deferred.gradient["a"]!.scalars, taped.gradient["a"]!.scalars)
        XCTAssertEqual(taped.gradient["a"]!.scalars, [0.5, 3.5], "the taped order: (c3 + c2) + c1, then the rest")
    }
}
