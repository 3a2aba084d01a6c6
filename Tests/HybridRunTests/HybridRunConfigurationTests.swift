import Testing
@testable import HybridRun
import Telemetry

@Suite struct HybridRunConfigurationTests {
    @Test func defaultsFollowTheGuide() {
        let configuration = HybridRunConfiguration()
        #expect(!configuration.pyroscopeEnabled)
        #expect(!configuration.traceCorrelation)
        #expect(configuration.serverAddress == "http://localhost:4040")
        #expect(configuration.rate == 100)
        #expect(configuration.uploadInterval == .seconds(10))
        #expect(!configuration.isProfiling)
    }

    @Test(arguments: ["true", "TRUE", "1", "yes", "Yes", "on"])
    func acceptsTrueSpellings(_ text: String) {
        var configuration = HybridRunConfiguration()
        let warnings = configuration.applyEnvironment(["PYROSCOPE_ENABLE": text, "PYROSCOPE_TRACE_CORRELATION": text])
        #expect(warnings.isEmpty)
        #expect(configuration.pyroscopeEnabled && configuration.traceCorrelation)
    }

    @Test(arguments: ["false", "FALSE", "0", "no", "off"])
    func acceptsFalseSpellings(_ text: String) {
        var configuration = HybridRunConfiguration()
        configuration.pyroscopeEnabled = true
        let warnings = configuration.applyEnvironment(["PYROSCOPE_ENABLE": text])
        #expect(warnings.isEmpty)
        #expect(!configuration.pyroscopeEnabled)
    }

    @Test func choosesTheSamplerFromTheEnvironment() throws {
        var configuration = HybridRunConfiguration()
        #expect(configuration.samplingMethod == .automatic)
        #expect(configuration.applyEnvironment(["HYBRID_SAMPLER": "ptrace"]).isEmpty)
        #expect(configuration.samplingMethod == .ptrace)
        let warnings = configuration.applyEnvironment(["HYBRID_SAMPLER": "perf"])
        #expect(warnings == ["HYBRID_SAMPLER=perf is not one of auto, perf-event, ptrace; assuming ptrace"])
        #expect(configuration.samplingMethod == .ptrace)
    }

    @Test func turnsWallTimeOnFromTheEnvironment() throws {
        var configuration = HybridRunConfiguration()
        #expect(!configuration.wall)
        #expect(configuration.applyEnvironment(["HYBRID_WALL": "true"]).isEmpty)
        #expect(configuration.wall)
        #expect(configuration.applyEnvironment(["HYBRID_WALL": "sometimes"])
            == ["HYBRID_WALL=sometimes is not a boolean (true/false, 1/0, yes/no, on/off); assuming true"])
        #expect(configuration.wall)
    }

    @Test func warnsOnceForAnInvalidBooleanNamingVariableValueAndAssumption() throws {
        var configuration = HybridRunConfiguration()
        let warnings = configuration.applyEnvironment(["PYROSCOPE_ENABLE": "maybe"])
        let warning = try #require(warnings.first)
        #expect(warnings.count == 1)
        #expect(warning == "PYROSCOPE_ENABLE=maybe is not a boolean (true/false, 1/0, yes/no, on/off); assuming false")
        #expect(!configuration.pyroscopeEnabled)
    }

    @Test func readsEveryVariableOfTheGuide() {
        var configuration = HybridRunConfiguration()
        let warnings = configuration.applyEnvironment([
            "PYROSCOPE_SERVER_ADDRESS": "https://pyro.example:4040",
            "PYROSCOPE_APPLICATION_NAME": "team/generator-otel",
            "PYROSCOPE_TAGS": "env=dev, region=eu",
            "PYROSCOPE_TENANT_ID": "team-a",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4317",
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=generator-otel,env=dev",
        ])
        #expect(warnings.isEmpty)
        #expect(configuration.serverAddress == "https://pyro.example:4040")
        #expect(configuration.applicationName == "team/generator-otel")
        #expect(configuration.tags == [KeyValue(key: "env", value: "dev"), KeyValue(key: "region", value: "eu")])
        #expect(configuration.tenantID == "team-a")
        #expect(configuration.otlpEndpoint == "localhost:4317")
        #expect(configuration.resourceAttributes.map(\.key) == ["service.name", "env"])
    }

    @Test func warnsAboutInvalidValuesAndKeepsDefaults() {
        var configuration = HybridRunConfiguration()
        let warnings = configuration.applyEnvironment([
            "PYROSCOPE_TAGS": "env=dev,broken",
            "PYROSCOPE_UPLOAD_INTERVAL": "0",
            "OTEL_RESOURCE_ATTRIBUTES": "=x",
        ])
        #expect(warnings == [
            "PYROSCOPE_TAGS: broken is not k=v; ignored",
            "PYROSCOPE_UPLOAD_INTERVAL=0 is not a duration of at least 1s (e.g. 10, 10s); assuming 10s",
            "OTEL_RESOURCE_ATTRIBUTES: entry 1 has no valid key (letters, digits and !#$%&'*+-.^_`|~); ignored",
        ])
        #expect(configuration.tags == [KeyValue(key: "env", value: "dev")])
        #expect(configuration.uploadInterval == .seconds(10))
        #expect(configuration.resourceAttributes.isEmpty)
    }

    /// The trace link becomes an `href` in the report: only a web address may, never `javascript:` or `file:`.
    @Test(arguments: ["javascript:alert(1)//{trace_id}", "JavaScript:alert(1)//http://{trace_id}", "file:///tmp/{trace_id}", "grafana.example/{trace_id}"])
    func aTraceURLThatIsNotHTTPIsWarnedAboutAndNotLinked(text: String) {
        var configuration = HybridRunConfiguration()
        let warnings = configuration.applyEnvironment(["HYBRID_TRACE_URL": text])
        #expect(warnings == ["HYBRID_TRACE_URL=\(text) is not an http:// or https:// URL; the report links no trace"])
        #expect(configuration.traceURLTemplate == nil)
    }

    @Test(arguments: ["http://tempo.example/api/traces/{trace_id}", "HTTPS://grafana.example/explore?x={trace_id}"])
    func anHTTPTraceURLIsLinked(text: String) {
        var configuration = HybridRunConfiguration()
        #expect(configuration.applyEnvironment(["HYBRID_TRACE_URL": text]).isEmpty)
        #expect(configuration.traceURLTemplate == text)
    }

    @Test func readsTheConnectionVariablesOfPyroscope() {
        var configuration = HybridRunConfiguration()
        let warnings = configuration.applyEnvironment([
            "PYROSCOPE_PROXY": " http://proxy.corp:3128 ", "PYROSCOPE_CA_FILE": "/etc/corp/ca.pem", "PYROSCOPE_INSECURE_SKIP_VERIFY": "yes",
        ])
        #expect(warnings.isEmpty)
        #expect(configuration.pyroscopeProxy == "http://proxy.corp:3128")
        #expect(configuration.pyroscopeCAFile == "/etc/corp/ca.pem")
        #expect(configuration.pyroscopeInsecureSkipVerify)

        var defaults = HybridRunConfiguration()
        #expect(defaults.applyEnvironment(["PYROSCOPE_INSECURE_SKIP_VERIFY": "sometimes"])
            == ["PYROSCOPE_INSECURE_SKIP_VERIFY=sometimes is not a boolean (true/false, 1/0, yes/no, on/off); assuming false"])
        #expect(defaults.pyroscopeProxy == nil && defaults.pyroscopeCAFile == nil && !defaults.pyroscopeInsecureSkipVerify)
    }

    @Test func theProfilesExporterIsPyroscopeWhenEnabledUnlessChosen() {
        var configuration = HybridRunConfiguration()
        #expect(configuration.effectiveProfilesExporter == .none && !configuration.isProfiling)
        _ = configuration.applyEnvironment(["PYROSCOPE_ENABLE": "true"])
        #expect(configuration.effectiveProfilesExporter == .pyroscope)
        _ = configuration.applyEnvironment(["HYBRID_PROFILES_EXPORTER": "OTLP"])
        #expect(configuration.effectiveProfilesExporter == .otlp && configuration.isProfiling)

        var otlpAlone = HybridRunConfiguration()
        _ = otlpAlone.applyEnvironment(["HYBRID_PROFILES_EXPORTER": "otlp"])
        #expect(otlpAlone.isProfiling, "choosing an exporter asks for profiles")
        var none = HybridRunConfiguration()
        _ = none.applyEnvironment(["PYROSCOPE_ENABLE": "true", "HYBRID_PROFILES_EXPORTER": "none"])
        #expect(!none.isProfiling)
    }

    @Test func anUnknownProfilesExporterIsWarnedAboutAndTheDefaultKept() {
        var configuration = HybridRunConfiguration()
        let warnings = configuration.applyEnvironment(["PYROSCOPE_ENABLE": "1", "HYBRID_PROFILES_EXPORTER": "jaeger"])
        #expect(warnings == ["HYBRID_PROFILES_EXPORTER=jaeger is not one of pyroscope, otlp, none; assuming pyroscope"])
        #expect(configuration.effectiveProfilesExporter == .pyroscope)
    }

    @Test func profilesHaveTheResourceOfTheSpans() {
        var configuration = HybridRunConfiguration()
        configuration.resourceAttributes = [KeyValue(key: "env", value: "ci"), KeyValue(key: "service.name", value: "from-attributes")]
        let ci = CIContext(system: "github_actions", pipelineName: "build", pipelineRunID: "7", taskName: "test", taskRunID: nil)
        let resource = configuration.profileResource([:], ci: ci)
        #expect(resource.map(\.key) == ["cicd.pipeline.name", "cicd.pipeline.run.id", "env", "service.name"])
        #expect(resource.last?.value == "from-attributes")
        #expect(configuration.profileResource(["OTEL_SERVICE_NAME": "named"], ci: nil).last == KeyValue(key: "service.name", value: "named"))
        #expect(HybridRunConfiguration().profileResource([:], ci: nil) == [KeyValue(key: "service.name", value: "hybrid-run")])
    }

    @Test func flagsForOTelVariablesReachTheTelemetryEnvironment() {
        var configuration = HybridRunConfiguration()
        configuration.otlpEndpoint = "collector:4317"
        configuration.resourceAttributes = [KeyValue(key: "env", value: "ci")]
        let ci = CIContext(system: "github_actions", pipelineName: "build", pipelineRunID: "7", taskName: "test", taskRunID: nil)
        let environment = configuration.telemetryEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "other:4317"], ci: ci)
        #expect(environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == "collector:4317")
        #expect(environment["OTEL_RESOURCE_ATTRIBUTES"] == "cicd.pipeline.name=build,cicd.pipeline.run.id=7,env=ci")
    }

    /// Values are written percent-encoded and read back decoded, so commas, `=` and `%` in them survive.
    @Test func resourceAttributeValuesSurviveTheTelemetryEnvironment() {
        var configuration = HybridRunConfiguration()
        #expect(configuration.applyEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "team=a%20b"]).isEmpty)
        configuration.resourceAttributes.append(KeyValue(key: "note", value: "100% = done"))
        let ci = CIContext(system: "github_actions", pipelineName: "Build, test", pipelineRunID: "7", taskName: "test", taskRunID: nil)
        let environment = configuration.telemetryEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "team=a%20b"], ci: ci)
        let settings = OTelEnvironment.sanitize(environment)
        #expect(settings.warnings.isEmpty)
        #expect(settings.resourceAttributes.map { "\($0.key)=\($0.value)" } == [
            "cicd.pipeline.name=Build, test", "cicd.pipeline.run.id=7", "team=a b", "note=100% = done",
        ])
    }

    @Test func attributesAlreadyReportedAreNotReportedAgain() {
        var configuration = HybridRunConfiguration()
        #expect(configuration.applyEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "oops"]).count == 1)
        #expect(configuration.telemetryEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "oops"], ci: nil)["OTEL_RESOURCE_ATTRIBUTES"] == nil)
    }
}
