/// A dense, contiguous, row-major array of real numbers with a runtime ``DType``.
///
/// `Tensor` is a value: copies share memory until one of them is written (copy-on-write).
/// A tensor computed inside a gradient call (``valueWithGradient(at:of:)-4wq5w``) carries a
/// ``Trace`` that records where it came from on that call's ``Tape``; a tensor computed
/// anywhere else carries nothing and costs nothing extra.
///
/// Shapes follow PyTorch: `[]` is a scalar (one element), `[0, 3]` is empty.
///
/// Default dtypes, one rule: a tensor made from Swift values keeps their precision — `[Float]`
/// gives `float32`, `Double` and `[Double]` give `float64` (as do `Complex` elements of a
/// ``ComplexTensor``); a tensor made from a shape alone (`zeros`, `ones`, `full`, `arange`,
/// random tensors, `initialParameters`) is `float32`, the library's working precision. Every
/// initialiser takes `dtype:` to choose otherwise.
public struct Tensor: Sendable {
    /// The size of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The element type.
    public let dtype: DType
    @usableFromInline var buffer: TensorBuffer
    @usableFromInline var _trace: Trace?
    /// Where this value sits on a tape, when it was computed inside a gradient call.
    public internal(set) var trace: Trace? {
        get { _trace }
        set { _trace = newValue }
    }

    /// Wraps an existing buffer. `buffer` must hold at least `shape.product` elements of `dtype`.
    @usableFromInline
    init(shape: [Int], dtype: DType, buffer: TensorBuffer) {
        self.shape = shape
        self.dtype = dtype
        self.buffer = buffer
        self._trace = nil
    }

    /// A tensor whose elements are not initialised; the caller must write every element.
    ///
    /// - Precondition: every dimension is ≥ 0.
    @inlinable
    public init(uninitializedShape shape: [Int], dtype: DType) {
        require(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        let count = shape.reduce(1, *)
        self.init(shape: shape, dtype: dtype, buffer: TensorBuffer(byteCount: count * dtype.byteSize))
    }

    /// A tensor of zeros.
    /// - Parameters:
    ///   - shape: the shape, e.g. `[batch, features]`.
    ///   - dtype: `float32` unless given.
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        require(shape.allSatisfy { $0 >= 0 }, "Tensor.zeros: negative dimension in shape \(shape)")
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, dtype: dtype, buffer: TensorBuffer(zeroedByteCount: count * dtype.byteSize))
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        full(shape, 1, dtype: dtype)
    }

    /// A tensor with every element equal to `value`.
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32) -> Tensor {
        var t = Tensor(uninitializedShape: shape, dtype: dtype)
        func run<T: TensorScalar>(_: T.Type) {
            t.withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<T>) in p.update(repeating: T(value)) }
        }
        dtype.dispatch { run($0) }
        return t
    }

    /// `[start, start + step, …]` up to but excluding `end` (1-D), like `torch.arange`.
    public static func arange(_ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType = .float32) -> Tensor {
        require(step != 0, "Tensor.arange: step must be non-zero")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor(shape: [n], scalars: (0..<n).map { start + Double($0) * step }, dtype: dtype)
    }

    /// A tensor from row-major `Float` values (dtype `float32`). An array literal without a type
    /// (`Tensor(shape: [2], scalars: [1, 2])`) picks this initialiser, so it is float32 like
    /// PyTorch's default; write `scalars: [1, 2] as [Double]` (or pass `dtype:`) for float64.
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        self.init(uninitializedShape: shape, dtype: .float32)
        require(scalars.count == count, "Tensor(shape: \(shape)): got \(scalars.count) values, need \(count)")
        withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<Float>) in _ = p.initialize(from: scalars) }
    }

    /// A tensor from row-major `Double` values, stored as `dtype` (`float64` unless given).
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public init(shape: [Int], scalars: [Double], dtype: DType = .float64) {
        self.init(uninitializedShape: shape, dtype: dtype)
        require(scalars.count == count, "Tensor(shape: \(shape)): got \(scalars.count) values, need \(count)")
        func run<T: TensorScalar>(_: T.Type) {
            withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<T>) in
                for i in 0..<p.count { p[i] = T(scalars[i]) } }
        }
        dtype.dispatch { run($0) }
    }

    /// A 1-D `float32` tensor.
    public init(_ scalars: [Float]) { self.init(shape: [scalars.count], scalars: scalars) }

    /// A 1-D tensor from doubles (`float64` unless `dtype` says otherwise).
    public init(_ scalars: [Double], dtype: DType = .float64) { self.init(shape: [scalars.count], scalars: scalars, dtype: dtype) }

    /// A 0-d (scalar) tensor, `float64` unless `dtype` says otherwise (a `Double` keeps its
    /// precision, as `[Double]` does).
    public init(scalar: Double, dtype: DType = .float64) { self.init(shape: [], scalars: [scalar], dtype: dtype) }

    /// Number of elements (product of the shape; 1 for a scalar).
    @inlinable public var count: Int { shape.reduce(1, *) }
    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// Whether this value was recorded on a tape that is still recording.
    public var isTraced: Bool { trace?.tape.isRecording ?? false }

    /// This value without its tape record: a constant for differentiation (`detach()` in PyTorch).
    public func detached() -> Tensor {
        var t = self
        t.trace = nil
        return t
    }

    // MARK: - Raw access

    /// Calls `body` with the elements, read-only.
    /// - Precondition: `T.dtype == dtype`.
    @inlinable
    public func withUnsafeBufferPointer<T: TensorScalar, R>(_ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        require(T.dtype == dtype, "Tensor: requested \(T.dtype) elements of a \(dtype) tensor")
        return try body(UnsafeBufferPointer(start: buffer.raw.assumingMemoryBound(to: T.self), count: count))
    }

    /// Calls `body` with the elements, writable. Copies the memory first if it is shared
    /// (copy-on-write) and drops the tape record: an element written by hand is a new constant.
    /// - Precondition: `T.dtype == dtype`.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<T: TensorScalar, R>(_ body: (UnsafeMutableBufferPointer<T>) throws -> R) rethrows -> R {
        require(T.dtype == dtype, "Tensor: requested \(T.dtype) elements of a \(dtype) tensor")
        if !isKnownUniquelyReferenced(&buffer) { buffer = buffer.copy() }
        _trace = nil
        return try body(UnsafeMutableBufferPointer(start: buffer.raw.assumingMemoryBound(to: T.self), count: count))
    }

    /// Calls `body` with the raw bytes (little-endian IEEE 754 on every supported platform).
    public func withUnsafeRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: buffer.raw, count: count * dtype.byteSize))
    }

    /// A tensor whose elements are copied from raw little-endian bytes.
    /// - Precondition: `bytes.count == shape.product × dtype.byteSize`.
    public init(shape: [Int], dtype: DType, bytes: UnsafeRawBufferPointer) {
        self.init(uninitializedShape: shape, dtype: dtype)
        require(bytes.count == count * dtype.byteSize,
                     "Tensor(shape: \(shape), dtype: \(dtype)): got \(bytes.count) bytes, need \(count * dtype.byteSize)")
        if bytes.count > 0 { buffer.raw.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
    }

    // MARK: - Elements (for tests and small data)

    /// All elements as `Double`, row-major.
    public var scalars: [Double] {
        scalars(as: Double.self)
    }

    /// All elements converted to `T`, row-major.
    public func scalars<T: TensorScalar>(as type: T.Type) -> [T] {
        func run<S: TensorScalar>(_: S.Type) -> [T] {
            withUnsafeBufferPointer { (p: UnsafeBufferPointer<S>) in p.map { T($0) } }
        }
        return dtype.dispatch { run($0) }
    }

    /// The only element of a one-element tensor.
    public var item: Double {
        require(count == 1, "Tensor.item: tensor of shape \(shape) has \(count) elements, need 1")
        return scalars[0]
    }

    /// Row-major offset of a multi-index. Negative indices count from the end.
    @inlinable
    func offset(of indices: [Int]) -> Int {
        require(indices.count == rank, "Tensor subscript: \(indices.count) indices for shape \(shape)")
        var off = 0
        for (d, var i) in indices.enumerated() {
            if i < 0 { i += shape[d] }
            require(i >= 0 && i < shape[d], "Tensor subscript: index \(indices) out of range for shape \(shape)")
            off = off * shape[d] + i
        }
        return off
    }

    /// One element, read or written as `Double`.
    public subscript(_ indices: Int...) -> Double {
        get { element(at: indices) }
        set { setElement(newValue, at: indices) }
    }

    // MARK: - Conversion and shape metadata

    /// The same values as `dtype` (a copy unless already of that type). Not recorded on a tape;
    /// use `Ops`' `cast(_:to:)` for a differentiable conversion.
    public func converted(to dtype: DType) -> Tensor {
        if dtype == self.dtype { return detached() }
        var out = Tensor(uninitializedShape: shape, dtype: dtype)
        func run<S: TensorScalar, D: TensorScalar>(_: S.Type, _: D.Type) {
            withUnsafeBufferPointer { (s: UnsafeBufferPointer<S>) in
                out.withUnsafeMutableBufferPointer { (d: UnsafeMutableBufferPointer<D>) in
                    for i in 0..<s.count { d[i] = D(s[i]) } } }
        }
        self.dtype.dispatch { source in dtype.dispatch { run(source, $0) } }
        return out
    }

    /// The same memory viewed with another shape of equal element count. Not recorded on a
    /// tape; use `Ops`' `reshape` for a differentiable one.
    public func withShape(_ newShape: [Int]) -> Tensor {
        require(newShape.reduce(1, *) == count && newShape.allSatisfy { $0 >= 0 },
                     "withShape: cannot view shape \(shape) (\(count) elements) as \(newShape)")
        return Tensor(shape: newShape, dtype: dtype, buffer: buffer)
    }

    /// Whether `self` and `other` have equal shape, dtype and elements (bitwise value equality; NaN ≠ NaN).
    public func isIdentical(to other: Tensor) -> Bool {
        shape == other.shape && dtype == other.dtype && scalars == other.scalars
    }
}

extension Tensor: CustomStringConvertible {
    /// `Tensor([2, 3], float32)` followed by the nested values (at most 6 per dimension shown).
    public var description: String {
        let values = scalars
        func fmt(_ x: Double) -> String {
            if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
            return String(format: "%.6g", x)
        }
        func render(_ dim: Int, _ base: Int, _ stride: Int) -> String {
            if dim == shape.count { return fmt(values[base]) }
            let n = shape[dim], inner = stride / Swift.max(n, 1)
            var parts: [String] = []
            let shown = n <= 6 ? Array(0..<n) : [0, 1, 2, -1, n - 3, n - 2, n - 1]
            for i in shown { parts.append(i < 0 ? "…" : render(dim + 1, base + i * inner, inner)) }
            return "[" + parts.joined(separator: ", ") + "]"
        }
        let body = count == 0 ? "[]" : render(0, 0, count)
        return "Tensor(\(shape), \(dtype))\n\(body)"
    }
}

import Foundation
