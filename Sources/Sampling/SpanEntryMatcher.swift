import Glibc
import Profiles

/// Pairs the spans the kernel program read (``KernelSpanReader``) with the samples they were read for: per thread, in
/// the order written, each sample takes the entry nearest its own time within `tolerance`.
///
/// Both times are read in the sample's interrupt, microseconds apart (on Linux 6.3 and later the kernel times the
/// sample before it runs the program, before that after), where the thread's next sample is a period away. An entry
/// farther from every sample belongs to a sample the kernel dropped; a sample with no entry near it had none (the
/// thread published no span, the program did not know the process yet, the ring was full).
struct SpanEntryMatcher {
    private var queues: [pid_t: Queue] = [:]
    let tolerance: UInt64

    init(tolerance: UInt64) {
        self.tolerance = tolerance
    }

    /// One thread's entries in the order written; those before `next` were taken or passed over.
    private struct Queue {
        var entries: [(time: UInt64, span: SpanLabels?)] = []
        var next = 0

        var isEmpty: Bool { next == entries.count }

        /// Passes over the entries timed before `time`; the storage is reused once all are.
        mutating func pass(before time: UInt64) {
            while next < entries.count, entries[next].time < time { next += 1 }
            if isEmpty {
                entries.removeAll(keepingCapacity: true)
                next = 0
            }
        }
    }

    /// The entry of thread `tid` read at `time` (CLOCK_MONOTONIC ns), `nil` for a record refused.
    mutating func add(tid: pid_t, time: UInt64, span: SpanLabels?) {
        queues[tid, default: Queue()].entries.append((time, span))
    }

    /// The span of thread `tid`'s sample timed `time`: its entry's, the nearest within the tolerance; `nil` when there
    /// is none. Samples come in time order per thread (``PerfSampler`` applies them so), and so do entries.
    mutating func span(tid: pid_t, sampledAt time: UInt64) -> SpanLabels? {
        guard var queue = queues.removeValue(forKey: tid) else { return nil }
        defer { if !queue.isEmpty { queues[tid] = queue } }
        queue.pass(before: time &- min(time, tolerance))
        guard !queue.isEmpty, queue.entries[queue.next].time <= time &+ tolerance else { return nil }
        func distance(_ index: Int) -> UInt64 {
            let entry = queue.entries[index].time
            return max(entry, time) - min(entry, time)
        }
        var nearest = queue.next
        if nearest + 1 < queue.entries.count, distance(nearest + 1) < distance(nearest) { nearest += 1 }
        let span = queue.entries[nearest].span
        queue.pass(before: queue.entries[nearest].time &+ 1)
        return span
    }

    /// Drops the entries no sample applied from now on can take: every sample timed before `time` is applied.
    mutating func forget(before time: UInt64) {
        let limit = time &- min(time, tolerance)
        for tid in Array(queues.keys) {
            queues[tid]!.pass(before: limit)
            if queues[tid]!.isEmpty { queues[tid] = nil }
        }
    }

    /// Threads with entries held, for tests.
    var threadCount: Int { queues.count }
}
