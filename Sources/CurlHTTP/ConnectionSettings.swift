/// How a ``CurlHTTPClient`` reaches its server: the proxy rules, and which certificates it trusts.
public struct ConnectionSettings: Sendable, Equatable {
    public var proxy: ProxySettings
    /// Trust for the server's certificate.
    public var trust: TLSTrust
    /// Trust for an `https://` proxy's certificate: the environment's (a CA given for the server alone is not the
    /// proxy's), but verification is off here too when the user turned it off.
    public var proxyTrust: TLSTrust

    /// Direct connections, the system's CA store.
    public static let direct = ConnectionSettings(proxy: .direct, trust: .system, proxyTrust: .system)

    public init(proxy: ProxySettings, trust: TLSTrust, proxyTrust: TLSTrust) {
        self.proxy = proxy
        self.trust = trust
        self.proxyTrust = proxyTrust
    }

    /// The standard variables (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, `CURL_CA_BUNDLE`, `SSL_CERT_FILE`,
    /// `SSL_CERT_DIR`) and the client's own settings, named by `origin` in messages.
    public static func fromEnvironment(
        _ environment: [String: String], explicitProxy: String? = nil, explicitCAFile: String? = nil, caFileOrigin: String,
        verifiesPeer: Bool = true
    ) -> ConnectionSettings {
        ConnectionSettings(
            proxy: .fromEnvironment(environment, explicitProxy: explicitProxy),
            trust: .fromEnvironment(environment, explicitCAFile: explicitCAFile, origin: caFileOrigin, verifiesPeer: verifiesPeer),
            proxyTrust: .fromEnvironment(environment, verifiesPeer: verifiesPeer)
        )
    }
}
