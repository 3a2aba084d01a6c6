/// The span a sample was taken in, as the sampled thread published it (OpenTelemetry's thread context, OTEP 4947):
/// what a per-span flame graph selects by. Ids are lower-case hex, as W3C Trace Context and Pyroscope spell them.
///
/// One reference wide (``SharedFields``): every stack of a profile carries one, most of them none, and every stack
/// sampled in a span shares its labels.
public struct SpanLabels: Sendable, Hashable {
    private struct Fields: Hashable, Sendable {
        var traceID: String
        var spanID: String
        var name: String?
    }

    private var storage: SharedFields<Fields>

    public init(traceID: String, spanID: String, name: String?) {
        storage = SharedFields(Fields(traceID: traceID, spanID: spanID, name: name))
    }

    /// 32 hex digits.
    public var traceID: String {
        get { storage[\.traceID] }
        set { storage[\.traceID] = newValue }
    }

    /// 16 hex digits.
    public var spanID: String {
        get { storage[\.spanID] }
        set { storage[\.spanID] = newValue }
    }

    /// The span's name, where the thread published one (the `span_name` attribute).
    public var name: String? {
        get { storage[\.name] }
        set { storage[\.name] = newValue }
    }

    /// The span id alone: it tells spans apart already, and every sample of a span is counted under its labels
    /// (hashing the trace id and name too was a third of the per-sample cost of spans, BENCHMARKS.md).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.fields.spanID)
    }
}
