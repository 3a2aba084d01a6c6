import Logging
import SafeText

extension TelemetryConfiguration {
    /// Applies `HYBRID_OTEL_SHUTDOWN_TIMEOUT`, `HYBRID_LOG_LEVEL` and `HYBRID_LOG_FORMAT`.
    /// - Returns: one warning per invalid value, naming the variable, the value and what was kept.
    public mutating func applyEnvironmentOverrides(_ environment: [String: String]) -> [String] {
        var warnings: [String] = []
        if let text = environment["HYBRID_OTEL_SHUTDOWN_TIMEOUT"] {
            if let timeout = DurationText.parse(text, bareUnit: .milliseconds) {
                shutdownTimeout = timeout
            } else {
                warnings.append("HYBRID_OTEL_SHUTDOWN_TIMEOUT=\(text) is not a duration (e.g. 2000, 2s, 500ms); using \(DurationText.format(shutdownTimeout))")
            }
        }
        if let text = environment["HYBRID_LOG_LEVEL"] {
            if let level = Logger.Level(rawValue: text.lowercased()) {
                logLevel = level
            } else {
                let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                warnings.append("HYBRID_LOG_LEVEL=\(text) is not one of \(names); using \(logLevel.rawValue)")
            }
        }
        if let text = environment["HYBRID_LOG_FORMAT"] {
            if let format = LogFormat(rawValue: text.lowercased()) {
                logFormat = format
            } else {
                warnings.append("HYBRID_LOG_FORMAT=\(text) is not text or json; using \(logFormat.rawValue)")
            }
        }
        return warnings
    }
}
