import Deadlines
import Logging
import SafeText

/// Ships CPU profiles to Pyroscope's ingest API in the background, so that a slow, failing or unreachable server
/// never holds up the profiled program: ``enqueue(_:)`` returns at once, and ``shutdown(deadline:)`` returns by
/// its deadline whatever the server does.
///
/// Create one per run, enqueue each interval's profile and the final one, then call ``shutdown(deadline:)``.
public final class PyroscopeUploader: Sendable {
    private let queue: UploadQueue
    private let ledger: DeliveryLedger
    private let delivery: Task<Void, Never>
    private let logger: Logger

    /// Checks the configuration against Pyroscope's rules and starts the delivery task. What the server would
    /// refuse in a tag, the application name or the tenant is warned about (quoted through ``ShownText``) and
    /// left out or made valid; a server address or credentials that no upload could be sent with throw, before
    /// anything is started, so the caller can say so once and run without uploads.
    /// - Parameter jitter: the random source of the retries' backoff jitter; tests pass a fixed one, so that
    ///   whether the retries or the shutdown deadline end a delivery is the same on every run.
    public init(
        configuration: PyroscopeClientConfiguration, logger: Logger,
        jitter: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) throws(PyroscopeSettingProblem) {
        let server = try ServerAddress.parse(configuration.serverAddress)
        let credentials = try UploadCredentials(configuration: configuration, server: server)
        let scrubber = credentials.scrubber
        self.logger = logger

        var applicationName = configuration.applicationName
        if let problem = PyroscopeLabelRules.problem(withApplicationName: applicationName) {
            applicationName = PyroscopeLabelRules.sanitizedApplicationName(applicationName)
            logger.warning("Pyroscope: application name \(ShownText.value(configuration.applicationName)) \(problem); using \(ShownText.value(applicationName))")
        }
        var tenantID = configuration.tenantID
        if let tenant = tenantID, let problem = PyroscopeLabelRules.problem(withTenantID: tenant) {
            logger.warning("Pyroscope: tenant id \(ShownText.value(scrubber.scrub(tenant))) \(problem); sending without X-Scope-OrgID")
            tenantID = nil
        }
        for warning in configuration.connection.trust.warnings() {
            logger.warning("Pyroscope: \(warning)")
        }
        var staticLabels: [PyroscopeLabel] = []
        for label in configuration.labels {
            if let problem = PyroscopeLabelRules.problem(with: label) {
                logger.warning("Pyroscope: label \(scrubber.scrub(LabelWarning.shown(label))) dropped: \(problem)")
            } else {
                staticLabels.append(label)
            }
        }

        let queue = UploadQueue(capacity: configuration.queueCapacity)
        let ledger = DeliveryLedger()
        let client = IngestClient(authorization: credentials.authorization, tenantID: tenantID, requestTimeout: configuration.requestTimeout,
                                  connection: configuration.connection, scrubber: scrubber)
        let loop = DeliveryLoop(
            server: server, applicationName: applicationName, staticLabels: staticLabels, spyName: configuration.spyName,
            retry: configuration.retry, jitter: jitter, queue: queue, ledger: ledger, client: client, scrubber: scrubber, logger: logger
        )
        self.queue = queue
        self.ledger = ledger
        self.delivery = Task { await loop.run() }
    }

    /// Queues `upload` for delivery without waiting. When the queue is full the oldest waiting profile is
    /// dropped and counted; after ``shutdown(deadline:)`` the upload itself is.
    public func enqueue(_ upload: PyroscopeUpload) {
        switch queue.enqueue(upload) {
        case .queued:
            break
        case .queuedDroppingOldest:
            let message: Logger.Message = "Pyroscope: upload queue full (\(queue.capacity) profiles); dropped the oldest"
            if ledger.isFirstWarning("queue full") { logger.warning(message) } else { logger.debug(message) }
        case .refusedAfterClose:
            logger.debug("Pyroscope: profile enqueued after shutdown; dropped")
        }
    }

    /// Delivers what is queued, but returns by `deadline` no matter what the server does (``Deadline/drain(_:by:)``:
    /// cancelling the delivery task ends the request in flight at once). Logs one line when anything was dropped or
    /// failed that no warning has reported yet.
    public func shutdown(deadline: Duration) async -> PyroscopeDeliveryReport {
        let end = ContinuousClock.now.advanced(by: max(deadline, .zero))
        // Every failure from now on is reported by the report's line, whether the retries or the deadline end it.
        ledger.beginShutdown()
        queue.close()
        _ = await Deadline.drain(delivery, by: end)
        let (enqueued, dropped) = queue.counts
        let outcomes = ledger.outcomes
        let failed = max(enqueued - dropped - outcomes.delivered, 0)
        let report = PyroscopeDeliveryReport(
            delivered: outcomes.delivered, dropped: dropped, failed: failed,
            firstFailure: failed == 0 ? nil : outcomes.firstFailure ?? "not delivered within the shutdown deadline of \(DurationText.format(deadline))"
        )
        if report.isComplete || (report.dropped == 0 && report.failed <= outcomes.announcedFailures) {
            // Nothing the user has not been warned about already: one bad answer makes one line, not two.
            logger.debug("\(report.description)")
        } else {
            logger.warning("\(report.description)")
        }
        return report
    }
}
