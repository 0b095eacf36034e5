import XCTest
import NN
import Ops
import TestSupport

/// linear, bilinear and matmul (2-d, batched, broadcast, vector operands) against PyTorch
/// 2.13 (`Tests/Fixtures/ops_real.safetensors`), in float64 and float32.
final class LinearAlgebraFixtureTests: XCTestCase {
    func run(dtype: DType, rtol: Double, atol: Double) throws {
        let file = try Fixture.load("ops_real")
        let cases = try opsRealCases(file) { ["linear", "bilinear", "matmul"].contains($0) }
        XCTAssertEqual(cases.count, 10, "linear (3), matmul (5), bilinear (2) cases")
        for (id, meta) in cases {
            switch meta["op"] as! String {
            case "linear":
                try checkOpsRealCase(file, id, roles: ["input", "weight", "bias"], dtype: dtype, rtol: rtol, atol: atol) {
                    linear($0["input"]!, $0["weight"]!, bias: $0["bias"])
                }
            case "bilinear":
                try checkOpsRealCase(file, id, roles: ["input1", "input2", "weight", "bias"], dtype: dtype, rtol: rtol, atol: atol) {
                    bilinear($0["input1"]!, $0["input2"]!, $0["weight"]!, bias: $0["bias"])
                }
            default:
                try checkOpsRealCase(file, id, roles: ["input1", "input2"], dtype: dtype, rtol: rtol, atol: atol) {
                    matmul($0["input1"]!, $0["input2"]!)
                }
            }
        }
    }

    func testMatchesPyTorchFloat64() throws { try run(dtype: .float64, rtol: 1e-10, atol: 1e-12) }
    func testMatchesPyTorchFloat32() throws { try run(dtype: .float32, rtol: 1e-5, atol: 1e-5) }

    func testMatmulShapes() {
        func z(_ s: [Int]) -> Tensor { .zeros(s, dtype: .float64) }
        XCTAssertEqual(matmul(z([4]), z([4])).shape, [])
        XCTAssertEqual(matmul(z([2, 1, 3, 4]), z([5, 4, 2])).shape, [2, 5, 3, 2])
        XCTAssertEqual(matmul(z([4]), z([2, 4, 3])).shape, [2, 3])
        XCTAssertEqual(matmul(z([0, 3, 4]), z([4, 2])).shape, [0, 3, 2])
        XCTAssertEqual(linear(z([2, 3, 5]), z([4, 5])).shape, [2, 3, 4])
    }

    func testSmallProductsByHand() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), b = Tensor(shape: [2, 2], scalars: [5, 6, 7, 8])
        XCTAssertEqual(matmul(a, b).scalars, [19, 22, 43, 50])
        XCTAssertEqual(linear(a, b, bias: Tensor([1, 1])).scalars, [18, 24, 40, 54])
        // y = x1ᵀ W x2 with W = [[1, 0], [0, 2]]: 1·3 + 2·2·4 = 19
        let w = Tensor(shape: [1, 2, 2], scalars: [1, 0, 0, 2])
        XCTAssertEqual(bilinear(Tensor(shape: [1, 2], scalars: [1, 2]), Tensor(shape: [1, 2], scalars: [3, 4]), w).scalars, [19])
    }

    /// The complex product is evaluated with three real products (Gauss's form): it equals the
    /// four-product definition (Ar·Br − Ai·Bi) + i(Ar·Bi + Ai·Br), for every conjugation the
    /// pullbacks use, to rounding relative to (|Ar| + |Ai|)(|Br| + |Bi|).
    func testThreeProductFormEqualsTheDefinition() {
        for dtype in [DType.float64, .float32] {
            let ar = Sample.normal([9, 13], seed: 1, dtype: dtype), ai = Sample.normal([9, 13], seed: 2, dtype: dtype)
            let br = Sample.normal([13, 7], seed: 3, dtype: dtype), bi = Sample.normal([13, 7], seed: 4, dtype: dtype)
            let y = matmul(ComplexTensor(real: ar, imag: ai), ComplexTensor(real: br, imag: bi))
            let re = matmul(ar, br) - matmul(ai, bi), im = matmul(ar, bi) + matmul(ai, br)
            let bound = matmul(abs(ar) + abs(ai), abs(br) + abs(bi)).scalars
            let eps = dtype == .float64 ? 1e-15 : 1e-6
            for k in 0..<re.count {
                XCTAssertEqual(y.real.scalars[k], re.scalars[k], accuracy: 8 * eps * bound[k], "\(dtype) re \(k)")
                XCTAssertEqual(y.imag.scalars[k], im.scalars[k], accuracy: 8 * eps * bound[k], "\(dtype) im \(k)")
            }
        }
    }
}
