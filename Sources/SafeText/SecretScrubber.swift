import Foundation

/// ``Redaction`` plus the secrets a component was configured with (a password, a token, an encoded
/// `Authorization` value), replaced wherever they appear: an error message from below may quote a request, or a
/// piece of a connection string, in a form no convention recognises.
public struct SecretScrubber: Sendable {
    private let secrets: [String]

    /// Secrets shorter than ``minimumLength`` are left to ``Redaction``: replacing `a` or `pw` wherever it
    /// appears would mask ordinary words in every message.
    public init(secrets: [String?]) {
        // Longest first, so that a secret containing another is masked whole.
        self.secrets = Set(secrets.compactMap { $0 }.filter { $0.count >= Self.minimumLength }).sorted { $0.count > $1.count }
    }

    public static let minimumLength = 4

    /// `text` with the configured secrets masked first (before a convention could mask half of one), then
    /// everything ``Redaction`` recognises.
    public func scrub(_ text: String) -> String {
        var result = text
        for secret in secrets {
            result = result.replacingOccurrences(of: secret, with: Redaction.mask)
        }
        return Redaction.redactingCredentials(in: result)
    }

    /// `text` scrubbed, its lines joined into one, control characters escaped and cut at `limit` characters
    /// (``ShownText``): for server answers and error descriptions quoted in a message.
    public func oneLine(_ text: String, limit: Int = 200) -> String {
        let line = scrub(text).split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }.joined(separator: " ")
        return ShownText.value(line, limit: limit)
    }
}
