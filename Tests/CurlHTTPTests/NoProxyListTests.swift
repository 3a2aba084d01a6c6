import CurlHTTP
import Testing

/// `NO_PROXY` as Go's httpproxy reads it (the cases of its own tests, `proxy_test.go`).
struct NoProxyListTests {
    @Test(arguments: [
        ("example.com", "example.com", 443, true),
        ("example.com", "api.example.com", 443, true),
        ("example.com", "notexample.com", 443, false),
        (".example.com", "example.com", 443, false),
        (".example.com", "api.example.com", 443, true),
        ("*.example.com", "example.com", 443, false),
        ("*.example.com", "api.example.com", 443, true),
        ("EXAMPLE.com", "Api.Example.COM", 443, true),
        ("example.com:4040", "example.com", 4040, true),
        ("example.com:4040", "example.com", 443, false),
        ("10.1.2.3", "10.1.2.3", 80, true),
        ("10.1.2.3", "10.1.2.4", 80, false),
        ("10.0.0.0/8", "10.200.3.4", 80, true),
        ("10.0.0.0/8", "11.0.0.1", 80, false),
        ("192.168.1.0/25", "192.168.1.127", 80, true),
        ("192.168.1.0/25", "192.168.1.128", 80, false),
        ("2001:db8::/32", "2001:db8:1::5", 443, true),
        ("[2001:db8::1]:4040", "[2001:db8::1]", 4040, true),
        ("[2001:db8::1]:4040", "2001:db8::1", 443, false),
        ("*", "anything.example", 443, true),
        ("a.example, b.example ,c.example", "b.example", 443, true),
        ("", "example.com", 443, false),
    ])
    func matchesAsGoDoes(noProxy: String, host: String, port: Int, bypassed: Bool) {
        #expect(NoProxyList(noProxy).bypasses(host: host, port: port) == bypassed)
    }

    @Test(arguments: ["localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]"])
    func loopbackNeverGoesThroughAProxy(host: String) {
        #expect(NoProxyList("").bypasses(host: host, port: 4040))
    }
}
