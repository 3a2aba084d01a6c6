import Foundation

/// The OTLP trace receiver stand-in (`scripts/standins/otlp_receiver.py`): gRPC and HTTP ingest, JSON queries.
///
/// ```swift
/// let receiver = try OTLPReceiver.shared
/// // run a program with OTEL_EXPORTER_OTLP_ENDPOINT = receiver.grpcEndpoint.absoluteString
/// let spans = try await receiver.waitForSpans(traceID: traceID, count: 2)
/// ```
/// The shared receiver (started by `scripts/test.sh`) keeps every span of the whole test run: always filter by
/// a trace id your test chose or learned.
public struct OTLPReceiver: Sendable {
    public let grpcEndpoint: URL
    public let httpEndpoint: URL
    public let queryURL: URL

    public struct Health: Sendable, Decodable {
        public var status: String
        public var spans: Int
        public var requests: Int
    }

    /// The receiver `scripts/test.sh` started (throws ``TestEnvironment/Missing`` outside it).
    public static var shared: OTLPReceiver {
        get throws {
            let environment = TestEnvironment.current
            return OTLPReceiver(
                grpcEndpoint: try environment.otlpGRPCEndpoint, httpEndpoint: try environment.otlpHTTPEndpoint,
                queryURL: try environment.otlpQueryURL)
        }
    }

    private init(grpcEndpoint: URL, httpEndpoint: URL, queryURL: URL) {
        self.grpcEndpoint = grpcEndpoint
        self.httpEndpoint = httpEndpoint
        self.queryURL = queryURL
    }

    public func health() async throws -> Health {
        try await HTTPQuery.get(Health.self, queryURL.appendingPathComponent("health"))
    }

    /// Every span received so far, optionally filtered (trace ids are compared in lowercase).
    public func spans(traceID: String? = nil, name: String? = nil, serviceName: String? = nil) async throws -> [ReceivedSpan] {
        var query: [(String, String)] = []
        if let traceID { query.append(("trace_id", traceID.lowercased())) }
        if let name { query.append(("name", name)) }
        if let serviceName { query.append(("service", serviceName)) }
        return try await HTTPQuery.get([ReceivedSpan].self, queryURL.appendingQuery(path: "spans", query))
    }

    /// One export request as the receiver got it.
    public struct Request: Sendable, Decodable {
        /// `"grpc"`, `"http/protobuf"` or `"http/json"`.
        public var transport: String
        public var spans: Int
        /// The trace ids of its spans, lowercase hex.
        public var traceIDs: [String]
        /// Its headers (gRPC metadata), names in lowercase, without transport and content headers.
        public var headers: [String: String]

        enum CodingKeys: String, CodingKey {
            case transport, spans, headers
            case traceIDs = "trace_ids"
        }
    }

    /// Every export request received so far, in arrival order.
    public func requests() async throws -> [Request] {
        try await HTTPQuery.get([Request].self, queryURL.appendingPathComponent("requests"))
    }

    /// The export requests that carried spans of `traceID`.
    public func requests(traceID: String) async throws -> [Request] {
        try await requests().filter { $0.traceIDs.contains(traceID.lowercased()) }
    }

    /// POSTs `body` to the OTLP/HTTP traces path as a client would, and returns the HTTP status the receiver answered.
    public func postTraces(_ body: Data, contentType: String) async throws -> Int {
        try await HTTPQuery.exchange(httpEndpoint.appendingPathComponent("v1/traces"), body: body, contentType: contentType).status
    }

    /// Waits (bounded) until the receiver holds at least `count` spans of `traceID`, and returns them.
    public func waitForSpans(traceID: String, count: Int, timeout: Duration = .seconds(15)) async throws -> [ReceivedSpan] {
        var last: [ReceivedSpan] = []
        do {
            return try await Poll.until(timeout: timeout) {
                last = try await spans(traceID: traceID)
                return last.count >= count ? last : nil
            }
        } catch is Poll.TimedOut {
            throw Poll.TimedOut(description: "timed out after \(timeout) waiting for \(count) spans of trace \(traceID); "
                + "got \(last.count): \(last.map(\.name))")
        }
    }

    /// Waits (bounded) until `condition` holds for the spans of `traceID` (or all spans when nil).
    public func waitForSpans(
        traceID: String?, timeout: Duration = .seconds(15), until condition: @Sendable ([ReceivedSpan]) -> Bool
    ) async throws -> [ReceivedSpan] {
        var last: [ReceivedSpan] = []
        do {
            return try await Poll.until(timeout: timeout) {
                last = try await spans(traceID: traceID)
                return condition(last) ? last : nil
            }
        } catch is Poll.TimedOut {
            throw Poll.TimedOut(description: "timed out after \(timeout) waiting for spans of trace \(traceID ?? "(any)"); "
                + "last saw \(last.count): \(last.map(\.name))")
        }
    }

}

extension URL {
    /// `self/path?k=v&...` with every value percent-encoded (so `+`, `&`, `=` survive).
    func appendingQuery(path: String, _ items: [(String, String)]) -> URL {
        let base = appendingPathComponent(path).absoluteString
        guard !items.isEmpty else { return URL(string: base)! }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let query = items.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: allowed)!)=\(value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }.joined(separator: "&")
        return URL(string: base + "?" + query)!
    }
}
