import SafeText
import Telemetry

/// `k=v,k2=v2` lists, as `PYROSCOPE_TAGS` holds them and `--tag k=v` gives them.
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
