import CurlHTTP
import Logging
import SpanCapture
import TraceSpans

/// The spans the command and its children export, for the HTML report: while a report is requested (and only
/// then), the child's trace exporter is pointed at an ``OTLPRelay`` that forwards everything to the collector
/// it would have used and keeps a copy.
struct ChildSpanCapture: Sendable {
    let relay: OTLPRelay?
    /// Why there is no relay, for the report.
    let note: String?

    /// Decides from the child's environment and starts the relay; returns the environment the child gets.
    static func start(childEnvironment: [String: String], logger: Logger) async -> (ChildSpanCapture, [String: String]) {
        let noProxy = ProxySettings.fromEnvironment(childEnvironment).noProxy
        switch ChildTraceExport.decide(childEnvironment, bypassesProxy: noProxy.bypasses) {
        case .notRelayed(let reason):
            logger.debug("children's spans are not relayed for the report: \(reason)")
            return (ChildSpanCapture(relay: nil, note: "The command's own spans are not shown: \(reason)."), childEnvironment)
        case .relay(let upstream, let path):
            do {
                let relay = try await OTLPRelay.start(upstream: upstream, logger: logger)
                return (ChildSpanCapture(relay: relay, note: nil), ChildTraceExport.redirected(childEnvironment, relayPort: relay.port, path: path))
            } catch {
                logger.warning("cannot start the local OTLP relay for the report (\(error)); the report shows only hybrid-run's span")
                return (ChildSpanCapture(relay: nil, note: "The command's own spans are not shown: the local OTLP relay could not start."), childEnvironment)
            }
        }
    }

    /// Stops relaying (the command has exited) and returns what was captured.
    func finish() async -> (spans: [TraceSpan], notes: [String]) {
        guard let relay else { return ([], note.map { [$0] } ?? []) }
        let relayed = await relay.stop()
        let notes = relayed.requestsNotKept == 0 ? [] : ["\(relayed.requestsNotKept) export requests were relayed but not kept (over \(OTLPRelay.copyLimit >> 20) MiB): some spans are missing here."]
        return (relayed.spans, notes)
    }
}
