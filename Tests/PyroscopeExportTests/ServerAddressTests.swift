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

    @Test(arguments: ["localhost:4040", "ftp://host", "http://", "http://host/?x=1"])
    func refusesWhatIsNotAnHTTPBaseURL(text: String) {
        #expect(throws: ServerAddress.Invalid.self) { try ServerAddress.parse(text) }
    }

    @Test func errorsMaskThePassword() {
        #expect {
            try ServerAddress.parse("ftp://user:hunter2@host")
        } throws: { error in
            !"\(error)".contains("hunter2")
        }
    }
}
