import XCTest
import Foundation
import Autodiff
import Ops
import NN
import Relevance
import Recipes

/// Long training keeps resident memory flat, and every gradient call frees its tape.
final class MemoryTests: XCTestCase {
    /// Resident set size of this process in bytes, from `/proc/self/statm` (Linux).
    func residentBytes() throws -> Int {
        let text = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { throw XCTSkip("unexpected /proc/self/statm: \(text)") }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    func testTapeIsFreedAfterEachGradientCall() {
        let model = Sequential<Tensor, Tensor>(Linear(8, 16), ReLU(), LinearVD(16, 4))
        let params = model.initialParameters(key: RandomKey(seed: 1))
        let x = normal([5, 8], key: RandomKey(seed: 2))
        weak var tape: Tape?
        var entries = 0
        for step in 0..<3 {
            let ctx = Context(training: true, key: RandomKey(seed: UInt64(step)))
            let g = gradient(at: params) { p in
                tape = p["0.weight"]!.trace?.tape
                let loss = crossEntropy(model(x, parameters: p, context: ctx), targets: [0, 1, 2, 3, 0]) + totalPenalty(model, parameters: p)
                entries = tape?.entryCount ?? 0
                return loss
            }
            XCTAssertGreaterThan(entries, 5, "the tape recorded the step")
            XCTAssertNil(tape, "step \(step): the tape outlived its gradient call")
            // nothing returned keeps a reference to it either
            XCTAssertTrue(g.allSatisfy { $0.value.trace == nil }, "gradients are untraced")
        }
        // a pullback keeps its tape exactly as long as the pullback itself lives
        do {
            var pb: (([Tensor]) -> [Tensor])? = valueWithPullback(at: [x]) { xs in
                tape = xs[0].trace?.tape
                return [sum(exp(xs[0]))]
            }.pullback
            XCTAssertNotNil(tape)
            _ = pb!([Tensor(scalar: 1)])
            pb = nil
            XCTAssertNil(tape, "the tape outlived its pullback")
        }
    }

    /// 2,000 training steps of a small MLP (after a warm-up) grow the resident set by less than
    /// 8 MiB (parameters, gradients and Adam buffers together are below 0.1 MiB; keeping one
    /// step's tape alive, with the activations its pullbacks capture, would add ≈ 2,000 × 40 KiB).
    func testResidentMemoryFlatOverTrainingSteps() throws {
        let features = 32, hidden = 64, classes = 10, batch = 16
        let model = try makeClassifier(.mlp, flavor: .vd, sampleShape: [features], classes: classes, hidden: hidden)
        var params = model.initialParameters(key: RandomKey(seed: 1))
        let optimizer = Adam(learningRate: 1e-3)
        var state = optimizer.initialState(for: params)
        let x = normal([batch, features], key: RandomKey(seed: 2))
        let y = (0..<batch).map { $0 % classes }
        func step(_ i: Int) {
            let ctx = Context(training: true, key: RandomKey(seed: UInt64(i)))
            let g = gradient(at: params) { p in
                crossEntropy(model(x, parameters: p, context: ctx), targets: y) + 1e-4 * totalPenalty(model, parameters: p)
            }
            params = optimizer.update(params, gradients: g, state: &state)
        }
        for i in 0..<200 { step(i) }          // warm-up: allocator pools, lazy GEMM workers
        let before = try residentBytes()
        var samples: [Int] = []
        for i in 200..<2200 {
            step(i)
            if i % 500 == 0 { samples.append(try residentBytes()) }
        }
        let after = try residentBytes()
        let growth = after - before
        print("MemoryTests: resident \(before / 1024) KiB before, \(after / 1024) KiB after 2,000 steps (growth \(growth / 1024) KiB; samples \(samples.map { $0 / 1024 }) KiB)")
        XCTAssertLessThan(growth, 8 << 20, "resident memory grew by \(growth / 1024) KiB over 2,000 steps")
        XCTAssertTrue(params.allSatisfy { isAllFinite($0.value) })
    }
}
