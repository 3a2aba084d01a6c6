import SafeText

/// What one `POST /ingest` came to, and so whether to try again.
enum AttemptOutcome: Equatable {
    case delivered
    /// The server will refuse this profile again (400, 413, 422, other 4xx, a redirect): never retried.
    case rejected(status: Int, message: String)
    /// Worth another try after a backoff (timeouts, connection errors, 408, 429, 5xx).
    case retryable(reason: String, retryAfter: Duration?)
    /// The delivery task was cancelled at the shutdown deadline.
    case cancelled

    /// Pyroscope's statuses (pyroscope.md): 2xx stored; 408 body read failed, 429 rate limited and 5xx are
    /// transient; 400 bad metadata, 413 too large, 422 invalid are final, as are auth failures and redirects,
    /// which would drop the credentials if followed.
    static func classify(status: Int, message: String, retryAfter: Duration?) -> AttemptOutcome {
        switch status {
        case 200..<300:
            .delivered
        case 408, 429, 500..<600:
            .retryable(reason: "answered \(status)" + (message.isEmpty ? "" : ": \(message)"), retryAfter: retryAfter)
        default:
            .rejected(status: status, message: message)
        }
    }

    /// `Retry-After` in its delta-seconds form; the HTTP-date form is rare for 429/503 and ignored.
    static func retryAfter(fromHeader value: String?) -> Duration? {
        guard let value, let seconds = Int(value.trimmingWhitespace()), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }
}
