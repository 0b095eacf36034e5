// Seeded, splittable, counter-based random numbers.
//
// Every random tensor is a pure function of (key, shape, dtype): element i is computed from
// the Philox block whose counter is derived from i, so results are the same on every run, on
// every machine and for any number of threads, and layers can derive independent noise from
// (key, their path) without a shared mutable generator.

import Foundation
import Kernels

/// A key for counter-based random number generation (Philox4x32-10).
///
/// Philox4x32-10 is the counter-based generator of J. K. Salmon, M. A. Moraes, R. O. Dror and
/// D. E. Shaw, "Parallel Random Numbers: As Easy as 1, 2, 3", SC'11 (2011): a keyed bijection of
/// a 128-bit counter, made of ten rounds of two 32×32→64-bit multiplications (multipliers
/// 0xD2511F53, 0xCD9E8D57), xors with the 64-bit key, and a Weyl increment of the key
/// (0x9E3779B9, 0xBB67AE85) between rounds. Its output passes BigCrush.
///
/// A key is a value: `split` and `fold` derive new keys without changing this one.
/// Streams are separated through the counter's last word: sampling uses word 3 = 0, `split`
/// and `fold` use their own tags, so derived keys never coincide with sample blocks.
public struct RandomKey: Sendable, Hashable, CustomStringConvertible {
    /// The two 32-bit key words of the Philox bijection.
    public let words: SIMD2<UInt32>

    /// A key from a 64-bit seed (low word first). Different seeds give different keys.
    public init(seed: UInt64) {
        words = SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    }

    /// A key with the given raw words.
    public init(words: SIMD2<UInt32>) { self.words = words }

    /// The key words as one 64-bit number (inverse of ``init(seed:)``).
    public var rawValue: UInt64 { UInt64(words.x) | (UInt64(words.y) << 32) }

    /// `RandomKey(0x…)` with the key as one hexadecimal number.
    public var description: String { "RandomKey(0x" + String(rawValue, radix: 16) + ")" }

    private static let splitTag: UInt32 = 0x5350_4C54  // "SPLT"
    private static let foldTag: UInt32 = 0x464F_4C44   // "FOLD"

    /// Two new keys, independent of each other and of this key's own samples.
    public func split() -> (RandomKey, RandomKey) {
        let k = split(2)
        return (k[0], k[1])
    }

    /// `n` new keys: key j is the first two words of Philox(counter (j, 0, 0, tag), this key).
    /// `split(n)[j]` is the same for every `n > j`.
    /// - Precondition: n ≥ 0.
    public func split(_ n: Int) -> [RandomKey] {
        require(n >= 0, "RandomKey.split: negative count \(n)")
        return (0..<n).map { j in
            let c = SIMD4<UInt32>(UInt32(truncatingIfNeeded: j), UInt32(truncatingIfNeeded: UInt64(j) >> 32), 0, Self.splitTag)
            let out = Self.philox4x32(counter: c, key: words)
            return RandomKey(words: SIMD2(out.x, out.y))
        }
    }

    /// A new key derived from this one and `data` (for example a layer index or a step number).
    public func fold(_ data: UInt64) -> RandomKey {
        let c = SIMD4<UInt32>(UInt32(truncatingIfNeeded: data), UInt32(truncatingIfNeeded: data >> 32), 0, Self.foldTag)
        let out = Self.philox4x32(counter: c, key: words)
        return RandomKey(words: SIMD2(out.x, out.y))
    }

    /// A new key derived from this one and a name (for example a parameter path
    /// `classifier.0.weight`), through the 64-bit FNV-1a hash of its UTF-8 bytes — a fixed
    /// function, unlike Swift's per-process randomised `Hasher`.
    public func fold(_ name: String) -> RandomKey { fold(Self.fnv1a(name)) }

    /// 64-bit FNV-1a of the UTF-8 bytes of `s` (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
    public static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    /// The Philox4x32-10 bijection: ten rounds over the 128-bit `counter` with the 64-bit `key`.
    /// Matches the known-answer vectors of the Random123 reference implementation.
    @inlinable
    public static func philox4x32(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c0 = counter.x, c1 = counter.y, c2 = counter.z, c3 = counter.w
        var k0 = key.x, k1 = key.y
        for round in 0..<10 {
            let p0 = UInt64(0xD251_1F53) &* UInt64(c0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            c0 = hi1 ^ c1 ^ k0
            c1 = lo1
            c2 = hi0 ^ c3 ^ k1
            c3 = lo0
            if round < 9 {
                k0 &+= 0x9E37_79B9
                k1 &+= 0xBB67_AE85
            }
        }
        return SIMD4(c0, c1, c2, c3)
    }

    /// The 4 words of sample block `block` (counter (block, 0, 0) with stream tag 0).
    @inlinable
    func block(_ block: Int) -> SIMD4<UInt32> {
        let b = UInt64(block)
        return Self.philox4x32(counter: SIMD4(UInt32(truncatingIfNeeded: b), UInt32(truncatingIfNeeded: b >> 32), 0, 0),
                               key: words)
    }

    /// The two 53-bit uniforms in [0, 1) of sample block `block`: elements 2·block and
    /// 2·block + 1 of this key's uniform stream (words 0–1 and 2–3 of the block), each
    /// `(w₀·2³² + w₁) >> 11` · 2⁻⁵³ of two 32-bit words of the block.
    @inlinable
    public func uniformPair(_ block: Int) -> (Double, Double) {
        let w = self.block(block)
        return (Double((UInt64(w.x) << 32 | UInt64(w.y)) >> 11) * 0x1.0p-53,
                Double((UInt64(w.z) << 32 | UInt64(w.w)) >> 11) * 0x1.0p-53)
    }
}

/// A new tensor of `shape` and `dtype` whose elements 2j and 2j+1 are `pair(j)`. Float32 results
/// are the float64 values rounded once, so both dtypes see the same numbers; every element
/// depends only on its index, never on the order or thread of evaluation.
private func generate(_ shape: [Int], dtype: DType, op: String, _ pair: (Int) -> (Double, Double)) -> Tensor {
    require(shape.allSatisfy { $0 >= 0 }, "\(op): negative dimension in shape \(shape)")
    var out = Tensor(uninitializedShape: shape, dtype: dtype)
    func fill<T: TensorScalar>(_: T.Type) {
        out.withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<T>) in
            let n = p.count
            for j in 0..<(n + 1) / 2 {
                let (a, b) = pair(j)
                p[2 * j] = T(a)
                if 2 * j + 1 < n { p[2 * j + 1] = T(b) }
            }
        }
    }
    dtype.dispatch { fill($0) }
    return out
}

/// Uniform random numbers in [low, high): element i is low + (high − low)·uᵢ with uᵢ the i-th
/// 53-bit uniform of `key`'s stream. In float32 a value that rounds up to `high` is replaced by
/// the float just below it, so the interval stays half-open.
/// - Precondition: low ≤ high, both finite.
public func uniform(_ shape: [Int], key: RandomKey, dtype: DType = .float32, low: Double = 0, high: Double = 1) -> Tensor {
    require(low.isFinite && high.isFinite && low <= high, "uniform: need finite low ≤ high, got [\(low), \(high))")
    let width = high - low
    var t = generate(shape, dtype: dtype, op: "uniform") { j in
        let (u, v) = key.uniformPair(j)
        return (low + width * u, low + width * v)
    }
    if dtype == .float32 && high > low {
        let top = Float(high), below = Float(high).nextDown
        t.withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<Float>) in
            for i in 0..<p.count where p[i] >= top { p[i] = below }
        }
    }
    return t
}

/// Standard normal random numbers (mean 0, variance 1) by the Box–Muller transform: elements
/// 2j and 2j+1 come from block j of `key`'s stream, u₁ ∈ (0, 1] from its first two words and
/// u₂ ∈ [0, 1) from the last two: r = √(−2 ln u₁), z₂ⱼ = r cos 2πu₂, z₂ⱼ₊₁ = r sin 2πu₂.
///
/// Computed by the Kernels routine `wt_normal_array` (Philox rounds and Box–Muller vectorised
/// with AVX2, with our own log and sin/cos polynomials), which gives exactly the values of the
/// scalar Swift specification `normalReference` (Tests/Support/NormalReference.swift) on every
/// machine.
public func normal(_ shape: [Int], key: RandomKey, dtype: DType = .float32) -> Tensor {
    require(shape.allSatisfy { $0 >= 0 }, "normal: negative dimension in shape \(shape)")
    var out = Tensor(uninitializedShape: shape, dtype: dtype)
    let k = key.words
    func run<T: TensorScalar>(_: T.Type, _ kernel: (UInt32, UInt32, UInt64, UnsafeMutablePointer<T>?, Int) -> Void) {
        out.withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<T>) in kernel(k.x, k.y, 0, p.baseAddress, p.count) }
    }
    switch dtype {   // one C kernel per dtype
    case .float64: run(Double.self, wt_normal_array)
    case .float32: run(Float.self, wt_normalf_array)
    }
    return out
}

/// ``normal(_:key:dtype:)`` times `scale` in one pass (Kernels `wt_normal*_array_scaled`): each
/// element is the product rounded in the dtype, `Float(scale)` for float32 — the same bits as
/// `normal(shape, key: key, dtype: dtype)` multiplied elementwise by that number.
func scaledNormal(_ shape: [Int], key: RandomKey, dtype: DType, scale: Double) -> Tensor {
    require(shape.allSatisfy { $0 >= 0 }, "normal: negative dimension in shape \(shape)")
    var out = Tensor(uninitializedShape: shape, dtype: dtype)
    let k = key.words
    switch dtype {
    case .float64:
        out.withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<Double>) in
            wt_normal_array_scaled(k.x, k.y, 0, scale, p.baseAddress, p.count)
        }
    case .float32:
        out.withUnsafeMutableBufferPointer { (p: UnsafeMutableBufferPointer<Float>) in
            wt_normalf_array_scaled(k.x, k.y, 0, Float(scale), p.baseAddress, p.count)
        }
    }
    return out
}

/// Bernoulli draws: 1 with probability `probability`, else 0 (element i is 1 when uᵢ < p,
/// with the same uniforms as ``uniform(_:key:dtype:low:high:)``).
/// - Precondition: 0 ≤ probability ≤ 1.
public func bernoulli(_ shape: [Int], probability: Double, key: RandomKey, dtype: DType = .float32) -> Tensor {
    require(probability >= 0 && probability <= 1, "bernoulli: probability \(probability) is not in [0, 1]")
    return generate(shape, dtype: dtype, op: "bernoulli") { j in
        let (u, v) = key.uniformPair(j)
        return (u < probability ? 1 : 0, v < probability ? 1 : 0)
    }
}

/// Inverted dropout: in training, each element of `x` is zeroed with probability p and the
/// survivors are scaled by 1/(1 − p), so the expectation is unchanged; y = x ⊙ m/(1 − p) with
/// m = bernoulli(1 − p). Identity when `training` is false or p = 0; zeros when p = 1.
/// Differentiable in `x` (pullback g ⊙ m/(1 − p)); the mask is a constant.
/// - Precondition: 0 ≤ probability ≤ 1.
public func dropout(_ x: Tensor, probability: Double, key: RandomKey, training: Bool) -> Tensor {
    require(probability >= 0 && probability <= 1, "dropout: probability \(probability) is not in [0, 1]")
    if !training || probability == 0 { return x }
    if probability == 1 { return x * Tensor.zeros(x.shape, dtype: x.dtype) }
    let keep = 1 - probability, scale = 1 / keep
    let mask = generate(x.shape, dtype: x.dtype, op: "dropout") { j in
        let (u, v) = key.uniformPair(j)
        return (u < keep ? scale : 0, v < keep ? scale : 0)
    }
    return x * mask
}
