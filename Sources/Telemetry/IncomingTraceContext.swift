import SafeText

/// The caller's trace context, read from `TRACEPARENT` and `TRACESTATE` as W3C Trace Context says.
///
/// "If the vendor failed to parse traceparent, it MUST NOT attempt to parse tracestate. Note that the opposite is
/// not true: failure to parse tracestate MUST NOT affect the parsing of traceparent."
/// (https://www.w3.org/TR/trace-context/#tracestate-header). swift-otel's own parser loses both for a bad
/// tracestate and refuses every version but `00`, so it only ever sees ``carrier``: the traceparent in version
/// `00` and the tracestate normalized, each only when valid. An empty variable counts as unset.
struct IncomingTraceContext: Sendable, Equatable {
    static let traceParentVariable = EnvironmentCarrier.variableName(forKey: "traceparent")
    static let traceStateVariable = EnvironmentCarrier.variableName(forKey: "tracestate")

    let traceParent: TraceParent?
    let traceState: TraceState?
    /// What swift-otel's propagator extracts the remote parent from.
    let carrier: [String: String]
    /// What a child gets when no span of ours replaces the caller's (tracing off): the valid values as given,
    /// as the spec's forwarding mode passes them on.
    let forwarded: [String: String]
    /// One line per value that was not used, naming it and what happens instead.
    let warnings: [String]

    init(environment: [String: String]) {
        var carrier: [String: String] = [:]
        var forwarded: [String: String] = [:]
        var warnings: [String] = []
        var traceParent: TraceParent?
        var traceState: TraceState?
        if let text = environment[Self.traceParentVariable], !text.isEmpty {
            if let parsed = TraceParent(text) {
                traceParent = parsed
                carrier[Self.traceParentVariable] = parsed.description
                forwarded[Self.traceParentVariable] = text
            } else {
                warnings.append("\(Self.traceParentVariable)=\(ShownText.value(text)) is not a valid W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>); starting a new trace")
            }
        }
        if traceParent != nil, let text = environment[Self.traceStateVariable] {
            switch TraceState.parse(text) {
            case .success(let parsed) where !parsed.members.isEmpty:
                traceState = parsed
                carrier[Self.traceStateVariable] = parsed.description
                forwarded[Self.traceStateVariable] = text
            case .success:
                break
            case .failure(let invalid):
                warnings.append("\(Self.traceStateVariable)=\(ShownText.value(text)) is not a valid W3C tracestate: \(invalid); dropped, the trace continues from \(Self.traceParentVariable)")
            }
        }
        self.traceParent = traceParent
        self.traceState = traceState
        self.carrier = carrier
        self.forwarded = forwarded
        self.warnings = warnings
    }
}
