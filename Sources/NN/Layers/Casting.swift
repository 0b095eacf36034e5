// Casting modules between real and complex values (cplxmodule's `nn.modules.casting` and
// `CplxReal`/`CplxImag`). None has parameters. Unlike cplxmodule's `copy=False` defaults, the
// outputs never share memory with the inputs (tensors are values here).

/// Real → complex from interleaved parts along `axis`: `z_k = x[2k] + i·x[2k+1]`
/// (cplxmodule's `InterleavedRealToCplx`, exported as `RealToCplx`).
///
/// Shapes: `[..., 2n, ...]` → `[..., n, ...]` (the axis halves). Example: x = [0, 1, 2, 3] → [0+1i, 2+3i].
public struct InterleavedRealToCplx: SequentialLayer {
    /// The axis holding the interleaved parts (default −1).
    public let axis: Int
    /// cplxmodule's `InterleavedRealToCplx(copy=False, dim=-1)`.
    public init(axis: Int = -1) { self.axis = axis }
    /// `z_k = x[2k] + i·x[2k+1]` along `axis`: `[…, 2n, …]` → complex `[…, n, …]`.
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> ComplexTensor {
        fromInterleaved(x, axis: axis)
    }
}

/// cplxmodule's `RealToCplx` (= ``InterleavedRealToCplx``).
public typealias RealToCplx = InterleavedRealToCplx

/// Real → complex from concatenated parts along `axis`: the first half is the real part,
/// the second half the imaginary part (cplxmodule's `ConcatenatedRealToCplx`).
///
/// Shapes: `[..., 2n, ...]` → `[..., n, ...]`. Example: x = [0, 1, 2, 3] → [0+2i, 1+3i].
public struct ConcatenatedRealToCplx: SequentialLayer {
    /// The axis holding the concatenated parts (default −1).
    public let axis: Int
    /// cplxmodule's `ConcatenatedRealToCplx(copy=False, dim=-1)`.
    public init(axis: Int = -1) { self.axis = axis }
    /// `z_k = x[k] + i·x[n+k]` along `axis`: `[…, 2n, …]` → complex `[…, n, …]`.
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> ComplexTensor {
        fromConcatenated(x, axis: axis)
    }
}

/// Complex → real with the parts interleaved along `axis`: `[re₀, im₀, re₁, im₁, …]`
/// (cplxmodule's `CplxToInterleavedReal`, exported as `CplxToReal`).
///
/// Shapes: `[..., n, ...]` → `[..., 2n, ...]`.
public struct CplxToInterleavedReal: SequentialLayer {
    /// The axis along which the parts are interleaved (default −1).
    public let axis: Int
    /// cplxmodule's `CplxToInterleavedReal(dim=-1)`.
    public init(axis: Int = -1) { self.axis = axis }
    /// `[re₀, im₀, re₁, im₁, …]` along `axis`: complex `[…, n, …]` → `[…, 2n, …]`.
    public func callAsFunction(_ z: ComplexTensor, parameters: ParameterTree, context: Context) -> Tensor {
        toInterleaved(z, axis: axis)
    }
}

/// cplxmodule's `CplxToReal` (= ``CplxToInterleavedReal``).
public typealias CplxToReal = CplxToInterleavedReal

/// Complex → real with the parts concatenated along `axis`: `cat([re, im], axis)`
/// (cplxmodule's `CplxToConcatenatedReal`).
///
/// Shapes: `[..., n, ...]` → `[..., 2n, ...]`.
public struct CplxToConcatenatedReal: SequentialLayer {
    /// The axis along which the parts are concatenated (default −1).
    public let axis: Int
    /// cplxmodule's `CplxToConcatenatedReal(dim=-1)`.
    public init(axis: Int = -1) { self.axis = axis }
    /// `cat([re, im], axis)`: complex `[…, n, …]` → `[…, 2n, …]`.
    public func callAsFunction(_ z: ComplexTensor, parameters: ParameterTree, context: Context) -> Tensor {
        toConcatenated(z, axis: axis)
    }
}

/// Real → complex with zero imaginary part, `x + 0i` (cplxmodule's `AsTypeCplx`).
///
/// Shapes: any → same. Gradient: the real part of the output cotangent.
public struct AsTypeCplx: SequentialLayer {
    /// cplxmodule's `AsTypeCplx()`.
    public init() {}
    /// `x + 0i`: any shape → complex of the same shape.
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> ComplexTensor {
        ComplexTensor(real: x)
    }
}

/// Real `[..., 2]` → complex `[...]`: `x[..., 0] + i·x[..., 1]` (cplxmodule's `TensorToCplx`, the
/// layout of PyTorch's `view_as_real`).
///
/// - Precondition: the last dimension is 2.
public struct TensorToCplx: SequentialLayer {
    /// cplxmodule's `TensorToCplx()`.
    public init() {}
    /// `x[…, 0] + i·x[…, 1]`: `[…, 2]` → complex `[…]`.
    public func callAsFunction(_ x: Tensor, parameters: ParameterTree, context: Context) -> ComplexTensor {
        require(x.rank >= 1 && x.shape[x.rank - 1] == 2,
                     "\(context.path.isEmpty ? "TensorToCplx" : context.path): the last dimension must be 2, got shape \(x.shape)")
        let z = fromInterleaved(x, axis: -1)
        let shape = Array(x.shape.dropLast())
        return ComplexTensor(real: reshape(z.real, shape), imag: reshape(z.imag, shape))
    }
}

/// Complex `[...]` → real `[..., 2]`: `stack([re, im], -1)` (cplxmodule's `CplxToTensor`).
public struct CplxToTensor: SequentialLayer {
    /// cplxmodule's `CplxToTensor()`.
    public init() {}
    /// `stack([re, im], -1)`: complex `[…]` → `[…, 2]`.
    public func callAsFunction(_ z: ComplexTensor, parameters: ParameterTree, context: Context) -> Tensor {
        stack([z.real, z.imag], axis: z.rank)
    }
}

/// The real part of a complex input (cplxmodule's `CplxReal`). Shapes: any → same.
public struct CplxReal: SequentialLayer {
    /// cplxmodule's `CplxReal()`.
    public init() {}
    /// `Re z`: complex any shape → real of the same shape.
    public func callAsFunction(_ z: ComplexTensor, parameters: ParameterTree, context: Context) -> Tensor { z.real }
}

/// The imaginary part of a complex input (cplxmodule's `CplxImag`). Shapes: any → same.
public struct CplxImag: SequentialLayer {
    /// cplxmodule's `CplxImag()`.
    public init() {}
    /// `Im z`: complex any shape → real of the same shape.
    public func callAsFunction(_ z: ComplexTensor, parameters: ParameterTree, context: Context) -> Tensor { z.imag }
}
