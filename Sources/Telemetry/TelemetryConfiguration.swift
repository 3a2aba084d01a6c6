import Logging

/// What a program's telemetry set-up can be told, beyond the standard `OTEL_*` variables that swift-otel reads.
///
/// Environment overrides come from a pure function (``applyEnvironmentOverrides(_:)``) so tests pass their own.
public struct TelemetryConfiguration: Sendable, Equatable {
    /// Name used for `service.name` when neither `OTEL_SERVICE_NAME` nor `OTEL_RESOURCE_ATTRIBUTES` sets one.
    public var defaultServiceName: String

    /// Longest time exit waits for spans to be exported, so a missing collector never holds up a job.
    /// `HYBRID_OTEL_SHUTDOWN_TIMEOUT` (milliseconds, or a number with `ms` or `s`); default 2 s.
    public var shutdownTimeout: Duration

    /// Lowest level of the program's own log lines on stderr. `HYBRID_LOG_LEVEL`; default `info`.
    public var logLevel: Logger.Level

    /// How log lines are written. `HYBRID_LOG_FORMAT` (`text` or `json`); default `text`.
    public var logFormat: LogFormat

    public enum LogFormat: String, Sendable, CaseIterable {
        /// `program: message key=value…`, for people.
        case text
        /// One JSON object per line with every metadata field, `trace_id` and `span_id` included, for machines.
        case json
    }

    public init(defaultServiceName: String) {
        self.defaultServiceName = defaultServiceName
        shutdownTimeout = .seconds(2)
        logLevel = .info
        logFormat = .text
    }
}
