import Autodiff

/// The mini-batches of one epoch: example indices `0..<count` in a deterministic shuffled
/// order, cut into batches of `batchSize` (the last one shorter unless `dropLast`).
///
/// The order depends only on `(count, seed, epoch)` and is the same on every machine and
/// Swift version, because it uses no library randomness:
///
/// 1. a ``SplitMix64`` generator (Steele, Lea & Flood 2014) is seeded with
///    `seed ^ (UInt64(epoch) &* 0x9E3779B97F4A7C15)`;
/// 2. the identity permutation is shuffled by Fisher–Yates (Durstenfeld's in-place form):
///    for `i` from `count − 1` down to 1, swap element `i` with element `j`, `j` uniform in
///    `0...i`;
/// 3. `j` is drawn by rejection: draw `x = next()` until `x < 2⁶⁴ − (2⁶⁴ mod (i + 1))`, then
///    `j = x mod (i + 1)` (unbiased).
///
/// (`Int.random(in:using:)` is avoided on purpose: its algorithm is not a stable contract.)
/// With `shuffle: false` the order is `0, 1, 2, …`.
public struct Batches: Sequence, Sendable {
    /// Number of examples.
    public let count: Int
    /// Examples per batch.
    public let batchSize: Int
    /// Whether a final batch shorter than `batchSize` is dropped.
    public let dropLast: Bool
    /// The epoch's order of all `count` indices.
    public let order: [Int]

    /// The batches of epoch `epoch` over `count` examples.
    /// - Precondition: `count ≥ 0`, `batchSize > 0`.
    public init(count: Int, batchSize: Int, shuffle: Bool = true, seed: UInt64, epoch: Int, dropLast: Bool = false) {
        require(count >= 0, "Batches: negative example count \(count)")
        require(batchSize > 0, "Batches: batch size must be positive, got \(batchSize)")
        self.count = count
        self.batchSize = batchSize
        self.dropLast = dropLast
        self.order = shuffle ? Batches.permutation(count, seed: seed, epoch: epoch) : Array(0..<count)
    }

    /// The shuffled order of `0..<count` for `(seed, epoch)` (see the type's documentation).
    public static func permutation(_ count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var rng = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15))
        var p = Array(0..<count)
        var i = count - 1
        while i > 0 {
            let n = UInt64(i + 1)
            let limit = UInt64.max - (UInt64.max % n + 1) % n  // largest multiple of n, minus 1
            var x = rng.next()
            while x > limit { x = rng.next() }
            p.swapAt(i, Int(x % n))
            i -= 1
        }
        return p
    }

    /// Number of batches this epoch yields.
    public var batchCount: Int { dropLast ? count / batchSize : (count + batchSize - 1) / batchSize }

    /// Iterates over the batches, each an array of example indices.
    public struct Iterator: IteratorProtocol {
        let batches: Batches
        var position = 0
        /// The next batch of indices, or nil after the last.
        public mutating func next() -> [Int]? {
            guard position < batches.batchCount else { return nil }
            let start = position * batches.batchSize
            position += 1
            return Array(batches.order[start..<Swift.min(start + batches.batchSize, batches.count)])
        }
    }

    /// An iterator over this epoch's batches of example indices, in order.
    public func makeIterator() -> Iterator { Iterator(batches: self) }
}
