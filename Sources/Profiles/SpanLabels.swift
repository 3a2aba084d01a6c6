/// The span a sample was taken in, as the sampled thread published it (OpenTelemetry's thread context, OTEP 4947):
/// what a per-span flame graph selects by. Ids are lower-case hex, as W3C Trace Context and Pyroscope spell them.
public struct SpanLabels: Sendable, Hashable {
    /// 32 hex digits.
    public var traceID: String
    /// 16 hex digits.
    public var spanID: String
    /// The span's name, where the thread published one (the `span_name` attribute).
    public var name: String?

    public init(traceID: String, spanID: String, name: String?) {
        self.traceID = traceID
        self.spanID = spanID
        self.name = name
    }

    /// The span id alone: it tells spans apart already, and every sample of a span is counted under its labels
    /// (hashing the trace id and name too was a third of the per-sample cost of spans, BENCHMARKS.md).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(spanID)
    }
}
