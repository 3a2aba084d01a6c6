import SafeText
import Testing

struct SecretScrubberTests {
    let scrubber = SecretScrubber(secrets: ["tok3n", nil, "", "Basic YWxpY2U6dG9rM24="])

    @Test func configuredSecretsAndURLPasswordsAreMasked() {
        let text = scrubber.scrub("POST http://alice:pw@host/ingest with token tok3n and Authorization: Basic YWxpY2U6dG9rM24=")
        #expect(text == "POST http://alice:***@host/ingest with token *** and Authorization: ***")
    }

    /// A convention alone would mask `SEC` and leave ` RET`.
    @Test func aConfiguredSecretIsMaskedWholeEvenWhereAConventionWouldCutIt() {
        #expect(SecretScrubber(secrets: ["SEC RET"]).scrub("password=SEC RET") == "password=***")
    }

    @Test func aVeryShortSecretIsLeftToTheConventionsRatherThanMaskingWords() {
        #expect(SecretScrubber(secrets: ["a"]).scrub("cannot connect as a: password=a") == "cannot connect as a: password=***")
    }

    @Test func oneLineJoinsLinesTrimsAndEscapes() {
        #expect(scrubber.oneLine("  first\n\n second \u{1b}[2J line \r\n") == "first second \\e[2J line")
        #expect(scrubber.oneLine(String(repeating: "x", count: 500), limit: 10) == "xxxxxxxxxx…(500 characters)")
    }
}
