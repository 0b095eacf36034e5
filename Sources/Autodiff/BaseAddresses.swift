// Base addresses of several tensors at once, for the loops of op forwards and pullbacks that
// read and write many buffers (instead of one nested buffer closure per tensor).

extension Tensor {
    /// Calls `body` with the base addresses of the elements of `inputs` (read-only, in order) and
    /// of `outputs` (writable, in order), all viewed as `T`.
    ///
    /// Each output is first made unique (copied if its memory is shared, copy-on-write) and loses
    /// its tape record, as with ``withUnsafeMutableBufferPointer(_:)``. The addresses are valid
    /// only inside `body`. Destructure the arrays before a loop (`let (x, y) = (i[0], i[1])`) so
    /// that the loop indexes pointers, not arrays.
    /// - Precondition: every tensor has dtype `T.dtype`.
    @inlinable
    public static func withBaseAddresses<T: TensorScalar, R>(
        reading inputs: [Tensor], writing outputs: inout [Tensor], as _: T.Type,
        _ body: (_ inputs: [UnsafePointer<T>], _ outputs: [UnsafeMutablePointer<T>]) throws -> R
    ) rethrows -> R {
        for k in outputs.indices {
            require(outputs[k].dtype == T.dtype, "Tensor: requested \(T.dtype) elements of a \(outputs[k].dtype) output")
            if !isKnownUniquelyReferenced(&outputs[k].buffer) { outputs[k].buffer = outputs[k].buffer.copy() }
            outputs[k]._trace = nil
        }
        let written = outputs.map { $0.buffer.raw.assumingMemoryBound(to: T.self) }
        return try withExtendedLifetime(outputs) { try withBaseAddresses(reading: inputs, as: T.self) { try body($0, written) } }
    }

    /// Calls `body` with the read-only base addresses of the elements of `inputs`, in order, all
    /// viewed as `T` (valid only inside `body`).
    /// - Precondition: every tensor has dtype `T.dtype`.
    @inlinable
    public static func withBaseAddresses<T: TensorScalar, R>(
        reading inputs: [Tensor], as _: T.Type, _ body: (_ inputs: [UnsafePointer<T>]) throws -> R
    ) rethrows -> R {
        for t in inputs { require(t.dtype == T.dtype, "Tensor: requested \(T.dtype) elements of a \(t.dtype) tensor") }
        return try withExtendedLifetime(inputs) {
            try body(inputs.map { UnsafePointer($0.buffer.raw.assumingMemoryBound(to: T.self)) })
        }
    }
}
