import SpanCapture
import Testing

@Suite struct ChildTraceExportTests {
    @Test func withNothingConfiguredTheDefaultPortDependsOnTheProtocol() {
        #expect(ChildTraceExport.decide([:]) == .relay(upstream: RelayUpstream(host: "localhost", port: nil), path: "/v1/traces"))
        #expect(ChildTraceExport.decide(["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"]) == .relay(upstream: RelayUpstream(host: "localhost", port: 4317), path: nil))
        #expect(ChildTraceExport.decide(["OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"]) == .relay(upstream: RelayUpstream(host: "localhost", port: 4318), path: "/v1/traces"))
    }

    @Test func theGenericEndpointGetsV1TracesAndTheSignalOneIsUsedAsItIs() {
        #expect(ChildTraceExport.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/otlp/", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"])
            == .relay(upstream: RelayUpstream(host: "collector", port: 4318), path: "/otlp/v1/traces"))
        #expect(ChildTraceExport.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:1", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://gw:8080/custom?x=1",
                                         "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"])
            == .relay(upstream: RelayUpstream(host: "gw", port: 8080), path: "/custom?x=1"))
        #expect(ChildTraceExport.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
            == .relay(upstream: RelayUpstream(host: "127.0.0.1", port: 4317), path: nil))
        #expect(ChildTraceExport.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector"]) == .relay(upstream: RelayUpstream(host: "collector", port: 80), path: "/v1/traces"))
    }

    @Test func tlsAndBareAddressesAreNotRelayed() {
        guard case .notRelayed(let tls) = ChildTraceExport.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "https://user:secret@otlp.example.com"]) else {
            Issue.record("https was relayed")
            return
        }
        #expect(tls.contains("uses TLS") && !tls.contains("secret"))
        guard case .notRelayed(let bare) = ChildTraceExport.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"]) else {
            Issue.record("a bare address was relayed")
            return
        }
        #expect(bare.contains("write http://collector:4317"))
        #expect(ChildTraceExport.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317", "OTEL_EXPORTER_OTLP_INSECURE": "true", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
            == .relay(upstream: RelayUpstream(host: "collector", port: 4317), path: nil))
    }

    @Test func aChildThatExportsNothingIsNotRelayed() {
        for environment in [["OTEL_SDK_DISABLED": "TRUE"], ["OTEL_TRACES_EXPORTER": "none"], ["OTEL_TRACES_EXPORTER": "zipkin"]] {
            guard case .notRelayed = ChildTraceExport.decide(environment) else {
                Issue.record("\(environment) was relayed")
                continue
            }
        }
        #expect(ChildTraceExport.decide(["OTEL_TRACES_EXPORTER": "console, otlp"]) != .notRelayed(reason: ""))
    }

    /// Only the traces endpoint changes: metrics and logs still go where they went.
    @Test func redirectingChangesOnlyTheTracesEndpoint() {
        let environment = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_EXPORTER_OTLP_HEADERS": "x=1", "PATH": "/bin"]
        let redirected = ChildTraceExport.redirected(environment, relayPort: 40123, path: "/v1/traces")
        #expect(redirected == environment.merging(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:40123/v1/traces"]) { $1 })
        #expect(ChildTraceExport.redirected([:], relayPort: 40123, path: nil) == ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:40123"])
    }
}
