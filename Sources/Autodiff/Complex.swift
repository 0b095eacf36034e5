import Foundation

/// A complex number `real + i·imag` in `Double`: an element of a ``ComplexTensor`` and the
/// complex scalar of arithmetic with one (`z * Complex(0.5, -2)`, in Ops).
public struct Complex: Sendable, Hashable, CustomStringConvertible {
    /// Real part.
    public var real: Double
    /// Imaginary part.
    public var imag: Double

    /// `real + i·imag`.
    public init(_ real: Double, _ imag: Double = 0) { self.real = real; self.imag = imag }

    /// The imaginary unit `i`.
    public static let i = Complex(0, 1)
    /// `0 + 0i`.
    public static let zero = Complex(0, 0)

    /// `re^{iθ}`: the number of modulus `r` and argument `theta`.
    public init(modulus r: Double, argument theta: Double) { self.init(r * Foundation.cos(theta), r * Foundation.sin(theta)) }

    /// The conjugate `real − i·imag`.
    public var conjugate: Complex { Complex(real, -imag) }
    /// The modulus `|z| = √(real² + imag²)`, without overflow for large parts.
    public var modulus: Double { Foundation.hypot(real, imag) }
    /// The argument `atan2(imag, real)` in (−π, π].
    public var argument: Double { Foundation.atan2(imag, real) }

    /// `1.5+2i`, `1.5-2i`.
    public var description: String { imag.sign == .minus ? "\(real)\(imag)i" : "\(real)+\(imag)i" }

    /// Sum.
    public static func + (a: Complex, b: Complex) -> Complex { Complex(a.real + b.real, a.imag + b.imag) }
    /// Difference.
    public static func - (a: Complex, b: Complex) -> Complex { Complex(a.real - b.real, a.imag - b.imag) }
    /// Product `(ac − bd) + i(ad + bc)`.
    public static func * (a: Complex, b: Complex) -> Complex {
        Complex(a.real * b.real - a.imag * b.imag, a.real * b.imag + a.imag * b.real)
    }
    /// Quotient `a·conj(b) / |b|²` (infinite or NaN parts for `b = 0`, as IEEE division).
    public static func / (a: Complex, b: Complex) -> Complex {
        let d = b.real * b.real + b.imag * b.imag
        return Complex((a.real * b.real + a.imag * b.imag) / d, (a.imag * b.real - a.real * b.imag) / d)
    }
    /// Negation.
    public static prefix func - (a: Complex) -> Complex { Complex(-a.real, -a.imag) }
    /// `a + s` (real `s`).
    public static func + (a: Complex, s: Double) -> Complex { Complex(a.real + s, a.imag) }
    /// `s + a`.
    public static func + (s: Double, a: Complex) -> Complex { Complex(s + a.real, a.imag) }
    /// `a − s`.
    public static func - (a: Complex, s: Double) -> Complex { Complex(a.real - s, a.imag) }
    /// `s − a`.
    public static func - (s: Double, a: Complex) -> Complex { Complex(s - a.real, -a.imag) }
    /// `a·s` (both parts scaled).
    public static func * (a: Complex, s: Double) -> Complex { Complex(a.real * s, a.imag * s) }
    /// `s·a`.
    public static func * (s: Double, a: Complex) -> Complex { Complex(s * a.real, s * a.imag) }
    /// `a / s`.
    public static func / (a: Complex, s: Double) -> Complex { Complex(a.real / s, a.imag / s) }
    /// `s / a`.
    public static func / (s: Double, a: Complex) -> Complex { Complex(s, 0) / a }
}

extension ComplexTensor {
    /// A complex tensor of `shape` from its elements in row-major order, `float64` unless
    /// `dtype` says otherwise (`Complex` holds doubles; see ``Tensor``'s dtype rule).
    /// - Precondition: `elements.count` is the product of `shape`.
    public init(shape: [Int], elements: [Complex], dtype: DType = .float64) {
        require(elements.count == shape.reduce(1, *),
                "ComplexTensor(shape:elements:): \(elements.count) elements for shape \(shape)")
        self.init(real: Tensor(shape: shape, scalars: elements.map(\.real), dtype: dtype),
                  imag: Tensor(shape: shape, scalars: elements.map(\.imag), dtype: dtype))
    }

    /// A 0-d complex tensor (shape `[]`) holding `value`, `float64` unless `dtype` says
    /// otherwise: broadcasts against any shape.
    public init(_ value: Complex, dtype: DType = .float64) {
        self.init(shape: [], elements: [value], dtype: dtype)
    }

    /// Every element in row-major order.
    public var elements: [Complex] { zip(real.scalars, imag.scalars).map { Complex($0, $1) } }

    /// The element at `indices` (one per axis; negative indices count from the end), read or
    /// written. Writing changes this value only (tensors share storage copy-on-write) and is
    /// not recorded on a tape.
    public subscript(_ indices: Int...) -> Complex {
        get { Complex(real.element(at: indices), imag.element(at: indices)) }
        set {
            real.setElement(newValue.real, at: indices)
            imag.setElement(newValue.imag, at: indices)
        }
    }
}

extension Tensor {
    /// The element at `indices` (array form of the subscript).
    func element(at indices: [Int]) -> Double {
        let o = offset(of: indices)
        func run<T: TensorScalar>(_: T.Type) -> Double {
            withUnsafeBufferPointer { (p: UnsafeBufferPointer<T>) in Double(p[o]) }
        }
        return dtype.dispatch { run($0) }
    }

    /// Writes the element at `indices` (array form of the subscript).
    mutating func setElement(_ value: Double, at indices: [Int]) {
        let o = offset(of: indices)
        func run<T: TensorScalar>(_: T.Type) {
            withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<T>) in p[o] = T(value) }
        }
        dtype.dispatch { run($0) }
    }
}
