import CurlHTTP
import SafeText

/// Sends one ``IngestRequest`` and classifies the answer. Owns the headers that carry the tenant and the
/// credentials, which therefore never pass through anything that logs.
///
/// The transfer goes through libcurl (``CurlHTTPClient``): proxies from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` or
/// an explicit one, the system's CA store or a private CA, HTTP/2 where the server offers it. Redirects are not
/// followed: a redirect to another host would drop (or leak) the `Authorization` header. A failed connection fails
/// the attempt at once, with its reason, so that ``PyroscopeRetryPolicy`` decides what happens next.
struct IngestClient: Sendable {
    private let http: CurlHTTPClient
    private let headers: [HTTPHeader]
    private let requestTimeout: Duration
    private let scrubber: SecretScrubber

    init(authorization: String?, tenantID: String?, requestTimeout: Duration, connection: ConnectionSettings, scrubber: SecretScrubber) {
        http = CurlHTTPClient(connection: connection)
        headers = [HTTPHeader("User-Agent", "hybrid-run")]
            + (authorization.map { [HTTPHeader("Authorization", $0)] } ?? [])
            + (tenantID.map { [HTTPHeader("X-Scope-OrgID", $0)] } ?? [])
        self.requestTimeout = requestTimeout
        self.scrubber = scrubber
    }

    /// One attempt, ending by the request timeout or when the calling task is cancelled (at the shutdown deadline).
    func send(_ ingest: IngestRequest) async -> AttemptOutcome {
        let result = await http.post(ingest.url, headers: headers + [HTTPHeader("Content-Type", ingest.contentType)], body: ingest.body, timeout: requestTimeout)
        switch result {
        case .cancelled:
            return .cancelled
        case .failed(let failure):
            return .retryable(reason: describe(failure), retryAfter: nil)
        case .response(let response):
            let status = response.status
            if (300..<400).contains(status) {
                let location = response.header("Location").map { scrubber.oneLine($0) } ?? "elsewhere"
                return .rejected(status: status, message: "redirected to \(location); not followed, it would drop the credentials")
            }
            return .classify(status: status, message: scrubber.oneLine(String(decoding: response.body, as: UTF8.self)),
                             retryAfter: AttemptOutcome.retryAfter(fromHeader: response.header("Retry-After")))
        }
    }

    private func describe(_ failure: TransferFailure) -> String {
        let through = failure.proxy.map { " (through proxy \($0))" } ?? ""
        return switch failure.kind {
        case .timedOut: "no answer within \(DurationText.format(requestTimeout))" + through
        case .untrustedCertificate: scrubber.oneLine(failure.description) + "; set PYROSCOPE_CA_FILE to the CA that signed it"
        case .other: scrubber.oneLine(failure.description)
        }
    }
}
