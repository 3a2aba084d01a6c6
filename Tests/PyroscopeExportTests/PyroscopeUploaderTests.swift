import Foundation
import PyroscopeExport
import Testing
import TestSupport

/// Uploads checked by what the Pyroscope stand-in decoded (pprof through the official profile.proto).
@Suite(.enabled(if: TestEnvironment.isAvailable, "needs scripts/test.sh"))
struct PyroscopeUploaderTests {
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let rootSpanID = "00f067aa0ba902b7"

    @Test func uploadArrivesAsPprofWithNameLabelsTimeRangeAndRate() async throws {
        let pyroscope = try PyroscopeReceiver.shared
        let app = CPUProfileFixture.uniqueApplicationName("delivery")
        let configuration = PyroscopeClientConfiguration(
            serverAddress: pyroscope.url.absoluteString, applicationName: app, labels: [PyroscopeLabel(name: "env", value: "ci")]
        )
        let uploader = try PyroscopeUploader(configuration: configuration, logger: RecordingLogHandler().logger)
        let upload = CPUProfileFixture.upload(labels: [
            PyroscopeLabel(name: "trace_id", value: Self.traceID), PyroscopeLabel(name: "root_span_id", value: Self.rootSpanID),
        ])
        uploader.enqueue(upload)
        let report = await uploader.shutdown(deadline: .seconds(5))

        #expect(report == PyroscopeDeliveryReport(delivered: 1, dropped: 0, failed: 0, firstFailure: nil))
        let received = try #require(try await pyroscope.uploads(app: app).only)
        #expect(received.appName == app && received.serviceName == app)
        #expect(received.profileType == "process_cpu")
        #expect(received.labels == ["env": "ci", "trace_id": Self.traceID, "root_span_id": Self.rootSpanID])
        #expect(received.fromUnixNanos == upload.startTime)
        #expect(received.untilUnixNanos == upload.endTime)
        #expect(received.sampleRate == 100)
        #expect(received.spyName == "hybrid-run")
        #expect(received.bodyKind == "multipart")
        #expect(received.format == "")
        let profile = try #require(received.profile)
        #expect(profile.sampleTypes == [ReceivedProfile.ValueType(type: "samples", unit: "count"), ReceivedProfile.ValueType(type: "cpu", unit: "nanoseconds")])
        #expect(profile.totals == CPUProfileFixture.totals)
        #expect(profile.samples.map(\.stack).contains(["main", "work"]))
    }

    @Test func uploadLabelsOverrideStaticLabelsOfTheSameName() async throws {
        let pyroscope = try PyroscopeReceiver.shared
        let app = CPUProfileFixture.uniqueApplicationName("override")
        let configuration = PyroscopeClientConfiguration(
            serverAddress: pyroscope.url.absoluteString, applicationName: app, labels: [PyroscopeLabel(name: "stage", value: "static")]
        )
        let uploader = try PyroscopeUploader(configuration: configuration, logger: RecordingLogHandler().logger)
        uploader.enqueue(CPUProfileFixture.upload(labels: [PyroscopeLabel(name: "stage", value: "per-upload")]))
        _ = await uploader.shutdown(deadline: .seconds(5))

        let received = try #require(try await pyroscope.uploads(app: app).only)
        #expect(received.labels == ["stage": "per-upload"])
    }

    @Test func invalidLabelsAreDroppedWithAWarningNamingThem() async throws {
        let pyroscope = try PyroscopeReceiver.shared
        let app = CPUProfileFixture.uniqueApplicationName("invalid-label")
        let log = RecordingLogHandler()
        let configuration = PyroscopeClientConfiguration(
            serverAddress: pyroscope.url.absoluteString, applicationName: app,
            labels: [PyroscopeLabel(name: "bad-name", value: "x"), PyroscopeLabel(name: "good", value: "yes")]
        )
        let uploader = try PyroscopeUploader(configuration: configuration, logger: log.logger)
        uploader.enqueue(CPUProfileFixture.upload(labels: [PyroscopeLabel(name: "branch", value: "a,b")]))
        uploader.enqueue(CPUProfileFixture.upload(labels: [PyroscopeLabel(name: "branch", value: "a,b")]))
        let report = await uploader.shutdown(deadline: .seconds(5))

        #expect(report.delivered == 2)
        let received = try await pyroscope.uploads(app: app)
        #expect(received.map(\.labels) == [["good": "yes"], ["good": "yes"]])
        #expect(log.warnings.filter { $0.contains("bad-name=x") }.count == 1)
        #expect(log.warnings.filter { $0.contains("branch=a,b") }.count == 1, "warned once, not on every upload")
    }

    @Test func invalidApplicationNameIsMadeValidAndTheQueryLinkFindsIt() async throws {
        let pyroscope = try PyroscopeReceiver.shared
        let app = CPUProfileFixture.uniqueApplicationName("app name")
        let log = RecordingLogHandler()
        let uploader = try PyroscopeUploader(
            configuration: PyroscopeClientConfiguration(serverAddress: pyroscope.url.absoluteString, applicationName: app), logger: log.logger
        )
        uploader.enqueue(CPUProfileFixture.upload())
        _ = await uploader.shutdown(deadline: .seconds(5))

        let sanitized = app.replacingOccurrences(of: " ", with: "_")
        #expect(try await pyroscope.uploads(app: sanitized).count == 1)
        #expect(log.warnings.contains { $0.contains(app) && $0.contains(sanitized) })
        let link = try #require(PyroscopeQueryURL.forRun(serverAddress: pyroscope.url.absoluteString, applicationName: app, traceID: nil, startTime: 0, endTime: 0))
        #expect(link.contains("service_name%3D%22\(sanitized)%22"))
    }

    @Test func tenantAndBasicAuthArriveAndNoCredentialIsLogged() async throws {
        let pyroscope = try PyroscopeReceiver.shared
        let app = CPUProfileFixture.uniqueApplicationName("basic-auth")
        let log = RecordingLogHandler()
        let password = "pw-\(UInt64.random(in: .min ... .max))"
        let configuration = PyroscopeClientConfiguration(
            serverAddress: pyroscope.url.absoluteString, applicationName: app, labels: [PyroscopeLabel(name: "bad-label!", value: password)],
            tenantID: "team-a", basicAuthUser: "alice", basicAuthPassword: password
        )
        let uploader = try PyroscopeUploader(configuration: configuration, logger: log.logger)
        uploader.enqueue(CPUProfileFixture.upload())
        let report = await uploader.shutdown(deadline: .seconds(5))

        #expect(report.delivered == 1)
        let received = try #require(try await pyroscope.uploads(app: app).only)
        #expect(received.tenant == "team-a")
        #expect(received.auth?.scheme == "basic")
        #expect(received.auth?.user == "alice")
        #expect(received.auth?.passwordPresent == true)
        #expect(!log.all.isEmpty, "the test must see log output to show that it holds no credential")
        #expect(!log.everything.contains(password))
    }

    @Test func credentialsInTheServerAddressBecomeBasicAuthAndAreNeverShown() async throws {
        let pyroscope = try PyroscopeReceiver.shared
        let app = CPUProfileFixture.uniqueApplicationName("url-auth")
        let log = RecordingLogHandler()
        let password = "url-pw-\(UInt64.random(in: .min ... .max))"
        var address = try #require(URLComponents(url: pyroscope.url, resolvingAgainstBaseURL: false))
        address.user = "bob"
        address.password = password
        let uploader = try PyroscopeUploader(
            configuration: PyroscopeClientConfiguration(serverAddress: try #require(address.string), applicationName: app), logger: log.logger
        )
        uploader.enqueue(CPUProfileFixture.upload())
        _ = await uploader.shutdown(deadline: .seconds(5))

        let received = try #require(try await pyroscope.uploads(app: app).only)
        #expect(received.auth?.user == "bob")
        #expect(received.auth?.passwordPresent == true)
        #expect(!log.everything.contains(password))
    }

    @Test func bearerTokenArrives() async throws {
        let pyroscope = try PyroscopeReceiver.shared
        let app = CPUProfileFixture.uniqueApplicationName("bearer")
        let log = RecordingLogHandler()
        let token = "token-\(UInt64.random(in: .min ... .max))"
        let uploader = try PyroscopeUploader(
            configuration: PyroscopeClientConfiguration(serverAddress: pyroscope.url.absoluteString, applicationName: app, bearerToken: token),
            logger: log.logger
        )
        uploader.enqueue(CPUProfileFixture.upload())
        _ = await uploader.shutdown(deadline: .seconds(5))

        let received = try #require(try await pyroscope.uploads(app: app).only)
        #expect(received.auth?.scheme == "bearer")
        #expect(received.auth?.tokenPresent == true)
        #expect(!log.everything.contains(token))
    }

    @Test func credentialsNeverAppearInFailuresOrLogs() async throws {
        let closed = try ClosedPort()
        let log = RecordingLogHandler()
        let password = "pw-\(UInt64.random(in: .min ... .max))"
        let token = "token-\(UInt64.random(in: .min ... .max))"
        let configuration = PyroscopeClientConfiguration(
            serverAddress: "http://carol:\(password)@\(closed.hostAndPort)", applicationName: "credentials",
            bearerToken: token, retry: PyroscopeRetryPolicy(maximumAttempts: 2, initialBackoff: .milliseconds(10), maximumBackoff: .milliseconds(10))
        )
        let uploader = try PyroscopeUploader(configuration: configuration, logger: log.logger)
        uploader.enqueue(CPUProfileFixture.upload())
        let report = await uploader.shutdown(deadline: .seconds(2))

        #expect(report.failed == 1)
        let failure = try #require(report.firstFailure)
        #expect(failure.contains(closed.hostAndPort))
        for text in [failure, report.description, log.everything] {
            #expect(!text.contains(password))
            #expect(!text.contains(token))
        }
    }
}
