import XCTest
import Foundation
import Ops

/// Shape errors are programmer errors: the op stops with a message naming itself and the
/// shapes. A trap cannot be caught in-process, so each case runs in a child copy of this test
/// binary (selected by an environment variable) and the parent reads what it printed.
final class ShapeErrorMessageTests: XCTestCase {
    static let cases: [String: (run: @Sendable () -> Void, expected: [String])] = [
        "add": ({ _ = Tensor.zeros([3]) + Tensor.zeros([4]) }, ["add", "[3]", "[4]", "cannot be broadcast"]),
        "matmul": ({ _ = matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5])) }, ["matmul", "[2, 3]", "[4, 5]"]),
        "linear": ({ _ = linear(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]), bias: nil) }, ["linear", "[2, 3]", "[4, 5]"]),
        "conv2d": ({ _ = conv2d(Tensor.zeros([1, 3, 8, 8]), Tensor.zeros([4, 2, 3, 3])) }, ["conv2d", "[1, 3, 8, 8]", "[4, 2, 3, 3]"]),
        "reshape": ({ _ = reshape(Tensor.zeros([2, 3]), [4, 2]) }, ["reshape", "[2, 3]", "[4, 2]"]),
        "complex mul": ({ _ = ComplexTensor.zeros([2]) * ComplexTensor.zeros([3]) }, ["[2]", "[3]", "cannot be broadcast"]),
    ]

    /// Runs one case when started as a child; does nothing in a normal test run.
    func testChildRunner() {
        guard let name = ProcessInfo.processInfo.environment["WIRTINGER_SHAPE_ERROR_CASE"], let c = Self.cases[name] else { return }
        c.run()
    }

    func testShapeErrorsNameTheOpAndTheShapes() throws {
        for (name, c) in Self.cases.sorted(by: { $0.key < $1.key }) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            p.arguments = ["OpsTests.ShapeErrorMessageTests/testChildRunner"]
            p.environment = ProcessInfo.processInfo.environment.merging(["WIRTINGER_SHAPE_ERROR_CASE": name]) { $1 }
            let err = Pipe(), out = Pipe()
            p.standardError = err; p.standardOutput = out
            try p.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                + String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertNotEqual(p.terminationStatus, 0, "\(name): the child should have stopped")
            for needle in c.expected {
                XCTAssertTrue(text.contains(needle), "\(name): message lacks '\(needle)':\n\(text.suffix(600))")
            }
        }
    }
}
