/// A setting of ``PyroscopeClientConfiguration`` that no profile can be sent with, found before anything is
/// sent, so that the caller can say so in one line and run without uploads.
///
/// Nothing secret is quoted: a credential is named, never shown, and a server address is shown with its
/// password masked and without its query (which may hold a token).
public struct PyroscopeSettingProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Setting: String, Sendable, Equatable {
        case serverAddress = "server address"
        case basicAuthUser = "basic auth user"
        case basicAuthPassword = "basic auth password"
        case bearerToken = "bearer token"
    }

    public var setting: Setting
    /// The value as it may be shown (masked, escaped, shortened), or nil for a credential.
    public var shownValue: String?
    /// What is wrong: after the shown value (and a colon), e.g. `port 99999 is outside 1–65535`; after the
    /// setting's name when no value is shown, e.g. `contains a control character …`.
    public var reason: String

    /// `server address http://h:99999: port 99999 is outside 1–65535`, `bearer token contains a control character …`
    /// (no colon after a credential's name: ``Redaction`` would read what follows as its value).
    public var description: String {
        "\(setting.rawValue)\(shownValue.map { " \($0):" } ?? "") \(reason)"
    }
}
