import Foundation
import SafeText

/// Which proxy, if any, a request goes through.
///
/// The standard variables are read as Go's `httpproxy.FromEnvironment` reads them (pyroscope-go and the
/// OpenTelemetry Go exporters use it): `HTTPS_PROXY` for `https://` URLs and `HTTP_PROXY` for `http://` ones (the
/// upper-case name first, then the lower-case one), `NO_PROXY` (see ``NoProxyList``), and `localhost` and loopback
/// addresses never proxied. A proxy without a scheme is an `http://` proxy; `https://`, `socks5://` and
/// `socks5h://` proxies work too. libcurl's own reading of the environment is switched off: it ignores
/// `HTTP_PROXY` in upper case and proxies loopback addresses.
public struct ProxySettings: Sendable, Equatable {
    /// One proxy for every request, whatever the environment says (e.g. `PYROSCOPE_PROXY`); nil to use the
    /// environment's.
    public var explicitProxy: String?
    public var httpProxy: String?
    public var httpsProxy: String?
    public var noProxy: NoProxyList

    /// Every request goes direct.
    public static let direct = ProxySettings(explicitProxy: nil, httpProxy: nil, httpsProxy: nil, noProxy: NoProxyList(""))

    public init(explicitProxy: String?, httpProxy: String?, httpsProxy: String?, noProxy: NoProxyList) {
        self.explicitProxy = explicitProxy
        self.httpProxy = httpProxy
        self.httpsProxy = httpsProxy
        self.noProxy = noProxy
    }

    /// The standard variables of `environment`, plus `explicitProxy` when the user named one for this client.
    public static func fromEnvironment(_ environment: [String: String], explicitProxy: String? = nil) -> ProxySettings {
        func first(_ names: String...) -> String? {
            names.lazy.compactMap { environment[$0].map { String($0.trimmingWhitespace()) } }.first { !$0.isEmpty }
        }
        return ProxySettings(
            explicitProxy: explicitProxy.map { String($0.trimmingWhitespace()) }.flatMap { $0.isEmpty ? nil : $0 },
            httpProxy: first("HTTP_PROXY", "http_proxy"), httpsProxy: first("HTTPS_PROXY", "https_proxy"),
            noProxy: NoProxyList(first("NO_PROXY", "no_proxy") ?? "")
        )
    }

    /// Whether any proxy is configured at all.
    public var isConfigured: Bool { explicitProxy != nil || httpProxy != nil || httpsProxy != nil }

    /// The proxy for a request to `url` (`scheme://host[:port]/…`), or nil to go direct.
    public func proxy(for url: String) -> String? {
        if let explicitProxy { return explicitProxy }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), let host = components.host else {
            return nil
        }
        let proxy = scheme == "https" ? httpsProxy : scheme == "http" ? httpProxy : nil
        guard let proxy else { return nil }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        return noProxy.bypasses(host: host, port: port) ? nil : proxy
    }

    /// `proxy` as it may be shown: with a scheme, its password masked.
    static func shown(_ proxy: String) -> String {
        Redaction.redactingCredentials(in: proxy.contains("://") ? proxy : "http://" + proxy)
    }
}
