import PyroscopeExport
import Telemetry

/// The ids that link a run's profiles to its trace (the guide's "Correlation Mechanics").
///
/// Set once per run, never per request: a per-run id as a series label is fine, per-request ones would
/// multiply Pyroscope's series. Grafana's "traces to profiles" looks for the pprof sample label `span_id`
/// equal to the span's `pyroscope.profile.id` attribute.
struct Correlation: Sendable {
    let root: TraceParent

    /// Labels of every upload: `trace_id` (32 hex) and `root_span_id` (16 hex).
    var uploadLabels: [PyroscopeLabel] {
        [PyroscopeLabel(name: "trace_id", value: root.traceID), PyroscopeLabel(name: "root_span_id", value: root.spanID)]
    }

    /// pprof labels on every sample: what Grafana and Pyroscope ≥ 1.20 read per sample.
    var sampleLabels: [String: String] { ["span_id": root.spanID, "trace_id": root.traceID] }
}
