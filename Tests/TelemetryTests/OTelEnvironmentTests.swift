import Testing
@testable import Telemetry

@Suite struct OTelEnvironmentTests {
    @Test func defaultsToGRPCAsTheGuideSays() {
        let (environment, warnings) = OTelEnvironment.sanitize([:])
        #expect(environment["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc")
        #expect(warnings.isEmpty)
        #expect(OTelEnvironment.tracesEndpoint(in: environment) == "http://localhost:4317")
    }

    @Test func acceptsABareHostAndPort() {
        let (environment, warnings) = OTelEnvironment.sanitize(["OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4317"])
        #expect(environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://localhost:4317")
        #expect(warnings.isEmpty)
    }

    @Test func keepsAnEndpointWithAScheme() {
        let (environment, _) = OTelEnvironment.sanitize(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector:4318/v1/traces"])
        #expect(environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] == "https://collector:4318/v1/traces")
    }

    @Test func namesTheHTTPTracesPathForMessages() {
        let (environment, _) = OTelEnvironment.sanitize(["OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:4318/"])
        #expect(OTelEnvironment.tracesEndpoint(in: environment) == "http://h:4318/v1/traces")
    }

    @Test func replacesAConsoleExporterWithNoneAndWarns() {
        let (environment, warnings) = OTelEnvironment.sanitize(["OTEL_TRACES_EXPORTER": "console"])
        #expect(environment["OTEL_TRACES_EXPORTER"] == "none")
        #expect(warnings.count == 1)
        #expect(warnings[0].hasPrefix("OTEL_TRACES_EXPORTER=console"))
    }

    @Test func keepsOTLPFromAListOfExporters() {
        let (environment, warnings) = OTelEnvironment.sanitize(["OTEL_TRACES_EXPORTER": "otlp,console"])
        #expect(environment["OTEL_TRACES_EXPORTER"] == "otlp")
        #expect(warnings.isEmpty)
    }

    @Test func dropsPropagatorsThatWouldCrashSwiftOTel() {
        let (environment, warnings) = OTelEnvironment.sanitize(["OTEL_PROPAGATORS": "tracecontext,baggage"])
        #expect(environment["OTEL_PROPAGATORS"] == "tracecontext")
        #expect(warnings.count == 1)
        #expect(warnings[0].contains("baggage"))
    }

    @Test(arguments: ["xray", "jaeger_remote", "parentbased_jaeger_remote", "nonsense"])
    func replacesUnsupportedSamplers(_ sampler: String) {
        let (environment, warnings) = OTelEnvironment.sanitize(["OTEL_TRACES_SAMPLER": sampler, "OTEL_TRACES_SAMPLER_ARG": "0.5"])
        #expect(environment["OTEL_TRACES_SAMPLER"] == nil)
        #expect(environment["OTEL_TRACES_SAMPLER_ARG"] == nil)
        #expect(warnings.count == 1)
    }

    @Test func replacesAnUnknownProtocolWithGRPC() {
        let (environment, warnings) = OTelEnvironment.sanitize(["OTEL_EXPORTER_OTLP_PROTOCOL": "thrift"])
        #expect(environment["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc")
        #expect(warnings.count == 1)
    }

    @Test(arguments: [("TRUE", "true"), ("true", "true"), ("1", nil), ("yes", nil), ("false", nil)] as [(String, String?)])
    func onlyTrueDisablesTheSDK(value: String, expected: String?) {
        let (environment, _) = OTelEnvironment.sanitize(["OTEL_SDK_DISABLED": value])
        #expect(environment["OTEL_SDK_DISABLED"] == expected)
    }

    @Test func removesSettingsOfSignalsThatAreNotBootstrapped() {
        let (environment, _) = OTelEnvironment.sanitize(["OTEL_METRICS_EXPORTER": "prometheus", "OTEL_LOGS_EXPORTER": "console"])
        #expect(environment["OTEL_METRICS_EXPORTER"] == nil)
        #expect(environment["OTEL_LOGS_EXPORTER"] == nil)
    }
}
