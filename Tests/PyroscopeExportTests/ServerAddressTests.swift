import Testing

@testable import PyroscopeExport

struct ServerAddressTests {
    @Test func plainAddress() throws {
        #expect(try ServerAddress.parse(" http://localhost:4040/ ") == ServerAddress(base: "http://localhost:4040", user: nil, password: nil))
    }

    @Test func userInfoIsSplitOffAndDecoded() throws {
        let address = try ServerAddress.parse("https://al%40ice:p%3Ass@proxy.example:8443/pyroscope")
        #expect(address == ServerAddress(base: "https://proxy.example:8443/pyroscope", user: "al@ice", password: "p:ss"))
    }

    @Test func ipv6HostKeepsItsBrackets() throws {
        #expect(try ServerAddress.parse("http://[::1]:4040").base == "http://[::1]:4040")
    }

    @Test func withoutASchemeHTTPIsAssumed() throws {
        #expect(try ServerAddress.parse("localhost:4040").base == "http://localhost:4040")
        #expect(try ServerAddress.parse("u:pw@127.0.0.1:1") == ServerAddress(base: "http://127.0.0.1:1", user: "u", password: "pw"))
    }

    @Test(arguments: ["ftp://host", "http://", "http://host/?x=1", "http://host/#f", "http://h:abc", "http://h\nx"])
    func refusesWhatIsNotAnHTTPBaseURL(text: String) {
        #expect(throws: PyroscopeSettingProblem.self) { try ServerAddress.parse(text) }
    }

    /// A port the HTTP client would crash on (SIGILL in `SocketAddress.init`), also one beyond `Int`, which
    /// `URLComponents` reports as no port at all (the request would go to port 80).
    @Test(arguments: ["http://127.0.0.1:99999", "http://127.0.0.1:65536", "http://127.0.0.1:0", "http://h:99999999999999999999999"])
    func refusesAPortOutOfRange(text: String) {
        #expect {
            try ServerAddress.parse(text)
        } throws: { error in
            (error as? PyroscopeSettingProblem)?.reason.contains("outside 1–65535") == true
        }
    }

    @Test(arguments: ["ftp://user:SECRET@host", "u:SECRET@127.0.0.1:99999", "http://127.0.0.1:1/?token=SECRET", "http://h:1/?sig=SECRET#x",
                      "http://u:SECRET@h:1/#SECRET"])
    func problemsNeverQuoteASecret(text: String) {
        #expect {
            try ServerAddress.parse(text)
        } throws: { error in
            !"\(error)".contains("SECRET") && "\(error)".hasPrefix("server address ")
        }
    }
}
