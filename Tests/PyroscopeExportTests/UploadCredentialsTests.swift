import Testing

@testable import PyroscopeExport

struct UploadCredentialsTests {
    let addressWithUser = ServerAddress(base: "http://h", user: "url-user", password: "url-pw")
    let plainAddress = ServerAddress(base: "http://h", user: nil, password: nil)

    @Test func configuredBasicAuthWinsOverTheAddressAndTheToken() throws {
        let configuration = PyroscopeClientConfiguration(applicationName: "a", basicAuthUser: "alice", basicAuthPassword: "pw", bearerToken: "t")
        // base64("alice:pw")
        #expect(try UploadCredentials(configuration: configuration, server: addressWithUser).authorization == "Basic YWxpY2U6cHc=")
    }

    @Test func userInfoOfTheAddressIsTheFallback() throws {
        let credentials = try UploadCredentials(configuration: PyroscopeClientConfiguration(applicationName: "a"), server: addressWithUser)
        // base64("url-user:url-pw")
        #expect(credentials.authorization == "Basic dXJsLXVzZXI6dXJsLXB3")
        #expect(credentials.scrubber.scrub("url-pw and dXJsLXVzZXI6dXJsLXB3") == "*** and ***")
    }

    @Test func bearerTokenWithoutBasicAuth() throws {
        let credentials = try UploadCredentials(configuration: PyroscopeClientConfiguration(applicationName: "a", bearerToken: "tok"), server: plainAddress)
        #expect(credentials.authorization == "Bearer tok")
    }

    @Test func noCredentialsNoHeader() throws {
        #expect(try UploadCredentials(configuration: PyroscopeClientConfiguration(applicationName: "a"), server: plainAddress).authorization == nil)
    }

    /// `PYROSCOPE_AUTH_TOKEN=$'SECRET\n'`: refused before any request, named but never quoted (the HTTP client's
    /// own error, `invalidHeaderFieldValues(["Bearer SECRET\n"])`, quoted it).
    @Test(arguments: ["SECRET\n", "SEC\rRET", "SECRET\u{0}", "SECRET\u{7f}"])
    func aTokenWithAControlCharacterIsRefusedWithoutBeingShown(token: String) {
        #expect {
            try UploadCredentials(configuration: PyroscopeClientConfiguration(applicationName: "a", bearerToken: token), server: plainAddress)
        } throws: { error in
            let problem = error as? PyroscopeSettingProblem
            return problem?.setting == .bearerToken && problem?.shownValue == nil && !"\(error)".contains("SECRET")
        }
    }

    @Test func basicAuthRefusesWhatRFC7617Forbids() {
        let cases: [(PyroscopeClientConfiguration, PyroscopeSettingProblem.Setting)] = [
            (PyroscopeClientConfiguration(applicationName: "a", basicAuthUser: "al:ice", basicAuthPassword: "SECRET"), .basicAuthUser),
            (PyroscopeClientConfiguration(applicationName: "a", basicAuthUser: "alice", basicAuthPassword: "SECRET\n"), .basicAuthPassword),
            (PyroscopeClientConfiguration(applicationName: "a", basicAuthUser: "ali\te", basicAuthPassword: "SECRET"), .basicAuthUser),
        ]
        for (configuration, setting) in cases {
            #expect {
                try UploadCredentials(configuration: configuration, server: plainAddress)
            } throws: { error in
                (error as? PyroscopeSettingProblem)?.setting == setting && !"\(error)".contains("SECRET")
            }
        }
    }

    @Test func anUnusedTokenIsNotChecked() throws {
        let configuration = PyroscopeClientConfiguration(applicationName: "a", basicAuthUser: "alice", basicAuthPassword: "pw", bearerToken: "t\n")
        #expect(try UploadCredentials(configuration: configuration, server: plainAddress).authorization == "Basic YWxpY2U6cHc=")
    }
}
