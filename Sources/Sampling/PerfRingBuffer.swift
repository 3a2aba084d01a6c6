import _CProcessShims
import Glibc

/// One CPU's perf ring buffer: the kernel appends records at `data_head`, we consume them and publish
/// `data_tail`, and the kernel drops (and later reports as lost) what does not fit.
///
/// Records are read in place; only a record that wraps around the end of the buffer is copied, into a
/// scratch area, so a reader sees every record as one contiguous span.
final class PerfRingBuffer {
    let descriptor: Int32
    private let mapping: UnsafeMutableRawPointer
    private let mappingLength: Int
    private let data: UnsafeMutableRawPointer
    private let dataSize: UInt64
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
    /// The position of the next record to read, and the head as of the last ``refresh()``.
    private var position: UInt64 = 0
    private var head: UInt64 = 0

    /// Maps `dataPages` pages (a power of two) of `descriptor`'s buffer after its metadata page.
    init?(descriptor: Int32, dataPages: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        mappingLength = (dataPages + 1) * page
        guard let base = mmap(nil, mappingLength, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0),
              base != MAP_FAILED
        else {
            // The caller reads why from errno, which freeing must not change.
            let error = errno
            scratch.deallocate()
            errno = error
            return nil
        }
        self.descriptor = descriptor
        mapping = base
        data = base + page
        dataSize = UInt64(dataPages * page)
        position = UInt64(metadata.pointee.data_tail)
    }

    deinit {
        munmap(mapping, mappingLength)
        close(descriptor)
        scratch.deallocate()
    }

    private var metadata: UnsafeMutablePointer<perf_event_mmap_page> {
        mapping.assumingMemoryBound(to: perf_event_mmap_page.self)
    }

    /// The bytes of records the buffer holds.
    var capacity: Int { Int(dataSize) }

    /// Takes in what the kernel has written since the last refresh.
    func refresh() { head = hr_perf_read_head(metadata) }

    /// The next record (header included) without consuming it, or `nil` when all read up to the refreshed head.
    ///
    /// The kernel publishes a head only after the records before it are whole, and never more than a
    /// buffer ahead of the tail, so a head behind the tail, a record smaller than its header or one that
    /// runs past the head cannot be a record: what is buffered is then dropped, as unreadable, rather
    /// than read as garbage or waited on for ever.
    func peek() -> UnsafeRawBufferPointer? {
        guard let record = record(at: position) else {
            if head != position { skipToHead() }
            return nil
        }
        return record
    }

    /// Shows `body` each record after `mark` (a position earlier calls returned; the read position if behind it)
    /// up to the refreshed head, without consuming any; returns the position to pass next time. For reading
    /// what must be read as soon as the sample is seen, before records are applied in time order.
    func visit(after mark: UInt64, _ body: (UnsafeRawBufferPointer) -> Void) -> UInt64 {
        var cursor = mark &- position > dataSize ? position : mark
        while let record = record(at: cursor) {
            body(record)
            cursor &+= UInt64(record.count)
        }
        return cursor
    }

    /// The whole record at `cursor`, or `nil` at the head or where what lies there cannot be a record.
    private func record(at cursor: UInt64) -> UnsafeRawBufferPointer? {
        let available = head &- cursor
        guard available >= UInt64(MemoryLayout<perf_event_header>.size) else { return nil }
        let offset = Int(cursor % dataSize)
        let sizeOffset = MemoryLayout<perf_event_header>.offset(of: \.size)!
        let size = Int(byte(at: offset + sizeOffset)) | Int(byte(at: offset + sizeOffset + 1)) << 8
        guard available <= dataSize, size >= MemoryLayout<perf_event_header>.size, UInt64(size) <= available else {
            return nil
        }
        if offset + size <= Int(dataSize) {
            return UnsafeRawBufferPointer(start: data + offset, count: size)
        }
        // `size` is a 16-bit field, so a wrapped record always fits the 64 KiB scratch area.
        let first = Int(dataSize) - offset
        scratch.baseAddress!.copyMemory(from: data + offset, byteCount: first)
        (scratch.baseAddress! + first).copyMemory(from: data, byteCount: size - first)
        return UnsafeRawBufferPointer(start: scratch.baseAddress, count: size)
    }

    /// Starts loading what the reader reads first of the record after `record` (the one ``peek()`` returned), if the
    /// buffer holds as much after `record` as `record` takes, assuming the next has `record`'s size, as the samples of
    /// a run have: its first ``prefetchedLead`` bytes (header, fields, registers, then the stack copy from the stack
    /// pointer up, where the unwinder reads) and its last word (the stack copy's valid size, 32 KiB further on). The
    /// kernel wrote them on another CPU, in pages the reader has not touched since the buffer last went round: read
    /// cold, the last word was 71 % of `PerfRecord.fillSnapshot`, 5–8 % of the reader at 1 kHz; loaded while `record`
    /// is applied, they are at hand when the next one is (BENCHMARKS.md, "The reader's cadence").
    func prefetch(after record: UnsafeRawBufferPointer) {
        let next = position &+ UInt64(record.count)
        guard head &- next >= UInt64(record.count) else { return }
        for line in stride(from: 0, to: Self.prefetchedLead, by: 64) { hr_prefetch(data + Int((next &+ UInt64(line)) % dataSize)) }
        hr_prefetch(data + Int((next &+ UInt64(record.count - 8)) % dataSize))
    }

    /// The bytes of a sample ``prefetch(after:)`` loads from its start: 184 of header, fields and registers, then the
    /// stack words the unwinder reads first (30 frames of `workload deep 25` span about 1.2 KiB). 320 bytes left the
    /// unwinder 21 % of the reader, 2 KiB 16 % (BENCHMARKS.md).
    private static let prefetchedLead = 2048

    /// Moves past the record `peek` returned and lets the kernel reuse its space.
    func consume(_ record: UnsafeRawBufferPointer) {
        position += UInt64(record.count)
        hr_perf_write_tail(metadata, position)
    }

    private func skipToHead() {
        position = head
        hr_perf_write_tail(metadata, position)
    }

    private func byte(at offset: Int) -> UInt8 {
        data.load(fromByteOffset: offset % Int(dataSize), as: UInt8.self)
    }
}
