import XCTest
import Autodiff
import Ops
import NN

/// ``InitializedSequential``: presets replace drawn entries, everything else is the body's.
final class InitializedSequentialTests: XCTestCase {
    func testPresetsReplaceDrawnEntriesAndNothingElseChanges() {
        let body = Sequential<Tensor, Tensor>(Linear(3, 2), ReLU(), Linear(2, 1))
        let wrapped = InitializedSequential(body, presets: [.init(key: "0.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])])
        // as a branch of a container, so the hook runs below the root
        let outer = ConcatenatedBranches("plain", body, "preset", wrapped)
        let key = RandomKey(seed: 5)
        let p = outer.initialParameters(key: key, dtype: .float64)
        XCTAssertEqual(Set(p.keys), ["plain.0.weight", "plain.0.bias", "plain.2.weight", "plain.2.bias",
                                     "preset.0.weight", "preset.0.bias", "preset.2.weight", "preset.2.bias"])
        XCTAssertEqual(p["preset.0.weight"]?.scalars, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(p["preset.0.weight"]?.dtype, .float64)
        // the other entries are drawn from the same path keys as without the preset
        let reference = ConcatenatedBranches("plain", body, "preset", body).initialParameters(key: key, dtype: .float64)
        for k in ["preset.0.bias", "preset.2.weight", "preset.2.bias", "plain.0.weight"] {
            XCTAssertEqual(p[k]?.scalars, reference[k]?.scalars, k)
        }
        XCTAssertNotEqual(p["preset.0.weight"]?.scalars, reference["preset.0.weight"]?.scalars)
        // the call is the body's
        let x = normal([4, 3], key: RandomKey(seed: 6), dtype: .float64)
        XCTAssertEqual(wrapped(x, parameters: p.scoped("preset")).scalars, body(x, parameters: p.scoped("preset")).scalars)
    }

    func testInnermostPresetWins() {
        let inner = InitializedSequential(Sequential<Tensor, Tensor>(Linear(1, 1)), presets: [.init(key: "0.bias", shape: [1], values: [7])])
        let outer = InitializedSequential(Sequential<Tensor, Tensor>(inner), presets: [.init(key: "0.0.bias", shape: [1], values: [3]),
                                                                                      .init(key: "0.0.weight", shape: [1, 1], values: [2])])
        let p = outer.initialParameters(key: RandomKey(seed: 1), dtype: .float64)
        XCTAssertEqual(p["0.0.bias"]?.scalars, [7])
        XCTAssertEqual(p["0.0.weight"]?.scalars, [2])
    }
}
