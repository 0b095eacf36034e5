import XCTest
@testable import Autodiff

final class TensorTests: XCTestCase {
    func testCreationAndElements() {
        let t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6] as [Float])
        XCTAssertEqual(t.shape, [2, 3]); XCTAssertEqual(t.dtype, .float32); XCTAssertEqual(t.count, 6)
        XCTAssertEqual(t[1, 2], 6); XCTAssertEqual(t[-1, 0], 4)
        XCTAssertEqual(Tensor.zeros([2], dtype: .float64).scalars, [0, 0])
        XCTAssertEqual(Tensor.ones([3]).scalars, [1, 1, 1])
        XCTAssertEqual(Tensor.full([2], 7.5, dtype: .float64).scalars, [7.5, 7.5])
        XCTAssertEqual(Tensor.arange(0, 5, step: 2).scalars, [0, 2, 4])
        XCTAssertEqual(Tensor(scalar: 3).shape, [])
        XCTAssertEqual(Tensor(scalar: 3).item, 3)
        XCTAssertEqual(Tensor.zeros([0, 3]).count, 0)
    }

    func testCopyOnWrite() {
        let a = Tensor([1, 2, 3] as [Float])
        var b = a
        b[0] = 10
        XCTAssertEqual(a.scalars, [1, 2, 3], "writing a copy must not change the original")
        XCTAssertEqual(b.scalars, [10, 2, 3])
    }

    func testDTypeConversion() {
        let a = Tensor([1.5, -2.25], dtype: .float64)
        let f = a.converted(to: .float32)
        XCTAssertEqual(f.dtype, .float32); XCTAssertEqual(f.scalars, [1.5, -2.25])
        XCTAssertEqual(f.converted(to: .float64).dtype, .float64)
    }

    func testBroadcastShapes() {
        XCTAssertEqual(Broadcast.shape([3, 1], [4]), [3, 4])
        XCTAssertEqual(Broadcast.shape([2, 1, 5], [3, 1]), [2, 3, 5])
        XCTAssertEqual(Broadcast.shape([], [2, 2]), [2, 2])
        XCTAssertEqual(Broadcast.shape([0, 3], [1, 3]), [0, 3])
        XCTAssertNil(Broadcast.shape([3], [4]))
    }

    func testZipBroadcastsAndSumUnbroadcasts() {
        let col = Tensor(shape: [2, 1], scalars: [1, 2] as [Float])
        let row = Tensor(shape: [3], scalars: [10, 20, 30] as [Float])
        let s = Tensor.zipElements(col, row, op: "add", +, +)
        XCTAssertEqual(s.shape, [2, 3])
        XCTAssertEqual(s.scalars, [11, 21, 31, 12, 22, 32])
        XCTAssertEqual(s.summed(toShape: [3]).scalars, [23, 43, 63])
        XCTAssertEqual(s.summed(toShape: [2, 1]).scalars, [63, 66])
        XCTAssertEqual(s.summed(toShape: []).scalars, [129])
    }

    func testDescriptionShowsShapeDtypeAndValues() {
        let d = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4.5] as [Float]).description
        XCTAssertTrue(d.contains("[2, 2]") && d.contains("float32") && d.contains("4.5"), d)
    }

    func testComplexTensorParts() {
        let z = ComplexTensor(real: Tensor([1, 2] as [Float]), imag: Tensor([3, 4] as [Float]))
        XCTAssertEqual(z.shape, [2]); XCTAssertEqual(z[1], Complex(2, 4))
        XCTAssertEqual(ComplexTensor(real: Tensor([1] as [Float])).imag.scalars, [0])
    }
}
