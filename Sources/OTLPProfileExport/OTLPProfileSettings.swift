import CurlHTTP
import Foundation
import SafeText

/// Where and how OTLP profiles go, from the exporter variables of the OpenTelemetry specification
/// (https://opentelemetry.io/docs/specs/otel/protocol/exporter/), read with the same rules as hybrid-run's spans:
///
/// - `OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT`, used as given, else `OTEL_EXPORTER_OTLP_ENDPOINT`, to which OTLP/HTTP
///   adds the signal's path `/v1development/profiles`; default `http://localhost:4317` (gRPC) or
///   `http://localhost:4318/v1development/profiles` (HTTP). A bare `host:port` is `http://host:port`; a gRPC
///   endpoint without a port gets its scheme's.
/// - `OTEL_EXPORTER_OTLP_PROFILES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`: `grpc` (the default, as for the
///   spans) or `http/protobuf`.
/// - `…_HEADERS` (`k=v,k2=v2`, values percent-decoded), `…_TIMEOUT` (milliseconds, default 10 s) and
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
            guard let url = normalized(text, grpc: grpc) else {
                warnings.append("\(name)=\(ShownText.value(Redaction.redactingCredentials(in: text))) is not an http(s)://host[:port] URL; profiles are not exported")
                return (nil, warnings)
            }
            // Only the general endpoint is a base URL that the signal's path is added to.
            let isBase = name == "OTEL_EXPORTER_OTLP_ENDPOINT" && !grpc
            endpoint = isBase ? (url.hasSuffix("/") ? String(url.dropLast()) : url) + httpPath : url
        } else {
            endpoint = grpc ? "http://localhost:4317" : "http://localhost:4318" + httpPath
        }

        var headers: [HTTPHeader] = []
        if let (name, text) = value("OTEL_EXPORTER_OTLP_PROFILES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS") {
            for (position, entry) in text.split(separator: ",").enumerated() {
                let parts = entry.split(separator: "=", maxSplits: 1)
                let key = parts.first.map { String($0.trimmingWhitespace()) } ?? ""
                guard parts.count == 2, !key.isEmpty, let decoded = String(parts[1].trimmingWhitespace()).removingPercentEncoding else {
                    warnings.append("\(name): entry \(position + 1) is not key=value (percent-encoded); left out")
                    continue
                }
                headers.append(HTTPHeader(key, decoded))
            }
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

    /// `http(s)://host[:port][/path]` with a port from 1 to 65535, the scheme in lower case; `host:port` gets
    /// `http://`; a gRPC endpoint without a port gets its scheme's (80 or 443). Nil for anything else.
    static func normalized(_ text: String, grpc: Bool) -> String? {
        let withScheme = text.contains("://") ? text : "http://" + text
        guard let separator = withScheme.range(of: "://") else { return nil }
        let scheme = withScheme[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = withScheme[separator.upperBound...]
        let authority = rest.prefix { !"/?#".contains($0) }
        let hostAndPort = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
        // The port follows the last colon, unless that colon is inside an IPv6 literal (`[::1]`).
        let portColon = hostAndPort.lastIndex(of: ":").flatMap { hostAndPort[$0...].contains("]") ? nil : $0 }
        let host = portColon.map { hostAndPort[..<$0] } ?? hostAndPort
        let port = portColon.map { hostAndPort[hostAndPort.index(after: $0)...] } ?? ""
        guard !host.isEmpty, port.isEmpty || (port.allSatisfy(\.isASCII) && port.allSatisfy(\.isNumber) && (1...65535).contains(Int(port) ?? 0)) else {
            return nil
        }
        let withPort = grpc && port.isEmpty ? authority + ":\(scheme == "https" ? 443 : 80)" : authority
        let normalized = scheme + "://" + withPort + rest.dropFirst(authority.count)
        return URLComponents(string: normalized)?.host == nil ? nil : normalized
    }
}
