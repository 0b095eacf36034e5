import XCTest
final class KernelsTestsSmoke: XCTestCase { func testBuilds() {} }
