// Special functions: the exponential integral Ei, evaluated by the Kernels C target.

import Kernels

/// The exponential integral Ei(x) = −PV∫_{−x}^{∞} e^{−t}/t dt elementwise (scipy's `expi`):
/// Ei(0) = −inf, Ei(−inf) = −0, Ei(+inf) = +inf. Same shape and dtype as `x`.
/// Evaluated by `wt_expi_array` / `wt_expif_array` in `Kernels`.
/// Pullback: g·eˣ/x (since dEi/dx = eˣ/x; infinite at x = 0).
public func expi(_ x: Tensor) -> Tensor {
    var y = Tensor(uninitializedShape: x.shape, dtype: x.dtype)
    let n = x.count
    func run<T: TensorScalar>(_: T.Type, _ kernel: (UnsafePointer<T>, UnsafeMutablePointer<T>, Int) -> Void) {
        x.withUnsafeBufferPointer { (p: UnsafeBufferPointer<T>) in
            y.withUnsafeMutableBufferPointer { (q: UnsafeMutableBufferPointer<T>) in
                if n > 0 { kernel(p.baseAddress!, q.baseAddress!, n) } } }
    }
    switch x.dtype {   // one C kernel per dtype
    case .float64: run(Double.self, wt_expi_array)
    case .float32: run(Float.self, wt_expif_array)
    }
    let x0 = x.detached()
    return Tape.record("expi", y, inputs: [x]) { g in
        [Tensor.zipElements(g, x0, op: "expi pullback", { $0 * Float.exp($1) / $1 }, { $0 * Double.exp($1) / $1 })]
    }
}
