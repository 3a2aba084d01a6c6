import Binaries
import Glibc
import ThreadContext

/// What reading one thread's span costs hybrid-run per sample (scripts/bench-span-attribution.sh): PID's thread TID
/// read COUNT times with `ThreadContextReader.spanLabels(tid:)`, the perf-event path (the `struct pthread`'s tid, the
/// TLS pointer, the record where the last read found it and the pointer again, in one `process_vm_readv`; a second
/// one when the record moved or changed; ptrace's path is the same without the tid), timed in thread CPU time, best
/// of ROUNDS. The thread stays in one span, so after the first read every read is the one-call case.
///
///   thread-context-reader-benchmark PID TID [COUNT] [ROUNDS]
func fail(_ message: String, status: Int32) -> Never {
    _ = "thread-context-reader-benchmark: \(message)\n".withCString { write(2, $0, strlen($0)) }
    exit(status)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3, let pid = pid_t(arguments[1]), let tid = pid_t(arguments[2]) else {
    fail("usage: thread-context-reader-benchmark PID TID [COUNT] [ROUNDS]", status: 2)
}
let count = arguments.count > 3 ? Int(arguments[3]) ?? 100_000 : 100_000
let rounds = arguments.count > 4 ? Int(arguments[4]) ?? 5 : 5

let modules = ModuleMap(mappings: ProcessMaps.read(pid: pid), images: ELFImageCache())
guard let reader = ThreadContextReader(pid: pid, modules: modules, executablePath: ProcessMaps.executableLink(pid: pid)) else {
    fail("process \(pid) exports no otel_thread_ctx_v1", status: 1)
}
guard let span = reader.spanLabels(tid: tid) else { fail("thread \(tid) has no span to read", status: 1) }

func threadCPU() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}

var best = Int64.max
var read = 0
for _ in 0..<rounds {
    let start = threadCPU()
    for _ in 0..<count where reader.spanLabels(tid: tid) != nil { read += 1 }
    best = min(best, threadCPU() - start)
}
print("span \(span.spanID) (\(span.name ?? "no name")): \(Double(best) / Double(count)) ns per read, best of \(rounds) rounds of \(count); \(read) of \(rounds * count) read")
