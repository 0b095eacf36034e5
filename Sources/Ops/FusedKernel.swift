// The pointer plumbing of the fused Bayesian primitives (KLDivergence.swift,
// Reparameterization.swift): call a Kernels routine on the elements of same-shaped tensors.

import Kernels

/// Runs Kernels routines on the elements of same-shaped, same-dtype tensors.
enum FusedKernel {
    /// Calls `f32` or `f64` (by the inputs' dtype) with pointers to the inputs' elements and to
    /// `outputs` new tensors of the same shape and dtype, which it must fill; returns them.
    /// - Precondition: `inputs` is non-empty and all have the shape and dtype of the first.
    static func run(_ inputs: [Tensor], outputs: Int,
                    _ f32: ([UnsafePointer<Float>], [UnsafeMutablePointer<Float>]) -> Void,
                    _ f64: ([UnsafePointer<Double>], [UnsafeMutablePointer<Double>]) -> Void) -> [Tensor] {
        let shape = inputs[0].shape, dtype = inputs[0].dtype
        for t in inputs {
            require(t.shape == shape && t.dtype == dtype,
                    "fused kernel: operands \(inputs.map { "\($0.dtype) \($0.shape)" }) differ")
        }
        var outs = (0..<outputs).map { _ in Tensor(uninitializedShape: shape, dtype: dtype) }
        // A TensorBuffer is a class whose memory does not move while it is referenced, and the
        // fresh outputs are uniquely referenced (no copy-on-write): the pointers stay valid for
        // as long as `inputs` and `outs` are alive, which withExtendedLifetime guarantees.
        func call<T: TensorScalar>(_: T.Type, _ body: ([UnsafePointer<T>], [UnsafeMutablePointer<T>]) -> Void) {
            var o: [UnsafeMutablePointer<T>] = []
            for k in outs.indices {
                o.append(outs[k].withUnsafeMutableBufferPointer { (b: UnsafeMutableBufferPointer<T>) in b.baseAddress! })
            }
            let i = inputs.map { t in t.withUnsafeBufferPointer { (b: UnsafeBufferPointer<T>) in b.baseAddress! } }
            withExtendedLifetime(inputs) { withExtendedLifetime(outs) { body(i, o) } }
        }
        switch dtype {
        case .float32: call(Float.self, f32)
        case .float64: call(Double.self, f64)
        }
        return outs
    }

    /// The stored derivative `d` of a scalar-valued fused op times its scalar cotangent `g`:
    /// `d` itself (shared, no pass) when g = 1, as in a loss `data term + penalty sum`.
    static func scaled(_ d: Tensor, by g: Tensor) -> Tensor {
        if g.count == 1 && g.item == 1 { return d }
        return g.detached() * d
    }

    /// `g · d` elementwise (a cotangent times a stored derivative), one Kernels pass when the
    /// shapes and dtypes agree, the broadcasting op otherwise.
    static func chain(_ g: Tensor, _ d: Tensor) -> Tensor {
        guard g.shape == d.shape, g.dtype == d.dtype else { return g * d }
        let n = g.count
        return run([g.detached(), d], outputs: 1,
                   { i, o in wt_mul_f32(i[0], i[1], o[0], n) },
                   { i, o in wt_mul_f64(i[0], i[1], o[0], n) })[0]
    }
}
