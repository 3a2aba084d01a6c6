import SafeText
import Telemetry

/// `k=v,k2=v2` lists, as `PYROSCOPE_TAGS` and `OTEL_RESOURCE_ATTRIBUTES` hold them and `--tag k=v` gives them.
public struct KeyValue: Sendable, Equatable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// Parses `k=v`; the value may be empty and may contain `=`. `nil` when there is no `=` or no key.
    public init?(_ text: some StringProtocol) {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let key = text[..<equals].trimmingWhitespace()
        guard !key.isEmpty else { return nil }
        self.key = String(key)
        self.value = String(text[text.index(after: equals)...].trimmingWhitespace())
    }
}

package enum KeyValueList {
    /// Splits on commas; empty entries are skipped, malformed ones reported.
    package static func parse(_ text: String) -> (pairs: [KeyValue], malformed: [String]) {
        var pairs: [KeyValue] = []
        var malformed: [String] = []
        for entry in text.split(separator: ",") where !entry.trimmingWhitespace().isEmpty {
            if let pair = KeyValue(entry) { pairs.append(pair) } else { malformed.append(String(entry)) }
        }
        return (pairs, malformed)
    }

    /// `pairs` then `overrides`, a later key replacing an earlier one in place.
    package static func merge(_ pairs: [KeyValue], _ overrides: [KeyValue]) -> [KeyValue] {
        var result = pairs
        for pair in overrides {
            if let index = result.firstIndex(where: { $0.key == pair.key }) { result[index] = pair } else { result.append(pair) }
        }
        return result
    }
}
