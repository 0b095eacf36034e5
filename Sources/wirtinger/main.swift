import Foundation
import Recipes
import Wirtinger

// wirtinger: the command-line main job. Parsing, printing and files only; the work is in the
// library targets (Recipes, Relevance, NN).

let commands: [(spec: CommandSpec, run: (CommandSpec.Parsed) throws -> Void)] = [
    (sparsifySpec, runSparsify), (trainSpec, runTrain), (inspectSpec, runInspect), (evaluateSpec, runEvaluate),
    (exportSpec, runExport), (predictSpec, runPredict), (benchSpec, runBench),
]

@MainActor func mainUsage() -> String {
    var s = "usage: wirtinger <command> [options]\n\ncommands:\n"
    for c in commands { s += "  \(c.spec.name.padding(toLength: 10, withPad: " ", startingAt: 0))\(c.spec.summary.split(separator: ".").first ?? "")\n" }
    s += """

    environment:
      WIRTINGER_NUM_THREADS=N   threads of the compute kernels, 1–64 (default: the CPUs available; --threads overrides it)
      WIRTINGER_ISA=TIER        cap the kernels' vector tier: portable, avx2 or avx512 (default: the CPU's best)

    Run `wirtinger <command> --help` for the options of a command, `wirtinger --version` for the version.

    """
    return s
}

let argv = Array(CommandLine.arguments.dropFirst())
if argv == ["--version"] {
    say("wirtinger \(Wirtinger.version)")
    exit(0)
}
guard let name = argv.first, name != "--help", name != "-h" else {
    say(mainUsage())
    exit(argv.isEmpty ? 2 : 0)
}
guard let command = commands.first(where: { $0.spec.name == name }) else {
    printError("error: unknown command '\(name)' (commands: \(commands.map(\.spec.name).joined(separator: ", ")))")
    exit(2)
}
installInterruptHandler()
do {
    let parsed = try command.spec.parse(Array(argv.dropFirst()))
    if parsed.helpRequested { say(command.spec.usage); exit(0) }
    try command.run(parsed)
} catch let e as UsageError {
    printError("error: \(escapedForTerminal(e.message))")
    exit(2)
} catch let e as ExitCode {
    exit(e.code)
} catch {
    printError("error: \(escapedForTerminal("\(error)"))")
    exit(1)
}
