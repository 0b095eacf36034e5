import XCTest
final class AutodiffTestsSmoke: XCTestCase { func testBuilds() {} }
