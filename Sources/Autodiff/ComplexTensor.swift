/// A complex array stored as two real tensors of one shape and dtype (split storage, like
/// cplxmodule's `Cplx`): `z = real + i·imag`.
///
/// Complex ops are single tape entries over the two parts. Gradients follow PyTorch's
/// convention: for a real loss L the gradient reported for z is `∂L/∂Re z + i·∂L/∂Im z`
/// (= 2·∂L/∂z̄), the direction of steepest ascent, so `z -= lr * grad` descends.
public struct ComplexTensor: Sendable {
    /// Real part.
    public var real: Tensor
    /// Imaginary part.
    public var imag: Tensor

    /// `real + i·imag`.
    /// - Precondition: equal shapes and dtypes (no broadcasting here).
    public init(real: Tensor, imag: Tensor) {
        require(real.shape == imag.shape,
                     "ComplexTensor: real part has shape \(real.shape) but imaginary part \(imag.shape)")
        require(real.dtype == imag.dtype,
                     "ComplexTensor: real part is \(real.dtype) but imaginary part \(imag.dtype)")
        self.real = real
        self.imag = imag
    }

    /// A complex tensor with zero imaginary part (cplxmodule's `AsTypeCplx`). Not recorded on a tape
    /// for the imaginary part, which is a constant.
    public init(real: Tensor) {
        self.init(real: real, imag: Tensor.zeros(real.shape, dtype: real.dtype))
    }

    /// Zeros of the given shape.
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> ComplexTensor {
        ComplexTensor(real: .zeros(shape, dtype: dtype), imag: .zeros(shape, dtype: dtype))
    }

    /// Shape of either part.
    public var shape: [Int] { real.shape }
    /// dtype of either part.
    public var dtype: DType { real.dtype }
    /// Number of complex elements.
    public var count: Int { real.count }
    /// Number of dimensions.
    public var rank: Int { real.rank }

    /// Both parts without tape records.
    public func detached() -> ComplexTensor { ComplexTensor(real: real.detached(), imag: imag.detached()) }

    /// Both parts converted to `dtype` (not recorded on a tape).
    public func converted(to dtype: DType) -> ComplexTensor {
        ComplexTensor(real: real.converted(to: dtype), imag: imag.converted(to: dtype))
    }

}

extension ComplexTensor: CustomStringConvertible {
    public var description: String {
        "ComplexTensor(\(shape), \(dtype))\nreal: \(real.description.split(separator: "\n").dropFirst().joined())\nimag: \(imag.description.split(separator: "\n").dropFirst().joined())"
    }
}
