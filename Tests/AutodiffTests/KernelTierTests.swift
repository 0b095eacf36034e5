import XCTest
import Autodiff
import Ops

/// `KernelTier`: the tiers are ordered and named as `WIRTINGER_ISA` spells them, `limit(to:)`
/// lowers the active tier and never raises it above the allowed one, and a product at a lower tier
/// equals the portable one within float32 rounding.
final class KernelTierTests: XCTestCase {
    override func tearDown() { KernelTier.limit(to: KernelTier.allowed) }

    func testNamesOrderAndBounds() {
        XCTAssertEqual(KernelTier.allCases.map(\.description), ["portable", "avx2", "avx512"])
        XCTAssertTrue(KernelTier.portable < .avx2 && KernelTier.avx2 < .avx512)
        XCTAssertLessThanOrEqual(KernelTier.allowed, KernelTier.hardware)
        XCTAssertLessThanOrEqual(KernelTier.active, KernelTier.allowed)
        XCTAssertFalse(KernelTier.cpuModel.isEmpty)
    }

    func testLimitLowersButNeverRaisesAboveAllowed() {
        for tier in KernelTier.allCases {
            let now = KernelTier.limit(to: tier)
            XCTAssertEqual(now, min(tier, KernelTier.allowed), "limit(to: \(tier))")
            XCTAssertEqual(KernelTier.active, now)
        }
    }

    func testEveryTierComputesTheSameProduct() {
        let a = normal([67, 129], key: RandomKey(seed: 4)), b = normal([129, 45], key: RandomKey(seed: 5))
        KernelTier.limit(to: .portable)
        let reference = matmul(a, b).scalars
        for tier in KernelTier.allCases where tier <= KernelTier.allowed {
            KernelTier.limit(to: tier)
            let c = matmul(a, b).scalars
            let worst = zip(c, reference).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-5, "\(tier) against portable")
        }
    }
}
