import Foundation

/// The element type of a ``Tensor``, chosen at run time like PyTorch's `dtype`.
///
/// `float32` is the default for training; `float64` is what gradient checks and
/// parity tests use.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
    case float32
    case float64

    /// Bytes per element: 4 or 8.
    public var byteSize: Int { self == .float32 ? 4 : 8 }

    /// The safetensors / PyTorch spelling: `F32`, `F64`.
    public var safetensorsName: String { self == .float32 ? "F32" : "F64" }

    public var description: String { rawValue }
}

/// A Swift scalar type that can be the element of a ``Tensor``: `Float` or `Double`.
///
/// Kernels are written once, generic over `TensorScalar`, and specialised per dtype.
/// The static functions are the libm functions of the type (single precision for `Float`).
public protocol TensorScalar: BinaryFloatingPoint, Sendable where Self.RawSignificand: FixedWidthInteger {
    /// The runtime dtype matching this type.
    static var dtype: DType { get }
    /// eˣ
    static func exp(_ x: Self) -> Self
    /// eˣ − 1, accurate near 0
    static func expm1(_ x: Self) -> Self
    /// natural logarithm
    static func log(_ x: Self) -> Self
    /// log(1 + x), accurate near 0
    static func log1p(_ x: Self) -> Self
    /// hyperbolic tangent
    static func tanh(_ x: Self) -> Self
    /// hyperbolic sine
    static func sinh(_ x: Self) -> Self
    /// hyperbolic cosine
    static func cosh(_ x: Self) -> Self
    /// sine
    static func sin(_ x: Self) -> Self
    /// cosine
    static func cos(_ x: Self) -> Self
    /// atan2(y, x) ∈ (−π, π]
    static func atan2(_ y: Self, _ x: Self) -> Self
    /// xʸ
    static func pow(_ x: Self, _ y: Self) -> Self
    /// √(x² + y²) without undue overflow
    static func hypot(_ x: Self, _ y: Self) -> Self
}

extension Float: TensorScalar {
    @inlinable public static var dtype: DType { .float32 }
    @inlinable public static func exp(_ x: Float) -> Float { Foundation.expf(x) }
    @inlinable public static func expm1(_ x: Float) -> Float { Foundation.expm1f(x) }
    @inlinable public static func log(_ x: Float) -> Float { Foundation.logf(x) }
    @inlinable public static func log1p(_ x: Float) -> Float { Foundation.log1pf(x) }
    @inlinable public static func tanh(_ x: Float) -> Float { Foundation.tanhf(x) }
    @inlinable public static func sinh(_ x: Float) -> Float { Foundation.sinhf(x) }
    @inlinable public static func cosh(_ x: Float) -> Float { Foundation.coshf(x) }
    @inlinable public static func sin(_ x: Float) -> Float { Foundation.sinf(x) }
    @inlinable public static func cos(_ x: Float) -> Float { Foundation.cosf(x) }
    @inlinable public static func atan2(_ y: Float, _ x: Float) -> Float { Foundation.atan2f(y, x) }
    @inlinable public static func pow(_ x: Float, _ y: Float) -> Float { Foundation.powf(x, y) }
    @inlinable public static func hypot(_ x: Float, _ y: Float) -> Float { Foundation.hypotf(x, y) }
}

extension Double: TensorScalar {
    @inlinable public static var dtype: DType { .float64 }
    @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func expm1(_ x: Double) -> Double { Foundation.expm1(x) }
    @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inlinable public static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
    @inlinable public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inlinable public static func sinh(_ x: Double) -> Double { Foundation.sinh(x) }
    @inlinable public static func cosh(_ x: Double) -> Double { Foundation.cosh(x) }
    @inlinable public static func sin(_ x: Double) -> Double { Foundation.sin(x) }
    @inlinable public static func cos(_ x: Double) -> Double { Foundation.cos(x) }
    @inlinable public static func atan2(_ y: Double, _ x: Double) -> Double { Foundation.atan2(y, x) }
    @inlinable public static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
    @inlinable public static func hypot(_ x: Double, _ y: Double) -> Double { Foundation.hypot(x, y) }
}

extension DType {
    /// Runs a computation written once, generic over the scalar type, at this dtype's scalar type
    /// (`Float` for `float32`, `Double` for `float64`): the one place where a runtime dtype becomes
    /// a static type.
    ///
    /// Swift closures cannot be generic, so the computation is a local generic function and the
    /// closure passes the scalar type on to it; Swift opens the existential metatype at that call
    /// (SE-0352), and since this helper is inlined with one concrete type per branch, the optimiser
    /// specialises the generic function for `Float` and for `Double` (no per-element generic calls):
    ///
    /// ```swift
    /// func run<T: TensorScalar>(_: T.Type) -> Tensor { … UnsafeBufferPointer<T> … }
    /// return x.dtype.dispatch { run($0) }
    /// ```
    ///
    /// Where the two dtypes call two different C functions (`wt_…_f32` and `wt_…_f64`), or the
    /// caller supplies one closure per scalar type, that pair *is* the dispatch and is written as a
    /// `switch` naming both.
    @inlinable @inline(__always)
    public func dispatch<R>(_ body: (any TensorScalar.Type) throws -> R) rethrows -> R {
        switch self {
        case .float32: return try body(Float.self)
        case .float64: return try body(Double.self)
        }
    }
}
