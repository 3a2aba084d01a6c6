import Sampling
import Telemetry

/// Everything hybrid-run can be told: the guide's environment table, then command-line flags, which win.
///
/// Each property's doc comment names its environment variable and default. Environment overrides come from
/// a pure function (``applyEnvironment(_:)``) so tests pass their own environment.
public struct HybridRunConfiguration: Sendable, Equatable {
    /// Profile the command and ship the profiles to Pyroscope. `PYROSCOPE_ENABLE`; default false.
    public var pyroscopeEnabled = false
    /// Where profiles go (`--profiles-exporter`). `HYBRID_PROFILES_EXPORTER`; default `pyroscope` when
    /// ``pyroscopeEnabled``, else `none`.
    public var profilesExporter: ProfilesExporter?
    /// Tag every profile of the run with the root span's `trace_id` and `root_span_id`.
    /// `PYROSCOPE_TRACE_CORRELATION`; default false.
    public var traceCorrelation = false
    /// Pyroscope's base URL. `PYROSCOPE_SERVER_ADDRESS`; default `http://localhost:4040`.
    public var serverAddress = "http://localhost:4040"
    /// Application name in Pyroscope. `PYROSCOPE_APPLICATION_NAME`; default `service.name`, else the command's name.
    public var applicationName: String?
    /// Static tags on every profile. `PYROSCOPE_TAGS` (`k=v,k2=v2`).
    public var tags: [KeyValue] = []
    /// Pyroscope tenant, sent as `X-Scope-OrgID`. `PYROSCOPE_TENANT_ID`.
    public var tenantID: String?
    /// HTTP basic auth for Pyroscope. `PYROSCOPE_BASIC_AUTH_USER` and `PYROSCOPE_BASIC_AUTH_PASSWORD`.
    public var basicAuthUser: String?
    public var basicAuthPassword: String?
    /// Bearer token for Pyroscope. `PYROSCOPE_AUTH_TOKEN`.
    public var authToken: String?
    /// A proxy for Pyroscope uploads only, used for every Pyroscope address. `PYROSCOPE_PROXY`; default none: the
    /// standard `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` apply.
    public var pyroscopeProxy: String?
    /// A PEM file of the CAs that sign the Pyroscope server's certificate, instead of the system's store.
    /// `PYROSCOPE_CA_FILE`; default none (`CURL_CA_BUNDLE`, `SSL_CERT_FILE`, else the system's store).
    public var pyroscopeCAFile: String?
    /// Do not verify the Pyroscope server's certificate (a warning says so). `PYROSCOPE_INSECURE_SKIP_VERIFY`; default false.
    public var pyroscopeInsecureSkipVerify = false
    /// OTLP endpoint for the root span. `OTEL_EXPORTER_OTLP_ENDPOINT`; default `localhost:4317` (gRPC).
    public var otlpEndpoint: String?
    /// Resource attributes of hybrid-run's spans. `OTEL_RESOURCE_ATTRIBUTES` (`k=v,…`).
    public var resourceAttributes: [KeyValue] = []
    /// How often profiles are uploaded while the command runs. `PYROSCOPE_UPLOAD_INTERVAL`; default 10 s.
    public var uploadInterval: Duration = .seconds(10)

    /// Samples per second per thread (`--rate`); default 100 Hz, as py-spy and the Pyroscope clients.
    public var rate = 100
    /// How stacks are captured (`--sampler`). `HYBRID_SAMPLER`; default `auto` (perf events, else ptrace).
    public var samplingMethod = SamplingMethod.automatic
    /// Also record where every thread spends its wall-clock time off the CPU: blocked stacks and for how long
    /// (`--wall`). `HYBRID_WALL`; default false.
    public var wall = false
    /// Local profile files to write (`--output`).
    public var outputs: [String] = []
    /// Format for every `--output`, instead of guessing from the extension (`--format`).
    public var outputFormat: String?
    /// Root span name (`--span-name`); default the command's executable name.
    public var spanName: String?
    /// Extra root span attributes (`--attr k=v`).
    public var spanAttributes: [KeyValue] = []
    /// Only warnings and errors on stderr (`--quiet`).
    public var quiet = false
    /// Where the HTML report links the run's trace: an `http://` or `https://` URL with `{trace_id}` in it
    /// (Grafana's Explore or Tempo's `/api/traces/{trace_id}`), shown with its credentials masked.
    /// `HYBRID_TRACE_URL`; default none (no link).
    public var traceURLTemplate: String?

    public init() {}

    /// The exporter in effect: the one chosen, else Pyroscope when it is enabled.
    public var effectiveProfilesExporter: ProfilesExporter { profilesExporter ?? (pyroscopeEnabled ? .pyroscope : .none) }

    /// Whether the command is sampled at all: for an exporter or for a local file.
    public var isProfiling: Bool { effectiveProfilesExporter != .none || !outputs.isEmpty }

    /// Whether an HTML report is asked for: only then are the child's spans relayed (``ChildSpanCapture``).
    var wantsReport: Bool { outputs.contains { ProfileFormat.resolve(path: $0, explicit: outputFormat) == .html } }

    public static let rateRange = 1...10_000
}
