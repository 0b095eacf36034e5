import Foundation
import Kernels
import XCTest

/// `wt_adam_multi_*_checked`: every tensor gets, bit for bit, what the one-tensor
/// `wt_adam_*_checked` gives it (its own constants, both lerp branches, with and without the L2
/// term), on every tier the host has and at 1, 2 and 3 threads; the finite flag is 0 exactly when
/// some tensor reads or writes a NaN or infinity.
final class AdamMultiTensorTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_isa(wt_detected_isa())
        super.tearDown()
    }

    /// Sizes around the loop's grain and the range cuts: empty, tiny, and tensors whose ends fall
    /// inside the ranges of a 2- and 3-thread split.
    static let sizes = [5, 0, 1, 40_003, 17, 400, 4_000, 10, 33_000, 16_385]

    /// Constants of tensor k: (decay, weight_decay, w, beta2, c2, bc2_sqrt, eps, neg_step).
    static func constants(_ k: Int) -> (Double, Double, Double, Double, Double, Double, Double, Double) {
        let w = k % 3 == 0 ? 0.1 : 0.75   // both branches of the lerp
        return (k % 4 == 1 ? 1 - 1e-4 * Double(k) : 1, k % 2 == 0 ? 0.01 * Double(k + 1) : 0, w, 0.999 - 0.01 * Double(k % 5),
                0.001 + 0.01 * Double(k % 5), (1 - Foundation.pow(0.999, Double(k + 1))).squareRoot(), 1e-8,
                -1e-3 * Double(k + 1) / (1 - Foundation.pow(0.9, Double(k + 1))))
    }

    struct Tensors<T> { var p, g, m, v, out: [[T]] }

    static func inputs<T: BinaryFloatingPoint>(_: T.Type) -> Tensors<T> {
        let p = sizes.enumerated().map { k, n in (0..<n).map { T(($0 * 7 + k) % 97) / 50 - 1 } }
        let g = sizes.enumerated().map { k, n in (0..<n).map { T(($0 + 3 * k) % 13) / 7 - T(0.875) } }
        let m = sizes.enumerated().map { k, n in (0..<n).map { T(($0 + k) % 5) / 10 } }
        let v = sizes.enumerated().map { k, n in (0..<n).map { T(($0 + k) % 3) / 10 } }
        return Tensors(p: p, g: g, m: m, v: v, out: sizes.map { [T](repeating: 0, count: $0) })
    }

    func testFloatEveryTensorAsTheOneTensorCall() {
        check(Float.self) { t in
            let c = Self.constants(t.0)
            return wt_adam_f32_checked(t.1, t.2, t.3, t.4, t.5, t.6, Float(c.0), Float(c.1), Float(c.2), 1 - Float(c.2), Float(c.3),
                                       Float(c.4), Float(c.5), Float(c.6), Float(c.7))
        } multi: { (tensors: inout Tensors<Float>) -> Int32 in
            Self.withDescriptors(&tensors) { d in
                d.withUnsafeBufferPointer { wt_adam_multi_f32_checked($0.baseAddress, $0.count) }
            } make: { k, po, p, g, m, v, n in
                let c = Self.constants(k)
                return wt_adam_tensor_f32(p_out: po, p: p, g: g, m: m, v: v, n: n, decay: Float(c.0), weight_decay: Float(c.1),
                                          w: Float(c.2), one_minus_w: 1 - Float(c.2), beta2: Float(c.3), c2: Float(c.4),
                                          bc2_sqrt: Float(c.5), eps: Float(c.6), neg_step: Float(c.7))
            }
        }
    }

    func testDoubleEveryTensorAsTheOneTensorCall() {
        check(Double.self) { t in
            let c = Self.constants(t.0)
            return wt_adam_f64_checked(t.1, t.2, t.3, t.4, t.5, t.6, c.0, c.1, c.2, 1 - c.2, c.3, c.4, c.5, c.6, c.7)
        } multi: { (tensors: inout Tensors<Double>) -> Int32 in
            Self.withDescriptors(&tensors) { d in
                d.withUnsafeBufferPointer { wt_adam_multi_f64_checked($0.baseAddress, $0.count) }
            } make: { k, po, p, g, m, v, n in
                let c = Self.constants(k)
                return wt_adam_tensor_f64(p_out: po, p: p, g: g, m: m, v: v, n: n, decay: c.0, weight_decay: c.1, w: c.2,
                                          one_minus_w: 1 - c.2, beta2: c.3, c2: c.4, bc2_sqrt: c.5, eps: c.6, neg_step: c.7)
            }
        }
    }

    /// Pins every array of `t` and calls `body` with one descriptor per tensor made by `make`.
    static func withDescriptors<T, D>(_ t: inout Tensors<T>, _ body: ([D]) -> Int32,
                                      make: (Int, UnsafeMutablePointer<T>, UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>,
                                             UnsafeMutablePointer<T>, Int) -> D) -> Int32 {
        // flat copies, so that every tensor has a stable address for the whole call
        let n = t.p.count
        var starts = [0]
        for a in t.p { starts.append(starts.last! + a.count) }
        let total = starts.last!
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(total, 1)), g = UnsafeMutablePointer<T>.allocate(capacity: max(total, 1))
        let m = UnsafeMutablePointer<T>.allocate(capacity: max(total, 1)), v = UnsafeMutablePointer<T>.allocate(capacity: max(total, 1))
        let o = UnsafeMutablePointer<T>.allocate(capacity: max(total, 1))
        defer { p.deallocate(); g.deallocate(); m.deallocate(); v.deallocate(); o.deallocate() }
        for k in 0..<n {
            for i in 0..<t.p[k].count {
                let j = starts[k] + i
                (p + j).initialize(to: t.p[k][i]); (g + j).initialize(to: t.g[k][i])
                (m + j).initialize(to: t.m[k][i]); (v + j).initialize(to: t.v[k][i]); (o + j).initialize(to: t.out[k][i])
            }
        }
        let descs = (0..<n).map { k in make(k, o + starts[k], p + starts[k], g + starts[k], m + starts[k], v + starts[k], t.p[k].count) }
        let r = body(descs)
        for k in 0..<n {
            for i in 0..<t.p[k].count {
                let j = starts[k] + i
                t.m[k][i] = m[j]; t.v[k][i] = v[j]; t.out[k][i] = o[j]
            }
        }
        return r
    }

    func check<T: BinaryFloatingPoint>(_: T.Type,
                                        single: ((Int, UnsafeMutablePointer<T>, UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>,
                                                  UnsafeMutablePointer<T>, Int)) -> Int32,
                                        multi: (inout Tensors<T>) -> Int32) {
        let saved = wt_get_num_threads()
        defer { _ = wt_set_num_threads(saved) }
        let base = Self.inputs(T.self)
        for isa in (0...wt_detected_isa().rawValue).map(wt_isa.init(rawValue:)) {
            _ = wt_set_isa(isa)
            // the reference: one one-tensor call per tensor, at 1 thread
            _ = wt_set_num_threads(1)
            var ref = base
            for k in ref.p.indices {
                let n = ref.p[k].count
                if n == 0 { continue }
                ref.p[k].withUnsafeBufferPointer { p in ref.g[k].withUnsafeBufferPointer { g in
                ref.m[k].withUnsafeMutableBufferPointer { m in ref.v[k].withUnsafeMutableBufferPointer { v in
                ref.out[k].withUnsafeMutableBufferPointer { o in
                    XCTAssertEqual(single((k, o.baseAddress!, p.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!, n)), 1)
                }}}}}
            }
            for threads: Int32 in [1, 2, 3] {
                _ = wt_set_num_threads(threads)
                let at = "\(threads) threads, \(isa)"
                var t = base
                XCTAssertEqual(multi(&t), 1, "finite, \(at)")
                for k in ref.p.indices {
                    XCTAssertEqual(t.out[k], ref.out[k], "p_out of tensor \(k), \(at)")
                    XCTAssertEqual(t.m[k], ref.m[k], "m of tensor \(k), \(at)")
                    XCTAssertEqual(t.v[k], ref.v[k], "v of tensor \(k), \(at)")
                }
                // one bad value anywhere in one tensor is reported
                for (k, pos) in [(0, 0), (3, 40_002), (6, 2_000), (9, 16_384)] {
                    for bad in [T.nan, .infinity] {
                        var b = base
                        b.g[k][pos] = bad
                        XCTAssertEqual(multi(&b), 0, "gradient \(bad) in tensor \(k) at \(pos), \(at)")
                        b = base
                        b.p[k][pos] = bad
                        XCTAssertEqual(multi(&b), 0, "parameter \(bad) in tensor \(k) at \(pos), \(at)")
                    }
                }
            }
        }
        // no tensors at all: nothing to do, finite
        var empty = Tensors<T>(p: [], g: [], m: [], v: [], out: [])
        XCTAssertEqual(multi(&empty), 1)
    }
}
