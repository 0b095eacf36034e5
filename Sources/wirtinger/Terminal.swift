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

/// The signal that asked for a stop (SIGINT from Ctrl-C, or SIGTERM, which `kill`, batch
/// schedulers and container runtimes send before SIGKILL), 0 while none did; the training loops
/// poll it between steps and stop cleanly.
nonisolated(unsafe) var interruptRequested: sig_atomic_t = 0

/// The exit status after a clean stop: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
var interruptExitStatus: Int32 { 128 + Int32(interruptRequested) }

/// Installs the handler of SIGINT and SIGTERM: the first one asks for a clean stop (the finished
/// work is written, as after Ctrl-C), a second one exits at once.
func installInterruptHandler() {
    for s in [SIGINT, SIGTERM] {
        signal(s) { sig in
            if interruptRequested != 0 { _exit(128 + sig) }
            interruptRequested = sig
        }
    }
}

/// A test hook that makes interruption tests deterministic: with
/// `WIRTINGER_INTERRUPT_AFTER_STEPS=N` in the environment, the process raises SIGINT on itself
/// (exactly as Ctrl-C would) right after its N-th training step, counted over all stages;
/// `WIRTINGER_INTERRUPT_SIGNAL=TERM` raises SIGTERM instead, `KILL` SIGKILL (a crash at a known
/// step). Without the variables it does nothing.
final class InterruptHook {
    private let after: Int?
    private let signal: Int32
    private var steps = 0

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        after = environment["WIRTINGER_INTERRUPT_AFTER_STEPS"].flatMap { Int($0) }
        signal = ["KILL": SIGKILL, "TERM": SIGTERM][environment["WIRTINGER_INTERRUPT_SIGNAL"] ?? ""] ?? SIGINT
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
