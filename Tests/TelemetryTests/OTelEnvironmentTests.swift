import Testing
@testable import Telemetry

@Suite struct OTelEnvironmentTests {
    @Test func defaultsToGRPCAsTheGuideSays() {
        let settings = OTelEnvironment.sanitize([:])
        #expect(settings.environment["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc")
        #expect(settings.warnings.isEmpty)
        #expect(OTelEnvironment.tracesEndpoint(in: settings.environment) == "http://localhost:4317")
    }

    @Test func acceptsABareHostAndPort() {
        let settings = OTelEnvironment.sanitize(["OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4317"])
        #expect(settings.environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://localhost:4317")
        #expect(settings.warnings.isEmpty)
    }

    @Test func keepsAnEndpointWithAScheme() {
        let settings = OTelEnvironment.sanitize(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector:4318/v1/traces"])
        #expect(settings.environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] == "https://collector:4318/v1/traces")
    }

    @Test func namesTheHTTPTracesPathForMessages() {
        let settings = OTelEnvironment.sanitize(["OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:4318/"])
        #expect(OTelEnvironment.tracesEndpoint(in: settings.environment) == "http://h:4318/v1/traces")
    }

    @Test(arguments: [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:65536"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:99999"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "127.0.0.1:0"), ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://h:18446744073709551617/v1/traces"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://h:21"), ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://:4318"),
    ])
    func turnsExportingOffForAnEndpointThatCannotBeUsed(key: String, value: String) {
        for protocolName in ["grpc", "http/protobuf"] {
            let settings = OTelEnvironment.sanitize([key: value, "OTEL_EXPORTER_OTLP_PROTOCOL": protocolName])
            #expect(settings.environment["OTEL_TRACES_EXPORTER"] == "none")
            #expect(settings.environment[key] == nil)
            #expect(!settings.isExporting)
            #expect(settings.warnings.count == 1)
            #expect(settings.warnings.first?.hasPrefix("\(key)=\(value): ") == true)
            #expect(settings.warnings.first?.hasSuffix("; spans will not be exported") == true)
        }
    }

    @Test func saysNothingAboutAnEndpointWhenNothingIsExported() {
        let settings = OTelEnvironment.sanitize(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:65536", "OTEL_SDK_DISABLED": "true"])
        #expect(settings.warnings.isEmpty)
        #expect(settings.environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == nil)
    }

    @Test func masksThePasswordOfAnEndpointInTheWarning() {
        let settings = OTelEnvironment.sanitize(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://user:hunter2@h:70000"])
        #expect(settings.warnings.count == 1)
        #expect(settings.warnings.allSatisfy { !$0.contains("hunter2") })
    }

    @Test func givesAGRPCEndpointWithoutAPortItsSchemesPort() {
        let settings = OTelEnvironment.sanitize(["OTEL_EXPORTER_OTLP_ENDPOINT": "HTTPS://api.vendor.example"])
        #expect(settings.environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == "https://api.vendor.example:443")
        #expect(settings.warnings.isEmpty)
    }

    @Test func replacesAConsoleExporterWithNoneAndWarns() {
        let settings = OTelEnvironment.sanitize(["OTEL_TRACES_EXPORTER": "console"])
        #expect(settings.environment["OTEL_TRACES_EXPORTER"] == "none")
        #expect(settings.warnings.count == 1)
        #expect(settings.warnings[0].hasPrefix("OTEL_TRACES_EXPORTER=console"))
    }

    @Test func keepsOTLPFromAListOfExporters() {
        let settings = OTelEnvironment.sanitize(["OTEL_TRACES_EXPORTER": "otlp,console"])
        #expect(settings.environment["OTEL_TRACES_EXPORTER"] == "otlp")
        #expect(settings.warnings.isEmpty)
    }

    @Test func dropsPropagatorsThatWouldCrashSwiftOTel() {
        let settings = OTelEnvironment.sanitize(["OTEL_PROPAGATORS": "tracecontext,baggage"])
        #expect(settings.environment["OTEL_PROPAGATORS"] == "tracecontext")
        #expect(settings.warnings.count == 1)
        #expect(settings.warnings[0].contains("baggage"))
    }

    @Test(arguments: ["xray", "jaeger_remote", "parentbased_jaeger_remote", "nonsense"])
    func replacesUnsupportedSamplers(_ sampler: String) {
        let settings = OTelEnvironment.sanitize(["OTEL_TRACES_SAMPLER": sampler, "OTEL_TRACES_SAMPLER_ARG": "0.5"])
        #expect(settings.environment["OTEL_TRACES_SAMPLER"] == nil)
        #expect(settings.environment["OTEL_TRACES_SAMPLER_ARG"] == nil)
        #expect(settings.warnings.count == 1)
    }

    @Test func replacesAnUnknownProtocolWithGRPC() {
        let settings = OTelEnvironment.sanitize(["OTEL_EXPORTER_OTLP_PROTOCOL": "thrift"])
        #expect(settings.environment["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc")
        #expect(settings.warnings == ["OTEL_EXPORTER_OTLP_PROTOCOL=thrift is not one of grpc, http/protobuf; assuming grpc"])
    }

    @Test func aBadSignalSpecificValueFallsBackToTheSharedOne() {
        let settings = OTelEnvironment.sanitize([
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "thrift",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "5000", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "5s",
        ])
        #expect(settings.environment["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] == nil)
        #expect(settings.environment["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"] == nil)
        #expect(settings.warnings == [
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=thrift is not one of grpc, http/protobuf; assuming http/protobuf (OTEL_EXPORTER_OTLP_PROTOCOL)",
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=5s is not a whole number of milliseconds; assuming 5000 (OTEL_EXPORTER_OTLP_TIMEOUT)",
        ])
    }

    @Test(arguments: ["http/json", "HTTP/JSON"])
    func refusesOTLPJSONForProtobufOnTheSameEndpoint(_ value: String) {
        let settings = OTelEnvironment.sanitize(["OTEL_EXPORTER_OTLP_PROTOCOL": value, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:4318"])
        #expect(settings.environment["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf")
        #expect(settings.warnings.count == 1)
        #expect(settings.warnings.first?.hasPrefix("OTEL_EXPORTER_OTLP_PROTOCOL=\(value) is not supported") == true)
        #expect(OTelEnvironment.tracesEndpoint(in: settings.environment) == "http://h:4318/v1/traces")
    }

    /// The spec: enum values are case-insensitive. swift-otel compares them exactly and logged a failure.
    @Test func readsEnumValuesInAnyCase() {
        let settings = OTelEnvironment.sanitize([
            "OTEL_EXPORTER_OTLP_PROTOCOL": "HTTP/Protobuf", "OTEL_EXPORTER_OTLP_COMPRESSION": "GZIP",
            "OTEL_LOG_LEVEL": "DEBUG", "OTEL_TRACES_SAMPLER": "ParentBased_TraceIdRatio",
        ])
        #expect(settings.warnings.isEmpty)
        #expect(settings.environment["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf")
        #expect(settings.environment["OTEL_EXPORTER_OTLP_COMPRESSION"] == "gzip")
        #expect(settings.environment["OTEL_LOG_LEVEL"] == "debug")
        #expect(settings.environment["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio")
    }

    /// Each value swift-otel 1.6.0 refuses ("Failed to update configuration from environment"), loops on or
    /// crashes with: removed with one warning that names the variable and says what is assumed.
    @Test(arguments: [
        ("OTEL_BSP_SCHEDULE_DELAY", "soon", "5000"), ("OTEL_BSP_SCHEDULE_DELAY", "0", "5000"),
        ("OTEL_BSP_EXPORT_TIMEOUT", "-1", "30000"), ("OTEL_BSP_MAX_QUEUE_SIZE", "99999999999999", "2048"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "0", "2048"), ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "0", "512"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "10s", "10000"), ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "1e3", "10000"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd", "none"), ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "yes", "none"),
        ("OTEL_LOG_LEVEL", "loud", "info"),
    ])
    func removesAValueSwiftOTelWouldRefuse(key: String, value: String, assumed: String) {
        let settings = OTelEnvironment.sanitize([key: value])
        #expect(settings.environment[key] == nil)
        #expect(settings.warnings.count == 1)
        #expect(settings.warnings.first?.hasPrefix("\(key)=\(value) is not ") == true)
        #expect(settings.warnings.first?.hasSuffix("; assuming \(assumed)") == true)
    }

    @Test func keepsValidNumbersInTheirNormalForm() {
        let settings = OTelEnvironment.sanitize([
            "OTEL_BSP_SCHEDULE_DELAY": " 200 ", "OTEL_BSP_MAX_QUEUE_SIZE": "+4096", "OTEL_EXPORTER_OTLP_TIMEOUT": "0",
            "OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": " .25",
        ])
        #expect(settings.warnings.isEmpty)
        #expect(settings.environment["OTEL_BSP_SCHEDULE_DELAY"] == "200")
        #expect(settings.environment["OTEL_BSP_MAX_QUEUE_SIZE"] == "4096")
        #expect(settings.environment["OTEL_EXPORTER_OTLP_TIMEOUT"] == "0")
        #expect(settings.environment["OTEL_TRACES_SAMPLER_ARG"] == "0.25")
    }

    @Test(arguments: ["junk", "1.5", "-0.1", "nan", ""])
    func warnsAboutASamplingRatioOutsideZeroToOne(_ argument: String) {
        let settings = OTelEnvironment.sanitize(["OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": argument])
        #expect(settings.environment["OTEL_TRACES_SAMPLER_ARG"] == nil)
        #expect(settings.warnings == (argument.isEmpty ? [] : ["OTEL_TRACES_SAMPLER_ARG=\(argument) is not a probability from 0 to 1; assuming 1.0"]))
    }

    @Test func ignoresAnArgumentOfASamplerThatTakesNone() {
        let settings = OTelEnvironment.sanitize(["OTEL_TRACES_SAMPLER_ARG": "0.5"])
        #expect(settings.environment["OTEL_TRACES_SAMPLER_ARG"] == nil)
        #expect(settings.warnings == ["OTEL_TRACES_SAMPLER_ARG=0.5 is ignored: the sampler parentbased_always_on takes no argument"])
    }

    @Test(arguments: [("TRUE", "true", false), ("true", "true", false), ("false", nil, false), ("1", nil, true), ("yes", nil, true)] as [(String, String?, Bool)])
    func onlyTrueDisablesTheSDK(value: String, expected: String?, warns: Bool) {
        let settings = OTelEnvironment.sanitize(["OTEL_SDK_DISABLED": value])
        #expect(settings.environment["OTEL_SDK_DISABLED"] == expected)
        #expect(settings.warnings == (warns ? ["OTEL_SDK_DISABLED=\(value) is not true or false; assuming false (spans are exported)"] : []))
    }

    @Test func anEmptyValueIsUnset() {
        let keys = ["OTEL_SDK_DISABLED", "OTEL_TRACES_SAMPLER", "OTEL_BSP_SCHEDULE_DELAY", "OTEL_EXPORTER_OTLP_PROTOCOL",
                    "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_LOG_LEVEL", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SERVICE_NAME"]
        let settings = OTelEnvironment.sanitize(Dictionary(uniqueKeysWithValues: keys.map { ($0, " ") }))
        #expect(settings.warnings.isEmpty)
        #expect(settings.environment == ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
    }

    @Test func removesSettingsOfSignalsThatAreNotBootstrapped() {
        let settings = OTelEnvironment.sanitize([
            "OTEL_METRICS_EXPORTER": "prometheus", "OTEL_LOGS_EXPORTER": "console", "OTEL_SWIFT_LOG_LEVEL": "loud",
            "OTEL_SWIFT_METRICS_DEFAULT_VALUE_HISTOGRAM_BUCKETS": "a,b", "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT": "x",
        ])
        #expect(settings.environment == ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
        #expect(settings.warnings.isEmpty)
    }

    @Test func decodesHeadersAndKeepsTheGoodOnesWithoutQuotingValues() {
        let settings = OTelEnvironment.sanitize([
            "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20s3cret, Bearer t0ken ,x-team= a%2Cb ,x-bad=%zz,x-split=a%0Ab",
        ])
        #expect(settings.exporterHeaders == [.init(key: "Authorization", value: "Bearer s3cret"), .init(key: "x-team", value: "a,b")])
        #expect(settings.environment["OTEL_EXPORTER_OTLP_HEADERS"] == nil)
        #expect(settings.warnings == [
            "OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not key=value; not sent",
            "OTEL_EXPORTER_OTLP_HEADERS: entry 4 (x-bad) has a % not followed by two hex digits of UTF-8; not sent",
            "OTEL_EXPORTER_OTLP_HEADERS: entry 5 (x-split) has control characters in its value; not sent",
        ])
        #expect(settings.warnings.allSatisfy { !$0.contains("s3cret") && !$0.contains("t0ken") && !$0.contains("zz") })
    }

    @Test func signalSpecificHeadersWinAndNeitherReachesSwiftOTel() {
        let settings = OTelEnvironment.sanitize(["OTEL_EXPORTER_OTLP_HEADERS": "a=1,junk", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "b=2"])
        #expect(settings.exporterHeaders == [.init(key: "b", value: "2")])
        #expect(settings.warnings.isEmpty)
        #expect(settings.environment["OTEL_EXPORTER_OTLP_HEADERS"] == nil)
        #expect(settings.environment["OTEL_EXPORTER_OTLP_TRACES_HEADERS"] == nil)
    }

    @Test func decodesResourceAttributesAndDropsMalformedEntries() {
        let settings = OTelEnvironment.sanitize(["OTEL_RESOURCE_ATTRIBUTES": "service.name=etl,cicd.pipeline.name=Build%2C%20test,empty=,oops"])
        #expect(settings.resourceAttributes == [
            .init(key: "service.name", value: "etl"), .init(key: "cicd.pipeline.name", value: "Build, test"), .init(key: "empty", value: ""),
        ])
        #expect(settings.environment["OTEL_RESOURCE_ATTRIBUTES"] == nil)
        #expect(settings.warnings == ["OTEL_RESOURCE_ATTRIBUTES: entry 4 is not key=value; ignored"])
    }

    @Test func quotesValuesOnOneLineAndShortened() {
        let settings = OTelEnvironment.sanitize(["OTEL_TRACES_SAMPLER": "x\nhybrid-run: forged" + String(repeating: "y", count: 500)])
        #expect(settings.warnings.count == 1)
        #expect(!settings.warnings[0].contains("\n"))
        #expect(settings.warnings[0].count < 300)
    }
}
