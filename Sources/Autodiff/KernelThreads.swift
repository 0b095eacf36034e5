import Kernels

/// How many threads one kernel call (a GEMM, an elementwise pass, a KL sum) may use, the calling
/// thread included: Wirtinger's `torch.set_num_threads` / `torch.get_num_threads`.
///
/// Results do not depend on it: every kernel splits its work so that each value is computed in the
/// same order at any count (Docs/Reliability.md, "determinism"), so a run at 1 thread and one at 8
/// give the same bits. The default is the environment variable `WIRTINGER_NUM_THREADS` when it
/// is a whole number in 1...64 (other values are reported on standard error and ignored), else the
/// CPUs the process may run on (on Linux its affinity mask, so `taskset` and container CPU sets
/// count), at most 64. A CPU-time quota (`docker run --cpus 2`, a cgroup's `cpu.max`) is not read:
/// under one, set `WIRTINGER_NUM_THREADS` to it. The CLI's `--threads N` sets the count too.
public enum KernelThreads {
    /// The largest thread count, 64.
    public static let maximum = 64

    /// The current thread count, in 1...``maximum``. Setting it clamps the value to that range and
    /// applies to kernel calls that start afterwards, on any thread; the worker threads are
    /// started by the first call that needs them and then kept.
    public static var count: Int {
        get { Int(wt_get_num_threads()) }
        set { _ = wt_set_num_threads(Int32(clamping: newValue)) }
    }
}
