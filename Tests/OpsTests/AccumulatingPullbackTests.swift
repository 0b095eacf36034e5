import Autodiff
import Ops
import TestSupport
import XCTest

/// Pullbacks that add into the inputs' cotangent sums themselves (``Tape/AccumulatingPullback``:
/// complex linear's weight, exp) give the bits of their ordinary cotangent followed by the tape's
/// addition, in float32 and float64, when the input already holds a cotangent from an op recorded
/// after them (the fused path) and when it holds none.
final class AccumulatingPullbackTests: XCTestCase {
    /// `f` on traced copies of `xs`, with the gradient of `Σ f(xs)`.
    private func gradients(_ xs: [Tensor], _ f: ([Tensor]) -> Tensor) -> [Tensor] {
        valueWithGradient(at: xs) { sum(f($0)) }.gradient
    }

    private func assertSameBits(_ a: Tensor, _ b: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
        let x = a.converted(to: .float64).scalars(as: Double.self), y = b.converted(to: .float64).scalars(as: Double.self)
        let k = x.indices.first { x[$0].bitPattern != y[$0].bitPattern }
        XCTAssertNil(k, "\(what): element \(k ?? 0) is \(k.map { x[$0] } ?? 0), expected \(k.map { y[$0] } ?? 0)", file: file, line: line)
    }

    func testComplexLinearWeightCotangentAddsIntoTheSumWithTheBitsOfTheTapesAddition() {
        for dtype in [DType.float32, .float64] {
            // 40 rows (a GEMM, not the skinny product) and a second use of each weight part after the product
            let z = ComplexTensor(real: Sample.normal([40, 24], seed: 1).converted(to: dtype),
                                  imag: Sample.normal([40, 24], seed: 2).converted(to: dtype))
            let cr = Sample.normal([40, 17], seed: 3).converted(to: dtype), ci = Sample.normal([40, 17], seed: 4).converted(to: dtype)
            let dr = Sample.normal([17, 24], seed: 5).converted(to: dtype), di = Sample.normal([17, 24], seed: 6).converted(to: dtype)
            let w = [Sample.normal([17, 24], seed: 7).converted(to: dtype), Sample.normal([17, 24], seed: 8).converted(to: dtype)]
            func data(_ p: [Tensor]) -> Tensor {
                let y = linear(z, ComplexTensor(real: p[0], imag: p[1]))
                return sum(y.real * cr) + sum(y.imag * ci)
            }
            let alone = gradients(w, data)
            let both = gradients(w) { p in data(p) + sum(p[0] * dr) + sum(p[1] * di) }
            // the later ops give the weight parts dr and di first; the product's cotangent is added to them
            assertSameBits(both[0], alone[0] + dr, "\(dtype) re")
            assertSameBits(both[1], alone[1] + di, "\(dtype) im")
        }
    }

    /// One tensor as both weight parts: its slot is an input twice, so the tape runs the ordinary
    /// pullback and adds the two cotangents itself.
    func testARepeatedInputTakesTheOrdinaryPullback() {
        for dtype in [DType.float32, .float64] {
            let z = ComplexTensor(real: Sample.normal([40, 24], seed: 21).converted(to: dtype),
                                  imag: Sample.normal([40, 24], seed: 22).converted(to: dtype))
            let cr = Sample.normal([40, 17], seed: 23).converted(to: dtype), ci = Sample.normal([40, 17], seed: 24).converted(to: dtype)
            let w = Sample.normal([17, 24], seed: 25).converted(to: dtype)
            func data(_ re: Tensor, _ im: Tensor) -> Tensor {
                let y = linear(z, ComplexTensor(real: re, imag: im))
                return sum(y.real * cr) + sum(y.imag * ci)
            }
            let shared = gradients([w]) { data($0[0], $0[0]) }[0]
            let parts = gradients([w, w.detached() + 0]) { data($0[0], $0[1]) }
            assertSameBits(shared, parts[0] + parts[1], "\(dtype) shared weight")
        }
    }

    func testExpCotangentAddsIntoTheSumWithTheBitsOfTheTapesAddition() {
        for dtype in [DType.float32, .float64] {
            let x = Sample.normal([300, 70], seed: 11).converted(to: dtype)
            let c = Sample.normal([300, 70], seed: 12).converted(to: dtype), d = Sample.normal([300, 70], seed: 13).converted(to: dtype)
            let alone = gradients([x]) { sum(exp($0[0]) * c) }[0]
            let both = gradients([x]) { sum(exp($0[0]) * c) + sum($0[0] * d) }[0]
            assertSameBits(alone, c * exp(x), "\(dtype) exp alone")
            assertSameBits(both, alone + d, "\(dtype) exp after another use")
        }
    }
}
