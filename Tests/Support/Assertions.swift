import XCTest
import Autodiff

/// Asserts `actual` and `expected` have the same shape and agree elementwise within
/// `|a − e| ≤ atol + rtol·|e|` (NaN matches NaN, ±inf must match exactly); the failure
/// message names the worst element.
public func assertClose(_ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-10, atol: Double = 1e-12,
                        _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape else {
        XCTFail("\(message()): shape \(actual.shape) ≠ expected \(expected.shape)", file: file, line: line); return
    }
    let a = actual.scalars, e = expected.scalars
    var worst = -1, worstExcess = 0.0, bad = 0
    for i in 0..<a.count {
        if a[i].isNaN && e[i].isNaN { continue }
        if a[i].isInfinite || e[i].isInfinite {
            if a[i] != e[i] { bad += 1; if worst < 0 { worst = i; worstExcess = .infinity } }
            continue
        }
        let excess = abs(a[i] - e[i]) - (atol + rtol * abs(e[i]))
        if excess > 0 || a[i].isNaN != e[i].isNaN {
            bad += 1
            if worst < 0 || excess > worstExcess || excess.isNaN { worst = i; worstExcess = excess.isNaN ? .infinity : excess }
        }
    }
    if worst >= 0 {
        XCTFail("\(message()): \(bad) of \(a.count) elements differ; worst at flat index \(worst): got \(a[worst]), expected \(e[worst]) "
                + "(rtol \(rtol), atol \(atol))", file: file, line: line)
    }
}

/// Complex version of ``assertClose(_:_:rtol:atol:_:file:line:)``: both parts.
public func assertClose(_ actual: ComplexTensor, _ expected: ComplexTensor, rtol: Double = 1e-10, atol: Double = 1e-12,
                        _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    assertClose(actual.real, expected.real, rtol: rtol, atol: atol, "\(message()) (real part)", file: file, line: line)
    assertClose(actual.imag, expected.imag, rtol: rtol, atol: atol, "\(message()) (imaginary part)", file: file, line: line)
}
