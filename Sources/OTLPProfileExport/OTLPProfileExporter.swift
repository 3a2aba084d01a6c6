import Deadlines
import Logging
import Profiles
import SafeText
import Synchronization

/// Exports CPU profiles over OTLP (`opentelemetry.proto.profiles.v1development`) in the background, so that a slow,
/// failing or unreachable collector never holds up the profiled program: ``export(_:linkFor:)`` returns at once,
/// and ``shutdown(deadline:)`` returns by its deadline whatever the collector does.
///
/// Each profile is sent once (OTLP exporters retry transient failures within their timeout; a short run cannot
/// wait for that, and the next window follows anyway); failures are counted, the first one is warned about at once,
/// and shutdown reports what no warning has said yet in one line.
public final class OTLPProfileExporter: Sendable {
    private let queue: AsyncStream<ExportProfilesRequest>.Continuation
    private let delivery: Task<Void, Never>
    private let transport: any OTLPProfileTransport
    private let ledger: Ledger
    private let resource: [(key: String, value: String)]
    private let endpoint: String
    private let logger: Logger

    /// Counts and the first failure, shared by callers and the delivery task.
    private final class Ledger: Sendable {
        struct Counts {
            var enqueued = 0
            var dropped = 0
            var exported = 0
            var firstFailure: String?
            var announced = 0
        }

        let counts = Mutex(Counts())
    }

    /// The transport cannot be set up for the endpoint (it names it, credentials masked).
    public struct SetupFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// - Parameters:
    ///   - resource: the resource attributes, as the run's spans have them (`service.name` among them).
    ///   - queueCapacity: profiles waiting to be sent; when full, the oldest is dropped.
    public init(settings: OTLPProfileSettings, resource: [(key: String, value: String)], logger: Logger, queueCapacity: Int = 16) throws(SetupFailure) {
        let transport: any OTLPProfileTransport
        switch settings.transportProtocol {
        case .grpc:
            do {
                transport = try GRPCProfileTransport(settings: settings)
            } catch {
                throw SetupFailure(description: error.description)
            }
        case .httpProtobuf:
            transport = HTTPProfileTransport(settings: settings)
        }
        for warning in settings.connection.trust.warnings() { logger.warning("OTLP profiles: \(warning)") }
        let (stream, queue) = AsyncStream<ExportProfilesRequest>.makeStream(bufferingPolicy: .bufferingNewest(max(queueCapacity, 1)))
        let ledger = Ledger()
        let endpoint = settings.shownEndpoint
        self.queue = queue
        self.transport = transport
        self.ledger = ledger
        self.resource = resource
        self.endpoint = endpoint
        self.logger = logger
        delivery = Task {
            for await request in stream {
                let outcome = await transport.export(request)
                Self.record(outcome, in: ledger, endpoint: endpoint, logger: logger)
            }
        }
    }

    /// Encodes `profile` (the caller's thread does it: the profile is taken there anyway) and queues it without
    /// waiting. `linkFor` names the span each stack is linked to (`Sample.link_index`), nil for none.
    public func export(_ profile: Profile, linkFor: (StackCount) -> SpanLink?) {
        let request = OTLPProfileEncoder.request(profile, resource: resource, scope: ("hybrid-run", ""), linkFor: linkFor)
        let result = queue.yield(request)
        let message: Logger.Message? = ledger.counts.withLock { counts in
            counts.enqueued += 1
            switch result {
            case .enqueued: return nil
            case .dropped:
                counts.dropped += 1
                return "OTLP profiles: queue full; dropped the oldest"
            case .terminated:
                counts.dropped += 1
                return "OTLP profiles: profile exported after shutdown; dropped"
            @unknown default: return nil
            }
        }
        if let message { logger.debug(message) }
    }

    /// Sends what is queued, but returns by `deadline` whatever the collector does (``Deadline/drain(_:by:)``), and
    /// lets go of the connections. Logs one warning line when anything failed or was dropped that no warning has
    /// reported yet.
    public func shutdown(deadline: Duration) async -> OTLPExportReport {
        let end = ContinuousClock.now.advanced(by: max(deadline, .zero))
        queue.finish()
        _ = await Deadline.drain(delivery, by: end)
        transport.close()
        let counts = ledger.counts.withLock { $0 }
        let failed = max(counts.enqueued - counts.dropped - counts.exported, 0)
        let report = OTLPExportReport(
            exported: counts.exported, dropped: counts.dropped, failed: failed,
            firstFailure: failed == 0 ? nil : counts.firstFailure ?? "not exported within the shutdown deadline of \(DurationText.format(deadline))",
            endpoint: endpoint)
        if report.isComplete || (report.dropped == 0 && report.failed <= counts.announced) {
            logger.debug("\(report.description)")
        } else {
            logger.warning("\(report.description)")
        }
        return report
    }

    private static func record(_ outcome: ExportOutcome, in ledger: Ledger, endpoint: String, logger: Logger) {
        let warning: String? = ledger.counts.withLock { counts in
            switch outcome {
            case .exported:
                counts.exported += 1
                return nil
            case .cancelled:
                return nil
            case .failed(let reason):
                guard counts.firstFailure == nil else { return nil }
                counts.firstFailure = reason
                counts.announced += 1
                return "OTLP profiles: export to \(endpoint) failed: \(reason)"
            }
        }
        if let warning { logger.warning("\(warning)") } else if case .failed(let reason) = outcome { logger.debug("OTLP profiles: \(reason)") }
    }
}
