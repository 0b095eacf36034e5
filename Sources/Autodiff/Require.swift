/// Stops the program with `message` when `condition` is false: the check every op and layer
/// uses for programmer errors (incompatible shapes, a missing parameter).
///
/// Unlike the standard library's `precondition`, whose message optimised builds drop, the
/// message is kept in release builds, so a shape error still names the op and the shapes.
@inlinable @inline(__always)
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
