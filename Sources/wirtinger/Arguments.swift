import Foundation

/// A command-line usage error: printed as one line, exit code 2.
struct UsageError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// One option of a subcommand: `--name VALUE` or a `--flag`.
struct OptionSpec {
    let name: String
    let valueName: String?     // nil for a flag
    let help: String
    let defaultValue: String?
}

/// A subcommand's options, positional arguments and help text; parses `--name value`,
/// `--name=value` and flags, and reports unknown options and missing values by name.
struct CommandSpec {
    let name: String
    let summary: String
    let positionals: [(name: String, help: String)]
    let options: [OptionSpec]

    var usage: String {
        var s = "usage: wirtinger \(name)"
        for p in positionals { s += " \(p.name)" }
        if !options.isEmpty { s += " [options]" }
        s += "\n\n\(summary)\n"
        if !positionals.isEmpty {
            s += "\narguments:\n"
            for p in positionals { s += "  \(p.name.padding(toLength: 24, withPad: " ", startingAt: 0))\(p.help)\n" }
        }
        s += "\noptions:\n"
        for o in options + [OptionSpec(name: "help", valueName: nil, help: "show this help", defaultValue: nil)] {
            let left = "--\(o.name)" + (o.valueName.map { " \($0)" } ?? "")
            s += "  \(left.padding(toLength: 24, withPad: " ", startingAt: 0))\(o.help)"
            if let d = o.defaultValue { s += " (default: \(d))" }
            s += "\n"
        }
        return s
    }

    /// Parsed values: options by name (defaults filled in), flags present, positionals in order.
    struct Parsed {
        var values: [String: String] = [:]
        var flags: Set<String> = []
        var positionals: [String] = []
        var helpRequested = false

        func string(_ name: String) -> String? { values[name] }

        func int(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int? {
            guard let v = values[name] else { return nil }
            guard let i = Int(v), range.contains(i) else {
                throw UsageError(message: "--\(name): expected an integer in \(range.lowerBound)...\(range.upperBound), got '\(v)'")
            }
            return i
        }

        /// Which numbers an option accepts.
        enum Domain {
            case finite, positive, nonNegative
            var text: String {
                switch self {
                case .finite: return "a finite number"
                case .positive: return "a finite number > 0"
                case .nonNegative: return "a finite number ≥ 0"
                }
            }
            func contains(_ d: Double) -> Bool {
                switch self {
                case .finite: return d.isFinite
                case .positive: return d.isFinite && d > 0
                case .nonNegative: return d.isFinite && d >= 0
                }
            }
        }

        /// The option's value as a number in `domain`, or a ``UsageError`` naming the option.
        func double(_ name: String, _ domain: Domain = .finite) throws -> Double? {
            guard let v = values[name] else { return nil }
            guard let d = Double(v), domain.contains(d) else {
                throw UsageError(message: "--\(name): expected \(domain.text), got '\(v)'")
            }
            return d
        }

        func choice<T: RawRepresentable>(_ name: String, _ type: T.Type) throws -> T? where T.RawValue == String, T: CaseIterable {
            guard let v = values[name] else { return nil }
            guard let c = T(rawValue: v) else {
                throw UsageError(message: "--\(name): '\(v)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return c
        }
    }

    func parse(_ args: [String]) throws -> Parsed {
        var out = Parsed()
        for o in options { if let d = o.defaultValue, o.valueName != nil { out.values[o.name] = d } }
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--help" || a == "-h" { out.helpRequested = true; i += 1; continue }
            if a.hasPrefix("--") {
                var name = String(a.dropFirst(2)), inline: String?
                if let eq = name.firstIndex(of: "=") { inline = String(name[name.index(after: eq)...]); name = String(name[..<eq]) }
                guard let spec = options.first(where: { $0.name == name }) else {
                    throw UsageError(message: "\(self.name): unknown option --\(name) (see wirtinger \(self.name) --help)")
                }
                if spec.valueName == nil {
                    if inline != nil { throw UsageError(message: "--\(name) takes no value") }
                    out.flags.insert(name)
                } else if let v = inline {
                    out.values[name] = v
                } else {
                    guard i + 1 < args.count else { throw UsageError(message: "--\(name) needs a value (\(spec.valueName!))") }
                    // `--checkpoint --resume` must not take `--resume` as the file name
                    let next = args[i + 1]
                    if next.hasPrefix("--") && next.count > 2 {
                        throw UsageError(message: "--\(name) needs a value (\(spec.valueName!)), got the option \(next); "
                                         + "write --\(name)=\(next) if that is the value")
                    }
                    out.values[name] = next; i += 1
                }
            } else {
                out.positionals.append(a)
            }
            i += 1
        }
        if !out.helpRequested && out.positionals.count != positionals.count {
            throw UsageError(message: "\(name): expected \(positionals.count) argument(s) (\(positionals.map(\.name).joined(separator: " "))), got \(out.positionals.count)")
        }
        return out
    }
}
