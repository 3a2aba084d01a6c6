/// What became of the profiles handed to a ``PyroscopeUploader``, as of its shutdown.
public struct PyroscopeDeliveryReport: Sendable, Equatable, CustomStringConvertible {
    /// Stored by the server (a 2xx answer).
    public var delivered: Int
    /// Dropped without being sent: the queue was full (the oldest goes) or the uploader was already shut down.
    public var dropped: Int
    /// Sent but not stored: refused by the server, still failing after the last retry, or not delivered by the
    /// shutdown deadline.
    public var failed: Int
    /// Why the first failed profile failed, on one line, credentials masked.
    public var firstFailure: String?

    public init(delivered: Int, dropped: Int, failed: Int, firstFailure: String?) {
        self.delivered = delivered
        self.dropped = dropped
        self.failed = failed
        self.firstFailure = firstFailure
    }

    /// Whether every profile was stored.
    public var isComplete: Bool { dropped == 0 && failed == 0 }

    /// One line for the end of a run, e.g. `3 profiles delivered to Pyroscope, 1 dropped (queue full), 1 failed (first: …)`.
    public var description: String {
        var parts = ["\(delivered) \(delivered == 1 ? "profile" : "profiles") delivered to Pyroscope"]
        if dropped > 0 { parts.append("\(dropped) dropped (queue full or after shutdown)") }
        if failed > 0 { parts.append("\(failed) failed" + (firstFailure.map { " (first: \($0))" } ?? "")) }
        return parts.joined(separator: ", ")
    }
}
