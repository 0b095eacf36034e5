import Kernels
import XCTest

/// `wt_adam_*_checked`: the values of the unchecked update, and 0 exactly when some parameter or
/// gradient read or some parameter written is NaN or infinite (anywhere: first, last, across the thread split), on
/// every tier the host has and at 1, 2 and 3 threads.
final class AdamFiniteCheckTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        super.tearDown()
    }

    typealias Step<T> = (UnsafeMutablePointer<T>?, UnsafePointer<T>?, UnsafePointer<T>?, UnsafeMutablePointer<T>?,
                         UnsafeMutablePointer<T>?, Int, T, T, T, T, T, T, T, T, T) -> Void
    typealias CheckedStep<T> = (UnsafeMutablePointer<T>?, UnsafePointer<T>?, UnsafePointer<T>?, UnsafeMutablePointer<T>?,
                                UnsafeMutablePointer<T>?, Int, T, T, T, T, T, T, T, T, T) -> Int32

    func check<T: BinaryFloatingPoint>(_: T.Type, _ plain: Step<T>, _ checked: CheckedStep<T>) {
        let saved = wt_get_num_threads()
        defer { _ = wt_set_num_threads(saved) }
        for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            for n in [1, 17, 40_003] {
                let p0 = (0..<n).map { T($0 % 97) / 50 - 1 }, g0 = (0..<n).map { T($0 % 13) / 7 + T(0.125) }
                let m0 = (0..<n).map { T($0 % 5) / 10 }, v0 = (0..<n).map { T($0 % 3) / 10 }
                /// (p_out, m, v, finite) of the checked step from gradient g and parameters p with step `negStep`
                func run(_ p: [T], _ g: [T], _ negStep: T) -> ([T], [T], [T], Int32) {
                    var out = [T](repeating: 0, count: n), m = m0, v = v0
                    let ok = checked(&out, p, g, &m, &v, n, 1, 0, T(0.1), T(0.9), T(0.999), T(0.001), T(0.03), T(1e-8), negStep)
                    return (out, m, v, ok)
                }
                for threads: Int32 in [1, 2, 3] {
                    _ = wt_set_num_threads(threads)
                    let at = "n = \(n), \(threads) threads, \(isa)"
                    var out = [T](repeating: 0, count: n), m = m0, v = v0
                    plain(&out, p0, g0, &m, &v, n, 1, 0, T(0.1), T(0.9), T(0.999), T(0.001), T(0.03), T(1e-8), T(-1e-3))
                    let r = run(p0, g0, T(-1e-3))
                    XCTAssertEqual(r.3, 1, "finite, \(at)")
                    XCTAssertEqual(r.0, out, "p, \(at)"); XCTAssertEqual(r.1, m, "m, \(at)"); XCTAssertEqual(r.2, v, "v, \(at)")
                    for pos in Set([0, n / 2, n - 1]) {
                        for bad in [T.nan, .infinity, -.infinity] {
                            var g = g0
                            g[pos] = bad
                            XCTAssertEqual(run(p0, g, T(-1e-3)).3, 0, "gradient \(bad) at \(pos), \(at)")
                            var p = p0
                            p[pos] = bad
                            XCTAssertEqual(run(p, g0, T(-1e-3)).3, 0, "parameter \(bad) at \(pos), \(at)")
                        }
                        // a finite gradient whose step overflows the parameter
                        var p = p0
                        p[pos] = T.greatestFiniteMagnitude
                        XCTAssertEqual(run(p, g0, T.greatestFiniteMagnitude).3, 0, "overflowing step at \(pos), \(at)")
                        XCTAssertEqual(run(p, g0, T(-1e-3)).3, 1, "largest finite parameter at \(pos), \(at)")
                    }
                }
            }
        }
    }

    func testFloatCheckFindsEveryNonFiniteGradientAndParameterWithTheSameValues() {
        check(Float.self, wt_adam_f32, wt_adam_f32_checked)
    }

    func testDoubleCheckFindsEveryNonFiniteGradientAndParameterWithTheSameValues() {
        check(Double.self, wt_adam_f64, wt_adam_f64_checked)
    }
}
