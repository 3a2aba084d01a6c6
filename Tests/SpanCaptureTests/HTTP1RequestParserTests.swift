@testable import SpanCapture
import Testing

@Suite struct HTTP1RequestParserTests {
    static func request(_ body: String, headers: [String] = []) -> [UInt8] {
        Array((["POST /v1/traces HTTP/1.1", "Host: collector:4318", "Content-Type: application/x-protobuf"] + headers + ["", body]).joined(separator: "\r\n").utf8)
    }

    /// Feeds `bytes` in pieces of `size` (every boundary a network read could have).
    static func parse(_ bytes: [UInt8], in size: Int, limit: Int = 1 << 20) -> [OTLPBody] {
        var parser = HTTP1RequestParser(bodyLimit: limit)
        return stride(from: 0, to: bytes.count, by: size).flatMap { parser.consume(bytes[$0..<min($0 + size, bytes.count)]) }
    }

    @Test(arguments: [1, 3, 7, 4096])
    func readsContentLengthBodiesOfPipelinedRequests(size: Int) {
        let stream = Self.request("hello", headers: ["Content-Length: 5"])
            + Self.request("world!", headers: ["content-length: 6", "Content-Encoding: gzip"])
        #expect(Self.parse(stream, in: size) == [
            OTLPBody(encoding: .http(contentType: "application/x-protobuf", contentEncoding: ""), bytes: Array("hello".utf8)),
            OTLPBody(encoding: .http(contentType: "application/x-protobuf", contentEncoding: "gzip"), bytes: Array("world!".utf8)),
        ])
    }

    @Test(arguments: [1, 5, 4096])
    func readsChunkedBodies(size: Int) {
        let stream = Self.request("4;ext=1\r\nhell\r\n1\r\no\r\n0\r\nX-Trailer: y\r\n\r\n", headers: ["Transfer-Encoding: chunked"])
            + Self.request("3\r\nabc\r\n0\r\n\r\n", headers: ["Transfer-Encoding: chunked"])
        #expect(Self.parse(stream, in: size).map { String(decoding: $0.bytes, as: UTF8.self) } == ["hello", "abc"])
    }

    @Test func aBodyOverTheLimitIsNotKeptButTheNextOneIs() {
        let stream = Self.request("0123456789", headers: ["Content-Length: 10"]) + Self.request("ok", headers: ["Content-Length: 2"])
        #expect(Self.parse(stream, in: 4, limit: 5).map(\.bytes) == [Array("ok".utf8)])
    }

    @Test func stopsWatchingWhatItCannotFollow() {
        var parser = HTTP1RequestParser(bodyLimit: 1 << 20)
        #expect(parser.consume(Array("POST / HTTP/1.1\r\nContent-Length: lots\r\n\r\nbody".utf8)).isEmpty)
        #expect(parser.isStopped)
        var huge = HTTP1RequestParser(bodyLimit: 1 << 20)
        #expect(huge.consume([UInt8](repeating: 0x41, count: HTTP1RequestParser.headLimit + 10)).isEmpty)
        #expect(huge.isStopped)
    }
}
