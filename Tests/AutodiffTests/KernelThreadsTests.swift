import XCTest
import Autodiff
import Ops

/// `KernelThreads.count`, the library's `torch.set_num_threads`: clamped to 1...64, read back as
/// set, and without effect on the values (a product at 1 thread and at 3 has the same bits).
final class KernelThreadsTests: XCTestCase {
    private var saved = 1
    override func setUp() { saved = KernelThreads.count }
    override func tearDown() { KernelThreads.count = saved }

    func testCountIsSetReadBackAndClamped() {
        XCTAssertTrue((1...KernelThreads.maximum).contains(KernelThreads.count))
        KernelThreads.count = 3
        XCTAssertEqual(KernelThreads.count, 3)
        KernelThreads.count = 0
        XCTAssertEqual(KernelThreads.count, 1)
        KernelThreads.count = -7
        XCTAssertEqual(KernelThreads.count, 1)
        KernelThreads.count = 1_000
        XCTAssertEqual(KernelThreads.count, KernelThreads.maximum)
        KernelThreads.count = .max
        XCTAssertEqual(KernelThreads.count, 64)
    }

    func testCountDoesNotChangeTheValues() {
        let a = normal([300, 257], key: RandomKey(seed: 1)), b = normal([257, 190], key: RandomKey(seed: 2))
        KernelThreads.count = 1
        let one = matmul(a, b).scalars(as: Float.self)
        KernelThreads.count = 3
        let three = matmul(a, b).scalars(as: Float.self)
        XCTAssertEqual(one.map(\.bitPattern), three.map(\.bitPattern))
    }
}
