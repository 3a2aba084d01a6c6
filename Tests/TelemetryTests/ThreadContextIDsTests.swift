import Logging
@testable import Telemetry
import Testing

/// The ids a record holds, parsed from the strings swift-otel's metadata provider gives: the bytes a reader finds
/// are the bytes the hex spells, in order, and anything that is not W3C hex publishes nothing.
@Suite struct ThreadContextIDsTests {
    static func metadata(trace: String = "4bf92f3577b34da6a3ce929d0e0e4736", span: String = "00f067aa0ba902b7",
                         flags: String = "1") -> Logger.Metadata {
        ["trace_id": .string(trace), "span_id": .string(span), "trace_flags": .string(flags)]
    }

    static func bytes(_ words: UInt64...) -> [UInt8] {
        words.flatMap { word in withUnsafeBytes(of: word) { Array($0) } }
    }

    @Test func theRecordsBytesAreTheHexInOrder() throws {
        let ids = try #require(ThreadContextIDs(metadata: Self.metadata()))
        #expect(Self.bytes(ids.traceID.0, ids.traceID.1) == [0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
                                                               0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36])
        #expect(Self.bytes(ids.spanID) == [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7])
        #expect(ids.traceFlags == 1)
    }

    @Test func upperCaseHexIsTheSameID() throws {
        let upper = try #require(ThreadContextIDs(metadata: Self.metadata(trace: "4BF92F3577B34DA6A3CE929D0E0E4736", span: "00F067AA0BA902B7")))
        let lower = try #require(ThreadContextIDs(metadata: Self.metadata()))
        #expect(Self.bytes(upper.traceID.0, upper.traceID.1, upper.spanID) == Self.bytes(lower.traceID.0, lower.traceID.1, lower.spanID))
    }

    @Test(arguments: [
        metadata(trace: "4bf92f3577b34da6a3ce929d0e0e473g"),   // not a hex digit, last place
        metadata(trace: "g bf92f3577b34da6a3ce929d0e0e4736"),  // not a hex digit, first place, one too long
        metadata(trace: "4bf92f3577b34da6a3ce929d0e0e473"),    // one digit short
        metadata(span: "00f067aa0ba902b"),
        metadata(span: "00f067aa0ba902b7 "),
        metadata(span: "00f067aa-ba902b7"),
        metadata(flags: "256"),
        ["trace_id": .string("4bf92f3577b34da6a3ce929d0e0e4736")],
        [:],
    ])
    func anythingElsePublishesNothing(metadata: Logger.Metadata) {
        #expect(ThreadContextIDs(metadata: metadata) == nil)
    }
}
