// Replays the same live snapshots through libunwind (the reference) and through the CFI rule unwinder in
// one process, so the comparison does not depend on the machine's load at the time: prints the CPU time
// per sample of each, counting the stacks the way the profiler's store does, and whether both unwound
// every snapshot to the same frames. Run by scripts/bench-unwinder.sh (also under callgrind there).
//
//   unwinder-benchmark WORKLOAD SWIFT_WORKLOAD [SNAPSHOTS [ROUNDS]]
//
// WORKLOAD and SWIFT_WORKLOAD are Tests/Fixtures/workload.c and SwiftWorkload.swift built as the script
// builds them; 200 snapshots of each (2 ms apart), each unwound 200 times, by default.
import Binaries
import Glibc
import Profiles
import ProfilerTestSupport
import Unwinding

struct Workload {
    var name: String
    var arguments: [String]
}

func threadCPUNanoseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}

/// Unwinds every snapshot `rounds` times with `unwind`, counting each stack in `counter` when given;
/// returns the thread's CPU nanoseconds per sample. Kept out of line so callgrind can attribute it
/// (`--toggle-collect='*replayLibunwind*'`, `'*replayRules*'`).
@inline(never)
func replayLibunwind(_ snapshots: [LiveSnapshot], rounds: Int, counting: Bool) -> Double {
    let unwinder = LibunwindUnwinder(modules: snapshots[0].modules)
    return replay(snapshots, rounds: rounds, counting: counting) { unwinder.unwind($0, into: &$1) }
}

@inline(never)
func replayRules(_ snapshots: [LiveSnapshot], rounds: Int, counting: Bool) -> Double {
    let unwinder = Unwinder(modules: snapshots[0].modules)
    return replay(snapshots, rounds: rounds, counting: counting) { unwinder.unwind($0, into: &$1) }
}

func replay(_ snapshots: [LiveSnapshot], rounds: Int, counting: Bool,
            unwind: (ThreadSnapshot, inout [UInt64]) -> Bool) -> Double {
    var frames: [UInt64] = []
    frames.reserveCapacity(256)
    var counter = StackCounter()
    let start = threadCPUNanoseconds()
    for _ in 0..<rounds {
        for live in snapshots {
            _ = unwind(live.snapshot, &frames)
            if counting { counter.add(frames) }
        }
    }
    return Double(threadCPUNanoseconds() - start) / Double(rounds * snapshots.count)
}

func frames(of snapshots: [LiveSnapshot], _ unwind: (ThreadSnapshot, inout [UInt64]) -> Bool) -> [[UInt64]] {
    snapshots.map { live in
        var frames: [UInt64] = []
        _ = unwind(live.snapshot, &frames)
        return frames
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    _ = "usage: unwinder-benchmark WORKLOAD SWIFT_WORKLOAD [SNAPSHOTS [ROUNDS]]\n".withCString { write(2, $0, strlen($0)) }
    exit(2)
}
let snapshotCount = arguments.count > 3 ? Int(arguments[3]) ?? 200 : 200
let rounds = arguments.count > 4 ? Int(arguments[4]) ?? 200 : 200
do {
    let workloads = [
        Workload(name: "C -O2, 25 frames", arguments: [arguments[1], "deep", "25", "100000000", "0"]),
        Workload(name: "Swift -O, 25 frames", arguments: [arguments[2], "deep", "25", "100000000"]),
    ]
    print("| workload | snapshots | frames (mean) | libunwind µs | rules µs | libunwind + count µs | rules + count µs | same frames | stacks to libunwind |")
    print("|---|---|---|---|---|---|---|---|---|")
    for workload in workloads {
        let snapshots = try LiveSnapshot.series(workload.arguments, warmUp: .milliseconds(200), count: snapshotCount,
                                                interval: .milliseconds(2))
        guard snapshots.allSatisfy({ $0.modules.ranges == snapshots[0].modules.ranges }) else {
            throw FixtureError("\(workload.name): modules changed between snapshots")
        }
        let reference = LibunwindUnwinder(modules: snapshots[0].modules)
        let rules = Unwinder(modules: snapshots[0].modules)
        let expected = frames(of: snapshots) { reference.unwind($0, into: &$1) }
        let actual = frames(of: snapshots) { rules.unwind($0, into: &$1) }
        let same = zip(expected, actual).filter { $0 == $1 }.count
        let meanFrames = Double(expected.map(\.count).reduce(0, +)) / Double(expected.count)
        let libunwind = replayLibunwind(snapshots, rounds: rounds, counting: false)
        let ours = replayRules(snapshots, rounds: rounds, counting: false)
        let libunwindCounted = replayLibunwind(snapshots, rounds: rounds, counting: true)
        let oursCounted = replayRules(snapshots, rounds: rounds, counting: true)
        func microseconds(_ nanoseconds: Double) -> String { String(format: "%.2f", nanoseconds / 1000) }
        print("| \(workload.name) | \(snapshots.count) | \(String(format: "%.1f", meanFrames)) | \(microseconds(libunwind)) | "
            + "\(microseconds(ours)) | \(microseconds(libunwindCounted)) | \(microseconds(oursCounted)) | \(same)/\(snapshots.count) | "
            + "\(rules.libunwindStacks)/\(snapshots.count) |")
    }
} catch {
    let message = "unwinder-benchmark: \(error)\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    exit(1)
}
