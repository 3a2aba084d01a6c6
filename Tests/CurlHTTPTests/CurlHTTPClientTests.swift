import CurlHTTP
import Foundation
import Testing
import TestSupport

/// The client's own promises, against local sockets: the caller can always walk away, and nothing it reports
/// quotes a credential.
struct CurlHTTPClientTests {
    /// Far beyond every bound below: a test that passes did not wait for the request timeout.
    static let longTimeout = Duration.seconds(60)

    @Test func cancellingEndsARequestToABlackHoledServerAtOnce() async throws {
        let server = try BlackHoleListener()
        defer { server.close() }
        let client = CurlHTTPClient(connection: .direct)
        try await expectCancellationReturnsPromptly(client, url: server.url.absoluteString) { server.connectionCount >= 1 }
    }

    @Test func cancellingEndsARequestHeldByAProxyThatNeverAnswers() async throws {
        let proxy = try BlackHoleListener()
        defer { proxy.close() }
        var connection = ConnectionSettings.direct
        connection.proxy.explicitProxy = proxy.url.absoluteString
        let client = CurlHTTPClient(connection: connection)
        try await expectCancellationReturnsPromptly(client, url: "https://pyroscope.example:4040/ingest") { proxy.connectionCount >= 1 }
    }

    @Test func aServerThatNeverAnswersTimesOutWithThatReason() async throws {
        let server = try BlackHoleListener()
        defer { server.close() }
        let result = await CurlHTTPClient(connection: .direct).post(server.url.absoluteString, headers: [], body: [1, 2, 3], timeout: .milliseconds(300))
        guard case .failed(let failure) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect(failure.kind == .timedOut)
        #expect(failure.proxy == nil)
    }

    @Test func theProxyPasswordNeverAppearsInAFailure() async throws {
        let password = "pw-\(UInt64.random(in: .min ... .max))"
        var connection = ConnectionSettings.direct
        connection.proxy.explicitProxy = "http://alice:\(password)@proxy.invalid:3128"
        let result = await CurlHTTPClient(connection: connection).post("http://pyroscope.example/ingest", headers: [], body: [], timeout: .seconds(10))
        guard case .failed(let failure) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect(failure.proxy == "http://alice:***@proxy.invalid:3128")
        #expect(!failure.description.contains(password))
    }

    @Test(arguments: ["evil\r\nX-Injected: 1", "nul\u{0}byte"])
    func aHeaderValueThatWouldForgeHeadersIsNotSent(value: String) async throws {
        let server = try BlackHoleListener()
        defer { server.close() }
        let result = await CurlHTTPClient(connection: .direct).post(
            server.url.absoluteString, headers: [HTTPHeader("X-Scope-OrgID", value)], body: [], timeout: .seconds(10))
        guard case .failed(let failure) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect(failure.message.contains("X-Scope-OrgID"))
        #expect(server.connectionCount == 0)
    }

    /// Starts a request, waits (bounded) until `reachedPeer` says it is held by the peer, cancels it, and expects
    /// `.cancelled` well before the request's own timeout.
    private func expectCancellationReturnsPromptly(
        _ client: CurlHTTPClient, url: String, reachedPeer: @escaping @Sendable () -> Bool
    ) async throws {
        let request = Task { await client.post(url, headers: [], body: Array(repeating: 7, count: 1000), timeout: Self.longTimeout) }
        _ = try await Poll.until(timeout: .seconds(10), "the request to reach its peer") { reachedPeer() ? true : nil }
        let clock = ContinuousClock()
        let cancelled = clock.now
        request.cancel()
        let result = await request.value
        let elapsed = cancelled.duration(to: clock.now)
        guard case .cancelled = result else {
            Issue.record("expected .cancelled, got \(result)")
            return
        }
        // Generous for a loaded 2-core machine, and still a small fraction of the request's 60 s timeout.
        #expect(elapsed < .seconds(5))
    }
}
