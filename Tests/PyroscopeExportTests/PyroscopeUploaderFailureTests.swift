import Foundation
import Logging
import PyroscopeExport
import Testing
import TestSupport

/// A failing, unreachable or silent server: retried when worth it, never retried when not, and never holding
/// shutdown past its deadline. Each test scripts its own receiver, so the shared one is left alone.
@Suite(.enabled(if: TestEnvironment.isAvailable, "needs scripts/test.sh"))
struct PyroscopeUploaderFailureTests {
    static let fastRetry = PyroscopeRetryPolicy(maximumAttempts: 4, initialBackoff: .milliseconds(50), maximumBackoff: .milliseconds(200))
    /// Shorter than what hybrid-run passes (2.5 s), so that a loaded machine's scheduling has 1.5 s of slack before the
    /// budget, while an uploader that ignored the deadline would still overrun it: the retries below need 3.5 s of
    /// backoff, a black-holed or silent server the 10 s request timeout.
    static let exitDeadline = Duration.seconds(1)
    static let exitBudget = Duration.milliseconds(2500)

    @Test func serverErrorThenSuccessDeliversTheProfileExactlyOnce() async throws {
        try await PyroscopeReceiver.withDedicated(responses: [500]) { pyroscope in
            let uploader = try PyroscopeUploader(
                configuration: PyroscopeClientConfiguration(serverAddress: pyroscope.url.absoluteString, applicationName: "retry", retry: Self.fastRetry),
                logger: RecordingLogHandler().logger
            )
            uploader.enqueue(CPUProfileFixture.upload())
            let report = await uploader.shutdown(deadline: .seconds(5))

            #expect(report == PyroscopeDeliveryReport(delivered: 1, dropped: 0, failed: 0, firstFailure: nil))
            let attempts = try await pyroscope.uploads(includeRejected: true)
            #expect(attempts.map(\.status) == [500, 200])
            #expect(attempts.filter(\.stored).count == 1)
        }
    }

    /// Both refusals come back during the run (the test waits for the uploader to have handled both before it
    /// shuts down), so the first one's own warning reports both and the report at shutdown stays at debug level.
    @Test(arguments: [400, 413, 422])
    func validationErrorsAreNeverRetriedAndWarnedOnce(status: Int) async throws {
        try await PyroscopeReceiver.withDedicated(responses: [status, status]) { pyroscope in
            let log = RecordingLogHandler()
            let uploader = try PyroscopeUploader(
                configuration: PyroscopeClientConfiguration(serverAddress: pyroscope.url.absoluteString, applicationName: "rejected", retry: Self.fastRetry),
                logger: log.logger
            )
            uploader.enqueue(CPUProfileFixture.upload())
            uploader.enqueue(CPUProfileFixture.upload())
            let refusal = "refused the profile with \(status)"
            _ = try await Poll.until(timeout: .seconds(20), "both refusals to be handled") {
                log.all.filter { $0.message.contains(refusal) }.count == 2 ? true : nil
            }
            let report = await uploader.shutdown(deadline: .seconds(5))

            let attempts = try await pyroscope.health().attempts
            #expect(attempts == 2, "one request per profile")
            #expect(report.delivered == 0)
            #expect(report.failed == 2)
            #expect(report.firstFailure?.contains("\(status): scripted failure \(status)") == true)
            #expect(log.warnings.count == 1, "\(log.warnings)")
            #expect(log.warnings.filter { $0.contains(refusal) && $0.hasSuffix("not retrying") }.count == 1)
        }
    }

    /// Pyroscope down, with the default retries and an exit deadline: shutdown returns by
    /// the deadline, and one warning line, the report, says what failed and why. With the most jitter the
    /// retries would need 0.5 + 1 + 2 s of backoff, so the deadline ends them on every run.
    @Test func serverDownShutdownReturnsByTheDeadlineAndReportsTheFailure() async throws {
        let closed = try ClosedPort()
        let log = RecordingLogHandler()
        let uploader = try Self.uploader(to: closed, logger: log.logger, jitter: .mostJitter)
        uploader.enqueue(CPUProfileFixture.upload())
        let (report, elapsed) = await Self.timedShutdown(uploader, deadline: Self.exitDeadline)

        #expect(elapsed < Self.exitBudget)
        #expect(report.delivered == 0)
        #expect(report.failed == 1)
        let failure = try #require(report.firstFailure)
        #expect(failure.contains(closed.hostAndPort))
        #expect(failure.localizedCaseInsensitiveContains("refused"), "the reason, not only that the deadline passed")
        #expect(failure.hasSuffix("(not delivered by the shutdown deadline)"), "the deadline ended the retries")
        Self.expectOneWarningReportingTheFailure(log, closed)
    }

    /// The other side of the race behind a flaky exit report: the retries run out before the deadline (with
    /// real jitter, about one run in nine at the exit deadline). The failure is reported exactly as when the
    /// deadline ends them, by the report's line alone. With the least jitter the backoff is 0.25 + 0.5 + 1 s,
    /// well within a 20 s deadline, so the retries run out first on every run.
    @Test func serverDownRetriesRunningOutBeforeTheDeadlineAreReportedTheSameWay() async throws {
        let closed = try ClosedPort()
        let log = RecordingLogHandler()
        let uploader = try Self.uploader(to: closed, logger: log.logger, jitter: .leastJitter)
        uploader.enqueue(CPUProfileFixture.upload())
        let report = await uploader.shutdown(deadline: .seconds(20))

        #expect(report.failed == 1)
        #expect(report.firstFailure?.hasSuffix("(gave up after 4 attempts)") == true, "the retries ran out: \(report.firstFailure ?? "no failure")")
        Self.expectOneWarningReportingTheFailure(log, closed)
    }

    private static func uploader(to closed: ClosedPort, logger: Logger, jitter: FixedGenerator) throws -> PyroscopeUploader {
        try PyroscopeUploader(
            configuration: PyroscopeClientConfiguration(serverAddress: closed.url.absoluteString, applicationName: "down"), logger: logger, jitter: jitter
        )
    }

    /// Exactly one warning, the report's line, naming the server and the reason.
    private static func expectOneWarningReportingTheFailure(_ log: RecordingLogHandler, _ closed: ClosedPort, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(log.warnings.count == 1, "\(log.warnings)", sourceLocation: sourceLocation)
        let warning = log.warnings.first ?? ""
        #expect(warning.hasPrefix("0 profiles delivered to Pyroscope, 1 failed (first: http://\(closed.hostAndPort): "), "\(warning)", sourceLocation: sourceLocation)
        #expect(warning.localizedCaseInsensitiveContains("refused"), "\(warning)", sourceLocation: sourceLocation)
    }

    @Test func blackHoledServerShutdownReturnsByTheDeadline() async throws {
        let listener = try BlackHoleListener()
        defer { listener.close() }
        let uploader = try PyroscopeUploader(
            configuration: PyroscopeClientConfiguration(serverAddress: listener.url.absoluteString, applicationName: "black-hole"),
            logger: RecordingLogHandler().logger
        )
        uploader.enqueue(CPUProfileFixture.upload())
        let (report, elapsed) = await Self.timedShutdown(uploader, deadline: Self.exitDeadline)

        #expect(elapsed < Self.exitBudget)
        #expect(listener.connectionCount >= 1, "the upload was attempted")
        #expect(report.failed == 1)
        #expect(report.firstFailure == "\(listener.url.absoluteString): no answer before the shutdown deadline")
    }

    @Test func serverThatReadsButNeverAnswersShutdownReturnsByTheDeadline() async throws {
        try await PyroscopeReceiver.withDedicated(hang: true) { pyroscope in
            let uploader = try PyroscopeUploader(
                configuration: PyroscopeClientConfiguration(serverAddress: pyroscope.url.absoluteString, applicationName: "hang"),
                logger: RecordingLogHandler().logger
            )
            uploader.enqueue(CPUProfileFixture.upload())
            let (report, elapsed) = await Self.timedShutdown(uploader, deadline: Self.exitDeadline)

            #expect(elapsed < Self.exitBudget)
            let attempts = try await pyroscope.health().attempts
            #expect(attempts == 1)
            #expect(report.failed == 1)
        }
    }

    @Test func fullQueueDropsTheOldestAndCountsThem() async throws {
        try await PyroscopeReceiver.withDedicated(hang: true) { pyroscope in
            let log = RecordingLogHandler()
            let configuration = PyroscopeClientConfiguration(
                serverAddress: pyroscope.url.absoluteString, applicationName: "overflow", requestTimeout: .seconds(1),
                queueCapacity: 2, retry: Self.fastRetry
            )
            let uploader = try PyroscopeUploader(configuration: configuration, logger: log.logger)
            func upload(_ number: Int) -> PyroscopeUpload { CPUProfileFixture.upload(labels: [PyroscopeLabel(name: "seq", value: "\(number)")]) }
            uploader.enqueue(upload(1))
            // Upload 1 is in flight (held by the server) before the others come, so the queue's content is known.
            _ = try await Poll.until(timeout: .seconds(10), "the first upload to reach the server") {
                try await pyroscope.health().attempts == 1 ? true : nil
            }
            for number in 2...6 { uploader.enqueue(upload(number)) }
            try await pyroscope.setHang(false)
            let report = await uploader.shutdown(deadline: .seconds(8))

            #expect(report == PyroscopeDeliveryReport(delivered: 3, dropped: 3, failed: 0, firstFailure: nil))
            let stored = try await pyroscope.uploads().compactMap { $0.labels?["seq"] }
            #expect(stored == ["1", "5", "6"])
            #expect(log.warnings.filter { $0.contains("upload queue full") }.count == 1)
            #expect(log.warnings.contains { $0.contains("3 dropped") }, "the summary line")
        }
    }

    @Test func uploadsAfterShutdownAreDroppedAndCounted() async throws {
        let closed = try ClosedPort()
        let uploader = try PyroscopeUploader(
            configuration: PyroscopeClientConfiguration(serverAddress: closed.url.absoluteString, applicationName: "late"),
            logger: RecordingLogHandler().logger
        )
        _ = await uploader.shutdown(deadline: .seconds(1))
        uploader.enqueue(CPUProfileFixture.upload())
        let report = await uploader.shutdown(deadline: .seconds(1))

        #expect(report == PyroscopeDeliveryReport(delivered: 0, dropped: 1, failed: 0, firstFailure: nil))
    }

    private static func timedShutdown(_ uploader: PyroscopeUploader, deadline: Duration) async -> (PyroscopeDeliveryReport, Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        let report = await uploader.shutdown(deadline: deadline)
        return (report, start.duration(to: clock.now))
    }
}
