import SafeText

/// The settings handed to swift-otel, with every value that would crash it, fail its bootstrap, make it log a
/// configuration failure (reported at exit as "spans dropped") or surprise a user of the OpenTelemetry spec replaced
/// by something it handles, with one warning naming the variable and what is used instead.
///
/// What swift-otel 1.6.0 does with the values it reads (`OTel+Configuration+EnvironmentVariableRepresentable.swift`,
/// `OTLPGRPCExporter.swift`, `OTLPHTTPExporter.swift`, `OTelBatchSpanProcessor.swift`):
/// - `fatalError` for `OTEL_PROPAGATORS` other than `tracecontext` (the spec's default `tracecontext,baggage` among
///   them) and for the `xray`/`jaeger_remote` samplers; a throw for `OTEL_TRACES_EXPORTER=console`;
/// - a trap for an endpoint port above 65535 (see ``OTLPEndpoint``);
/// - OTLP/JSON with trace and span ids in base64, where the OTLP spec says hex: collectors refuse every span;
/// - `OTEL_BSP_MAX_QUEUE_SIZE` spans allocated up front (a large value aborts), a busy loop for a schedule delay or
///   export batch size of 0;
/// - "Failed to update configuration from environment", its default kept, for any value its parser refuses: enum
///   values in another case (the spec says they are case-insensitive), a sampler argument of a sampler that takes
///   none, a header or attribute list with one bad entry (every header dropped, the auth header with them);
/// - no percent-decoding of `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_RESOURCE_ATTRIBUTES` (see ``OTelKeyValueList``);
/// - its default protocol is OTLP/HTTP where the spec and our guide say gRPC.
/// An empty value counts as unset, as the spec says. A pure function, so tests pass their own environment.
public enum OTelEnvironment {
    public static let supportedProtocols = ["grpc", "http/protobuf"]
    static let supportedPropagators: Set<String> = ["tracecontext", "none"]
    static let supportedSamplers: Set<String> = [
        "always_on", "always_off", "traceidratio",
        "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio",
    ]
    static let ratioSamplers: Set<String> = ["traceidratio", "parentbased_traceidratio"]
    /// swift-otel reserves the whole queue when it starts (168 bytes a span); only a typo asks for more than this.
    static let maximumQueueSize = 100_000

    public static func sanitize(_ environment: [String: String]) -> OTelSettings {
        var settings = OTelSettings(environment: environment.filter { key, value in
            // Only traces are bootstrapped; settings for the other signals must not produce warnings of their own.
            !key.hasPrefix("OTEL_") || !(value.trimmingWhitespace().isEmpty || isOtherSignalSetting(key))
        })
        sanitizeSDKDisabled(&settings)
        sanitizeExporterAndProtocol(&settings)
        sanitizeEndpoint(&settings)
        sanitizePropagators(&settings)
        sanitizeSampler(&settings)
        for (key, range, expected, defaultValue) in [
            ("OTEL_BSP_SCHEDULE_DELAY", 1...Int.max, "a whole number of milliseconds, at least 1", "5000"),
            ("OTEL_BSP_EXPORT_TIMEOUT", 0...Int.max, "a whole number of milliseconds", "30000"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", 1...maximumQueueSize, "a whole number from 1 to \(maximumQueueSize)", "2048"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 1...Int.max, "a whole number of at least 1", "512"),
        ] {
            validate(key, in: &settings, expected: expected, assuming: defaultValue) { integer($0, in: range) }
        }
        validateExporterSetting("TIMEOUT", in: &settings, expected: "a whole number of milliseconds", assuming: "10000") {
            integer($0, in: 0...Int.max)
        }
        validateExporterSetting("COMPRESSION", in: &settings, expected: "gzip or none", assuming: "none") { oneOf($0, ["gzip", "none"]) }
        // swift-otel's diagnostics go to `DiagnosticRecorder`, never to the terminal: the level changes nothing shown.
        validate("OTEL_LOG_LEVEL", in: &settings, expected: "one of error, warning, info, debug, trace", assuming: "info") {
            oneOf($0, ["error", "warning", "info", "debug", "trace"])
        }
        sanitizeHeaders(&settings)
        sanitizeResourceAttributes(&settings)
        return settings
    }

    /// The traces endpoint spans go to, as a user would want it named in a message.
    public static func tracesEndpoint(in sanitized: [String: String]) -> String {
        if let endpoint = sanitized["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] { return endpoint }
        let protocolName = sanitized["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] ?? sanitized["OTEL_EXPORTER_OTLP_PROTOCOL"] ?? "grpc"
        if let endpoint = sanitized["OTEL_EXPORTER_OTLP_ENDPOINT"] {
            return protocolName == "grpc" ? endpoint : endpoint.trimmingSuffix("/") + "/v1/traces"
        }
        return protocolName == "grpc" ? "http://localhost:4317" : "http://localhost:4318/v1/traces"
    }

    private static func isOtherSignalSetting(_ key: String) -> Bool {
        ["OTEL_METRIC", "OTEL_LOGS_", "OTEL_EXPORTER_OTLP_METRICS_", "OTEL_EXPORTER_OTLP_LOGS_", "OTEL_BLRP_", "OTEL_SWIFT_"]
            .contains { key.hasPrefix($0) }
    }

    /// `KEY=value` for a message: credentials masked, control characters escaped, long values cut.
    static func shown(_ key: String, _ value: String) -> String {
        "\(key)=\(ShownText.value(Redaction.redactingCredentials(in: value)))"
    }

    private static func sanitizeSDKDisabled(_ settings: inout OTelSettings) {
        guard let value = settings.environment["OTEL_SDK_DISABLED"] else { return }
        // The spec: only a case-insensitive "true" disables the SDK, anything else but "false" is warned about.
        // "false" is dropped, not passed on: swift-otel reads it as "enable logs and metrics", which would
        // bootstrap swift-log a second time (a crash) and start exporting metrics nobody asked for.
        switch value.trimmingWhitespace().lowercased() {
        case "true": settings.environment["OTEL_SDK_DISABLED"] = "true"
        case "false": settings.environment["OTEL_SDK_DISABLED"] = nil
        default:
            settings.warnings.append("\(shown("OTEL_SDK_DISABLED", value)) is not true or false; assuming false (spans are exported)")
            settings.environment["OTEL_SDK_DISABLED"] = nil
        }
    }

    private static func sanitizeExporterAndProtocol(_ settings: inout OTelSettings) {
        if let value = settings.environment["OTEL_TRACES_EXPORTER"] {
            let names = value.lowercased().split(separator: ",").map { String($0.trimmingWhitespace()) }
            if names.contains("otlp") {
                settings.environment["OTEL_TRACES_EXPORTER"] = "otlp"
            } else if names.allSatisfy({ $0 == "none" }) {
                settings.environment["OTEL_TRACES_EXPORTER"] = "none"
            } else {
                settings.warnings.append("\(shown("OTEL_TRACES_EXPORTER", value)) is not supported (only otlp and none are); spans will not be exported")
                settings.environment["OTEL_TRACES_EXPORTER"] = "none"
            }
        }
        for key in ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] {
            guard let value = settings.environment[key], value.trimmingWhitespace().lowercased() == "http/json" else { continue }
            // Refused rather than sent: swift-otel writes ids in base64 and OTLP/JSON receivers refuse every span
            // (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding: "traceId and spanId ... MUST be
            // represented as case-insensitive hex-encoded strings"). Collectors serve both encodings on one endpoint.
            settings.warnings.append("\(shown(key, value)) is not supported (swift-otel writes trace ids in base64, which OTLP/JSON receivers refuse); using http/protobuf on the same endpoint")
            settings.environment[key] = "http/protobuf"
        }
        validateExporterSetting("PROTOCOL", in: &settings, expected: "one of \(supportedProtocols.joined(separator: ", "))", assuming: "grpc") {
            oneOf($0, supportedProtocols)
        }
        if settings.environment["OTEL_EXPORTER_OTLP_PROTOCOL"] == nil {
            settings.environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc"
        }
    }

    /// Checks the endpoint spans go to; one that cannot be used turns exporting off for the run, since sending spans
    /// somewhere else than the user said would be worse than not sending them.
    private static func sanitizeEndpoint(_ settings: inout OTelSettings) {
        let key = settings.environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != nil ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT"
        guard let value = settings.environment[key] else { return }
        let grpc = (settings.environment["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] ?? settings.environment["OTEL_EXPORTER_OTLP_PROTOCOL"]) == "grpc"
        switch OTLPEndpoint.normalize(value, grpc: grpc) {
        case .success(let endpoint):
            settings.environment[key] = endpoint
        case .failure(let invalid):
            if settings.isExporting {
                settings.warnings.append("\(shown(key, value)): \(invalid); spans will not be exported")
            }
            settings.environment[key] = nil
            settings.environment["OTEL_TRACES_EXPORTER"] = "none"
        }
    }

    private static func sanitizePropagators(_ settings: inout OTelSettings) {
        guard let value = settings.environment["OTEL_PROPAGATORS"] else { return }
        let names = value.lowercased().split(separator: ",").map { String($0.trimmingWhitespace()) }.filter { !$0.isEmpty }
        let unsupported = names.filter { !supportedPropagators.contains($0) }
        let kept = names.filter { supportedPropagators.contains($0) }
        if !unsupported.isEmpty {
            settings.warnings.append("\(shown("OTEL_PROPAGATORS", value)): \(ShownText.value(unsupported.joined(separator: ", "))) not supported; using tracecontext")
        }
        settings.environment["OTEL_PROPAGATORS"] = kept.isEmpty ? "tracecontext" : kept.joined(separator: ",")
    }

    private static func sanitizeSampler(_ settings: inout OTelSettings) {
        if let value = settings.environment["OTEL_TRACES_SAMPLER"] {
            let name = value.trimmingWhitespace().lowercased()
            if supportedSamplers.contains(name) {
                settings.environment["OTEL_TRACES_SAMPLER"] = name
            } else {
                // The argument belonged to the replaced sampler: this warning covers both.
                settings.warnings.append("\(shown("OTEL_TRACES_SAMPLER", value)) is not supported; using parentbased_always_on")
                settings.environment["OTEL_TRACES_SAMPLER"] = nil
                settings.environment["OTEL_TRACES_SAMPLER_ARG"] = nil
            }
        }
        guard let argument = settings.environment["OTEL_TRACES_SAMPLER_ARG"] else { return }
        let sampler = settings.environment["OTEL_TRACES_SAMPLER"] ?? "parentbased_always_on"
        guard ratioSamplers.contains(sampler) else {
            // The spec: "Invalid or unrecognized input MUST be logged and MUST be otherwise ignored".
            settings.warnings.append("\(shown("OTEL_TRACES_SAMPLER_ARG", argument)) is ignored: the sampler \(sampler) takes no argument")
            settings.environment["OTEL_TRACES_SAMPLER_ARG"] = nil
            return
        }
        validate("OTEL_TRACES_SAMPLER_ARG", in: &settings, expected: "a probability from 0 to 1", assuming: "1.0") { text in
            Double(text.trimmingWhitespace()).flatMap { (0...1).contains($0) ? String($0) : nil }
        }
    }

    private static func sanitizeHeaders(_ settings: inout OTelSettings) {
        let key = settings.environment["OTEL_EXPORTER_OTLP_TRACES_HEADERS"] != nil ? "OTEL_EXPORTER_OTLP_TRACES_HEADERS" : "OTEL_EXPORTER_OTLP_HEADERS"
        let text = settings.environment[key]
        // Both go through the configuration (decoded), never swift-otel's parser, which reads the shared one for
        // the other signals as well.
        settings.environment["OTEL_EXPORTER_OTLP_HEADERS"] = nil
        settings.environment["OTEL_EXPORTER_OTLP_TRACES_HEADERS"] = nil
        guard let text else { return }
        let (pairs, problems) = OTelKeyValueList.parse(text)
        // Values are never quoted: they are usually credentials.
        settings.warnings += problems.map { $0.warning(in: key, consequence: "not sent") }
        settings.exporterHeaders = pairs
    }

    private static func sanitizeResourceAttributes(_ settings: inout OTelSettings) {
        guard let text = settings.environment["OTEL_RESOURCE_ATTRIBUTES"] else { return }
        settings.environment["OTEL_RESOURCE_ATTRIBUTES"] = nil
        let (pairs, problems) = OTelKeyValueList.parse(text)
        settings.warnings += problems.map { $0.warning(in: "OTEL_RESOURCE_ATTRIBUTES", consequence: "ignored") }
        settings.resourceAttributes = pairs
    }

    /// Replaces `key`'s value by `parse`'s normal form, or removes it with a warning when `parse` refuses it, so
    /// swift-otel uses `fallbackKey`'s value (the shared variable of a signal-specific one) or its default.
    private static func validate(_ key: String, fallingBackTo fallbackKey: String? = nil, in settings: inout OTelSettings,
                                 expected: String, assuming defaultValue: String, parse: (String) -> String?) {
        guard let value = settings.environment[key] else { return }
        if let normal = parse(value) {
            settings.environment[key] = normal
            return
        }
        settings.environment[key] = nil
        let fallback = fallbackKey.flatMap { fallbackKey in settings.environment[fallbackKey].map { "\($0) (\(fallbackKey))" } }
        settings.warnings.append("\(shown(key, value)) is not \(expected); assuming \(fallback ?? defaultValue)")
    }

    /// `OTEL_EXPORTER_OTLP_<suffix>`, then `OTEL_EXPORTER_OTLP_TRACES_<suffix>` falling back to it, as the spec's
    /// signal-specific variables do.
    private static func validateExporterSetting(_ suffix: String, in settings: inout OTelSettings, expected: String,
                                                assuming defaultValue: String, parse: (String) -> String?) {
        validate("OTEL_EXPORTER_OTLP_\(suffix)", in: &settings, expected: expected, assuming: defaultValue, parse: parse)
        validate("OTEL_EXPORTER_OTLP_TRACES_\(suffix)", fallingBackTo: "OTEL_EXPORTER_OTLP_\(suffix)", in: &settings,
                 expected: expected, assuming: defaultValue, parse: parse)
    }

    private static func integer(_ text: String, in range: ClosedRange<Int>) -> String? {
        Int(text.trimmingWhitespace()).flatMap { range.contains($0) ? String($0) : nil }
    }

    /// The spec: "Enum values SHOULD be interpreted in a case-insensitive manner."
    private static func oneOf(_ text: String, _ names: [String]) -> String? {
        let name = text.trimmingWhitespace().lowercased()
        return names.contains(name) ? name : nil
    }
}
