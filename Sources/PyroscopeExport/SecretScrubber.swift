import Foundation
import SafeText

/// Makes text safe to log or report: URL user info and `password=` values masked by ``Redaction``, and every
/// configured secret (password, token, the basic-auth header value) replaced wherever it appears, in case an
/// error message from below quotes a request.
struct SecretScrubber: Sendable {
    private let secrets: [String]

    init(secrets: [String?]) {
        // Longest first, so that a secret containing another is masked whole.
        self.secrets = secrets.compactMap { $0 }.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
    }

    func scrub(_ text: String) -> String {
        var result = Redaction.redactingCredentials(in: text)
        for secret in secrets {
            result = result.replacingOccurrences(of: secret, with: "***")
        }
        return result
    }

    /// `text` scrubbed, on one line, and at most `limit` characters: for server messages and error descriptions.
    func oneLine(_ text: String, limit: Int = 200) -> String {
        let line = scrub(text).split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }.joined(separator: " ")
        return line.count > limit ? String(line.prefix(limit - 1)) + "…" : line
    }
}
