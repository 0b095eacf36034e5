// SwiftPM links every executable with `main` defined as `<module>_main` (so that tests can
// link executables), which hides libFuzzer's own `main`. This `@main` type therefore hands the
// process to libFuzzer's driver explicitly, with the entry point of this target.
import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@main
enum FuzzIDXMain {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, { data, size in fuzzIDX(data, size) }))
    }
}
