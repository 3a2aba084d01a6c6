import SafeText

/// The environment handed to swift-otel, with every value that would crash it, fail its bootstrap or
/// surprise a user of the OpenTelemetry spec replaced by something it handles.
///
/// swift-otel 1.6.0 reaches `fatalError` for `OTEL_PROPAGATORS` other than `tracecontext` (the spec's
/// default `tracecontext,baggage` among them) and for the `xray`/`jaeger_remote` samplers, throws for
/// `OTEL_TRACES_EXPORTER=console`, defaults to OTLP/HTTP where the spec and our guide say gRPC, and
/// rejects a bare `host:port` endpoint. A pure function, so tests pass their own environment.
public enum OTelEnvironment {
    public static let supportedProtocols = ["grpc", "http/protobuf", "http/json"]
    static let supportedPropagators: Set<String> = ["tracecontext", "none"]
    static let supportedSamplers: Set<String> = [
        "always_on", "always_off", "traceidratio",
        "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio",
    ]

    /// - Returns: the environment for `OTel.bootstrap(configuration:environment:)` and one warning line per
    ///   value that was changed, naming the variable, the value and what is used instead.
    public static func sanitize(_ environment: [String: String]) -> (environment: [String: String], warnings: [String]) {
        var result = environment
        var warnings: [String] = []

        if let value = environment["OTEL_SDK_DISABLED"] {
            // The spec: only a case-insensitive "true" disables the SDK. Anything else is dropped, not passed as
            // "false": swift-otel reads `false` as "enable logs and metrics", which would bootstrap swift-log a
            // second time (a crash) and start exporting metrics nobody asked for.
            result["OTEL_SDK_DISABLED"] = value.lowercased() == "true" ? "true" : nil
        }

        for key in ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] {
            guard let value = environment[key] else { continue }
            if !supportedProtocols.contains(value) {
                warnings.append("\(key)=\(value) is not one of \(supportedProtocols.joined(separator: ", ")); using grpc")
                result[key] = "grpc"
            }
        }
        if result["OTEL_EXPORTER_OTLP_PROTOCOL"] == nil {
            result["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc"
        }

        for key in ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] {
            guard let value = environment[key] else { continue }
            let trimmed = String(value.trimmingWhitespace())
            if trimmed.isEmpty {
                result[key] = nil
            } else if !trimmed.contains("://") {
                // A bare host:port is what the guide (and otel-cli users) write; the scheme decides TLS.
                result[key] = "http://" + trimmed
            }
        }

        if let value = environment["OTEL_TRACES_EXPORTER"] {
            let names = value.lowercased().split(separator: ",").map { String($0.trimmingWhitespace()) }
            if names.contains("otlp") {
                result["OTEL_TRACES_EXPORTER"] = "otlp"
            } else if names.allSatisfy({ $0 == "none" }) {
                result["OTEL_TRACES_EXPORTER"] = "none"
            } else {
                warnings.append("OTEL_TRACES_EXPORTER=\(value) is not supported (only otlp and none are); spans will not be exported")
                result["OTEL_TRACES_EXPORTER"] = "none"
            }
        }

        if let value = environment["OTEL_PROPAGATORS"] {
            let names = value.lowercased().split(separator: ",").map { String($0.trimmingWhitespace()) }.filter { !$0.isEmpty }
            let unsupported = names.filter { !supportedPropagators.contains($0) }
            let kept = names.filter { supportedPropagators.contains($0) }
            if !unsupported.isEmpty {
                warnings.append("OTEL_PROPAGATORS=\(value): \(unsupported.joined(separator: ", ")) not supported; using tracecontext")
            }
            result["OTEL_PROPAGATORS"] = kept.isEmpty ? "tracecontext" : kept.joined(separator: ",")
        }

        if let value = environment["OTEL_TRACES_SAMPLER"] {
            if !supportedSamplers.contains(value.lowercased()) {
                warnings.append("OTEL_TRACES_SAMPLER=\(value) is not supported; using parentbased_always_on")
                result["OTEL_TRACES_SAMPLER"] = nil
                result["OTEL_TRACES_SAMPLER_ARG"] = nil
            } else {
                result["OTEL_TRACES_SAMPLER"] = value.lowercased()
            }
        }

        // Only traces are bootstrapped; settings for the other signals must not produce warnings of their own.
        for key in result.keys where key.hasPrefix("OTEL_METRIC") || key.hasPrefix("OTEL_LOGS_") || key.hasPrefix("OTEL_EXPORTER_OTLP_METRICS_") || key.hasPrefix("OTEL_EXPORTER_OTLP_LOGS_") || key.hasPrefix("OTEL_BLRP_") {
            result[key] = nil
        }
        return (result, warnings)
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
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
