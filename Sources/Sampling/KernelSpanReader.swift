import _CProcessShims
import Glibc
import Logging
import Profiles
import ThreadContext

/// Reads each sampled thread's OTEP 4947 record inside the sample's own interrupt, as opentelemetry-ebpf-profiler
/// does: an eBPF program attached to the sampling events (`PERF_EVENT_IOC_SET_BPF`) runs in the sampled thread's
/// timer interrupt, before the kernel writes the sample, finds the thread's `otel_thread_ctx_v1` from its
/// `fs_base` and the process's location (a map the reader fills, ``publish(_:location:)``), and copies the record
/// into a ring buffer the reader drains at its own pace.
///
/// The OTEP lets a reader read a record only while its thread is stopped or interrupted: read this way the rule
/// holds, so a sample is in its span however late the reader runs, and the reader need not wake at every sample
/// (its per-sample cost with spans to read was that wake-up: 40–80 µs on this VM, BENCHMARKS.md). Root only
/// (`CAP_BPF` and `CAP_PERFMON`) and with BTF; else the reader reads from outside after the sample (``PerfSampler``).
final class KernelSpanReader {
    private let locations: Int32
    private let ring: Int32
    private let program: Int32
    private let consumerPage: UnsafeMutableRawPointer
    private let producerMapping: UnsafeMutableRawPointer
    private let producerMappingLength: Int
    private let pageSize: Int
    private let dataSize: Int
    /// What the entries drained so far say, per thread in the order written, until their samples are seen.
    private var spans: [pid_t: EntryQueue] = [:]
    /// How far an entry's time may be from its sample's: both are read in the same interrupt, microseconds apart
    /// (either first: the kernel times the sample before it runs the program), where the thread's next sample is a
    /// period away. An entry farther belongs to a sample the kernel dropped.
    private let tolerance: UInt64

    /// The program attached to `events` (the cgroup's per-CPU sampling events) with a ring buffer for a quarter
    /// second of samples at `rate` on every CPU; `nil` (said at debug level) where the kernel refuses any of it.
    init?(events: [Int32], rate: Double, logger: Logger) {
        func refused(_ what: String) {
            logger.debug("spans: \(what) refused (\(String(cString: strerror(errno)))): records are read from outside, after the sample")
        }
        guard let fsbase = KernelTypes.threadPointerOffset() else {
            logger.debug("spans: the kernel's BTF has no task_struct.thread.fsbase: records are read from outside, after the sample")
            return nil
        }
        pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let wanted = Double(events.count) * rate / 4 * Double(MemoryLayout<hr_span_entry>.size + 8)
        var size = 1 << 18
        while Double(size) < wanted, size < 1 << 26 { size <<= 1 }
        dataSize = size
        tolerance = UInt64(min(200_000, 250_000_000 / max(1, rate)))
        locations = hr_span_map_create(0, 16_384)
        guard locations >= 0 else {
            refused("an eBPF map")
            return nil
        }
        ring = hr_span_map_create(1, UInt32(dataSize))
        guard ring >= 0 else {
            refused("an eBPF ring buffer")
            close(locations)
            return nil
        }
        var log = [CChar](repeating: 0, count: 4096)
        program = hr_span_program_load(locations, ring, fsbase, &log, log.count)
        guard program >= 0 else {
            let verifier = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            refused("the eBPF program (\(verifier.split(separator: "\n").suffix(2).joined(separator: " ")))")
            close(ring)
            close(locations)
            return nil
        }
        guard let consumer = mmap(nil, pageSize, PROT_READ | PROT_WRITE, MAP_SHARED, ring, 0), consumer != MAP_FAILED else {
            refused("mapping the ring buffer")
            [program, ring, locations].forEach { close($0) }
            return nil
        }
        // The data pages are mapped twice in a row, so a record that wraps reads as one.
        producerMappingLength = pageSize + 2 * dataSize
        guard let producer = mmap(nil, producerMappingLength, PROT_READ, MAP_SHARED, ring, off_t(pageSize)), producer != MAP_FAILED else {
            refused("mapping the ring buffer")
            munmap(consumer, pageSize)
            [program, ring, locations].forEach { close($0) }
            return nil
        }
        consumerPage = consumer
        producerMapping = producer
        // A failed initializer runs no `deinit`. Events attached before a refusal keep the program, writing to a ring
        // nobody reads: the kernel has no call to detach it, and the refusal of one CPU's event and not another's is
        // not known to happen.
        for event in events where hr_perf_event_set_program(event, program) != 0 {
            refused("attaching the eBPF program to a sampling event")
            munmap(producer, producerMappingLength)
            munmap(consumer, pageSize)
            [program, ring, locations].forEach { close($0) }
            return nil
        }
    }

    deinit {
        munmap(producerMapping, producerMappingLength)
        munmap(consumerPage, pageSize)
        [program, ring, locations].forEach { close($0) }
    }

    /// From now on the program reads the records of process `pid`'s threads at `location`.
    func publish(_ pid: pid_t, location: hr_span_location) {
        var location = location
        _ = hr_span_location_set(locations, UInt32(bitPattern: pid), &location)
    }

    /// Process `pid` exited or replaced its program: its pid may come back as another process.
    func forget(_ pid: pid_t) {
        _ = hr_span_location_set(locations, UInt32(bitPattern: pid), nil)
    }

    /// Takes in the entries written since the last call, each decoded by `reader(pid)` (the process's reader, which
    /// knows its attribute keys and counts what it refuses).
    func drain(reader: (pid_t) -> ThreadContextReader?) {
        let producer = hr_span_ring_producer(producerMapping)
        var consumer = consumerPage.load(as: UInt64.self)
        let data = producerMapping + pageSize
        let (busy, discarded) = (UInt32(HR_SPAN_RING_BUSY), UInt32(HR_SPAN_RING_DISCARDED))
        while consumer < producer {
            let header = data + Int(consumer % UInt64(dataSize))
            let length = hr_span_ring_length(header)
            guard length & busy == 0 else { break }
            let size = Int(length & ~(busy | discarded))
            if length & discarded == 0, size >= MemoryLayout<hr_span_entry>.size {
                let entry = (header + 8).assumingMemoryBound(to: hr_span_entry.self)
                let tid = pid_t(bitPattern: entry.pointee.tid)
                let span = reader(pid_t(bitPattern: entry.pointee.pid))?.spanLabels(kernelEntry: entry)
                spans[tid, default: EntryQueue()].entries.append((entry.pointee.time, span))
            }
            consumer += UInt64((size + 8 + 7) & ~7)
        }
        hr_span_ring_consume(consumerPage, consumer)
    }

    /// The span thread `tid` was in at its sample timed `time`, as its entry says; `nil` when there is none (the
    /// thread published no span, its record was refused, the program did not know its process yet, the ring was
    /// full). Entries of earlier samples the kernel dropped are passed over.
    ///
    /// A process becomes known to the program when the reader has read its modules, at its first pass after the
    /// exec (up to a quarter fill, 31–100 ms): the samples taken before keep the root span, as with ptrace. Reading
    /// them late instead, from outside, put a span switching every 15 ms wrong for half of them.
    func span(tid: pid_t, sampledAt time: UInt64) -> SpanLabels? {
        guard let entry = spans[tid]?.take(upTo: time &+ tolerance) else { return nil }
        return max(time, entry.time) - min(time, entry.time) <= tolerance ? entry.span : nil
    }

    /// Drops the entries written before `time` (CLOCK_MONOTONIC ns) whose samples never came.
    func forgetEntries(before time: UInt64) {
        guard time > 0 else { return }
        for tid in Array(spans.keys) where spans[tid]!.take(upTo: time &- 1) != nil && spans[tid]!.entries.isEmpty {
            spans[tid] = nil
        }
    }
}

/// One thread's entries in the order written; those before `next` were taken.
private struct EntryQueue {
    var entries: [(time: UInt64, span: SpanLabels?)] = []
    var next = 0

    /// Takes every entry up to `time` and returns the last of them; the storage is reused once all are taken.
    mutating func take(upTo time: UInt64) -> (time: UInt64, span: SpanLabels?)? {
        var last: (time: UInt64, span: SpanLabels?)?
        while next < entries.count, entries[next].time <= time {
            last = entries[next]
            next += 1
        }
        if next == entries.count {
            entries.removeAll(keepingCapacity: true)
            next = 0
        }
        return last
    }
}
