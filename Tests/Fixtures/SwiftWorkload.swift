// A Swift CPU-bound workload for the profiler's tests: optimized code (no frame pointers) whose frames
// must unwind through DWARF CFI and come out demangled.
//
//   SwiftWorkload SECONDS                 spins under spinChecksums(for:) → Checksummer.mix(rounds:)
//   SwiftWorkload deep DEPTH ITERATIONS   fixed work under DEPTH recursive frames; prints the elapsed
//                                         seconds on stdout (self-timed, for the benchmark)
//   SwiftWorkload strings SECONDS         sorts non-ASCII strings: most of the time in the Swift runtime
//                                         library's String comparison (libswiftCore), called from this program

#if canImport(Glibc)
import Glibc
#endif

struct Checksummer {
    var state: UInt64 = 1

    @inline(never)
    mutating func mix(rounds: Int) -> UInt64 {
        for round in 0..<rounds { state = state &* 6364136223846793005 &+ UInt64(round) }
        return state
    }
}

@inline(never)
func spinChecksums(for seconds: Double) -> UInt64 {
    var checksummer = Checksummer()
    var total: UInt64 = 0
    var start = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    while true {
        total &+= checksummer.mix(rounds: 100_000)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        if Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9 >= seconds { return total }
    }
}

/// Work after the recursive call keeps every level a real frame.
nonisolated(unsafe) var depthSink: UInt64 = 0

@inline(never)
func descend(_ depth: Int, _ checksummer: inout Checksummer, rounds: Int) -> UInt64 {
    let result = depth <= 1 ? checksummer.mix(rounds: rounds) : descend(depth - 1, &checksummer, rounds: rounds)
    depthSink &+= UInt64(depth)
    return result
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// Words sharing a non-ASCII prefix, so that every comparison takes libswiftCore's Unicode path.
@inline(never)
func sortStrings(for seconds: Double) -> Int {
    let words = (0..<2000).map { "naïve-\(($0 &* 7919) % 2000)-ü" }
    var checksum = 0
    let start = monotonicSeconds()
    while monotonicSeconds() - start < seconds { checksum &+= words.sorted()[0].utf8.count }
    return checksum
}

let arguments = CommandLine.arguments
if arguments.count == 4, arguments[1] == "deep", let depth = Int(arguments[2]), let iterations = Int(arguments[3]) {
    var checksummer = Checksummer()
    var total: UInt64 = 0
    let start = monotonicSeconds()
    for _ in 0..<iterations { total &+= descend(depth, &checksummer, rounds: 100_000) }
    let elapsed = monotonicSeconds() - start
    if total &+ depthSink == 42 { print("unlikely") }
    print(elapsed)
} else if arguments.count == 3, arguments[1] == "strings", let seconds = Double(arguments[2]) {
    print(sortStrings(for: seconds) == 42 ? "unlikely" : "done")
} else {
    let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 1 : 1
    print(spinChecksums(for: seconds) == 42 ? "unlikely" : "done")
}
