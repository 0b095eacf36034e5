import Foundation

/// A write that failed at its destination, and where the file was kept instead.
public struct OutputLostError: Error, CustomStringConvertible, Sendable {
    /// The destination that could not be written.
    public let file: String
    /// Why (the error of the failed write).
    public let cause: String
    /// Where the same file was written instead, or nil if that failed too.
    public let savedTo: String?

    /// One line naming the destination, the cause and the rescue location.
    public var description: String {
        if let s = savedTo { return "could not write \(file): \(cause); the results were saved to \(s) instead" }
        return "could not write \(file): \(cause); saving the results to a temporary directory failed too"
    }
}

/// Keeps results whose destination fails: a directory `wirtinger-rescue-XXXXXX` under the
/// temporary directory (`$TMPDIR`, else /tmp), created on the first failure and shared by
/// every later one, so that work is never lost to an output path.
public final class OutputRescue {
    /// The rescue directory, once created.
    public private(set) var directory: URL?

    /// A rescuer with no directory yet.
    public init() {}

    func rescueDirectory() throws -> URL {
        if let d = directory { return d }
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("wirtinger-rescue-XXXXXX").utf8CString)
        guard let p = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        let d = URL(fileURLWithPath: String(cString: p))
        directory = d
        return d
    }

    /// Runs `write(url)` and returns nil. When that throws (for any reason but a refusal to
    /// write non-finite values, ``CheckpointError``, which is rethrown: such results must not
    /// be kept), runs `write` again into the rescue directory under the same file name and
    /// returns the ``OutputLostError`` saying where the file is; throws that error, with no
    /// rescue location, when the second write fails too.
    public func write(_ url: URL, _ write: (URL) throws -> Void) throws -> OutputLostError? {
        do {
            try write(url)
            return nil
        } catch let e as CheckpointError {
            throw e
        } catch {
            let cause = "\(error)"
            guard let dir = try? rescueDirectory() else { throw OutputLostError(file: url.path, cause: cause, savedTo: nil) }
            let alt = dir.appendingPathComponent(url.lastPathComponent)
            do { try write(alt) } catch { throw OutputLostError(file: url.path, cause: cause, savedTo: nil) }
            return OutputLostError(file: url.path, cause: cause, savedTo: alt.path)
        }
    }
}
