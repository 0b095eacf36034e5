import Kernels
import XCTest

/// Thousands of `wt_parallel_for` jobs back to back, the thread count changed before every job
/// (1–4, so workers from a higher setting sit jobs out), loops of 1 … 4 099 items and grains that
/// give 1 … 16 ranges, half of them with a parallel loop nested in every range. After each job:
/// every item visited exactly once, the ranges tile the loop (contiguous, at most four per thread,
/// none shorter than the grain) and each range's nested loop visited its own items exactly once.
/// All bookkeeping is in raw memory written at disjoint indices, so a failure is the pool's.
/// The schedule is a fixed pseudo-random sequence; nothing depends on timing (a lost or repeated
/// part fails whatever the interleaving that caused it).
final class PoolStressTests: XCTestCase {
    override func tearDown() {
        _ = wt_set_num_threads(2)
        super.tearDown()
    }

    /// Items of the largest loop; nested loops have at most `innerMax` items.
    static let maxCount = 4099, innerMax = 16

    /// The job's bookkeeping, shared with the C body through a raw pointer.
    struct Job {
        var hits: UnsafeMutablePointer<Int32>   // [maxCount] visits per item
        var ends: UnsafeMutablePointer<Int>     // [maxCount] end of the range that starts at an index, else 0
        var inner: UnsafeMutablePointer<Int32>  // [maxCount · innerMax] the nested loop's visits, per range start
        var innerCount: Int                     // items of each range's nested loop (0: none)
        var work: Int                           // extra arithmetic per item, so that workers claim ranges
        var sink: UnsafeMutablePointer<UInt64>  // [maxCount] where that arithmetic goes
    }

    /// A deterministic generator (SplitMix64), so every run replays the same schedule.
    struct SplitMix { var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
    }

    func testEveryPartRunsOnceAcrossThreadCountsAndNesting() {
        let n = Self.maxCount, k = Self.innerMax
        var job = Job(hits: .allocate(capacity: n), ends: .allocate(capacity: n), inner: .allocate(capacity: n * k),
                      innerCount: 0, work: 0, sink: .allocate(capacity: n))
        defer { job.hits.deallocate(); job.ends.deallocate(); job.inner.deallocate(); job.sink.deallocate() }
        var rng = SplitMix(state: 0x5EED_0013)
        var failures: [String] = []
        for iteration in 0..<6000 where failures.count < 5 {
            let threads = 1 + rng.next(4)
            _ = wt_set_num_threads(Int32(threads))
            // mostly short loops (many jobs, many claims), now and then a long one
            let count = 1 + (rng.next(8) == 0 ? rng.next(n) : rng.next(96))
            let grain = 1 + rng.next(rng.next(2) == 0 ? 4 : max(1, count / 3))
            job.innerCount = rng.next(2) == 0 ? 0 : 1 + rng.next(k)
            job.work = rng.next(3) * 8
            job.hits.initialize(repeating: 0, count: count)
            job.ends.initialize(repeating: 0, count: count)
            job.inner.initialize(repeating: 0, count: count * k)
            withUnsafeMutablePointer(to: &job) { pointer in
                wt_parallel_for(count, grain, { raw, begin, end in
                    let j = raw!.assumingMemoryBound(to: Job.self).pointee
                    j.ends[begin] = end
                    if j.innerCount > 0 {
                        // A loop inside a range: runs on this thread (the pool is busy) unless this
                        // range is the whole loop, when it may take the pool itself.
                        wt_parallel_for(j.innerCount, 1, { r, b, e in
                            let marks = r!.assumingMemoryBound(to: Int32.self)
                            for i in b..<e { marks[i] += 1 }
                        }, j.inner + begin * PoolStressTests.innerMax)
                    }
                    for i in begin..<end {
                        var x = UInt64(i)
                        for _ in 0..<j.work { x = x &* 6_364_136_223_846_793_005 &+ 1 }
                        j.sink[i] = x
                        j.hits[i] += 1
                    }
                }, pointer)
            }
            let what = "iteration \(iteration): \(count) items, grain \(grain), \(threads) threads, nested \(job.innerCount)"
            let visits = Array(UnsafeBufferPointer(start: job.hits, count: count))  // read once
            if let i = visits.firstIndex(where: { $0 != 1 }) {
                failures.append("\(what): item \(i) visited \(visits[i]) times")
                continue
            }
            // the ranges: contiguous from 0 to count, each ≥ grain unless the loop is one range
            var starts: [Int] = [], at = 0
            while at < count, job.ends[at] > at { starts.append(at); at = job.ends[at] }
            if at != count || (0..<count).contains(where: { job.ends[$0] != 0 && !starts.contains($0) }) {
                failures.append("\(what): ranges do not tile the loop (stopped at \(at))")
                continue
            }
            if starts.count > 1, starts.indices.contains(where: { job.ends[starts[$0]] - starts[$0] < grain }) {
                failures.append("\(what): a range shorter than the grain")
            }
            if starts.count > 4 * threads { failures.append("\(what): \(starts.count) ranges") }
            for s in starts {
                for i in 0..<k where job.inner[s * k + i] != (i < job.innerCount ? 1 : 0) {
                    failures.append("\(what): nested loop of the range at \(s), item \(i) visited \(job.inner[s * k + i]) times")
                    break
                }
            }
        }
        XCTAssertEqual(failures, [])
    }
}
