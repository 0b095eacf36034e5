// Seeded complex normal random numbers.

/// Standard circular complex normal numbers (cplxmodule's `cplx.randn`): each part is
/// `N(0, ½)`, independent, so `E|z|² = 1`. The parts come from the two keys of `key.split()`
/// (real part from the first), so the result is a pure function of (key, shape, dtype).
/// - Returns: a complex tensor of `shape` and `dtype` (no tape record).
public func complexNormal(_ shape: [Int], key: RandomKey, dtype: DType = .float32) -> ComplexTensor {
    let (kr, ki) = key.split()
    let s = (0.5).squareRoot()  // each part: the normal times √½ (Float(√½) for float32), in one kernel pass
    return ComplexTensor(real: scaledNormal(shape, key: kr, dtype: dtype, scale: s),
                         imag: scaledNormal(shape, key: ki, dtype: dtype, scale: s))
}
