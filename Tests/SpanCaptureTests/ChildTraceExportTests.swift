import SpanCapture
import Testing

@Suite struct ChildTraceExportTests {
    /// The decision for an environment whose `NO_PROXY` exempts no collector.
    static func decide(_ environment: [String: String]) -> ChildTraceExport.Decision {
        ChildTraceExport.decide(environment) { _, _ in false }
    }

    @Test func withNothingConfiguredTheDefaultPortDependsOnTheProtocol() {
        #expect(Self.decide([:]) == .relay(upstream: RelayUpstream(host: "localhost", port: nil), path: "/v1/traces"))
        #expect(Self.decide(["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"]) == .relay(upstream: RelayUpstream(host: "localhost", port: 4317), path: nil))
        #expect(Self.decide(["OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"]) == .relay(upstream: RelayUpstream(host: "localhost", port: 4318), path: "/v1/traces"))
    }

    @Test func theGenericEndpointGetsV1TracesAndTheSignalOneIsUsedAsItIs() {
        #expect(Self.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://10.0.0.7:4318/otlp/", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"])
            == .relay(upstream: RelayUpstream(host: "10.0.0.7", port: 4318), path: "/otlp/v1/traces"))
        #expect(Self.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:1", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://localhost:8080/custom?x=1",
                                         "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"])
            == .relay(upstream: RelayUpstream(host: "localhost", port: 8080), path: "/custom?x=1"))
        #expect(Self.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
            == .relay(upstream: RelayUpstream(host: "127.0.0.1", port: 4317), path: nil))
        #expect(Self.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://10.0.0.7"]) == .relay(upstream: RelayUpstream(host: "10.0.0.7", port: 80), path: "/v1/traces"))
    }

    @Test func tlsAndBareAddressesAreNotRelayed() {
        guard case .notRelayed(let tls) = Self.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "https://user:secret@otlp.example.com"]) else {
            Issue.record("https was relayed")
            return
        }
        #expect(tls.contains("uses TLS") && !tls.contains("secret"))
        guard case .notRelayed(let bare) = Self.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"]) else {
            Issue.record("a bare address was relayed")
            return
        }
        #expect(bare.contains("write http://collector:4317"))
        #expect(Self.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "10.0.0.7:4317", "OTEL_EXPORTER_OTLP_INSECURE": "true", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
            == .relay(upstream: RelayUpstream(host: "10.0.0.7", port: 4317), path: nil))
    }

    /// Through the relay the child's exporter addresses the relay, so the collector would get `Host:
    /// 127.0.0.1:PORT` (gRPC: `:authority`) instead of the name the user wrote, and a proxy routing by host name
    /// (nginx, Envoy, an ingress) would refuse the spans: only addresses and `localhost`, which route nothing, are relayed.
    @Test func anEndpointThatNamesAHostIsNotRelayed() {
        for environment in [["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector.example:4318"],
                            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://otel.internal/v1/traces"],
                            ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://user:hunter2@collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"]] {
            guard case .notRelayed(let reason) = Self.decide(environment) else {
                Issue.record("\(environment) was relayed")
                continue
            }
            #expect(reason.hasPrefix(environment.keys.first { $0.hasSuffix("ENDPOINT") }! + "=http://"), "\(reason)")
            #expect(reason.contains("Host") && !reason.contains("hunter2"), "\(reason)")
        }
        #expect(Self.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://LocalHost:4318"])
            == .relay(upstream: RelayUpstream(host: "LocalHost", port: 4318), path: "/v1/traces"))
        #expect(Self.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://[::1]:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
            == .relay(upstream: RelayUpstream(host: "::1", port: 4317), path: nil))
    }

    /// A proxy variable the child's SDK may use, for an endpoint that is not loopback: the relay would dial the
    /// collector directly where the child would have gone through the proxy.
    @Test(arguments: ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"])
    func aProxyKeepsAnEndpointThatIsNotLoopbackFromTheRelay(variable: String) {
        let remote = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://10.0.0.7:4318", variable: "http://proxy:3128"]
        guard case .notRelayed(let reason) = Self.decide(remote) else {
            Issue.record("\(remote) was relayed")
            return
        }
        #expect(reason.hasPrefix(variable + " is set"), "\(reason)")
        #expect(Self.decide(remote.merging([variable: " "]) { $1 }) == .relay(upstream: RelayUpstream(host: "10.0.0.7", port: 4318), path: "/v1/traces"),
                "an empty variable sets no proxy")
        for loopback in ["http://127.0.0.2:4318", "http://localhost:4318", "http://[::1]:4318"] {
            guard case .relay = Self.decide(remote.merging(["OTEL_EXPORTER_OTLP_ENDPOINT": loopback]) { $1 }) else {
                Issue.record("\(loopback) with \(variable) was not relayed: SDKs never proxy loopback")
                continue
            }
        }
        #expect(Self.decide([variable: "http://proxy:3128"]) == .relay(upstream: RelayUpstream(host: "localhost", port: nil), path: "/v1/traces"))
    }

    /// A collector `NO_PROXY` exempts: SDKs that honour the proxy variables send to it directly, as the relay does.
    @Test func aCollectorExemptFromTheProxyIsRelayed() {
        var asked: [String] = []
        let decision = ChildTraceExport.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://10.0.0.7:4318", "HTTP_PROXY": "http://proxy:3128"]) { host, port in
            asked.append("\(host):\(port)")
            return host == "10.0.0.7" && port == 4318
        }
        #expect(decision == .relay(upstream: RelayUpstream(host: "10.0.0.7", port: 4318), path: "/v1/traces"))
        #expect(asked == ["10.0.0.7:4318"])
        guard case .notRelayed = ChildTraceExport.decide(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://10.0.0.7", "HTTP_PROXY": "http://proxy:3128"], bypassesProxy: { $1 == 4318 }) else {
            Issue.record("an exemption for another port relayed the collector on port 80")
            return
        }
    }

    @Test func aChildThatExportsNothingIsNotRelayed() {
        for environment in [["OTEL_SDK_DISABLED": "TRUE"], ["OTEL_TRACES_EXPORTER": "none"], ["OTEL_TRACES_EXPORTER": "zipkin"]] {
            guard case .notRelayed = Self.decide(environment) else {
                Issue.record("\(environment) was relayed")
                continue
            }
        }
        #expect(Self.decide(["OTEL_TRACES_EXPORTER": "console, otlp"]) != .notRelayed(reason: ""))
    }

    /// Only the traces endpoint changes: metrics and logs still go where they went.
    @Test func redirectingChangesOnlyTheTracesEndpoint() {
        let environment = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_EXPORTER_OTLP_HEADERS": "x=1", "PATH": "/bin"]
        let redirected = ChildTraceExport.redirected(environment, relayPort: 40123, path: "/v1/traces")
        #expect(redirected == environment.merging(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:40123/v1/traces"]) { $1 })
        #expect(ChildTraceExport.redirected([:], relayPort: 40123, path: nil) == ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:40123"])
    }
}
