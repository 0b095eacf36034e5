/// NumPy/PyTorch broadcasting rules and the strided index walk that elementwise kernels use.
///
/// Two shapes broadcast when, aligned at their last dimension, each pair of sizes is equal or
/// one of them is 1; missing leading dimensions count as 1. The result takes the larger size.
public enum Broadcast {
    /// The broadcast shape of `a` and `b`, or `nil` when they are incompatible.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let n = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let x = i < n - a.count ? 1 : a[i - (n - a.count)]
            let y = i < n - b.count ? 1 : b[i - (n - b.count)]
            if x == y || y == 1 { out[i] = x } else if x == 1 { out[i] = y } else { return nil }
        }
        return out
    }

    /// The broadcast shape of `a` and `b`; stops with a message naming `op` and both shapes otherwise.
    public static func shape(_ a: [Int], _ b: [Int], op: String) -> [Int] {
        guard let s = shape(a, b) else {
            fatalError("\(op): shapes \(a) and \(b) cannot be broadcast together")
        }
        return s
    }

    /// Element strides of a contiguous tensor of `shape` when read as `target` (0 along
    /// broadcast dimensions). `target` must be a broadcast of `shape`.
    public static func strides(of shape: [Int], broadcastTo target: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: target.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let t = i + target.count - shape.count
            strides[t] = shape[i] == 1 && target[t] != 1 ? 0 : s
            s *= shape[i]
        }
        return strides
    }

    /// Row-major contiguous strides of `shape`.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { strides[i] = s; s *= shape[i] }
        return strides
    }

    /// Calls `body(outIndex, offsetA, offsetB)` for every element of `shape` in row-major
    /// order, with the offsets of the corresponding elements of two operands read with
    /// `stridesA` and `stridesB`. The innermost dimension runs as a tight loop.
    @inlinable
    public static func forEach(_ shape: [Int], _ stridesA: [Int], _ stridesB: [Int],
                               _ body: (_ i: Int, _ a: Int, _ b: Int) -> Void) {
        let total = shape.reduce(1, *)
        if total == 0 { return }
        let rank = shape.count
        if rank == 0 { body(0, 0, 0); return }
        let inner = shape[rank - 1], sa = stridesA[rank - 1], sb = stridesB[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var offA = 0, offB = 0, i = 0
        while i < total {
            var a = offA, b = offB
            for _ in 0..<inner { body(i, a, b); i += 1; a += sa; b += sb }
            // advance the outer multi-index
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                offA += stridesA[d]; offB += stridesB[d]
                if index[d] < shape[d] { break }
                offA -= stridesA[d] * shape[d]; offB -= stridesB[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}

extension Tensor {
    /// Applies a scalar function to every element, giving a new tensor of the same shape and
    /// dtype. Not recorded on a tape: this is the building block of op forwards and pullbacks.
    @inlinable
    public func mapElements(_ f32: (Float) -> Float, _ f64: (Double) -> Double) -> Tensor {
        var out = Tensor(uninitializedShape: shape, dtype: dtype)
        switch dtype {
        case .float32:
            withUnsafeBufferPointer { (x: UnsafeBufferPointer<Float>) in
                out.withUnsafeMutableBufferPointer { (y: UnsafeMutableBufferPointer<Float>) in
                    for i in 0..<x.count { y[i] = f32(x[i]) } } }
        case .float64:
            withUnsafeBufferPointer { (x: UnsafeBufferPointer<Double>) in
                out.withUnsafeMutableBufferPointer { (y: UnsafeMutableBufferPointer<Double>) in
                    for i in 0..<x.count { y[i] = f64(x[i]) } } }
        }
        return out
    }

    /// Combines two tensors elementwise with broadcasting. Not recorded on a tape.
    /// - Precondition: equal dtypes and broadcastable shapes (the message names `op`).
    @inlinable
    public static func zipElements(_ a: Tensor, _ b: Tensor, op: String,
                                   _ f32: (Float, Float) -> Float, _ f64: (Double, Double) -> Double) -> Tensor {
        require(a.dtype == b.dtype, "\(op): dtypes \(a.dtype) and \(b.dtype) differ (convert one first)")
        let shape = a.shape == b.shape ? a.shape : Broadcast.shape(a.shape, b.shape, op: op)
        var out = Tensor(uninitializedShape: shape, dtype: a.dtype)
        func run<T: TensorScalar>(_ f: (T, T) -> T) {
            a.withUnsafeBufferPointer { (x: UnsafeBufferPointer<T>) in
                b.withUnsafeBufferPointer { (y: UnsafeBufferPointer<T>) in
                    out.withUnsafeMutableBufferPointer { (z: UnsafeMutableBufferPointer<T>) in
                        if a.shape == b.shape {
                            for i in 0..<z.count { z[i] = f(x[i], y[i]) }
                        } else if b.count == 1 {
                            let s = y[0]; for i in 0..<z.count { z[i] = f(x[i], s) }
                        } else if a.count == 1 {
                            let s = x[0]; for i in 0..<z.count { z[i] = f(s, y[i]) }
                        } else {
                            Broadcast.forEach(shape, Broadcast.strides(of: a.shape, broadcastTo: shape),
                                              Broadcast.strides(of: b.shape, broadcastTo: shape)) { i, ia, ib in
                                z[i] = f(x[ia], y[ib])
                            }
                        }
                    }
                }
            }
        }
        switch a.dtype {
        case .float32: run(f32)
        case .float64: run(f64)
        }
        return out
    }

    /// Sums a broadcast value back down to `target` (the shape it was broadcast from): the
    /// single place where gradients are un-broadcast. Not recorded on a tape.
    /// - Precondition: `shape` is a broadcast of `target`.
    public func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        require(Broadcast.shape(target, shape) == shape,
                     "unbroadcast: shape \(shape) is not a broadcast of \(target)")
        var out = Tensor.zeros(target, dtype: dtype)
        let strides = Broadcast.strides(of: target, broadcastTo: shape)
        let single = target.reduce(1, *) == 1
        func run<T: TensorScalar>(_: T.Type) {
            withUnsafeBufferPointer { (x: UnsafeBufferPointer<T>) in
                out.withUnsafeMutableBufferPointer { (y: UnsafeMutableBufferPointer<T>) in
                    if single {
                        var s: T = 0; for v in x { s += v }; y[0] = s
                    } else {
                        Broadcast.forEach(shape, Broadcast.contiguousStrides(shape), strides) { _, ix, iy in y[iy] += x[ix] }
                    }
                }
            }
        }
        switch dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        }
        return out
    }
}
