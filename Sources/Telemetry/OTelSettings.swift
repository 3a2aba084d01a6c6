/// What swift-otel is bootstrapped with, made by ``OTelEnvironment/sanitize(_:)``.
///
/// Most settings travel in ``environment``. Exporter headers and resource attributes travel as values for
/// `OTel.Configuration` instead, already decoded: swift-otel's own environment parser splits them on every comma
/// and `=` and cannot carry a percent-decoded value holding either.
public struct OTelSettings: Sendable, Equatable {
    /// The environment for `OTel.bootstrap(configuration:environment:)`.
    public var environment: [String: String]
    /// The OTLP exporter's headers, from `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, else `OTEL_EXPORTER_OTLP_HEADERS`.
    public var exporterHeaders: [KeyValue] = []
    /// From `OTEL_RESOURCE_ATTRIBUTES`, in order (a later key wins).
    public var resourceAttributes: [KeyValue] = []
    /// One line per value that was not used as given, naming the variable and what is used instead.
    public var warnings: [String] = []

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// Whether spans are exported at all (not with `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`).
    public var isExporting: Bool {
        environment["OTEL_SDK_DISABLED"] != "true" && environment["OTEL_TRACES_EXPORTER"] != "none"
    }
}
