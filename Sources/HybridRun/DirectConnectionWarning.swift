import CurlHTTP
import Foundation
import SafeText

/// The OTLP exporters that connect on their own, never through a proxy: swift-otel's (OTLP/gRPC on
/// grpc-swift-nio-transport dials the endpoint's host, OTLP/HTTP on AsyncHTTPClient is configured without a proxy)
/// and hybrid-run's OTLP/gRPC profiles on the same transport. Behind a proxy that every Go exporter would use, their
/// exports fail for a reason the user cannot see; this names it before the first export.
enum DirectConnectionWarning {
    /// One line when `HTTPS_PROXY` or `HTTP_PROXY` of `environment` would apply to `endpoint` (after `NO_PROXY`;
    /// loopback never), else nil.
    /// - Parameter what: what goes there, e.g. `spans`.
    static func message(what: String, endpoint: String, environment: [String: String]) -> String? {
        let url = endpoint.contains("://") ? endpoint : "http://" + endpoint
        guard let components = URLComponents(string: url), let host = components.host else { return nil }
        var authority = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        if let port = components.port { authority += ":\(port)" }
        let proxies = ProxySettings.fromEnvironment(environment)
        let variable = if proxies.proxy(for: "https://" + authority) != nil { "HTTPS_PROXY" }
            else if proxies.proxy(for: "http://" + authority) != nil { "HTTP_PROXY" }
            else { String?.none }
        guard let variable else { return nil }
        return "\(variable) is set, but \(what) go to \(ShownText.value(Redaction.redactingCredentials(in: endpoint))) directly: "
            + "this OTLP exporter does not use proxies (add the host to NO_PROXY to silence this)"
    }
}
