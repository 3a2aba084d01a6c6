import Foundation

/// The OTLP trace receiver stand-in (`scripts/standins/otlp_receiver.py`): gRPC and HTTP ingest, JSON queries.
///
/// ```swift
/// let receiver = try OTLPReceiver.shared
/// // run a program with OTEL_EXPORTER_OTLP_ENDPOINT = receiver.grpcEndpoint.absoluteString
/// let spans = try await receiver.waitForSpans(traceID: traceID, count: 2)
/// ```
/// The shared receiver (started by `scripts/test.sh`) keeps every span of the whole test run: always filter by
/// a trace id your test chose or learned. `startDedicated()` gives a test a receiver of its own.
public struct OTLPReceiver: Sendable {
    public let grpcEndpoint: URL
    public let httpEndpoint: URL
    public let queryURL: URL
    private let process: StandInProcess?

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
                queryURL: try environment.otlpQueryURL, process: nil)
        }
    }

    private init(grpcEndpoint: URL, httpEndpoint: URL, queryURL: URL, process: StandInProcess?) {
        self.grpcEndpoint = grpcEndpoint
        self.httpEndpoint = httpEndpoint
        self.queryURL = queryURL
        self.process = process
    }

    /// Starts a receiver of this test's own on free ports; `stop()` it (or use ``withDedicated(_:)``).
    public static func startDedicated() async throws -> OTLPReceiver {
        let process = try await StandInProcess.start(script: "otlp_receiver.py", arguments: [])
        let a = process.announcement
        guard let grpc = a.grpc_endpoint.flatMap(URL.init(string:)), let http = a.http_endpoint.flatMap(URL.init(string:)),
              let query = a.query_url.flatMap(URL.init(string:))
        else {
            await process.stop()
            throw StandInProcess.StartFailure(description: "otlp_receiver.py announced no endpoints")
        }
        return OTLPReceiver(grpcEndpoint: grpc, httpEndpoint: http, queryURL: query, process: process)
    }

    /// Runs `body` with a dedicated receiver and stops it afterwards, whatever happens.
    public static func withDedicated<T: Sendable>(_ body: (OTLPReceiver) async throws -> T) async throws -> T {
        let receiver = try await startDedicated()
        do {
            let result = try await body(receiver)
            await receiver.stop()
            return result
        } catch {
            await receiver.stop()
            throw error
        }
    }

    /// Stops a dedicated receiver (no-op for the shared one).
    public func stop() async {
        await process?.stop()
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
