@testable import SpanCapture
import Testing

/// HTTP/2 frames written per RFC 9113 section 4.1 (length 24, type 8, flags 8, R + stream id 31), carrying
/// gRPC length-prefixed messages.
@Suite struct GRPCStreamParserTests {
    static func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        [UInt8(payload.count >> 16 & 0xff), UInt8(payload.count >> 8 & 0xff), UInt8(payload.count & 0xff), type, flags,
         UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
    }

    static func message(_ text: String, compressed: Bool = false) -> [UInt8] {
        let bytes = Array(text.utf8)
        return [compressed ? 1 : 0, 0, 0, 0, UInt8(bytes.count)] + bytes
    }

    static let settings = frame(type: 0x4, stream: 0, [0, 3, 0, 0, 0, 100])
    static let headers = frame(type: 0x1, flags: 0x4, stream: 1, [0x83, 0x86])

    @Test(arguments: [1, 2, 9, 4096])
    func readsMessagesSplitAcrossDataFramesAndReads(size: Int) {
        let first = Self.message("first export")
        let second = Self.message("second", compressed: true)
        let stream = GRPCStreamParser.preface + Self.settings + Self.headers
            + Self.frame(type: 0x0, stream: 1, Array(first.prefix(7)))
            + Self.frame(type: 0x0, flags: 0x8, stream: 1, [2] + Array(first.dropFirst(7)) + [0, 0])  // padded
            + Self.frame(type: 0x1, flags: 0x4, stream: 3, [0x83])
            + Self.frame(type: 0x0, flags: 0x1, stream: 3, second)
        var parser = GRPCStreamParser(messageLimit: 1 << 20)
        let messages = stride(from: 0, to: stream.count, by: size).flatMap { parser.consume(stream[$0..<min($0 + size, stream.count)]) }
        #expect(messages == [
            OTLPBody(encoding: .grpc(compressed: false), bytes: Array("first export".utf8)),
            OTLPBody(encoding: .grpc(compressed: true), bytes: Array("second".utf8)),
        ])
    }

    @Test func aStreamResetMidMessageLeavesNothingBehind() {
        var parser = GRPCStreamParser(messageLimit: 1 << 20)
        let partial = Array(Self.message("never finished").prefix(8))
        #expect(parser.consume(GRPCStreamParser.preface + Self.frame(type: 0x0, stream: 1, partial) + Self.frame(type: 0x3, stream: 1, [0, 0, 0, 8])).isEmpty)
        #expect(parser.consume(Self.frame(type: 0x0, stream: 1, Self.message("next"))) == [OTLPBody(encoding: .grpc(compressed: false), bytes: Array("next".utf8))])
    }

    @Test func aMessageOverTheLimitIsSkipped() {
        var parser = GRPCStreamParser(messageLimit: 4)
        let messages = parser.consume(GRPCStreamParser.preface + Self.frame(type: 0x0, flags: 0x1, stream: 1, Self.message("too long"))
                                      + Self.frame(type: 0x0, stream: 3, Self.message("ok")))
        #expect(messages.map(\.bytes) == [Array("ok".utf8)])
    }

    @Test func notHTTP2IsNotWatched() {
        var parser = GRPCStreamParser(messageLimit: 1 << 20)
        #expect(parser.consume(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)).isEmpty)
        #expect(parser.isStopped)
    }

    @Test func tellsTheProtocolFromTheFirstBytes() {
        #expect(OTLPClientStream.isHTTP2(GRPCStreamParser.preface) == true)
        #expect(OTLPClientStream.isHTTP2(GRPCStreamParser.preface.prefix(5)) == nil)
        #expect(OTLPClientStream.isHTTP2(Array("POST /v1/traces".utf8)) == false)
    }
}
