import Foundation
import Recipes

// Output files of the commands: checked before the work starts, and kept somewhere when the final
// write fails, so that hours of training are never lost to an output path.

/// Checks that every file in `files` can be written (see ``Safetensors/checkWritable(to:expectedBytes:)``),
/// with `expectedBytes` needed in all, before any training starts.
func checkOutputsWritable(_ files: [URL], expectedBytes: Int) throws {
    for (i, f) in files.enumerated() {
        try Safetensors.checkWritable(to: f, expectedBytes: i == 0 ? expectedBytes : 0)
    }
}

/// Creates the directory `url` given by `--option` (and its missing parents, like `mkdir -p`), or
/// throws a ``UsageError`` that names the option, the path and the system's reason (a file in the
/// way, a parent that is not a directory, no permission). An existing directory is accepted.
func createOutputDirectory(_ url: URL, option: String) throws {
    let path = url.standardizedFileURL.path
    func isDirectory(_ p: String) -> Bool? {
        var st = stat()
        return stat(p, &st) == 0 ? (st.st_mode & S_IFMT) == S_IFDIR : nil
    }
    if let dir = isDirectory(path) {
        guard dir else { throw UsageError(message: "--\(option): '\(path)' exists and is not a directory") }
        return
    }
    var prefix = ""
    for component in path.split(separator: "/") {
        prefix += "/" + component
        if mkdir(prefix, 0o777) != 0 {
            let e = errno
            guard e == EEXIST, isDirectory(prefix) == true else {
                let reason = e == EEXIST ? "'\(prefix)' is not a directory" : String(cString: strerror(e))
                throw UsageError(message: "--\(option): cannot create the directory '\(path)': \(reason)")
            }
        }
    }
}
