/// A span as a child exported it, with what the report needs to draw it and to find its samples.
public struct CapturedSpan: Sendable, Equatable {
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
