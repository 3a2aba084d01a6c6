/// A span of the run, hybrid-run's own or one the command exported: what the report draws and what finds its
/// samples. A leaf, so that the relay that captures spans and the report that draws them share it.
public struct TraceSpan: Sendable, Equatable {
    /// Lowercase hex, 32 and 16 digits; `parentSpanID` is empty for a root.
    public var traceID: String
    public var spanID: String
    public var parentSpanID: String
    public var name: String
    /// The resource's `service.name`.
    public var serviceName: String
    /// Nanoseconds since the Unix epoch.
    public var startTime: Int64
    public var endTime: Int64
    /// Status code ERROR.
    public var isError: Bool
    /// The resource's `process.pid` and the span's `thread.id` (semantic conventions), when the exporter set them.
    public var processID: Int32?
    public var threadID: Int32?

    public init(traceID: String, spanID: String, parentSpanID: String, name: String, serviceName: String,
                startTime: Int64, endTime: Int64, isError: Bool, processID: Int32? = nil, threadID: Int32? = nil) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.name = name
        self.serviceName = serviceName
        self.startTime = startTime
        self.endTime = endTime
        self.isError = isError
        self.processID = processID
        self.threadID = threadID
    }
}
