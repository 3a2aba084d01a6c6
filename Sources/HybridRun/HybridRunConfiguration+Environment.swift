import SafeText
import Sampling
import Telemetry

extension HybridRunConfiguration {
    /// Applies the guide's variables. An invalid value is ignored with one warning naming the variable,
    /// the value (through ``ShownText``: masked, escaped, shortened) and what was assumed; nothing here is fatal,
    /// so a typo never stops the user's command.
    public mutating func applyEnvironment(_ environment: [String: String]) -> [String] {
        var warnings: [String] = []

        func boolean(_ name: String, _ target: inout Bool) {
            let (value, warning) = BooleanText.value(of: name, in: environment, assumed: target)
            target = value
            if let warning { warnings.append(warning) }
        }
        boolean("PYROSCOPE_ENABLE", &pyroscopeEnabled)
        boolean("PYROSCOPE_TRACE_CORRELATION", &traceCorrelation)
        boolean("PYROSCOPE_INSECURE_SKIP_VERIFY", &pyroscopeInsecureSkipVerify)
        boolean("HYBRID_WALL", &wall)

        // Pyroscope settings (server, credentials, application, tags, tenant) are checked against the server's
        // rules by `PyroscopeUploader`, which the session creates before the command starts.
        if let text = environment["PYROSCOPE_SERVER_ADDRESS"], !text.trimmingWhitespace().isEmpty {
            serverAddress = String(text.trimmingWhitespace())
        }
        if let text = environment["PYROSCOPE_APPLICATION_NAME"], !text.isEmpty { applicationName = text }
        if let text = environment["PYROSCOPE_TAGS"] {
            let (pairs, malformed) = KeyValueList.parse(text)
            for entry in malformed { warnings.append("PYROSCOPE_TAGS: \(ShownText.value(entry)) is not k=v; ignored") }
            tags = KeyValueList.merge(tags, pairs)
        }
        if let text = environment["PYROSCOPE_TENANT_ID"], !text.isEmpty { tenantID = text }
        if let text = environment["PYROSCOPE_PROXY"], !text.trimmingWhitespace().isEmpty { pyroscopeProxy = String(text.trimmingWhitespace()) }
        if let text = environment["PYROSCOPE_CA_FILE"], !text.isEmpty { pyroscopeCAFile = text }
        basicAuthUser = environment["PYROSCOPE_BASIC_AUTH_USER"].flatMap { $0.isEmpty ? nil : $0 } ?? basicAuthUser
        basicAuthPassword = environment["PYROSCOPE_BASIC_AUTH_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 } ?? basicAuthPassword
        authToken = environment["PYROSCOPE_AUTH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } ?? authToken
        if let text = environment["PYROSCOPE_UPLOAD_INTERVAL"] {
            if let interval = DurationText.parse(text, bareUnit: .seconds), interval >= .seconds(1) {
                uploadInterval = interval
            } else {
                warnings.append("PYROSCOPE_UPLOAD_INTERVAL=\(ShownText.value(text)) is not a duration of at least 1s (e.g. 10, 10s); assuming \(DurationText.format(uploadInterval))")
            }
        }

        if let text = environment["HYBRID_PROFILES_EXPORTER"], !text.isEmpty {
            if let exporter = ProfilesExporter(rawValue: text.lowercased()) {
                profilesExporter = exporter
            } else {
                warnings.append("HYBRID_PROFILES_EXPORTER=\(ShownText.value(text)) is not one of \(ProfilesExporter.allCases.map(\.rawValue).joined(separator: ", ")); assuming \(effectiveProfilesExporter.rawValue)")
            }
        }
        if let text = environment["HYBRID_SAMPLER"], !text.isEmpty {
            if let method = SamplingMethod(rawValue: text) {
                samplingMethod = method
            } else {
                warnings.append("HYBRID_SAMPLER=\(ShownText.value(text)) is not one of \(SamplingMethod.allCases.map(\.rawValue).joined(separator: ", ")); assuming \(samplingMethod.rawValue)")
            }
        }

        if let text = environment["HYBRID_TRACE_URL"], !text.isEmpty {
            // The link becomes an `href` in the report: a web address only, never `javascript:`, `data:` or `file:`.
            if !["http://", "https://"].contains(where: text.lowercased().hasPrefix) {
                warnings.append("HYBRID_TRACE_URL=\(ShownText.value(text)) is not an http:// or https:// URL; the report links no trace")
            } else if text.contains("{trace_id}") {
                traceURLTemplate = text
            } else {
                warnings.append("HYBRID_TRACE_URL=\(ShownText.value(text)) has no {trace_id} in it; the report links no trace")
            }
        }

        if let text = environment["OTEL_EXPORTER_OTLP_ENDPOINT"], !text.trimmingWhitespace().isEmpty {
            otlpEndpoint = text
        }
        if let text = environment["OTEL_RESOURCE_ATTRIBUTES"] {
            let (pairs, problems) = OTelKeyValueList.parse(text)
            warnings += problems.map { $0.warning(in: "OTEL_RESOURCE_ATTRIBUTES", consequence: "ignored") }
            resourceAttributes = KeyValueList.merge(resourceAttributes, pairs)
        }
        return warnings
    }

    /// The environment hybrid-run's own telemetry is set up from: the process environment with the flags
    /// that stand for OTel variables applied. The child still gets the environment it was given.
    public func telemetryEnvironment(_ environment: [String: String], ci: CIContext?) -> [String: String] {
        var result = environment
        if let otlpEndpoint { result["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlpEndpoint }
        // Written as the spec's format (values percent-encoded): a CI pipeline named "Build, test" stays one value.
        // Without attributes the variable goes, so entries already reported above are not reported again.
        let attributes = resourceAttributes(ci: ci)
        result["OTEL_RESOURCE_ATTRIBUTES"] = attributes.isEmpty ? nil : OTelKeyValueList.format(attributes)
        return result
    }

    /// The resource attributes of hybrid-run's telemetry: the CI system's, then `OTEL_RESOURCE_ATTRIBUTES` and
    /// `--resource-attribute`, a later key replacing an earlier one.
    func resourceAttributes(ci: CIContext?) -> [KeyValue] {
        KeyValueList.merge(ci?.resourceAttributes ?? [], resourceAttributes)
    }

    /// The resource of the run's OTLP profiles: the spans' (``resourceAttributes(ci:)`` with `service.name` from
    /// `OTEL_SERVICE_NAME`, else from the attributes, else `hybrid-run`, as swift-otel sets it), so that a backend
    /// files the profiles with the trace.
    func profileResource(_ environment: [String: String], ci: CIContext?) -> [KeyValue] {
        let attributes = resourceAttributes(ci: ci)
        let serviceName = ServiceName.configured(environment: environment, resourceAttributes: attributes) ?? "hybrid-run"
        return KeyValueList.merge(attributes, [KeyValue(key: "service.name", value: serviceName)])
    }
}
