@testable import HybridRun
import Testing

/// The warning that an OTLP exporter goes direct where a proxy variable would send a Go exporter through a proxy.
struct DirectConnectionWarningTests {
    @Test func namesTheVariableTheEndpointAndTheWayToSilenceIt() throws {
        let message = try #require(DirectConnectionWarning.message(
            what: "spans", endpoint: "https://otlp.vendor.example:4317", environment: ["HTTPS_PROXY": "http://proxy.corp:3128"]))
        #expect(message == "HTTPS_PROXY is set, but spans go to https://otlp.vendor.example:4317 directly: "
            + "this OTLP exporter does not use proxies (add the host to NO_PROXY to silence this)")
    }

    @Test func anHTTPProxyAppliesToAPlainEndpointToo() {
        let message = DirectConnectionWarning.message(what: "profiles", endpoint: "collector.corp:4317", environment: ["http_proxy": "proxy.corp:3128"])
        #expect(message?.hasPrefix("HTTP_PROXY is set, but profiles go to collector.corp:4317 directly") == true)
    }

    @Test(arguments: [
        ("https://otlp.vendor.example", [String: String]()),
        ("https://otlp.vendor.example", ["HTTPS_PROXY": "http://proxy.corp:3128", "NO_PROXY": "vendor.example"]),
        ("http://127.0.0.1:4317", ["HTTPS_PROXY": "http://proxy.corp:3128", "HTTP_PROXY": "http://proxy.corp:3128"]),
        ("http://localhost:4317", ["HTTPS_PROXY": "http://proxy.corp:3128"]),
    ])
    func silentWhenNoProxyWouldApply(endpoint: String, environment: [String: String]) {
        #expect(DirectConnectionWarning.message(what: "spans", endpoint: endpoint, environment: environment) == nil)
    }

    @Test func credentialsInTheEndpointAreMasked() {
        let message = DirectConnectionWarning.message(what: "spans", endpoint: "https://user:s3cret@otlp.vendor.example", environment: ["HTTPS_PROXY": "proxy:1"])
        #expect(message?.contains("s3cret") == false)
        #expect(message?.contains("user:***@otlp.vendor.example") == true)
    }
}
