import Foundation

/// Prints to standard output and flushes, so progress shows up at once when the output is a
/// file or a pipe (which the C library would otherwise buffer in large blocks).
func say(_ s: String = "", terminator: String = "\n") {
    Swift.print(s, terminator: terminator)
    fflush(nil)
}

/// Writes a line to standard error.
func printError(_ s: String) {
    FileHandle.standardError.write((s + "\n").data(using: .utf8)!)
}

/// A progress display: a redrawn bar with rate and ETA on a terminal, plain lines otherwise.
final class Progress {
    let isTerminal = isatty(STDOUT_FILENO) != 0
    private var label = "", total = 0, start = Date(), lastLine = Date.distantPast

    func begin(_ label: String, total: Int) {
        self.label = label; self.total = total; start = Date(); lastLine = .distantPast
    }

    func update(done: Int, detail: String) {
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        if isTerminal {
            let width = 24, filled = total > 0 ? width * done / total : 0
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            say("\r\(label) [\(bar)] \(done)/\(total) \(String(format: "%.1f", rate)) it/s ETA \(Int(eta))s \(detail)   ", terminator: "")
            if done == total { say("") }
        } else if done == total || Date().timeIntervalSince(lastLine) > 5 {
            say("\(label) \(done)/\(total) (\(String(format: "%.1f", rate)) it/s) \(detail)")
            lastLine = Date()
        }
    }
}

/// Set by SIGINT; the training loops poll it between steps and stop cleanly.
nonisolated(unsafe) var interruptRequested: sig_atomic_t = 0

/// Installs the Ctrl-C handler: the first Ctrl-C asks for a clean stop, a second one exits.
func installInterruptHandler() {
    signal(SIGINT) { _ in
        if interruptRequested != 0 { _exit(130) }
        interruptRequested = 1
    }
}
