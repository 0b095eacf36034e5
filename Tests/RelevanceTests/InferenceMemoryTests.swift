import XCTest
import Autodiff
import NN
import Ops
import Relevance
import TestSupport

/// Repeated eval-mode calls record nothing and take their large buffers from the `BufferCache`
/// that the previous call returned them to: no fresh memory per call, for the plain model and the
/// compiled one.
final class InferenceMemoryTests: XCTestCase {
    func testRepeatedEvalCallsReuseTheirBuffers() {
        let model = Sequential<Tensor, Tensor>(Flatten(1, -1), Linear(784, 400), ReLU(), Linear(400, 10))
        let params = model.initialParameters(key: RandomKey(seed: 2))
        let (compiled, rest) = compileDense(model, parameters: params)
        let x = Sample.uniform([64, 1, 28, 28], 0, 1, seed: 3, dtype: .float32)
        for (name, call) in [("plain", { model(x, parameters: params) }), ("compiled", { compiled(x, parameters: rest) })] {
            _ = call()   // warm-up: the outputs' memory goes to the cache when they are freed
            let cached = BufferCache.cachedByteCount, reused = BufferCache.reuseCount
            for _ in 0..<5 {
                let y = call()
                XCTAssertFalse(y.isTraced, name)
            }
            // The 64×400 float hidden activation (100 kB) is the one buffer above the cache's
            // minimum size: each call takes it from the cache and gives it back.
            XCTAssertGreaterThanOrEqual(BufferCache.reuseCount - reused, 5, "\(name): calls did not reuse cached memory")
            XCTAssertEqual(BufferCache.cachedByteCount, cached, "\(name): the cache grew, so calls allocated fresh memory")
        }
    }
}
