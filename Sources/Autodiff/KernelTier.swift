import Kernels

/// The vector tier the C kernels run at, chosen once at start-up from the CPU (CPUID and the state
/// the OS saves, XGETBV) and capped by the environment variable `WIRTINGER_ISA`
/// (`portable|avx2|avx512`, any case). Ordered: a CPU with a tier also runs every lower one.
///
/// Within a tier, results are the same bits at every thread count; across tiers they differ
/// within documented bounds (Docs/Reliability.md, Docs/Kernels-GEMM.md), so a figure or a result
/// to reproduce should name its tier along with the CPU (``cpuModel``).
public enum KernelTier: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// Plain C, on any CPU.
    case portable = 0
    /// x86-64 with AVX2 and FMA.
    case avx2 = 1
    /// x86-64 with AVX-512 F, VL, DQ and BW.
    case avx512 = 2

    /// The tier the kernels use now (the best one allowed, unless ``limit(to:)`` lowered it).
    public static var active: KernelTier { KernelTier(rawValue: Int(wt_active_isa().rawValue)) ?? .portable }

    /// The best tier allowed: the hardware's, capped by `WIRTINGER_ISA`.
    public static var allowed: KernelTier { KernelTier(rawValue: Int(wt_detected_isa().rawValue)) ?? .portable }

    /// The best tier of the hardware, whatever `WIRTINGER_ISA` says.
    public static var hardware: KernelTier { KernelTier(rawValue: Int(wt_hardware_isa().rawValue)) ?? .portable }

    /// Makes the kernels use `tier`, or ``allowed`` when that is lower (to compare tiers in one
    /// process, or to reproduce a lower-tier machine's bits); returns the tier now active. Kernel
    /// calls that start afterwards use it, on every thread.
    @discardableResult
    public static func limit(to tier: KernelTier) -> KernelTier {
        KernelTier(rawValue: Int(wt_set_isa(wt_isa(rawValue: UInt32(tier.rawValue))).rawValue)) ?? .portable
    }

    /// The CPU's model string (CPUID brand string on x86, else /proc/cpuinfo's "model name", else
    /// "unknown").
    public static var cpuModel: String { String(cString: wt_cpu_model()) }

    /// "portable", "avx2" or "avx512": the spelling `WIRTINGER_ISA` takes.
    public var description: String { String(cString: wt_isa_name(wt_isa(rawValue: UInt32(rawValue)))) }

    /// Lower tiers first.
    public static func < (a: KernelTier, b: KernelTier) -> Bool { a.rawValue < b.rawValue }
}
