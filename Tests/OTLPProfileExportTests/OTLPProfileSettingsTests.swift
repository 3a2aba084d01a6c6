import CurlHTTP
import OTLPProfileExport
import Testing

/// The exporter variables of the OpenTelemetry specification, read as hybrid-run reads them for its spans.
struct OTLPProfileSettingsTests {
    static func settings(_ environment: [String: String]) throws -> OTLPProfileSettings {
        let (settings, warnings) = OTLPProfileSettings.fromEnvironment(environment)
        #expect(warnings.isEmpty)
        return try #require(settings)
    }

    @Test func gRPCToLocalhostByDefault() throws {
        let settings = try Self.settings([:])
        #expect(settings.endpoint == "http://localhost:4317")
        #expect(settings.transportProtocol == .grpc)
        #expect(settings.timeout == .seconds(10))
    }

    @Test(arguments: [
        (["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"], "http://collector:4317", OTLPProfileSettings.TransportProtocol.grpc),
        (["OTEL_EXPORTER_OTLP_ENDPOINT": "https://otlp.example"], "https://otlp.example:443", .grpc),
        (["OTEL_EXPORTER_OTLP_ENDPOINT": "HTTP://otlp.example:4317"], "http://otlp.example:4317", .grpc),
        (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"],
         "http://collector:4318/v1development/profiles", .httpProtobuf),
        (["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_EXPORTER_OTLP_PROFILES_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"],
         "http://collector:4318/v1development/profiles", .httpProtobuf),
        (["OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT": "http://pyroscope:4040/custom/path", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://other:4318",
          "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"], "http://pyroscope:4040/custom/path", .httpProtobuf),
        (["OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"], "http://localhost:4318/v1development/profiles", .httpProtobuf),
    ])
    func endpointAndProtocolFollowTheSpecification(environment: [String: String], endpoint: String, transport: OTLPProfileSettings.TransportProtocol) throws {
        let settings = try Self.settings(environment)
        #expect(settings.endpoint == endpoint)
        #expect(settings.transportProtocol == transport)
    }

    @Test func theSignalsOwnHeadersTimeoutAndCertificateWin() throws {
        let settings = try Self.settings([
            "OTEL_EXPORTER_OTLP_HEADERS": "x-general=1", "OTEL_EXPORTER_OTLP_PROFILES_HEADERS": "Authorization=Basic%20dXNlcjpwdw==, x-tenant = a",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "5000", "OTEL_EXPORTER_OTLP_PROFILES_TIMEOUT": "1500",
            "OTEL_EXPORTER_OTLP_CERTIFICATE": "/general.pem", "OTEL_EXPORTER_OTLP_PROFILES_CERTIFICATE": "/profiles.pem",
        ])
        #expect(settings.headers == [HTTPHeader("Authorization", "Basic dXNlcjpwdw=="), HTTPHeader("x-tenant", "a")])
        #expect(settings.timeout == .milliseconds(1500))
        #expect(settings.connection.trust.caFile == TLSTrust.CAFile(path: "/profiles.pem", origin: "OTEL_EXPORTER_OTLP_PROFILES_CERTIFICATE"))
    }

    @Test func onlyHTTPUsesProxies() throws {
        let proxied = ["HTTP_PROXY": "http://proxy:3128", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector.example:4318"]
        #expect(try Self.settings(proxied.merging(["OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"]) { $1 }).usesProxies)
        #expect(try !Self.settings(proxied).usesProxies)
        #expect(try Self.settings(proxied).connection.proxy.proxy(for: "http://collector.example:4318/v1development/profiles") == "http://proxy:3128")
    }

    @Test func badValuesAreWarnedAboutWithoutQuotingHeaderValues() throws {
        let (settings, warnings) = OTLPProfileSettings.fromEnvironment([
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json", "OTEL_EXPORTER_OTLP_HEADERS": "ok=1,secret-without-key", "OTEL_EXPORTER_OTLP_TIMEOUT": "soon",
        ])
        #expect(settings?.transportProtocol == .httpProtobuf)
        #expect(settings?.headers == [HTTPHeader("ok", "1")])
        #expect(warnings == [
            "OTEL_EXPORTER_OTLP_PROTOCOL=http/json: profiles are sent as http/protobuf (OTLP/JSON is not supported for them)",
            "OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not key=value; left out of the profiles' headers",
            "OTEL_EXPORTER_OTLP_TIMEOUT=soon is not a positive number of milliseconds; profiles use 10000",
        ])
    }

    @Test(arguments: [("collector:99999", "the port 99999 is not a number from 1 to 65535"), ("ftp://collector:21", "the scheme must be http or https"),
                      ("http://:4317", "there is no host"), ("http://user:s3cret@collector:0", "the port 0 is not a number from 1 to 65535")])
    func anUnusableEndpointMeansNoExportAndOneWarning(endpoint: String, reason: String) {
        let (settings, warnings) = OTLPProfileSettings.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": endpoint])
        #expect(settings == nil)
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasSuffix("cannot be used: \(reason); profiles are not exported") == true, "\(warnings)")
        #expect(warnings.first?.contains("s3cret") == false)
    }
}
