/// The reverse-mode record of one gradient call.
///
/// A tape is a list of entries in execution order. Each entry names the slots of its inputs
/// and outputs and holds the pullback that maps output cotangents to input cotangents.
/// Backward walks the list once in reverse. Every gradient call creates its own tape, so
/// independent gradient computations may run on different threads; a single tape is only
/// ever touched by the thread running its gradient call (that is what makes the
/// `@unchecked Sendable` sound).
public final class Tape: @unchecked Sendable {
    /// A pullback: given one cotangent per output (zeros where the output got none), returns
    /// one cotangent per input, or `nil` for an input that receives no gradient. A returned
    /// cotangent may have the broadcast shape of the op; the tape sums it down to the input's shape.
    public typealias Pullback = ([Tensor]) -> [Tensor?]

    /// A pullback that adds into the sums: given one cotangent per output and, per input, the sum
    /// of the cotangents that input has received so far (`nil` if none yet, and always `nil` for a
    /// constant input), it replaces each sum by the sum plus its own cotangent for that input
    /// (leaving it alone where it has none). A sum it sets must have the input's shape and dtype.
    /// While it runs the tape holds no other reference to the sums, so one that no other value
    /// shares can be updated in place; it exists to fuse the last pass of a pullback with the
    /// addition, which ``Pullback``s leave to the tape as a separate pass.
    public typealias AccumulatingPullback = ([Tensor], inout [Tensor?]) -> Void

    struct Entry {
        let name: String
        let inputs: [Int]    // slot per input, −1 for a constant
        let outputs: [Int]
        let pullback: Pullback
        /// Used instead of `pullback` when the entry's traced inputs are distinct slots.
        let accumulating: AccumulatingPullback?
    }

    private(set) var entries: [Entry] = []
    private var slotShapes: [[Int]] = []
    private var slotTypes: [DType] = []
    private var leafSlots: Set<Int> = []
    /// False once backward has started or the gradient call has returned: ops then record nothing.
    public private(set) var isRecording = true

    init() {}

    /// Number of recorded entries (for tests and diagnostics).
    public var entryCount: Int { entries.count }

    private func newSlot(_ t: Tensor) -> Int {
        slotShapes.append(t.shape)
        slotTypes.append(t.dtype)
        return slotShapes.count - 1
    }

    /// Marks `t` as an independent variable of this tape.
    func leaf(_ t: Tensor) -> Tensor {
        var v = t
        let slot = newSlot(t)
        leafSlots.insert(slot)
        v.trace = Trace(tape: self, slot: slot)
        return v
    }

    /// Stops recording and drops every entry (and with them the values the pullbacks captured).
    func finish() {
        isRecording = false
        entries.removeAll()
    }

    // MARK: - Recording

    /// The recording tape of the traced inputs, if any.
    /// - Precondition: all traced inputs belong to the same tape (nested differentiation is not supported).
    static func active(_ inputs: [Tensor]) -> Tape? {
        var found: Tape?
        for t in inputs {
            guard let tr = t.trace, tr.tape.isRecording else { continue }
            if let f = found {
                require(f === tr.tape, "Tape: inputs come from two different gradient calls; nested differentiation is not supported")
            } else { found = tr.tape }
        }
        return found
    }

    /// Records a primitive with one output. Returns `output`, traced when some input is traced.
    ///
    /// This is how every differentiable op is defined: compute the forward value with
    /// untraced kernels, then `Tape.record` it with its pullback.
    ///
    /// ```swift
    /// let y = x.mapElements(expf, exp)
    /// return Tape.record("exp", y, inputs: [x]) { g in [g * y] }
    /// ```
    @inlinable
    public static func record(_ name: String, _ output: Tensor, inputs: [Tensor],
                              pullback: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        guard inputs.contains(where: { $0.isTraced }) else { return output }
        return record(name, outputs: [output], inputs: inputs) { pullback($0[0]) }[0]
    }

    /// Records a primitive with several outputs (a complex op has two: real and imaginary part).
    /// Returns `outputs`, traced when some input is traced.
    public static func record(_ name: String, outputs: [Tensor], inputs: [Tensor],
                              pullback: @escaping Pullback) -> [Tensor] {
        record(name, outputs: outputs, inputs: inputs, pullback: pullback, accumulating: nil)
    }

    /// Records a primitive with several outputs and two equivalent pullbacks: `pullback`, and
    /// `accumulating`, which adds its cotangents into the inputs' sums itself (see
    /// ``AccumulatingPullback``) and is what backward calls when no slot appears twice among the
    /// inputs. Returns `outputs`, traced when some input is traced.
    public static func record(_ name: String, outputs: [Tensor], inputs: [Tensor],
                              pullback: @escaping Pullback, accumulating: AccumulatingPullback?) -> [Tensor] {
        guard let tape = active(inputs) else { return outputs }
        let inSlots = inputs.map { t -> Int in
            if let tr = t.trace, tr.tape === tape { return tr.slot } else { return -1 }
        }
        var outs = outputs
        for i in outs.indices { outs[i].trace = Trace(tape: tape, slot: tape.newSlot(outs[i])) }
        tape.entries.append(Entry(name: name, inputs: inSlots, outputs: outs.map { $0.trace!.slot }, pullback: pullback,
                                  accumulating: accumulating))
        return outs
    }

    // MARK: - Backward

    /// Propagates `seeds` (slot → cotangent) backwards and returns the cotangent of every leaf
    /// slot (``leaf(_:)``) that received one; the cotangents of intermediate values are released
    /// as soon as the entry that produced them has been pulled back (nothing can add to them
    /// afterwards), which keeps their memory free for reuse. Recording stays off afterwards.
    ///
    /// `deferred` (leaf slot → cotangent) adds cotangents to leaves as if they were seeds (before
    /// any pullback's), but calls each function only when backward first needs the leaf's sum (the
    /// first entry to pull back into the leaf) or at the end: a cotangent that is still being
    /// computed elsewhere is waited for as late as possible.
    func backward(seeds: [(slot: Int, cotangent: Tensor)], deferred: [Int: () -> Tensor] = [:]) -> [Tensor?] {
        isRecording = false
        var grads = [Tensor?](repeating: nil, count: slotShapes.count)
        for (slot, g) in seeds { accumulate(&grads, slot, g) }
        var deferred = deferred
        for entry in entries.reversed() {
            guard entry.outputs.contains(where: { grads[$0] != nil }) else { continue }
            if !deferred.isEmpty {
                for s in entry.inputs where s >= 0 {
                    if let cotangent = deferred.removeValue(forKey: s) { accumulate(&grads, s, cotangent()) }
                }
            }
            var inGrads: [Tensor?]
            let cots = entry.outputs.map { s in grads[s] ?? Tensor.zeros(slotShapes[s], dtype: slotTypes[s]) }
            for s in entry.outputs where !leafSlots.contains(s) { grads[s] = nil }
            if let accumulating = entry.accumulating, Tape.tracedSlotsAreDistinct(entry.inputs) {
                // the sums leave `grads` while the pullback adds into them
                var sums = entry.inputs.map { s -> Tensor? in
                    guard s >= 0 else { return nil }
                    defer { grads[s] = nil }
                    return grads[s]
                }
                accumulating(cots, &sums)
                for (k, s) in entry.inputs.enumerated() where s >= 0 {
                    guard var g = sums[k] else { continue }
                    sums[k] = nil
                    require(g.shape == slotShapes[s] && g.dtype == slotTypes[s],
                            "Tape: accumulating pullback of \(entry.name) left a \(g.shape) \(g.dtype) sum for a \(slotShapes[s]) \(slotTypes[s]) input")
                    g.trace = nil
                    grads[s] = g
                }
                continue
            }
            inGrads = entry.pullback(cots)
            require(inGrads.count == entry.inputs.count,
                         "Tape: pullback of \(entry.name) returned \(inGrads.count) cotangents for \(entry.inputs.count) inputs")
            for (k, slot) in entry.inputs.enumerated() where slot >= 0 {
                if let g = inGrads[k] {
                    inGrads[k] = nil
                    accumulate(&grads, slot, g)
                }
            }
        }
        for (slot, cotangent) in deferred.sorted(by: { $0.key < $1.key }) { accumulate(&grads, slot, cotangent()) }
        return grads
    }

    /// Whether `slot` is a leaf (``leaf(_:)``) of this tape.
    func isLeaf(_ slot: Int) -> Bool { leafSlots.contains(slot) }

    /// Whether no traced slot (≥ 0) appears twice among `inputs` (a handful per entry: compared
    /// pairwise, without building a set for every entry of every backward pass).
    static func tracedSlotsAreDistinct(_ inputs: [Int]) -> Bool {
        for i in inputs.indices where inputs[i] >= 0 {
            for j in inputs.indices.dropFirst(i + 1) where inputs[j] == inputs[i] { return false }
        }
        return true
    }

    /// Adds cotangent `incoming` to slot `slot`, first summing it down to the slot's shape and
    /// converting it to the slot's dtype.
    private func accumulate(_ grads: inout [Tensor?], _ slot: Int, _ incoming: consuming Tensor) {
        var sum = grads[slot]
        grads[slot] = nil
        Tape.add(incoming, into: &sum, shape: slotShapes[slot], dtype: slotTypes[slot])
        grads[slot] = sum
    }

    /// `sum + g` into `sum` (just `g` when `sum` is nil), `g` first summed down to `shape` and
    /// converted to `dtype`: how the tape adds an ordinary pullback's cotangent, for
    /// ``AccumulatingPullback``s to add the cotangents they do not fuse. Not recorded.
    public static func add(_ incoming: consuming Tensor, into sum: inout Tensor?, shape: [Int], dtype: DType) {
        var g = consume incoming
        g.trace = nil
        if g.shape != shape { g = g.summed(toShape: shape) }
        if g.dtype != dtype { g = g.converted(to: dtype) }
        guard var old = sum else { sum = g; return }
        // Add in place into whichever of the two buffers no other value shares (a pullback may
        // return one tensor for several inputs, or a value that is also stored elsewhere);
        // only when both are shared is a new buffer allocated. x + y == y + x exactly in IEEE
        // arithmetic, so the order of the operands does not change the sum.
        sum = nil
        if old.addInPlaceIfUnique(g) { sum = old; return }
        if g.addInPlaceIfUnique(old) { sum = g; return }
        sum = Tensor.zipElements(old, g, op: "accumulate", .add)
    }
}

/// Where a value sits on a tape: the tape and the slot of the value.
public struct Trace: Sendable {
    /// The tape the value was recorded on.
    public let tape: Tape
    /// Index of the value on the tape.
    public let slot: Int
}
