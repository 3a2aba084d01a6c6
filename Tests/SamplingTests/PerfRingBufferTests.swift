import _CProcessShims
import Foundation
import Glibc
@testable import Sampling
import Testing

/// A ring buffer over a file mapped the way perf's is (a metadata page, then the data pages), with this test
/// in the kernel's place: it writes records and publishes `data_head`.
@Suite struct PerfRingBufferTests {
    private static let page = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// The buffer under test and the test's own view of the same pages.
    private final class Buffer {
        let ring: PerfRingBuffer
        let shared: UnsafeMutableRawPointer

        init(tail: UInt64 = 0) throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("perf-ring-\(UUID().uuidString)").path
            let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            try #require(descriptor >= 0)
            unlink(path)
            try #require(ftruncate(descriptor, off_t(2 * PerfRingBufferTests.page)) == 0)
            let mapped = mmap(nil, 2 * PerfRingBufferTests.page, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
            try #require(mapped != MAP_FAILED)
            shared = try #require(mapped)
            shared.storeBytes(of: tail, toByteOffset: MemoryLayout<perf_event_mmap_page>.offset(of: \.data_tail)!, as: UInt64.self)
            ring = try #require(PerfRingBuffer(descriptor: descriptor, dataPages: 1))
        }

        deinit { munmap(shared, 2 * PerfRingBufferTests.page) }

        /// Writes a record header (`type`, stated `size`) and `size - 8` bytes of `fill` at stream position `at`, wrapping.
        func write(at position: Int, type: UInt32 = 99, size: UInt16, fill: UInt8 = 0xab) {
            var bytes: [UInt8] = []
            withUnsafeBytes(of: type) { bytes += $0 }
            bytes += [0, 0]
            withUnsafeBytes(of: size) { bytes += $0 }
            bytes += [UInt8](repeating: fill, count: max(Int(size) - 8, 0))
            for (index, byte) in bytes.enumerated() {
                shared.storeBytes(of: byte, toByteOffset: PerfRingBufferTests.page + (position + index) % PerfRingBufferTests.page, as: UInt8.self)
            }
        }

        func publish(head: UInt64) {
            shared.storeBytes(of: head, toByteOffset: MemoryLayout<perf_event_mmap_page>.offset(of: \.data_head)!, as: UInt64.self)
            ring.refresh()
        }

        var tail: UInt64 {
            shared.load(fromByteOffset: MemoryLayout<perf_event_mmap_page>.offset(of: \.data_tail)!, as: UInt64.self)
        }

        /// Type and size of the next record, consumed.
        func next() -> (type: UInt32, count: Int)? {
            guard let record = ring.peek() else { return nil }
            defer { ring.consume(record) }
            return (record.loadUnaligned(as: UInt32.self), record.count)
        }
    }

    @Test func readsARecordThatWrapsAroundTheEndWhole() throws {
        let start = UInt64(Self.page - 16)
        let buffer = try Buffer(tail: start)
        buffer.write(at: Self.page - 16, type: 7, size: 48, fill: 0x5a)
        buffer.publish(head: start + 48)
        let record = try #require(buffer.ring.peek())
        #expect(record.count == 48)
        #expect(record.dropFirst(8).allSatisfy { $0 == 0x5a })
        buffer.ring.consume(record)
        #expect(buffer.tail == start + 48)
    }

    /// What `garbage` leaves up to `head` cannot be a record: nothing is read of it, and the record the kernel
    /// writes next is read whole.
    private func expectDropped(tail: UInt64 = 0, head: UInt64, _ garbage: (Buffer) -> Void = { _ in }) throws {
        let buffer = try Buffer(tail: tail)
        garbage(buffer)
        buffer.publish(head: head)
        #expect(buffer.next() == nil)
        buffer.write(at: Int(head), type: 3, size: 24)
        buffer.publish(head: head + 24)
        let next = try #require(buffer.next())
        #expect(next == (3, 24))
        #expect(buffer.next() == nil)
    }

    @Test func dropsWhatCannotBeARecordAndReadsOnAfterIt() throws {
        try expectDropped(head: 16) { $0.write(at: 0, size: 0) }
    }

    @Test func dropsARecordLongerThanWhatIsPublished() throws {
        try expectDropped(head: 16) { $0.write(at: 0, size: 64) }
    }

    @Test func aHeadBehindTheTailIsNotData() throws {
        try expectDropped(tail: 64, head: 32)
    }
}
