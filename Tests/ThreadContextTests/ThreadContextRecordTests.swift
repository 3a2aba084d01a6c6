import Profiles
import Testing
@testable import ThreadContext

/// Records as OTEP 4947 lays them out, hand-made, including the ones a reader must refuse.
@Suite struct ThreadContextRecordTests {
    static let keyMap = ["http_route", "span_name"]

    /// trace id 0x0f…, span id 0xa5…, then `attributes` entries as (key, value).
    static func record(valid: UInt8 = 1, traceID: UInt8 = 0x0f, spanID: UInt8 = 0xa5, size: UInt16? = nil,
                       attributes: [(UInt8, String)] = []) -> (header: [UInt8], attributes: [UInt8]) {
        let data = attributes.flatMap { [$0.0, UInt8($0.1.utf8.count)] + Array($0.1.utf8) }
        let length = size ?? UInt16(data.count)
        let header = [UInt8](repeating: traceID, count: 16) + [UInt8](repeating: spanID, count: 8) + [valid, 1, UInt8(length & 0xff), UInt8(length >> 8)]
        return (header, data)
    }

    static func read(_ record: (header: [UInt8], attributes: [UInt8])) -> (labels: SpanLabels, unknownKey: Bool)? {
        record.header.withUnsafeBytes { header in
            guard let size = ThreadContextRecord.attributesSize(header: header) else { return nil }
            return record.attributes.withUnsafeBytes { attributes in
                ThreadContextRecord.labels(header: header, attributes: UnsafeRawBufferPointer(rebasing: attributes.prefix(size)), keyMap: keyMap)
            }
        }
    }

    @Test func aValidRecordGivesHexIdsAndTheSpanName() throws {
        let read = try #require(Self.read(Self.record(attributes: [(0, "/orders"), (1, "COPY orders")])))
        #expect(read.labels == SpanLabels(traceID: String(repeating: "0f", count: 16), spanID: String(repeating: "a5", count: 8), name: "COPY orders"))
        #expect(!read.unknownKey)
    }

    @Test(arguments: [UInt8(0), 2, 255]) func aRecordNotMarkedValidIsRefused(valid: UInt8) {
        #expect(Self.read(Self.record(valid: valid, attributes: [(1, "x")])) == nil)
    }

    @Test func attributesClaimingMoreThan640BytesAreRefused() {
        #expect(Self.read(Self.record(size: 641)) == nil)
        #expect(Self.read(Self.record(size: 0xffff)) == nil)
    }

    @Test func zeroIdsMeanNoActiveSpan() {
        #expect(Self.read(Self.record(traceID: 0)) == nil)
        #expect(Self.read(Self.record(spanID: 0)) == nil)
    }

    @Test func anUnknownKeyIndexIsIgnoredAndAsksForTheMapAgain() throws {
        let read = try #require(Self.read(Self.record(attributes: [(7, "?"), (1, "load")])))
        #expect(read.labels.name == "load")
        #expect(read.unknownKey)
    }

    @Test func theLastOccurrenceOfAKeyWins() throws {
        #expect(try #require(Self.read(Self.record(attributes: [(1, "old"), (1, "new")]))).labels.name == "new")
    }

    @Test func anEntryCutShortEndsTheAttributes() throws {
        var record = Self.record(attributes: [(1, "whole"), (1, "cut")])
        record.attributes.removeLast()
        let size = UInt16(record.attributes.count)
        record.header[26] = UInt8(size & 0xff)
        #expect(try #require(Self.read(record)).labels.name == "whole")
    }
}
