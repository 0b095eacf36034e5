import Foundation

/// One benchmark workload: a name shared with Benchmarks/pytorch_reference.py, a group for the
/// table, an optional throughput metric, and a closure factory (set-up runs outside the timing).
struct BenchWorkload {
    let name: String
    let group: String
    /// Work units per call for the throughput column (flops for GEMM and conv, elements for Ei).
    var work: Double? = nil
    /// Unit of the throughput column: `GFLOP/s` or `Melem/s` (work / time scaled by 1e9 or 1e6).
    var unit: String? = nil
    /// What is measured, in a few words (goes to the JSON).
    var note: String = ""
    /// Builds the timed closure; runs once, outside the timing.
    let make: () throws -> () -> Void
}

/// Timing of one workload: per-call seconds.
struct BenchResult: Codable {
    var name: String
    var group: String
    var median_s: Double
    var min_s: Double
    var samples: Int
    var calls_per_sample: Int
    var unit: String?
    var throughput: Double?
    var note: String
}

/// Monotonic seconds.
@inline(__always) func benchNow() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// The timing rule shared with the Python reference:
/// warm-up of at least `minWarmupCalls` calls and `warmup` seconds; then the number of calls per
/// sample is chosen so that a sample lasts ≥ 2 ms; then samples are taken until `budget` seconds
/// have passed (at least `minSamples`, at most `maxSamples`). The median (and minimum) per-call
/// time of the samples is reported. The floors matter for slow steps (PyTorch's complex training
/// step takes ~50 ms and its times keep falling for its first dozens of calls): every workload gets
/// ≥ 5 warm-up calls and ≥ 20 samples whatever the budget.
struct BenchTimer {
    var warmup = 0.5
    var minWarmupCalls = 5
    var budget = 1.0
    var minSamples = 20
    var maxSamples = 300
    var sampleTarget = 0.002

    func measure(_ body: () -> Void) -> (median: Double, min: Double, samples: Int, inner: Int) {
        var calls = 0
        let w0 = benchNow()
        var last = 0.0
        while calls < minWarmupCalls || benchNow() - w0 < warmup {
            let t = benchNow(); body(); last = benchNow() - t
            calls += 1
        }
        let inner = max(1, Int((sampleTarget / max(last, 1e-9)).rounded(.up)))
        var times: [Double] = []
        let s0 = benchNow()
        while times.count < minSamples || (benchNow() - s0 < budget && times.count < maxSamples) {
            let t = benchNow()
            for _ in 0..<inner { body() }
            times.append((benchNow() - t) / Double(inner))
        }
        times.sort()
        let n = times.count
        let median = n % 2 == 1 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2])
        return (median, times[0], n, inner)
    }
}

/// Prevents the optimizer from removing a computation whose result is otherwise unused.
@inline(never) func benchKeep<T>(_ value: T) { withExtendedLifetime(value) {} }
