import XCTest
import Foundation
import Kernels
#if canImport(Glibc)
import Glibc
#endif

/// The thread count the kernels start with: the environment variable, else the CPUs the process
/// may run on (a library on a 32-core server must not stay at 2 threads, and one pinned to a core
/// by `taskset` or a container must not start more threads than it has CPUs).
final class DefaultThreadCountTests: XCTestCase {
    private var savedEnvironment: String?

    override func setUp() {
        savedEnvironment = getenv("WIRTINGER_NUM_THREADS").map { String(cString: $0) }
        unsetenv("WIRTINGER_NUM_THREADS")
    }

    override func tearDown() {
        if let savedEnvironment { setenv("WIRTINGER_NUM_THREADS", savedEnvironment, 1) } else { unsetenv("WIRTINGER_NUM_THREADS") }
    }

    /// The CPUs the calling thread may run on (Linux: the `Cpus_allowed` mask of
    /// /proc/thread-self/status), at most 64.
    private func allowedCPUs() throws -> Int32 {
        #if os(Linux)
        let status = try String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed:") })
        let mask = line.dropFirst("Cpus_allowed:".count).filter { $0.isHexDigit }
        let count = mask.reduce(0) { $0 + (Int(String($1), radix: 16) ?? 0).nonzeroBitCount }
        return Int32(min(count, 64))
        #else
        return Int32(min(max(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1), 64))
        #endif
    }

    func testEnvironmentVariableSetsTheCount() {
        for n in [1, 3, 64] {
            setenv("WIRTINGER_NUM_THREADS", String(n), 1)
            XCTAssertEqual(wt_default_num_threads(), Int32(n), "WIRTINGER_NUM_THREADS=\(n)")
        }
    }

    func testInvalidEnvironmentVariableIsIgnored() throws {
        for bad in ["0", "65", "-2", "two", "3x", " 4"] {
            setenv("WIRTINGER_NUM_THREADS", bad, 1)
            XCTAssertEqual(wt_default_num_threads(), try allowedCPUs(), "WIRTINGER_NUM_THREADS=\(bad)")
        }
        setenv("WIRTINGER_NUM_THREADS", "", 1)  // empty: as if unset
        XCTAssertEqual(wt_default_num_threads(), try allowedCPUs())
    }

    func testWithoutTheVariableEveryAllowedCPU() throws {
        XCTAssertEqual(wt_default_num_threads(), try allowedCPUs())
        XCTAssertGreaterThanOrEqual(wt_default_num_threads(), 1)
    }
}
