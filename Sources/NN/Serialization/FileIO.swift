// Plain POSIX file access for the serializers: positioned reads that never read more than
// asked (so headers can be validated before data are allocated) and atomic replacement.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

private func errnoMessage(_ e: Int32) -> String { String(cString: strerror(e)) }

/// A file opened read-only, with its size taken once at open time.
final class ReadOnlyFile {
    let path: String
    let size: Int
    private var fd: Int32

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            throw SafetensorsError.io(file: path, operation: "open", errno: e, message: errnoMessage(e))
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            _ = Glibc_close(fd)
            throw SafetensorsError.io(file: path, operation: "fstat", errno: e, message: errnoMessage(e))
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            _ = Glibc_close(fd)
            throw SafetensorsError.io(file: path, operation: "open", errno: EISDIR, message: errnoMessage(EISDIR))
        }
        self.fd = fd
        self.size = Int(st.st_size)
    }

    /// Reads exactly `dest.count` bytes at `offset`; a short read (the file shrank) is reported
    /// as truncation.
    func read(offset: Int, into dest: UnsafeMutableRawBufferPointer) throws {
        var done = 0
        while done < dest.count {
            let r = pread(fd, dest.baseAddress! + done, dest.count - done, off_t(offset + done))
            if r < 0 {
                let e = errno
                if e == EINTR { continue }
                throw SafetensorsError.io(file: path, operation: "read", errno: e, message: errnoMessage(e))
            }
            if r == 0 {
                throw SafetensorsError.truncated(file: path, expectedSize: UInt64(offset + dest.count), actualSize: offset + done)
            }
            done += r
        }
    }

    /// `count` bytes at `offset`.
    func read(offset: Int, count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        try out.withUnsafeMutableBytes { try read(offset: offset, into: $0) }
        return out
    }

    func close() {
        if fd >= 0 { _ = Glibc_close(fd); fd = -1 }
    }

    deinit { close() }
}

/// `close(2)` under a name that does not clash with the methods called `close`.
@inline(__always) private func Glibc_close(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(fd)
    #elseif canImport(Musl)
    return Musl.close(fd)
    #else
    return Darwin.close(fd)
    #endif
}

/// Atomic whole-file replacement: temp file in the destination's directory, `fsync`, `rename(2)`.
enum AtomicFile {
    /// Writes `bytes` to `url` so that readers see either the old file or the complete new one.
    /// The temporary file (`.<name>.<pid>.<random>.tmp`) is removed on any failure.
    static func write(_ bytes: [UInt8], to url: URL) throws {
        let dest = url.path
        let dir = url.deletingLastPathComponent().path
        let tmp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp").path
        func fail(_ op: String, _ file: String) -> SafetensorsError {
            let e = errno
            return .io(file: file, operation: op, errno: e, message: errnoMessage(e))
        }
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw fail("open (temporary file)", tmp) }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        do {
            try bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let w = Glibc_write(fd, raw.baseAddress! + done, raw.count - done)
                    if w < 0 {
                        if errno == EINTR { continue }
                        throw fail("write", tmp)
                    }
                    done += w
                }
            }
            guard fsync(fd) == 0 else { throw fail("fsync", tmp) }
        } catch {
            _ = Glibc_close(fd)
            throw error
        }
        guard Glibc_close(fd) == 0 else { throw fail("close", tmp) }
        guard rename(tmp, dest) == 0 else { throw fail("rename", dest) }
        ok = true
        // make the rename durable (best effort: some file systems refuse fsync on directories)
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); _ = Glibc_close(dfd) }
    }
}

@inline(__always) private func Glibc_write(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #elseif canImport(Musl)
    return Musl.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}
