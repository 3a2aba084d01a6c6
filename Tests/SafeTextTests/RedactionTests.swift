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

    @Test func masksEveryURLOfATextNotOnlyTheFirst() {
        #expect(Redaction.redactingCredentials(in: "redirected from http://a:one@x/ to https://b:two@y/p")
            == "redirected from http://a:***@x/ to https://b:***@y/p")
    }

    @Test func aURLEndsAtWhiteSpace() {
        #expect(Redaction.redactingCredentials(in: "http://host:80 refused; mail admin@example.org")
            == "http://host:80 refused; mail admin@example.org")
    }

    @Test func masksUserInfoWithoutAScheme() {
        #expect(Redaction.redactingCredentials(in: "server address u:SECRET@127.0.0.1:1 is bad") == "server address u:***@127.0.0.1:1 is bad")
        #expect(Redaction.redactingCredentials(in: "PYROSCOPE_SERVER_ADDRESS=u:SECRET@h:1") == "PYROSCOPE_SERVER_ADDRESS=u:***@h:1")
    }

    @Test(arguments: [
        ("http://h/?token=SECRET", "http://h/?token=***"),
        ("http://h/?a=1&api_key=SECRET&b=2", "http://h/?a=1&api_key=***&b=2"),
        ("https://h/cb#access_token=SECRET&x=1", "https://h/cb#access_token=***&x=1"),
        ("https://h/?apikey=SECRET", "https://h/?apikey=***"),
        ("https://h/?secret=SECRET", "https://h/?secret=***"),
        ("https://b.s3/o?X-Amz-Credential=SECRET&X-Amz-Signature=SECRET2", "https://b.s3/o?X-Amz-Credential=***&X-Amz-Signature=***"),
        ("host=db password = 'SEC RET' user=u", "host=db password = '***' user=u"),
    ])
    func masksSecretQueryParametersAndKeyValues(text: String, expected: String) {
        #expect(Redaction.redactingCredentials(in: text) == expected)
    }

    @Test(arguments: [
        ("AWS_SECRET_ACCESS_KEY=SECRET", "AWS_SECRET_ACCESS_KEY=***"),
        ("GITHUB_TOKEN=SECRET", "GITHUB_TOKEN=***"),
        ("DB_PASSWORD=SECRET", "DB_PASSWORD=***"),
        ("PGPASSWORD=SECRET", "PGPASSWORD=***"),
        ("STRIPE_API_KEY=SECRET", "STRIPE_API_KEY=***"),
        ("MYSQL_PWD=SECRET", "MYSQL_PWD=***"),
        ("--token=SECRET", "--token=***"),
        ("--client-secret=SECRET", "--client-secret=***"),
    ])
    func masksSecretAssignmentsAndFlags(text: String, expected: String) {
        #expect(Redaction.redactingCredentials(in: text) == expected)
    }

    @Test(arguments: [
        ("Authorization: Bearer SECRET", "Authorization: Bearer ***"),
        ("authorization: Basic U0VDUkVU", "authorization: Basic ***"),
        ("X-Api-Key: SECRET", "X-Api-Key: ***"),
        ("Cookie: session=SECRET; theme=dark", "Cookie: ***"),
        ("invalidHeaderFieldValues([\"Bearer SECRET\\n\"])", "invalidHeaderFieldValues([\"Bearer ***\"])"),
        ("{\"password\":\"SECRET\",\"user\":\"u\"}", "{\"password\":\"***\",\"user\":\"u\"}"),
    ])
    func masksHeadersAndAuthorizationValues(text: String, expected: String) {
        #expect(Redaction.redactingCredentials(in: text) == expected)
    }

    @Test func masksTheWordAfterASecretFlagInText() {
        #expect(Redaction.redactingCredentials(in: "mysql --password SECRET -h db") == "mysql --password *** -h db")
        #expect(Redaction.redactingCredentials(in: "curl -u alice:SECRET https://x") == "curl -u alice:*** https://x")
        #expect(Redaction.redactingCredentials(in: "psql --no-password -h db") == "psql --no-password -h db")
    }

    @Test func leavesOrdinaryTextAndPortsAlone() {
        for text in ["psql -p 5432 -h db", "ssh -p 2222 host", "sort --key 2 file", "max_tokens=10 a:b", "git@github.com:org/repo.git",
                     "password authentication failed for user \"u\"", "12:30 every day", "a basic check"] {
            #expect(Redaction.redactingCredentials(in: text) == text)
        }
    }

    @Test func isIdempotent() {
        for text in ["http://u:p@h", "token=x", "Authorization: Bearer x", "--password x"] {
            let once = Redaction.redactingCredentials(in: text)
            #expect(Redaction.redactingCredentials(in: once) == once)
        }
    }

    @Test func masksTheArgumentAfterASecretTakingFlag() {
        let arguments = ["mysql", "--password", "SECRET1", "--token", "SECRET2", "--api-key", "SECRET3", "-secret", "SECRET4",
                         "--header", "Authorization: Bearer SECRET5", "-u", "alice:SECRET6", "--user", "bob",
                         "env", "AWS_SECRET_ACCESS_KEY=SECRET7", "https://h/?token=SECRET8", "-p", "5432"]
        let redacted = Redaction.redactingArguments(arguments)
        #expect(redacted == ["mysql", "--password", "***", "--token", "***", "--api-key", "***", "-secret", "***",
                             "--header", "Authorization: Bearer ***", "-u", "alice:***", "--user", "bob",
                             "env", "AWS_SECRET_ACCESS_KEY=***", "https://h/?token=***", "-p", "5432"])
    }

    @Test func aSecretFlagAtTheEndHasNothingToMask() {
        #expect(Redaction.redactingArguments(["tool", "--password"]) == ["tool", "--password"])
    }

    @Test func credentialsAreFoundRawAndPercentDecoded() {
        let found = Redaction.credentials(in: "postgres://u:p%40ss@h/db?sslpassword=k3y")
        #expect(Set(found) == ["p%40ss", "p@ss", "k3y"])
    }
}
