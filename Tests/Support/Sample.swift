import Autodiff

/// Deterministic float64 test data.
public enum Sample {
    /// Standard normal values of `shape`, fixed by `seed`.
    public static func normal(_ shape: [Int], seed: UInt64, dtype: DType = .float64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.nextNormal() }, dtype: dtype)
    }
    /// Uniform values in [low, high).
    public static func uniform(_ shape: [Int], _ low: Double, _ high: Double, seed: UInt64, dtype: DType = .float64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in low + (high - low) * rng.nextUniform() }, dtype: dtype)
    }
    /// A complex tensor whose parts are standard normal.
    public static func complex(_ shape: [Int], seed: UInt64, dtype: DType = .float64) -> ComplexTensor {
        ComplexTensor(real: normal(shape, seed: seed, dtype: dtype), imag: normal(shape, seed: seed &+ 7777, dtype: dtype))
    }
}
