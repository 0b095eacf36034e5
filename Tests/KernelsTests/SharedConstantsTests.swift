import Foundation
import Kernels
import XCTest

/// `kernels_constants.h`: the constants the C kernels and the Swift code share reach Swift with
/// their published values, and `wt_modulus` is |z| (exact where the squares are safe, libm
/// `hypot` outside that range, NaN and infinity as `hypot` has them).
final class SharedConstantsTests: XCTestCase {
    func testConstantsReachSwiftWithTheirValues() {
        XCTAssertEqual(WT_KL_K1, 0.63576)
        XCTAssertEqual(WT_KL_K2, 1.87320)
        XCTAssertEqual(WT_KL_K3, 1.48695)
        XCTAssertEqual(WT_EULER_GAMMA, 0.57721566490153286061)
        XCTAssertEqual(WT_LOG_MODULUS_EPS, 1e-12)
        XCTAssertEqual(WT_REPARAM_VARIANCE_MIN, 1e-8)
        XCTAssertEqual(WT_MODULUS_SAFE_HI, 0x1p500)
        XCTAssertEqual(WT_MODULUS_SAFE_LO, 0x1p-500)
        // the float kernels round once: the same bits as the float literals they replaced
        XCTAssertEqual(Float(WT_KL_K1).bitPattern, Float(0.63576 as Float).bitPattern)
        XCTAssertEqual(Float(WT_EULER_GAMMA).bitPattern, Float(0.5772156649015329 as Float).bitPattern)
        XCTAssertEqual(Float(WT_LOG_MODULUS_EPS).bitPattern, Float(1e-12 as Float).bitPattern)
    }

    func testModulusIsDirectInsideTheSafeRangeAndHypotOutside() {
        XCTAssertEqual(wt_modulus(3, 4), 5)
        XCTAssertEqual(wt_modulus(-3, -4), 5)
        XCTAssertEqual(wt_modulus(0, 0), 0)
        XCTAssertEqual(wt_modulus(0.1, 0.2), (0.1 * 0.1 + 0.2 * 0.2).squareRoot())
        // outside the range the squares would overflow or underflow: hypot
        XCTAssertEqual(wt_modulus(1e300, 1e300), Foundation.hypot(1e300, 1e300))
        XCTAssertEqual(wt_modulus(0x1.8p-1062, 0x1p-1060), Foundation.hypot(0x1.8p-1062, 0x1p-1060))
        XCTAssertEqual(wt_modulus(.infinity, .nan), .infinity)
        XCTAssertEqual(wt_modulus(.nan, -.infinity), .infinity)
        XCTAssertTrue(wt_modulus(.nan, 1).isNaN)
        XCTAssertTrue(wt_modulus(1, .nan).isNaN)
    }
}
