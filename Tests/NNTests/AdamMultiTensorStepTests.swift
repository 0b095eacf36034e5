import XCTest
import Autodiff
import Kernels
import NN

/// `Adam.update` runs all trainable tensors of a tree in one multi-tensor kernel call per dtype:
/// every parameter and state buffer is, bit for bit, what updating that entry alone (a one-entry
/// tree, one tensor per call) gives, over several steps, with per-key learning rates, mixed dtypes,
/// buffers, missing gradients and AdamW's decay, at 1, 2 and 3 threads; and the keys of the
/// parameters and of the state keep their order.
final class AdamMultiTensorStepTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    static func tensor(_ shape: [Int], _ seed: Int, _ dtype: DType) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: (0..<n).map { Double(($0 * 7_919 + seed * 104_729) % 10_007) / 5_003 - 1 }, dtype: dtype)
    }

    /// Keys, shapes and dtypes: large and small tensors, a buffer, a float64 entry, an L0 gate.
    static let entries: [(String, [Int], DType)] = [
        ("0.log_sigma2", [400, 100], .float32), ("0.weight.imag", [400, 100], .float32), ("0.weight.real", [400, 100], .float32),
        ("0.bias.imag", [400], .float32), ("0.mask", [400, 100], .float32), ("0.bias.real", [400], .float32),
        ("1.log_alpha", [10, 40], .float32), ("1.weight", [10, 40], .float64), ("1.bias", [10], .float32), ("2.weight", [3, 3], .float32),
    ]

    func testWholeTreeEqualsOneEntryAtATime() {
        for threads: Int32 in [1, 2, 3] {
            _ = wt_set_num_threads(threads)
            for decoupled in [false, true] {
                var opt = Adam(learningRate: 0.01, weightDecay: decoupled ? 0 : 0.02)
                opt.learningRateScale = { $0.hasSuffix("log_alpha") ? 30 : 1 }
                let optW = AdamW(learningRate: 0.01, weightDecay: 0.05)
                func step(_ p: ParameterTree, _ g: ParameterTree, _ s: inout OptimizerState) -> ParameterTree {
                    decoupled ? optW.update(p, gradients: g, state: &s) : opt.update(p, gradients: g, state: &s)
                }
                var whole = ParameterTree(Self.entries.enumerated().map { k, e in (e.0, Self.tensor(e.1, k, e.2)) })
                var wholeState = decoupled ? optW.initialState(for: whole) : opt.initialState(for: whole)
                var single = Self.entries.map { e in ParameterTree([(e.0, whole[e.0]!)]) }
                var singleState = single.map { decoupled ? optW.initialState(for: $0) : opt.initialState(for: $0) }
                for s in 1...3 {
                    // "2.weight" has no gradient; the buffer's gradient is ignored
                    let grads = ParameterTree(Self.entries.enumerated().filter { $0.element.0 != "2.weight" }.map { k, e in
                        (e.0, Self.tensor(e.1, 100 * s + k, e.2))
                    })
                    whole = step(whole, grads, &wholeState)
                    for k in single.indices {
                        let key = Self.entries[k].0
                        let g = grads[key].map { ParameterTree([(key, $0)]) } ?? ParameterTree()
                        single[k] = step(single[k], g, &singleState[k])
                    }
                    let at = "\(threads) threads, \(decoupled ? "AdamW" : "Adam"), step \(s)"
                    XCTAssertEqual(whole.keys, Self.entries.map(\.0), at)
                    for (k, e) in Self.entries.enumerated() {
                        XCTAssertEqual(whole[e.0]!.dtype, e.2)
                        XCTAssertEqual(whole[e.0]!.scalars, single[k][e.0]!.scalars, "\(e.0), \(at)")
                        for suffix in [".exp_avg", ".exp_avg_sq", ".step"] {
                            XCTAssertEqual(wholeState.buffers[e.0 + suffix]?.scalars, singleState[k].buffers[e.0 + suffix]?.scalars,
                                           "\(e.0)\(suffix), \(at)")
                        }
                    }
                    // the state's keys: moments for every trainable entry (from the initial state), steps for those
                    // with a gradient, in the tree's order
                    let trainable = Self.entries.map(\.0).filter { $0 != "0.mask" }
                    XCTAssertEqual(wholeState.buffers.keys.filter { $0.hasSuffix(".exp_avg") }, trainable.map { $0 + ".exp_avg" }, at)
                    XCTAssertEqual(wholeState.buffers.keys.filter { $0.hasSuffix(".step") },
                                   trainable.filter { $0 != "2.weight" }.map { $0 + ".step" }, at)
                    XCTAssertEqual(whole["0.mask"]!.scalars, Self.tensor([400, 100], 4, .float32).scalars, at)
                    XCTAssertEqual(whole["2.weight"]!.scalars, Self.tensor([3, 3], 9, .float32).scalars, at)
                }
                // the steps moved the trained parameters (a kernel call that wrote nothing would fail above only if
                // the one-entry path failed the same way)
                XCTAssertNotEqual(whole["0.weight.real"]!.scalars, Self.tensor([400, 100], 2, .float32).scalars)
                XCTAssertNotEqual(whole["1.weight"]!.scalars, Self.tensor([10, 40], 7, .float64).scalars)
            }
        }
    }

    /// The finite check of the one call covers every tensor: a NaN gradient in a small float64
    /// tensor after the large float32 ones is reported.
    func testFiniteCheckCoversEveryTensor() {
        let opt = Adam(learningRate: 0.01)
        let params = ParameterTree(Self.entries.enumerated().map { k, e in (e.0, Self.tensor(e.1, k, e.2)) })
        for bad in ["0.weight.real", "1.weight", "2.weight"] {
            var state = opt.initialState(for: params)
            var grads = ParameterTree(Self.entries.enumerated().map { k, e in (e.0, Self.tensor(e.1, 50 + k, e.2)) })
            var g = grads[bad]!.scalars
            g[g.count - 1] = .nan
            grads[bad] = Tensor(shape: grads[bad]!.shape, scalars: g, dtype: grads[bad]!.dtype)
            XCTAssertFalse(opt.updateCheckingFinite(params, gradients: grads, state: &state).allFinite, bad)
            var clean = opt.initialState(for: params)
            grads[bad] = Self.tensor(params[bad]!.shape, 1, params[bad]!.dtype)
            XCTAssertTrue(opt.updateCheckingFinite(params, gradients: grads, state: &clean).allFinite, bad)
        }
    }
}
