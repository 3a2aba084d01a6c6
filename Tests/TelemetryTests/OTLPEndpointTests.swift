import Testing
@testable import Telemetry

@Suite struct OTLPEndpointTests {
    @Test(arguments: [
        ("localhost:4317", true, "http://localhost:4317"),
        ("  http://collector:4317  ", true, "http://collector:4317"),
        ("HTTPS://Collector:4317", true, "https://Collector:4317"),
        ("https://api.vendor.example", true, "https://api.vendor.example:443"),
        ("http://collector", true, "http://collector:80"),
        ("http://collector:", true, "http://collector:80"),
        ("http://[::1]", true, "http://[::1]:80"),
        ("http://[::1]:4317", true, "http://[::1]:4317"),
        ("http://user:pw@h:4317", true, "http://user:pw@h:4317"),
        ("https://api.vendor.example", false, "https://api.vendor.example"),
        ("http://h:4318/custom/traces", false, "http://h:4318/custom/traces"),
        ("http://h:65535", false, "http://h:65535"),
        ("h:1", false, "http://h:1"),
    ])
    func normalizes(text: String, grpc: Bool, expected: String) throws {
        #expect(try OTLPEndpoint.normalize(text, grpc: grpc).get() == expected)
    }

    @Test(arguments: [
        ("http://127.0.0.1:65536", "the port 65536 is not a number from 1 to 65535"),
        ("http://127.0.0.1:99999", "the port 99999 is not a number from 1 to 65535"),
        ("127.0.0.1:0", "the port 0 is not a number from 1 to 65535"),
        ("http://h:18446744073709551617", "the port 18446744073709551617 is not a number from 1 to 65535"),
        ("http://h:-1", "the port -1 is not a number from 1 to 65535"),
        ("http://h:4317x", "the port 4317x is not a number from 1 to 65535"),
        ("http://[::1]:७०", "the port ७० is not a number from 1 to 65535"),
        ("ftp://h:21", "the scheme must be http or https"),
        ("unix:///tmp/otlp.sock", "the scheme must be http or https"),
        ("http://:4317", "there is no host"),
        ("http:///v1/traces", "there is no host"),
        ("http://h x:4317", "it is not a URL"),
    ])
    func refuses(text: String, reason: String) {
        for grpc in [true, false] {
            #expect(throws: OTLPEndpoint.Invalid(description: reason)) { try OTLPEndpoint.normalize(text, grpc: grpc).get() }
        }
    }
}
