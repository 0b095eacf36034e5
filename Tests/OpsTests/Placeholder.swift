import XCTest
final class OpsTestsSmoke: XCTestCase { func testBuilds() {} }
