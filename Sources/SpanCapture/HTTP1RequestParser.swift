import SafeText

/// Reads the requests of an HTTP/1.1 client stream (RFC 9112) as they pass by, for their bodies: the head up
/// to the empty line, then `Content-Length` bytes or `chunked` transfer coding.
///
/// It only watches: the bytes are relayed whatever it makes of them. Something it cannot follow (a head
/// over 64 KiB, a bad length) stops the watching for the rest of the connection, never the relaying.
struct HTTP1RequestParser {
    private enum State {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkEnd
        case trailer
        case stopped
    }

    private var state = State.head
    private var buffer: [UInt8] = []
    private var body: [UInt8] = []
    private var bodyTooLarge = false
    private var contentType = ""
    private var contentEncoding = ""
    /// The largest body kept; larger ones are relayed but not kept.
    let bodyLimit: Int

    static let headLimit = 64 * 1024

    init(bodyLimit: Int) {
        self.bodyLimit = bodyLimit
    }

    var isStopped: Bool {
        if case .stopped = state { return true }
        return false
    }

    mutating func consume(_ bytes: some Collection<UInt8>) -> [OTLPBody] {
        guard !isStopped else { return [] }
        buffer.append(contentsOf: bytes)
        var bodies: [OTLPBody] = []
        var offset = 0
        loop: while true {
            switch state {
            case .head:
                guard let end = find([13, 10, 13, 10], from: offset) else {
                    if buffer.count - offset > Self.headLimit { state = .stopped }
                    break loop
                }
                let head = String(decoding: buffer[offset..<end], as: UTF8.self)
                offset = end + 4
                guard let next = startBody(head) else {
                    state = .stopped
                    break loop
                }
                state = next
                if case .body(remaining: 0) = next { finishBody(into: &bodies) }
            case .body(let remaining):
                let left = keepBody(remaining, from: &offset)
                guard left == 0 else {
                    state = .body(remaining: left)
                    break loop
                }
                finishBody(into: &bodies)
            case .chunkSize:
                guard let end = find([13, 10], from: offset) else {
                    if buffer.count - offset > 1024 { state = .stopped }
                    break loop
                }
                let line = String(decoding: buffer[offset..<end], as: UTF8.self)
                offset = end + 2
                let digits = line.split(separator: ";", maxSplits: 1).first.map { $0.trimmingWhitespace() } ?? ""
                guard let size = Int(digits, radix: 16), size >= 0 else {
                    state = .stopped
                    break loop
                }
                state = size == 0 ? .trailer : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let left = keepBody(remaining, from: &offset)
                guard left == 0 else {
                    state = .chunkData(remaining: left)
                    break loop
                }
                state = .chunkEnd
            case .chunkEnd:
                guard buffer.count - offset >= 2 else { break loop }
                offset += 2
                state = .chunkSize
            case .trailer:
                if buffer.count - offset >= 2, buffer[offset] == 13, buffer[offset + 1] == 10 {
                    offset += 2
                } else if let end = find([13, 10, 13, 10], from: offset) {
                    offset = end + 4
                } else {
                    break loop
                }
                finishBody(into: &bodies)
            case .stopped:
                break loop
            }
        }
        buffer.removeFirst(min(offset, buffer.count))
        if isStopped { buffer = [] }
        return bodies
    }

    /// The state after a request head, or `nil` when the head makes no sense.
    private mutating func startBody(_ head: String) -> State? {
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let requestLine = lines.first, requestLine.split(separator: " ").count == 3 else { return nil }
        var length = 0
        var chunked = false
        contentType = ""
        contentEncoding = ""
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...].trimmingWhitespace())
            switch name {
            case "content-length":
                guard let number = Int(value), number >= 0 else { return nil }
                length = number
            case "transfer-encoding": chunked = value.lowercased().hasSuffix("chunked")
            case "content-type": contentType = value
            case "content-encoding": contentEncoding = value
            default: break
            }
        }
        body = []
        bodyTooLarge = false
        return chunked ? .chunkSize : .body(remaining: length)
    }

    /// Keeps up to `remaining` body bytes of the buffer from `offset` on; returns how many are still to come.
    private mutating func keepBody(_ remaining: Int, from offset: inout Int) -> Int {
        let take = min(remaining, buffer.count - offset)
        keep(buffer[offset..<offset + take])
        offset += take
        return remaining - take
    }

    private mutating func keep(_ bytes: ArraySlice<UInt8>) {
        guard !bodyTooLarge else { return }
        if body.count + bytes.count > bodyLimit {
            bodyTooLarge = true
            body = []
        } else {
            body.append(contentsOf: bytes)
        }
    }

    private mutating func finishBody(into bodies: inout [OTLPBody]) {
        if !bodyTooLarge, !body.isEmpty {
            bodies.append(OTLPBody(encoding: .http(contentType: contentType, contentEncoding: contentEncoding), bytes: body))
        }
        body = []
        state = .head
    }

    private func find(_ pattern: [UInt8], from start: Int) -> Int? {
        guard buffer.count - start >= pattern.count else { return nil }
        var index = start
        while index <= buffer.count - pattern.count {
            if buffer[index] == pattern[0], buffer[index..<index + pattern.count].elementsEqual(pattern) { return index }
            index += 1
        }
        return nil
    }
}
