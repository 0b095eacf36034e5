import XCTest
final class RelevanceTestsSmoke: XCTestCase { func testBuilds() {} }
