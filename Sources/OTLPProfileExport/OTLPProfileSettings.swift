import CurlHTTP
import Foundation
import SafeText
import Telemetry

/// Where and how OTLP profiles go, from the exporter variables of the OpenTelemetry specification
/// (https://opentelemetry.io/docs/specs/otel/protocol/exporter/), read with the same rules as hybrid-run's spans:
///
/// - `OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT`, used as given, else `OTEL_EXPORTER_OTLP_ENDPOINT`, to which OTLP/HTTP
///   adds the signal's path `/v1development/profiles`; default `http://localhost:4317` (gRPC) or
///   `http://localhost:4318/v1development/profiles` (HTTP). A bare `host:port` is `http://host:port`; a gRPC
///   endpoint without a port gets its scheme's.
/// - `OTEL_EXPORTER_OTLP_PROFILES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`: `grpc` (the default, as for the
///   spans) or `http/protobuf`.
/// - `…_HEADERS` (read as the spans' are, ``OTelKeyValueList``), `…_TIMEOUT` (milliseconds, default 10 s) and
///   `…_CERTIFICATE` (the collector's CA), the signal's own variable first.
/// OTLP/HTTP goes through the proxies of ``ProxySettings``; gRPC connects directly (see ``usesProxies``).
public struct OTLPProfileSettings: Sendable, Equatable {
    public enum TransportProtocol: String, Sendable, CaseIterable {
        case grpc
        case httpProtobuf = "http/protobuf"
    }

    /// The full URL: `scheme://host:port` for gRPC, the request URL for HTTP.
    public var endpoint: String
    public var transportProtocol: TransportProtocol
    public var headers: [HTTPHeader]
    public var timeout: Duration
    public var connection: ConnectionSettings

    public init(endpoint: String, transportProtocol: TransportProtocol, headers: [HTTPHeader] = [], timeout: Duration = .seconds(10),
                connection: ConnectionSettings = .direct) {
        self.endpoint = endpoint
        self.transportProtocol = transportProtocol
        self.headers = headers
        self.timeout = timeout
        self.connection = connection
    }

    /// The HTTP path of the signal, as the collector and Pyroscope 2 serve it.
    public static let httpPath = "/v1development/profiles"

    /// Whether exports honour `HTTPS_PROXY`/`HTTP_PROXY`: OTLP/HTTP goes through libcurl; gRPC's transport
    /// (grpc-swift-nio-transport) always dials the endpoint itself.
    public var usesProxies: Bool { transportProtocol == .httpProtobuf }

    /// The endpoint as it may be shown (credentials masked).
    public var shownEndpoint: String { Redaction.redactingCredentials(in: endpoint) }

    /// - Returns: the settings, or nil when the endpoint cannot be used (profiles are then not exported), and one
    ///   warning per value that was not used, naming the variable and what was assumed. Header values are never
    ///   quoted: they usually hold credentials.
    public static func fromEnvironment(_ environment: [String: String]) -> (settings: OTLPProfileSettings?, warnings: [String]) {
        var warnings: [String] = []
        func value(_ names: String...) -> (name: String, value: String)? {
            for name in names {
                if let text = environment[name], !text.trimmingWhitespace().isEmpty { return (name, String(text.trimmingWhitespace())) }
            }
            return nil
        }

        var transportProtocol = TransportProtocol.grpc
        if let (name, text) = value("OTEL_EXPORTER_OTLP_PROFILES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL") {
            if let chosen = TransportProtocol(rawValue: text.lowercased()) {
                transportProtocol = chosen
            } else if text.lowercased() == "http/json" {
                transportProtocol = .httpProtobuf
                warnings.append("\(name)=\(ShownText.value(text)): profiles are sent as http/protobuf (OTLP/JSON is not supported for them)")
            } else {
                warnings.append("\(name)=\(ShownText.value(text)) is not one of grpc, http/protobuf; profiles use grpc")
            }
        }
        let grpc = transportProtocol == .grpc

        let endpoint: String
        if let (name, text) = value("OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT") {
            switch OTLPEndpoint.normalize(text, grpc: grpc) {
            case .success(let url):
                // Only the general endpoint is a base URL that the signal's path is added to.
                let isBase = name == "OTEL_EXPORTER_OTLP_ENDPOINT" && !grpc
                endpoint = isBase ? (url.hasSuffix("/") ? String(url.dropLast()) : url) + httpPath : url
            case .failure(let invalid):
                warnings.append("\(name)=\(ShownText.value(Redaction.redactingCredentials(in: text))) cannot be used: \(invalid); profiles are not exported")
                return (nil, warnings)
            }
        } else {
            endpoint = grpc ? "http://localhost:4317" : "http://localhost:4318" + httpPath
        }

        var headers: [HTTPHeader] = []
        if let (name, text) = value("OTEL_EXPORTER_OTLP_PROFILES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS") {
            let (pairs, problems) = OTelKeyValueList.parse(text)
            headers = pairs.map { HTTPHeader($0.key, $0.value) }
            warnings += problems.map { $0.warning(in: name, consequence: "left out of the profiles' headers") }
        }

        var timeout = Duration.seconds(10)
        if let (name, text) = value("OTEL_EXPORTER_OTLP_PROFILES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT") {
            if let milliseconds = Int64(text), milliseconds > 0 {
                timeout = .milliseconds(milliseconds)
            } else {
                warnings.append("\(name)=\(ShownText.value(text)) is not a positive number of milliseconds; profiles use 10000")
            }
        }

        let certificate = value("OTEL_EXPORTER_OTLP_PROFILES_CERTIFICATE", "OTEL_EXPORTER_OTLP_CERTIFICATE")
        let connection = ConnectionSettings.fromEnvironment(environment, explicitCAFile: certificate?.value, caFileOrigin: certificate?.name ?? "")
        return (OTLPProfileSettings(endpoint: endpoint, transportProtocol: transportProtocol, headers: headers, timeout: timeout, connection: connection), warnings)
    }
}
