/// What became of the profiles handed to an ``OTLPProfileExporter``, as of its shutdown.
public struct OTLPExportReport: Sendable, Equatable, CustomStringConvertible {
    /// Taken by the collector.
    public var exported: Int
    /// Dropped unsent: the queue was full (the oldest goes) or the exporter was shut down.
    public var dropped: Int
    /// Sent but not taken: refused, failed, or not done by the shutdown deadline.
    public var failed: Int
    /// Why the first failed one failed, on one line, credentials masked.
    public var firstFailure: String?
    /// The collector, credentials masked.
    public var endpoint: String

    public var isComplete: Bool { dropped == 0 && failed == 0 }

    /// One line for the end of a run, e.g. `OTLP profiles: 2 exported to http://collector:4317, 1 failed (first: …)`.
    public var description: String {
        var parts = ["OTLP profiles: \(exported) exported to \(endpoint)"]
        if dropped > 0 { parts.append("\(dropped) dropped (queue full or after shutdown)") }
        if failed > 0 { parts.append("\(failed) failed" + (firstFailure.map { " (first: \($0))" } ?? "")) }
        return parts.joined(separator: ", ")
    }
}
