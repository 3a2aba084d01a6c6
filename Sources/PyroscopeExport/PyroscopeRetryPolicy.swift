/// Exponential backoff with jitter for uploads that failed in a way worth repeating
/// (timeouts, connection errors, 408, 429, 5xx; see pyroscope.md's status table).
///
/// Grafana Alloy backs off from 500 ms and gives up after 10 tries; hybrid-run uploads every few seconds and
/// must exit promptly, so it tries fewer times and waits at most a few seconds between tries.
public struct PyroscopeRetryPolicy: Sendable {
    /// Attempts per profile, the first one included.
    public var maximumAttempts: Int
    /// The wait before the second attempt; it doubles after each further failure.
    public var initialBackoff: Duration
    public var maximumBackoff: Duration

    public static let `default` = PyroscopeRetryPolicy(maximumAttempts: 4, initialBackoff: .milliseconds(500), maximumBackoff: .seconds(8))

    public init(maximumAttempts: Int, initialBackoff: Duration, maximumBackoff: Duration) {
        self.maximumAttempts = maximumAttempts
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
    }

    /// The wait after `failedAttempts` failures: half of the exponential step plus a random half of it, so that
    /// many clients failing together do not retry together. A server's `Retry-After` is honoured up to the maximum.
    func backoff(afterFailedAttempts failedAttempts: Int, retryAfter: Duration?, using generator: inout some RandomNumberGenerator) -> Duration {
        let exponent = min(max(failedAttempts - 1, 0), 30)
        let step = min(initialBackoff * (1 << exponent), maximumBackoff)
        let jittered = step / 2 + step / 2 * Double.random(in: 0..<1, using: &generator)
        guard let retryAfter else { return jittered }
        return min(max(jittered, retryAfter), maximumBackoff)
    }
}
