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

