import SafeText

/// `service.name` as the user set it, by the rule of the OpenTelemetry SDK environment variables specification:
/// `OTEL_SERVICE_NAME` wins over `service.name` in the resource attributes (`OTEL_RESOURCE_ATTRIBUTES`,
/// `--resource-attribute`, the later one winning); a blank value is unset, as ``OTelEnvironment`` treats it.
/// One rule for the spans' resource, the profiles' resource, the Pyroscope application name and the report, so
/// that every backend files the run under the same service.
public enum ServiceName {
    /// The configured name, or `nil` when the caller's default applies.
    public static func configured(environment: [String: String], resourceAttributes: [KeyValue]) -> String? {
        if let name = environment["OTEL_SERVICE_NAME"], !name.trimmingWhitespace().isEmpty { return name }
        return resourceAttributes.last { $0.key == "service.name" }?.value
    }
}
