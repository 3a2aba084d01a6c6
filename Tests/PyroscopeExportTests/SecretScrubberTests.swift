import Testing

@testable import PyroscopeExport

struct SecretScrubberTests {
    let scrubber = SecretScrubber(secrets: ["tok3n", nil, "", "Basic YWxpY2U6dG9rM24="])

    @Test func configuredSecretsAndURLPasswordsAreMasked() {
        let text = scrubber.scrub("POST http://alice:pw@host/ingest with Authorization: Basic YWxpY2U6dG9rM24= and token tok3n")
        #expect(text == "POST http://alice:***@host/ingest with Authorization: *** and token ***")
    }

    @Test func oneLineJoinsLinesAndTrims() {
        #expect(scrubber.oneLine("  first\n\n second line \r\n") == "first second line")
        let long = scrubber.oneLine(String(repeating: "x", count: 500), limit: 10)
        #expect(long.count == 10)
        #expect(long.hasSuffix("…"))
    }
}
