import Autodiff
import TestSupport
import XCTest

/// The dtype-dispatch helpers of Autodiff: `DType.dispatch` reaches the scalar type of each dtype,
/// the operator form of `zipElements` is the closure form, and `withBaseAddresses` hands out the
/// addresses of every tensor at once (outputs made unique first).
final class DispatchHelpersTests: XCTestCase {
    func testDispatchOpensTheScalarTypeOfEachDType() {
        func name<T: TensorScalar>(_: T.Type) -> String { "\(T.self) \(T.dtype)" }
        XCTAssertEqual(DType.float32.dispatch { name($0) }, "Float float32")
        XCTAssertEqual(DType.float64.dispatch { name($0) }, "Double float64")
        struct Failure: Error {}
        XCTAssertThrowsError(try DType.float64.dispatch { _ in throw Failure() })
    }

    func testOperatorFormEqualsTheClosureForm() {
        for dtype in DType.allCases {
            let a = Sample.normal([3, 4], seed: 1, dtype: dtype), b = Sample.normal([4], seed: 2, dtype: dtype)
            let pairs: [(Tensor.ArithmeticOperator, Tensor)] = [
                (.add, Tensor.zipElements(a, b, op: "t", +, +)), (.subtract, Tensor.zipElements(a, b, op: "t", -, -)),
                (.multiply, Tensor.zipElements(a, b, op: "t", *, *)), (.divide, Tensor.zipElements(a, b, op: "t", /, /))]
            for (op, expected) in pairs {
                let y = Tensor.zipElements(a, b, op: "t", op)
                XCTAssertEqual(y.shape, [3, 4])
                XCTAssertEqual(y.dtype, dtype)
                XCTAssertEqual(y.scalars, expected.scalars, "\(op) \(dtype)")
            }
        }
    }

    func testBaseAddressesReadEveryInputAndWriteUniqueOutputs() {
        let x = Tensor([1, 2, 3] as [Double]), y = Tensor([10, 20, 30] as [Double])
        let shared = Tensor.zeros([3], dtype: .float64)
        var outputs = [shared, Tensor.zeros([3], dtype: .float64)]
        Tensor.withBaseAddresses(reading: [x, y], writing: &outputs, as: Double.self) { i, o in
            for k in 0..<3 { o[0][k] = i[0][k] + i[1][k]; o[1][k] = i[0][k] * i[1][k] }
        }
        XCTAssertEqual(outputs[0].scalars, [11, 22, 33])
        XCTAssertEqual(outputs[1].scalars, [10, 40, 90])
        XCTAssertEqual(shared.scalars, [0, 0, 0], "an output sharing memory with another value is copied first")
    }
}
