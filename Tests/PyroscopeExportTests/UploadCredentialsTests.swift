import Testing

@testable import PyroscopeExport

struct UploadCredentialsTests {
    let addressWithUser = ServerAddress(base: "http://h", user: "url-user", password: "url-pw")

    @Test func configuredBasicAuthWinsOverTheAddressAndTheToken() {
        let configuration = PyroscopeClientConfiguration(applicationName: "a", basicAuthUser: "alice", basicAuthPassword: "pw", bearerToken: "t")
        // base64("alice:pw")
        #expect(UploadCredentials(configuration: configuration, server: addressWithUser).authorization == "Basic YWxpY2U6cHc=")
    }

    @Test func userInfoOfTheAddressIsTheFallback() {
        let credentials = UploadCredentials(configuration: PyroscopeClientConfiguration(applicationName: "a"), server: addressWithUser)
        // base64("url-user:url-pw")
        #expect(credentials.authorization == "Basic dXJsLXVzZXI6dXJsLXB3")
        #expect(credentials.scrubber.scrub("url-pw and dXJsLXVzZXI6dXJsLXB3") == "*** and ***")
    }

    @Test func bearerTokenWithoutBasicAuth() {
        let credentials = UploadCredentials(configuration: PyroscopeClientConfiguration(applicationName: "a", bearerToken: "tok"), server: nil)
        #expect(credentials.authorization == "Bearer tok")
    }

    @Test func noCredentialsNoHeader() {
        #expect(UploadCredentials(configuration: PyroscopeClientConfiguration(applicationName: "a"), server: nil).authorization == nil)
    }
}
