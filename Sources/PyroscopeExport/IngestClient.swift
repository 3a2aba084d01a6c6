import AsyncHTTPClient
import NIOCore
import SafeText

/// Sends one ``IngestRequest`` and classifies the answer. Owns the HTTP client and the headers that carry the
/// tenant and the credentials, which therefore never pass through anything that logs.
struct IngestClient: Sendable {
    let httpClient: HTTPClient
    private let headers: [(name: String, value: String)]
    private let requestTimeout: Duration
    private let scrubber: SecretScrubber

    /// Redirects are not followed: a redirect to another host would drop (or leak) the `Authorization` header.
    /// Tracing is off: the uploads are hybrid-run's plumbing, not part of the traced run. A failed connection
    /// fails the attempt at once instead of being retried inside the client until the timeout, so that
    /// ``PyroscopeRetryPolicy`` decides, and the failure keeps its reason (e.g. connection refused).
    init(authorization: String?, tenantID: String?, requestTimeout: Duration, scrubber: SecretScrubber) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.tracing.tracer = nil
        configuration.connectionPool.retryConnectionEstablishment = false
        let timeout = TimeAmount.nanoseconds(Self.nanoseconds(requestTimeout))
        configuration.timeout = .init(connect: timeout, read: timeout)
        httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        headers = [("User-Agent", "hybrid-run")]
            + (authorization.map { [("Authorization", $0)] } ?? [])
            + (tenantID.map { [("X-Scope-OrgID", $0)] } ?? [])
        self.requestTimeout = requestTimeout
        self.scrubber = scrubber
    }

    /// One attempt, ending by the request timeout or when the calling task is cancelled (at the shutdown deadline).
    func send(_ ingest: IngestRequest) async -> AttemptOutcome {
        var request = HTTPClientRequest(url: ingest.url)
        request.method = .POST
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        request.headers.add(name: "Content-Type", value: ingest.contentType)
        request.body = .bytes(ByteBuffer(bytes: ingest.body))
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(Self.nanoseconds(requestTimeout)))
            let body = (try? await response.body.collect(upTo: 64 << 10)).map { String(buffer: $0) } ?? ""
            let status = Int(response.status.code)
            if (300..<400).contains(status) {
                let location = response.headers.first(name: "Location").map { scrubber.oneLine($0) } ?? "elsewhere"
                return .rejected(status: status, message: "redirected to \(location); not followed, it would drop the credentials")
            }
            return .classify(status: status, message: scrubber.oneLine(body),
                             retryAfter: AttemptOutcome.retryAfter(fromHeader: response.headers.first(name: "Retry-After")))
        } catch {
            if Task.isCancelled || error is CancellationError || (error as? HTTPClientError) == .cancelled { return .cancelled }
            return .retryable(reason: describe(error), retryAfter: nil)
        }
    }

    private func describe(_ error: any Error) -> String {
        switch error as? HTTPClientError {
        case .deadlineExceeded?, .readTimeout?:
            "no answer within \(DurationText.format(requestTimeout))"
        case .connectTimeout?:
            "could not connect within \(DurationText.format(requestTimeout))"
        case .remoteConnectionClosed?:
            "the server closed the connection"
        default:
            scrubber.oneLine(String(describing: error))
        }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
