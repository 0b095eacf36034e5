// Circular (wrap-around) padding of the spatial axes, PyTorch's `F.pad(x, …, mode='circular')`,
// which `nn.ConvNd(padding_mode='circular')` applies before a convolution without padding.
// Composed of `slice` and `concat`, so its pullback is theirs: the cotangent of each copied
// border is added back onto the elements it was copied from.

/// Pads the last `padding.count` axes of `x` circularly: axis `d` of size S becomes
/// `x[S − p ..< S] ++ x ++ x[0 ..< p]` with p = `padding[d]` on both sides (PyTorch's `circular`
/// mode; cplxmodule's own circular padding, which pads differently, is not copied).
/// - Parameters:
///   - x: `[…, S₁, …, Sₙ]` with at least `padding.count` axes.
///   - padding: one value per padded axis, each between 0 and that axis's size (PyTorch refuses
///     padding that would wrap around more than once).
/// - Returns: `[…, S₁ + 2p₁, …, Sₙ + 2pₙ]`.
///
/// Pullback: the cotangent of the padded tensor, each border's part added onto the elements it
/// copies (`slice` and `concat` pullbacks).
public func circularPad(_ x: Tensor, _ padding: [Int]) -> Tensor {
    let n = padding.count, first = x.rank - n
    require(first >= 0, "circularPad: \(n) padded axes for an input of shape \(x.shape)")
    var y = x
    for (d, p) in padding.enumerated() where p != 0 {
        let axis = first + d, size = x.shape[axis]
        require(p >= 0 && p <= size,
                "circularPad: padding \(padding) must be between 0 and the size of each padded axis (input \(x.shape))")
        y = concat([slice(y, axis: axis, start: size - p), y, slice(y, axis: axis, end: p)], axis: axis)
    }
    return y
}

/// Circular padding of both parts of a complex tensor: the real `circularPad(_:_:)` applied
/// to the real and to the imaginary part (shapes as for real tensors).
public func circularPad(_ z: ComplexTensor, _ padding: [Int]) -> ComplexTensor {
    ComplexTensor(real: circularPad(z.real, padding), imag: circularPad(z.imag, padding))
}
