/// A classification dataset held in memory: inputs `[N, *sampleShape]` (float32) and one class
/// index per example.
public struct LabeledDataset: Sendable {
    /// All inputs, `[N, *sampleShape]`.
    public var inputs: Tensor
    /// Class index of each example, in `0..<classNames.count`.
    public var labels: [Int]
    /// Human-readable class names.
    public var classNames: [String]
    /// Where the data came from (for reports).
    public var name: String
    /// The signal-to-noise ratio (dB) of each example, for data sets that have one (radio
    /// signals); nil otherwise. Results are then also reported per SNR.
    public var snr: [Double]?

    /// A dataset. - Precondition: one label (and one SNR, if given) per input row, labels within range.
    public init(name: String, inputs: Tensor, labels: [Int], classNames: [String], snr: [Double]? = nil) {
        require(inputs.rank >= 1 && inputs.shape[0] == labels.count,
                     "LabeledDataset(\(name)): \(labels.count) labels for inputs of shape \(inputs.shape)")
        require(labels.allSatisfy { $0 >= 0 && $0 < classNames.count },
                     "LabeledDataset(\(name)): a label is outside 0..<\(classNames.count)")
        require(snr == nil || snr!.count == labels.count, "LabeledDataset(\(name)): \(snr!.count) SNRs for \(labels.count) examples")
        self.name = name; self.inputs = inputs; self.labels = labels; self.classNames = classNames; self.snr = snr
    }

    /// Number of examples.
    public var count: Int { labels.count }
    /// Number of classes.
    public var classCount: Int { classNames.count }
    /// Shape of one example.
    public var sampleShape: [Int] { Array(inputs.shape.dropFirst()) }

    /// The examples at `indices`, in that order: inputs `[indices.count, *sampleShape]`. The rows
    /// are copied by the kernel threads (ranges of at least 16 384 values), after every index has
    /// been checked on the calling thread.
    public func batch(_ indices: [Int]) -> (inputs: Tensor, labels: [Int]) {
        let row = sampleShape.reduce(1, *)
        for i in indices {
            require(i >= 0 && i < count, "LabeledDataset.batch: index \(i) out of range 0..<\(count)")
        }
        var out = Tensor(uninitializedShape: [indices.count] + sampleShape, dtype: inputs.dtype)
        func copy<T: TensorScalar>(_: T.Type) {
            guard row > 0 else { return }
            inputs.withUnsafeBufferPointer { (src: UnsafeBufferPointer<T>) in
                out.withUnsafeMutableBufferPointer { (dst: UnsafeMutableBufferPointer<T>) in
                    // one row per example, disjoint destination rows: any split copies the same values
                    let from = src.baseAddress!, to = dst.baseAddress!
                    indices.withUnsafeBufferPointer { idx in
                        parallelFor(indices.count, grain: Swift.max(1, 16_384 / row)) { range in
                            for k in range { (to + k * row).update(from: from + idx[k] * row, count: row) }
                        }
                    }
                }
            }
        }
        inputs.dtype.dispatch { copy($0) }
        return (out, indices.map { labels[$0] })
    }

    /// The examples `range` as a new dataset.
    public func subset(_ range: Range<Int>) -> LabeledDataset {
        let b = batch(Array(range))
        return LabeledDataset(name: name, inputs: b.inputs, labels: b.labels, classNames: classNames, snr: snr.map { Array($0[range]) })
    }
}
