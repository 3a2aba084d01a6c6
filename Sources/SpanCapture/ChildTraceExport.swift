import Foundation
import NIOCore
import SafeText

/// Where a child's OTLP trace exporter sends its spans, read from the variables the OpenTelemetry
/// specification defines for it ("OTLP Exporter Configuration"), and the one change that points it at the
/// relay instead.
///
/// Only `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` changes (the signal-specific variable wins over the generic one in
/// every SDK), so metrics and logs still go where they went, and every other setting (protocol, headers,
/// compression, timeout) is the child's own.
///
/// Relayed only when the relay changes nothing the collector sees: the endpoint is `http://` (TLS cannot be
/// read), and its host an IP address or `localhost` (the child's exporter addresses the relay, so the collector
/// gets `Host`/`:authority` `127.0.0.1:PORT`; a proxy routing by host name would refuse that), and, unless it is
/// loopback, no proxy variable is set that applies to it (the child's SDK may send through the proxy; the relay
/// dials directly). `NO_PROXY` is read by the caller: SDKs that honour the proxy variables (Go's
/// `httpproxy.FromEnvironment`, Python's `requests`, curl) honour it too, and send to an exempted host directly.
public enum ChildTraceExport {
    public enum Decision: Sendable, Equatable {
        /// Relay to `upstream`; `path` is the path an OTLP/HTTP exporter posts to (kept in the new endpoint),
        /// `nil` for gRPC.
        case relay(upstream: RelayUpstream, path: String?)
        /// The child's spans cannot be relayed; `reason` says why, for the report and the log.
        case notRelayed(reason: String)
    }

    /// The variables through which an SDK may send to a collector that is not loopback (Go, Python, Node and curl
    /// read these; loopback is never proxied).
    static let proxyVariables = ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"]

    /// `bypassesProxy(host, port)`: whether the environment's `NO_PROXY` sends requests to that collector direct.
    public static func decide(_ environment: [String: String], bypassesProxy: (_ host: String, _ port: Int) -> Bool) -> Decision {
        func value(_ name: String) -> String? {
            environment[name].map { String($0.trimmingWhitespace()) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        if value("OTEL_SDK_DISABLED")?.lowercased() == "true" {
            return .notRelayed(reason: "OTEL_SDK_DISABLED=true: the command exports no spans")
        }
        if let exporters = value("OTEL_TRACES_EXPORTER"), !exporters.lowercased().split(separator: ",").contains(where: { $0.trimmingWhitespace() == "otlp" }) {
            return .notRelayed(reason: "OTEL_TRACES_EXPORTER=\(ShownText.value(exporters)): the command exports no spans over OTLP")
        }
        let protocolName = (value("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? value("OTEL_EXPORTER_OTLP_PROTOCOL"))?.lowercased()
        let grpc = protocolName == "grpc"
        let insecure = (value("OTEL_EXPORTER_OTLP_TRACES_INSECURE") ?? value("OTEL_EXPORTER_OTLP_INSECURE"))?.lowercased() == "true"

        let signalEndpoint = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        guard let text = signalEndpoint ?? value("OTEL_EXPORTER_OTLP_ENDPOINT") else {
            let port: Int? = switch protocolName {
            case nil: nil
            case "grpc"?: 4317
            default: 4318
            }
            return .relay(upstream: RelayUpstream(host: "localhost", port: port), path: grpc ? nil : "/v1/traces")
        }
        let variable = signalEndpoint != nil ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT"
        let shown = ShownText.value(Redaction.redactingCredentials(in: text))
        let hasScheme = text.contains("://")
        guard hasScheme || insecure else {
            return .notRelayed(reason: "\(variable)=\(shown) has no scheme, which most SDKs take for TLS; write http://\(shown) to have the command's spans in the report")
        }
        guard let url = URLComponents(string: hasScheme ? text : "http://" + text), let host = url.host, !host.isEmpty else {
            return .notRelayed(reason: "\(variable)=\(shown) is not a URL")
        }
        guard url.scheme?.lowercased() == "http" else {
            return .notRelayed(reason: "\(variable)=\(shown) uses TLS, which a local relay cannot read (the command's spans go straight to the collector)")
        }
        // URLComponents keeps an IPv6 address in its brackets; the relay dials the address.
        let address = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let ipAddress = (try? SocketAddress(ipAddress: address, port: 0))?.ipAddress
        let isLoopback = address.lowercased() == "localhost" || ipAddress.map { $0.hasPrefix("127.") || $0 == "::1" } == true
        guard isLoopback || ipAddress != nil else {
            return .notRelayed(reason: "\(variable)=\(shown) names a host, and through a local relay the collector would get the relay's address as Host (gRPC :authority) instead, which a proxy that routes by host name refuses; use an IP address to have the command's spans in the report (they go straight to the collector)")
        }
        let port = url.port ?? 80
        if !isLoopback, !bypassesProxy(address, port), let proxy = proxyVariables.first(where: { value($0) != nil }) {
            return .notRelayed(reason: "\(proxy) is set and \(variable)=\(shown) is not loopback: the command's exporter may send through the proxy, which a local relay would bypass (add the collector to NO_PROXY to have the command's spans in the report; they go as they would without a report)")
        }
        let query = url.percentEncodedQuery.map { "?" + $0 } ?? ""
        // OTLP/HTTP: the signal-specific URL is used as it is; the generic one gets `v1/traces` appended.
        let path = signalEndpoint != nil ? url.percentEncodedPath + query : url.percentEncodedPath.trimmingSuffix("/") + "/v1/traces" + query
        return .relay(upstream: RelayUpstream(host: address, port: port), path: grpc ? nil : path)
    }

    /// `environment` with the trace exporter pointed at the relay on `port`.
    public static func redirected(_ environment: [String: String], relayPort port: Int, path: String?) -> [String: String] {
        var result = environment
        result["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://127.0.0.1:\(port)\(path ?? "")"
        return result
    }
}
