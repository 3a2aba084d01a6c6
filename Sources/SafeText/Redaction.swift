import Foundation

/// Removes credentials from text that is about to be shown, logged or put in a span: the one redaction path
/// of hybrid-run and its workloads (README, "What is masked", lists the same conventions).
///
/// Masked, each value replaced by `***`:
/// - URL user info, in every URL of the text: `scheme://user:secret@host` → `scheme://user:***@host` (the user
///   name is kept), and a word `user:secret@host` without a scheme.
/// - The value of a key whose name says it is secret (``isSecretName(_:)``), however it is written:
///   `key=value` and `key = value` (query parameters, libpq key/value strings, `NAME=value` assignments such as
///   `env AWS_SECRET_ACCESS_KEY=… cmd`, `--flag=value`), `"key": "value"` (JSON), and `Key: value` (an HTTP
///   header, masked to the end of the line; the scheme word of `Authorization: Bearer …` is kept).
/// - The word after `Bearer ` or `Basic ` (an `Authorization` value however it is quoted).
/// - The value after a flag whose name says it is secret, given as the next word: `--password SECRET`,
///   `--api-key KEY`, `-token T` (not `--key`, sort's column, nor boolean flags such as `--no-password` and
///   `--password-stdin`); and the part after `:` of `-u`/`--user USER:PASSWORD` (curl's form).
///
/// Not masked: `-p` (a port for psql, ssh and docker, a password only for mysql's `-pSECRET`), and secrets
/// under names that do not say so. Masking too much costs a value in a message; too little leaks a secret.
public enum Redaction {
    /// `text` with every credential the conventions above recognise replaced by `***`. Idempotent.
    public static func redactingCredentials(in text: String) -> String {
        let characters = Array(text)
        let ranges = secretRanges(in: characters)
        guard !ranges.isEmpty else { return text }
        var result = ""
        var position = 0
        for range in ranges {
            result += String(characters[position..<range.lowerBound])
            result += mask
            position = range.upperBound
        }
        result += String(characters[position...])
        return result
    }

    /// A command line with ``redactingCredentials(in:)`` applied to every argument, and the argument after a
    /// secret-taking flag masked too (`--password SECRET`, `--token T`, `--api-key K`; after `-u`/`--user` only
    /// the part after the first `:`), as for `process.command_args`.
    public static func redactingArguments(_ arguments: [String]) -> [String] {
        var result = arguments.map { redactingCredentials(in: $0) }
        for index in arguments.indices.dropLast() {
            guard arguments[index].hasPrefix("-"), !arguments[index].contains("=") else { continue }
            let name = arguments[index].drop { $0 == "-" }
            let value = Array(arguments[index + 1])
            guard !name.isEmpty, name.allSatisfy(isKeyCharacter), !value.isEmpty,
                  let range = flagValueRange(flag: name, value: value, in: 0..<value.count)
            else { continue }
            result[index + 1] = String(value[..<range.lowerBound]) + mask + String(value[range.upperBound...])
        }
        return result
    }

    /// The value of a named field (a span attribute given as `--attr name=value`): masked whole when the name
    /// says it is secret, else with ``redactingCredentials(in:)`` applied.
    public static func redactingValue(_ value: String, named name: String) -> String {
        isSecretName(name) ? mask : redactingCredentials(in: value)
    }

    /// The credentials the conventions recognise in `text` (URL passwords also percent-decoded), for
    /// ``SecretScrubber``: so that a message quoting a piece of a connection string elsewhere is masked too.
    public static func credentials(in text: String) -> [String] {
        let characters = Array(text)
        var found: [String] = []
        for range in secretRanges(in: characters) {
            let value = String(characters[range])
            found.append(value)
            if let decoded = value.removingPercentEncoding, decoded != value { found.append(decoded) }
        }
        return found
    }

    /// Whether a key, header or flag name says its value is secret. The name is read lowercased, without
    /// leading dashes, with `-` and `.` as `_`: it contains `password`, `passwd`, `passphrase`, `secret` or
    /// `credential`; or ends with `token`, `_key`, `apikey`, `pwd`, `signature`, `cookie` or `authorization`;
    /// or is `key`, `pass`, `auth` or `sig`.
    public static func isSecretName(_ name: some StringProtocol) -> Bool {
        let normalized = String(name.drop { $0 == "-" }).lowercased().map { $0 == "-" || $0 == "." ? "_" : $0 }
        let key = String(normalized)
        return ["password", "passwd", "passphrase", "secret", "credential"].contains { key.contains($0) }
            || ["token", "_key", "apikey", "pwd", "signature", "cookie", "authorization"].contains { key.hasSuffix($0) }
            || ["key", "pass", "auth", "sig"].contains(key)
    }

    static let mask = "***"

    // MARK: Recognising

    /// Every value to mask, sorted and merged, as offsets into `text`.
    private static func secretRanges(in text: [Character]) -> [Range<Int>] {
        var ranges = urlPasswordRanges(in: text) + keyValueRanges(in: text) + authorizationRanges(in: text) + flagRanges(in: text)
        ranges = ranges.filter { !$0.isEmpty && String(text[$0]) != mask }.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [Range<Int>] = []
        for range in ranges {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// The password of `scheme://user:password@host` in every URL, and of a word `user:password@host`.
    private static func urlPasswordRanges(in text: [Character]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        while start < text.count {
            guard !isWordBreak(text[start]) else { start += 1; continue }
            var end = start
            while end < text.count, !isWordBreak(text[end]) { end += 1 }
            // A word may hold several URLs (`a=http://…,b=http://…`); without `://` the word is the authority.
            var authorityStarts: [Int] = []
            var cursor = start
            while let separator = find("://", in: text, from: cursor, before: end) {
                authorityStarts.append(separator + 3)
                cursor = separator + 3
            }
            for authorityStart in authorityStarts.isEmpty ? [start] : authorityStarts {
                let authorityEnd = (authorityStart..<end).first { "/?#".contains(text[$0]) } ?? end
                if let at = (authorityStart..<authorityEnd).last(where: { text[$0] == "@" }),
                   let colon = (authorityStart..<at).first(where: { text[$0] == ":" }) {
                    ranges.append(colon + 1..<at)
                }
            }
            start = end
        }
        return ranges
    }

    /// Values of secret keys: `key=value`, `key = value`, `"key": "value"`, `Key: value` (a header).
    private static func keyValueRanges(in text: [Character]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        for separator in text.indices where text[separator] == "=" || text[separator] == ":" {
            var keyEnd = separator
            if text[separator] == "=" { while keyEnd > 0, text[keyEnd - 1] == " " || text[keyEnd - 1] == "\t" { keyEnd -= 1 } }
            let quotedKey = keyEnd > 0 && (text[keyEnd - 1] == "\"" || text[keyEnd - 1] == "'")
            if quotedKey { keyEnd -= 1 }
            var keyStart = keyEnd
            while keyStart > 0, isKeyCharacter(text[keyStart - 1]) { keyStart -= 1 }
            guard keyStart < keyEnd, isSecretName(String(text[keyStart..<keyEnd])) else { continue }
            var valueStart = separator + 1
            let isHeader = text[separator] == ":" && !quotedKey
            if text[separator] == ":" {
                // `user:password@host` and `scheme://` are the URL rule's; a header has a space after the colon.
                guard quotedKey || (valueStart < text.count && (text[valueStart] == " " || text[valueStart] == "\t")) else { continue }
            }
            while valueStart < text.count, text[valueStart] == " " || text[valueStart] == "\t" { valueStart += 1 }
            guard valueStart < text.count else { continue }
            if let quoted = quotedValue(in: text, at: valueStart) {
                ranges.append(quoted)
            } else if isHeader {
                let schemeEnd = authorizationSchemeEnd(in: text, at: valueStart) ?? valueStart
                let end = (schemeEnd..<text.count).first { "\n\r\"'".contains(text[$0]) } ?? text.count
                ranges.append(schemeEnd..<trimmingTrailingSpace(text, schemeEnd..<end))
            } else {
                ranges.append(valueStart..<wordEnd(in: text, from: valueStart, stoppingAt: "&;\"'"))
            }
        }
        return ranges
    }

    /// The word after `Bearer ` or `Basic `, as an `Authorization` value appears in any quoting.
    private static func authorizationRanges(in text: [Character]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        for scheme in ["Bearer", "Basic"] {
            var from = 0
            while let start = find(scheme, in: text, from: from, before: text.count) {
                from = start + scheme.count
                guard start == 0 || !isKeyCharacter(text[start - 1]) else { continue }
                var valueStart = from
                while valueStart < text.count, text[valueStart] == " " { valueStart += 1 }
                guard valueStart > from else { continue }
                ranges.append(valueStart..<wordEnd(in: text, from: valueStart, stoppingAt: "\"'"))
            }
        }
        return ranges
    }

    /// Values given as the word after a secret-taking flag: `--password SECRET`, `-u user:SECRET`.
    private static func flagRanges(in text: [Character]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        for start in text.indices where text[start] == "-" && (start == 0 || isWordBreak(text[start - 1])) {
            var nameEnd = start
            while nameEnd < text.count, isKeyCharacter(text[nameEnd]) { nameEnd += 1 }
            var valueStart = nameEnd
            while valueStart < text.count, text[valueStart] == " " || text[valueStart] == "\t" { valueStart += 1 }
            guard valueStart > nameEnd, valueStart < text.count else { continue }
            let valueEnd = quotedValue(in: text, at: valueStart)?.upperBound ?? wordEnd(in: text, from: valueStart, stoppingAt: "\"'")
            if let range = flagValueRange(flag: String(text[start..<nameEnd]).drop { $0 == "-" }, value: text, in: valueStart..<valueEnd) {
                ranges.append(range)
            }
        }
        return ranges
    }

    /// What to mask of `value[range]` given after `flag` (its name without dashes), or nil when the flag takes
    /// no secret. Boolean flags that only name a secret (`--no-password`, `--password-stdin`) take none.
    private static func flagValueRange(flag: some StringProtocol, value: [Character], in range: Range<Int>) -> Range<Int>? {
        let name = flag.lowercased().replacingOccurrences(of: "-", with: "_")
        if name == "u" || name == "user" {
            guard let colon = range.first(where: { value[$0] == ":" }) else { return nil }
            return colon + 1..<range.upperBound
        }
        // `--key 2` is sort's column, not a key: only `key=…` (Google's `?key=`) reads as one.
        guard isSecretName(name), name != "key", !name.hasPrefix("no_"), !name.hasSuffix("_stdin") else { return nil }
        return quotedValue(in: value, at: range.lowerBound) ?? range
    }

    // MARK: Scanning helpers

    /// The inside of `'…'` or `"…"` starting at `start` (to the end of the text when unclosed).
    private static func quotedValue(in text: [Character], at start: Int) -> Range<Int>? {
        guard start < text.count, text[start] == "\"" || text[start] == "'" else { return nil }
        let end = (start + 1..<text.count).first { text[$0] == text[start] } ?? text.count
        return start + 1..<end
    }

    /// The end of an HTTP authorization scheme word (`Bearer `, `Basic `, …) at `start`, after its spaces.
    private static func authorizationSchemeEnd(in text: [Character], at start: Int) -> Int? {
        let end = (start..<text.count).first { text[$0] == " " } ?? text.count
        guard end < text.count, ["bearer", "basic", "digest", "token", "negotiate"].contains(String(text[start..<end]).lowercased()) else { return nil }
        var valueStart = end
        while valueStart < text.count, text[valueStart] == " " { valueStart += 1 }
        return valueStart
    }

    private static func wordEnd(in text: [Character], from start: Int, stoppingAt stops: String) -> Int {
        (start..<text.count).first { text[$0].isWhitespace || stops.contains(text[$0]) } ?? text.count
    }

    private static func trimmingTrailingSpace(_ text: [Character], _ range: Range<Int>) -> Int {
        var end = range.upperBound
        while end > range.lowerBound, text[end - 1].isWhitespace { end -= 1 }
        return end
    }

    private static func find(_ needle: String, in text: [Character], from start: Int, before end: Int) -> Int? {
        let pattern = Array(needle)
        guard end - start >= pattern.count else { return nil }
        return (start...(end - pattern.count)).first { position in
            pattern.indices.allSatisfy { text[position + $0] == pattern[$0] }
        }
    }

    /// Characters of key, header and flag names: ASCII letters, digits, `_`, `-` and `.`.
    private static func isKeyCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "_-.".contains(character))
    }

    /// What ends a word holding a URL: white space and quotes.
    private static func isWordBreak(_ character: Character) -> Bool {
        character.isWhitespace || "\"'<>()".contains(character)
    }
}
