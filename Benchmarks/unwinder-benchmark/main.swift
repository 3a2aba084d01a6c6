// Replays the same live snapshots through libunwind (the reference) and through the CFI rule unwinder in
// one process, so that the comparison does not depend on the machine's load at the time, and prints one
// Markdown table row: CPU time per sample of each, of counting the stack as the profiler's store does,
// whether both unwound every snapshot to the same frames, and how many stacks the rules left to libunwind.
// Run by scripts/bench-unwinder.sh, also under callgrind: each measured loop is a function of its own
// (replayLibunwind, replayRules, replayCounting) so that callgrind can attribute its instructions.
//
//   unwinder-benchmark SNAPSHOTS ROUNDS COMMAND [ARGUMENT...]
//
// COMMAND's main thread is copied SNAPSHOTS times, 2 ms apart, and each copy is unwound ROUNDS times.
import Binaries
import Glibc
import Profiles
import ProfilerTestSupport
import Unwinding

func threadCPUNanoseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}

/// CPU nanoseconds per call of `body`, called `rounds` times for each of `count` items.
func nanosecondsPerSample(rounds: Int, count: Int, _ body: (Int) -> Void) -> Double {
    let start = threadCPUNanoseconds()
    for _ in 0..<rounds {
        for index in 0..<count { body(index) }
    }
    return Double(threadCPUNanoseconds() - start) / Double(rounds * count)
}

@inline(never)
func replayLibunwind(_ snapshots: [LiveSnapshot], rounds: Int) -> Double {
    let unwinder = LibunwindUnwinder(modules: snapshots[0].modules)
    var frames: [UInt64] = []
    return nanosecondsPerSample(rounds: rounds, count: snapshots.count) { unwinder.unwind(snapshots[$0].snapshot, into: &frames) }
}

@inline(never)
func replayRules(_ snapshots: [LiveSnapshot], rounds: Int) -> Double {
    let unwinder = Unwinder(modules: snapshots[0].modules)
    var frames: [UInt64] = []
    return nanosecondsPerSample(rounds: rounds, count: snapshots.count) { unwinder.unwind(snapshots[$0].snapshot, into: &frames) }
}

/// What adding each unwound stack to the profiler's ``StackCounter`` costs.
@inline(never)
func replayCounting(_ stacks: [[UInt64]], rounds: Int) -> Double {
    var counter = StackCounter()
    return nanosecondsPerSample(rounds: rounds, count: stacks.count) { counter.add(stacks[$0], cpuTime: 10_000_000) }
}

func fail(_ message: String, status: Int32) -> Never {
    _ = "unwinder-benchmark: \(message)\n".withCString { write(2, $0, strlen($0)) }
    exit(status)
}

let arguments = CommandLine.arguments
guard arguments.count >= 4, let snapshotCount = Int(arguments[1]), snapshotCount > 0, let rounds = Int(arguments[2]), rounds > 0
else { fail("usage: unwinder-benchmark SNAPSHOTS ROUNDS COMMAND [ARGUMENT...]", status: 2) }
let command = Array(arguments[3...])
let snapshots: [LiveSnapshot]
do {
    snapshots = try LiveSnapshot.series(command, when: .usedCPU(.milliseconds(200)), count: snapshotCount, interval: .milliseconds(2))
} catch {
    fail("cannot copy \(command.joined(separator: " ")): \(error)", status: 1)
}
guard snapshots.allSatisfy({ $0.modules.ranges == snapshots[0].modules.ranges }) else {
    fail("\(command[0]) mapped code while it was copied", status: 1)
}
let reference = LibunwindUnwinder(modules: snapshots[0].modules)
let rules = Unwinder(modules: snapshots[0].modules)
var expected: [[UInt64]] = []
var same = 0
for live in snapshots {
    var theirs: [UInt64] = []
    var ours: [UInt64] = []
    reference.unwind(live.snapshot, into: &theirs)
    rules.unwind(live.snapshot, into: &ours)
    expected.append(theirs)
    if ours == theirs { same += 1 }
}
let meanFrames = Double(expected.map(\.count).reduce(0, +)) / Double(expected.count)
let libunwind = replayLibunwind(snapshots, rounds: rounds)
let ours = replayRules(snapshots, rounds: rounds)
let counting = replayCounting(expected, rounds: rounds)
func microseconds(_ nanoseconds: Double) -> String { String(format: "%.2f", nanoseconds / 1000) }
let name = ([String(command[0].split(separator: "/").last ?? "")] + command.dropFirst()).joined(separator: " ")
print("| \(name) | \(snapshots.count) | \(String(format: "%.1f", meanFrames)) | \(microseconds(libunwind)) | \(microseconds(ours)) | "
    + "\(microseconds(counting)) | \(same)/\(snapshots.count) | \(rules.libunwindStacks)/\(snapshots.count) |")
