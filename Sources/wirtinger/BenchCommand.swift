import Foundation
import Kernels
import Recipes

let benchSpec = CommandSpec(
    name: "bench",
    summary: """
    Run the benchmark suite and print a table (and JSON with --json): GEMM shapes at 1 and 2 threads, LeNet-5
    convolutions, training steps (dense / VD / ARD MLP, complex VD / ARD MLP, LeNet-5 VD; batch 128, Adam, float32),
    Ei throughput, and sparse inference of a masked MLP at 0/90/95/99% sparsity. Each figure is the median per-call
    time of repeated samples after a warm-up. Build in release: swift run -c release wirtinger bench.
    Benchmarks/pytorch_reference.py measures the same workloads with PyTorch; Benchmarks/compare.py prints ratios.
    """,
    positionals: [],
    options: [
        OptionSpec(name: "json", valueName: "FILE", help: "also write the results as JSON", defaultValue: nil),
        OptionSpec(name: "filter", valueName: "NAME", help: "run only workloads whose name contains NAME (comma-separated: any of them)",
                   defaultValue: nil),
        OptionSpec(name: "threads", valueName: "N", help: "threads for everything but the GEMM rows (which run at 1 and 2)",
                   defaultValue: "2"),
        OptionSpec(name: "budget", valueName: "SECONDS", help: "measuring time per workload after the warm-up", defaultValue: "1"),
        OptionSpec(name: "list", valueName: nil, help: "list the workload names and exit", defaultValue: nil),
    ])

/// The JSON document shared with Benchmarks/pytorch_reference.py.
struct BenchReport: Codable {
    var suite: String
    var threads: Int
    var build: String
    /// The active kernel tier ("portable", "avx2", "avx512"; WIRTINGER_ISA caps it).
    var isa: String
    /// The CPU model string (CPUID brand string, else /proc/cpuinfo).
    var cpu: String
    /// The tier each kernel family ran at (a family without code for the active tier runs a lower one).
    var kernel_tiers: [String: String]
    var date: String
    var results: [BenchResult]
}

func runBench(_ args: CommandSpec.Parsed) throws {
    #if DEBUG
    printError("warning: this is a debug build; timings are meaningless. Use: swift run -c release wirtinger bench")
    let build = "debug"
    #else
    let build = "release"
    #endif
    let threads = try args.int("threads", in: 1...64)!
    guard let budget = try args.double("budget"), budget > 0 else { throw UsageError(message: "--budget: expected a positive number") }
    let filters = args.string("filter").map { $0.split(separator: ",").map(String.init) } ?? []
    var workloads = allBenchWorkloads()
    if !filters.isEmpty { workloads = workloads.filter { w in filters.contains { w.name.contains($0) } } }
    if args.flags.contains("list") {
        for w in workloads { print(w.name) }
        return
    }
    guard !workloads.isEmpty else { throw UsageError(message: "--filter: no workload name contains \(filters.joined(separator: " or "))") }
    // the JSON file must be writable before minutes of measuring, not after them
    let jsonURL = args.string("json").map { URL(fileURLWithPath: $0) }
    if let jsonURL {
        do { try checkOutputsWritable([jsonURL], expectedBytes: 0) } catch {
            throw UsageError(message: "--json: \(error)")
        }
    }

    let isa = String(cString: wt_isa_name(wt_active_isa()))
    let cpu = String(cString: wt_cpu_model())
    let tiers = benchKernelTiers()
    print("wirtinger bench: \(workloads.count) workloads, \(build) build, threads \(threads) (GEMM rows: as named)")
    let hardware = String(cString: wt_isa_name(wt_hardware_isa()))
    print("CPU \(cpu); kernel tier \(isa) " + (isa == hardware ? "(the CPU's best)" : "(capped by WIRTINGER_ISA; the CPU's best is \(hardware))"))
    print("tier per kernel family: " + tiers.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
    print(benchHeader())
    var timer = BenchTimer()
    timer.budget = budget
    var results: [BenchResult] = []
    for w in workloads {
        if interruptRequested != 0 { break }
        _ = wt_set_num_threads(Int32(threads))
        let body = try w.make()
        let t = timer.measure(body)
        let r = BenchResult(name: w.name, group: w.group, median_s: t.median, min_s: t.min, samples: t.samples,
                            calls_per_sample: t.inner, unit: w.unit,
                            throughput: w.work.map { $0 / t.median / (w.unit == "GFLOP/s" ? 1e9 : 1e6) }, note: w.note)
        results.append(r)
        print(benchRow(r))
    }
    _ = wt_set_num_threads(Int32(threads))
    if let jsonURL {
        let report = BenchReport(suite: "wirtinger", threads: threads, build: build, isa: isa, cpu: cpu,
                                 kernel_tiers: Dictionary(uniqueKeysWithValues: tiers),
                                 date: ISO8601DateFormatter().string(from: Date()), results: results)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try enc.encode(report)
        // a write that still fails (the disk filled up meanwhile) keeps the results in a rescue directory
        if let lost = try OutputRescue().write(jsonURL, { try data.write(to: $0, options: .atomic) }) { throw lost }
        print("wrote \(jsonURL.path)")
    }
}

/// (family, tier name) for every kernel family of the Kernels target, in its order.
func benchKernelTiers() -> [(String, String)] {
    (0..<wt_kernel_family_count()).map {
        (String(cString: wt_kernel_family_name($0)), String(cString: wt_isa_name(wt_kernel_family_isa($0))))
    }
}

func benchHeader() -> String {
    "name".padding(toLength: 46, withPad: " ", startingAt: 0) + "  " + "median".leftPadded(11) + "  " + "min".leftPadded(11)
        + "  " + "samples".leftPadded(7) + "  throughput"
}

func benchRow(_ r: BenchResult) -> String {
    var s = r.name.padding(toLength: 46, withPad: " ", startingAt: 0) + "  " + formatSeconds(r.median_s).leftPadded(11) + "  "
        + formatSeconds(r.min_s).leftPadded(11) + "  " + String(r.samples).leftPadded(7)
    if let t = r.throughput, let u = r.unit { s += "  " + String(format: "%.1f %@", t, u) }
    return s
}

/// Seconds with a readable unit (ns, µs, ms, s).
func formatSeconds(_ t: Double) -> String {
    if t < 1e-6 { return String(format: "%.1f ns", t * 1e9) }
    if t < 1e-3 { return String(format: "%.2f µs", t * 1e6) }
    if t < 1 { return String(format: "%.3f ms", t * 1e3) }
    return String(format: "%.3f s", t)
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
