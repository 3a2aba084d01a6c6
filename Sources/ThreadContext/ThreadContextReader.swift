import _CProcessShims
import Binaries
import Glibc
import Profiles

/// The span each thread of one process image is in, read from outside as OTEP 4947 "Thread Context" describes
/// (https://github.com/open-telemetry/opentelemetry-specification/blob/main/oteps/profiles/4947-thread-ctx.md):
/// the thread's `otel_thread_ctx_v1` pointer (``ThreadContextLocation``), the record it points to
/// (``ThreadContextRecord``), key names from the process context (``ProcessContextReader``).
///
/// The OTEP lets readers read a record only while its thread is stopped or interrupted; the caller guarantees
/// that (the tracer reads at the ptrace stop, `--wall` while the thread is blocked) or says how it departs from it. Made once per image and again when its code changes; one thread
/// (the sampler's) uses it. A read allocates only the labels' strings.
public final class ThreadContextReader {
    private let memory: RemoteMemory
    private var location: ThreadContextLocation
    private var keyMap: [String]
    /// When the key map was last read (monotonic ns): an unknown index asks for it again, at most this often.
    private var keyMapReadAt: Int64
    private static let keyMapRefreshInterval: Int64 = 200_000_000
    /// Reads of the key map left before the first one that finds it, each at least ``keyMapSearchSpacing`` after the
    /// last (``refreshKeyMap()``).
    private var keyMapSearches = 64
    private let keyMapSearchSpacing: Int64
    /// The record's fixed part and its attributes, read into the same preallocated buffer.
    private let modules: ModuleMap
    /// For ``spanLabels(tid:)``: glibc's thread list, found on first use (`.none` inside: the process has none).
    private var threadList: GlibcThreadList??
    private var threadPointers: [pid_t: UInt64] = [:]
    /// When the thread list was last walked (monotonic ns): a thread it lacks is looked for again at most this often.
    private var threadListReadAt: Int64 = 0
    private static let threadListRefreshInterval: Int64 = 10_000_000
    /// What the last read of each thread (by thread pointer) found: where its record was, the record's bytes and
    /// their labels. The next read of the thread reads the record there in the same call as the TLS pointer, so a
    /// thread still in the span it was in costs one `process_vm_readv` and no strings.
    private var lastRecords: [UInt64: LastRecord] = [:]
    /// Threads remembered at most: exited threads' entries are dropped all at once past it.
    private static let maximumLastRecords = 4_096
    /// For records the kernel program read (``spanLabels(kernelEntry:)``), the labels of each record by its address,
    /// up to ``maximumLastRecords`` (then forgotten all at once).
    private var kernelRecords: [UInt64: LastRecord] = [:]
    private struct LastRecord {
        var address: UInt64
        var bytes: [UInt8]
        var labels: SpanLabels
    }
    /// One call's reads, in its order: the `struct pthread`'s tid, the TLS pointer, the record, the TLS pointer again.
    private let scratch: UnsafeMutableRawBufferPointer
    private enum Scratch {
        static let tid = 0
        static let pointer = 8
        static let record = 16
        static let pointerAfter = record + ThreadContextRecord.headerSize + ThreadContextRecord.maximumAttributesSize
    }
    private let remoteRanges: UnsafeMutableBufferPointer<iovec>
    private let localRanges: UnsafeMutableBufferPointer<iovec>
    /// For ``gatherNearby(tidAddress:pointerAddress:last:)``: the tid, the TLS pointer and the last record when they
    /// lie this close together, as in static TLS with the records in TLS too (our writer's: 16 levels of 288 bytes
    /// in the same block as the pointer; the `struct pthread` right above the thread pointer).
    private static let nearbyWindow = 8_192
    private let nearby: UnsafeMutableRawBufferPointer

    /// Where samples whose span could not be read are counted.
    private let failures: SpanReadFailureCounter

    /// The reader of process `pid` whose code is `modules`, or `nil` when no module exports `otel_thread_ctx_v1`.
    /// - Parameter keyMapSearchSpacing: nanoseconds between two reads of a key map not found yet (``refreshKeyMap()``).
    public init?(pid: pid_t, modules: ModuleMap, executablePath: String?, failures: SpanReadFailureCounter = SpanReadFailureCounter(),
                 keyMapSearchSpacing: Int64 = 2_000_000) {
        memory = RemoteMemory(pid: pid)
        self.keyMapSearchSpacing = keyMapSearchSpacing
        guard let location = ThreadContextLocation.find(in: modules, executablePath: executablePath, memory: memory) else {
            return nil
        }
        self.location = location
        self.modules = modules
        self.failures = failures
        let published = ProcessContextReader.attributeKeyMap(pid: pid, memory: memory)
        keyMap = published ?? []
        if published != nil { keyMapSearches = 0 }
        keyMapReadAt = Self.monotonicNow()
        // Allocated only once the reader is made: a failed initializer runs no `deinit`, and the 9 KB allocated before
        // the check for every process without the variable (a build's every cc1 and as) were never freed: 88 MB over a
        // 2,000-file build (BENCHMARKS.md, "Memory of a build").
        scratch = .allocate(byteCount: Scratch.pointerAfter + 8, alignment: 8)
        remoteRanges = .allocate(capacity: 5)
        localRanges = .allocate(capacity: 4)
        nearby = .allocate(byteCount: Self.nearbyWindow, alignment: 8)
    }

    deinit {
        scratch.deallocate()
        remoteRanges.deallocate()
        localRanges.deallocate()
        nearby.deallocate()
    }

    /// The span of the stopped thread whose thread pointer (`fs_base`) is `threadPointer`; `nil` when it has none
    /// or publishes something this reader refuses.
    public func spanLabels(threadPointer: UInt64) -> SpanLabels? {
        guard let pointerAddress = pointerAddress(threadPointer: threadPointer) else { return nil }
        return labels(thread: threadPointer, pointerAddress: pointerAddress, owner: nil)
    }

    /// Where the thread's TLS pointer is; `nil` (counted) when it cannot be found.
    private func pointerAddress(threadPointer: UInt64) -> UInt64? {
        guard let address = resolvedLocation()?.pointerAddress(threadPointer: threadPointer, memory: memory) else {
            failures.add(\.unlocatedVariables)
            return nil
        }
        return address
    }

    /// The span of the thread whose thread pointer is `thread` and whose TLS pointer is at `pointerAddress`; with
    /// `owner`, the `struct pthread`'s tid at `owner.address` is read along and must be `owner.tid` (perf events: a
    /// recycled struct or a reused tid is looked up again).
    ///
    /// The OTEP reads the pointer, then the record. Here one call reads the pointer, the record where the thread's
    /// last read found it, and the pointer again: if the pointer is there before and after, those bytes are the
    /// record (a writer swaps the pointer only to a finished record and rewrites a record only while the pointer is
    /// elsewhere), and bytes equal to the last read's give its labels. When the tid, the pointer and that record lie
    /// close together, the call reads them as one range instead (``gatherNearby(tidAddress:pointerAddress:last:)``),
    /// which only bytes equal to the last read's satisfy. Otherwise a second call reads the record
    /// at the new address, the fixed part and as many attribute bytes as can be there (one read of up to 668 bytes,
    /// split at a page end, costs the same as one of 28), again between two reads of the pointer; a pointer that
    /// moved meanwhile drops the sample rather than use a record that may be half rewritten.
    private func labels(thread: UInt64, pointerAddress: UInt64, owner: (tid: pid_t, address: UInt64)?) -> SpanLabels? {
        let last = lastRecords[thread]
        guard let first = last.flatMap({ gatherNearby(tidAddress: owner?.address, pointerAddress: pointerAddress, last: $0) })
                ?? gather(tidAddress: owner?.address, pointerAddress: pointerAddress, record: last?.address ?? 0,
                          length: last?.bytes.count ?? 0) else { return nil }
        if let owner, first.owner != owner.tid {
            threadPointers[owner.tid] = nil
            failures.add(\.unknownThreads)
            return nil
        }
        let record = first.pointer
        guard record != 0 else { return nil }
        if let last, record == last.address, first.pointerAfter == record || first.inOneRange {
            let bytes = UnsafeRawBufferPointer(rebasing: scratch[Scratch.record..<(Scratch.record + last.bytes.count)])
            if last.bytes.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) { return last.labels }
            // Rewritten in place: whole only if read between two reads of its pointer.
            if first.pointerAfter == record, let whole = Self.wholeRecord(in: bytes) { return accept(record, bytes: whole, thread: thread) }
        }
        guard record & 1 == 0 else {
            failures.add(\.refusedRecords)
            return nil
        }
        guard let second = gather(tidAddress: nil, pointerAddress: pointerAddress, record: record,
                                  length: ThreadContextRecord.headerSize + ThreadContextRecord.maximumAttributesSize)
        else { return nil }
        // A record that ends just before an unmapped page stops the call there: the pointer is then read on its own.
        guard second.pointer == record, (second.pointerAfter ?? memory.load(UInt64.self, at: pointerAddress)) == record else {
            failures.add(\.recordsChangedWhileRead)
            return nil
        }
        guard let whole = Self.wholeRecord(in: UnsafeRawBufferPointer(rebasing: scratch[Scratch.record..<(Scratch.record + second.recordBytes)]))
        else {
            failures.add(\.refusedRecords)
            return nil
        }
        return accept(record, bytes: whole, thread: thread)
    }

    /// The record at the start of `bytes`, its fixed part and the attributes its header announces; `nil` when `bytes`
    /// holds less.
    private static func wholeRecord(in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard bytes.count >= ThreadContextRecord.headerSize,
              let size = ThreadContextRecord.attributesSize(header: UnsafeRawBufferPointer(rebasing: bytes[0..<ThreadContextRecord.headerSize])),
              ThreadContextRecord.headerSize + size <= bytes.count
        else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[0..<(ThreadContextRecord.headerSize + size)])
    }

    /// The labels of the whole record `bytes` (fixed part and attributes) read at `address`, remembered for the
    /// thread's next read unless refused or naming a key the map lacks (it is decoded again once the map is read).
    private func accept(_ address: UInt64, bytes: UnsafeRawBufferPointer, thread: UInt64) -> SpanLabels? {
        accept(address, bytes: bytes) { Self.keep($0, at: thread, in: &lastRecords) }
    }

    /// Keeps `record` under `key`, forgetting all of `cache` at once past ``maximumLastRecords`` (exited threads'
    /// and replaced records' entries with them).
    private static func keep(_ record: LastRecord, at key: UInt64, in cache: inout [UInt64: LastRecord]) {
        if cache.count >= maximumLastRecords { cache.removeAll(keepingCapacity: true) }
        cache[key] = record
    }

    /// The same, `remember` keeping what is to be remembered, and where.
    private func accept(_ address: UInt64, bytes: UnsafeRawBufferPointer, remember: (LastRecord) -> Void) -> SpanLabels? {
        func decode() -> (labels: SpanLabels, unknownKey: Bool)? {
            ThreadContextRecord.labels(header: UnsafeRawBufferPointer(rebasing: bytes[0..<ThreadContextRecord.headerSize]),
                                       attributes: UnsafeRawBufferPointer(rebasing: bytes[ThreadContextRecord.headerSize...]), keyMap: keyMap)
        }
        guard var found = decode() else {
            failures.add(\.refusedRecords)
            return nil
        }
        // Refusal depends on the header alone: decoded again with a fresh map, the record is refused no more than before.
        if found.unknownKey, refreshKeyMap(), let again = decode() { found = again }
        if !found.unknownKey { remember(LastRecord(address: address, bytes: Array(bytes), labels: found.labels)) }
        return found.labels
    }

    /// What one ``gather(tidAddress:pointerAddress:record:length:)`` read.
    private struct Gathered {
        var owner: pid_t?
        /// The TLS pointer, read first.
        var pointer: UInt64
        /// How many bytes of the record were read, from its start.
        var recordBytes: Int
        /// The TLS pointer read after the record, `nil` when the call stopped before it.
        var pointerAfter: UInt64?
        /// Whether the tid, the pointer and the record were read as one range (no second read of the pointer).
        var inOneRange = false
    }

    /// One `process_vm_readv` of a single range holding the tid at `tidAddress` (when given), the TLS pointer and the
    /// `last` record, when they are within ``nearbyWindow`` bytes, copied into ``scratch`` as
    /// ``gather(tidAddress:pointerAddress:record:length:)`` places them; `nil` when they are farther apart or the range
    /// cannot be read (the caller then gathers them range by range).
    ///
    /// A range costs the kernel ~340 ns to pin (BENCHMARKS.md), so one instead of four is most of a read. The pointer
    /// is not read again after the record: the copy runs in address order within microseconds, and a record whose
    /// bytes equal the last read's is the span the pointer named unless, within that copy, the writer both rewrote
    /// it and swapped the pointer away and back (the case the bracketed read also cannot see). Any other bytes, or
    /// another pointer, go to the bracketed read.
    private func gatherNearby(tidAddress: UInt64?, pointerAddress: UInt64, last: LastRecord) -> Gathered? {
        let recordEnd = last.address.addingReportingOverflow(UInt64(last.bytes.count))
        guard !recordEnd.overflow else { return nil }
        let start = min(tidAddress ?? pointerAddress, pointerAddress, last.address)
        let end = max(tidAddress.map { $0 &+ 4 } ?? 0, pointerAddress &+ 8, recordEnd.partialValue)
        guard end &- start <= UInt64(Self.nearbyWindow), end > start else { return nil }
        let window = UnsafeMutableRawBufferPointer(rebasing: nearby[0..<Int(end - start)])
        // One range even across a page end: the static TLS block and the `struct pthread` are mapped together.
        remoteRanges[0] = iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(start)), iov_len: window.count)
        localRanges[0] = iovec(iov_base: window.baseAddress, iov_len: window.count)
        guard memory.read(UnsafeBufferPointer(rebasing: remoteRanges[0..<1]),
                          into: UnsafeBufferPointer(rebasing: localRanges[0..<1])) == window.count else { return nil }
        func copy(_ address: UInt64, _ count: Int, to offset: Int) {
            (scratch.baseAddress! + offset).copyMemory(from: window.baseAddress! + Int(address - start), byteCount: count)
        }
        if let tidAddress { copy(tidAddress, 4, to: Scratch.tid) }
        copy(pointerAddress, 8, to: Scratch.pointer)
        copy(last.address, last.bytes.count, to: Scratch.record)
        return Gathered(owner: tidAddress == nil ? nil : scratch.loadUnaligned(fromByteOffset: Scratch.tid, as: Int32.self),
                        pointer: scratch.loadUnaligned(fromByteOffset: Scratch.pointer, as: UInt64.self),
                        recordBytes: last.bytes.count, pointerAfter: nil, inOneRange: true)
    }

    /// One `process_vm_readv` into ``scratch``: the tid at `tidAddress` (when given), the TLS pointer, `length` bytes
    /// at `record` split at a page end, the TLS pointer again (when `length` > 0). `nil` when the TLS pointer (or tid)
    /// cannot be read.
    private func gather(tidAddress: UInt64?, pointerAddress: UInt64, record: UInt64, length: Int) -> Gathered? {
        func range(_ address: UInt64, _ count: Int) -> iovec {
            iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(address)), iov_len: count)
        }
        func local(_ offset: Int, _ count: Int) -> iovec { iovec(iov_base: scratch.baseAddress! + offset, iov_len: count) }
        var remotes = 0
        var locals = 0
        if let tidAddress {
            remoteRanges[remotes] = range(tidAddress, 4)
            localRanges[locals] = local(Scratch.tid, 4)
            remotes += 1
            locals += 1
        }
        remoteRanges[remotes] = range(pointerAddress, 8)
        localRanges[locals] = local(Scratch.pointer, 8)
        remotes += 1
        locals += 1
        let prefix = (tidAddress == nil ? 0 : 4) + 8
        if length > 0 {
            let pageEnd = (record & ~4095) &+ 4096
            let firstPage = pageEnd == 0 || pageEnd &- record >= UInt64(length) ? length : Int(pageEnd &- record)
            remoteRanges[remotes] = range(record, firstPage)
            remotes += 1
            if firstPage < length {
                remoteRanges[remotes] = range(pageEnd, length - firstPage)
                remotes += 1
            }
            localRanges[locals] = local(Scratch.record, length)
            remoteRanges[remotes] = range(pointerAddress, 8)
            localRanges[locals + 1] = local(Scratch.pointerAfter, 8)
            remotes += 1
            locals += 2
        }
        let copied = memory.read(UnsafeBufferPointer(rebasing: remoteRanges[0..<remotes]),
                                 into: UnsafeBufferPointer(rebasing: localRanges[0..<locals]))
        guard copied >= prefix else { return nil }
        return Gathered(
            owner: tidAddress == nil ? nil : scratch.loadUnaligned(fromByteOffset: Scratch.tid, as: Int32.self),
            pointer: scratch.loadUnaligned(fromByteOffset: Scratch.pointer, as: UInt64.self),
            recordBytes: min(copied - prefix, length),
            pointerAfter: copied == prefix + length + 8 && length > 0 ? scratch.loadUnaligned(fromByteOffset: Scratch.pointerAfter, as: UInt64.self) : nil)
    }

    /// The location with a TLSDESC descriptor resolved, read once per call (``ThreadContextLocation/resolved(memory:)``);
    /// `nil` when the descriptor cannot be read. A block glibc made static stays static: the descriptor is then not
    /// read again.
    private func resolvedLocation() -> ThreadContextLocation? {
        guard case .descriptor = location else { return location }
        let resolved = location.resolved(memory: memory)
        if case .threadPointerOffset? = resolved { location = resolved! }
        return resolved
    }

    /// Where the kernel program (Sampling's `KernelSpanReader`) finds every thread's TLS pointer, from the thread
    /// pointer it reads in the sample's interrupt; `nil` while a TLSDESC descriptor is not resolved yet.
    public var kernelLocation: hr_span_location? {
        switch resolvedLocation() {
        case .threadPointerOffset(let offset)?:
            return hr_span_location(kind: UInt64(HR_SPAN_LOCATION_STATIC), offset: offset, module: 0)
        case let .module(id, offset)?:
            return hr_span_location(kind: UInt64(HR_SPAN_LOCATION_MODULE), offset: Int64(bitPattern: offset), module: id)
        case .descriptor?, nil:
            return nil
        }
    }

    /// The span in `entry`, what the kernel program read in the interrupt of a sample of one of this process's
    /// threads: the OTEP's rule kept, the thread stopped in its interrupt. Failures are counted as for the reads above.
    public func spanLabels(kernelEntry entry: UnsafePointer<hr_span_entry>) -> SpanLabels? {
        switch Int32(entry.pointee.status) {
        case HR_SPAN_READ:
            break
        case HR_SPAN_UNLOCATED:
            failures.add(\.unlocatedVariables)
            return nil
        default:
            failures.add(\.refusedRecords)
            return nil
        }
        let record = UnsafeRawBufferPointer(start: UnsafeRawPointer(entry) + MemoryLayout<hr_span_entry>.offset(of: \.record)!,
                                            count: MemoryLayout.size(ofValue: entry.pointee.record))
        guard let whole = Self.wholeRecord(in: record) else {
            failures.add(\.refusedRecords)
            return nil
        }
        // Keyed by the record's address: a thread going back and forth between spans finds each record's labels.
        let address = entry.pointee.record_address
        if let known = kernelRecords[address], known.bytes.count == whole.count,
           known.bytes.withUnsafeBytes({ memcmp($0.baseAddress!, whole.baseAddress!, whole.count) == 0 }) {
            return known.labels
        }
        return accept(address, bytes: whole) { Self.keep($0, at: address, in: &kernelRecords) }
    }

    /// The span of thread `tid`, whose thread pointer is learnt from glibc's thread list (``GlibcThreadList``) for
    /// a sampler that has no registers of it (perf events). The caller reads as soon as it can after the sample;
    /// the thread may run meanwhile (see ARCHITECTURE.md, "Thread context: the reader").
    public func spanLabels(tid: pid_t) -> SpanLabels? {
        if threadList == nil { threadList = .some(GlibcThreadList(modules: modules, memory: memory)) }
        guard let list = threadList ?? nil else {
            failures.add(\.unknownThreads)
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
            failures.add(\.unknownThreads)
            return nil
        }
        guard let address = pointerAddress(threadPointer: pointer) else { return nil }
        return labels(thread: pointer, pointerAddress: address, owner: (tid, list.tidAddress(of: pointer)))
    }

    /// The OTEP: an unknown key index means the map grew; it is read again, and `true` when a map was read.
    ///
    /// Rate-limited, since a writer may also just use indexes it never published (each read parses the process's
    /// `/proc/PID/maps`), but less so until a map is first found: a reader is made at its process's first sample, often
    /// before the program has published its process context (`main` does it), and its first spans lost their names
    /// for up to the whole 200 ms (7 % of a 2 s run's samples at 250 Hz on a loaded machine, `SpanAttributionTests`).
    /// Until then it is read at most every ``keyMapSearchSpacing`` (a pass applies a burst of samples: spaced, the
    /// searches cover at least 128 ms, not one burst), 64 times, then every 200 ms.
    private func refreshKeyMap() -> Bool {
        let now = Self.monotonicNow()
        let interval = keyMapSearches > 0 ? keyMapSearchSpacing : Self.keyMapRefreshInterval
        guard now - keyMapReadAt >= interval else { return false }
        keyMapSearches = max(0, keyMapSearches - 1)
        keyMapReadAt = now
        guard let fresh = ProcessContextReader.attributeKeyMap(pid: memory.pid, memory: memory) else { return false }
        keyMapSearches = 0
        keyMap = fresh
        return true
    }

    private static func monotonicNow() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
