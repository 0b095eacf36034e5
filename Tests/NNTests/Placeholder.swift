import XCTest
final class NNTestsSmoke: XCTestCase { func testBuilds() {} }
