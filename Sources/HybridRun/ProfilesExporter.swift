/// Where the profiles of a run are shipped (`--profiles-exporter`, `HYBRID_PROFILES_EXPORTER`).
public enum ProfilesExporter: String, Sendable, CaseIterable {
    /// Grafana Pyroscope's ingest API (`PYROSCOPE_SERVER_ADDRESS`), pprof tagged with the trace's ids.
    case pyroscope
    /// OTLP profiles (`opentelemetry.proto.profiles.v1development`) to the OTLP endpoint, each sample linked to
    /// its span: one collector (an Alloy, a Collector, Pyroscope 2) receives the trace and its profiles.
    case otlp
    /// Nowhere: only the local `--output` files.
    case none
}
