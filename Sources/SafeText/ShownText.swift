/// User-supplied text as it may appear inside one of our messages on a terminal or in a CI log.
///
/// A value echoed raw can leak a secret, forge a line (`\nhybrid-run: …`), move the cursor or recolour the
/// terminal (escape sequences), or bury the message under 10 KB of junk. Every message that quotes something
/// the user (or a server, or a child) wrote passes it through ``value(_:limit:)``; the log handler additionally
/// escapes control characters in whole lines, so a value that was missed still cannot start a line of its own.
public enum ShownText {
    /// The longest value quoted in full; longer ones are cut, with their full length said.
    public static let defaultLimit = 120

    /// `text` with credentials masked (``Redaction``), control characters escaped and, when longer than `limit`
    /// characters, cut to its start followed by `…(N characters)`. Masking comes first, so that a cut never
    /// leaves the start of a secret the whole value would have masked.
    public static func value(_ text: some StringProtocol, limit: Int = defaultLimit) -> String {
        let escaped = escapingControlCharacters(Redaction.redactingCredentials(in: String(text)))
        guard escaped.count > limit else { return escaped }
        return "\(escaped.prefix(max(limit, 1)))…(\(text.count) characters)"
    }

    /// A file path as ``value(_:limit:)`` shows it, but whole up to `PATH_MAX` (4096) characters: a cut path
    /// cannot be found.
    public static func path(_ path: some StringProtocol) -> String {
        value(path, limit: 4096)
    }

    /// `text` with every control character (C0, DEL, C1) written as an escape: `\n`, `\r`, `\t`, `\e` (ESC)
    /// or `\u{XX}`. Printable text, Unicode included, is unchanged.
    public static func escapingControlCharacters(_ text: some StringProtocol) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return String(text) }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard isControl(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{1b}": result += "\\e"
            default: result += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value)
    }
}
