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
    /// What the entries drained so far say, until their samples are applied.
    private var entries: SpanEntryMatcher

    /// The program attached to `events` (the cgroup's per-CPU sampling events) with a ring buffer for at least
    /// `samplesHeld` entries, what the events' own buffers hold: the ring does not fill before they do, and their
    /// losses are counted. `nil` (said at debug level) where the kernel refuses any of it.
    init?(events: [Int32], samplesHeld: Int, rate: Double, logger: Logger) {
        func refused(_ what: String) {
            logger.debug("spans: \(what) refused (\(String(cString: strerror(errno)))): records are read from outside, after the sample")
        }
        // The program sees pids as the initial namespace numbers them; the samples and the pids the reader publishes
        // are hybrid-run's (a container's own): in another namespace every lookup would miss.
        var namespace = stat()
        guard stat("/proc/self/ns/pid", &namespace) == 0, namespace.st_ino == Self.initialPIDNamespace else {
            logger.debug("spans: hybrid-run runs in a pid namespace of its own: records are read from outside, after the sample")
            return nil
        }
        guard let fsbase = KernelTypes.threadPointerOffset() else {
            logger.debug("spans: the kernel's BTF has no task_struct.thread.fsbase: records are read from outside, after the sample")
            return nil
        }
        pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let wanted = samplesHeld * ((MemoryLayout<hr_span_entry>.size + 8 + 7) & ~7)
        var size = 1 << 18
        while size < wanted, size < 1 << 26 { size <<= 1 }
        dataSize = size
        entries = SpanEntryMatcher(tolerance: UInt64(min(200_000, 250_000_000 / max(1, rate))))
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
        // A failed initializer runs no `deinit`. Events attached before a refusal keep the program (the kernel has no
        // call to detach it), which finds no process in the empty map: a lookup per sample.
        for event in events where hr_perf_event_set_program(event, program) != 0 {
            refused("attaching the eBPF program to a sampling event")
            munmap(producer, producerMappingLength)
            munmap(consumer, pageSize)
            [program, ring, locations].forEach { close($0) }
            return nil
        }
    }

    /// `PROC_PID_INIT_INO` (linux/proc_ns.h): the inode of the initial pid namespace.
    private static let initialPIDNamespace: ino_t = 0xEFFF_FFFC

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
                let span = reader(pid_t(bitPattern: entry.pointee.pid))?.spanLabels(kernelEntry: entry)
                entries.add(tid: pid_t(bitPattern: entry.pointee.tid), time: entry.pointee.time, span: span)
            }
            consumer += UInt64((size + 8 + 7) & ~7)
        }
        hr_span_ring_consume(consumerPage, consumer)
    }

    /// The span thread `tid` was in at its sample timed `time` (``SpanEntryMatcher``).
    ///
    /// A process becomes known to the program when the reader has read its modules, at the first pass that applies
    /// one of its samples: the samples taken before keep the root span, as with ptrace. Reading them late instead, from
    /// outside, put a span switching every 15 ms wrong for half of them.
    func span(tid: pid_t, sampledAt time: UInt64) -> SpanLabels? {
        entries.span(tid: tid, sampledAt: time)
    }

    /// Drops the entries whose samples never came, every sample timed before `time` (CLOCK_MONOTONIC ns) applied.
    func forgetEntries(before time: UInt64) {
        entries.forget(before: time)
    }
}
