import SafeText

/// A key and its value: a profile tag, a span or resource attribute, an exporter header.
public struct KeyValue: Sendable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// Parses `k=v` as a command-line flag gives it; the value may be empty and may contain `=`. `nil` when there
    /// is no `=` or no key.
    public init?(_ text: some StringProtocol) {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let key = text[..<equals].trimmingWhitespace()
        guard !key.isEmpty else { return nil }
        self.key = String(key)
        self.value = String(text[text.index(after: equals)...].trimmingWhitespace())
    }
}
