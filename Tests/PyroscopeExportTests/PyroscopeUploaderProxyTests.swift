import CurlHTTP
import Foundation
import PyroscopeExport
import Testing
import TestSupport

/// Uploads through a proxy, as on a CI runner behind a company proxy: the proxy stand-in records what it carried,
/// and the server is addressed by a name only the proxy resolves (`*.proxied.test`), so a delivered upload went
/// through it.
@Suite(.enabled(if: TestEnvironment.isAvailable, "needs scripts/test.sh"))
struct PyroscopeUploaderProxyTests {
    static let aliasDomain = "proxied.test"
    static let exitDeadline = Duration.milliseconds(2500)
    static let exitBudget = Duration.seconds(3)

    @Test func plainHTTPIsForwardedByTheProxyInHTTP_PROXY() async throws {
        try await ProxyStandIn.withDedicated(aliasDomain: Self.aliasDomain) { proxy in
            let pyroscope = try PyroscopeReceiver.shared
            let server = "http://pyroscope.\(Self.aliasDomain):\(try #require(pyroscope.url.port))"
            let app = CPUProfileFixture.uniqueApplicationName("http-proxy")
            let report = try await Self.upload(to: server, app: app, connection: .fromEnvironment(["HTTP_PROXY": proxy.url.absoluteString], caFileOrigin: ""))

            #expect(report.delivered == 1)
            let carried = try #require(try await proxy.requests().only)
            #expect(carried.method == "POST")
            #expect(carried.target.hasPrefix("\(server)/ingest?"))
            #expect(carried.outcome == "forwarded")
            let received = try #require(try await pyroscope.uploads(app: app).only)
            #expect(received.host == "pyroscope.\(Self.aliasDomain):\(try #require(pyroscope.url.port))")
        }
    }

    @Test func httpsGoesThroughACONNECTTunnelFromHTTPS_PROXY() async throws {
        let authority = try await TestCertificateAuthority.make(serverNames: ["pyroscope.\(Self.aliasDomain)"])
        defer { authority.remove() }
        try await ProxyStandIn.withDedicated(aliasDomain: Self.aliasDomain) { proxy in
            try await PyroscopeReceiver.withDedicated(tls: authority) { pyroscope in
                let port = try #require(pyroscope.url.port)
                let connection = ConnectionSettings.fromEnvironment(
                    ["HTTPS_PROXY": proxy.url.absoluteString], explicitCAFile: authority.caFile, caFileOrigin: "PYROSCOPE_CA_FILE")
                let report = try await Self.upload(to: "https://pyroscope.\(Self.aliasDomain):\(port)", app: "tunnel", connection: connection)

                #expect(report.delivered == 1)
                let carried = try #require(try await proxy.requests().only)
                #expect(carried.method == "CONNECT")
                #expect(carried.target == "pyroscope.\(Self.aliasDomain):\(port)")
                #expect(carried.outcome == "tunnelled")
                let received = try #require(try await pyroscope.uploads().only)
                #expect(received.tlsVersion?.hasPrefix("TLS") == true)
                #expect(received.profile?.totals == CPUProfileFixture.totals)
            }
        }
    }

    @Test(arguments: [("other.example", true), (aliasDomain, false), ("pyroscope.\(aliasDomain)", false)])
    func noProxySendsMatchingHostsDirect(noProxy: String, proxied: Bool) async throws {
        try await ProxyStandIn.withDedicated(aliasDomain: Self.aliasDomain) { proxy in
            let pyroscope = try PyroscopeReceiver.shared
            let server = "http://pyroscope.\(Self.aliasDomain):\(try #require(pyroscope.url.port))"
            let connection = ConnectionSettings.fromEnvironment(["HTTP_PROXY": proxy.url.absoluteString, "NO_PROXY": noProxy], caFileOrigin: "")
            let report = try await Self.upload(to: server, app: CPUProfileFixture.uniqueApplicationName("no-proxy"), connection: connection)

            // Direct, the alias name resolves nowhere: not delivered, and the proxy saw nothing.
            #expect(try await proxy.requests().count == (proxied ? 1 : 0))
            #expect(report.delivered == (proxied ? 1 : 0))
        }
    }

    @Test func loopbackServersAreNeverProxiedButAnExplicitProxyIsUsedForThemToo() async throws {
        try await ProxyStandIn.withDedicated { proxy in
            let pyroscope = try PyroscopeReceiver.shared
            let environment = ["HTTP_PROXY": proxy.url.absoluteString]
            let direct = try await Self.upload(to: pyroscope.url.absoluteString, app: CPUProfileFixture.uniqueApplicationName("loopback"),
                                               connection: .fromEnvironment(environment, caFileOrigin: ""))
            #expect(direct.delivered == 1)
            #expect(try await proxy.requests().isEmpty)

            let explicit = try await Self.upload(to: pyroscope.url.absoluteString, app: CPUProfileFixture.uniqueApplicationName("explicit"),
                                                 connection: .fromEnvironment([:], explicitProxy: proxy.url.absoluteString, caFileOrigin: ""))
            #expect(explicit.delivered == 1)
            #expect(try await proxy.requests().map(\.outcome) == ["forwarded"])
        }
    }

    @Test func proxyCredentialsAreSentAndNeverShown() async throws {
        let password = "proxy-pw-\(UInt64.random(in: .min ... .max))"
        try await ProxyStandIn.withDedicated(aliasDomain: Self.aliasDomain, requiredAuth: "alice:\(password)") { proxy in
            let pyroscope = try PyroscopeReceiver.shared
            let server = "http://pyroscope.\(Self.aliasDomain):\(try #require(pyroscope.url.port))"
            var withCredentials = try #require(URLComponents(url: proxy.url, resolvingAgainstBaseURL: false))
            withCredentials.user = "alice"
            for (candidate, delivered) in [(password, 1), ("wrong-\(password)", 0)] {
                withCredentials.password = candidate
                let log = RecordingLogHandler()
                let report = try await Self.upload(
                    to: server, app: CPUProfileFixture.uniqueApplicationName("proxy-auth"),
                    connection: .fromEnvironment(["HTTP_PROXY": try #require(withCredentials.string)], caFileOrigin: ""), log: log)

                #expect(report.delivered == delivered)
                if delivered == 0 { #expect(log.warnings.contains { $0.contains("refused the profile with 407") }, "the log shows the refusal") }
                for text in [log.everything, report.description] { #expect(!text.contains(password)) }
            }
            let carried = try await proxy.requests()
            #expect(carried.map(\.auth.user) == ["alice", "alice"])
            #expect(carried.map(\.outcome) == ["forwarded", "refused: proxy authentication required"])
        }
    }

    @Test func aProxyThatNeverAnswersDelaysShutdownNoLongerThanTheDeadline() async throws {
        let proxy = try BlackHoleListener()
        defer { proxy.close() }
        let uploader = try PyroscopeUploader(
            configuration: PyroscopeClientConfiguration(
                serverAddress: "https://pyroscope.example", applicationName: "hung-proxy",
                connection: .fromEnvironment(["HTTPS_PROXY": proxy.url.absoluteString], caFileOrigin: "")),
            logger: RecordingLogHandler().logger)
        uploader.enqueue(CPUProfileFixture.upload())
        _ = try await Poll.until(timeout: .seconds(10), "the upload to reach the proxy") { proxy.connectionCount >= 1 ? true : nil }
        let clock = ContinuousClock()
        let start = clock.now
        let report = await uploader.shutdown(deadline: Self.exitDeadline)

        #expect(start.duration(to: clock.now) < Self.exitBudget)
        #expect(report.failed == 1)
    }

    private static func upload(
        to server: String, app: String, connection: ConnectionSettings, log: RecordingLogHandler = RecordingLogHandler()
    ) async throws -> PyroscopeDeliveryReport {
        let uploader = try PyroscopeUploader(
            configuration: PyroscopeClientConfiguration(
                serverAddress: server, applicationName: app,
                retry: PyroscopeRetryPolicy(maximumAttempts: 1, initialBackoff: .milliseconds(10), maximumBackoff: .milliseconds(10)),
                connection: connection),
            logger: log.logger)
        uploader.enqueue(CPUProfileFixture.upload())
        return await uploader.shutdown(deadline: .seconds(10))
    }
}
