import CurlHTTP
import Testing

struct ProxySettingsTests {
    static let environment = [
        "HTTPS_PROXY": "http://secure-proxy:3128", "HTTP_PROXY": "plain-proxy:3128", "NO_PROXY": "internal.example",
    ]

    @Test func theURLSchemePicksTheVariable() {
        let settings = ProxySettings.fromEnvironment(Self.environment)
        #expect(settings.proxy(for: "https://pyroscope.example/ingest") == "http://secure-proxy:3128")
        #expect(settings.proxy(for: "http://pyroscope.example:4040/ingest") == "plain-proxy:3128")
    }

    @Test func httpsDoesNotFallBackToHTTPProxy() {
        let settings = ProxySettings.fromEnvironment(["HTTP_PROXY": "http://plain-proxy:3128"])
        #expect(settings.proxy(for: "https://pyroscope.example") == nil)
    }

    @Test func upperCaseWinsAndLowerCaseIsReadToo() {
        #expect(ProxySettings.fromEnvironment(["HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:1"]).httpsProxy == "http://upper:1")
        #expect(ProxySettings.fromEnvironment(["https_proxy": "http://lower:1"]).httpsProxy == "http://lower:1")
        #expect(ProxySettings.fromEnvironment(["http_proxy": "http://lower:1", "no_proxy": "x.example"]).proxy(for: "http://x.example") == nil)
    }

    @Test func emptyValuesMeanNoProxy() {
        let settings = ProxySettings.fromEnvironment(["HTTPS_PROXY": "  ", "https_proxy": "http://lower:1"])
        #expect(settings.httpsProxy == "http://lower:1")
        #expect(!ProxySettings.fromEnvironment(["HTTPS_PROXY": ""]).isConfigured)
    }

    @Test func noProxyAndLoopbackGoDirect() {
        let settings = ProxySettings.fromEnvironment(Self.environment)
        #expect(settings.proxy(for: "https://api.internal.example/ingest") == nil)
        #expect(settings.proxy(for: "http://127.0.0.1:4040") == nil)
        #expect(settings.proxy(for: "http://localhost:4040") == nil)
    }

    @Test func anExplicitProxyIsUsedForEveryRequest() {
        let settings = ProxySettings.fromEnvironment(Self.environment, explicitProxy: "http://only-for-us:8080")
        #expect(settings.proxy(for: "https://api.internal.example") == "http://only-for-us:8080")
        #expect(settings.proxy(for: "http://127.0.0.1:4040") == "http://only-for-us:8080")
    }
}
