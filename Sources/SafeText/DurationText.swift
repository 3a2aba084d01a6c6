/// Durations as users type them in flags and environment variables: `2s`, `1.5s`, `500ms`, or a bare number.
public enum DurationText {
    public enum Unit: Sendable {
        case seconds, milliseconds
    }

    /// Parses a non-negative duration; a bare number is read in `bareUnit`.
    /// OTel's own timeouts (`OTEL_EXPORTER_OTLP_TIMEOUT`) are bare milliseconds; command-line flags read better as seconds.
    public static func parse(_ text: String, bareUnit: Unit) -> Duration? {
        let trimmed = text.trimmingWhitespace().lowercased()
        let (number, unit): (Substring, Unit) =
            if trimmed.hasSuffix("ms") { (trimmed.dropLast(2), .milliseconds) }
            else if trimmed.hasSuffix("s") { (trimmed.dropLast(1), .seconds) }
            else { (Substring(trimmed), bareUnit) }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        let nanoseconds = value * (unit == .seconds ? 1e9 : 1e6)
        guard nanoseconds < 1e18 else { return nil }
        return .nanoseconds(Int64(nanoseconds))
    }

    /// `2s`, `1.5s` or `250ms`: the same form ``parse(_:bareUnit:)`` reads.
    public static func format(_ duration: Duration) -> String {
        let milliseconds = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        if milliseconds < 1000 { return "\(Int(milliseconds.rounded()))ms" }
        let seconds = milliseconds / 1000
        return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }
}

extension Duration {
    /// The whole milliseconds in it (rounded toward zero), as `poll(2)` and libcurl's `_MS` options take them.
    public var wholeMilliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }
}
