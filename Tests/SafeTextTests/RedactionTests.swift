@testable import SafeText
import Testing

@Suite struct RedactionTests {
    @Test func masksThePasswordOfAURL() {
        #expect(Redaction.redactingCredentials(in: "postgres://loader:s3cret@db:5432/app?sslmode=disable")
            == "postgres://loader:***@db:5432/app?sslmode=disable")
    }

    @Test func keepsAURLWithoutCredentials() {
        #expect(Redaction.redactingCredentials(in: "http://localhost:4040/ingest") == "http://localhost:4040/ingest")
    }

    @Test func masksKeyValuePasswords() {
        #expect(Redaction.redactingCredentials(in: "host=db password=s3cret user=u") == "host=db password=*** user=u")
        #expect(Redaction.redactingCredentials(in: "postgres://db/app?user=u&password=s3cret") == "postgres://db/app?user=u&password=***")
    }

    @Test func masksAPasswordContainingAnAtSign() {
        let redacted = Redaction.redactingCredentials(in: "postgres://u:p@ss@db/app")
        #expect(!redacted.contains("p@ss"))
        #expect(redacted.hasSuffix("@db/app"))
    }
}
