// A Swift CPU-bound workload for the profiler's tests: optimized code (no frame pointers) whose frames
// must unwind through DWARF CFI and come out demangled.
//
//   SwiftWorkload SECONDS

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

let seconds = CommandLine.arguments.count > 1 ? Double(CommandLine.arguments[1]) ?? 1 : 1
print(spinChecksums(for: seconds) == 42 ? "unlikely" : "done")
