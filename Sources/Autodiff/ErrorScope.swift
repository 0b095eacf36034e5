import Foundation

/// Collects the errors of an opt-in checking scope (``withErrors(_:)``): checks that would stop
/// the program outside the scope record a typed error here instead and let the computation run
/// to its end on a stand-in value; the scope then throws the first error.
///
/// Thread-safe: layers called from several threads of one scope may record concurrently.
public final class ErrorScope: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [any Error] = []

    /// An empty scope.
    public init() {}

    /// Adds `error`; the scope throws the first error recorded.
    public func report(_ error: any Error) {
        lock.lock(); defer { lock.unlock() }
        recorded.append(error)
    }

    /// Every error recorded so far, in order.
    public var errors: [any Error] {
        lock.lock(); defer { lock.unlock() }
        return recorded
    }

    /// The scope of the current task or thread, if any: set by ``withErrors(_:)``.
    @TaskLocal public static var current: ErrorScope?
}

/// Runs `body` in a checking scope: the checks a program may want to survive — a layer whose
/// input or parameters do not fit it, a wrong child name, a missing mask, a non-scalar output
/// given to `valueWithGradient` — throw a typed error naming the path, shapes and dtypes instead
/// of stopping the program (mlx-swift's `withError`).
///
/// Inside the scope a failed check records its error and the computation goes on with a stand-in
/// (zeros of the shape the layer would have produced, zero gradients), so `body` returns
/// normally; `withErrors` then throws the first recorded error and discards the result. Checks of
/// internal invariants deep inside ops still stop the program (see Docs/Errors.md for the line).
public func withErrors<R>(_ body: () throws -> R) throws -> R {
    let scope = ErrorScope()
    let result = try ErrorScope.$current.withValue(scope) { try body() }
    if let first = scope.errors.first { throw first }
    return result
}

/// Errors of the gradient API that a checking scope turns into throws.
public enum GradientError: Error, Equatable, CustomStringConvertible {
    /// `valueWithGradient` was given a function whose output has more than one element.
    case nonScalarOutput(shape: [Int])

    /// One line naming the shape and the fix.
    public var description: String {
        switch self {
        case .nonScalarOutput(let s):
            return "valueWithGradient: the function returned shape \(s); a gradient needs a one-element output. "
                + "Reduce it (e.g. sum or mean) or use valueWithPullback(at:of:) with an explicit cotangent"
        }
    }
}
