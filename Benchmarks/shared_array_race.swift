// Reproduces what lost a range of PoolAndParallelTests in session 7, without the worker pool:
// THREADS pthreads bump disjoint elements of one Swift array held by a class, each call through
// `c.hits.withUnsafeMutableBufferPointer`, as that test's parallel body did. Each call is a
// mutating access to the one stored array; while one thread holds a temporary reference to the
// buffer, another finds it not uniquely referenced and copies it (copy-on-write), so updates made
// through the old buffer are lost, or the buffer is freed under a writer and the program crashes
// (in Array._makeMutableAndUnique -> _consumeAndCreateNew). Parallel bodies must therefore write
// through raw pointers (Docs/Kernels-GEMM.md, the pool paragraph).
//   swiftc -Onone Benchmarks/shared_array_race.swift -o /tmp/shared_array_race
//   /tmp/shared_array_race 2 2000000    # THREADS CALLS_PER_THREAD
// Session 8 (Xeon, 2 vCPUs, load 4.2–4.5): 2 threads crashed 5 of 10 runs; 3 threads went wrong in
// 10 of 10 (8 crashes, 2 with lost updates). Exit status 1 when updates were lost.
import Foundation

final class Counts: @unchecked Sendable {
    var hits: [Int]
    init(_ n: Int) { hits = [Int](repeating: 0, count: n) }
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let threads = Int(arguments[1]), let calls = Int(arguments[2]), threads >= 1, calls >= 1 else {
    FileHandle.standardError.write("usage: shared_array_race THREADS CALLS_PER_THREAD\n".data(using: .utf8)!)
    exit(2)
}
let counts = Counts(threads * 4)
let callsPerThread = calls
var handles: [pthread_t] = []
for t in 0..<threads {
    var handle = pthread_t()
    let box = Unmanaged.passRetained(NSNumber(value: t)).toOpaque()
    pthread_create(&handle, nil, { argument in
        let t = Unmanaged<NSNumber>.fromOpaque(argument!).takeRetainedValue().intValue
        for _ in 0..<callsPerThread {
            counts.hits.withUnsafeMutableBufferPointer { h in for i in (t * 4)..<(t * 4 + 4) { h[i] += 1 } }
        }
        return nil
    }, box)
    handles.append(handle)
}
for handle in handles { pthread_join(handle, nil) }
let lost = counts.hits.filter { $0 != calls }.count
print("\(threads) threads × \(calls) calls: \(lost) of \(counts.hits.count) elements lost updates (smallest count \(counts.hits.min()!))")
exit(lost == 0 ? 0 : 1)
