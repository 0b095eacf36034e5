import Foundation
import Recipes

let benchSpec = CommandSpec(
    name: "bench",
    summary: "Run the benchmark suite (release build) and print a table and JSON.",
    positionals: [],
    options: [OptionSpec(name: "json", valueName: "FILE", help: "also write the results as JSON", defaultValue: nil)])

func runBench(_ args: CommandSpec.Parsed) throws {
    throw UsageError(message: "bench: not available in this build yet")
}
