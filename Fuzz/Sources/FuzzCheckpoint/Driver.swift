// SwiftPM links every executable with `main` defined as `<module>_main` (so that tests can
// link executables), which hides libFuzzer's own `main`. This `@main` type therefore hands the
// process to libFuzzer's driver explicitly, with the entry point of this target.
import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@main
enum FuzzCheckpointMain {
    static func main() {
        // `FUZZ_WRITE_SEEDS=DIR FuzzCheckpoint` writes the seed corpus instead of fuzzing
        if let dir = ProcessInfo.processInfo.environment["FUZZ_WRITE_SEEDS"] {
            writeCheckpointSeeds(to: URL(fileURLWithPath: dir))
            exit(0)
        }
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, { data, size in fuzzCheckpoint(data, size) }))
    }
}
