import XCTest
import Autodiff

/// One rule for default dtypes: Swift values keep their precision, shapes alone give float32.
final class DTypeDefaultsTests: XCTestCase {
    func testValuesKeepTheirPrecisionShapesAloneAreFloat32() {
        XCTAssertEqual(Tensor(scalar: 0.1).dtype, .float64)
        XCTAssertEqual(Tensor(scalar: 0.1).item, 0.1, "no rounding through float32")
        XCTAssertEqual(Tensor([0.1, 0.2] as [Double]).dtype, .float64)
        XCTAssertEqual(Tensor(shape: [1], scalars: [0.1] as [Double]).dtype, .float64)
        XCTAssertEqual(Tensor([0.1] as [Float]).dtype, .float32)
        XCTAssertEqual(ComplexTensor(Complex(1, 2)).dtype, .float64)
        XCTAssertEqual(ComplexTensor(shape: [1], elements: [Complex(1, 2)]).dtype, .float64)
        XCTAssertEqual(Tensor.zeros([2]).dtype, .float32)
        XCTAssertEqual(Tensor.ones([2]).dtype, .float32)
        XCTAssertEqual(Tensor.full([2], 0.5).dtype, .float32)
        XCTAssertEqual(ComplexTensor.zeros([2]).dtype, .float32)
        XCTAssertEqual(Tensor(scalar: 2, dtype: .float32).dtype, .float32, "dtype: overrides")
    }
}
