import Kernels

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

/// How one operand of a binary elementwise op is laid out against the (contiguous) output,
/// after leading 1s are dropped: the cases the engine runs as tight loops without an index walk.
@usableFromInline
enum OperandLayout: Equatable {
    /// Same element count as the output: element i is element i.
    case full
    /// One element, read for every output element.
    case scalar
    /// A trailing block of the output's shape (a bias `[C]` against `[N, C]`): element i is `i % inner`.
    case row(inner: Int)
    /// A leading block followed by 1s (`[N, 1]` against `[N, C]`): element i is `i / inner`.
    case column(inner: Int)
    /// Anything else: the strided walk of ``Broadcast/forEach(_:_:_:_:)``.
    case general

    /// The layout of an operand of `shape` broadcast to `out` (`shape` must broadcast to `out`).
    @usableFromInline
    static func of(_ shape: [Int], in out: [Int]) -> OperandLayout {
        let n = out.reduce(1, *), m = shape.reduce(1, *)
        if m == n { return .full }   // a broadcast that keeps the count only adds 1s
        if m == 1 { return .scalar }
        // align shape against out from the right; leading missing dims count as 1
        let offset = out.count - shape.count
        // row: shape (without its leading 1s) equals a suffix of out
        var firstReal = 0
        while firstReal < shape.count && shape[firstReal] == 1 { firstReal += 1 }
        var isRow = true
        for i in firstReal..<shape.count where shape[i] != out[i + offset] { isRow = false; break }
        if isRow { return .row(inner: m) }
        // column: shape equals a prefix of out followed by 1s
        var lastReal = shape.count - 1
        while lastReal >= 0 && shape[lastReal] == 1 { lastReal -= 1 }
        var isColumn = true
        for i in 0...lastReal where shape[i] != out[i + offset] { isColumn = false; break }
        if isColumn && (0..<offset).allSatisfy({ out[$0] == 1 }) { return .column(inner: n / m) }
        return .general
    }
}

extension Tensor {
    /// Applies a scalar function to every element, giving a new tensor of the same shape and
    /// dtype. Not recorded on a tape: this is the building block of op forwards and pullbacks.
    @inlinable
    public func mapElements(_ f32: (Float) -> Float, _ f64: (Double) -> Double) -> Tensor {
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        let n = count
        switch dtype {
        case .float32:
            let x = buffer.raw.assumingMemoryBound(to: Float.self), y = out.buffer.raw.assumingMemoryBound(to: Float.self)
            for i in 0..<n { y[i] = f32(x[i]) }
        case .float64:
            let x = buffer.raw.assumingMemoryBound(to: Double.self), y = out.buffer.raw.assumingMemoryBound(to: Double.self)
            for i in 0..<n { y[i] = f64(x[i]) }
        }
        return withExtendedLifetime(self) { out }
    }

    /// `−x` elementwise, same shape and dtype. Not recorded on a tape.
    @inlinable
    public func negatedElements() -> Tensor { mapElements({ -$0 }, { -$0 }) }

    /// The loop of ``zipElements(_:_:op:_:_:)`` for one element type: `z = f(x, y)` over the
    /// output of `shape`, with a tight loop for every ``OperandLayout`` pair but `general`.
    @inlinable
    static func zipLoop<T: TensorScalar>(_ x: UnsafePointer<T>, _ la: OperandLayout, _ aShape: [Int],
                                         _ y: UnsafePointer<T>, _ lb: OperandLayout, _ bShape: [Int],
                                         _ z: UnsafeMutablePointer<T>, _ shape: [Int], _ n: Int,
                                         _ f: (T, T) -> T) {
        switch (la, lb) {
        case (.full, .full):
            for i in 0..<n { z[i] = f(x[i], y[i]) }
        case (.full, .scalar):
            let s = y[0]; for i in 0..<n { z[i] = f(x[i], s) }
        case (.scalar, .full):
            let s = x[0]; for i in 0..<n { z[i] = f(s, y[i]) }
        case (.full, .row(let inner)):
            var o = 0
            while o < n {
                let xo = x + o, zo = z + o
                for j in 0..<inner { zo[j] = f(xo[j], y[j]) }
                o += inner
            }
        case (.row(let inner), .full):
            var o = 0
            while o < n {
                let yo = y + o, zo = z + o
                for j in 0..<inner { zo[j] = f(x[j], yo[j]) }
                o += inner
            }
        case (.full, .column(let inner)):
            var o = 0, r = 0
            while o < n {
                let s = y[r], xo = x + o, zo = z + o
                for j in 0..<inner { zo[j] = f(xo[j], s) }
                o += inner; r += 1
            }
        case (.column(let inner), .full):
            var o = 0, r = 0
            while o < n {
                let s = x[r], yo = y + o, zo = z + o
                for j in 0..<inner { zo[j] = f(s, yo[j]) }
                o += inner; r += 1
            }
        default:
            Broadcast.forEach(shape, Broadcast.strides(of: aShape, broadcastTo: shape),
                              Broadcast.strides(of: bShape, broadcastTo: shape)) { i, ia, ib in
                z[i] = f(x[ia], y[ib])
            }
        }
    }

    /// Combines two tensors elementwise with broadcasting. Not recorded on a tape.
    /// - Precondition: equal dtypes and broadcastable shapes (the message names `op`).
    @inlinable
    public static func zipElements(_ a: Tensor, _ b: Tensor, op: String,
                                   _ f32: (Float, Float) -> Float, _ f64: (Double, Double) -> Double) -> Tensor {
        require(a.dtype == b.dtype, "\(op): dtypes \(a.dtype) and \(b.dtype) differ (convert one first)")
        let same = a.shape == b.shape
        let shape = same ? a.shape : Broadcast.shape(a.shape, b.shape, op: op)
        let out = Tensor(uninitializedShape: shape, dtype: a.dtype)
        let n = out.count
        if n == 0 { return out }
        let la: OperandLayout = same ? .full : .of(a.shape, in: shape)
        let lb: OperandLayout = same ? .full : .of(b.shape, in: shape)
        switch a.dtype {
        case .float32:
            zipLoop(UnsafePointer(a.buffer.raw.assumingMemoryBound(to: Float.self)), la, a.shape,
                    UnsafePointer(b.buffer.raw.assumingMemoryBound(to: Float.self)), lb, b.shape,
                    out.buffer.raw.assumingMemoryBound(to: Float.self), shape, n, f32)
        case .float64:
            zipLoop(UnsafePointer(a.buffer.raw.assumingMemoryBound(to: Double.self)), la, a.shape,
                    UnsafePointer(b.buffer.raw.assumingMemoryBound(to: Double.self)), lb, b.shape,
                    out.buffer.raw.assumingMemoryBound(to: Double.self), shape, n, f64)
        }
        return withExtendedLifetime((a, b)) { out }
    }

    /// One of the four arithmetic operators, for the operator form of `zipElements`.
    public enum ArithmeticOperator: Sendable {
        /// `a + b`
        case add
        /// `a − b`
        case subtract
        /// `a · b`
        case multiply
        /// `a / b`
        case divide
    }

    /// `a ∘ b` elementwise with broadcasting for an arithmetic operator `∘`, written once for both
    /// dtypes (the same loop and rounding as ``zipElements(_:_:op:_:_:)`` with `∘` for each).
    /// Not recorded on a tape.
    /// - Precondition: equal dtypes and broadcastable shapes (the message names `op`).
    @inlinable
    public static func zipElements(_ a: Tensor, _ b: Tensor, op: String, _ operator: ArithmeticOperator) -> Tensor {
        if let out = zipArithmeticSplit(a, b, op: op, `operator`) { return out }
        switch `operator` {
        case .add: return zipElements(a, b, op: op, +, +)
        case .subtract: return zipElements(a, b, op: op, -, -)
        case .multiply: return zipElements(a, b, op: op, *, *)
        case .divide: return zipElements(a, b, op: op, /, /)
        }
    }

    /// Output elements per thread below which ``zipArithmeticSplit(_:_:op:_:)`` declines.
    @usableFromInline static let zipGrain = 32_768

    /// The operator form of ``zipElements(_:_:op:_:_:)`` over ranges of the output split over the
    /// kernel threads (``parallelFor(_:grain:_:)``), or nil (the caller then runs the serial loop)
    /// when the output is short or both operands repeat along it. A `.row` or `.column` operand
    /// gets ranges of whole repeats. Each range runs ``zipLoop(_:_:_:_:_:_:_:_:_:_:)`` with the
    /// operator itself (a literal, so the loop is specialised for it), and each element is
    /// computed as in the serial loop: the bits do not depend on the thread count.
    @inlinable
    static func zipArithmeticSplit(_ a: Tensor, _ b: Tensor, op: String, _ operator: ArithmeticOperator) -> Tensor? {
        guard a.dtype == b.dtype else { return nil }   // the serial path reports it
        let same = a.shape == b.shape
        guard same || Broadcast.shape(a.shape, b.shape) != nil else { return nil }
        let shape = same ? a.shape : Broadcast.shape(a.shape, b.shape, op: op)
        let n = shape.reduce(1, *)
        guard n >= 2 * zipGrain else { return nil }
        let la: OperandLayout = same ? .full : .of(a.shape, in: shape)
        let lb: OperandLayout = same ? .full : .of(b.shape, in: shape)
        func unit(_ l: OperandLayout) -> Int? {
            switch l {
            case .full, .scalar: return 1
            case .row(let inner), .column(let inner): return inner
            case .general: return nil
            }
        }
        guard let ua = unit(la), let ub = unit(lb), ua == 1 || ub == 1 else { return nil }
        let block = Swift.max(ua, ub)
        let out = Tensor(uninitializedShape: shape, dtype: a.dtype)
        func run<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>) {
            func start(_ p: UnsafePointer<T>, _ l: OperandLayout, _ o: Int) -> UnsafePointer<T> {
                switch l {
                case .full: return p + o
                case .column(let inner): return p + o / inner
                default: return p   // .scalar, .row: the same values in every whole repeat
                }
            }
            parallelFor(n / block, grain: Swift.max(1, zipGrain / block)) { blocks in
                let o = blocks.lowerBound * block, m = blocks.count * block
                let (xs, ys, zs) = (start(x, la, o), start(y, lb, o), z + o)
                switch `operator` {
                case .add: zipLoop(xs, la, a.shape, ys, lb, b.shape, zs, shape, m, +)
                case .subtract: zipLoop(xs, la, a.shape, ys, lb, b.shape, zs, shape, m, -)
                case .multiply: zipLoop(xs, la, a.shape, ys, lb, b.shape, zs, shape, m, *)
                case .divide: zipLoop(xs, la, a.shape, ys, lb, b.shape, zs, shape, m, /)
                }
            }
        }
        switch a.dtype {
        case .float32:
            run(UnsafePointer(a.buffer.raw.assumingMemoryBound(to: Float.self)), UnsafePointer(b.buffer.raw.assumingMemoryBound(to: Float.self)),
                out.buffer.raw.assumingMemoryBound(to: Float.self))
        case .float64:
            run(UnsafePointer(a.buffer.raw.assumingMemoryBound(to: Double.self)), UnsafePointer(b.buffer.raw.assumingMemoryBound(to: Double.self)),
                out.buffer.raw.assumingMemoryBound(to: Double.self))
        }
        return withExtendedLifetime((a, b)) { out }
    }

    /// Adds `other` (same shape and dtype) into this tensor's memory when that memory is not
    /// shared with any other value, and returns true; returns false (and changes nothing) when
    /// it is shared. The tape's gradient accumulation uses it to avoid a new buffer per sum.
    /// The sum of each element is `self[i] + other[i]`, the same as `zipElements(self, other, +)`.
    mutating func addInPlaceIfUnique(_ other: Tensor) -> Bool {
        guard shape == other.shape, dtype == other.dtype, isKnownUniquelyReferenced(&buffer) else { return false }
        _trace = nil
        let n = count
        // one Kernels pass per dtype (wt_accumulate_*: y[i] + x[i], vectorised, over the threads)
        switch dtype {
        case .float32: wt_accumulate_f32(buffer.raw.assumingMemoryBound(to: Float.self), other.buffer.raw.assumingMemoryBound(to: Float.self), n)
        case .float64: wt_accumulate_f64(buffer.raw.assumingMemoryBound(to: Double.self), other.buffer.raw.assumingMemoryBound(to: Double.self), n)
        }
        withExtendedLifetime(other) {}
        return true
    }

    /// Sums a broadcast value back down to `target` (the shape it was broadcast from): the
    /// single place where gradients are un-broadcast. Not recorded on a tape.
    /// - Precondition: `shape` is a broadcast of `target`.
    public func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        require(Broadcast.shape(target, shape) == shape,
                     "unbroadcast: shape \(shape) is not a broadcast of \(target)")
        let n = count
        if n == 0 { return Tensor.zeros(target, dtype: dtype) }
        if target.reduce(1, *) == n {
            // only 1s were added or removed: the same elements under the new shape (shared, copy-on-write)
            return Tensor(shape: target, dtype: dtype, buffer: buffer)
        }
        let layout = OperandLayout.of(target, in: shape)
        var out = layout == .general ? Tensor.zeros(target, dtype: dtype) : Tensor(uninitializedShape: target, dtype: dtype)
        func run<T: TensorScalar>(_: T.Type) {
            let x = buffer.raw.assumingMemoryBound(to: T.self), y = out.buffer.raw.assumingMemoryBound(to: T.self)
            switch layout {
            case .scalar:
                var s: T = 0; for i in 0..<n { s += x[i] }; y[0] = s
            case .row(let inner):
                // y[j] = Σ_rows x[row, j], rows added in order (same rounding as the strided walk)
                for j in 0..<inner { y[j] = x[j] }
                var o = inner
                while o < n {
                    let xo = x + o
                    for j in 0..<inner { y[j] += xo[j] }
                    o += inner
                }
            case .column(let inner):
                var o = 0, r = 0
                while o < n {
                    var s: T = 0
                    for j in 0..<inner { s += x[o + j] }
                    y[r] = s
                    o += inner; r += 1
                }
            default:
                let strides = Broadcast.strides(of: target, broadcastTo: shape)
                Broadcast.forEach(shape, Broadcast.contiguousStrides(shape), strides) { _, ix, iy in y[iy] += x[ix] }
            }
        }
        dtype.dispatch { run($0) }
        out._trace = nil
        return out
    }
}
