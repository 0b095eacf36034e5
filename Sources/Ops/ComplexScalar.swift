// Arithmetic between a complex tensor and a complex scalar: the scalar becomes a 0-d constant
// of the tensor's dtype and the broadcasting complex ops do the rest (their pullbacks reach the
// tensor; the constant gets none).

/// A complex scalar as a 0-d constant of `z`'s dtype.
private func constant(_ c: Complex, like z: ComplexTensor) -> ComplexTensor { ComplexTensor(c, dtype: z.dtype) }

/// `z + c` elementwise, shape of `z`.
public func + (z: ComplexTensor, c: Complex) -> ComplexTensor { z + constant(c, like: z) }
/// `c + z` elementwise.
public func + (c: Complex, z: ComplexTensor) -> ComplexTensor { constant(c, like: z) + z }
/// `z − c` elementwise.
public func - (z: ComplexTensor, c: Complex) -> ComplexTensor { z - constant(c, like: z) }
/// `c − z` elementwise.
public func - (c: Complex, z: ComplexTensor) -> ComplexTensor { constant(c, like: z) - z }
/// `z·c` elementwise: `(Re z·Re c − Im z·Im c) + i(Re z·Im c + Im z·Re c)`.
public func * (z: ComplexTensor, c: Complex) -> ComplexTensor { z * constant(c, like: z) }
/// `c·z` elementwise.
public func * (c: Complex, z: ComplexTensor) -> ComplexTensor { constant(c, like: z) * z }
/// `z / c` elementwise, `z·conj(c) / |c|²`.
public func / (z: ComplexTensor, c: Complex) -> ComplexTensor { z / constant(c, like: z) }
/// `c / z` elementwise, `c·conj(z) / |z|²`.
public func / (c: Complex, z: ComplexTensor) -> ComplexTensor { constant(c, like: z) / z }
/// `z = z·c`.
public func *= (z: inout ComplexTensor, c: Complex) { z = z * c }
/// `z = z + c`.
public func += (z: inout ComplexTensor, c: Complex) { z = z + c }
/// `z = z − c`.
public func -= (z: inout ComplexTensor, c: Complex) { z = z - c }
/// `z = z / c`.
public func /= (z: inout ComplexTensor, c: Complex) { z = z / c }
/// `x·c` for a real tensor `x`: the complex tensor `(x·Re c) + i(x·Im c)`.
public func * (x: Tensor, c: Complex) -> ComplexTensor { ComplexTensor(real: x * c.real, imag: x * c.imag) }
/// `c·x` for a real tensor `x`.
public func * (c: Complex, x: Tensor) -> ComplexTensor { x * c }
