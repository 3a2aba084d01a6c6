import Binaries
import Glibc
import Profiles

/// The span each thread of one process image is in, read from outside as OTEP 4947 "Thread Context" describes
/// (https://github.com/open-telemetry/opentelemetry-specification/blob/main/oteps/profiles/4947-thread-ctx.md):
/// the thread's `otel_thread_ctx_v1` pointer (``ThreadContextLocation``), the record it points to
/// (``ThreadContextRecord``), key names from the process context (``ProcessContextReader``).
///
/// The OTEP lets readers read a record only while its thread is stopped or interrupted; the caller guarantees
/// that (the tracer reads at the ptrace stop). Made once per image and again when its code changes; one thread
/// (the sampler's) uses it. A read allocates only the labels' strings.
public final class ThreadContextReader {
    private let memory: RemoteMemory
    private var location: ThreadContextLocation
    private var keyMap: [String]
    /// When the key map was last read (monotonic ns): an unknown index asks for it again, at most this often.
    private var keyMapReadAt: Int64
    private static let keyMapRefreshInterval: Int64 = 200_000_000
    /// The record's fixed part and its attributes, read into the same preallocated buffer.
    private let modules: ModuleMap
    /// For ``spanLabels(tid:)``: glibc's thread list, found on first use (`.none` inside: the process has none).
    private var threadList: GlibcThreadList??
    private var threadPointers: [pid_t: UInt64] = [:]
    /// When the thread list was last walked (monotonic ns): a thread it lacks is looked for again at most this often.
    private var threadListReadAt: Int64 = 0
    private static let threadListRefreshInterval: Int64 = 10_000_000
    private let buffer = UnsafeMutableRawBufferPointer.allocate(
        byteCount: ThreadContextRecord.headerSize + ThreadContextRecord.maximumAttributesSize, alignment: 8)

    /// Samples whose thread had a pointer that led to no labels: not valid, unreadable, too large, no ids.
    public private(set) var refusedRecords = 0
    /// Samples not read because the variable's address could not be found for the thread: in dynamic TLS (a
    /// library loaded late, or general-dynamic code) that the thread has not allocated, or unreadable.
    public private(set) var unlocatedSamples = 0
    /// Samples of threads whose thread pointer is not known (``spanLabels(tid:)``: not in glibc's lists).
    public private(set) var unknownThreadSamples = 0

    /// The reader of process `pid` whose code is `modules`, or `nil` when no module exports `otel_thread_ctx_v1`.
    public init?(pid: pid_t, modules: ModuleMap, executablePath: String?) {
        memory = RemoteMemory(pid: pid)
        guard let location = ThreadContextLocation.find(in: modules, executablePath: executablePath, memory: memory) else {
            return nil
        }
        self.location = location
        self.modules = modules
        keyMap = ProcessContextReader.attributeKeyMap(pid: pid, memory: memory) ?? []
        keyMapReadAt = Self.monotonicNow()
    }

    deinit { buffer.deallocate() }

    /// The span of the stopped thread whose thread pointer (`fs_base`) is `threadPointer`; `nil` when it has none
    /// or publishes something this reader refuses.
    public func spanLabels(threadPointer: UInt64) -> SpanLabels? {
        guard let pointerAddress = pointerAddress(threadPointer: threadPointer) else { return nil }
        guard let record = memory.load(UInt64.self, at: pointerAddress), record != 0 else { return nil }
        return labels(ofRecordAt: record)
    }

    /// Where the thread's TLS pointer is; `nil` (counted) when it cannot be found.
    private func pointerAddress(threadPointer: UInt64) -> UInt64? {
        // A block glibc made static stays static: the descriptor need not be read again.
        if case .descriptor(let slot) = location, let offset = memory.load(Int64.self, at: slot &+ 8), offset < 0 {
            location = .threadPointerOffset(offset)
        }
        guard let address = location.pointerAddress(threadPointer: threadPointer, memory: memory) else {
            unlocatedSamples += 1
            return nil
        }
        return address
    }

    /// The record read with one call, the fixed part and as many attribute bytes as can be there (the OTEP reads
    /// twice; one read of up to 668 bytes, split at a page end, costs the same as one of 28).
    private func labels(ofRecordAt record: UInt64) -> SpanLabels? {
        let read = memory.readPrefix(record, into: buffer)
        let header = UnsafeRawBufferPointer(rebasing: buffer[0..<ThreadContextRecord.headerSize])
        guard record & 1 == 0, read >= ThreadContextRecord.headerSize, let size = ThreadContextRecord.attributesSize(header: header),
              read >= ThreadContextRecord.headerSize + size,
              let found = ThreadContextRecord.labels(header: header, attributes: UnsafeRawBufferPointer(
                  rebasing: buffer[ThreadContextRecord.headerSize..<(ThreadContextRecord.headerSize + size)]), keyMap: keyMap)
        else {
            refusedRecords += 1
            return nil
        }
        if found.unknownKey { refreshKeyMap() }
        return found.labels
    }

    /// The span of thread `tid`, whose thread pointer is learnt from glibc's thread list (``GlibcThreadList``) for
    /// a sampler that has no registers of it (perf events). The caller reads as soon as it can after the sample;
    /// the thread may run meanwhile (see ARCHITECTURE.md, "Thread context: the reader").
    public func spanLabels(tid: pid_t) -> SpanLabels? {
        if threadList == nil { threadList = .some(GlibcThreadList(modules: modules, memory: memory)) }
        guard let list = threadList ?? nil else {
            unknownThreadSamples += 1
            return nil
        }
        if threadPointers[tid] == nil {
            let now = Self.monotonicNow()
            if now - threadListReadAt >= Self.threadListRefreshInterval {
                threadListReadAt = now
                threadPointers = list.threadPointers()
            }
        }
        guard let pointer = threadPointers[tid] else {
            unknownThreadSamples += 1
            return nil
        }
        guard let address = pointerAddress(threadPointer: pointer),
              let (owner, record) = list.tid(at: pointer, and: address) else { return nil }
        // The struct's tid, read with the TLS pointer: a recycled struct or a reused tid is looked up again.
        guard owner == tid else {
            threadPointers[tid] = nil
            unknownThreadSamples += 1
            return nil
        }
        return record == 0 ? nil : labels(ofRecordAt: record)
    }

    /// The OTEP: an unknown key index means the map grew; it is read again (rate-limited: a writer may also just
    /// use indexes it never published).
    private func refreshKeyMap() {
        let now = Self.monotonicNow()
        guard now - keyMapReadAt >= Self.keyMapRefreshInterval else { return }
        keyMapReadAt = now
        if let fresh = ProcessContextReader.attributeKeyMap(pid: memory.pid, memory: memory) { keyMap = fresh }
    }

    private static func monotonicNow() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
