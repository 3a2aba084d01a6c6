import Logging
import SafeText

/// The one background task that sends queued profiles in order, retrying each one as the policy allows.
/// Cancelling it (at the shutdown deadline) ends the request in flight and any backoff at once.
/// Which line reports a failure is the ledger's decision (see ``DeliveryLedger``), not this task's timing.
struct DeliveryLoop: Sendable {
    let server: ServerAddress
    let applicationName: String
    let staticLabels: [PyroscopeLabel]
    let spyName: String
    let retry: PyroscopeRetryPolicy
    /// The random source of the backoff's jitter (the system's in production, a fixed one in tests).
    let jitter: any RandomNumberGenerator & Sendable
    let queue: UploadQueue
    let ledger: DeliveryLedger
    let client: IngestClient
    let scrubber: SecretScrubber
    let logger: Logger

    func run() async {
        var jitter = self.jitter
        while let upload = await queue.next() {
            await deliver(upload, jitter: &jitter)
        }
    }

    private func deliver(_ upload: PyroscopeUpload, jitter: inout some RandomNumberGenerator) async {
        var generator = SystemRandomNumberGenerator()
        let request = IngestRequest(server: server, applicationName: applicationName, labels: labels(for: upload),
                                    upload: upload, spyName: spyName, boundary: IngestRequest.randomBoundary(using: &generator))
        var attempt = 1
        var lastFailure: String?
        while true {
            switch await client.send(request) {
            case .delivered:
                ledger.recordDelivered()
                logger.debug("Pyroscope: profile delivered to \(server.base) (\(upload.profile.count) bytes, attempt \(attempt))")
                return
            case .rejected(let status, let message):
                let reason = "\(server.base) refused the profile with \(status)" + (message.isEmpty ? "" : ": \(message)")
                fail(reason, kind: "rejected \(status)", message: "Pyroscope: \(reason); not retrying")
                return
            case .cancelled:
                ledger.recordFailure("\(server.base): " + (lastFailure.map { "\($0) (not delivered by the shutdown deadline)" } ?? "no answer before the shutdown deadline"))
                return
            case .retryable(let reason, let retryAfter):
                guard attempt < retry.maximumAttempts else {
                    let failure = "\(server.base): \(reason) (gave up after \(attempt) attempts)"
                    fail(failure, kind: "gave up", message: "Pyroscope: \(failure)")
                    return
                }
                let backoff = retry.backoff(afterFailedAttempts: attempt, retryAfter: retryAfter, using: &jitter)
                logger.debug("Pyroscope: \(server.base): \(reason); attempt \(attempt + 1) in \(DurationText.format(backoff))")
                do {
                    try await Task.sleep(for: backoff)
                } catch {
                    ledger.recordFailure("\(server.base): \(reason) (not delivered by the shutdown deadline)")
                    return
                }
                attempt += 1
                lastFailure = reason
            }
        }
    }

    /// The static labels with the upload's own, as ``LabelFilter`` keeps them. Invalid upload labels are dropped
    /// with a warning (once per label name: they usually repeat on every upload of a run); tags left out for
    /// Pyroscope's label limit get one warning saying how many.
    private func labels(for upload: PyroscopeUpload) -> [PyroscopeLabel] {
        let outcome = LabelFilter.filter(tags: staticLabels, uploadLabels: upload.labels, sampleLabelNames: upload.sampleLabelNames)
        for rejection in outcome.rejected {
            log(firstOf: "label \(rejection.label.name)", "Pyroscope: label \(LabelWarning.shown(rejection.label)) dropped: \(rejection.problem)")
        }
        if let first = outcome.overLimit.first {
            let others = PyroscopeLabelRules.seriesLabelNames(labels: outcome.kept.filter { !staticLabels.contains($0) }, sampleLabelNames: upload.sampleLabelNames)
            log(firstOf: "label limit", """
                Pyroscope: \(outcome.overLimit.count) of the \(staticLabels.count) tags left out, from \(LabelWarning.shown(first)) on: a series \
                may have at most \(PyroscopeLabelRules.maximumLabelNamesPerSeries) label names, and every profile also carries \
                \(others.joined(separator: ", "))
                """)
        }
        return outcome.kept
    }

    /// Records a failure, and warns about it when the ledger says this line is the one that reports it; at debug
    /// level otherwise (an earlier warning of the same kind, or the delivery report at shutdown, reports it).
    private func fail(_ reason: String, kind: String, message: String) {
        let message = scrubber.scrub(message)
        if ledger.recordFailure(reason, kind: kind) {
            logger.warning("\(message)")
        } else {
            logger.debug("\(message)")
        }
    }

    /// A warning the first time `key` comes up, debug level afterwards: one bad label must not fill a long
    /// run's log.
    private func log(firstOf key: String, _ message: String) {
        let message = scrubber.scrub(message)
        if ledger.isFirstWarning(key) {
            logger.warning("\(message)")
        } else {
            logger.debug("\(message)")
        }
    }
}
