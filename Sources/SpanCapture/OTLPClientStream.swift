/// What a child sends on one relayed connection, watched for export requests: OTLP/gRPC (HTTP/2 with prior
/// knowledge, told by its connection preface) or OTLP/HTTP (HTTP/1.1, told by a request line).
struct OTLPClientStream {
    enum Kind {
        case undecided
        case grpc(GRPCStreamParser)
        case http(HTTP1RequestParser)
        /// Neither (TLS, another protocol): relayed, not watched.
        case unknown
    }

    private(set) var kind = Kind.undecided
    private var start: [UInt8] = []
    let bodyLimit: Int

    init(bodyLimit: Int) {
        self.bodyLimit = bodyLimit
    }

    /// Whether bytes starting so are HTTP/2's preface (`nil`: too few to tell).
    static func isHTTP2(_ first: some Collection<UInt8>) -> Bool? {
        let preface = GRPCStreamParser.preface
        let known = min(first.count, preface.count)
        guard first.prefix(known).elementsEqual(preface.prefix(known)) else { return false }
        return known == preface.count ? true : nil
    }

    mutating func consume(_ bytes: some Collection<UInt8>) -> [OTLPBody] {
        switch kind {
        case .grpc(var parser):
            let bodies = parser.consume(bytes)
            kind = .grpc(parser)
            return bodies
        case .http(var parser):
            let bodies = parser.consume(bytes)
            kind = .http(parser)
            return bodies
        case .unknown:
            return []
        case .undecided:
            start.append(contentsOf: bytes)
            switch Self.isHTTP2(start) {
            case true?:
                kind = .grpc(GRPCStreamParser(messageLimit: bodyLimit))
            case false?:
                // A request line begins with a method token (RFC 9110: uppercase letters for the registered ones).
                let method = start.prefix { $0 != 0x20 }
                guard method.count < start.count || start.count > 16 else { return [] }
                kind = !method.isEmpty && method.count <= 16 && method.allSatisfy({ (0x41...0x5a).contains($0) }) && method.count < start.count
                    ? .http(HTTP1RequestParser(bodyLimit: bodyLimit)) : .unknown
            case nil:
                return []
            }
            let pending = start
            start = []
            return consume(pending)
        }
    }
}
