import Foundation
import SafeText

/// The `Authorization` header for uploads, and a scrubber that knows every secret it came from.
///
/// Basic auth comes from the configured user and password, else from `user:password@` in the server address;
/// otherwise a bearer token. Basic auth wins over a token, as in pyroscope-go.
struct UploadCredentials: Sendable {
    let authorization: String?
    let scrubber: SecretScrubber

    /// Refuses credentials that cannot be sent as they are, naming the setting but never its value: a control
    /// character (a pasted line break, say) in a token would be an invalid header value, and RFC 7617 forbids
    /// control characters in a basic-auth user or password and `:` in the user. Sending anyway would fail
    /// every upload with an error quoting the header, or authenticate as someone else.
    init(configuration: PyroscopeClientConfiguration, server: ServerAddress) throws(PyroscopeSettingProblem) {
        let fromAddress = configuration.basicAuthUser == nil && server.user != nil
        let user = configuration.basicAuthUser ?? server.user
        let password = fromAddress ? server.password : configuration.basicAuthPassword
        let bearer = configuration.bearerToken.flatMap { $0.isEmpty ? nil : $0 }
        func refuse(_ setting: PyroscopeSettingProblem.Setting, _ reason: String) -> PyroscopeSettingProblem {
            fromAddress ? PyroscopeSettingProblem(setting: .serverAddress, shownValue: server.base, reason: "its user info \(reason)")
                : PyroscopeSettingProblem(setting: setting, shownValue: nil, reason: reason)
        }
        if let user, !user.isEmpty {
            if user.contains(":") { throw refuse(.basicAuthUser, "contains ':', which basic auth cannot carry in a user name (RFC 7617)") }
            for (setting, value) in [(PyroscopeSettingProblem.Setting.basicAuthUser, user), (.basicAuthPassword, password ?? "")] where Self.hasControlCharacter(value) {
                throw refuse(setting, "contains a control character (such as a line break), which basic auth cannot carry (RFC 7617)")
            }
        } else if let bearer, Self.hasControlCharacter(bearer) {
            throw refuse(.bearerToken, "contains a control character (such as a line break), which an HTTP header cannot carry")
        }
        // The encoded pair is a secret too: it decodes to the password.
        let basic = user.flatMap { $0.isEmpty ? nil : Data("\($0):\(password ?? "")".utf8).base64EncodedString() }
        authorization = basic.map { "Basic \($0)" } ?? bearer.map { "Bearer \($0)" }
        scrubber = SecretScrubber(secrets: [password, server.password, configuration.basicAuthPassword, bearer, basic])
    }

    /// HTTP's CTL characters (RFC 9110 §5.5 allows none in a field value but tab, which a credential has no use for).
    private static func hasControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }
    }
}
