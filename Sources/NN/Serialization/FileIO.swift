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

/// What a file of mode `mode` is when it is not a regular file ("a FIFO", "a directory", …), or
/// nil for a regular file.
func nonRegularKind(_ mode: mode_t) -> String? {
    switch mode & S_IFMT {
    case S_IFREG: return nil
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    case S_IFLNK: return "a symbolic link"
    default: return "not a regular file"
    }
}

/// A file opened read-only, with its size taken once at open time.
final class ReadOnlyFile {
    let path: String
    let size: Int
    private var fd: Int32

    /// Opens `path` for reading. Anything but a regular file (a FIFO, a device, a directory, a
    /// socket) is refused with ``SafetensorsError/notRegularFile(file:kind:)`` before it is
    /// opened, so that a FIFO cannot block the process in `open(2)`; the file is then opened with
    /// `O_NONBLOCK` and checked again with `fstat`, so that a file swapped in between cannot either.
    init(path: String) throws {
        self.path = path
        var before = stat()
        if stat(path, &before) == 0, let kind = nonRegularKind(before.st_mode) {
            throw SafetensorsError.notRegularFile(file: path, kind: kind)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
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
        if let kind = nonRegularKind(st.st_mode) {
            _ = Glibc_close(fd)
            throw SafetensorsError.notRegularFile(file: path, kind: kind)
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
    /// The file a write to `path` replaces: `path` itself, or, when `path` is a symbolic link,
    /// the file it points to (followed through up to 40 links; a dangling link gives the path
    /// the link names). `existing` is its `stat` when it exists.
    /// - Throws: ``SafetensorsError/notRegularFile(file:kind:)`` when that file exists and is
    ///   not a regular file (a device, a FIFO, a directory, …).
    static func destination(of path: String) throws -> (path: String, existing: stat?) {
        var current = path
        for _ in 0..<40 {
            var st = stat()
            guard lstat(current, &st) == 0 else {
                let e = errno
                if e == ENOENT { return (current, nil) }
                throw SafetensorsError.io(file: path, operation: "lstat", errno: e, message: errnoMessage(e))
            }
            guard st.st_mode & S_IFMT == S_IFLNK else {
                if let kind = nonRegularKind(st.st_mode) { throw SafetensorsError.notRegularFile(file: path, kind: kind) }
                return (current, st)
            }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n >= 0 else {
                let e = errno
                throw SafetensorsError.io(file: current, operation: "readlink", errno: e, message: errnoMessage(e))
            }
            let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = target.hasPrefix("/") ? target
                : URL(fileURLWithPath: current).deletingLastPathComponent().appendingPathComponent(target).path
        }
        throw SafetensorsError.io(file: path, operation: "readlink", errno: ELOOP, message: errnoMessage(ELOOP))
    }

    /// The temporary file for `dest`: `.<name>.<pid>.<random>.tmp` in the same directory, with
    /// `<name>` shortened (at a character boundary) so that the whole name stays within
    /// NAME_MAX = 255 bytes for any legal destination name.
    static func temporaryPath(for dest: String) -> String {
        let url = URL(fileURLWithPath: dest)
        let suffix = ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        var name = url.lastPathComponent
        while 1 + name.utf8.count + suffix.utf8.count > 255 { name.removeLast() }
        return url.deletingLastPathComponent().appendingPathComponent("." + name + suffix).path
    }

    /// Checks, without changing anything, that `url` could be replaced by a file of about
    /// `expectedBytes` bytes: the destination (through symbolic links) is absent or a regular
    /// file, its directory accepts a new file (a temporary file is created and removed: this
    /// catches a missing directory, missing permission and a read-only file system), and the
    /// file system reports at least `expectedBytes` bytes available.
    static func checkWritable(_ url: URL, expectedBytes: Int) throws {
        let (dest, _) = try destination(of: url.path)
        let probe = temporaryPath(for: dest)
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let e = errno
            throw SafetensorsError.io(file: url.path, operation: "create a file in its directory", errno: e, message: errnoMessage(e))
        }
        _ = Glibc_close(fd)
        unlink(probe)
        var fs = statvfs()
        if statvfs(URL(fileURLWithPath: dest).deletingLastPathComponent().path, &fs) == 0 {
            let available = UInt64(fs.f_bavail) &* UInt64(fs.f_frsize)
            if UInt64(max(expectedBytes, 0)) > available {
                throw SafetensorsError.insufficientSpace(file: url.path, needed: UInt64(expectedBytes), available: available)
            }
        }
    }

    /// Writes `bytes` to `url` so that readers see either the old file or the complete new one.
    /// A symbolic link at `url` is followed and its target replaced (the link stays); an existing
    /// target keeps its permission bits (and, where allowed, its owner); a target that is not a
    /// regular file is refused. The temporary file is removed on any failure.
    static func write(_ bytes: [UInt8], to url: URL) throws {
        let (dest, existing) = try destination(of: url.path)
        let dir = URL(fileURLWithPath: dest).deletingLastPathComponent().path
        let tmp = temporaryPath(for: dest)
        func fail(_ op: String, _ file: String) -> SafetensorsError {
            let e = errno
            return .io(file: file, operation: op, errno: e, message: errnoMessage(e))
        }
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw fail("create a temporary file in its directory", url.path) }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        do {
            if let st = existing {
                _ = fchown(fd, st.st_uid, st.st_gid)   // best effort: only permitted to root or the owner
                guard fchmod(fd, st.st_mode & 0o7777) == 0 else { throw fail("fchmod", tmp) }
            }
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
