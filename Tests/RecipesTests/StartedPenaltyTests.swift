import XCTest
import Foundation
import Dispatch
import Kernels
import Autodiff
import Ops
import NN
import Relevance
import Recipes

/// A training step whose penalties are started before the forward pass (`startTotalPenalty`) and
/// handed to the backward pass as deferred cotangents (`valueWithGradient(at:deferring:)`), as
/// `train` takes it, gives the loss and every gradient of the taped step
/// `crossEntropy + totalPenalty(…, scale:)` bit for bit: complex VD and ARD MLPs in float32 (the
/// started kernels: a 392 × 400 weight of ten blocks), at 1, 2 and 3 threads, every tier, and with
/// several steps on several threads at once (one of them gets the background slot).
final class StartedPenaltyTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        super.tearDown()
    }

    func bits(_ t: Tensor) -> [UInt8] { t.withUnsafeRawBytes { Array($0) } }

    func batch(_ n: Int) -> (Tensor, [Int]) {
        var rng = SplitMix64(seed: 21)
        return (uniform([n, 1, 28, 28], key: RandomKey(seed: 4)), (0..<n).map { _ in Int(rng.next() % 10) })
    }

    static func taped(_ model: any Layer<Tensor, Tensor>, _ params: ParameterTree, _ x: Tensor, _ y: [Int], scale: Double)
        -> (Tensor, ParameterTree) {
        let ctx = Context(training: true, key: RandomKey(seed: 8))
        let r = valueWithGradient(at: params) { p in
            crossEntropy(model(x, parameters: p, context: ctx), targets: y) + totalPenalty(model, parameters: p, scale: scale)
        }
        return (r.value, r.gradient)
    }

    static func started(_ model: any Layer<Tensor, Tensor>, _ params: ParameterTree, _ x: Tensor, _ y: [Int], scale: Double)
        -> (Tensor, ParameterTree) {
        let ctx = Context(training: true, key: RandomKey(seed: 8))
        var value: (() -> Tensor)?
        let r = valueWithGradient(at: params, deferring: { p in
            let penalties = startTotalPenalty(model, parameters: p, scale: scale)
            let ce = crossEntropy(model(x, parameters: p, context: ctx), targets: y)
            // at 1 thread nothing is started, and the step takes the taped route
            XCTAssertEqual(penalties.untaped == nil, wt_get_num_threads() == 1, "an untaped form exactly with a second thread")
            guard let untaped = penalties.untaped else { return (ce + penalties.record(), []) }
            value = untaped.value
            return (ce, untaped.cotangents)
        })
        return (value.map { r.value + $0() } ?? r.value, r.gradient)
    }

    func assertSame(_ a: (Tensor, ParameterTree), _ b: (Tensor, ParameterTree), _ what: String) {
        XCTAssertEqual(bits(a.0), bits(b.0), "\(what): loss")
        XCTAssertEqual(a.1.keys, b.1.keys, what)
        for (k, t) in a.1 { XCTAssertEqual(bits(t), bits(b.1[k]!), "\(what): gradient of \(k)") }
    }

    func testStartedStepEqualsTapedStep() throws {
        let saved = wt_get_num_threads()
        defer { _ = wt_set_num_threads(saved) }
        let (x, y) = batch(8)
        for flavor in [LayerFlavor.vd, .ard] {
            let model = try makeClassifier(.cplxMLP, flavor: flavor, sampleShape: [1, 28, 28], classes: 10, hidden: 400)
            let params = model.initialParameters(key: RandomKey(seed: 3))
            for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
                _ = wt_set_isa(isa)
                for threads: Int32 in [1, 2, 3] {
                    _ = wt_set_num_threads(threads)
                    assertSame(Self.started(model, params, x, y, scale: 1e-3), Self.taped(model, params, x, y, scale: 1e-3),
                               "\(flavor), \(threads) threads, \(isa)")
                }
            }
        }
    }

    func testStartedStepsOnSeveralThreadsAtOnce() throws {
        let saved = wt_get_num_threads()
        defer { _ = wt_set_num_threads(saved) }
        _ = wt_set_num_threads(2)
        let (x, y) = batch(8)
        let model = try makeClassifier(.cplxMLP, flavor: .vd, sampleShape: [1, 28, 28], classes: 10, hidden: 400)
        let trees = (0..<4).map { model.initialParameters(key: RandomKey(seed: UInt64(30 + $0))) }
        let serial = trees.map { Self.taped(model, $0, x, y, scale: 0.5) }
        final class Results: @unchecked Sendable {   // each slot written by exactly one iteration
            var r: [(Tensor, ParameterTree)?] = Array(repeating: nil, count: 4)
        }
        let results = Results()
        results.r.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let slots = slots
            DispatchQueue.concurrentPerform(iterations: 4) { j in slots[j] = StartedPenaltyTests.started(model, trees[j], x, y, scale: 0.5) }
        }
        for j in 0..<4 { assertSame(results.r[j]!, serial[j], "tree \(j)") }
    }
}
