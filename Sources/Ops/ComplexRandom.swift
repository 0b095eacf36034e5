// Seeded complex normal random numbers.

/// Standard circular complex normal numbers (cplxmodule's `cplx.randn`): each part is
/// `N(0, ½)`, independent, so `E|z|² = 1`. The parts come from the two keys of `key.split()`
/// (real part from the first), so the result is a pure function of (key, shape, dtype).
/// - Returns: a complex tensor of `shape` and `dtype` (no tape record).
public func complexNormal(_ shape: [Int], key: RandomKey, dtype: DType = .float32) -> ComplexTensor {
    let (kr, ki) = key.split()
    let s = (0.5).squareRoot()
    func scaled(_ t: Tensor) -> Tensor { t.mapElements({ $0 * Float(s) }, { $0 * s }) }
    return ComplexTensor(real: scaled(normal(shape, key: kr, dtype: dtype)),
                         imag: scaled(normal(shape, key: ki, dtype: dtype)))
}
