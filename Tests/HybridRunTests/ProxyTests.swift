import Foundation
import Testing
import TestSupport

/// hybrid-run behind a proxy: Pyroscope uploads honour the standard variables, and the span exporter, which cannot,
/// says so once.
@Suite(.enabled(if: TestEnvironment.isAvailable, "needs scripts/test.sh"))
struct ProxyTests {
    @Test func pyroscopeUploadsGoThroughTheProxyOfTheEnvironment() async throws {
        try await ProxyStandIn.withDedicated(aliasDomain: "proxied.test") { proxy in
            let receiver = try PyroscopeReceiver.shared
            let application = PyroscopeShippingTests.uniqueApplication()
            // A name only the proxy resolves: profiles that arrive went through it.
            let server = URL(string: "http://pyroscope.proxied.test:\(try #require(receiver.url.port))")!
            let result = try await HybridRunProcess.run(["--rate", "500", "--"] + PyroscopeShippingTests.busyLoop, environment: try PyroscopeShippingTests.environment(
                application: application, server: server, correlation: false, ["HTTP_PROXY": proxy.url.absoluteString]))

            #expect(result.status == 0, "\(result.stderr)")
            let uploads = try await receiver.waitForUploads(app: application)
            #expect(uploads.allSatisfy { $0.host == server.host.map { "\($0):\(server.port!)" } })
            let carried = try await proxy.requests()
            #expect(!carried.isEmpty && carried.allSatisfy { $0.method == "POST" && $0.outcome == "forwarded" })
            #expect(!result.stderr.contains("does not use proxies"), "the collector of the tests is on loopback")
        }
    }

    @Test(arguments: [("", true), ("collector.proxied.test", false)])
    func theSpanExporterSaysItGoesDirectWhereAProxyWouldApply(noProxy: String, warned: Bool) async throws {
        let result = try await HybridRunProcess.run(["--", "true"], environment: HybridRunProcess.environment([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "collector.proxied.test:4317", "HYBRID_OTEL_SHUTDOWN_TIMEOUT": "300ms",
            "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": noProxy,
        ]))
        #expect(result.status == 0)
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("does not use proxies") }
        #expect(lines == (warned ? ["hybrid-run: warning: HTTPS_PROXY is set, but spans go to http://collector.proxied.test:4317 directly: "
            + "this OTLP exporter does not use proxies (add the host to NO_PROXY to silence this)"] : []))
    }
}
