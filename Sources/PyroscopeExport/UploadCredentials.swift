import Foundation

/// The `Authorization` header for uploads, and a scrubber that knows every secret it came from.
///
/// Basic auth comes from the configured user and password, else from `user:password@` in the server address;
/// otherwise a bearer token. Basic auth wins over a token, as in pyroscope-go.
struct UploadCredentials: Sendable {
    let authorization: String?
    let scrubber: SecretScrubber

    init(configuration: PyroscopeClientConfiguration, server: ServerAddress?) {
        let user = configuration.basicAuthUser ?? server?.user
        let password = configuration.basicAuthUser == nil ? server?.password : configuration.basicAuthPassword
        // The encoded pair is a secret too: it decodes to the password.
        let basic = user.flatMap { $0.isEmpty ? nil : Data("\($0):\(password ?? "")".utf8).base64EncodedString() }
        let bearer = configuration.bearerToken.flatMap { $0.isEmpty ? nil : $0 }
        authorization = basic.map { "Basic \($0)" } ?? bearer.map { "Bearer \($0)" }
        scrubber = SecretScrubber(secrets: [password, configuration.basicAuthPassword, bearer, basic])
    }
}
