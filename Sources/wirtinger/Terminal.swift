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

/// A test hook that makes interruption tests deterministic: with
/// `WIRTINGER_INTERRUPT_AFTER_STEPS=N` in the environment, the process raises SIGINT on itself
/// (exactly as Ctrl-C would) right after its N-th training step, counted over all stages;
/// `WIRTINGER_INTERRUPT_SIGNAL=KILL` raises SIGKILL instead (a crash at a known step). Without
/// the variables it does nothing.
final class InterruptHook {
    private let after: Int?
    private let signal: Int32
    private var steps = 0

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        after = environment["WIRTINGER_INTERRUPT_AFTER_STEPS"].flatMap { Int($0) }
        signal = environment["WIRTINGER_INTERRUPT_SIGNAL"] == "KILL" ? SIGKILL : SIGINT
    }

    /// Call after every training step.
    func stepTaken() {
        steps += 1
        if steps == after { raise(signal) }
    }
}

/// `s` with control characters (C0, DEL, C1, and the Unicode line and bidirectional-override
/// controls) shown as `\u{…}` escapes, so that keys and metadata read from a file cannot move
/// the cursor, recolour or rewrite the terminal when printed.
func escapedForTerminal(_ s: String) -> String {
    var out = ""
    for u in s.unicodeScalars {
        let v = u.value
        let isControl = v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029
            || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
        if isControl {
            out += "\\u{\(String(v, radix: 16))}"
        } else {
            out.unicodeScalars.append(u)
        }
    }
    return out
}

/// `s` escaped for the terminal and cut to at most `limit` characters (the middle replaced by
/// `…`), so that a file with very long keys does not produce a table of enormous lines.
func shortenedForTable(_ s: String, limit: Int = 80) -> String {
    let e = escapedForTerminal(s)
    guard e.count > limit else { return e }
    let head = (limit - 1) / 2, tail = limit - 1 - head
    return String(e.prefix(head)) + "…" + String(e.suffix(tail))
}
