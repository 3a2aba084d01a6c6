/// Reads the client side of an HTTP/2 connection (RFC 9113) as it passes by, for the gRPC messages in its
/// DATA frames: each is a 1-byte compressed flag, a 4-byte big-endian length and the message
/// (gRPC over HTTP/2, "Length-Prefixed-Message").
///
/// Header blocks are not decoded (HPACK needs the whole connection's state, and the relay only carries
/// the trace service's calls). Like ``HTTP1RequestParser`` it only watches: what it cannot follow it stops
/// watching, and the bytes are relayed regardless.
struct GRPCStreamParser {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private var buffer: [UInt8] = []
    private var prefaceRead = false
    private var streams: [UInt32: [UInt8]] = [:]
    /// Streams whose message is over the limit: their DATA is relayed, not kept.
    private var skipped: Set<UInt32> = []
    private(set) var isStopped = false
    let messageLimit: Int

    init(messageLimit: Int) {
        self.messageLimit = messageLimit
    }

    mutating func consume(_ bytes: some Collection<UInt8>) -> [OTLPBody] {
        guard !isStopped else { return [] }
        buffer.append(contentsOf: bytes)
        var offset = 0
        if !prefaceRead {
            guard buffer.count >= Self.preface.count else { return [] }
            guard buffer.starts(with: Self.preface) else {
                stop()
                return []
            }
            prefaceRead = true
            offset = Self.preface.count
        }
        var messages: [OTLPBody] = []
        while buffer.count - offset >= 9 {
            let length = Int(buffer[offset]) << 16 | Int(buffer[offset + 1]) << 8 | Int(buffer[offset + 2])
            guard buffer.count - offset >= 9 + length else { break }
            let type = buffer[offset + 3], flags = buffer[offset + 4]
            let stream = UInt32(buffer[offset + 5] & 0x7f) << 24 | UInt32(buffer[offset + 6]) << 16 | UInt32(buffer[offset + 7]) << 8 | UInt32(buffer[offset + 8])
            var payload = (offset + 9)..<(offset + 9 + length)
            offset += 9 + length
            switch type {
            case 0x0:  // DATA
                if flags & 0x8 != 0 {  // PADDED: a pad length byte, then the data, then the padding
                    guard !payload.isEmpty, Int(buffer[payload.lowerBound]) < payload.count else {
                        stop()
                        return messages
                    }
                    payload = (payload.lowerBound + 1)..<(payload.upperBound - Int(buffer[payload.lowerBound]))
                }
                if !skipped.contains(stream) {
                    streams[stream, default: []].append(contentsOf: buffer[payload])
                    messages += takeMessages(stream)
                }
                if flags & 0x1 != 0 { endStream(stream) }  // END_STREAM
            case 0x1:  // HEADERS: a trailing one ends the stream
                if flags & 0x1 != 0 { endStream(stream) }
            case 0x3:  // RST_STREAM
                endStream(stream)
            default:
                break
            }
        }
        buffer.removeFirst(offset)
        return messages
    }

    private mutating func takeMessages(_ stream: UInt32) -> [OTLPBody] {
        var messages: [OTLPBody] = []
        guard var data = streams[stream] else { return [] }
        var offset = 0
        while data.count - offset >= 5 {
            let length = Int(data[offset + 1]) << 24 | Int(data[offset + 2]) << 16 | Int(data[offset + 3]) << 8 | Int(data[offset + 4])
            guard length <= messageLimit else {
                skipped.insert(stream)
                streams[stream] = nil
                return messages
            }
            guard data.count - offset >= 5 + length else { break }
            messages.append(OTLPBody(encoding: .grpc(compressed: data[offset] == 1), bytes: Array(data[(offset + 5)..<(offset + 5 + length)])))
            offset += 5 + length
        }
        data.removeFirst(offset)
        streams[stream] = data
        return messages
    }

    private mutating func endStream(_ stream: UInt32) {
        streams[stream] = nil
        skipped.remove(stream)
    }

    private mutating func stop() {
        isStopped = true
        buffer = []
        streams = [:]
    }
}
